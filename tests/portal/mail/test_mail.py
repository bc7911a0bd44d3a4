"""Outgoing email is stored in the request's transaction and sent by a task after commit."""

import smtplib

import pytest
from django.core import mail

from portal.mail.models import EmailStatus, OutgoingEmail
from portal.mail.services import email_queue, email_send

pytestmark = pytest.mark.django_db


def test_it_sends_after_commit_and_marks_the_row_sent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = email_queue(to="pi@example.test", subject="主题", body="正文", kind="test")
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and email.sent_at is not None
    assert [m.to for m in mail.outbox] == [["pi@example.test"]]
    assert mail.outbox[0].subject == "主题"


def test_nothing_leaves_before_the_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        email_queue(to="pi@example.test", subject="s", body="b", kind="test")
    assert mail.outbox == [] and len(callbacks) == 1


def test_sending_twice_sends_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = email_queue(to="pi@example.test", subject="s", body="b", kind="test")
    email_send(email_id=email.pk)
    assert len(mail.outbox) == 1


def test_a_secret_is_not_kept_after_sending(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = email_queue(
            to="pi@example.test", subject="s", body="link with token", kind="t", sensitive=True
        )
    email.refresh_from_db()
    assert email.body == "" and "link with token" in mail.outbox[0].body


def test_a_subject_cannot_carry_extra_header_lines():
    email = email_queue(to="pi@example.test", subject="hello\nBcc: x@evil.test", body="b", kind="test")
    assert email.subject == "hello Bcc: x@evil.test"


def test_a_mail_server_error_is_recorded_and_the_message_can_be_sent_later(monkeypatch):
    email = email_queue(to="pi@example.test", subject="s", body="b", kind="test")

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        email_send(email_id=email.pk)
    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED and "gone" in email.error
    monkeypatch.undo()
    assert email_send(email_id=email.pk).status == EmailStatus.SENT
    assert OutgoingEmail.objects.get().attempts == 2


def test_a_message_another_worker_is_sending_is_not_sent_twice():
    from django.utils import timezone

    from portal.mail.services import EmailBusy

    email = email_queue(to="pi@example.test", subject="s", body="b", kind="test")
    OutgoingEmail.objects.filter(pk=email.pk).update(status=EmailStatus.SENDING, claimed_at=timezone.now())
    with pytest.raises(EmailBusy):
        email_send(email_id=email.pk)
    assert mail.outbox == []


def test_a_message_whose_sender_died_is_taken_over():
    from datetime import timedelta

    from django.utils import timezone

    email = email_queue(to="pi@example.test", subject="s", body="b", kind="test")
    OutgoingEmail.objects.filter(pk=email.pk).update(
        status=EmailStatus.SENDING, claimed_at=timezone.now() - timedelta(minutes=5)
    )
    assert email_send(email_id=email.pk).status == EmailStatus.SENT
    assert len(mail.outbox) == 1
