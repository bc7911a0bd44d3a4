"""Drawing expert panels: plain data in, pairs out (no Django, no project import).

Every paper (an application in the review) needs ``need`` more experts, among them at least
``n`` more of each province named in ``need_per_province``; no expert goes over the slots he
has left, no conflicted or already made pair is used, no pair twice. Among all assignments
that do this, the solver takes the cheapest one: an expert whose fields contain the paper's
field costs less than one whose fields do not, and a pseudo-random part drawn from the seed
breaks the ties (专家随机抽取). The same problem and seed always give the same pairs,
whatever the order of the input.

The network (a min-cost flow, solved by ortools' ``SimpleMinCostFlow``)::

    P(paper) ──free──▶ Q(paper, province) ──1──▶ E(expert) ──capacity──▶ T
                          ▲ supply = minimum of that province
    P(paper) supply = free = demand − Σ minimums;  T demand = Σ demand

* one node ``P`` per paper, one node ``Q`` per paper and province, one node ``E`` per expert
  and a sink ``T``;
* an arc ``Q(paper, p) → E(expert)`` (capacity 1, the pair's cost) for every allowed pair:
  the expert is of province ``p``, has slots left, is neither conflicted with the paper nor
  already on its panel. Capacity 1 means never a pair twice;
* ``E → T`` with the expert's slots left: no expert over his load;
* the province minimum is a lower bound on the flow out of ``Q(paper, p)``. It is written by
  the standard supply transformation: ``Q(paper, p)`` itself supplies the minimum, and ``P``
  supplies only the free rest of the demand, which it may send to any of its ``Q`` nodes. A
  flow that routes every supply therefore gives each paper exactly its demand, of which at
  least the minimum comes from each province: the rule is exact, not a penalty or a
  heuristic, and a minimum-cost flow of it is a cheapest assignment meeting every rule.

A paper's demand is ``max(need, Σ minimums)`` (the province rule is the stricter one when the
two disagree); negative numbers count as 0 and a province named twice in ``need_per_province``
counts with its larger minimum. ``reviews.assignment_check`` applies the same reading.

Costs are integers: ``FIELD × (expert not in the paper's field) + tie`` with a tie in
``[0, TIE_RANGE)`` from a hash of (seed, paper id, expert id) (a smaller range only for
problems far larger than any call, to keep the costs in ortools' range). ``FIELD`` is larger
than the largest possible sum of ties, so fewer out-of-field pairs always wins over any ties: a
different seed changes which experts are drawn among equals, never how many are out of field.

When the whole demand cannot be met (``solve()`` ends INFEASIBLE; flows are never read after
a status other than OPTIMAL: ortools may crash the process then), a second network answers
with ``solve_max_flow_with_min_cost()``: a source ``S`` sends each ``Q`` its minimum at cost 0
and each ``P`` its free rest at a cost ``BONUS`` larger than any difference of real costs.
It finds the largest number of pairs (the same network, so the same rules: a paper's slots
kept for a province are not filled from another province), among those the one that meets
the most province minimums, and among those the cheapest. Shortfalls are then read from the
pairs: per paper and province the minimum not met, and per paper the rest of the demand not
met (province ``None``), each with the reason and the number of candidates. Should ortools
end neither solve OPTIMAL (not seen; e.g. costs out of its range), the result has no pairs,
``optimal=False`` and every demand as a shortfall, so that a caller cannot take it for an answer.

Memory: the allowed pairs are built as numpy arrays and handed to ortools in one call
(``add_arcs_with_capacity_and_unit_cost``), with no Python object per arc; 5,000 papers ×
1,000 experts (about 5 M arcs) solve in well under 1 GiB.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

TIE_RANGE = 1000
# ortools refuses a unit cost above 2⁶³ / (2 · (nodes + 1)) (BAD_COST_RANGE); the diagnosis'
# BONUS, the largest cost, is kept below half of that.
_COST_HEADROOM = 2**61
# The reasons of a shortfall (codes; the service words them).
REASON_PROVINCE = "province"  # too few experts of that province without conflict, with slots left
REASON_TOTAL = "total"  # too few experts at all without conflict, with slots left
REASON_CAPACITY = "capacity"  # there are enough candidates, but their slots went to other papers

_MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class Expert:
    id: int
    province: str
    fields: frozenset[str]
    capacity: int  # slots left in this call


@dataclass(frozen=True)
class Paper:
    id: int
    field: str
    need: int  # experts still to add
    need_per_province: tuple[tuple[str, int], ...] = ()  # (province, at least n more)


@dataclass(frozen=True)
class Problem:
    papers: tuple[Paper, ...]
    experts: tuple[Expert, ...]
    conflicts: frozenset[tuple[int, int]]  # (paper id, expert id) never paired
    seed: int
    provinces: tuple[str, ...] = ("SC", "CQ")
    excluded: frozenset[tuple[int, int]] = frozenset()  # pairs already made


@dataclass(frozen=True)
class Shortfall:
    paper: int
    province: str | None  # None: the paper's demand beyond its province minimums
    missing: int
    reason: str  # REASON_PROVINCE, REASON_TOTAL or REASON_CAPACITY
    candidates: int  # allowed experts (of that province) with slots left
    in_field: int  # of which in the paper's field


@dataclass(frozen=True)
class Result:
    pairs: tuple[tuple[int, int], ...]  # (paper id, expert id), sorted
    objective: int  # cost of the pairs (the field part plus the ties)
    optimal: bool  # the solver proved this assignment optimal
    shortfalls: tuple[Shortfall, ...]


@dataclass(frozen=True)
class Network:
    """The flow network of a problem as flat arrays (papers and experts sorted by id).

    Arcs ``0 … real - 1`` are the allowed pairs (``pair_paper[a]``, ``pair_expert[a]`` index
    ``papers`` and ``experts``); the other arcs carry no cost. ``supplies`` holds one number
    per node (positive: supply; negative: demand). ``diagnose=True`` builds the second
    network (source node, ``BONUS`` on the free part) whose supplies do not need to be met.
    """

    papers: tuple[Paper, ...]
    experts: tuple[Expert, ...]
    provinces: tuple[str, ...]
    tails: np.ndarray  # int32
    heads: np.ndarray  # int32
    capacities: np.ndarray  # int64
    costs: np.ndarray  # int64
    supplies: np.ndarray  # int64, per node
    real: int
    pair_paper: np.ndarray  # int32, per real arc
    pair_expert: np.ndarray  # int32, per real arc
    demand: np.ndarray  # int64, per paper
    minimum: np.ndarray  # int64, papers × provinces
    field_cost: int
    bonus: int


def _demand(paper: Paper, provinces: tuple[str, ...]) -> tuple[int, list[int]]:
    minimum = dict.fromkeys(provinces, 0)
    for province, count in paper.need_per_province:
        minimum[province] = max(minimum[province], max(0, int(count)))
    mins = [minimum[p] for p in provinces]
    return max(max(0, int(paper.need)), sum(mins)), mins


def _ties(seed: int, paper_ids: np.ndarray, expert_ids: np.ndarray, tie_range: int) -> np.ndarray:
    """Pseudo-random ties in [0, tie_range) from (seed, paper id, expert id) — splitmix64, so a
    pair's draw depends on nothing else (not the order of the input, not the other pairs)."""
    with np.errstate(over="ignore"):
        z = np.full(paper_ids.shape, seed & _MASK64, dtype=np.uint64)
        z += paper_ids.astype(np.int64).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        z += expert_ids.astype(np.int64).astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
        z ^= z >> np.uint64(30)
        z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return (z % np.uint64(tie_range)).astype(np.int64)


def _sorted_unique(items: tuple, what: str) -> tuple:
    ordered = tuple(sorted(items, key=lambda item: item.id))
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.id == after.id:
            raise ValueError(f"{what} id {after.id} appears twice in the problem")
    return ordered


def _pair_mask(problem: Problem, papers: tuple[Paper, ...], experts: tuple[Expert, ...]) -> np.ndarray:
    """papers × experts, True where the pair is neither conflicted nor already made."""
    allowed = np.ones((len(papers), len(experts)), dtype=bool)
    if not papers or not experts:
        return allowed
    paper_index = {paper.id: i for i, paper in enumerate(papers)}
    expert_index = {expert.id: j for j, expert in enumerate(experts)}
    rows, cols = [], []
    for paper_id, expert_id in problem.conflicts | problem.excluded:
        i, j = paper_index.get(paper_id), expert_index.get(expert_id)
        if i is not None and j is not None:
            rows.append(i)
            cols.append(j)
    if rows:
        allowed[np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp)] = False
    return allowed


def _fields(papers: tuple[Paper, ...], experts: tuple[Expert, ...]) -> tuple[np.ndarray, np.ndarray]:
    """experts × fields membership and each paper's field, as indexes into it."""
    names = {paper.field for paper in papers} | {f for e in experts for f in e.fields}
    index = {name: k for k, name in enumerate(sorted(names))}
    member = np.zeros((len(experts), max(1, len(index))), dtype=bool)
    for j, expert in enumerate(experts):
        member[j, [index[f] for f in expert.fields]] = True
    return member, np.array([index[p.field] for p in papers], dtype=np.intp)


def build_network(problem: Problem, *, diagnose: bool = False) -> Network:
    """The network of the module docstring, vectorised (no Python object per arc)."""
    papers = _sorted_unique(problem.papers, "paper")
    experts = _sorted_unique(problem.experts, "expert")
    extra = {p for paper in papers for p, _n in paper.need_per_province} | {e.province for e in experts}
    provinces = tuple(dict.fromkeys(problem.provinces)) + tuple(sorted(extra - set(problem.provinces)))
    n_papers, n_experts, n_provinces = len(papers), len(experts), len(provinces)

    demand = np.zeros(n_papers, dtype=np.int64)
    minimum = np.zeros((n_papers, n_provinces), dtype=np.int64)
    for i, paper in enumerate(papers):
        demand[i], minimum[i] = _demand(paper, provinces)
    free = demand - minimum.sum(axis=1)
    capacity = np.array([max(0, int(e.capacity)) for e in experts], dtype=np.int64)
    province_of = np.array([provinces.index(e.province) for e in experts], dtype=np.int32)

    # Allowed pairs: papers with a demand × experts with slots left, minus conflicts and
    # pairs already made. Row-major, so arcs come out ordered by (paper, expert).
    allowed = _pair_mask(problem, papers, experts)
    allowed &= (demand > 0)[:, None]
    allowed &= (capacity > 0)[None, :]
    pair_paper, pair_expert = np.nonzero(allowed)
    del allowed
    pair_paper = pair_paper.astype(np.int32)
    pair_expert = pair_expert.astype(np.int32)

    member, paper_field = _fields(papers, experts)

    real = len(pair_paper)
    # FIELD exceeds the largest possible sum of ties, so the number of out-of-field pairs is
    # minimised first; BONUS exceeds the largest possible real cost, so in the diagnosis the
    # province minimums are met before any cost is saved.
    most_pairs = int(min(demand.sum(), capacity.sum(), real))
    nodes = n_papers * (1 + n_provinces) + n_experts + 2
    tie_range = TIE_RANGE
    while True:
        field_cost = (tie_range - 1) * most_pairs + 1
        bonus = (field_cost + tie_range - 1) * most_pairs + 1
        # Far beyond any call (about 10⁵ pairs): fewer distinct ties keep the costs in range.
        if tie_range == 1 or bonus * (nodes + 1) <= _COST_HEADROOM:
            break
        tie_range //= 2
    costs = _ties(
        problem.seed,
        np.array([p.id for p in papers], dtype=np.int64)[pair_paper],
        np.array([e.id for e in experts], dtype=np.int64)[pair_expert],
        tie_range,
    )
    out_of_field = ~member[pair_expert, paper_field[pair_paper]]
    costs += out_of_field.astype(np.int64) * field_cost
    del out_of_field

    # Node numbers: P = i, Q = first_q + i·provinces + p, E = first_e + j, T, (S).
    first_q = n_papers
    first_e = first_q + n_papers * n_provinces
    sink = first_e + n_experts
    source = sink + 1
    paper_nodes = np.arange(n_papers, dtype=np.int32)
    q_nodes = (
        first_q + paper_nodes[:, None] * n_provinces + np.arange(n_provinces, dtype=np.int32)[None, :]
    ).astype(np.int32)
    expert_nodes = np.arange(first_e, first_e + n_experts, dtype=np.int32)

    tails = [
        q_nodes[pair_paper, province_of[pair_expert]].astype(np.int32),
        np.repeat(paper_nodes, n_provinces),
        expert_nodes,
    ]
    heads = [expert_nodes[pair_expert], q_nodes.ravel(), np.full(n_experts, sink, dtype=np.int32)]
    capacities = [np.ones(real, dtype=np.int64), np.repeat(free, n_provinces), capacity]
    arc_costs = [costs, np.zeros(n_papers * n_provinces, dtype=np.int64), np.zeros(n_experts, dtype=np.int64)]
    supplies = np.zeros(source + 1 if diagnose else sink + 1, dtype=np.int64)
    if diagnose:
        tails += [
            np.full(n_papers, source, dtype=np.int32),
            np.full(n_papers * n_provinces, source, dtype=np.int32),
        ]
        heads += [paper_nodes, q_nodes.ravel()]
        capacities += [free, minimum.ravel()]
        arc_costs += [
            np.full(n_papers, bonus, dtype=np.int64),
            np.zeros(n_papers * n_provinces, dtype=np.int64),
        ]
        supplies[source] = demand.sum()
    else:
        supplies[:n_papers] = free
        supplies[first_q:first_e] = minimum.ravel()
    supplies[sink] = -demand.sum()
    return Network(
        papers=papers,
        experts=experts,
        provinces=provinces,
        tails=np.concatenate(tails).astype(np.int32, copy=False),
        heads=np.concatenate(heads).astype(np.int32, copy=False),
        capacities=np.concatenate(capacities),
        costs=np.concatenate(arc_costs),
        supplies=supplies,
        real=real,
        pair_paper=pair_paper,
        pair_expert=pair_expert,
        demand=demand,
        minimum=minimum,
        field_cost=field_cost,
        bonus=bonus,
    )


def pair_costs(problem: Problem) -> dict[tuple[int, int], int]:
    """The cost of every allowed pair (for tests and benchmarks; small problems)."""
    net = build_network(problem)
    return {
        (net.papers[i].id, net.experts[j].id): int(c)
        for i, j, c in zip(net.pair_paper, net.pair_expert, net.costs[: net.real], strict=True)
    }


def _run(net: Network, *, diagnose: bool) -> np.ndarray | None:
    """Solve the network; the flow on each real arc, or None when the solve was not OPTIMAL."""
    from ortools.graph.python import min_cost_flow

    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(net.tails, net.heads, net.capacities, net.costs)
    nodes = np.flatnonzero(net.supplies).astype(np.int32)
    flow.set_nodes_supplies(nodes, net.supplies[nodes])
    status = flow.solve_max_flow_with_min_cost() if diagnose else flow.solve()
    # Never read flows after another status: ortools may crash the process.
    if status != flow.OPTIMAL:
        return None
    return np.asarray(flow.flows(np.arange(net.real, dtype=np.int32)), dtype=np.int64)


def _shortfalls(problem: Problem, net: Network, used: np.ndarray) -> list[Shortfall]:
    n_provinces = len(net.provinces)
    province_of = np.array([net.provinces.index(e.province) for e in net.experts], dtype=np.int64)
    got = np.zeros((len(net.papers), n_provinces), dtype=np.int64)
    np.add.at(got, (net.pair_paper[used], province_of[net.pair_expert[used]]), 1)
    missing = np.maximum(net.minimum - got, 0)
    rest = net.demand - np.maximum(got, net.minimum).sum(axis=1)
    short = np.flatnonzero((missing.sum(axis=1) > 0) | (rest > 0))
    if not len(short):
        return []
    # Candidates of the short papers, counted from the rules alone (not from the arcs).
    sub = tuple(net.papers[i] for i in short)
    allowed = _pair_mask(problem, sub, net.experts)
    allowed &= np.array([e.capacity > 0 for e in net.experts], dtype=bool)[None, :]
    member, paper_field = _fields(sub, net.experts)
    in_field = member[:, paper_field].T
    found = []
    for row, i in enumerate(short):
        paper = net.papers[i]
        for p, province in enumerate(net.provinces):
            if missing[i, p]:
                mine = allowed[row] & (province_of == p)
                count = int(mine.sum())
                reason = REASON_PROVINCE if count < net.minimum[i, p] else REASON_CAPACITY
                found.append(
                    Shortfall(
                        paper.id,
                        province,
                        int(missing[i, p]),
                        reason,
                        count,
                        int((mine & in_field[row]).sum()),
                    )
                )
        if rest[i] > 0:
            count = int(allowed[row].sum())
            reason = REASON_TOTAL if count < net.demand[i] else REASON_CAPACITY
            found.append(
                Shortfall(
                    paper.id, None, int(rest[i]), reason, count, int((allowed[row] & in_field[row]).sum())
                )
            )
    return found


def solve(problem: Problem, progress: Callable[[float], None] | None = None) -> Result:
    """The cheapest assignment meeting every rule, or — when the demand cannot be met in full —
    the largest one with its shortfalls. Never raises on an infeasible problem."""

    def report(share: float) -> None:
        if progress is not None:
            progress(share)

    report(0.0)
    net = build_network(problem)
    report(0.3)
    flows = _run(net, diagnose=False) if net.real else None
    optimal = flows is not None
    if flows is None and net.real:
        # Not every demand can be met: the largest assignment, province minimums first. The
        # second network has the same real arcs; the first one is dropped before it is built.
        report(0.6)
        del net
        net = build_network(problem, diagnose=True)
        flows = _run(net, diagnose=True)
        optimal = flows is not None
    elif not net.real:
        optimal = True  # no allowed pair: nothing to choose
    report(0.9)
    used = np.flatnonzero(flows > 0) if flows is not None else np.zeros(0, dtype=np.int64)
    pairs = tuple(
        (net.papers[i].id, net.experts[j].id)
        for i, j in zip(net.pair_paper[used].tolist(), net.pair_expert[used].tolist(), strict=True)
    )
    objective = int(net.costs[used].sum())
    shortfalls = tuple(_shortfalls(problem, net, used))
    report(1.0)
    return Result(pairs=tuple(sorted(pairs)), objective=objective, optimal=optimal, shortfalls=shortfalls)
