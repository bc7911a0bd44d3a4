"""The pure solver of expert panels (reviews.assignment) against its independent checker
(reviews.assignment_check) and a linear program written from the rules (scipy's HiGHS): no
database. The LP of a network flow has integral optima, so its objectives must match exactly."""

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from reviews.assignment import (
    REASON_CAPACITY,
    REASON_PROVINCE,
    REASON_TOTAL,
    Expert,
    Paper,
    Problem,
    Result,
    Shortfall,
    build_network,
    pair_costs,
    solve,
)
from reviews.assignment_check import unmet, violations

FIELDS = ("AI", "BIO", "ENV", "MAT")


# --- Strategies ------------------------------------------------------------------------------


@st.composite
def problems(draw, max_papers: int = 15, max_experts: int = 20) -> Problem:
    # Roomy problems (more experts, more slots, smaller needs) are mostly feasible; the others
    # mostly are not, so both the plain solve and the diagnosis are exercised.
    roomy = draw(st.booleans())
    paper_ids = draw(st.lists(st.integers(1, 999), max_size=max_papers, unique=True))
    expert_ids = draw(
        st.lists(st.integers(1, 999), min_size=10 if roomy else 0, max_size=max_experts, unique=True)
    )
    papers = tuple(
        Paper(
            id=pid,
            field=draw(st.sampled_from(FIELDS)),
            need=draw(st.integers(0, 3) if roomy else st.integers(-1, 6)),
            need_per_province=tuple(
                draw(
                    st.lists(
                        st.tuples(
                            st.sampled_from(("SC", "CQ", "SC", "CQ", "XZ")),
                            st.integers(-1, 1 if roomy else 3),
                        ),
                        max_size=3,
                    )
                )
            ),
        )
        for pid in paper_ids
    )
    experts = tuple(
        Expert(
            id=eid,
            province=draw(st.sampled_from(("SC", "CQ", "SC", "CQ", "XZ"))),
            fields=frozenset(draw(st.lists(st.sampled_from(FIELDS), max_size=2))),
            capacity=draw(st.integers(3, 8) if roomy else st.integers(-1, 5)),
        )
        for eid in expert_ids
    )
    all_pairs = [(p, e) for p in paper_ids for e in expert_ids]
    conflicts = (
        frozenset(draw(st.lists(st.sampled_from(all_pairs), max_size=20))) if all_pairs else frozenset()
    )
    excluded = frozenset(draw(st.lists(st.sampled_from(all_pairs), max_size=6))) if all_pairs else frozenset()
    # Ids that are not in the problem are harmless in the conflicts.
    conflicts |= frozenset(
        draw(st.lists(st.tuples(st.integers(1000, 1005), st.integers(1, 999)), max_size=2))
    )
    return Problem(
        papers=papers,
        experts=experts,
        conflicts=conflicts,
        seed=draw(st.integers(-(2**63), 2**64)),
        excluded=excluded,
    )


# --- An oracle written from the rules --------------------------------------------------------


def _minimums(paper: Paper) -> dict[str, int]:
    found: dict[str, int] = {}
    for province, count in paper.need_per_province:
        found[province] = max(found.get(province, 0), max(0, count))
    return found


def _demand(paper: Paper) -> int:
    return max(max(0, paper.need), sum(_minimums(paper).values()))


def lp_optimum(problem: Problem) -> tuple[int, int, int]:
    """(most pairs, most province minimum slots met among those, least cost among those),
    each by a linear program over pair variables x, met-minimum variables y and excess
    variables e: per paper and province, Σx = y + e with y ≤ minimum and Σe ≤ the free rest."""
    costs = pair_costs(problem)
    pairs = sorted(costs)
    papers = {p.id: p for p in problem.papers}
    experts = {e.id: e for e in problem.experts}
    slots = sorted(
        {(p.id, prov) for p in problem.papers for prov in _minimums(p)}
        | {(pid, experts[eid].province) for pid, eid in pairs}
    )
    n_x, n_s = len(pairs), len(slots)
    if not n_x:
        return 0, 0, 0
    x = dict(zip(pairs, range(n_x), strict=True))
    y = {slot: n_x + k for k, slot in enumerate(slots)}
    e = {slot: n_x + n_s + k for k, slot in enumerate(slots)}
    n = n_x + 2 * n_s
    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    for slot in slots:
        row = np.zeros(n)
        for pid, eid in pairs:
            if (pid, experts[eid].province) == slot:
                row[x[(pid, eid)]] = 1
        row[y[slot]] = row[e[slot]] = -1
        a_eq.append(row)
        b_eq.append(0)
    for pid, paper in papers.items():
        row = np.zeros(n)
        for slot in slots:
            if slot[0] == pid:
                row[e[slot]] = 1
        a_ub.append(row)
        b_ub.append(_demand(paper) - sum(_minimums(paper).values()))
    for eid, expert in experts.items():
        row = np.zeros(n)
        for pid, other in pairs:
            if other == eid:
                row[x[(pid, eid)]] = 1
        a_ub.append(row)
        b_ub.append(max(0, expert.capacity))
    bounds = [(0, 1)] * n_x + [(0, _minimums(papers[s[0]]).get(s[1], 0)) for s in slots] + [(0, None)] * n_s
    count = np.array([1.0] * n_x + [0.0] * 2 * n_s)
    met = np.array([0.0] * n_x + [1.0] * n_s + [0.0] * n_s)
    cost = np.array([costs[p] for p in pairs] + [0.0] * 2 * n_s, dtype=float)

    def optimum(objective: np.ndarray, fixed: list[tuple[np.ndarray, int]]) -> int:
        result = linprog(
            objective,
            A_ub=np.array(a_ub),
            b_ub=b_ub,
            A_eq=np.array(a_eq + [row for row, _v in fixed]),
            b_eq=b_eq + [v for _r, v in fixed],
            bounds=bounds,
            method="highs",
        )
        assert result.status == 0, result.message
        return round(result.fun)

    most = -optimum(-count, [])
    most_met = -optimum(-met, [(count, most)])
    return most, most_met, optimum(cost, [(count, most), (met, most_met)])


def _met_minimums(problem: Problem, pairs: tuple[tuple[int, int], ...]) -> int:
    province = {e.id: e.province for e in problem.experts}
    total = 0
    for paper in problem.papers:
        for prov, minimum in _minimums(paper).items():
            got = sum(1 for pid, eid in pairs if pid == paper.id and province[eid] == prov)
            total += min(got, minimum)
    return total


def _reported(result: Result) -> list[tuple[int, str | None, int]]:
    return sorted(((s.paper, s.province, s.missing) for s in result.shortfalls), key=str)


def _out_of_field(problem: Problem, pairs: tuple[tuple[int, int], ...]) -> int:
    papers = {p.id: p for p in problem.papers}
    experts = {e.id: e for e in problem.experts}
    return sum(1 for pid, eid in pairs if papers[pid].field not in experts[eid].fields)


# --- Properties ------------------------------------------------------------------------------

PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROPERTY
@given(problems())
def test_solution_breaks_no_rule_and_reports_exactly_what_is_unmet(problem):
    result = solve(problem)

    assert violations(problem, result.pairs) == []
    assert violations(problem, result.pairs, result.shortfalls) == []
    assert _reported(result) == sorted(unmet(problem, result.pairs), key=str)
    assert result.optimal
    assert list(result.pairs) == sorted(set(result.pairs))


@PROPERTY
@given(problems())
def test_solution_is_as_large_and_as_cheap_as_the_linear_program_says(problem):
    result = solve(problem)
    most, most_met, cheapest = lp_optimum(problem)

    assert len(result.pairs) == most
    assert _met_minimums(problem, result.pairs) == most_met
    assert result.objective == cheapest
    costs = pair_costs(problem)
    assert result.objective == sum(costs[pair] for pair in result.pairs)
    if most == sum(_demand(p) for p in problem.papers):
        assert result.shortfalls == ()
    else:
        assert sum(s.missing for s in result.shortfalls) == sum(_demand(p) for p in problem.papers) - most


@PROPERTY
@given(problems(), st.randoms(use_true_random=False))
def test_same_seed_gives_the_same_pairs_whatever_the_order_of_the_input(problem, rnd):
    papers, experts = list(problem.papers), list(problem.experts)
    rnd.shuffle(papers)
    rnd.shuffle(experts)
    shuffled = Problem(
        papers=tuple(papers),
        experts=tuple(experts),
        conflicts=problem.conflicts,
        seed=problem.seed,
        excluded=problem.excluded,
    )

    assert solve(shuffled) == solve(problem)


@PROPERTY
@given(problems(), st.integers(0, 2**32))
def test_another_seed_changes_only_ties(problem, seed):
    first = solve(problem)
    other_problem = Problem(
        papers=problem.papers,
        experts=problem.experts,
        conflicts=problem.conflicts,
        seed=seed,
        excluded=problem.excluded,
    )
    other = solve(other_problem)

    assert len(other.pairs) == len(first.pairs)
    assert _out_of_field(problem, other.pairs) == _out_of_field(problem, first.pairs)
    assert _met_minimums(problem, other.pairs) == _met_minimums(problem, first.pairs)
    field_cost = build_network(problem).field_cost
    assert other.objective // field_cost == first.objective // field_cost


# --- Concrete cases --------------------------------------------------------------------------


def _experts(
    start: int, count: int, province: str, fields: tuple[str, ...], capacity: int = 5
) -> list[Expert]:
    return [
        Expert(id=start + n, province=province, fields=frozenset(fields), capacity=capacity)
        for n in range(count)
    ]


def test_experts_of_the_papers_field_are_drawn_first():
    experts = _experts(1, 3, "SC", ("AI",)) + _experts(10, 6, "SC", ("BIO",))
    for seed in range(20):
        problem = Problem(
            papers=(Paper(1, "AI", 3),), experts=tuple(experts), conflicts=frozenset(), seed=seed
        )

        assert solve(problem).pairs == ((1, 1), (1, 2), (1, 3))


def test_out_of_field_experts_fill_in_when_the_field_has_too_few():
    experts = _experts(1, 2, "SC", ("AI",)) + _experts(10, 6, "SC", ("BIO",))
    problem = Problem(papers=(Paper(1, "AI", 4),), experts=tuple(experts), conflicts=frozenset(), seed=3)

    result = solve(problem)

    assert {(1, 1), (1, 2)} <= set(result.pairs)
    assert len(result.pairs) == 4
    assert result.shortfalls == ()


def test_province_minimum_is_met_exactly_even_against_the_field_preference():
    # k = 5, m = 2: the in-field Sichuan experts are cheaper, yet two Chongqing ones are drawn.
    experts = _experts(1, 10, "SC", ("AI",)) + _experts(100, 10, "CQ", ("BIO",))
    paper = Paper(7, "AI", 5, (("SC", 2), ("CQ", 2)))
    for seed in range(10):
        result = solve(Problem(papers=(paper,), experts=tuple(experts), conflicts=frozenset(), seed=seed))
        provinces = [("CQ" if eid >= 100 else "SC") for _pid, eid in result.pairs]

        assert sorted(provinces) == ["CQ", "CQ", "SC", "SC", "SC"]
        assert result.shortfalls == ()
        assert result.optimal


def test_province_with_every_expert_in_conflict_is_named_in_a_province_shortfall():
    experts = _experts(1, 6, "SC", ("AI",)) + _experts(100, 4, "CQ", ("AI",))
    paper = Paper(7, "AI", 5, (("SC", 2), ("CQ", 2)))
    conflicts = frozenset((7, eid) for eid in range(100, 104))
    problem = Problem(papers=(paper,), experts=tuple(experts), conflicts=conflicts, seed=1)

    result = solve(problem)

    assert result.shortfalls == (
        Shortfall(paper=7, province="CQ", missing=2, reason=REASON_PROVINCE, candidates=0, in_field=0),
    )
    # The two slots kept for Chongqing are not filled from Sichuan.
    assert len(result.pairs) == 3
    assert all(eid < 100 for _pid, eid in result.pairs)
    assert violations(problem, result.pairs, result.shortfalls) == []
    assert unmet(problem, result.pairs) == [(7, "CQ", 2)]


def test_province_shortfall_counts_candidates_in_and_out_of_the_field():
    experts = (
        _experts(1, 6, "SC", ("AI",)) + _experts(100, 1, "CQ", ("AI",)) + _experts(200, 1, "CQ", ("BIO",))
    )
    conflicts = frozenset({(7, 200)})
    problem = Problem(
        papers=(Paper(7, "AI", 5, (("SC", 2), ("CQ", 3))),),
        experts=tuple(experts),
        conflicts=conflicts,
        seed=1,
    )

    (shortfall,) = solve(problem).shortfalls

    assert shortfall == Shortfall(7, "CQ", 2, REASON_PROVINCE, candidates=1, in_field=1)


def test_loads_used_up_by_other_papers_give_a_capacity_shortfall():
    experts = _experts(1, 4, "SC", ("AI",)) + [Expert(100, "CQ", frozenset({"AI"}), capacity=1)]
    papers = (Paper(1, "AI", 2, (("CQ", 1),)), Paper(2, "AI", 2, (("CQ", 1),)))
    problem = Problem(papers=papers, experts=tuple(experts), conflicts=frozenset(), seed=5)

    result = solve(problem)

    (shortfall,) = result.shortfalls
    assert shortfall.province == "CQ"
    assert shortfall.missing == 1
    assert shortfall.reason == REASON_CAPACITY
    assert shortfall.candidates == 1
    assert len(result.pairs) == 3
    assert result.optimal


def test_too_few_experts_at_all_give_a_total_shortfall():
    experts = _experts(1, 3, "SC", ("AI",), capacity=1) + _experts(10, 1, "CQ", ("BIO",))
    problem = Problem(
        papers=(Paper(1, "AI", 5),), experts=tuple(experts), conflicts=frozenset({(1, 10)}), seed=0
    )

    result = solve(problem)

    assert result.shortfalls == (Shortfall(1, None, 2, REASON_TOTAL, candidates=3, in_field=3),)
    assert len(result.pairs) == 3


def test_pairs_already_made_and_experts_without_slots_are_never_drawn():
    experts = [
        Expert(1, "SC", frozenset({"AI"}), 3),
        Expert(2, "SC", frozenset({"AI"}), 0),
        Expert(3, "CQ", frozenset(), 2),
    ]
    problem = Problem(
        papers=(Paper(1, "AI", 3),),
        experts=tuple(experts),
        conflicts=frozenset(),
        seed=0,
        excluded=frozenset({(1, 1)}),
    )

    result = solve(problem)

    assert result.pairs == ((1, 3),)
    assert result.shortfalls == (Shortfall(1, None, 2, REASON_TOTAL, candidates=1, in_field=0),)


def test_minimums_above_the_need_raise_the_demand():
    experts = _experts(1, 3, "SC", ("AI",)) + _experts(10, 3, "CQ", ("AI",))
    problem = Problem(
        papers=(Paper(1, "AI", 1, (("SC", 1), ("CQ", 2))),),
        experts=tuple(experts),
        conflicts=frozenset(),
        seed=0,
    )

    result = solve(problem)

    assert len(result.pairs) == 3
    assert result.shortfalls == ()
    assert violations(problem, result.pairs) == []


def test_empty_problem_gives_an_empty_optimal_result():
    result = solve(Problem(papers=(), experts=(), conflicts=frozenset(), seed=0))

    assert result == Result(pairs=(), objective=0, optimal=True, shortfalls=())


def test_papers_without_experts_are_all_short():
    problem = Problem(
        papers=(Paper(1, "AI", 3, (("SC", 1), ("CQ", 1))),), experts=(), conflicts=frozenset(), seed=0
    )

    result = solve(problem)

    assert result.pairs == ()
    assert {(s.province, s.missing, s.reason) for s in result.shortfalls} == {
        ("SC", 1, REASON_PROVINCE),
        ("CQ", 1, REASON_PROVINCE),
        (None, 1, REASON_TOTAL),
    }


def test_progress_is_reported_from_zero_to_one():
    seen: list[float] = []
    experts = _experts(1, 2, "SC", ("AI",), capacity=1)
    problem = Problem(
        papers=(Paper(1, "AI", 2), Paper(2, "AI", 2)), experts=tuple(experts), conflicts=frozenset(), seed=0
    )

    solve(problem, progress=seen.append)

    assert seen[0] == 0.0
    assert seen[-1] == 1.0
    assert seen == sorted(seen)


def test_a_paper_or_an_expert_listed_twice_is_refused():
    with pytest.raises(ValueError, match="paper id 1"):
        solve(
            Problem(papers=(Paper(1, "AI", 1), Paper(1, "AI", 2)), experts=(), conflicts=frozenset(), seed=0)
        )


def test_a_larger_random_problem_is_solved_within_the_rules():
    rnd = random.Random(4)
    experts = tuple(
        Expert(
            j, rnd.choice(("SC", "CQ")), frozenset(rnd.sample(FIELDS, rnd.randint(1, 2))), rnd.randint(5, 12)
        )
        for j in range(120)
    )
    papers = tuple(Paper(i, rnd.choice(FIELDS), 5, (("SC", 2), ("CQ", 2))) for i in range(300))
    conflicts = frozenset((i, rnd.randrange(120)) for i in range(300) for _ in range(3))
    problem = Problem(papers=papers, experts=experts, conflicts=conflicts, seed=11)

    result = solve(problem)

    assert result.optimal
    assert violations(problem, result.pairs, result.shortfalls) == []


def test_costs_out_of_ortools_range_shrink_the_ties_not_the_rules(monkeypatch):
    from reviews import assignment

    rnd = random.Random(2)
    experts = tuple(
        Expert(j, rnd.choice(("SC", "CQ")), frozenset({rnd.choice(FIELDS)}), 3) for j in range(30)
    )
    papers = tuple(Paper(i, rnd.choice(FIELDS), 3, (("SC", 1), ("CQ", 1))) for i in range(40))
    problem = Problem(papers=papers, experts=experts, conflicts=frozenset(), seed=1)
    wide = solve(problem)
    monkeypatch.setattr(assignment, "_COST_HEADROOM", 10**9)

    narrow = solve(problem)

    assert build_network(problem).field_cost < build_network(problem).bonus < 10**9
    assert narrow.optimal
    assert violations(problem, narrow.pairs, narrow.shortfalls) == []
    assert len(narrow.pairs) == len(wide.pairs)
    assert _out_of_field(problem, narrow.pairs) == _out_of_field(problem, wide.pairs)


def test_a_solve_that_does_not_end_optimal_gives_no_pairs_and_says_so(monkeypatch):
    from reviews import assignment

    monkeypatch.setattr(assignment, "_run", lambda net, diagnose: None)
    experts = _experts(1, 3, "SC", ("AI",)) + _experts(10, 3, "CQ", ("AI",))
    problem = Problem(
        papers=(Paper(1, "AI", 4, (("SC", 1), ("CQ", 1))),),
        experts=tuple(experts),
        conflicts=frozenset(),
        seed=0,
    )

    result = solve(problem)

    assert result.pairs == ()
    assert not result.optimal
    assert sum(s.missing for s in result.shortfalls) == 4


# --- The checker on its own ------------------------------------------------------------------


def test_checker_names_every_broken_rule():
    problem = Problem(
        papers=(Paper(1, "AI", 1), Paper(2, "AI", 2)),
        experts=(Expert(10, "SC", frozenset(), 1), Expert(11, "CQ", frozenset(), 2)),
        conflicts=frozenset({(2, 11)}),
        seed=0,
        excluded=frozenset({(2, 10)}),
    )
    pairs = [(1, 10), (1, 10), (1, 11), (2, 11), (2, 10), (3, 10), (1, 99)]

    found = violations(problem, pairs)

    assert "pair (paper 1, expert 10) is assigned more than once" in found
    assert "pair (paper 2, expert 11) is in conflict" in found
    assert "pair (paper 2, expert 10) was already made before" in found
    assert "pair (paper 3, expert 10): unknown paper 3" in found
    assert "pair (paper 1, expert 99): unknown expert 99" in found
    assert "expert 10 gets 3 papers but has 1 slots left" in found
    assert "paper 1 gets 3 experts but needs 1" in found


def test_checker_finds_a_misstated_shortfall():
    problem = Problem(
        papers=(Paper(1, "AI", 3, (("CQ", 1),)),),
        experts=(Expert(10, "SC", frozenset(), 1),),
        conflicts=frozenset(),
        seed=0,
    )

    assert unmet(problem, [(1, 10)]) == [(1, "CQ", 1), (1, None, 1)]
    assert violations(problem, [(1, 10)], [Shortfall(1, "CQ", 1, REASON_PROVINCE, 0, 0)]) == [
        "paper 1, in all: 1 missing but 0 reported"
    ]
