"""Celery tasks of the review. Thin: they take ids and call services."""

import logging

from celery import shared_task
from celery.signals import worker_process_init
from django.db import OperationalError

from applications.tasks import RETRIED

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError, ConnectionError)


@shared_task(bind=True, **RETRIED)
def assignment_run_task(self, job_id: int) -> str:  # noqa: ANN001
    """Draw the panels of the run whose job is ``job_id``.

    It takes the job's id (not the run's) because the stale-job sweep
    (``portal.jobs.services.jobs_requeue_stale``) sends every lost job's task again with the
    job's id. Whatever goes wrong ends as a failed run and job with a readable error — never
    as an exception in the web process that ran it eagerly — except a database or connection
    that is away for a moment, which is retried (and recorded as a failure after the last try).
    """
    from reviews.models import AssignmentRun
    from reviews.services.assignments import assignment_run_execute, assignment_run_fail

    run_id = AssignmentRun.objects.filter(job_id=job_id).values_list("pk", flat=True).first()
    if run_id is None:
        logger.warning("assignment job %s has no run", job_id)
        return "missing"
    try:
        run = assignment_run_execute(run_id=run_id)
    except TRANSIENT as error:
        in_process = self.request.is_eager or self.request.called_directly
        if not in_process and self.request.retries < self.max_retries:
            raise
        logger.exception("assignment run %s failed", run_id)
        run = assignment_run_fail(run_id=run_id, error=error)
    except Exception as error:
        logger.exception("assignment run %s failed", run_id)
        run = assignment_run_fail(run_id=run_id, error=error)
    return run.status


# --- Funding notices (reviews.services.notices) ------------------------------------------------


@shared_task(bind=True, **RETRIED)
def notice_batch_task(self, job_id: int) -> str:  # noqa: ANN001
    """Create the notices of the batch whose job is ``job_id`` and queue each one's render.

    A database or connection away for a moment is retried; anything else (and the last
    retry) ends as a failed job with a readable error, never as an exception in the web
    process that ran it eagerly. The batch is idempotent, so a retry or a second delivery
    creates nothing twice."""
    from portal.jobs.services import job_fail
    from reviews.services.notices import notice_batch_execute

    try:
        return notice_batch_execute(job_id=job_id)
    except TRANSIENT as error:
        in_process = self.request.is_eager or self.request.called_directly
        if not in_process and self.request.retries < self.max_retries:
            raise
        logger.exception("notice batch %s failed", job_id)
        job_fail(job_id=job_id, error=error)
    except Exception as error:
        logger.exception("notice batch %s failed", job_id)
        job_fail(job_id=job_id, error=error)
    return "failed"


@shared_task(bind=True, **RETRIED)
def notice_render_task(self, notice_id: int) -> str:  # noqa: ANN001
    """Build one notice's PDF (idempotent: a notice already built is left alone).

    The service records every non-transient error on the notice itself; a transient one is
    retried with backoff and, after the last try, recorded the same way for staff to retry."""
    from reviews.services.notices import notice_render, notice_render_fail

    try:
        return notice_render(notice_id=notice_id)
    except TRANSIENT as error:
        in_process = self.request.is_eager or self.request.called_directly
        if not in_process and self.request.retries < self.max_retries:
            raise
        logger.exception("funding notice %s failed", notice_id)
        return notice_render_fail(notice_id=notice_id, error=error).status


@shared_task
def notices_requeue_stale_task() -> int:
    from datetime import timedelta

    from reviews.services.notices import notices_requeue_stale

    return notices_requeue_stale(older_than=timedelta(minutes=5))


# --- Public announcement (reviews.services.publicity) -----------------------------------------


@shared_task
def publicity_close_due_task() -> int:
    from reviews.services.publicity import publicities_close_due

    return publicities_close_due()


@worker_process_init.connect
def _warm_notice_stylesheet(**kwargs) -> None:  # noqa: ANN003
    """Each worker child parses the notice's stylesheet once, before its first notice (about a
    second saved on it); the shared fonts are warmed by portal.celery."""
    from reviews.notice_document import notice_stylesheet

    notice_stylesheet()
