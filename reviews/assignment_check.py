"""An independent check of expert panels drawn by ``reviews.assignment``.

It shares no code with the solver on purpose: it reads the problem's plain data (any object
with the attributes of ``reviews.assignment.Problem``) and the pairs, counts with plain
Python, and says in words every hard rule the pairs break, so a bug in the solver's network
cannot hide in a bug shared with its checker.

The rules read the problem as the solver documents it: a paper's demand is
``max(need, Σ province minimums)``, negative numbers count as 0, a province named twice in
``need_per_province`` counts with its larger minimum.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any


def _minimums(paper: Any) -> dict[str, int]:
    minimums: dict[str, int] = {}
    for province, count in paper.need_per_province:
        minimums[province] = max(minimums.get(province, 0), max(0, int(count)))
    return minimums


def _demand(paper: Any) -> int:
    return max(max(0, int(paper.need)), sum(_minimums(paper).values()))


def violations(
    problem: Any, pairs: Iterable[tuple[int, int]], shortfalls: Iterable[Any] | None = None
) -> list[str]:
    """Every broken rule, one line each: unknown ids, a pair twice, a conflicted pair, a pair
    already made, an expert over his slots, a paper over its demand. With ``shortfalls``
    (the solver's report), also every unmet minimum or demand the report misstates."""
    pairs = list(pairs)
    papers = {paper.id: paper for paper in problem.papers}
    experts = {expert.id: expert for expert in problem.experts}
    found: list[str] = []
    if len(papers) != len(problem.papers):
        found.append("the problem lists a paper id twice")
    if len(experts) != len(problem.experts):
        found.append("the problem lists an expert id twice")

    seen: Counter[tuple[int, int]] = Counter()
    load: Counter[int] = Counter()
    panel: Counter[int] = Counter()
    for pair in pairs:
        paper_id, expert_id = pair
        seen[(paper_id, expert_id)] += 1
        if seen[(paper_id, expert_id)] == 2:
            found.append(f"pair (paper {paper_id}, expert {expert_id}) is assigned more than once")
        if seen[(paper_id, expert_id)] > 1:
            continue
        if paper_id not in papers:
            found.append(f"pair (paper {paper_id}, expert {expert_id}): unknown paper {paper_id}")
        if expert_id not in experts:
            found.append(f"pair (paper {paper_id}, expert {expert_id}): unknown expert {expert_id}")
        if (paper_id, expert_id) in problem.conflicts:
            found.append(f"pair (paper {paper_id}, expert {expert_id}) is in conflict")
        if (paper_id, expert_id) in problem.excluded:
            found.append(f"pair (paper {paper_id}, expert {expert_id}) was already made before")
        load[expert_id] += 1
        panel[paper_id] += 1

    for expert_id, count in sorted(load.items()):
        expert = experts.get(expert_id)
        if expert is not None and count > max(0, int(expert.capacity)):
            found.append(
                f"expert {expert_id} gets {count} papers but has {max(0, int(expert.capacity))} slots left"
            )
    for paper_id, count in sorted(panel.items()):
        paper = papers.get(paper_id)
        if paper is not None and count > _demand(paper):
            found.append(f"paper {paper_id} gets {count} experts but needs {_demand(paper)}")

    if shortfalls is not None:
        expected = {(paper, province): missing for paper, province, missing in unmet(problem, pairs)}
        reported: dict[tuple[int, str | None], int] = defaultdict(int)
        for shortfall in shortfalls:
            reported[(shortfall.paper, shortfall.province)] += shortfall.missing
        for key in sorted(set(expected) | set(reported), key=str):
            paper_id, province = key
            where = f"paper {paper_id}" + (f", province {province}" if province is not None else ", in all")
            if expected.get(key, 0) != reported.get(key, 0):
                found.append(f"{where}: {expected.get(key, 0)} missing but {reported.get(key, 0)} reported")
    return found


def unmet(problem: Any, pairs: Iterable[tuple[int, int]]) -> list[tuple[int, str | None, int]]:
    """What the pairs leave unmet, sorted: ``(paper, province, missing)`` for a province
    minimum not reached, and ``(paper, None, missing)`` for the rest of the demand (beyond
    what the unmet minimums already count)."""
    province_of = {expert.id: expert.province for expert in problem.experts}
    got: dict[int, Counter[str]] = defaultdict(Counter)
    for paper_id, expert_id in set(pairs):
        if expert_id in province_of:
            got[paper_id][province_of[expert_id]] += 1
    found: list[tuple[int, str | None, int]] = []
    for paper in sorted(problem.papers, key=lambda p: p.id):
        minimums = _minimums(paper)
        mine = got[paper.id]
        for province in sorted(minimums):
            if mine[province] < minimums[province]:
                found.append((paper.id, province, minimums[province] - mine[province]))
        # A paper's slots kept for a province count as taken by that province, met or not.
        counted = sum(max(mine[p], minimums.get(p, 0)) for p in set(mine) | set(minimums))
        if counted < _demand(paper):
            found.append((paper.id, None, _demand(paper) - counted))
    return found
