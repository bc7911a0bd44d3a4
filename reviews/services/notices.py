"""Funding notices (立项通知书): numbers without gaps, a batch per call built by Celery workers,
one PDF per notice version, the project leader emailed, failures retried, new versions.

- ``notice_numbers_assign``: under the call's row lock, every final award without a number
  gets the next serial (max + 1, …) in the order field position, score (highest first),
  award id; ``call.notice_number(serial)`` formats it (川渝联研〔2021〕1号). A unique
  constraint on (call, serial) backs the lock. Numbers are given once and never change.
- ``notices_batch_start``: staff (or the portal itself, ``by=None``) ask for the call's
  notices; a ``Job`` (kind ``notices.batch``) is recorded and its task sent after commit
  with ``robust=True``: with the broker down the request still succeeds, the job stays
  queued and the stale-job sweep (``portal.jobs.services.jobs_requeue_stale``) sends it
  again later. A batch of the call still under way is reused rather than doubled.
- ``notice_batch_execute`` (the batch task): claims the job, gives the numbers, creates a
  pending notice (version 1) for every final award without a current one, and queues one
  render task per pending notice. Notices that failed are tried again. Running it twice
  creates nothing twice.
- ``notice_render`` (one task per notice): a notice that is not pending is left alone;
  otherwise the HTML (``reviews.notice_document``) is rendered by WeasyPrint, stored at a
  deterministic key (``notice_path``), its SHA-256 recorded, the notice marked done and the
  project leader emailed once (``emailed_at`` set by a conditional update, the message
  queued in the same transaction). The batch job's counters are then recounted from the
  notices themselves, so a task run twice counts once. A non-transient error marks the
  notice failed with its error and attempts, for staff to retry; a transient one is raised
  for the task to retry.
- ``notice_retry``, ``notice_regenerate`` (a new version with its own verification code; the
  old one is kept, no longer current) and ``notices_requeue_stale`` (the beat sweep for work
  whose worker died or whose message was lost).

Every write is audited. Locks are taken in the order of the other award services: the call,
then the award, then the notice.
"""

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Count, F, Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from applications.models import FundingCall
from portal.audit.services import audit_record
from portal.fields import clean_text
from portal.jobs.models import Job, JobStatus
from portal.jobs.services import job_claim, job_create
from portal.mail.services import emails_queue
from reviews.models import Award, AwardStatus, FundingNotice, NoticeStatus
from reviews.models.notices import notice_path
from reviews.permissions import can_manage_notices

logger = logging.getLogger(__name__)

BATCH_JOB = "notices.batch"
EMAIL_KIND = "funding_notice"
MAX_REASON = 1000
# A notice whose render was started this many times without an end (its worker died each
# time, e.g. killed for memory) is marked failed instead of being sent again.
MAX_ATTEMPTS = 5
# Errors that are worth trying again after a moment (the task retries them with backoff).
TRANSIENT = (OperationalError, ConnectionError)
UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)


class NoticeError(Exception):
    """A refusal of the notice services; ``message`` says why, for the user; ``code`` is stable
    (``not_allowed``, ``state``, ``reason``); ``field`` names the input at fault."""

    def __init__(self, message: str, *, code: str = "invalid", field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


def _require_staff(by: Any, call: Any = None) -> None:
    allowed, reason = can_manage_notices(by, call)
    if not allowed:
        raise NoticeError(reason, code="not_allowed")


def _actor(by: Any) -> Any:
    return by if getattr(by, "is_authenticated", False) else None


def new_verification_code() -> str:
    """16 upper-case hex characters, like a submission's code: printed and typed by people."""
    return secrets.token_hex(8).upper()


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


# --- Numbers ---------------------------------------------------------------------------------


def notice_numbers_assign(*, call: FundingCall, by: Any = None) -> list[Award]:
    """Give every final award of ``call`` without a notice number the next serial, in the order
    field position, score (highest first), award id; return the awards numbered now.

    The call's row lock makes concurrent callers wait for each other, so serials run 1..n
    without gaps or duplicates; the unique constraint (call, notice_serial) would refuse a
    writer that forgot the lock."""
    with transaction.atomic():
        locked = FundingCall.objects.select_for_update().get(pk=call.pk)
        last = Award.objects.filter(call_id=locked.pk).aggregate(m=Max("notice_serial"))["m"] or 0
        waiting = list(
            Award.objects.filter(call_id=locked.pk, status=AwardStatus.FINAL, notice_serial__isnull=True)
            .select_related("application")
            .order_by("field__position", F("score").desc(nulls_last=True), "id")
        )
        for award in waiting:
            last += 1
            award.notice_serial = last
            award.notice_number = locked.notice_number(last)
            award.save(update_fields=["notice_serial", "notice_number", "updated_at"])
            audit_record(
                actor=by,
                action="award.notice_number",
                obj=award,
                data={"serial": last, "number": award.notice_number},
            )
    return waiting


# --- The batch -------------------------------------------------------------------------------


def notices_batch_start(*, call: FundingCall, by: Any) -> Job:
    """Queue the notices of every final award of ``call``; the job reports the progress.

    ``by=None`` is the portal itself (``generate_notices``, ``seed_demo``); a person must be
    review staff. A batch of the call still queued or running is reused (its task is sent
    again, which is harmless: the batch is idempotent). Without a broker the batch runs at
    commit, in this process, and the returned job is already finished."""
    from reviews.tasks import notice_batch_task

    if by is not None:
        _require_staff(by, call)
    with transaction.atomic():
        locked = FundingCall.objects.select_for_update().get(pk=call.pk)
        total = Award.objects.filter(call_id=locked.pk, status=AwardStatus.FINAL).count()
        if not total:
            raise NoticeError(
                _(
                    "The call has no final award yet: notices are made once the public announcement has closed."
                ),
                code="state",
            )
        job = (
            Job.objects.filter(
                kind=BATCH_JOB,
                object_type=FundingCall._meta.label_lower,
                object_id=str(locked.pk),
                status__in=UNFINISHED,
            )
            .order_by("-created_at")
            .first()
        )
        action = "notices.batch_resend"
        if job is None:
            job = job_create(kind=BATCH_JOB, task=notice_batch_task.name, obj=locked, total=total, by=by)
            action = "notices.batch_start"
        audit_record(actor=by, action=action, obj=locked, data={"job": job.pk, "total": total})
        job_id = job.pk
        # robust: a broker that is down must not break the request; the job stays queued and
        # the stale-job sweep sends it again.
        transaction.on_commit(lambda: notice_batch_task.delay(job_id), robust=True)
    job.refresh_from_db()
    return job


def notice_batch_execute(*, job_id: int) -> str:
    """The batch task: numbers, a pending notice per final award without a current one, and a
    render task per pending notice of the call. Idempotent; returns the job's status."""
    from reviews.tasks import notice_render_task

    job = job_claim(job_id=job_id)
    if job is None:
        return Job.objects.filter(pk=job_id).values_list("status", flat=True).first() or "missing"
    call = FundingCall.objects.get(pk=int(job.object_id))
    notice_numbers_assign(call=call, by=job.created_by)
    with transaction.atomic():
        FundingCall.objects.select_for_update().filter(pk=call.pk).first()
        awards = list(
            Award.objects.filter(call_id=call.pk, status=AwardStatus.FINAL)
            .exclude(notices__current=True)
            .order_by("notice_serial")
        )
        versions = dict(
            FundingNotice.objects.filter(award__in=awards)
            .values("award_id")
            .annotate(top=Max("version"))
            .values_list("award_id", "top")
        )
        created = FundingNotice.objects.bulk_create(
            FundingNotice(
                award=award,
                version=versions.get(award.pk, 0) + 1,
                number=award.notice_number,
                verification_code=new_verification_code(),
                job_id=job_id,
                created_by_id=job.created_by_id,
            )
            for award in awards
        )
        of_call = FundingNotice.objects.filter(
            award__call_id=call.pk, award__status=AwardStatus.FINAL, current=True
        )
        # A notice whose render died with its worker again and again is given up on.
        given_up = of_call.filter(status=NoticeStatus.PENDING, attempts__gte=MAX_ATTEMPTS).update(
            status=NoticeStatus.FAILED,
            error=_("Gave up after %(count)d attempts: the worker building it stopped each time.")
            % {"count": MAX_ATTEMPTS},
        )
        # Failed notices are tried again by a new run of the batch; pending ones are its own.
        retried = of_call.filter(status=NoticeStatus.FAILED, attempts__lt=MAX_ATTEMPTS).update(
            status=NoticeStatus.PENDING, error="", job_id=job_id
        )
        of_call.filter(status=NoticeStatus.PENDING).exclude(job_id=job_id).update(job_id=job_id)
        pending = list(of_call.filter(status=NoticeStatus.PENDING).values_list("pk", flat=True))
        if created or retried or given_up:
            audit_record(
                actor=job.created_by,
                action="notices.batch_create",
                obj=call,
                data={
                    "job": job_id,
                    "created": [notice.pk for notice in created],
                    "retried": retried,
                    "given_up": given_up,
                },
            )
        for notice_id in pending:
            transaction.on_commit(lambda pk=notice_id: notice_render_task.delay(pk), robust=True)
    return job_recount(job_id=job_id)


def job_recount(*, job_id: int) -> str:
    """Set a batch job's total, done and failed from the call's current notices (not by adding
    one per task: a task run twice counts once); the job is over when none is pending.

    The job's row lock orders concurrent recounts: the last one reads every commit."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id, kind=BATCH_JOB).first()
        if job is None:
            return "missing"
        call_id = int(job.object_id)
        total = Award.objects.filter(call_id=call_id, status=AwardStatus.FINAL).count()
        counts = FundingNotice.objects.filter(
            award__call_id=call_id, award__status=AwardStatus.FINAL, current=True
        ).aggregate(
            done=Count("pk", filter=Q(status=NoticeStatus.DONE)),
            failed=Count("pk", filter=Q(status=NoticeStatus.FAILED)),
            pending=Count("pk", filter=Q(status=NoticeStatus.PENDING)),
        )
        finished = counts["pending"] == 0 and counts["done"] + counts["failed"] >= total
        status, error = JobStatus.RUNNING, ""
        if finished and counts["failed"]:
            status = JobStatus.FAILED
            error = ngettext(
                "%(count)d notice could not be built; retry it on the notices page.",
                "%(count)d notices could not be built; retry them on the notices page.",
                counts["failed"],
            ) % {"count": counts["failed"]}
        elif finished:
            status = JobStatus.DONE
        Job.objects.filter(pk=job_id).update(
            total=total,
            done=counts["done"],
            failed=counts["failed"],
            status=status,
            error=error,
            updated_at=timezone.now(),
        )
    return status


# --- One notice ------------------------------------------------------------------------------


def notice_render(*, notice_id: int) -> str:
    """Build one notice's PDF; returns the notice's status. A notice that is not pending (done,
    or failed and waiting for staff) is left alone. Transient errors are raised (the task
    retries them); any other error marks the notice failed."""
    from reviews.notice_document import notice_for_render, notice_pdf

    notice = FundingNotice.objects.filter(pk=notice_id).only("pk", "status", "job_id").first()
    if notice is None:
        logger.warning("funding notice %s does not exist", notice_id)
        return "missing"
    if notice.status != NoticeStatus.PENDING:
        if notice.job_id:
            job_recount(job_id=notice.job_id)
        return notice.status
    FundingNotice.objects.filter(pk=notice_id, status=NoticeStatus.PENDING).update(attempts=F("attempts") + 1)
    try:
        pdf = notice_pdf(notice_for_render(notice_id))
    except TRANSIENT:
        raise
    except Exception as error:
        logger.exception("funding notice %s could not be built", notice_id)
        return notice_render_fail(notice_id=notice_id, error=error).status
    digest = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        locked = (
            FundingNotice.objects.select_for_update(of=("self",))
            .select_related("award__application__pi", "created_by")
            .get(pk=notice_id)
        )
        if locked.status == NoticeStatus.PENDING:
            _store(locked, pdf)
            locked.sha256 = digest
            locked.status = NoticeStatus.DONE
            locked.error = ""
            locked.generated_at = timezone.now()
            locked.save(update_fields=["file", "sha256", "status", "error", "generated_at"])
            audit_record(
                actor=locked.created_by,
                action="notice.render",
                obj=locked,
                data={
                    "version": locked.version,
                    "number": locked.number,
                    "sha256": digest,
                    "job": locked.job_id,
                    "attempts": locked.attempts,
                },
            )
            _email_project_leader(locked)
    if locked.job_id:
        job_recount(job_id=locked.job_id)
    return locked.status


def _store(notice: FundingNotice, pdf: bytes) -> None:
    """Write the PDF at the notice's own key. A file left there by an attempt whose transaction
    never committed (its worker died) is replaced, so a notice has exactly one file."""
    storage = notice.file.storage
    name = notice_path(notice, "notice.pdf")
    if storage.exists(name):
        storage.delete(name)
    notice.file.name = storage.save(name, ContentFile(pdf))


def notice_render_fail(*, notice_id: int, error: BaseException) -> FundingNotice:
    """Record that a pending notice could not be built (for staff to retry); audited."""
    with transaction.atomic():
        failed = FundingNotice.objects.filter(pk=notice_id, status=NoticeStatus.PENDING).update(
            status=NoticeStatus.FAILED, error=_error_text(error)
        )
        notice = FundingNotice.objects.get(pk=notice_id)
        if failed:
            audit_record(
                actor=None,
                action="notice.render_fail",
                obj=notice,
                data={"error": notice.error, "attempts": notice.attempts, "job": notice.job_id},
            )
    if notice.job_id:
        job_recount(job_id=notice.job_id)
    return notice


def notice_page_url(notice: FundingNotice) -> str:
    return settings.PORTAL_BASE_URL + reverse("reviews:notice_detail", args=[notice.pk])


def _email_project_leader(notice: FundingNotice) -> None:
    """Queue the project leader's message once per notice version (in the caller's
    transaction: it is sent after commit). Written in Chinese with an English translation,
    since an address has no language."""
    claimed = FundingNotice.objects.filter(pk=notice.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    leader = notice.award.application.pi
    if not claimed or not leader.email:
        return
    context = {"notice": notice, "application": notice.award.application, "link": notice_page_url(notice)}
    subjects, bodies = [], []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            subjects.append(render_to_string("reviews/email/notice_ready_subject.txt", context).strip())
            bodies.append(render_to_string("reviews/email/notice_ready.txt", context).strip())
    try:
        with transaction.atomic():
            emails_queue(
                messages=[(leader.email, " / ".join(subjects), "\n\n----------\n\n".join(bodies))],
                kind=EMAIL_KIND,
                reference=f"notice:{notice.pk}",
            )
    except IntegrityError:
        # The message of this notice is already queued (one per reference and address).
        logger.info("the email of funding notice %s was queued before", notice.pk)


# --- Staff's actions -------------------------------------------------------------------------


def notice_retry(*, notice: FundingNotice, by: Any) -> FundingNotice:
    """Build a failed notice again (staff)."""
    from reviews.tasks import notice_render_task

    _require_staff(by)
    with transaction.atomic():
        locked = FundingNotice.objects.select_for_update().get(pk=notice.pk)
        if not locked.current:
            raise NoticeError(
                _("This version has been replaced by a newer one; retry the current version."), code="state"
            )
        if locked.status != NoticeStatus.FAILED:
            raise NoticeError(
                _("Only a notice that failed can be tried again; this one is “%(status)s”.")
                % {"status": locked.get_status_display()},
                code="state",
            )
        previous = locked.error
        locked.status = NoticeStatus.PENDING
        locked.error = ""
        # A person asked again: the count of attempts starts anew (else a notice given up on after
        # its worker died five times would be given up on again at once by the sweep).
        locked.attempts = 0
        locked.save(update_fields=["status", "error", "attempts"])
        audit_record(
            actor=by,
            action="notice.retry",
            obj=locked,
            data={"attempts": locked.attempts, "error": previous, "job": locked.job_id},
        )
        notice_id = locked.pk
        transaction.on_commit(lambda: notice_render_task.delay(notice_id), robust=True)
    if locked.job_id:
        job_recount(job_id=locked.job_id)
    locked.refresh_from_db()
    return locked


def notice_regenerate(*, award: Award, by: Any, reason: str) -> FundingNotice:
    """A new version of the award's notice (same number, a new verification code), built in the
    background; the current version is kept as a superseded one. Staff, with a reason."""
    from reviews.tasks import notice_render_task

    _require_staff(by)
    try:
        reason = clean_text(reason, max_length=MAX_REASON)
    except ValidationError as error:
        raise NoticeError(error.messages[0], code="reason", field="reason") from error
    if not reason:
        raise NoticeError(_("Say why a new version is made."), code="reason", field="reason")
    with transaction.atomic():
        FundingCall.objects.select_for_update().filter(pk=award.call_id).first()
        locked_award = Award.objects.select_for_update().get(pk=award.pk)
        if locked_award.status != AwardStatus.FINAL or not locked_award.notice_number:
            raise NoticeError(_("Only a final award with a notice number has a notice."), code="state")
        current = FundingNotice.objects.select_for_update().filter(award=locked_award, current=True).first()
        if current is None:
            raise NoticeError(_("This award has no notice yet: start the call's batch first."), code="state")
        if current.status == NoticeStatus.PENDING:
            raise NoticeError(
                _("The current version is still being built; make a new one once it is ready."), code="state"
            )
        top = FundingNotice.objects.filter(award=locked_award).aggregate(m=Max("version"))["m"] or 0
        FundingNotice.objects.filter(pk=current.pk).update(current=False)
        notice = FundingNotice.objects.create(
            award=locked_award,
            version=top + 1,
            number=locked_award.notice_number,
            verification_code=new_verification_code(),
            created_by=_actor(by),
        )
        audit_record(
            actor=by,
            action="notice.regenerate",
            obj=notice,
            reason=reason,
            data={
                "award": locked_award.pk,
                "version": notice.version,
                "replaces": current.pk,
                "replaced_version": current.version,
            },
        )
        notice_id = notice.pk
        transaction.on_commit(lambda: notice_render_task.delay(notice_id), robust=True)
    notice.refresh_from_db()
    return notice


# --- The sweep -------------------------------------------------------------------------------


def notices_requeue_stale(*, older_than: timedelta) -> int:
    """Send work again whose worker died or whose message was lost; returns the tasks sent.

    - A batch job running without progress for ``older_than`` (no notice finished, since each
      one recounts the job): its batch task is sent again, which queues every pending notice
      of the call again. Queued jobs whose message never left are the job sweep's
      (``portal.jobs``).
    - A pending notice of no unfinished batch (a new version, a retry after its batch ended)
      created before ``older_than``: its render task is sent again.
    Tasks are idempotent, so work that was only slow is not harmed."""
    from reviews.tasks import notice_batch_task, notice_render_task

    now = timezone.now()
    cutoff = now - older_than
    sent = 0
    stale_jobs = list(
        Job.objects.filter(kind=BATCH_JOB, status=JobStatus.RUNNING, updated_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    for job_id in stale_jobs:
        Job.objects.filter(pk=job_id).update(updated_at=now)
        notice_batch_task.delay(job_id)
        sent += 1
    orphans = (
        FundingNotice.objects.filter(status=NoticeStatus.PENDING, created_at__lt=cutoff)
        .filter(Q(job__isnull=True) | ~Q(job__status__in=UNFINISHED))
        .values_list("pk", "attempts")
    )
    for notice_id, attempts in orphans:
        if attempts >= MAX_ATTEMPTS:
            notice_render_fail(
                notice_id=notice_id,
                error=RuntimeError(
                    _("Gave up after %(count)d attempts: the worker building it stopped each time.")
                    % {"count": attempts}
                ),
            )
            continue
        notice_render_task.delay(notice_id)
        sent += 1
    return sent
