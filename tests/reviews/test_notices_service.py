"""The notice services: the batch and its job, one render per notice, the project leader's
email, failures and retries, new versions, the sweep and the ``generate_notices`` command.

Most tests replace the PDF renderer with a stub (the PDF itself is tested in
test_notices_pdf.py); tasks run in-process at commit (no broker in unit tests)."""

import hashlib
import os
from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.utils import timezone, translation

from portal.audit.models import AuditEvent
from portal.jobs.models import Job, JobStatus
from portal.mail.models import OutgoingEmail
from reviews import notice_document
from reviews.models import Award, AwardStatus, FundingNotice, NoticeStatus
from reviews.services import notices as service
from reviews.services.notices import (
    BATCH_JOB,
    MAX_ATTEMPTS,
    NoticeError,
    notice_batch_execute,
    notice_regenerate,
    notice_render,
    notice_retry,
    notices_batch_start,
    notices_requeue_stale,
)
from tests.factories import FundingCallFactory, UserFactory
from tests.reviews.award_factories import make_award
from tests.reviews.factories import make_staff

pytestmark = pytest.mark.django_db


class Renderer:
    """Stands in for WeasyPrint: a distinct small PDF per call; can be told to fail."""

    def __init__(self) -> None:
        self.calls: list[int] = []
        self.error: BaseException | None = None

    def __call__(self, notice: FundingNotice) -> bytes:
        self.calls.append(notice.pk)
        if self.error is not None:
            raise self.error
        return b"%PDF-1.7\n% notice " + notice.verification_code.encode() + b"\n%%EOF\n"


@pytest.fixture
def renderer(monkeypatch) -> Renderer:
    fake = Renderer()
    monkeypatch.setattr(notice_document, "notice_pdf", fake)
    return fake


@pytest.fixture
def staff():
    return make_staff("SC")


def final_awards(count: int, call=None) -> list[Award]:
    call = call or FundingCallFactory()
    return [make_award(call, status=AwardStatus.FINAL, score=90 - i) for i in range(count)]


def start(capture, call, by):
    with capture(execute=True):
        job = notices_batch_start(call=call, by=by)
    job.refresh_from_db()
    return job


# --- The batch -----------------------------------------------------------------------------------


def test_a_batch_builds_one_notice_per_final_award_and_the_job_ends_done(
    renderer, staff, django_capture_on_commit_callbacks
):
    awards = final_awards(3)
    make_award(awards[0].call, status=AwardStatus.ANNOUNCED)  # not final: no notice

    job = start(django_capture_on_commit_callbacks, awards[0].call, staff)

    assert (job.kind, job.task, job.status) == (BATCH_JOB, "reviews.tasks.notice_batch_task", JobStatus.DONE)
    assert (job.done, job.total, job.failed) == (3, 3, 0)
    notices = list(FundingNotice.objects.order_by("award__notice_serial"))
    assert [n.award_id for n in notices] == [a.pk for a in awards]
    assert [n.number for n in notices] == [
        "川渝联研〔2021〕1号",
        "川渝联研〔2021〕2号",
        "川渝联研〔2021〕3号",
    ]
    for notice in notices:
        assert (notice.version, notice.current, notice.status, notice.job_id) == (1, True, "done", job.pk)
        assert notice.created_by == staff and notice.attempts == 1
        with default_storage.open(notice.file.name, "rb") as stored:
            assert hashlib.sha256(stored.read()).hexdigest() == notice.sha256
        assert (
            notice.file.name
            == f"notices/{notice.award.call_id}/{notice.award_id}/v1-{notice.verification_code}.pdf"
        )
    assert len({n.verification_code for n in notices}) == 3
    assert AuditEvent.objects.filter(action="notices.batch_start", actor=staff).count() == 1
    assert AuditEvent.objects.filter(action="notice.render").count() == 3


def test_running_the_batch_again_creates_nothing_twice(renderer, staff, django_capture_on_commit_callbacks):
    awards = final_awards(2)
    job = start(django_capture_on_commit_callbacks, awards[0].call, staff)
    before = list(
        FundingNotice.objects.values_list("pk", "verification_code", "sha256", "file", "emailed_at")
    )

    # The same job delivered again (a redelivered message) and a new run by staff.
    with django_capture_on_commit_callbacks(execute=True):
        Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
        notice_batch_execute(job_id=job.pk)
    second = start(django_capture_on_commit_callbacks, awards[0].call, staff)

    assert (
        list(FundingNotice.objects.values_list("pk", "verification_code", "sha256", "file", "emailed_at"))
        == before
    )
    assert len(renderer.calls) == 2
    assert OutgoingEmail.objects.filter(kind="funding_notice").count() == 2
    assert (second.status, second.done, second.total) == (JobStatus.DONE, 2, 2)


def test_a_finished_job_delivered_again_does_nothing(renderer, staff, django_capture_on_commit_callbacks):
    awards = final_awards(1)
    job = start(django_capture_on_commit_callbacks, awards[0].call, staff)

    assert notice_batch_execute(job_id=job.pk) == JobStatus.DONE
    assert FundingNotice.objects.count() == 1 and len(renderer.calls) == 1


def test_a_batch_under_way_is_reused_not_doubled(renderer, staff):
    awards = final_awards(2)
    # Without running the commit callbacks the job stays queued, as with the broker away.
    first = notices_batch_start(call=awards[0].call, by=staff)
    second = notices_batch_start(call=awards[0].call, by=make_staff("CQ"))

    assert first.pk == second.pk and first.status == JobStatus.QUEUED
    assert Job.objects.filter(kind=BATCH_JOB).count() == 1
    assert AuditEvent.objects.filter(action="notices.batch_resend").count() == 1


def test_a_call_without_final_awards_has_no_batch(staff):
    award = make_award(status=AwardStatus.ANNOUNCED)
    with pytest.raises(NoticeError) as refused:
        notices_batch_start(call=award.call, by=staff)
    assert refused.value.code == "state"
    assert not Job.objects.exists()


@pytest.mark.parametrize("role", ["applicant", "unit_admin", "reviewer"])
def test_only_review_staff_start_a_batch(role):
    award = make_award(status=AwardStatus.FINAL)
    with pytest.raises(NoticeError) as refused:
        notices_batch_start(call=award.call, by=UserFactory(role=role))
    assert refused.value.code == "not_allowed"


def test_the_portal_itself_may_start_a_batch(renderer, django_capture_on_commit_callbacks):
    award = make_award(status=AwardStatus.FINAL)
    job = start(django_capture_on_commit_callbacks, award.call, None)
    assert job.status == JobStatus.DONE and job.created_by is None


# --- One notice ----------------------------------------------------------------------------------


def test_rendering_a_notice_twice_leaves_one_file_one_event_and_one_email(
    renderer, staff, django_capture_on_commit_callbacks
):
    awards = final_awards(1)
    start(django_capture_on_commit_callbacks, awards[0].call, staff)
    notice = FundingNotice.objects.get()

    assert notice_render(notice_id=notice.pk) == NoticeStatus.DONE

    again = FundingNotice.objects.get()
    assert (again.sha256, again.file.name, again.generated_at) == (
        notice.sha256,
        notice.file.name,
        notice.generated_at,
    )
    assert len(renderer.calls) == 1
    assert AuditEvent.objects.filter(action="notice.render", object_id=str(notice.pk)).count() == 1
    assert OutgoingEmail.objects.filter(reference=f"notice:{notice.pk}").count() == 1
    folder = default_storage.path(f"notices/{awards[0].call_id}/{awards[0].pk}")
    assert os.listdir(folder) == [f"v1-{notice.verification_code}.pdf"]


def test_a_file_left_by_a_dead_attempt_is_replaced_at_the_same_key(renderer, staff):
    awards = final_awards(1)
    notices_batch_start(call=awards[0].call, by=staff)  # queued; the batch runs below
    job = Job.objects.get()
    notice_batch_execute(job_id=job.pk)
    notice = FundingNotice.objects.get()
    key = f"notices/{awards[0].call_id}/{awards[0].pk}/v1-{notice.verification_code}.pdf"
    default_storage.save(key, ContentFile(b"half a file"))

    notice_render(notice_id=notice.pk)

    notice.refresh_from_db()
    assert notice.file.name == key
    with default_storage.open(key, "rb") as stored:
        assert stored.read().startswith(b"%PDF")


def test_the_project_leader_is_emailed_a_link_once(renderer, staff, django_capture_on_commit_callbacks):
    award = final_awards(1)[0]
    start(django_capture_on_commit_callbacks, award.call, staff)
    notice = FundingNotice.objects.get()

    email = OutgoingEmail.objects.get(kind="funding_notice")
    assert email.to == award.application.pi.email and email.reference == f"notice:{notice.pk}"
    assert f"/review/notices/{notice.pk}/" in email.body and notice.number in email.subject
    assert notice.emailed_at is not None


def test_a_render_error_marks_the_notice_failed_for_staff_to_retry(
    renderer, staff, django_capture_on_commit_callbacks
):
    awards = final_awards(2)
    renderer.error = ValueError("the template broke")

    job = start(django_capture_on_commit_callbacks, awards[0].call, staff)

    assert (job.status, job.done, job.failed) == (JobStatus.FAILED, 0, 2)
    assert job.error
    failed = FundingNotice.objects.first()
    assert (failed.status, failed.attempts) == (NoticeStatus.FAILED, 1)
    assert failed.error == "ValueError: the template broke"
    assert failed.emailed_at is None
    assert AuditEvent.objects.filter(action="notice.render_fail").count() == 2

    renderer.error = None
    with django_capture_on_commit_callbacks(execute=True):
        retried = notice_retry(notice=failed, by=staff)
    retried.refresh_from_db()
    assert (retried.status, retried.attempts, retried.error) == (NoticeStatus.DONE, 1, "")
    job.refresh_from_db()
    assert (job.status, job.done, job.failed) == (JobStatus.FAILED, 1, 1)
    assert AuditEvent.objects.filter(action="notice.retry", actor=staff).count() == 1

    # A new run of the batch tries the other failure again.
    job = start(django_capture_on_commit_callbacks, awards[0].call, staff)
    assert (job.status, job.done, job.failed) == (JobStatus.DONE, 2, 0)


def test_only_a_failed_current_notice_is_retried(renderer, staff, django_capture_on_commit_callbacks):
    award = final_awards(1)[0]
    start(django_capture_on_commit_callbacks, award.call, staff)
    with pytest.raises(NoticeError) as refused:
        notice_retry(notice=FundingNotice.objects.get(), by=staff)
    assert refused.value.code == "state"
    with pytest.raises(NoticeError) as refused:
        notice_retry(notice=FundingNotice.objects.get(), by=UserFactory())
    assert refused.value.code == "not_allowed"


def test_a_transient_error_is_raised_for_the_task_to_retry(renderer, staff):
    award = final_awards(1)[0]
    notices_batch_start(call=award.call, by=staff)
    notice_batch_execute(job_id=Job.objects.get().pk)
    renderer.error = OperationalError("the database went away")
    notice = FundingNotice.objects.get()

    with pytest.raises(OperationalError):
        notice_render(notice_id=notice.pk)

    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (NoticeStatus.PENDING, 1)


def test_the_task_records_a_transient_error_when_it_cannot_retry(renderer, staff):
    from reviews.tasks import notice_render_task

    award = final_awards(1)[0]
    notices_batch_start(call=award.call, by=staff)
    notice_batch_execute(job_id=Job.objects.get().pk)
    renderer.error = OperationalError("the database went away")
    notice = FundingNotice.objects.get()

    assert notice_render_task.apply(args=[notice.pk]).get() == NoticeStatus.FAILED

    notice.refresh_from_db()
    assert notice.status == NoticeStatus.FAILED and "went away" in notice.error


def test_a_batch_task_that_breaks_ends_as_a_failed_job(monkeypatch, staff):
    from reviews.tasks import notice_batch_task

    award = final_awards(1)[0]
    job = notices_batch_start(call=award.call, by=staff)

    def broken(**kwargs):
        raise RuntimeError("numbering broke")

    monkeypatch.setattr(service, "notice_numbers_assign", broken)
    assert notice_batch_task.apply(args=[job.pk]).get() == "failed"
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "numbering broke" in job.error


# --- New versions --------------------------------------------------------------------------------


def test_a_new_version_keeps_the_old_one(renderer, staff, django_capture_on_commit_callbacks):
    award = final_awards(1)[0]
    start(django_capture_on_commit_callbacks, award.call, staff)
    first = FundingNotice.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        second = notice_regenerate(award=award, by=staff, reason="合作单位名称更正")

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.version, first.current, first.status) == (1, False, NoticeStatus.DONE)
    assert (second.version, second.current, second.status) == (2, True, NoticeStatus.DONE)
    assert second.number == first.number and second.verification_code != first.verification_code
    assert second.file.name != first.file.name and default_storage.exists(first.file.name)
    assert second.job_id is None and second.created_by == staff
    event = AuditEvent.objects.get(action="notice.regenerate")
    assert event.reason == "合作单位名称更正" and event.actor == staff
    assert event.data["replaces"] == first.pk and event.data["version"] == 2
    assert OutgoingEmail.objects.filter(kind="funding_notice").count() == 2  # one per version


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001, "bad\x00text"])
def test_a_new_version_needs_a_reason(renderer, staff, django_capture_on_commit_callbacks, reason):
    award = final_awards(1)[0]
    start(django_capture_on_commit_callbacks, award.call, staff)
    with pytest.raises(NoticeError) as refused:
        notice_regenerate(award=award, by=staff, reason=reason)
    assert (refused.value.code, refused.value.field) == ("reason", "reason")
    assert FundingNotice.objects.count() == 1


def test_no_new_version_while_the_current_one_is_being_built(renderer, staff):
    award = final_awards(1)[0]
    notices_batch_start(call=award.call, by=staff)
    notice_batch_execute(job_id=Job.objects.get().pk)  # created, not rendered (callbacks not run)
    with pytest.raises(NoticeError) as refused:
        notice_regenerate(award=award, by=staff, reason="更正")
    assert refused.value.code == "state"


def test_no_new_version_before_the_first_or_for_others(staff):
    award = make_award(status=AwardStatus.FINAL)
    with pytest.raises(NoticeError) as refused:
        notice_regenerate(award=award, by=staff, reason="更正")
    assert refused.value.code == "state"
    with pytest.raises(NoticeError) as refused:
        notice_regenerate(award=award, by=award.application.pi, reason="更正")
    assert refused.value.code == "not_allowed"


# --- The sweep -----------------------------------------------------------------------------------


def test_the_sweep_sends_again_a_batch_that_stopped_making_progress(
    renderer, staff, django_capture_on_commit_callbacks
):
    awards = final_awards(2)
    notices_batch_start(call=awards[0].call, by=staff)
    job = Job.objects.get()
    notice_batch_execute(job_id=job.pk)  # notices created; their render messages were lost
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=10))

    with django_capture_on_commit_callbacks(execute=True):
        assert notices_requeue_stale(older_than=timedelta(minutes=5)) == 1

    job.refresh_from_db()
    assert (job.status, job.done) == (JobStatus.DONE, 2)
    assert FundingNotice.objects.filter(status=NoticeStatus.DONE).count() == 2


def test_the_sweep_leaves_a_batch_that_makes_progress_alone(renderer, staff):
    awards = final_awards(1)
    notices_batch_start(call=awards[0].call, by=staff)
    notice_batch_execute(job_id=Job.objects.get().pk)

    assert notices_requeue_stale(older_than=timedelta(minutes=5)) == 0
    assert renderer.calls == []


def test_the_sweep_sends_again_a_lost_new_version(renderer, staff, django_capture_on_commit_callbacks):
    award = final_awards(1)[0]
    start(django_capture_on_commit_callbacks, award.call, staff)
    new = notice_regenerate(award=award, by=staff, reason="更正")  # its message is lost
    FundingNotice.objects.filter(pk=new.pk).update(created_at=timezone.now() - timedelta(minutes=10))

    assert notices_requeue_stale(older_than=timedelta(minutes=5)) == 1

    new.refresh_from_db()
    assert new.status == NoticeStatus.DONE


def test_the_sweep_gives_up_on_a_notice_that_kills_its_worker(
    renderer, staff, django_capture_on_commit_callbacks
):
    award = final_awards(1)[0]
    start(django_capture_on_commit_callbacks, award.call, staff)
    new = notice_regenerate(award=award, by=staff, reason="更正")
    FundingNotice.objects.filter(pk=new.pk).update(
        created_at=timezone.now() - timedelta(minutes=10), attempts=MAX_ATTEMPTS
    )

    assert notices_requeue_stale(older_than=timedelta(minutes=5)) == 0

    new.refresh_from_db()
    assert new.status == NoticeStatus.FAILED and str(MAX_ATTEMPTS) in new.error


# --- The command (a committed transaction: the batch runs at commit, as in production) ---------


@pytest.mark.django_db(transaction=True)
def test_generate_notices_builds_the_call_and_prints_the_counts(renderer):
    award = make_award(status=AwardStatus.FINAL)
    out = StringIO()

    call_command("generate_notices", "--call", str(award.call_id), "--wait", stdout=out)

    assert "1/1 done, 0 failed" in out.getvalue()
    assert FundingNotice.objects.get().status == NoticeStatus.DONE
    assert AuditEvent.objects.filter(action="notices.batch_start", actor=None).count() == 1


@pytest.mark.django_db(transaction=True)
def test_generate_notices_fails_when_a_notice_fails(renderer):
    award = make_award(status=AwardStatus.FINAL)
    renderer.error = ValueError("broken")
    with translation.override("en"), pytest.raises(CommandError, match="could not be built"):
        call_command("generate_notices", "--call", str(award.call_id), "--wait", stdout=StringIO())
    assert FundingNotice.objects.get().status == NoticeStatus.FAILED


def test_generate_notices_refuses_an_unknown_call_or_one_without_final_awards():
    with pytest.raises(CommandError, match="no funding call"):
        call_command("generate_notices", "--call", "999999", stdout=StringIO())
    award = make_award(status=AwardStatus.APPROVED)
    with translation.override("en"), pytest.raises(CommandError, match="no final award"):
        call_command("generate_notices", "--call", str(award.call_id), stdout=StringIO())
