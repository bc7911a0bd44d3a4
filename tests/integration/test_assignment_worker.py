"""The assignment of experts through a real worker: the run is queued on commit through Redis,
solved by the worker against PostgreSQL, and its job reaches done; a run whose message was
lost is sent again by the stale-job sweep (which passes the job's id)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from applications.models import ApplicationStatus
from portal.jobs.models import Job, JobStatus
from portal.jobs.services import job_create, jobs_requeue_stale
from reviews.models import Assignment, AssignmentRun
from reviews.services.assignments import assignment_run_start
from tests.integration.conftest import Worker
from tests.reviews.factories import make_accepted_application, make_call_with_rubric, make_expert, make_staff

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TIMEOUT = 90.0


def a_small_call():
    call = make_call_with_rubric(reviewers_per_application=3, min_reviewers_per_province=1)
    applications = [make_accepted_application(call, province=p) for p in ("SC", "CQ", "SC")]
    for province in ("SC", "CQ"):
        for _ in range(4):
            make_expert(province)
    return call, applications


def job_over(job_id: int) -> bool:
    return Job.objects.filter(pk=job_id, status__in=[JobStatus.DONE, JobStatus.FAILED]).exists()


def test_a_run_goes_through_the_worker_and_its_job_reaches_done(worker: Worker) -> None:
    call, applications = a_small_call()

    run = assignment_run_start(call=call, by=make_staff(), seed=20211)

    assert run.status == AssignmentRun.Status.QUEUED  # the worker draws, not the web process
    worker.wait_for(lambda: job_over(run.job_id), "the assignment job", TIMEOUT)
    job = Job.objects.get(pk=run.job_id)
    run.refresh_from_db()
    assert (job.status, job.done, job.error) == (JobStatus.DONE, 100, "")
    assert (run.status, run.assigned, run.shortfalls, run.optimal) == ("done", 9, [], True)
    for application in applications:
        application.refresh_from_db()
        assert application.status == ApplicationStatus.UNDER_REVIEW
        assert Assignment.objects.filter(application=application, run=run).count() == 3


def test_a_run_whose_message_was_lost_is_sent_again_by_the_sweep(worker: Worker) -> None:
    call, _applications = a_small_call()
    staff = make_staff()
    # As if the broker had been down at commit: the run and its job exist, no message was sent.
    run = AssignmentRun.objects.create(
        call=call, seed=5, experts_per_application=3, min_per_province=1, created_by=staff
    )
    run.job = job_create(
        kind="review.assignment", task="reviews.tasks.assignment_run_task", obj=run, total=100, by=staff
    )
    run.save(update_fields=["job"])
    Job.objects.filter(pk=run.job_id).update(updated_at=timezone.now() - timedelta(minutes=10))

    assert jobs_requeue_stale(older_than=timedelta(minutes=2)) == 1

    worker.wait_for(lambda: job_over(run.job_id), "the swept assignment job", TIMEOUT)
    run.refresh_from_db()
    assert Job.objects.get(pk=run.job_id).status == JobStatus.DONE
    assert (run.status, run.assigned) == ("done", 9)
