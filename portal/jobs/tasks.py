"""Periodic work on jobs (scheduled by Celery beat, see CELERY_BEAT_SCHEDULE)."""

from datetime import timedelta

from celery import shared_task

from portal.jobs import services


@shared_task
def jobs_requeue_stale() -> int:
    return services.jobs_requeue_stale(older_than=timedelta(minutes=2))
