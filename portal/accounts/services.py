"""Writes on accounts that the pages share: password changes and reset emails, audited."""

from django.db import transaction
from django.template.loader import render_to_string

from portal.accounts.models import User
from portal.audit.services import audit_record
from portal.mail.services import email_queue


def user_password_changed(*, user: User, via: str) -> None:
    """Record a password change (the form has saved it); ``via`` says which page."""
    audit_record(actor=user, action="user.password_change", obj=user, data={"via": via})


def user_password_reset_email(*, user: User, context: dict) -> None:
    """Queue the email with a reset link; it leaves after commit and its text is not kept."""
    with transaction.atomic():
        subject = render_to_string("accounts/email/password_reset_subject.txt", context)
        body = render_to_string("accounts/email/password_reset_body.txt", context)
        email_queue(to=user.email, subject=subject, body=body, kind="password_reset", sensitive=True)
        audit_record(actor=None, action="user.password_reset_request", obj=user)
