"""Writes on calls. Each service is one transaction, audited; slow work is enqueued on commit."""

import hashlib
from collections import Counter

from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from applications.models import FundingCall
from portal.audit.services import audit_record
from portal.jobs.models import Job
from portal.jobs.services import job_claim, job_create, job_done, job_fail

GUIDE_JOB = "call.guide_pdf"


def call_guide_request(*, call: FundingCall, by: object = None) -> Job:
    """Queue the printing of a call's guide; the PDF is built by a Celery task after commit."""
    from applications.tasks import call_guide_render_task

    with transaction.atomic():
        job = job_create(kind=GUIDE_JOB, task=call_guide_render_task.name, obj=call, by=by)
        audit_record(actor=by, action="call.guide_request", obj=call, data={"job": job.pk})
        # robust: a broker that is down (or an in-process render that fails) must not undo
        # or break the request; the job stays recorded as queued or failed for staff to see.
        transaction.on_commit(lambda: call_guide_render_task.delay(job.pk), robust=True)
    return job


def guide_html(*, call: FundingCall) -> str:
    """The guide as HTML, always in Chinese: it is the official text of the call."""
    tasks = call.tasks.select_related("field").order_by("field__position", "position", "code")
    tasks = list(tasks)
    per_field = Counter(task.field_id for task in tasks)
    fields = list(call.call_fields.select_related("field"))
    for call_field in fields:
        call_field.task_count = per_field[call_field.field_id]
    with translation.override("zh-hans"):
        return render_to_string("pdf/call_guide.html", {"call": call, "fields": fields, "tasks": tasks})


def call_guide_render(*, job_id: int) -> Job:
    """Build the guide PDF of the job's call. Idempotent: a job already done is left as it is,
    and doing it twice writes the same file (its name comes from its content)."""
    from portal.pdf import render_pdf

    job = job_claim(job_id=job_id)
    if job is None:
        return Job.objects.get(pk=job_id)
    call = FundingCall.objects.get(pk=job.object_id)
    try:
        pdf = render_pdf(guide_html(call=call))
    except Exception as error:
        # Recorded for staff to see and retry; the task decides whether to retry itself.
        job_fail(job_id=job_id, error=error)
        raise
    digest = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        call = FundingCall.objects.select_for_update().get(pk=call.pk)
        if call.guide_pdf_sha256 != digest:
            old = call.guide_pdf.name
            call.guide_pdf.save(f"call-{call.pk}-guide-{digest[:16]}.pdf", ContentFile(pdf), save=False)
            call.guide_pdf_sha256 = digest
            call.guide_generated_at = timezone.now()
            call.save(update_fields=["guide_pdf", "guide_pdf_sha256", "guide_generated_at"])
            if old and old != call.guide_pdf.name:
                # Only once the new name is committed: a rollback must not lose the old file.
                storage = call.guide_pdf.storage
                transaction.on_commit(lambda: storage.delete(old))
        job_done(job_id=job_id)
        audit_record(
            actor=job.created_by, action="call.guide_render", obj=call, data={"job": job_id, "sha256": digest}
        )
    job.refresh_from_db()
    return job
