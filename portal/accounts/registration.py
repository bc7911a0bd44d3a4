"""Self-service registration: an inactive account, a confirmation link by email, activation.

A researcher may ask at once to join a registered unit; a research office registers its unit
and becomes its unit administrator. Either way the account works only after the person has
opened the link, which proves that the address is theirs.
"""

from collections.abc import Mapping

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.audit.services import audit_record
from portal.mail.services import email_queue
from portal.organizations.membership import membership_request, membership_request_announce
from portal.organizations.models import MembershipRequest, MembershipStatus, Organization
from portal.organizations.services import EDITABLE_FIELDS, organization_create, organization_uscc_clean

EMAIL_TAKEN = _("A user with this email address already exists.")
UNIT_TAKEN = _(
    "This unit is already registered on the portal. Register as a researcher and ask to join it; "
    "its unit administrator decides."
)


class RegistrationKind(models.TextChoices):
    RESEARCHER = "researcher", _("I am a researcher")
    UNIT = "unit", _("I register my unit (research office / unit administrator)")


class AccountConfirmationTokenGenerator(PasswordResetTokenGenerator):
    """Links of the confirmation email. Confirming flips ``is_active``, so a link works once;
    they expire after ``PASSWORD_RESET_TIMEOUT`` like reset links."""

    key_salt = "portal.accounts.registration.AccountConfirmationTokenGenerator"

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}"


confirmation_tokens = AccountConfirmationTokenGenerator()


def registration_uscc_clean(uscc: str) -> str:
    """The unit services' GB 32100 rule without the staff override, and one registration per
    code: a registered unit is joined, not registered again. Raises on ``uscc``."""
    code, _override = organization_uscc_clean(uscc=uscc, by=None, override_reason="")
    if Organization.objects.filter(uscc=code).exists():
        raise ValidationError({"uscc": ValidationError(UNIT_TAKEN, code="registered")})
    return code


def email_taken(email: str) -> bool:
    return User.objects.filter(email__iexact=email.strip()).exists()


def _queue_confirmation(user: User) -> None:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse(
        "accounts:register_confirm", kwargs={"uidb64": uid, "token": confirmation_tokens.make_token(user)}
    )
    context = {
        "user": user,
        "link": settings.PORTAL_BASE_URL + path,
        "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    email_queue(
        to=user.email,
        subject=render_to_string("accounts/email/register_confirm_subject.txt", context),
        body=render_to_string("accounts/email/register_confirm_body.txt", context),
        kind="account_confirmation",
        sensitive=True,
    )


@transaction.atomic
def user_register(
    *,
    email: str,
    full_name: str,
    phone: str,
    password: str,
    join: Organization | None = None,
    unit: Mapping[str, str] | None = None,
) -> User:
    """Create an inactive account and queue its confirmation email.

    With ``unit`` (the unit's fields, as ``organization_create`` takes them) the unit is
    registered too and the person becomes its unit administrator; otherwise the person is an
    applicant who, with ``join``, asks to join that unit. ``password`` has passed Django's
    validators (the form checks it against the person's data). Raises ``ValidationError``
    keyed by field; nothing is kept then.
    """
    if unit is not None and join is not None:
        raise ValueError("a person either registers a unit or asks to join one")
    email = User.objects.normalize_email(email).strip().lower()
    if email_taken(email):
        raise ValidationError({"email": ValidationError(EMAIL_TAKEN, code="unique")})
    unit_fields = {name: str(unit.get(name, "")) for name in EDITABLE_FIELDS} if unit is not None else None
    if unit_fields is not None:
        unit_fields["uscc"] = registration_uscc_clean(unit_fields["uscc"])

    user = User(
        email=email,
        full_name=full_name.strip(),
        phone=phone.strip(),
        role=Role.UNIT_ADMIN if unit_fields is not None else Role.APPLICANT,
        is_active=False,
    )
    user.set_password(password)
    user.full_clean(exclude=["password", "last_login"], validate_unique=False)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        # The same address registered in the same instant.
        raise ValidationError({"email": ValidationError(EMAIL_TAKEN, code="unique")}) from error

    organization = None
    if unit_fields is not None:
        # Audited by the unit services, with the new person as the one who registered it.
        organization = organization_create(by=user, **unit_fields)
        user.organization = organization
        user.save(update_fields=["organization"])
    elif join is not None:
        membership_request(user=user, organization=join)

    audit_record(
        actor=user,
        action="user.register",
        obj=user,
        to_state="inactive",
        data={
            "role": user.role,
            "organization": organization.pk if organization else None,
            "join": join.pk if join else None,
        },
    )
    _queue_confirmation(user)
    return user


def user_register_confirm(*, uidb64: str, token: str) -> User | None:
    """Activate the account of a valid link. ``None`` for a link that is malformed, expired or
    used already (a second click in the same instant included)."""
    try:
        pk = User._meta.pk.to_python(urlsafe_base64_decode(uidb64).decode())
        user = User.objects.filter(pk=pk).first()
    except (TypeError, ValueError, OverflowError, ValidationError):
        return None
    if user is None or user.is_active or not confirmation_tokens.check_token(user, token):
        return None
    with transaction.atomic():
        if User.objects.filter(pk=user.pk, is_active=False).update(is_active=True) != 1:
            return None
        user.is_active = True
        audit_record(
            actor=user, action="user.register_confirm", obj=user, from_state="inactive", to_state="active"
        )
        pending = (
            MembershipRequest.objects.filter(user=user, status=MembershipStatus.PENDING)
            .select_related("organization", "user")
            .first()
        )
        if pending is not None:
            membership_request_announce(request=pending)
    return user
