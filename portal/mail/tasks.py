"""Sending email in a worker, with retries for a mail server that is away for a while."""

import smtplib
from datetime import timedelta

from celery import shared_task

from portal.mail import services


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError, OSError, services.EmailBusy),
    retry_backoff=30,
    retry_backoff_max=1800,
    retry_jitter=True,
    max_retries=8,
)
def email_send_task(email_id: int) -> str:
    return services.email_send(email_id=email_id).status


@shared_task
def emails_requeue_stale() -> int:
    return services.emails_requeue_stale(older_than=timedelta(minutes=2))
