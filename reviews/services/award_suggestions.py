"""The suggested set of awards of a call: its candidates read with their default amounts,
``reviews/award_suggestion.py`` choosing within what the call has left, and — when staff
accept the suggestion — its applications shortlisted and their awards proposed in one
transaction under the call's lock (``reviews.services.awards``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from applications.models import Application, ApplicationStatus, BudgetLine, CallField, FundingCall, Partner
from portal.audit.services import audit_record
from portal.choices import Province
from reviews import award_suggestion
from reviews.models import LIVE_AWARD_STATUSES, Award
from reviews.selectors.awards import (
    CANDIDATE_STATUSES,
    GOVERNMENT_SOURCES,
    cap_of,
    default_shares,
    province_totals,
    requested_of,
    units_of,
)
from reviews.selectors.ranking import ranking_of_call
from reviews.services.award_amounts import ZERO, Shares
from reviews.services.award_errors import AwardError
from reviews.services.awards import (
    _lock_call,
    _refuse_after_announcement,
    _require_staff,
    applications_shortlist,
    award_create,
)

S = ApplicationStatus


@dataclass
class SuggestedAward:
    application: Application
    score: Decimal
    rank: int | None
    amount_sc: Decimal
    amount_cq: Decimal
    shares: Shares
    award: Award | None = None  # once created

    @property
    def total(self) -> Decimal:
        return self.amount_sc + self.amount_cq


@dataclass
class SuggestionResult:
    call: FundingCall
    solution: award_suggestion.Suggestion
    # The suggested awards in field and ranking order.
    proposed: list[SuggestedAward]
    # Candidates left out whatever else is chosen, with the reason's code: quota, budget_sc,
    # budget_cq (no room left), cross_funding or no_request (their request cannot be awarded
    # as it is), no_score (no submitted review).
    unfit: list[tuple[Application, str]]
    # Places and funding left before the suggestion (the live awards already made stay).
    quotas_left: dict[str, int]
    budgets_left: dict[str, Decimal]
    existing_awards: int
    applied: bool = False
    created: list[Award] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)  # code → ResearchField

    @property
    def amount_sc(self) -> Decimal:
        return self.solution.amount_sc

    @property
    def amount_cq(self) -> Decimal:
        return self.solution.amount_cq

    @property
    def total(self) -> Decimal:
        return self.solution.total

    @property
    def to_create(self) -> list[SuggestedAward]:
        return [item for item in self.proposed if item.award is None]


def _suggestion(call: FundingCall) -> SuggestionResult:
    ranking = ranking_of_call(call=call)
    rows = [r for r in ranking.rows if r.application.status in CANDIDATE_STATUSES]
    ids = [r.application.pk for r in rows]
    live = set(
        Award.objects.filter(application_id__in=ids, status__in=LIVE_AWARD_STATUSES).values_list(
            "application_id", flat=True
        )
    )
    lines: dict[int, list[BudgetLine]] = {}
    for line in BudgetLine.objects.filter(application_id__in=ids, source__in=list(GOVERNMENT_SOURCES)):
        lines.setdefault(line.application_id, []).append(line)
    partners: dict[int, list[Partner]] = {}
    for partner in Partner.objects.filter(application_id__in=ids).select_related("organization"):
        partners.setdefault(partner.application_id, []).append(partner)
    call_fields = list(CallField.objects.filter(call=call).select_related("field"))
    quotas_left = {cf.field.code: max(cf.quota - cf.awarded, 0) for cf in call_fields}
    fields = {cf.field.code: cf.field for cf in call_fields}
    budgets_left = {
        Province.SC: max(call.budget_sc - call.awarded_sc, ZERO),
        Province.CQ: max(call.budget_cq - call.awarded_cq, ZERO),
    }

    candidates: list[award_suggestion.Candidate] = []
    info: dict[int, tuple[Any, Shares]] = {}
    unfit: list[tuple[Application, str]] = []
    for row in rows:
        application = row.application
        if application.pk in live:
            continue
        if row.aggregate.trimmed_mean is None or row.field is None:
            unfit.append((application, "no_score"))
            continue
        fields.setdefault(row.field.code, row.field)
        units = units_of(application, partners.get(application.pk, []))
        requested = requested_of(lines.get(application.pk, []), units)
        shares = default_shares(requested, cap_of(application, call))
        by_uscc = {unit.uscc: unit for unit in units}
        if not shares:
            unfit.append((application, "no_request"))
            continue
        if not call.cross_funding_allowed and any(
            not by_uscc[uscc].own_for(province) for province, uscc in shares
        ):
            unfit.append((application, "cross_funding"))
            continue
        totals = province_totals(shares)
        candidates.append(
            award_suggestion.Candidate(
                id=application.pk,
                field=row.field.code,
                score=row.aggregate.trimmed_mean,
                amount_sc=totals[Province.SC],
                amount_cq=totals[Province.CQ],
            )
        )
        info[application.pk] = (row, shares)

    solution = award_suggestion.suggest(
        candidates, quotas_left, budgets_left[Province.SC], budgets_left[Province.CQ]
    )
    by_id = {c.id: c for c in candidates}
    unfit.extend((info[i][0].application, reason) for i, reason in solution.unfit.items())
    chosen = set(solution.chosen)
    proposed = [
        SuggestedAward(
            application=info[i][0].application,
            score=by_id[i].score,
            rank=info[i][0].rank,
            amount_sc=by_id[i].amount_sc,
            amount_cq=by_id[i].amount_cq,
            shares=info[i][1],
        )
        for i in [r.application.pk for r in rows if r.application.pk in chosen]
    ]
    proposed.sort(
        key=lambda item: (
            item.application.guide_task.field.position,
            item.application.guide_task.field.code,
            item.rank or 0,
        )
    )
    return SuggestionResult(
        call=call,
        solution=solution,
        proposed=proposed,
        unfit=unfit,
        quotas_left=quotas_left,
        budgets_left=budgets_left,
        existing_awards=sum(cf.awarded for cf in call_fields),
        fields=fields,
    )


def awards_suggest(
    *, call: FundingCall, by: Any, apply: bool = False, expected: Iterable[int] | None = None
) -> SuggestionResult:
    """The set of awards that maximises the total score within what the call has left (the
    live awards already made stay as they are; see ``reviews/award_suggestion.py``). With
    ``apply``, in one transaction under the call's lock: the suggested applications are
    shortlisted and their awards proposed with the default amounts (``suggested`` set).
    ``expected``: the application ids the person accepting saw; when the suggestion is no
    longer that set (something changed meanwhile) nothing is applied (code ``conflict``)."""
    _require_staff(by)
    if not apply:
        return _suggestion(call)
    with transaction.atomic():
        call = _lock_call(call.pk)
        _refuse_after_announcement(call)
        result = _suggestion(call)
        if expected is not None and sorted(set(expected)) != list(result.solution.chosen):
            raise AwardError(
                _(
                    "The suggestion changed since you read it (an award, a shortlist or a review changed "
                    "meanwhile). Read the new suggestion before accepting it."
                ),
                field="expected",
                code="conflict",
            )
        to_shortlist = [
            item.application.pk for item in result.proposed if item.application.status == S.REVIEWED
        ]
        if to_shortlist:
            applications_shortlist(call=call, applications=to_shortlist, shortlisted=True, by=by)
        for item in result.proposed:
            application = Application.objects.get(pk=item.application.pk)
            item.award = award_create(
                application=application, by=by, amounts=None, score=item.score, suggested=True
            )
            result.created.append(item.award)
        result.applied = True
        audit_record(
            actor=by,
            action="award.suggest_apply",
            obj=call,
            data={
                "chosen": list(result.solution.chosen),
                "score": str(result.solution.score),
                "amount_sc": str(result.solution.amount_sc),
                "amount_cq": str(result.solution.amount_cq),
                "optimal": result.solution.optimal,
                "created": [award.pk for award in result.created],
            },
        )
    return result
