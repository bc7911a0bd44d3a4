"""Reads of the formal check that the pages and the API share: the queue of endorsed
applications waiting for the bureau, the decisions made recently, and one application with
its checklist and earlier decisions.

Bureau staff see the applications of their own province (the bureau of the lead unit's
province decides); administrators see both provinces, read-only. Everyone else has no queue.
"""

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from applications.models import Application, ApplicationStatus, FundingCall
from applications.selectors import application_get_for_user
from portal.accounts.roles import Role
from reviews.models import FormalCheck
from reviews.permissions import is_review_staff

RECENT_DECISIONS = 20


def provinces_of(user: Any) -> tuple[str, ...]:
    """The provinces whose applications ``user`` sees in the queue."""
    if not is_review_staff(user):
        return ()
    if user.role == Role.ADMIN:
        return ("SC", "CQ")
    return (user.province,) if user.province else ()


def _call_filter(queryset: QuerySet, call_id: int | None, prefix: str = "") -> QuerySet:
    return queryset.filter(**{f"{prefix}call_id": call_id}) if call_id else queryset


def formal_check_queue(*, user: Any, call_id: int | None = None) -> QuerySet[Application]:
    """Endorsed applications waiting for the formal check, per call (newest call first), the
    earliest submitted first within a call."""
    return (
        _call_filter(
            Application.objects.filter(status=ApplicationStatus.ENDORSED, province__in=provinces_of(user)),
            call_id,
        )
        .select_related("call", "guide_task", "lead_unit", "pi")
        .order_by("-call__year", "-call_id", "submitted_at", "id")
    )


def formal_checks_recent(*, user: Any, call_id: int | None = None) -> list[FormalCheck]:
    """The latest decisions on applications of the user's provinces (most recent first)."""
    checks = FormalCheck.objects.filter(application__province__in=provinces_of(user))
    if call_id:
        checks = checks.filter(application__call_id=call_id)
    return list(
        checks.select_related(
            "application", "application__call", "application__lead_unit", "decided_by"
        ).order_by("-decided_at", "-id")[:RECENT_DECISIONS]
    )


def formal_check_calls(*, user: Any) -> list[FundingCall]:
    """The calls with applications of the user's provinces that reached the bureau (for the
    filter), newest first."""
    reached = Application.objects.filter(
        call_id=OuterRef("pk"), province__in=provinces_of(user), submission_count__gt=0
    )
    return list(FundingCall.objects.filter(Exists(reached)).order_by("-year", "-id"))


def formal_check_history(application: Application) -> list[FormalCheck]:
    """Every decision on ``application``, the latest first."""
    return list(application.formal_checks.select_related("decided_by").order_by("-decided_at", "-id"))


def application_for_formal_check(*, user: Any, pk: Any) -> Application:
    """The application ``pk`` for the formal check: bureau staff (either province: the other
    province reads it) and administrators, once submitted; Http404 for anyone else, as for
    an unknown id."""
    if not is_review_staff(user):
        raise Http404(_("There is no application with this id."))
    return application_get_for_user(user=user, pk=pk)
