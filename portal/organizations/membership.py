"""Researchers joining a unit: a request, then the decision of the unit's administrator.

A decision is a conditional UPDATE of the pending row, so two clicks (or two administrators)
decide once. The requester learns the decision by email, queued to leave after commit.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.audit.services import audit_record
from portal.fields import validate_no_control_characters
from portal.mail.services import email_queue
from portal.organizations.models import MembershipRequest, MembershipStatus, Organization
from portal.organizations.permissions import can_decide_membership, can_request_membership


def _already_pending(organization: Organization) -> ValidationError:
    return ValidationError(
        _(
            "You have already asked to join %(unit)s. Wait for the decision of its unit "
            "administrator before asking again."
        ),
        code="pending",
        params={"unit": organization.name},
    )


def membership_request(*, user: User, organization: Organization) -> MembershipRequest:
    """Ask to join ``organization``. Refused (``ValidationError``) for a person who belongs to
    a unit already, whose role is not a researcher's, or who waits for a decision."""
    with transaction.atomic():
        # Locking the person orders this against a decision that links them to a unit.
        user = User.objects.select_for_update().get(pk=user.pk)
        allowed, reason = can_request_membership(user)
        if not allowed:
            raise ValidationError(reason, code="not_allowed")
        pending = (
            MembershipRequest.objects.filter(user=user, status=MembershipStatus.PENDING)
            .select_related("organization")
            .first()
        )
        if pending is not None:
            raise _already_pending(pending.organization)
        try:
            # A savepoint: the caller's transaction survives a concurrent request's insert.
            with transaction.atomic():
                request = MembershipRequest.objects.create(user=user, organization=organization)
        except IntegrityError as error:
            raise _already_pending(organization) from error
        audit_record(
            actor=user,
            action="membership.request",
            obj=request,
            to_state=MembershipStatus.PENDING,
            data={"user": user.pk, "organization": organization.pk},
        )
        if user.is_active:
            membership_request_announce(request=request)
    return request


def membership_request_announce(*, request: MembershipRequest) -> None:
    """Tell the unit's administrators that a person waits for their decision (when the request
    is made, or when the account that made it at registration is confirmed)."""
    admins = User.objects.filter(
        role=Role.UNIT_ADMIN, organization_id=request.organization_id, is_active=True
    ).values_list("email", flat=True)
    context = {
        "user": request.user,
        "unit": request.organization,
        "link": settings.PORTAL_BASE_URL + reverse("units:members"),
    }
    for address in admins:
        email_queue(
            to=address,
            subject=render_to_string("organizations/email/membership_request_subject.txt", context),
            body=render_to_string("organizations/email/membership_request_body.txt", context),
            kind="membership_request",
        )


def _decide(request: MembershipRequest, *, by: User, status: str, reason: str) -> MembershipRequest:
    allowed, why_not = can_decide_membership(by, request)
    if not allowed:
        raise PermissionDenied(why_not)
    now = timezone.now()
    decided = MembershipRequest.objects.filter(pk=request.pk, status=MembershipStatus.PENDING).update(
        status=status, reason=reason, decided_by=by, decided_at=now
    )
    if decided != 1:
        raise ValidationError(_("This request has been decided already."), code="conflict")
    request.status, request.reason, request.decided_by, request.decided_at = status, reason, by, now
    return request


def _notify(request: MembershipRequest) -> None:
    context = {
        "reason": request.reason,
        "user": request.user,
        "unit": request.organization,
        "approved": request.status == MembershipStatus.APPROVED,
        "link": settings.PORTAL_BASE_URL + reverse("accounts:unit"),
    }
    email_queue(
        to=request.user.email,
        subject=render_to_string("organizations/email/membership_decision_subject.txt", context),
        body=render_to_string("organizations/email/membership_decision_body.txt", context),
        kind="membership_decision",
    )


def membership_approve(*, membership_request: MembershipRequest, by: User) -> MembershipRequest:
    """The unit administrator accepts the person: they now belong to the unit."""
    with transaction.atomic():
        request = _decide(membership_request, by=by, status=MembershipStatus.APPROVED, reason="")
        linked = User.objects.filter(pk=request.user_id, organization__isnull=True).update(
            organization=request.organization_id
        )
        if linked != 1:
            # Staff linked the person elsewhere meanwhile; the decision is rolled back with this.
            raise ValidationError(
                _("This person belongs to a unit already; reject the request instead."), code="conflict"
            )
        audit_record(
            actor=by,
            action="membership.approve",
            obj=request,
            from_state=MembershipStatus.PENDING,
            to_state=MembershipStatus.APPROVED,
            data={"user": request.user_id, "organization": request.organization_id},
        )
        _notify(request)
    return request


def membership_reject(*, membership_request: MembershipRequest, by: User, reason: str) -> MembershipRequest:
    """The unit administrator refuses the request, saying why (the requester reads the reason)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": ValidationError(_("Say why you reject the request."), code="required")}
        )
    try:
        validate_no_control_characters(reason)
    except ValidationError as error:
        raise ValidationError({"reason": error}) from error
    with transaction.atomic():
        request = _decide(membership_request, by=by, status=MembershipStatus.REJECTED, reason=reason)
        audit_record(
            actor=by,
            action="membership.reject",
            obj=request,
            from_state=MembershipStatus.PENDING,
            to_state=MembershipStatus.REJECTED,
            reason=reason,
            data={"user": request.user_id, "organization": request.organization_id},
        )
        _notify(request)
    return request
