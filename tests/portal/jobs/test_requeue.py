"""Work whose message the broker lost (it was down when the request committed) is sent again
by the periodic sweep, once it has waited long enough; nothing is done twice."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from applications.services import call_guide_request
from portal.jobs.models import Job, JobStatus
from portal.jobs.services import jobs_requeue_stale
from portal.mail.models import EmailStatus, OutgoingEmail
from portal.mail.services import email_queue, emails_requeue_stale
from tests.factories import FundingCallFactory

pytestmark = pytest.mark.django_db


def lose_the_message(django_capture_on_commit_callbacks, make):
    # The callbacks are captured and never run: as if the broker refused the message.
    with django_capture_on_commit_callbacks(execute=False):
        return make()


def test_a_job_still_queued_after_two_minutes_is_sent_again_and_done(django_capture_on_commit_callbacks):
    call = FundingCallFactory()
    job = lose_the_message(django_capture_on_commit_callbacks, lambda: call_guide_request(call=call))
    assert job.task == "applications.tasks.call_guide_render_task"
    assert (
        jobs_requeue_stale(older_than=timedelta(minutes=2)) == 0
    )  # too fresh: its message may be on its way
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=3))
    assert jobs_requeue_stale(older_than=timedelta(minutes=2)) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert jobs_requeue_stale(older_than=timedelta(minutes=0)) == 0  # done: left alone


def test_an_email_still_queued_after_two_minutes_is_sent_once(django_capture_on_commit_callbacks):
    email = lose_the_message(
        django_capture_on_commit_callbacks,
        lambda: email_queue(to="pi@example.test", subject="s", body="b", kind="test"),
    )
    OutgoingEmail.objects.filter(pk=email.pk).update(created_at=timezone.now() - timedelta(minutes=3))
    assert emails_requeue_stale(older_than=timedelta(minutes=2)) == 1
    assert emails_requeue_stale(older_than=timedelta(minutes=2)) == 0
    assert OutgoingEmail.objects.get().status == EmailStatus.SENT
    assert len(mail.outbox) == 1


def test_the_sweeps_are_on_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks == {
        "portal.jobs.tasks.jobs_requeue_stale",
        "portal.mail.tasks.emails_requeue_stale",
        "applications.tasks.application_notifications_sweep_task",
        "reviews.tasks.notices_requeue_stale_task",
        "reviews.tasks.publicity_close_due_task",
    }
    from portal.celery import app

    app.loader.import_default_modules()
    assert tasks <= set(app.tasks)
