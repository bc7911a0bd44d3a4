"""The suggested awards of a call: which candidates to fund so that the total ranking score
is as high as possible within each field's quota and each province's budget. Pure: no
Django, no database; ``reviews.services.award_suggestions.awards_suggest`` reads the call, calls
``suggest`` and (when staff accept) creates the awards it proposes.

The problem
-----------
Each candidate ``i`` has a score ``s_i`` (the trimmed mean of its reviews), a field and the
government funding it would get from each side, ``a_i`` from Sichuan and ``b_i`` from
Chongqing. Choose ``x_i ∈ {0, 1}`` to

    maximise   Σ s_i·x_i
    subject to Σ_{i in field f} x_i ≤ quota_f        for every field f (funded projects left)
               Σ a_i·x_i ≤ budget left of Sichuan
               Σ b_i·x_i ≤ budget left of Chongqing

This is a 0-1 knapsack with two weight dimensions (the two budgets) and cardinality
constraints (the quotas): NP-hard in general, but a call has tens of candidates, and an exact
integer program solves that in milliseconds. So we solve it exactly with OR-Tools' CP-SAT and
report whether optimality was proven (a time limit guards against an unexpectedly hard
instance; the answer then says it is the best found, not proven best).

CP-SAT works on integers, so the numbers are scaled exactly, never rounded: scores by
``10**d`` where ``d`` is the largest number of decimals among them (2 for the ranking's
trimmed means), money in fen (yuan × 100; amounts have at most two decimals).

Why not greedy
--------------
Taking candidates in score order while they fit is what a person does by hand, and it is
wrong as soon as money binds. Counter-example (one field, quota 3, Sichuan budget 100):
A scores 90 and needs 100, B and C score 60 and need 50 each. Greedy takes A (total 90) and
then nothing fits; B + C give 120. The same happens with quotas: a high score that uses the
last place of a field can block two cheaper projects whose sum is higher. The tests keep
this case, and compare the solver's objective with a brute force on small instances.

Ties, deterministically
-----------------------
Many sets may reach the best total score. Among them we prefer, in this order:

1. the smaller total of government funding (Sichuan + Chongqing): the same merit for less
   money leaves more for the rest of the programme;
2. lower ids, lexicographically: going through the candidates by ascending id, a candidate
   is taken whenever some best set (by 1.) still contains it together with those taken so
   far. Ids are the applications' ids, i.e. the order of filing, which is stable and known
   to both bureaus.

This is solved in stages (best score; then least money at that score; then the ids, in
blocks of 30 whose objective weighs each id above all later ones of its block together), so
the answer depends only on the data, not on the order in which candidates are given nor on
the solver's search.

Amounts
-------
The caller passes each candidate's amounts as they would be awarded: the government funding
the application requested (its budget lines per side and unit), scaled down to the
project's cap when the request is above it. ``scale_to_cap`` does that scaling, for the
suggestion and for the award services alike, so that both propose the same figures.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from ortools.sat.python import cp_model

CENT = Decimal("0.01")
# More decimals in a score than this is not a ranking score (and would risk int64 sums).
MAX_SCORE_DECIMALS = 6
DEFAULT_TIME_LIMIT = 10.0
# Ids per lexicographic stage (weights up to 2**(LEX_BLOCK - 1) in the objective).
LEX_BLOCK = 30

# Why a candidate cannot be in any suggestion, whatever else is chosen (codes).
NO_QUOTA = "quota"  # no place left in its field
OVER_SC = "budget_sc"  # needs more than Sichuan has left
OVER_CQ = "budget_cq"  # needs more than Chongqing has left


@dataclass(frozen=True)
class Candidate:
    id: int
    field: str
    score: Decimal
    amount_sc: Decimal
    amount_cq: Decimal

    @property
    def total(self) -> Decimal:
        return self.amount_sc + self.amount_cq


@dataclass(frozen=True)
class Suggestion:
    # The ids of the chosen candidates, ascending.
    chosen: tuple[int, ...]
    score: Decimal
    amount_sc: Decimal
    amount_cq: Decimal
    # True when the solver proved every stage optimal (always, unless the time limit hit).
    optimal: bool
    by_field: Mapping[str, int] = field(default_factory=dict)
    # Candidates that fit in no set at all, with the reason's code (NO_QUOTA, OVER_SC, OVER_CQ).
    unfit: Mapping[int, str] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return self.amount_sc + self.amount_cq


# --- Inputs ---------------------------------------------------------------------------------


def _decimal(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise ValueError(f"{what} must be a Decimal or an int, not {type(value).__name__}")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{what} is not a finite number: {value}")
    return number


def _fen(value: object, what: str) -> int:
    amount = _decimal(value, what)
    if amount < 0:
        raise ValueError(f"{what} may not be negative: {amount}")
    if amount != amount.quantize(CENT):
        raise ValueError(f"{what} has more than two decimals: {amount}")
    return int(amount * 100)


def _decimals(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    return max(0, -int(exponent)) if isinstance(exponent, int) else 0


def _score_scale(scores: Iterable[Decimal]) -> int:
    places = max((_decimals(s.normalize()) for s in scores), default=0)
    if places > MAX_SCORE_DECIMALS:
        raise ValueError(f"scores may have at most {MAX_SCORE_DECIMALS} decimals")
    return 10**places


# --- Solving --------------------------------------------------------------------------------


class _Model:
    """The integer program of the candidates that can fit, with staged objectives."""

    def __init__(
        self,
        ids: list[int],
        scores: dict[int, int],
        money: dict[int, tuple[int, int]],
        fields: dict[int, str],
        quotas: dict[str, int],
        budgets: tuple[int, int],
        time_limit: float,
    ) -> None:
        self.ids = ids
        self.model = cp_model.CpModel()
        self.x = {i: self.model.new_bool_var(f"x{i}") for i in ids}
        for code in sorted({fields[i] for i in ids}):
            self.model.add(sum(self.x[i] for i in ids if fields[i] == code) <= quotas[code])
        self.model.add(sum(money[i][0] * self.x[i] for i in ids) <= budgets[0])
        self.model.add(sum(money[i][1] * self.x[i] for i in ids) <= budgets[1])
        self.score = sum(scores[i] * self.x[i] for i in ids)
        self.money = sum((money[i][0] + money[i][1]) * self.x[i] for i in ids)
        self.time_limit = time_limit

    def solve(self) -> tuple[int, set[int] | None]:
        """(status, chosen ids of the solution found or None)."""
        solver = cp_model.CpSolver()
        # One worker and a fixed seed: the same search every time (the answer is unique anyway
        # once every stage is proven; this keeps a timed-out answer reproducible too).
        solver.parameters.num_workers = 1
        solver.parameters.random_seed = 0
        solver.parameters.max_time_in_seconds = self.time_limit
        status = solver.solve(self.model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return status, None
        return status, {i for i in self.ids if solver.boolean_value(self.x[i])}

    def hint(self, chosen: set[int]) -> None:
        self.model.clear_hints()
        for i in self.ids:
            self.model.add_hint(self.x[i], i in chosen)


def suggest(
    candidates: Iterable[Candidate],
    quotas: Mapping[str, int],
    budget_sc: Decimal | int,
    budget_cq: Decimal | int,
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
) -> Suggestion:
    """The set of candidates with the highest total score within ``quotas`` (places left per
    field code; a field not named has none) and the budgets left of each province, ties
    broken as the module's docstring says. Raises ValueError on malformed input (duplicate
    ids, non-finite or negative amounts, amounts with more than two decimals)."""
    candidates = list(candidates)
    by_id: dict[int, Candidate] = {}
    for candidate in candidates:
        if isinstance(candidate.id, bool) or not isinstance(candidate.id, int):
            raise ValueError(f"candidate ids must be ints, not {candidate.id!r}")
        if candidate.id in by_id:
            raise ValueError(f"candidate {candidate.id} is given twice")
        by_id[candidate.id] = candidate
    scores_in = {i: _decimal(c.score, f"score of {i}") for i, c in by_id.items()}
    money = {
        i: (_fen(c.amount_sc, f"Sichuan amount of {i}"), _fen(c.amount_cq, f"Chongqing amount of {i}"))
        for i, c in by_id.items()
    }
    left = {code: int(count) for code, count in quotas.items()}
    if any(count < 0 for count in left.values()):
        raise ValueError("a quota left may not be negative")
    budgets = (_fen(budget_sc, "Sichuan budget"), _fen(budget_cq, "Chongqing budget"))

    unfit: dict[int, str] = {}
    for i in sorted(by_id):
        if left.get(by_id[i].field, 0) < 1:
            unfit[i] = NO_QUOTA
        elif money[i][0] > budgets[0]:
            unfit[i] = OVER_SC
        elif money[i][1] > budgets[1]:
            unfit[i] = OVER_CQ
    ids = sorted(i for i in by_id if i not in unfit)
    if not ids:
        return _result((), by_id, optimal=True, unfit=unfit)

    scale = _score_scale(scores_in[i] for i in ids)
    scores = {i: int(scores_in[i] * scale) for i in ids}
    fields = {i: by_id[i].field for i in ids}
    program = _Model(ids, scores, money, fields, left, budgets, time_limit)

    # 1. The best total score.
    program.model.maximize(program.score)
    status, chosen = program.solve()
    if chosen is None:  # cannot happen (the empty set is feasible), unless the solver gave up
        return _result((), by_id, optimal=False, unfit=unfit)
    if status != cp_model.OPTIMAL:
        return _result(chosen, by_id, optimal=False, unfit=unfit)
    best_score = sum(scores[i] for i in chosen)
    program.model.add(program.score == best_score)

    # 2. At that score, the least money.
    program.model.minimize(program.money)
    program.hint(chosen)
    status, found = program.solve()
    if found is None:
        return _result(chosen, by_id, optimal=False, unfit=unfit)
    chosen = found
    if status != cp_model.OPTIMAL:
        return _result(chosen, by_id, optimal=False, unfit=unfit)
    program.model.add(program.money == sum(money[i][0] + money[i][1] for i in chosen))

    # 3. Lower ids first, lexicographically: in blocks of ids, maximise Σ 2^(rank from the
    # block's end)·x, which prefers the first id over all later ones of the block together;
    # then fix the block and go on.
    optimal = True
    for start in range(0, len(ids), LEX_BLOCK):
        block = ids[start : start + LEX_BLOCK]
        program.model.maximize(sum(2 ** (len(block) - 1 - k) * program.x[i] for k, i in enumerate(block)))
        program.hint(chosen)
        status, found = program.solve()
        if found is None:
            return _result(chosen, by_id, optimal=False, unfit=unfit)
        chosen = found
        optimal = optimal and status == cp_model.OPTIMAL
        for i in block:
            program.model.add(program.x[i] == int(i in chosen))
    return _result(chosen, by_id, optimal=optimal, unfit=unfit)


def _result(
    chosen: Iterable[int], by_id: Mapping[int, Candidate], *, optimal: bool, unfit: Mapping[int, str]
) -> Suggestion:
    ids = tuple(sorted(chosen))
    by_field: dict[str, int] = {}
    for i in ids:
        by_field[by_id[i].field] = by_field.get(by_id[i].field, 0) + 1
    return Suggestion(
        chosen=ids,
        score=sum((Decimal(by_id[i].score) for i in ids), start=Decimal(0)),
        amount_sc=sum((by_id[i].amount_sc for i in ids), start=Decimal(0)),
        amount_cq=sum((by_id[i].amount_cq for i in ids), start=Decimal(0)),
        optimal=optimal,
        by_field=by_field,
        unfit=dict(unfit),
    )


# --- The cap --------------------------------------------------------------------------------


def apportion[K: Hashable](total: Decimal, weights: Mapping[K, Decimal]) -> dict[K, Decimal]:
    """``total`` (yuan, whole fen) split in proportion to ``weights`` (not all zero): each part
    rounded down to the fen, and the fen left over given one each to the largest remainders
    (ties: key order), so that the parts add up to exactly ``total``."""
    weights = {key: Decimal(value) for key, value in weights.items()}
    whole = sum(weights.values(), start=Decimal(0))
    if whole <= 0:
        raise ValueError("apportion needs weights with a positive sum")
    exact = {key: value * total / whole for key, value in weights.items()}
    parts = {key: value.quantize(CENT, rounding=ROUND_DOWN) for key, value in exact.items()}
    spare = int(((total - sum(parts.values(), start=Decimal(0))) / CENT).to_integral_value(ROUND_DOWN))
    order = sorted(weights, key=lambda key: (-(exact[key] - parts[key]), _sort_key(key)))
    for key in order[:spare]:
        parts[key] += CENT
    return parts


def scale_to_cap[K: Hashable](requested: Mapping[K, Decimal], cap: Decimal) -> dict[K, Decimal]:
    """``requested`` amounts (yuan, per key such as (province, unit)) scaled down in
    proportion so that they add up to exactly ``cap`` when their sum is above it (see
    ``apportion``); unchanged otherwise. Keys with nothing requested (or scaled to nothing)
    are dropped."""
    amounts = {key: Decimal(value) for key, value in requested.items() if value}
    total = sum(amounts.values(), start=Decimal(0))
    if total <= cap:
        return amounts
    if cap <= 0:
        return {}
    return {key: value for key, value in apportion(cap, amounts).items() if value}


def _sort_key(key: object) -> tuple:
    return key if isinstance(key, tuple) else (key,)
