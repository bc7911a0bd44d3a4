"""Scoring: from the experts' score sheets to totals, per-application aggregates, the experts'
harsh/lenient standing and the ranking of a call. Pure: plain dataclasses in, plain
dataclasses out, no Django and no project import, so that the ranking page, the API and the
exports all compute the same figures with the same code (and it can be property-tested).

Only submitted reviews are ever passed in: a submitted review has a score for every criterion
of the rubric, so no missing score is ever read as 0. ``weighted_total`` refuses a sheet with
a missing criterion rather than guess.

Arithmetic and rounding
-----------------------
Everything is ``Decimal``. Intermediate values keep the full precision of a 28-digit decimal
context; every figure a reader sees (totals, means, median, trimmed mean, SD, spread,
z-scores) is rounded once, at the end, to 2 decimals half-up (``ROUND_HALF_UP``: 85.125 →
85.13). The ranking compares these displayed values, so every tie-break can be checked by
eye from the table: two applications shown with the same trimmed mean are ordered by the
next key, never by an invisible third decimal.

Definitions
-----------
* weighted total of a sheet: Σ points / max_points × weight over the criteria (a sheet at
  the maximum of every criterion scores the sum of the weights, 100 for the default rubric).
* median: the middle total, or the mean of the two middle totals when n is even.
* trimmed mean: with n ≥ 5 the highest and the lowest total are dropped (one each, even if
  tied) and the rest averaged; with fewer reviews the plain mean (DOMAIN.md's common rule).
* standard deviation: the *population* SD (divide by n) — it describes the spread of this
  panel's scores, it does not estimate a wider population; with one review it is 0.
* spread: highest minus lowest total; the disagreement flag is raised when the spread is
  strictly greater than the call's threshold.
* minimum per criterion: the lowest points given for each criterion (a weak point that a
  good mean may hide); mean per criterion feeds the tie-break.
* experts' z-scores (harsh/lenient): for every review of an application with at least two
  reviews, its deviation d = total − that application's mean. Each expert's z is the mean of
  their deviations divided by the population SD of all deviations in the call. Comparing with
  each panel's own mean takes the quality of the applications an expert happened to draw out
  of the figure; pooling the SD over the call keeps it defined and stable where a panel of
  five agrees exactly. Σ (reviews of expert × z) = 0 over the call, a shift of every score by
  the same amount changes no z, and an expert with |z| above the threshold (default 1) is
  flagged harsh (below) or lenient (above). An expert with no review on a panel of two or
  more has no z.

Tie-break (deterministic and total)
-----------------------------------
1. trimmed mean, higher first; 2. mean, higher first; 3. mean of the innovation criterion
(``TIE_CRITERION``), higher first; 4. the application's submission time, earlier first;
5. the application id, lower first. Applications without any submitted review come after all
others and get no rank number. A value that is missing sorts after every present value.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

CENT = Decimal("0.01")
ZERO = Decimal("0")
# The criterion whose mean is the third key of the tie-break (code of the default rubric).
TIE_CRITERION = "innovation"
# |z| beyond this flags an expert as harsh or lenient.
Z_THRESHOLD = Decimal("1")
# Reviews compared with their panels before an expert is flagged harsh or lenient.
MIN_COMPARED = 3
# Trimming starts at this many reviews (drop one highest and one lowest).
TRIM_FROM = 5
HARSH = "harsh"
LENIENT = "lenient"

_CONTEXT = Context(prec=28)


def display(value: Decimal) -> Decimal:
    """A value as shown: 2 decimals, half-up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _maybe(value: Decimal | None) -> Decimal | None:
    return None if value is None else display(value)


# --- Inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionSpec:
    code: str
    weight: Decimal
    max_points: Decimal


@dataclass(frozen=True)
class ReviewScore:
    """One submitted review: ``points`` holds a score for every criterion of the rubric."""

    application: int
    expert: int
    province: str
    total: Decimal
    points: Mapping[str, Decimal]
    submitted_at: datetime | None = None
    recommendation: str = ""


@dataclass(frozen=True)
class Candidate:
    """An application to rank: its id and when it was submitted (the fourth tie-break key)."""

    id: int
    submitted_at: datetime | None = None


class IncompleteSheet(ValueError):
    """A score sheet lacks a criterion of the rubric, or scores one the rubric does not have."""

    def __init__(self, missing: Iterable[str] = (), unknown: Iterable[str] = ()) -> None:
        self.missing = tuple(sorted(missing))
        self.unknown = tuple(sorted(unknown))
        parts = []
        if self.missing:
            parts.append(f"missing criteria: {', '.join(self.missing)}")
        if self.unknown:
            parts.append(f"criteria not in the rubric: {', '.join(self.unknown)}")
        super().__init__("; ".join(parts))


def weighted_total(points: Mapping[str, Decimal], criteria: Sequence[CriterionSpec]) -> Decimal:
    """Σ points / max_points × weight, rounded half-up to 2 decimals.

    Every criterion must be scored (a missing one is never counted as 0) and no other code may
    appear: ``IncompleteSheet`` names what is wrong. Ranges are the caller's business (the
    reviewing service checks 0 ≤ points ≤ max_points before it gets here).
    """
    codes = {criterion.code for criterion in criteria}
    missing = codes - set(points)
    unknown = set(points) - codes
    if missing or unknown:
        raise IncompleteSheet(missing, unknown)
    with localcontext(_CONTEXT):
        # Multiply before dividing: exact for the usual weights and maxima.
        total = sum(
            (Decimal(points[c.code]) * c.weight / c.max_points for c in criteria),
            start=ZERO,
        )
    return display(total)


# --- Per application --------------------------------------------------------------------------


@dataclass(frozen=True)
class Aggregate:
    """The figures of one application, every Decimal already rounded for display (None when
    the application has no submitted review)."""

    application: int
    n: int
    mean: Decimal | None
    median: Decimal | None
    trimmed_mean: Decimal | None
    sd: Decimal | None
    spread: Decimal | None
    low: Decimal | None
    high: Decimal | None
    disagreement: bool
    mean_by_province: Mapping[str, Decimal] = field(default_factory=dict)
    n_by_province: Mapping[str, int] = field(default_factory=dict)
    min_by_criterion: Mapping[str, Decimal] = field(default_factory=dict)
    mean_by_criterion: Mapping[str, Decimal] = field(default_factory=dict)
    recommendations: Mapping[str, int] = field(default_factory=dict)


def _mean(values: Sequence[Decimal]) -> Decimal:
    # Summed in sorted order: a sum of rounded quotients must not depend on the input's order.
    with localcontext(_CONTEXT):
        return sum(sorted(values), start=ZERO) / len(values)


def _median(values: Sequence[Decimal]) -> Decimal:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    with localcontext(_CONTEXT):
        return (ordered[middle - 1] + ordered[middle]) / 2


def trimmed_mean(values: Sequence[Decimal]) -> Decimal:
    """Mean after dropping one highest and one lowest value when there are ``TRIM_FROM`` or more."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    if len(ordered) >= TRIM_FROM:
        ordered = ordered[1:-1]
    return _mean(ordered)


def _population_sd(values: Sequence[Decimal]) -> Decimal:
    with localcontext(_CONTEXT):
        mean = _mean(values)
        variance = sum(sorted((v - mean) ** 2 for v in values), start=ZERO) / len(values)
        return variance.sqrt()


def aggregate(application: int, reviews: Sequence[ReviewScore], *, threshold: Decimal) -> Aggregate:
    """The figures of one application from its submitted reviews (any order)."""
    if not reviews:
        return Aggregate(application, 0, None, None, None, None, None, None, None, False)
    totals = [review.total for review in reviews]
    by_province: dict[str, list[Decimal]] = defaultdict(list)
    by_criterion: dict[str, list[Decimal]] = defaultdict(list)
    for review in reviews:
        by_province[review.province].append(review.total)
        for code, points in review.points.items():
            by_criterion[code].append(Decimal(points))
    low, high = min(totals), max(totals)
    spread = high - low
    return Aggregate(
        application=application,
        n=len(totals),
        mean=display(_mean(totals)),
        median=display(_median(totals)),
        trimmed_mean=display(trimmed_mean(totals)),
        sd=display(_population_sd(totals)),
        spread=display(spread),
        low=display(low),
        high=display(high),
        # Compared before rounding: the threshold is in points, the spread of two 2-decimal
        # totals is exact anyway.
        disagreement=spread > threshold,
        mean_by_province={p: display(_mean(v)) for p, v in sorted(by_province.items())},
        n_by_province={p: len(v) for p, v in sorted(by_province.items())},
        min_by_criterion={c: display(min(v)) for c, v in sorted(by_criterion.items())},
        mean_by_criterion={c: display(_mean(v)) for c, v in sorted(by_criterion.items())},
        recommendations=dict(sorted(Counter(r.recommendation for r in reviews if r.recommendation).items())),
    )


def aggregates(
    reviews: Iterable[ReviewScore], *, threshold: Decimal, applications: Iterable[int] = ()
) -> dict[int, Aggregate]:
    """Aggregate of every application that has reviews, and of each id in ``applications``
    (with n = 0 when it has none)."""
    grouped: dict[int, list[ReviewScore]] = {pk: [] for pk in applications}
    for review in reviews:
        grouped.setdefault(review.application, []).append(review)
    return {pk: aggregate(pk, grouped[pk], threshold=threshold) for pk in sorted(grouped)}


# --- Experts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpertStanding:
    """An expert over the call: reviews submitted, mean total given, z-score and flag."""

    expert: int
    province: str
    n: int
    mean: Decimal
    # Reviews on panels of two or more, the ones the z-score is computed from.
    compared: int
    z: Decimal | None
    flag: str  # HARSH, LENIENT or ""


def expert_standings(
    reviews: Iterable[ReviewScore], *, threshold: Decimal = Z_THRESHOLD
) -> list[ExpertStanding]:
    """Each expert's z-score over the call (see the module's docstring), ordered by expert id."""
    reviews = list(reviews)
    by_application: dict[int, list[Decimal]] = defaultdict(list)
    for review in reviews:
        by_application[review.application].append(review.total)
    with localcontext(_CONTEXT):
        panel_mean = {pk: _mean(totals) for pk, totals in by_application.items() if len(totals) >= 2}
        deviations: dict[int, list[Decimal]] = defaultdict(list)
        totals_of: dict[int, list[Decimal]] = defaultdict(list)
        province_of: dict[int, str] = {}
        for review in reviews:
            totals_of[review.expert].append(review.total)
            province_of.setdefault(review.expert, review.province)
            if review.application in panel_mean:
                deviations[review.expert].append(review.total - panel_mean[review.application])
        every = [d for values in deviations.values() for d in values]
        # The deviations average 0 over the call by construction: their SD about 0.
        pooled = (sum(sorted(d * d for d in every), start=ZERO) / len(every)).sqrt() if every else ZERO
        standings = []
        for expert in sorted(totals_of):
            mine = deviations.get(expert, [])
            z = _mean(mine) / pooled if mine and pooled > 0 else (ZERO if mine else None)
            z = _maybe(z)
            flag = ""
            # A flag needs a few reviews to compare: one harsh score is not a harsh expert.
            if z is not None and len(mine) >= MIN_COMPARED and z < -threshold:
                flag = HARSH
            elif z is not None and len(mine) >= MIN_COMPARED and z > threshold:
                flag = LENIENT
            standings.append(
                ExpertStanding(
                    expert=expert,
                    province=province_of[expert],
                    n=len(totals_of[expert]),
                    mean=display(_mean(totals_of[expert])),
                    compared=len(mine),
                    z=z,
                    flag=flag,
                )
            )
    return standings


# --- Ranking ---------------------------------------------------------------------------------


def _desc(value: Decimal | None) -> tuple[int, Decimal]:
    # Present values first, the highest first; a missing value after every present one.
    return (1, ZERO) if value is None else (0, -value)


def rank_key(aggregate_: Aggregate, candidate: Candidate, *, tie_criterion: str = TIE_CRITERION) -> tuple:
    """The sort key of the written tie-break (see the module's docstring)."""
    submitted = candidate.submitted_at
    return (
        aggregate_.n == 0,
        _desc(aggregate_.trimmed_mean),
        _desc(aggregate_.mean),
        _desc(aggregate_.mean_by_criterion.get(tie_criterion)),
        (submitted is None, submitted.timestamp() if submitted is not None else 0.0),
        candidate.id,
    )


@dataclass(frozen=True)
class Ranked:
    rank: int | None  # 1, 2, … in tie-break order; None without any submitted review
    aggregate: Aggregate


def rank(
    candidates: Iterable[Candidate],
    aggregates_: Mapping[int, Aggregate],
    *,
    tie_criterion: str = TIE_CRITERION,
) -> list[Ranked]:
    """The candidates in ranking order, each with its aggregate and rank number. Candidates
    missing from ``aggregates_`` count as having no review."""
    keyed = []
    for candidate in candidates:
        agg = aggregates_.get(candidate.id) or Aggregate(
            candidate.id, 0, None, None, None, None, None, None, None, False
        )
        keyed.append((rank_key(agg, candidate, tie_criterion=tie_criterion), agg))
    keyed.sort(key=lambda pair: pair[0])
    result = []
    position = 0
    for _key, agg in keyed:
        if agg.n:
            position += 1
        result.append(Ranked(position if agg.n else None, agg))
    return result


@dataclass(frozen=True)
class Ranking:
    rows: list[Ranked]
    experts: list[ExpertStanding]


def ranking(
    candidates: Sequence[Candidate],
    reviews: Sequence[ReviewScore],
    *,
    threshold: Decimal,
    z_threshold: Decimal = Z_THRESHOLD,
    tie_criterion: str = TIE_CRITERION,
) -> Ranking:
    """Aggregates and ranking of ``candidates`` from their reviews, and the experts' standing
    computed over every review given (pass the whole call's reviews for call-wide z-scores)."""
    ids = {candidate.id for candidate in candidates}
    mine = [review for review in reviews if review.application in ids]
    return Ranking(
        rows=rank(
            candidates, aggregates(mine, threshold=threshold, applications=ids), tie_criterion=tie_criterion
        ),
        experts=expert_standings(reviews, threshold=z_threshold),
    )
