"""Celery tasks of the review. Thin: they take ids and call services."""

import logging

from celery import shared_task
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
