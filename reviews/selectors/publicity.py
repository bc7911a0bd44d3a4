"""Reads of the public announcement that pages and API share.

The public list (``announcement_rows``) is built as plain rows holding only the columns of the
announcement — No., project title, lead unit, partner units, project leader, field and guide
task, government funding — so that no template or serializer can reach anything else of an
award or its application (contact details, scores, budgets) by following a relation.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Case, Count, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from django.utils.translation import gettext as _

from applications.models import FundingCall, Partner
from reviews.models import Award, Objection, ObjectionStatus, Publicity
from reviews.permissions import can_resolve_objection
from reviews.services.publicity import OBJECTABLE, PUBLIC_STATUSES, beijing_today


def _digits(value: Any) -> int | None:
    # Only plain digits: int() would also take " 7", "+7" or a full-width "７".
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


# --- Public --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnouncementRow:
    number: int
    award_id: int
    title: str
    lead_unit: str
    partners: tuple[str, ...]
    pi: str
    field: str
    task_code: str
    task_title: str
    # Government funding of both provinces, yuan (shown in 万元).
    funding: Decimal
    objectable: bool


def announcement_rows(call: FundingCall) -> list[AnnouncementRow]:
    """The announced (or, after closing, final) awards of ``call`` in the order of the decision
    (field, then score, then id): two queries whatever the number of rows."""
    awards = (
        Award.objects.filter(call=call, status__in=PUBLIC_STATUSES)
        .select_related("field", "application__lead_unit", "application__pi", "application__guide_task")
        .prefetch_related(
            Prefetch("application__partners", queryset=Partner.objects.order_by("position", "pk"))
        )
        .order_by("field__position", "-score", "pk")
    )
    rows = []
    for number, award in enumerate(awards, start=1):
        application = award.application
        task = application.guide_task
        rows.append(
            AnnouncementRow(
                number=number,
                award_id=award.pk,
                title=application.title,
                lead_unit=application.lead_unit.name,
                partners=tuple(partner.name for partner in application.partners.all()),
                pi=application.pi.full_name,
                field=award.field.name,
                task_code=task.code if task else "",
                task_title=task.title if task else "",
                funding=award.amount_sc + award.amount_cq,
                objectable=award.status in OBJECTABLE,
            )
        )
    return rows


def public_publicities(today: date | None = None) -> list[Publicity]:
    """Announcements that have begun, the newest first, each with ``projects`` (rows shown)."""
    today = today or beijing_today()
    return list(
        Publicity.objects.filter(starts_on__lte=today)
        .select_related("call")
        .annotate(projects=Count("call__awards", filter=Q(call__awards__status__in=PUBLIC_STATUSES)))
        .order_by("-starts_on", "-pk")
    )


def publicity_for_public(*, call_pk: Any, today: date | None = None) -> Publicity:
    """The call's announcement once it has begun; Http404 otherwise (an announcement set for a
    later day is not public yet)."""
    today = today or beijing_today()
    pk = _digits(call_pk)
    publicity = None
    if pk is not None:
        publicity = Publicity.objects.select_related("call").filter(call_id=pk, starts_on__lte=today).first()
    if publicity is None:
        raise Http404(_("There is no public announcement for this call."))
    return publicity


# --- Staff ---------------------------------------------------------------------------------------


def publicity_of_call(call: FundingCall) -> Publicity | None:
    return Publicity.objects.filter(call=call).select_related("created_by").first()


def awards_for_publicity(call: FundingCall) -> QuerySet[Award]:
    """Every award of the call (withdrawn ones too) for the staff page, with the number of its
    open objections: two queries whatever the number of rows."""
    return (
        Award.objects.filter(call=call)
        .select_related(
            "field",
            "application__call",
            "application__lead_unit",
            "application__pi",
            "application__guide_task",
        )
        .prefetch_related(
            Prefetch("application__partners", queryset=Partner.objects.order_by("position", "pk"))
        )
        .annotate(open_objections=Count("objections", filter=Q(objections__status=ObjectionStatus.OPEN)))
        .order_by("field__position", "-score", "pk")
    )


def objections_of_publicity(publicity: Publicity) -> QuerySet[Objection]:
    """The announcement's objections, open ones first, then the newest."""
    return (
        Objection.objects.filter(publicity=publicity)
        .select_related("award__application", "resolved_by")
        .annotate(waiting=Case(When(status=ObjectionStatus.OPEN, then=Value(0)), default=Value(1)))
        .order_by("waiting", "-created_at", "-pk")
    )


def objection_get_for_user(*, user: Any, pk: Any) -> Objection:
    """The objection ``pk`` for staff who may read it; Http404 for anyone else, as for an
    unknown id (objections carry personal data)."""
    allowed, _reason = can_resolve_objection(user)
    found = None
    number = _digits(pk)
    if allowed and number is not None:
        found = (
            Objection.objects.select_related(
                "publicity__call",
                "award__application__call",
                "award__application__lead_unit",
                "award__field",
                "resolved_by",
            )
            .filter(pk=number)
            .first()
        )
    if found is None:
        raise Http404(_("There is no objection with this id."))
    return found
