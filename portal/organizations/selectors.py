"""Reading units: the list that pages and the API share, searchable by name or code; a unit's
members and the requests to join it."""

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.organizations.models import MembershipRequest, MembershipStatus, Organization
from portal.organizations.permissions import can_decide_membership


def organizations_search(*, query: str = "", province: str = "") -> QuerySet[Organization]:
    units = Organization.objects.order_by("name", "id")
    if query:
        units = units.filter(
            Q(name__icontains=query) | Q(name_en__icontains=query) | Q(uscc__iexact=query.strip())
        )
    if province:
        units = units.filter(Q(registered_province=province) | Q(located_province=province))
    return units


def membership_requests_pending(*, organization: Organization) -> QuerySet[MembershipRequest]:
    """Requests waiting for the unit's decision, oldest first. A person who has not confirmed
    the email address yet does not appear: the account does not work yet."""
    return (
        MembershipRequest.objects.filter(
            organization=organization, status=MembershipStatus.PENDING, user__is_active=True
        )
        .select_related("user")
        .order_by("created_at", "id")
    )


def organization_members(*, organization: Organization) -> QuerySet[User]:
    return User.objects.filter(organization=organization, is_active=True).order_by("full_name", "email")


def membership_request_latest(*, user: Any) -> MembershipRequest | None:
    """The person's most recent request, with its unit: pending, or the last decision."""
    return (
        MembershipRequest.objects.filter(user=user)
        .select_related("organization")
        .order_by("-created_at", "-id")
        .first()
    )


def membership_request_get_for_decider(*, user: Any, pk: int) -> MembershipRequest:
    """A request its unit's administrator may decide; 404 for anyone else, as for an unknown id."""
    request = MembershipRequest.objects.select_related("user", "organization").filter(pk=pk).first()
    if request is not None and can_decide_membership(user, request)[0]:
        return request
    raise Http404(_("There is no such request."))
