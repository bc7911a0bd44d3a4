"""The ranking of a call, read once for the ranking page and the ranking API.

``ranking_of_call`` loads the call's guide tasks, rubric, applications in review, submitted
reviews and their scores in five queries whatever the number of rows, hands plain
dataclasses to ``reviews.scoring`` and returns rows ready to show: every aggregate, the
rank, the application's field, guide task, lead unit, project leader and province, the
experts assigned and submitted, flags, the experts' harsh/lenient standing over the whole
call, and the data of the charts.

Filters (``field``, ``task``: codes) narrow the rows and the charts; the rank is then the
rank within the field or task (a ranking per field is what staff read), while the experts'
z-scores stay computed over the whole call. An unknown code raises ``UnknownFilter``, naming
the parameter and the codes allowed; an unknown ``sort`` falls back to the rank for pages
(``strict=False``) and raises ``UnknownFilter`` for the API.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q

from applications.models import Application, ApplicationStatus, FundingCall, GuideTask, ResearchField
from portal.choices import JOINT_PROVINCES, Province
from reviews import scoring
from reviews.models import LIVE_STATUSES, Criterion, Review, ReviewStatus, Score

S = ApplicationStatus
# Applications that are (or were) in the expert review.
IN_REVIEW = (S.ACCEPTED, S.UNDER_REVIEW, S.REVIEWED, S.SHORTLISTED, S.AWARDED, S.NOT_FUNDED)
# Width of the score bands of the per-province chart (points).
BAND = Decimal("10")

# Row flags (codes; labels are the templates' and the API's business).
FLAG_DISAGREEMENT = "disagreement"  # spread above the call's threshold
FLAG_PENDING = "pending"  # some live assignment has no submitted review yet
FLAG_FEW = "few"  # fewer submitted reviews than the call's experts per application

logger = logging.getLogger(__name__)


class UnknownFilter(ValueError):
    def __init__(self, parameter: str, value: str, allowed: list[str]) -> None:
        super().__init__(f"{parameter}={value!r}; allowed: {', '.join(allowed)}")
        self.parameter = parameter
        self.value = value
        self.allowed = allowed


@dataclass(frozen=True)
class RankingRow:
    application: Application
    rank: int | None
    aggregate: scoring.Aggregate
    assigned: int
    flags: tuple[str, ...]

    @property
    def submitted(self) -> int:
        return self.aggregate.n

    @property
    def task(self) -> GuideTask | None:
        return self.application.guide_task

    @property
    def field(self) -> ResearchField | None:
        task = self.application.guide_task
        return task.field if task is not None else None

    @property
    def mean_sc(self) -> Decimal | None:
        return self.aggregate.mean_by_province.get(Province.SC)

    @property
    def mean_cq(self) -> Decimal | None:
        return self.aggregate.mean_by_province.get(Province.CQ)

    @property
    def disagreement(self) -> bool:
        return self.aggregate.disagreement


@dataclass(frozen=True)
class Expert:
    id: int  # the ReviewerProfile's
    name: str
    unit: str
    province: str
    province_label: str


@dataclass(frozen=True)
class ExpertRow:
    expert: Expert
    standing: scoring.ExpertStanding


@dataclass
class CallRanking:
    call: FundingCall
    criteria: list[Criterion]
    fields: list[ResearchField]
    tasks: list[GuideTask]
    field: ResearchField | None
    task: GuideTask | None
    sort: str
    rows: list[RankingRow]
    experts: list[ExpertRow]
    charts: dict[str, Any] = field(default_factory=dict)

    @property
    def threshold(self) -> Decimal:
        return self.call.disagreement_threshold


# --- Sorting ----------------------------------------------------------------------------------


def _num(get: Callable[[RankingRow], Decimal | int | None]) -> Callable[[RankingRow], tuple]:
    # A missing value sorts last in both directions (see _sorted).
    return lambda row: (get(row) is None, get(row) if get(row) is not None else 0)


SORTS: dict[str, Callable[[RankingRow], tuple]] = {
    "rank": lambda row: (row.rank is None, row.rank or 0),
    "trimmed": _num(lambda row: row.aggregate.trimmed_mean),
    "mean": _num(lambda row: row.aggregate.mean),
    "median": _num(lambda row: row.aggregate.median),
    "sd": _num(lambda row: row.aggregate.sd),
    "spread": _num(lambda row: row.aggregate.spread),
    "n": _num(lambda row: row.aggregate.n),
    "mean_sc": _num(lambda row: row.mean_sc),
    "mean_cq": _num(lambda row: row.mean_cq),
    "task": lambda row: (row.task is None, row.task.code if row.task else ""),
    "province": lambda row: (False, row.application.province),
    "unit": lambda row: (False, row.application.lead_unit.name),
}
DEFAULT_SORT = "rank"
SORT_CHOICES = [*SORTS, *(f"-{key}" for key in SORTS)]


def _sorted(rows: list[RankingRow], sort: str) -> list[RankingRow]:
    descending = sort.startswith("-")
    key = SORTS[sort.lstrip("-")]
    # Rank order first, so that equal values keep the tie-break's order (sorts are stable).
    rows = sorted(rows, key=SORTS["rank"])
    present = [row for row in rows if not key(row)[0]]
    missing = [row for row in rows if key(row)[0]]
    return sorted(present, key=key, reverse=descending) + missing


# --- Reading ----------------------------------------------------------------------------------


def ranking_of_call(
    *,
    call: FundingCall,
    field: str | None = None,
    task: str | None = None,
    sort: str | None = None,
    strict: bool = False,
) -> CallRanking:
    """The ranking of ``call`` (optionally of one field / guide task), see the module's docstring."""
    tasks = list(
        GuideTask.objects.filter(call=call).select_related("field").order_by("position", "code", "id")
    )
    fields = sorted({t.field for t in tasks}, key=lambda f: (f.position, f.code))
    chosen_field = _choose("field", field, {f.code: f for f in fields})
    chosen_task = _choose("task", task, {t.code: t for t in tasks})
    sort = sort or DEFAULT_SORT
    if sort not in SORT_CHOICES:
        if strict:
            raise UnknownFilter("sort", sort, SORT_CHOICES)
        sort = DEFAULT_SORT

    criteria = list(Criterion.objects.filter(call=call).order_by("position", "code"))
    specs = [scoring.CriterionSpec(c.code, c.weight, c.max_points) for c in criteria]
    # Through the reverse manager each application's ``call`` is this instance: no query per
    # row for its reference (year of the call).
    applications = list(
        call.applications.filter(status__in=IN_REVIEW)
        .select_related("guide_task__field", "lead_unit", "pi")
        .annotate(assigned=Count("assignments", filter=Q(assignments__status__in=LIVE_STATUSES)))
        .order_by("id")
    )
    reviews, experts_by_id = _submitted_reviews(call, specs)

    shown = [
        a
        for a in applications
        if (chosen_field is None or (a.guide_task is not None and a.guide_task.field_id == chosen_field.pk))
        and (chosen_task is None or a.guide_task_id == chosen_task.pk)
    ]
    candidates = [scoring.Candidate(a.pk, a.submitted_at) for a in shown]
    result = scoring.ranking(candidates, reviews, threshold=call.disagreement_threshold)
    by_id = {a.pk: a for a in shown}
    rows = [
        RankingRow(
            application=by_id[ranked.aggregate.application],
            rank=ranked.rank,
            aggregate=ranked.aggregate,
            assigned=by_id[ranked.aggregate.application].assigned,
            flags=_flags(ranked.aggregate, by_id[ranked.aggregate.application].assigned, call),
        )
        for ranked in result.rows
    ]
    experts = [ExpertRow(experts_by_id[s.expert], s) for s in result.experts]
    experts.sort(key=lambda row: (row.expert.province, row.expert.name, row.expert.id))
    shown_ids = set(by_id)
    return CallRanking(
        call=call,
        criteria=criteria,
        fields=fields,
        tasks=tasks,
        field=chosen_field,
        task=chosen_task,
        sort=sort,
        rows=_sorted(rows, sort),
        experts=experts,
        charts=_charts([r for r in reviews if r.application in shown_ids], experts_by_id, specs),
    )


def _choose(parameter: str, code: str | None, known: dict[str, Any]) -> Any:
    if not code:
        return None
    if code not in known:
        raise UnknownFilter(parameter, code, list(known))
    return known[code]


def _submitted_reviews(
    call: FundingCall, specs: list[scoring.CriterionSpec]
) -> tuple[list[scoring.ReviewScore], dict[int, Expert]]:
    """Every submitted review of the call's applications in review, as scoring's dataclasses,
    and the experts who wrote them (two queries of plain values: a model instance per review,
    assignment, expert, account and unit would cost most of the page's time)."""
    submitted = Review.objects.filter(
        status=ReviewStatus.SUBMITTED,
        assignment__status__in=LIVE_STATUSES,
        assignment__application__call=call,
        assignment__application__status__in=IN_REVIEW,
    )
    rows = submitted.order_by("id").values_list(
        "id",
        "assignment__application_id",
        "assignment__reviewer_id",
        "assignment__reviewer__province",
        "assignment__reviewer__user__full_name",
        "assignment__reviewer__organization__name",
        "total",
        "submitted_at",
        "recommendation",
    )
    points: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for review_id, code, value in Score.objects.filter(review__in=submitted).values_list(
        "review_id", "criterion__code", "points"
    ):
        points[review_id][code] = value
    reviews = []
    experts: dict[int, Expert] = {}
    for pk, application, expert, province, name, unit, total, submitted_at, recommendation in rows:
        if expert not in experts:
            label = Province(province).label if province in Province.values else province
            experts[expert] = Expert(expert, name, unit, province, str(label))
        sheet = points.get(pk, {})
        # The total stored at submission is the one the expert saw; rows written without one
        # (by hand, by an import) get it from their points, with the same function.
        if total is None:
            try:
                total = scoring.weighted_total(sheet, specs)
            except scoring.IncompleteSheet:
                # The rubric changed since (a criterion added): no total to rank by, and no
                # page that fails for it either.
                logger.warning("review %s has no total and an incomplete sheet; left out of the ranking", pk)
                continue
        reviews.append(
            scoring.ReviewScore(
                application=application,
                expert=expert,
                province=province,
                total=total,
                points=sheet,
                submitted_at=submitted_at,
                recommendation=recommendation,
            )
        )
    return reviews, experts


def _flags(aggregate: scoring.Aggregate, assigned: int, call: FundingCall) -> tuple[str, ...]:
    flags = []
    if aggregate.disagreement:
        flags.append(FLAG_DISAGREEMENT)
    if aggregate.n < assigned:
        flags.append(FLAG_PENDING)
    if aggregate.n < call.reviewers_per_application:
        flags.append(FLAG_FEW)
    return tuple(flags)


# --- Charts -----------------------------------------------------------------------------------


def _charts(
    reviews: list[scoring.ReviewScore],
    experts_by_id: dict[int, Expert],
    specs: list[scoring.CriterionSpec],
) -> dict[str, Any]:
    """The data the charts draw (and the text tables beside them show): every total given by
    each expert, and the number of totals per score band by the experts' province."""
    totals: dict[int, list[Decimal]] = defaultdict(list)
    for review in reviews:
        totals[review.expert].append(review.total)
    experts = []
    for pk in sorted(totals, key=lambda pk: (experts_by_id[pk].province, experts_by_id[pk].name, pk)):
        expert = experts_by_id[pk]
        values = sorted(totals[pk])
        experts.append(
            {
                "id": pk,
                "name": expert.name,
                "province": expert.province,
                "province_label": expert.province_label,
                "n": len(values),
                "min": values[0],
                "max": values[-1],
                "mean": scoring.display(sum(values, start=Decimal(0)) / len(values)),
                "totals": values,
            }
        )

    maximum = sum((spec.weight for spec in specs), start=Decimal(0)) or Decimal(100)
    edges = []
    low = Decimal(0)
    while low < maximum:
        edges.append((low, min(low + BAND, maximum)))
        low += BAND
    counts = {p.value: [0] * len(edges) for p in JOINT_PROVINCES}
    by_province: dict[str, list[Decimal]] = {p.value: [] for p in JOINT_PROVINCES}
    for review in reviews:
        if review.province not in counts:
            continue
        by_province[review.province].append(review.total)
        # The last band includes the maximum; a total above it (a rubric changed after
        # submission) counts in the last band too.
        index = min(int(review.total // BAND), len(edges) - 1) if edges else 0
        counts[review.province][max(index, 0)] += 1
    # Leading empty bands (nobody scores 0–10) only push the bars to the right.
    first = next((i for i in range(len(edges)) if any(c[i] for c in counts.values())), len(edges))
    bands = [f"{_plain(a)}–{_plain(b)}" for a, b in edges[first:]]
    return {
        "experts": experts,
        "provinces": {
            "bands": bands,
            "series": [
                {
                    "province": p.value,
                    "label": str(p.label),
                    "counts": counts[p.value][first:],
                    "n": len(by_province[p.value]),
                    "mean": scoring.display(
                        sum(by_province[p.value], start=Decimal(0)) / len(by_province[p.value])
                    )
                    if by_province[p.value]
                    else None,
                }
                for p in JOINT_PROVINCES
            ],
        },
    }


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")
