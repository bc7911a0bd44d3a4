"""Writes on accounts that the pages share: password changes and reset emails, audited."""

from django.db import transaction
from django.template.loader import render_to_string
from rest_framework.authtoken.models import Token

from portal.accounts.models import User
from portal.audit.services import audit_record
from portal.mail.services import email_queue

# What a person may change about themselves; role, unit and province are set by administrators.
PROFILE_FIELDS = ("full_name", "id_type", "id_number", "birth_date", "title", "degree", "phone")


def user_profile_update(*, user: User, by: User, **changes: object) -> User:
    """Change a person's own data; the ID number is checked (GB 11643) and fixes the birth date."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        for name, value in changes.items():
            setattr(user, name, value)
        user.full_clean(exclude=["password", "last_login"])
        changed = sorted(changes)
        user.save(update_fields=[*changed, "birth_date"] if "id_number" in changes else changed)
        # Which fields, not their values: the trail should not spread ID numbers.
        audit_record(actor=by, action="user.profile_update", obj=user, data={"fields": changed})
    return user


def user_password_changed(*, user: User, via: str) -> None:
    """After a password change (the form has saved it): API tokens stop working, since they
    may have been taken with the old password, and the change is audited."""
    token_revoke(user=user)
    audit_record(actor=user, action="user.password_change", obj=user, data={"via": via})


def user_password_reset_email(*, user: User, context: dict) -> None:
    """Queue the email with a reset link; it leaves after commit and its text is not kept."""
    with transaction.atomic():
        subject = render_to_string("accounts/email/password_reset_subject.txt", context)
        body = render_to_string("accounts/email/password_reset_body.txt", context)
        email_queue(to=user.email, subject=subject, body=body, kind="password_reset", sensitive=True)
        audit_record(actor=None, action="user.password_reset_request", obj=user)


@transaction.atomic
def token_issue(*, user: User) -> Token:
    token, created = Token.objects.get_or_create(user=user)
    if created:
        # The audited object is the user: a token's primary key is the secret itself.
        audit_record(actor=user, action="auth.token_issue", obj=user)
    return token


@transaction.atomic
def token_revoke(*, user: User) -> None:
    deleted, _details = Token.objects.filter(user=user).delete()
    if deleted:
        audit_record(actor=user, action="auth.token_revoke", obj=user)
