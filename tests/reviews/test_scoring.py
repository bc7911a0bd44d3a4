"""reviews/scoring.py: weighted totals, per-application aggregates, experts' z-scores and the
written tie-break — examples first, then properties (hypothesis)."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviews import scoring
from reviews.scoring import (
    Aggregate,
    Candidate,
    CriterionSpec,
    IncompleteSheet,
    ReviewScore,
    aggregate,
    aggregates,
    expert_standings,
    rank,
    ranking,
    trimmed_mean,
    weighted_total,
)

D = Decimal
RUBRIC = [
    CriterionSpec("innovation", D(20), D(20)),
    CriterionSpec("feasibility", D(20), D(20)),
    CriterionSpec("foundation", D(15), D(15)),
    CriterionSpec("cooperation", D(15), D(15)),
    CriterionSpec("results", D(20), D(20)),
    CriterionSpec("budget", D(10), D(10)),
]
T0 = datetime(2021, 5, 1, 9, 0, tzinfo=UTC)


def review(application: int, expert: int, total: str, province: str = "SC", **points: str) -> ReviewScore:
    return ReviewScore(
        application=application,
        expert=expert,
        province=province,
        total=D(total),
        points={code: D(value) for code, value in points.items()},
    )


# --- Weighted total -----------------------------------------------------------------------------


def test_the_weighted_total_scales_each_criterion_to_its_weight():
    criteria = [CriterionSpec("innovation", D(20), D(100)), CriterionSpec("budget", D(10), D(100))]
    # 85/100 × 20 + 70/100 × 10
    assert weighted_total({"innovation": D(85), "budget": D(70)}, criteria) == D("24.00")


def test_the_weighted_total_rounds_half_up_to_two_decimals():
    criteria = [CriterionSpec("a", D(10), D(8))]
    # 1/8 × 10 = 1.25 exactly; 1.005 would need half-up: 0.402 × 2.5 = 1.005
    assert weighted_total({"a": D(1)}, criteria) == D("1.25")
    criteria = [CriterionSpec("a", D("2.5"), D(1))]
    assert weighted_total({"a": D("0.402")}, criteria) == D("1.01")


def test_a_missing_criterion_is_refused_never_counted_as_zero():
    points = {"innovation": D(16), "feasibility": D(15)}
    with pytest.raises(IncompleteSheet) as refused:
        weighted_total(points, RUBRIC)
    assert refused.value.missing == ("budget", "cooperation", "foundation", "results")


def test_a_criterion_not_in_the_rubric_is_refused():
    points = {spec.code: spec.max_points for spec in RUBRIC} | {"charm": D(5)}
    with pytest.raises(IncompleteSheet) as refused:
        weighted_total(points, RUBRIC)
    assert refused.value.unknown == ("charm",)


# --- Aggregates ---------------------------------------------------------------------------------


def test_with_five_reviews_the_highest_and_the_lowest_are_dropped():
    reviews = [review(1, e, t) for e, t in enumerate(["60", "80", "82", "84", "99"])]
    result = aggregate(1, reviews, threshold=D(20))
    assert result.n == 5
    assert result.mean == D("81.00")
    assert result.median == D("82.00")
    assert result.trimmed_mean == D("82.00")
    assert result.spread == D("39.00")
    assert result.disagreement is True


def test_with_four_reviews_the_trimmed_mean_is_the_mean_and_the_median_averages_the_middle_two():
    reviews = [review(1, e, t) for e, t in enumerate(["70", "80", "81", "90"])]
    result = aggregate(1, reviews, threshold=D(20))
    assert result.trimmed_mean == result.mean == D("80.25")
    assert result.median == D("80.50")
    # Spread 20 is not above a threshold of 20.
    assert result.disagreement is False


def test_the_standard_deviation_is_the_population_one():
    reviews = [review(1, e, t) for e, t in enumerate(["2", "4", "4", "4", "5", "5", "7", "9"])]
    assert aggregate(1, reviews, threshold=D(20)).sd == D("2.00")
    assert aggregate(1, reviews[:1], threshold=D(20)).sd == D("0.00")


def test_means_per_province_minimum_per_criterion_and_recommendations():
    reviews = [
        ReviewScore(1, 1, "SC", D("80"), {"innovation": D(16), "budget": D(8)}, recommendation="fund"),
        ReviewScore(1, 2, "SC", D("70"), {"innovation": D(12), "budget": D(9)}, recommendation="changes"),
        ReviewScore(1, 3, "CQ", D("91"), {"innovation": D(18), "budget": D(7)}, recommendation="fund"),
    ]
    result = aggregate(1, reviews, threshold=D(20))
    assert result.mean_by_province == {"CQ": D("91.00"), "SC": D("75.00")}
    assert result.n_by_province == {"CQ": 1, "SC": 2}
    assert result.min_by_criterion == {"budget": D("7.00"), "innovation": D("12.00")}
    assert result.mean_by_criterion["innovation"] == D("15.33")
    assert result.recommendations == {"changes": 1, "fund": 2}


def test_an_application_without_reviews_has_no_figures():
    result = aggregates([], threshold=D(20), applications=[7])[7]
    assert (result.n, result.mean, result.trimmed_mean, result.disagreement) == (0, None, None, False)


# --- Ranking ------------------------------------------------------------------------------------


def _agg(pk: int, trimmed: str, mean: str, innovation: str | None = None, n: int = 5) -> Aggregate:
    criteria = {"innovation": D(innovation)} if innovation is not None else {}
    return Aggregate(pk, n, D(mean), D(mean), D(trimmed), D(0), D(0), D(mean), D(mean), False,
                     mean_by_criterion=criteria)  # fmt: skip


def test_the_tie_break_goes_trimmed_mean_mean_innovation_submission_then_id():
    aggs = {
        1: _agg(1, "85", "84", "16"),
        2: _agg(2, "85", "84", "16"),  # = 1 up to submission: submitted earlier → before 1
        3: _agg(3, "85", "84", "17"),  # better innovation → before 1 and 2
        4: _agg(4, "85", "85", "10"),  # better mean → first among the 85s
        5: _agg(5, "86", "80", "10"),  # best trimmed mean → first
        6: _agg(6, "85", "84", "16"),  # = 2 in everything, submitted at the same time: id decides
        7: _agg(7, "0", "0", None, n=0),  # no review: last, no rank
    }
    candidates = [
        Candidate(1, T0 + timedelta(hours=2)),
        Candidate(2, T0),
        Candidate(3, T0),
        Candidate(4, T0),
        Candidate(5, T0),
        Candidate(6, T0),
        Candidate(7, T0),
    ]
    ranked = rank(candidates, aggs)
    assert [r.aggregate.application for r in ranked] == [5, 4, 3, 2, 6, 1, 7]
    assert [r.rank for r in ranked] == [1, 2, 3, 4, 5, 6, None]


def test_a_missing_submission_time_comes_after_a_present_one():
    aggs = {1: _agg(1, "80", "80", "15"), 2: _agg(2, "80", "80", "15")}
    ranked = rank([Candidate(1, None), Candidate(2, T0)], aggs)
    assert [r.aggregate.application for r in ranked] == [2, 1]


def test_the_ranking_compares_the_displayed_values():
    # Means 80.004 and 80.001 are both shown as 80.00: the next key (innovation) decides.
    a = [review(1, e, t, innovation="10") for e, t in enumerate(["80.00", "80.01", "80.00"])]
    b = [review(2, e, t, innovation="12") for e, t in enumerate(["80.00", "80.00", "80.00"])]
    result = ranking([Candidate(1, T0), Candidate(2, T0)], a + b, threshold=D(20))
    assert [r.aggregate.application for r in result.rows] == [2, 1]


# --- Experts ------------------------------------------------------------------------------------


def test_a_harsh_and_a_lenient_expert_are_flagged():
    reviews = []
    for application in range(1, 11):
        base = 60 + application * 3
        reviews += [
            review(application, 1, str(base - 12)),  # always well below the panel
            review(application, 2, str(base)),
            review(application, 3, str(base + 1)),
            review(application, 4, str(base - 1)),
            review(application, 5, str(base + 12)),  # always well above
        ]
    standings = {s.expert: s for s in expert_standings(reviews)}
    assert standings[1].flag == scoring.HARSH
    assert standings[5].flag == scoring.LENIENT
    assert {standings[e].flag for e in (2, 3, 4)} == {""}
    assert standings[1].z < D(-1) < D(1) < standings[5].z


def test_the_z_threshold_is_a_parameter():
    reviews = [review(a, 1, str(70 + a)) for a in (1, 2, 3)] + [review(a, 2, str(80 + a)) for a in (1, 2, 3)]
    assert {s.flag for s in expert_standings(reviews, threshold=D("0.5"))} == {"harsh", "lenient"}
    assert {s.flag for s in expert_standings(reviews, threshold=D("2"))} == {""}


def test_an_expert_is_flagged_only_after_a_few_reviews_compared():
    reviews = [review(1, 1, "70"), review(1, 2, "80"), review(2, 1, "75"), review(2, 2, "85")]
    standings = expert_standings(reviews, threshold=D("0.5"))
    assert all(abs(s.z) > D("0.5") for s in standings)
    assert {s.flag for s in standings} == {""}
    assert scoring.MIN_COMPARED == 3


def test_an_expert_alone_on_a_panel_has_no_z():
    reviews = [review(1, 1, "70"), review(2, 2, "80"), review(2, 3, "80")]
    standings = {s.expert: s for s in expert_standings(reviews)}
    assert standings[1].z is None and standings[1].compared == 0
    # A panel in full agreement: every deviation is 0, so is every z.
    assert standings[2].z == standings[3].z == D("0.00")


# --- Properties ---------------------------------------------------------------------------------

totals = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def review_sets(draw, max_applications: int = 8, max_experts: int = 10) -> list[ReviewScore]:
    """Submitted reviews of a call: each application reviewed by distinct experts, every sheet
    complete (a point per criterion, the total consistent with them)."""
    applications = draw(st.integers(1, max_applications))
    experts = draw(st.integers(1, max_experts))
    reviews = []
    for application in range(1, applications + 1):
        panel = draw(st.lists(st.integers(1, experts), min_size=0, max_size=7, unique=True))
        for expert in panel:
            points = {
                spec.code: draw(st.decimals(min_value=0, max_value=spec.max_points, places=1))
                for spec in RUBRIC
            }
            reviews.append(
                ReviewScore(
                    application=application,
                    expert=expert,
                    province="SC" if expert % 2 else "CQ",
                    total=weighted_total(points, RUBRIC),
                    points=points,
                    recommendation=draw(st.sampled_from(["fund", "changes", "reject"])),
                )
            )
    return reviews


@given(st.lists(totals, min_size=1, max_size=12))
def test_the_trimmed_mean_lies_between_the_lowest_and_the_highest(values):
    assert min(values) <= trimmed_mean(values) <= max(values)
    result = aggregate(1, [review(1, i, str(v)) for i, v in enumerate(values)], threshold=D(20))
    assert result.low <= result.trimmed_mean <= result.high
    assert result.low <= result.median <= result.high
    assert result.low <= result.mean <= result.high
    assert result.spread == result.high - result.low
    assert result.sd >= 0


@given(review_sets(), st.randoms(use_true_random=False))
def test_aggregates_do_not_depend_on_the_order_of_the_reviews(reviews, rnd):
    shuffled = list(reviews)
    rnd.shuffle(shuffled)
    assert aggregates(reviews, threshold=D(20)) == aggregates(shuffled, threshold=D(20))
    assert expert_standings(reviews) == expert_standings(shuffled)


@given(st.lists(st.tuples(st.decimals(min_value=0, max_value=50, places=2), st.decimals(min_value=1, max_value=100, places=2)), min_size=1, max_size=8))  # fmt: skip
def test_a_sheet_at_every_maximum_scores_the_sum_of_the_weights(specs):
    criteria = [CriterionSpec(f"c{i}", weight, maximum) for i, (weight, maximum) in enumerate(specs)]
    points = {c.code: c.max_points for c in criteria}
    assert weighted_total(points, criteria) == scoring.display(sum(c.weight for c in criteria))
    assert weighted_total({c.code: D(0) for c in criteria}, criteria) == D("0.00")


@given(review_sets(), st.randoms(use_true_random=False))
def test_the_rank_is_a_total_order_that_does_not_depend_on_the_input_order(reviews, rnd):
    ids = sorted({r.application for r in reviews} | {99})  # 99: no review at all
    candidates = [Candidate(pk, T0 + timedelta(minutes=pk % 3)) for pk in ids]
    first = ranking(candidates, reviews, threshold=D(20))
    shuffled_candidates, shuffled_reviews = list(candidates), list(reviews)
    rnd.shuffle(shuffled_candidates)
    rnd.shuffle(shuffled_reviews)
    second = ranking(shuffled_candidates, shuffled_reviews, threshold=D(20))
    assert first == second
    order = [r.aggregate.application for r in first.rows]
    assert sorted(order) == ids  # every candidate once
    numbers = [r.rank for r in first.rows if r.rank is not None]
    assert numbers == list(range(1, len(numbers) + 1))
    # Ranked rows follow the trimmed mean, never a lower one before a higher one.
    trimmed = [r.aggregate.trimmed_mean for r in first.rows if r.rank is not None]
    assert trimmed == sorted(trimmed, reverse=True)
    assert first.rows[-1].aggregate.application == 99 and first.rows[-1].rank is None


@given(review_sets())
def test_z_scores_balance_over_the_call_and_ignore_a_common_shift(reviews):
    standings = expert_standings(reviews)
    compared = [s for s in standings if s.z is not None]
    # Σ reviews × z = 0 up to the rounding of each z to 2 decimals.
    weight = sum(s.compared for s in compared)
    assert abs(sum((s.compared * s.z for s in compared), start=D(0))) <= D("0.005") * weight
    shifted = [ReviewScore(r.application, r.expert, r.province, r.total + D(5), r.points) for r in reviews]
    assert [s.z for s in expert_standings(shifted)] == [s.z for s in standings]


@settings(max_examples=50)
@given(review_sets(), st.integers(1, 10))
def test_an_expert_above_every_co_panelist_is_on_the_lenient_side(reviews, expert):
    # +200 puts the expert's every total above any other (totals are at most 100).
    raised = [
        ReviewScore(
            r.application, r.expert, r.province, r.total + (200 if r.expert == expert else 0), r.points
        )
        for r in reviews
    ]
    standing = {s.expert: s for s in expert_standings(raised)}.get(expert)
    if standing is not None and standing.compared:
        assert standing.z > 0
        assert standing.flag in ("", scoring.LENIENT)


@given(review_sets())
def test_only_the_submitted_sheets_count_and_each_is_complete(reviews):
    # Every sheet of a submitted review has every criterion: minima exist for each criterion of
    # an application with reviews, and the count is the number of reviews, never more.
    result = aggregates(reviews, threshold=D(20))
    for pk, agg in result.items():
        mine = [r for r in reviews if r.application == pk]
        assert agg.n == len(mine)
        assert set(agg.min_by_criterion) == {spec.code for spec in RUBRIC}
        for code, low in agg.min_by_criterion.items():
            assert low == min(r.points[code] for r in mine)
        assert sum(agg.recommendations.values()) == len(mine)


def test_an_example_call_ranks_the_same_whatever_the_order():
    rnd = random.Random(4)
    reviews = [
        review(a, e, str(rnd.randint(50, 95))) for a in range(1, 30) for e in rnd.sample(range(1, 20), 5)
    ]
    candidates = [Candidate(a, T0) for a in range(1, 30)]
    reference = ranking(candidates, reviews, threshold=D(20))
    for _ in range(5):
        rnd.shuffle(reviews)
        rnd.shuffle(candidates)
        assert ranking(candidates, reviews, threshold=D(20)) == reference
