"""The suggested awards (reviews/award_suggestion.py): never over a quota or a budget, the best
total score (checked against a brute force on small instances, tie-break included), the
same answer whatever the order of the input, and the case where greedy is wrong; and the
scaling of a request down to the cap."""

from decimal import Decimal
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviews.award_suggestion import (
    NO_QUOTA,
    OVER_CQ,
    OVER_SC,
    Candidate,
    apportion,
    scale_to_cap,
    suggest,
)

D = Decimal
FIELDS = ("ai", "eco", "agri")


def greedy(candidates, quotas, budget_sc, budget_cq):
    """What a person does by hand: highest score first, while it fits."""
    left = dict(quotas)
    sc, cq, chosen = budget_sc, budget_cq, []
    for c in sorted(candidates, key=lambda c: (-c.score, c.id)):
        if left.get(c.field, 0) >= 1 and c.amount_sc <= sc and c.amount_cq <= cq:
            chosen.append(c.id)
            left[c.field] -= 1
            sc -= c.amount_sc
            cq -= c.amount_cq
    return sorted(chosen)


def feasible(subset, quotas, budget_sc, budget_cq) -> bool:
    counts: dict[str, int] = {}
    for c in subset:
        counts[c.field] = counts.get(c.field, 0) + 1
    return (
        all(n <= quotas.get(f, 0) for f, n in counts.items())
        and sum((c.amount_sc for c in subset), D(0)) <= budget_sc
        and sum((c.amount_cq for c in subset), D(0)) <= budget_cq
    )


def brute_force(candidates, quotas, budget_sc, budget_cq) -> tuple[int, ...]:
    """Every subset: highest score, then least money, then lower ids lexicographically."""
    ordered = sorted(candidates, key=lambda c: c.id)
    best_key, best = None, ()
    for size in range(len(ordered) + 1):
        for subset in combinations(ordered, size):
            if not feasible(subset, quotas, budget_sc, budget_cq):
                continue
            ids = {c.id for c in subset}
            key = (
                sum((c.score for c in subset), D(0)),
                -sum((c.total for c in subset), D(0)),
                tuple(1 if c.id in ids else 0 for c in ordered),
            )
            if best_key is None or key > best_key:
                best_key, best = key, tuple(sorted(ids))
    return best


# --- Strategies -----------------------------------------------------------------------------------

scores = st.integers(min_value=0, max_value=10000).map(lambda n: D(n) / 100)
# Round figures most of the time (so that ties happen), fen sometimes.
amounts = st.one_of(
    st.integers(min_value=0, max_value=20).map(lambda n: D(n) * 100000),
    st.integers(min_value=0, max_value=200000000).map(lambda n: D(n) / 100),
)


# Few distinct values: many sets tie on score and on money, so the tie-break decides.
tie_scores = st.sampled_from([D("80"), D("75.50"), D("70")])
tie_amounts = st.sampled_from([D(0), D(100000), D(200000), D(500000)])


@st.composite
def instances(draw, max_candidates: int = 10):
    ids = draw(st.lists(st.integers(min_value=1, max_value=10**6), max_size=max_candidates, unique=True))
    ties = draw(st.booleans())
    candidates = [
        Candidate(
            id=i,
            field=draw(st.sampled_from(FIELDS)),
            score=draw(tie_scores if ties else st.one_of(scores, tie_scores)),
            amount_sc=draw(tie_amounts if ties else amounts),
            amount_cq=draw(tie_amounts if ties else amounts),
        )
        for i in ids
    ]
    quotas = {f: draw(st.integers(min_value=0, max_value=4)) for f in draw(st.sets(st.sampled_from(FIELDS)))}
    budget_sc = draw(st.integers(min_value=0, max_value=40).map(lambda n: D(n) * 100000))
    budget_cq = draw(st.integers(min_value=0, max_value=40).map(lambda n: D(n) * 100000))
    return candidates, quotas, budget_sc, budget_cq


# --- Properties -----------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(instances(max_candidates=25))
def test_a_suggestion_never_exceeds_a_quota_or_a_budget(instance):
    candidates, quotas, budget_sc, budget_cq = instance
    result = suggest(candidates, quotas, budget_sc, budget_cq)
    by_id = {c.id: c for c in candidates}
    chosen = [by_id[i] for i in result.chosen]

    assert feasible(chosen, quotas, budget_sc, budget_cq)
    assert result.optimal
    assert result.amount_sc == sum((c.amount_sc for c in chosen), D(0))
    assert result.amount_cq == sum((c.amount_cq for c in chosen), D(0))
    assert result.score == sum((c.score for c in chosen), D(0))
    assert sum(result.by_field.values()) == len(chosen)
    assert not set(result.unfit) & set(result.chosen)


@settings(max_examples=200, deadline=None)
@given(instances(max_candidates=10))
def test_the_suggestion_is_the_brute_force_best_with_its_tie_break(instance):
    candidates, quotas, budget_sc, budget_cq = instance
    result = suggest(candidates, quotas, budget_sc, budget_cq)
    assert result.chosen == brute_force(candidates, quotas, budget_sc, budget_cq)


@settings(max_examples=80, deadline=None)
@given(instances(max_candidates=12), st.randoms(use_true_random=False))
def test_the_order_of_the_candidates_does_not_change_the_answer(instance, random):
    candidates, quotas, budget_sc, budget_cq = instance
    shuffled = list(candidates)
    random.shuffle(shuffled)
    assert suggest(shuffled, quotas, budget_sc, budget_cq) == suggest(
        candidates, quotas, budget_sc, budget_cq
    )


@settings(max_examples=60, deadline=None)
@given(instances(max_candidates=12))
def test_the_suggestion_is_never_worse_than_greedy(instance):
    candidates, quotas, budget_sc, budget_cq = instance
    result = suggest(candidates, quotas, budget_sc, budget_cq)
    by_id = {c.id: c for c in candidates}
    greedy_score = sum((by_id[i].score for i in greedy(candidates, quotas, budget_sc, budget_cq)), D(0))
    assert result.score >= greedy_score


# --- Cases --------------------------------------------------------------------------------------


def test_greedy_takes_the_highest_score_and_loses_where_the_solver_does_not():
    # One budget of 100: A (90) uses all of it; B and C (60 each) fit together.
    candidates = [
        Candidate(1, "ai", D("90"), D("100"), D("0")),
        Candidate(2, "ai", D("60"), D("50"), D("0")),
        Candidate(3, "ai", D("60"), D("50"), D("0")),
    ]
    assert greedy(candidates, {"ai": 3}, D(100), D(100)) == [1]

    result = suggest(candidates, {"ai": 3}, D(100), D(100))

    assert (result.chosen, result.score, result.optimal) == ((2, 3), D("120"), True)


def test_greedy_also_loses_to_a_quota_that_binds_with_the_budget():
    # Quota 2 in ai; the top candidate is so dear that only one other fits beside it.
    candidates = [
        Candidate(1, "ai", D("95"), D("150"), D("0")),
        Candidate(2, "ai", D("70"), D("100"), D("0")),
        Candidate(3, "ai", D("70"), D("100"), D("0")),
    ]
    assert greedy(candidates, {"ai": 2}, D(200), D(0)) == [1]
    assert suggest(candidates, {"ai": 2}, D(200), D(0)).chosen == (2, 3)


def test_among_equal_scores_the_cheaper_set_then_the_lower_ids_win():
    candidates = [
        Candidate(7, "ai", D("80"), D("100"), D("0")),
        Candidate(3, "ai", D("80"), D("60"), D("0")),
        Candidate(5, "ai", D("80"), D("60"), D("0")),
    ]
    # Quota 1: all score 80; 3 and 5 cost less than 7; 3 has the lower id.
    assert suggest(candidates, {"ai": 1}, D(1000), D(0)).chosen == (3,)


def test_candidates_that_cannot_fit_are_reported_with_the_reason():
    candidates = [
        Candidate(1, "health", D("99"), D("10"), D("10")),  # no quota for health
        Candidate(2, "ai", D("98"), D("500"), D("0")),  # over Sichuan's budget
        Candidate(3, "ai", D("97"), D("0"), D("500")),  # over Chongqing's budget
        Candidate(4, "ai", D("50"), D("10"), D("10")),
    ]
    result = suggest(candidates, {"ai": 3}, D(100), D(100))
    assert result.chosen == (4,)
    assert result.unfit == {1: NO_QUOTA, 2: OVER_SC, 3: OVER_CQ}


def test_nothing_to_choose_is_an_empty_optimal_answer():
    result = suggest([], {"ai": 2}, D(100), D(100))
    assert (result.chosen, result.score, result.total, result.optimal) == ((), D(0), D(0), True)


def test_scores_with_more_decimals_are_compared_exactly():
    candidates = [
        Candidate(1, "ai", D("80.005"), D("10"), D("0")),
        Candidate(2, "ai", D("80.004"), D("10"), D("0")),
    ]
    assert suggest(candidates, {"ai": 1}, D(100), D(0)).chosen == (1,)


@pytest.mark.parametrize(
    "candidate",
    [
        Candidate(1, "ai", D("NaN"), D("10"), D("0")),
        Candidate(1, "ai", D("80"), D("-1"), D("0")),
        Candidate(1, "ai", D("80"), D("0.001"), D("0")),
        Candidate(1, "ai", D("80"), D("Infinity"), D("0")),
        Candidate(True, "ai", D("80"), D("1"), D("0")),
        Candidate(1, "ai", 80.0, D("1"), D("0")),
    ],
)
def test_malformed_candidates_are_refused(candidate):
    with pytest.raises(ValueError):
        suggest([candidate], {"ai": 1}, D(100), D(100))


def test_a_candidate_given_twice_is_refused():
    candidate = Candidate(1, "ai", D("80"), D("1"), D("0"))
    with pytest.raises(ValueError, match="twice"):
        suggest([candidate, candidate], {"ai": 2}, D(100), D(100))


def test_a_realistic_call_is_solved_to_proven_optimality():
    # 120 candidates, the 2021 quotas, 20 M yuan per side.
    import random

    rng = random.Random(2021)
    candidates = [
        Candidate(
            i,
            rng.choice(["ai", "health", "eco", "agri"]),
            D(rng.randint(6000, 9500)) / 100,
            D(rng.randint(30, 100)) * 10000,
            D(rng.randint(30, 100)) * 10000,
        )
        for i in range(1, 121)
    ]
    quotas = {"health": 2, "eco": 3, "ai": 5, "agri": 6}
    result = suggest(candidates, quotas, D(20000000), D(20000000))
    assert result.optimal
    assert result.by_field == quotas


# --- The cap and splits -------------------------------------------------------------------------


def test_a_request_over_the_cap_is_scaled_down_to_exactly_the_cap():
    requested = {("SC", "a"): D("1000000"), ("CQ", "b"): D("1500000.01")}
    scaled = scale_to_cap(requested, D("2000000"))
    assert sum(scaled.values()) == D("2000000")
    assert scaled == {("SC", "a"): D("800000.00"), ("CQ", "b"): D("1200000.00")}


def test_a_request_within_the_cap_is_unchanged_and_zeros_are_dropped():
    requested = {("SC", "a"): D("500000"), ("CQ", "b"): D("0")}
    assert scale_to_cap(requested, D("2000000")) == {("SC", "a"): D("500000")}


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.text(min_size=1, max_size=3), amounts, min_size=1, max_size=6),
    st.integers(min_value=0, max_value=300000000).map(lambda n: D(n) / 100),
)
def test_scaling_never_exceeds_the_cap_nor_raises_an_amount(requested, cap):
    scaled = scale_to_cap(requested, cap)
    total = sum(requested.values(), D(0))
    assert sum(scaled.values(), D(0)) == min(total, cap)
    assert all(D(0) < scaled[key] <= requested[key] for key in scaled)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=10**10).map(lambda n: D(n) / 100),
    st.dictionaries(st.text(min_size=1, max_size=3), st.integers(min_value=1, max_value=10**6), min_size=1),
)
def test_apportion_adds_up_to_the_total_in_whole_fen(total, weights):
    parts = apportion(total, {k: D(v) for k, v in weights.items()})
    assert sum(parts.values(), D(0)) == total
    assert all(part == part.quantize(D("0.01")) and part >= 0 for part in parts.values())
