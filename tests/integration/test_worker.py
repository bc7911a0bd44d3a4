"""The call's guide is printed by a real Celery worker: queued on commit through Redis, run
against PostgreSQL, written to storage that the web process reads back."""

import hashlib
import re

import pytest
from django.core.files.storage import default_storage
from django.db import transaction

from applications.models import FundingCall
from applications.services import call_guide_request
from applications.tasks import call_guide_render_task
from portal.audit.models import AuditEvent
from portal.jobs.models import Job, JobStatus
from tests.factories import (
    CallFieldFactory,
    FundingCallFactory,
    GuideTaskFactory,
    ResearchFieldFactory,
    UserFactory,
)
from tests.integration.conftest import Worker
from tests.pdf_checks import pdf_missing_glyphs, pdf_text

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TASK = "applications.tasks.call_guide_render_task"
JOB_TIMEOUT = 60.0


@pytest.fixture
def call() -> FundingCall:
    call = FundingCallFactory(title_zh="2021年川渝联合实施重点研发项目")
    field = ResearchFieldFactory(code="ai")
    CallFieldFactory(call=call, field=field, quota=5)
    GuideTaskFactory(call=call, field=field, code="CY2021-AI-01", title_zh="成渝工业互联网平台关键技术")
    return call


def wait_until_finished(worker: Worker, job_id: int) -> Job:
    """Poll the Job row, as the page does, until the worker has finished it."""
    finished = (JobStatus.DONE, JobStatus.FAILED)
    worker.wait_for(
        lambda: Job.objects.filter(pk=job_id, status__in=finished).exists(), f"job {job_id}", JOB_TIMEOUT
    )
    job = Job.objects.get(pk=job_id)
    assert job.status == JobStatus.DONE, f"the job failed in the worker: {job.error}"
    return job


def tasks_received(worker: Worker, since: int) -> list[str]:
    """Ids of the guide tasks that the worker received since a point of its log."""
    return re.findall(rf"Task {re.escape(TASK)}\[([0-9a-f-]+)\] received", worker.log()[since:])


def media_files(worker: Worker) -> list[str]:
    return sorted(
        str(path.relative_to(worker.media_root)) for path in worker.media_root.rglob("*") if path.is_file()
    )


def test_the_worker_prints_the_guide_that_a_committed_request_queued(
    worker: Worker, call: FundingCall
) -> None:
    staff = UserFactory(role="bureau_staff", province="CQ")
    since = worker.log_offset()

    job = call_guide_request(call=call, by=staff)

    job = wait_until_finished(worker, job.pk)
    assert job.done == 1
    assert len(tasks_received(worker, since)) == 1, "the job was not run by the worker"
    call.refresh_from_db()
    assert call.guide_pdf.name.startswith("calls/guides/")
    with default_storage.open(call.guide_pdf.name, "rb") as stored:
        pdf = stored.read()
    assert hashlib.sha256(pdf).hexdigest() == call.guide_pdf_sha256
    assert media_files(worker) == [call.guide_pdf.name]
    text = pdf_text(pdf)
    assert "2021年川渝联合实施重点研发项目申报指南" in text
    assert "成渝工业互联网平台关键技术" in text and "CY2021-AI-01" in text
    assert pdf_missing_glyphs(pdf) == 0
    render = AuditEvent.objects.get(action="call.guide_render", object_id=str(call.pk))
    assert render.actor == staff and render.data["sha256"] == call.guide_pdf_sha256


def test_a_request_that_rolls_back_queues_nothing(worker: Worker, call: FundingCall) -> None:
    since = worker.log_offset()
    with pytest.raises(RuntimeError, match="the surrounding work failed"), transaction.atomic():
        call_guide_request(call=call)
        raise RuntimeError("the surrounding work failed")
    assert not Job.objects.exists()

    # A committed request after it: the queue is first in, first out, so by the time the
    # worker has finished this one it would have received anything queued before.
    job = wait_until_finished(worker, call_guide_request(call=call).pk)

    assert len(tasks_received(worker, since)) == 1, "the worker received a task for the rolled-back request"
    assert list(Job.objects.values_list("pk", flat=True)) == [job.pk]
    assert AuditEvent.objects.filter(action="call.guide_request").count() == 1


def test_running_the_same_job_twice_leaves_one_file_and_one_audit_event(
    worker: Worker, call: FundingCall
) -> None:
    job = wait_until_finished(worker, call_guide_request(call=call).pk)
    call.refresh_from_db()
    first = (call.guide_pdf.name, call.guide_pdf_sha256, call.guide_generated_at)

    since = worker.log_offset()
    again = call_guide_render_task.delay(job.pk)
    worker.wait_for_log(f"Task {TASK}[{again.id}] succeeded", since=since, timeout=JOB_TIMEOUT)

    call.refresh_from_db()
    assert (call.guide_pdf.name, call.guide_pdf_sha256, call.guide_generated_at) == first
    assert media_files(worker) == [call.guide_pdf.name]
    assert AuditEvent.objects.filter(action="call.guide_render", object_id=str(call.pk)).count() == 1
    assert Job.objects.get(pk=job.pk).status == JobStatus.DONE


def test_a_job_whose_message_was_lost_is_sent_again_by_the_sweep_and_run_by_the_worker(
    worker: Worker, call: FundingCall
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from portal.jobs.tasks import jobs_requeue_stale

    # A job recorded while the broker was away: its row exists, its message never left.
    with transaction.atomic():
        job = Job.objects.create(
            kind="call.guide_pdf", task=TASK, object_type="applications.fundingcall", object_id=str(call.pk)
        )
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    since = worker.log_offset()

    jobs_requeue_stale.delay()  # as beat sends it: through Redis to the worker

    wait_until_finished(worker, job.pk)
    assert len(tasks_received(worker, since)) == 1
