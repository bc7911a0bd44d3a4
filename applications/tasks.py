"""Celery tasks of the applicant's side. Thin: they take ids and call services."""

from celery import shared_task
from django.db import OperationalError

from applications import printing, services

# Ids in, idempotent work: acknowledged after it is done, retried with jittered backoff when the
# database or a connection is away for a moment.
RETRIED = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, ConnectionError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(**RETRIED)
def call_guide_render_task(job_id: int) -> str:
    job = services.call_guide_render(job_id=job_id)
    return job.status


@shared_task(**RETRIED)
def application_print_task(job_id: int) -> str:
    job = printing.application_print_render(job_id=job_id)
    return job.status


@shared_task(**RETRIED)
def application_notify_task(event_id: int) -> int:
    from applications.notifications import application_notify

    return len(application_notify(event_id=event_id))


@shared_task
def application_notifications_sweep_task() -> int:
    from datetime import timedelta

    from applications.notifications import notifications_requeue_stale

    return notifications_requeue_stale(older_than=timedelta(minutes=2))
