"""Queueing and sending email. Views and services queue; the Celery task sends after commit."""

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from portal.mail.models import EmailStatus, OutgoingEmail

# Longer than any one attempt (the SMTP timeout is 20 s): a claim this old is a dead worker's.
CLAIM_EXPIRES = timedelta(minutes=2)


class EmailBusy(Exception):
    """Another worker is sending this message right now; try again after its claim expires."""


def email_queue(*, to: str, subject: str, body: str, kind: str, sensitive: bool = False) -> OutgoingEmail:
    """Store a message and send it once the surrounding transaction commits (never inside it)."""
    from portal.mail.tasks import email_send_task

    # Header injection: a subject is one line.
    subject = " ".join(subject.split())[:300]
    email = OutgoingEmail.objects.create(to=to, subject=subject, body=body, kind=kind, sensitive=sensitive)
    # robust: a mail server or broker that is away never breaks the request; the row stays queued.
    transaction.on_commit(lambda: email_send_task.delay(email.pk), robust=True)
    return email


def emails_queue(
    *, messages: list[tuple[str, str, str]], kind: str, reference: str = ""
) -> list[OutgoingEmail]:
    """``email_queue`` for several messages ``(to, subject, body)`` at once: one insert."""
    from portal.mail.tasks import email_send_task

    emails = OutgoingEmail.objects.bulk_create(
        OutgoingEmail(
            to=to, subject=" ".join(subject.split())[:300], body=body, kind=kind, reference=reference
        )
        for to, subject, body in messages
    )
    for email in emails:
        transaction.on_commit(lambda pk=email.pk: email_send_task.delay(pk), robust=True)
    return emails


def email_send(*, email_id: int) -> OutgoingEmail:
    """Send a queued message once. A message being sent by another worker raises EmailBusy;
    one whose sender died (its claim expired) is taken over."""
    now = timezone.now()
    claimable = Q(status__in=[EmailStatus.QUEUED, EmailStatus.FAILED]) | Q(
        status=EmailStatus.SENDING, claimed_at__lt=now - CLAIM_EXPIRES
    )
    claimed = OutgoingEmail.objects.filter(claimable, pk=email_id).update(
        status=EmailStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    email = OutgoingEmail.objects.get(pk=email_id)
    if not claimed:
        if email.status == EmailStatus.SENDING:
            raise EmailBusy(email_id)
        return email
    try:
        EmailMessage(email.subject, email.body, settings.DEFAULT_FROM_EMAIL, [email.to]).send()
    except Exception as error:
        OutgoingEmail.objects.filter(pk=email_id).update(
            status=EmailStatus.FAILED, error=f"{type(error).__name__}: {error}"[:2000]
        )
        raise
    changes = {"status": EmailStatus.SENT, "sent_at": timezone.now(), "error": ""}
    if email.sensitive:
        changes["body"] = ""
    OutgoingEmail.objects.filter(pk=email_id).update(**changes)
    email.refresh_from_db()
    return email


def emails_requeue_stale(*, older_than: timedelta) -> int:
    """Queue again every message still waiting after ``older_than`` (its task was lost)."""
    from portal.mail.tasks import email_send_task

    stale = OutgoingEmail.objects.filter(
        status=EmailStatus.QUEUED, created_at__lt=timezone.now() - older_than
    )
    ids = list(stale.values_list("pk", flat=True))
    for email_id in ids:
        email_send_task.delay(email_id)
    return len(ids)
