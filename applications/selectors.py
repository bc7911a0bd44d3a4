"""Read queries on calls and guide tasks that the pages and the API share.

Each returns rows with their related data already loaded, so a list costs the same number of
queries for 2 rows as for 50. Draft calls are visible only to bureau staff and administrators;
for everyone else they do not exist (404, never 403, so a draft's existence does not leak).
"""

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from applications.models import (
    Application,
    CallField,
    CallStatus,
    FundingCall,
    GuideTask,
    Partner,
    ResearchField,
    TeamMember,
)
from applications.permissions import can_read_draft_calls


def calls_visible_to(user: Any) -> QuerySet[FundingCall]:
    """The calls ``user`` may read, newest first, with their fields and a ``task_count``."""
    calls = FundingCall.objects.annotate(task_count=Count("tasks")).prefetch_related(
        Prefetch(
            "call_fields",
            queryset=CallField.objects.select_related("field").order_by("field__position", "field__code"),
        )
    )
    if not can_read_draft_calls(user)[0]:
        calls = calls.exclude(status=CallStatus.DRAFT)
    return calls.order_by("-year", "-id")


def call_get_for_user(*, user: Any, pk: Any) -> FundingCall:
    """The call ``pk`` if ``user`` may read it; Http404 otherwise, as for an unknown id."""
    # Only plain digits: int() would also take " 7", "+7" or full-width "７" from a URL.
    text = str(pk)
    call = None
    if text.isascii() and text.isdigit():
        call = calls_visible_to(user).filter(pk=int(text)).first()
    if call is None:
        raise Http404(_("There is no call with this id."))
    return call


def tasks_of_call(call: FundingCall, field_code: str | None = None) -> QuerySet[GuideTask]:
    """The guide tasks of ``call`` in guide order, optionally of one research field."""
    # Through the reverse manager each task's ``call`` is this instance: no query per row
    # for values that fall back to the call (such as the funding cap).
    tasks = call.tasks.select_related("field").order_by("position", "code", "id")
    if field_code:
        tasks = tasks.filter(field__code=field_code)
    return tasks


def calls_open() -> list[FundingCall]:
    """Calls taking applications, the nearest deadline first."""
    return list(FundingCall.objects.filter(status=CallStatus.OPEN).order_by("submit_deadline", "-year"))


def calls_in_status(*statuses: str) -> list[FundingCall]:
    return list(FundingCall.objects.filter(status__in=statuses).order_by("-year", "-id"))


def research_fields() -> list[ResearchField]:
    return list(ResearchField.objects.all())


# --- Applications -------------------------------------------------------------------------


def _with_parts(queryset: QuerySet) -> QuerySet:
    return queryset.select_related(
        "call", "guide_task", "guide_task__call", "lead_unit", "pi"
    ).prefetch_related(
        Prefetch("partners", queryset=Partner.objects.select_related("organization")),
        Prefetch("team", queryset=TeamMember.objects.select_related("user")),
        "indicators",
        "milestones",
        "budget",
        "avoided_experts",
        "attachments",
    )


def application_with_parts(pk: int, *, lock: bool = False) -> Application:
    """The application with every part loaded; ``lock`` takes its row lock (in a transaction)
    so that no other write on it runs until the caller commits."""
    applications = Application.objects.all()
    if lock:
        applications = applications.select_for_update(of=("self",))
    return _with_parts(applications).get(pk=pk)


def applications_of_user(user: Any) -> QuerySet:
    """The applications ``user`` leads or is a teammate of (with an account), newest first."""
    if not getattr(user, "is_authenticated", False):
        return Application.objects.none()
    mine = Q(pi=user) | Q(team__user=user)
    ids = Application.objects.filter(mine).values("pk")
    return (
        Application.objects.filter(pk__in=ids)
        .select_related("call", "guide_task", "lead_unit", "pi")
        .order_by("-updated_at", "-id")
    )


def applications_of_unit(user: Any) -> QuerySet:
    """For a unit administrator: the applications their unit leads that have been submitted."""
    if not getattr(user, "is_authenticated", False) or not user.organization_id:
        return Application.objects.none()
    return (
        Application.objects.filter(lead_unit_id=user.organization_id)
        .filter(submission_count__gt=0)
        .select_related("call", "guide_task", "lead_unit", "pi")
        .order_by("status", "-submitted_at", "-id")
    )


def application_get_for_user(*, user: Any, pk: Any, parts: bool = True) -> Application:
    """The application ``pk`` if ``user`` may read it; Http404 otherwise. With ``parts`` its
    call, units and sections come loaded."""
    from applications.permissions import can_read_application

    text = str(pk)
    application = None
    if text.isascii() and text.isdigit():
        found = Application.objects.filter(pk=int(text))
        # Without parts: the row alone (a move reads what else it needs, a service that locks
        # the row loads it again anyway).
        found = _with_parts(found) if parts else found
        application = found.first()
    if application is None or not can_read_application(user, application)[0]:
        raise Http404(_("There is no application with this id."))
    return application


def application_timeline(application: Any) -> list:
    """Every status change of the application, oldest first, from the audit trail."""
    from portal.audit.models import AuditEvent

    return list(
        AuditEvent.objects.filter(object_type="applications.application", object_id=str(application.pk))
        .exclude(to_state="")
        .select_related("actor")
        .order_by("created_at", "id")
    )
