"""Reads of the decision that the awards pages, the API and the award services share.

``awards_board`` is the call's decision board: per field the quota, the awards made and the
places left, per province the budget, the funding awarded and what is left (both from the
call's counters, which ``reviews.services.awards`` keeps), and the candidates — the
applications that finished the expert review — grouped by field in ranking order with their
rank, score (the ranking's trimmed mean, ``reviews.selectors.ranking``), the government
funding they requested from each side (their budget lines ``sc_gov`` / ``cq_gov``), the
amounts an award would get by default (the request, scaled down to the cap) and their award
with its approvals. A fixed number of queries whatever the number of rows.

The helpers ``units_of``, ``requested_of`` and ``cap_of`` say what an application's units,
requested funding and cap are; the services use them too, so that the board shows exactly
what an award would be made of.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from applications.models import (
    Application,
    ApplicationStatus,
    BudgetLine,
    CallField,
    FundingCall,
    Partner,
    ResearchField,
)
from portal.choices import JOINT_PROVINCES, Province
from reviews.award_suggestion import scale_to_cap
from reviews.models import LIVE_AWARD_STATUSES, Award, AwardShare
from reviews.permissions import is_review_staff
from reviews.selectors.ranking import ranking_of_call

S = ApplicationStatus
# Applications on the board: the review is over (and, later, the decision made).
BOARD_STATUSES = (S.REVIEWED, S.SHORTLISTED, S.AWARDED, S.NOT_FUNDED)
# Applications that may be shortlisted or get an award (after shortlisting).
CANDIDATE_STATUSES = (S.REVIEWED, S.SHORTLISTED)
# Budget sources that are government funding, and the province that pays them.
GOVERNMENT_SOURCES = {"sc_gov": Province.SC, "cq_gov": Province.CQ}
PROVINCES = tuple(str(p.value) for p in JOINT_PROVINCES)
ZERO = Decimal(0)


# --- Units, requests and the cap of one application ---------------------------------------------


@dataclass(frozen=True)
class Unit:
    """A unit of the project that an award may pay: the lead unit or a partner, by USCC."""

    uscc: str
    name: str
    # The unit's own province, shown on the pages (the lead unit's is the application's).
    province: str
    # The provinces the unit counts for (registered and located): a side funds these units.
    provinces: frozenset[str]
    lead: bool = False

    def own_for(self, province: str) -> bool:
        return province in self.provinces

    def province_paid_by(self, province: str) -> str:
        """The unit's province as stored on a share paid by ``province``."""
        return province if self.own_for(province) else self.province


def units_of(application: Application, partners: Iterable[Partner] | None = None) -> list[Unit]:
    """The lead unit, then the partners in their order (``partners`` when given, else
    ``application.partners.all()``: prefetch them with their organizations)."""
    lead = application.lead_unit
    units = [
        Unit(
            uscc=lead.uscc,
            name=lead.name,
            province=application.province,
            provinces=frozenset({application.province, lead.registered_province, lead.located_province}),
            lead=True,
        )
    ]
    seen = {lead.uscc}
    for partner in sorted(
        application.partners.all() if partners is None else partners, key=lambda p: (p.position, p.pk)
    ):
        if partner.uscc in seen:
            continue
        seen.add(partner.uscc)
        organization = partner.organization
        provinces = (
            {organization.registered_province, organization.located_province, partner.province}
            if organization is not None
            else {partner.province}
        )
        units.append(Unit(partner.uscc, partner.name, partner.province, frozenset(provinces)))
    return units


def requested_of(lines: Iterable[BudgetLine], units: Iterable[Unit]) -> dict[tuple[str, str], Decimal]:
    """The government funding requested per (paying province, unit USCC), from the budget
    lines; lines of a unit that is no longer in the project are left out."""
    known = {unit.uscc for unit in units}
    requested: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for line in lines:
        province = GOVERNMENT_SOURCES.get(line.source)
        if province and line.amount and line.unit_uscc in known:
            requested[(str(province), line.unit_uscc)] += line.amount
    return dict(requested)


def cap_of(application: Application, call: FundingCall) -> Decimal:
    """The government funding cap of the application: its guide task's, never above the call's
    (``GuideTask.effective_cap`` without reading the call again)."""
    task = application.guide_task
    if task is not None and task.cap is not None:
        return min(task.cap, call.per_project_cap)
    return call.per_project_cap


def default_shares(requested: dict[tuple[str, str], Decimal], cap: Decimal) -> dict[tuple[str, str], Decimal]:
    """What an award pays by default: the request, scaled down to the cap if above it."""
    return scale_to_cap(requested, cap)


def province_totals(shares: dict[tuple[str, str], Decimal]) -> dict[str, Decimal]:
    totals = dict.fromkeys(PROVINCES, ZERO)
    for (province, _uscc), amount in shares.items():
        totals[province] = totals.get(province, ZERO) + amount
    return totals


# --- Usage of quotas and budgets --------------------------------------------------------------


def _percent(used: Decimal | int, whole: Decimal | int) -> int:
    if not whole:
        return 100 if used else 0
    return min(100, int(Decimal(used) * 100 / Decimal(whole)))


@dataclass(frozen=True)
class FieldUsage:
    field: ResearchField
    quota: int
    used: int

    @property
    def left(self) -> int:
        return max(self.quota - self.used, 0)

    @property
    def percent(self) -> int:
        return _percent(self.used, self.quota)

    @property
    def full(self) -> bool:
        return self.used >= self.quota


@dataclass(frozen=True)
class ProvinceUsage:
    province: str
    label: str
    budget: Decimal
    used: Decimal

    @property
    def left(self) -> Decimal:
        return max(self.budget - self.used, ZERO)

    @property
    def percent(self) -> int:
        return _percent(self.used, self.budget)


def province_usage(call: FundingCall) -> list[ProvinceUsage]:
    used = {Province.SC: call.awarded_sc, Province.CQ: call.awarded_cq}
    return [
        ProvinceUsage(str(p.value), str(p.label), call.budget_of(p.value), used[p]) for p in JOINT_PROVINCES
    ]


def field_usage(call: FundingCall) -> list[FieldUsage]:
    """One query: the call's fields with their quota and awards, in field order."""
    rows = (
        CallField.objects.filter(call=call).select_related("field").order_by("field__position", "field__code")
    )
    return [FieldUsage(row.field, row.quota, row.awarded) for row in rows]


# --- The board ----------------------------------------------------------------------------------


@dataclass
class BoardRow:
    application: Application
    rank: int | None  # in the whole call
    rank_in_field: int | None
    score: Decimal | None  # trimmed mean
    requested: dict[str, Decimal]  # per province
    proposed: dict[str, Decimal]  # the default award per province (request scaled to the cap)
    cap: Decimal
    award: Award | None = None  # live or withdrawn

    @property
    def requested_total(self) -> Decimal:
        return sum(self.requested.values(), start=ZERO)

    @property
    def proposed_total(self) -> Decimal:
        return sum(self.proposed.values(), start=ZERO)

    @property
    def over_cap(self) -> bool:
        return self.requested_total > self.cap

    @property
    def live_award(self) -> Award | None:
        return self.award if self.award is not None and self.award.status in LIVE_AWARD_STATUSES else None

    @property
    def selectable(self) -> bool:
        """May be ticked to shortlist or to take off the shortlist."""
        return self.application.status in CANDIDATE_STATUSES and self.live_award is None


@dataclass
class FieldGroup:
    field: ResearchField | None
    usage: FieldUsage | None
    rows: list[BoardRow] = field(default_factory=list)


@dataclass
class AwardsBoard:
    call: FundingCall
    fields: list[FieldUsage]
    provinces: list[ProvinceUsage]
    groups: list[FieldGroup]

    @property
    def rows(self) -> list[BoardRow]:
        return [row for group in self.groups for row in group.rows]

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for row in self.rows:
            counts[row.application.status] += 1
            if row.live_award is not None:
                counts["awards"] += 1
                counts[f"award_{row.live_award.status}"] += 1
        return dict(counts)


def _awards_query() -> QuerySet[Award]:
    return Award.objects.select_related("approved_sc_by", "approved_cq_by", "field").prefetch_related(
        Prefetch("shares", queryset=AwardShare.objects.order_by("province", "id"))
    )


def awards_board(*, call: FundingCall) -> AwardsBoard:
    """The decision board of ``call`` (see the module's docstring)."""
    ranking = ranking_of_call(call=call)
    usages = field_usage(call)
    rows = [r for r in ranking.rows if r.application.status in BOARD_STATUSES]
    ids = [r.application.pk for r in rows]
    lines: dict[int, list[BudgetLine]] = defaultdict(list)
    for line in BudgetLine.objects.filter(application_id__in=ids, source__in=list(GOVERNMENT_SOURCES)):
        lines[line.application_id].append(line)
    awards = {a.application_id: a for a in _awards_query().filter(application_id__in=ids)}
    partners: dict[int, list[Partner]] = defaultdict(list)
    for partner in Partner.objects.filter(application_id__in=ids).select_related("organization"):
        partners[partner.application_id].append(partner)

    by_field = {u.field.pk: u for u in usages}
    groups: dict[int | None, FieldGroup] = {u.field.pk: FieldGroup(field=u.field, usage=u) for u in usages}
    # Ranking order (rank, then the tie-break) within each field.
    for ranked in rows:
        application = ranked.application
        units = units_of(application, partners.get(application.pk, []))
        requested = requested_of(lines.get(application.pk, []), units)
        cap = cap_of(application, call)
        research_field = ranked.field
        key = research_field.pk if research_field is not None else None
        if key not in groups:
            groups[key] = FieldGroup(field=research_field, usage=by_field.get(key))
        group = groups[key]
        award = awards.get(application.pk)
        if award is not None:
            award.application = application
        group.rows.append(
            BoardRow(
                application=application,
                rank=ranked.rank,
                rank_in_field=None,
                score=ranked.aggregate.trimmed_mean,
                requested=province_totals(requested),
                proposed=province_totals(default_shares(requested, cap)),
                cap=cap,
                award=award,
            )
        )
    ordered = sorted(
        groups.values(),
        key=lambda g: (g.field is None, g.field.position if g.field else 0, g.field.code if g.field else ""),
    )
    for group in ordered:
        position = 0
        for row in group.rows:
            if row.rank is not None:
                position += 1
                row.rank_in_field = position
    return AwardsBoard(call=call, fields=usages, provinces=province_usage(call), groups=ordered)


# --- Access ------------------------------------------------------------------------------------


def _digits(pk: Any) -> int | None:
    text = str(pk)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def award_get_for_user(*, user: Any, pk: Any) -> Award:
    """The award ``pk`` for review staff; Http404 for anyone else, as for an unknown id."""
    number = _digits(pk)
    award = None
    if number is not None and is_review_staff(user):
        award = (
            _awards_query()
            .select_related("application__call", "application__lead_unit", "application__guide_task__field")
            .filter(pk=number)
            .first()
        )
    if award is None:
        raise Http404(_("There is no award with this id."))
    return award


def application_for_award(*, user: Any, pk: Any) -> Application:
    """An application of the decision (on the board) for review staff; Http404 otherwise."""
    number = _digits(pk)
    application = None
    if number is not None and is_review_staff(user):
        application = (
            Application.objects.select_related("call", "lead_unit", "pi", "guide_task__field")
            .prefetch_related(Prefetch("partners", queryset=Partner.objects.select_related("organization")))
            .filter(pk=number, status__in=BOARD_STATUSES)
            .first()
        )
    if application is None:
        raise Http404(_("There is no application with this id in the decision."))
    return application


def awards_of(*, call: FundingCall | None = None) -> QuerySet[Award]:
    """Awards (of ``call``) for lists, with what a row shows, in the model's order."""
    awards = _awards_query().select_related(
        "application__call", "application__lead_unit", "application__guide_task"
    )
    if call is not None:
        awards = awards.filter(call=call)
    return awards.order_by("call_id", "field__position", "-score", "id")


def award_of_application(application: Application) -> Award | None:
    return _awards_query().filter(application=application).first()


def application_requested(application: Application) -> dict[tuple[str, str], Decimal]:
    """One query: the government funding requested by ``application`` per (province, unit)."""
    lines = BudgetLine.objects.filter(application=application, source__in=list(GOVERNMENT_SOURCES))
    return requested_of(lines, units_of(application))


def approvals_of(award: Award) -> list[dict[str, Any]]:
    """Per province: who approved and when (None when not yet)."""
    return [
        {
            "province": str(p.value),
            "label": str(p.label),
            "by": getattr(award, f"approved_{str(p.value).lower()}_by"),
            "at": getattr(award, f"approved_{str(p.value).lower()}_at"),
        }
        for p in JOINT_PROVINCES
    ]
