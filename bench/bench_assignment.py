"""Drawing expert panels with the pure solver ``reviews.assignment``.

(a) 5,000 applications × 1,000 experts (k = 5, at least 1 per province, loads of 25–30, four
fields, two conflicts per application: about 5 M candidate pairs), solved in a child process
so that its peak resident memory — ortools' C++ memory included — is read from the child's
own ``ru_maxrss`` (``os.wait4``), not guessed from Python's allocations. The child also counts
the violations the independent checker ``reviews.assignment_check`` finds: there must be none.

(b) 1,000 × 200 with the same shape, solved by ortools and as a linear program of the same
network (same nodes, arcs, capacities, costs and supplies, from
``reviews.assignment.build_network``) by scipy's HiGHS: the objectives must be equal (the LP
of a network flow has an integral optimum); the ratio of the times is printed.

``.venv/bin/python bench/bench_assignment.py [--quick]`` prints the table alone; ``make
bench`` runs it with the others. ``--quick`` (or ``BENCH_ASSIGNMENT_QUICK=1``) solves
1,000 × 200 and 200 × 50 instead, for a smoke run.
"""

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.table import Row, print_table  # noqa: E402

FIELDS = ("AI", "BIO", "ENV", "MAT")
K = 5
PER_PROVINCE = 1
LOADS = (25, 30)
CONFLICTS_PER_APPLICATION = 2
SEED = 20240601
TARGET_SECONDS = 15.0
TARGET_MIB = 1024.0
FULL = ((5000, 1000), (1000, 200))
QUICK = ((1000, 200), (200, 50))


def make_problem(applications: int, experts: int, seed: int = SEED):
    """A call as the service would hand it over: every application needs k experts, at least
    one per province; half the experts are of each province, with one or two of four fields."""
    from reviews.assignment import Expert, Paper, Problem

    rnd = random.Random(applications * 7919 + experts)
    pool = tuple(
        Expert(
            id=10_000 + j,
            province="SC" if j % 2 == 0 else "CQ",
            fields=frozenset(rnd.sample(FIELDS, rnd.choice((1, 2)))),
            capacity=rnd.randint(*LOADS),
        )
        for j in range(experts)
    )
    papers = tuple(
        Paper(
            id=1 + i,
            field=rnd.choice(FIELDS),
            need=K,
            need_per_province=(("SC", PER_PROVINCE), ("CQ", PER_PROVINCE)),
        )
        for i in range(applications)
    )
    conflicts = frozenset(
        (paper.id, rnd.choice(pool).id) for paper in papers for _ in range(CONFLICTS_PER_APPLICATION)
    )
    return Problem(papers=papers, experts=pool, conflicts=conflicts, seed=seed)


# --- (a) the large run, in a child process ---------------------------------------------------


def child(applications: int, experts: int) -> None:
    """Generate, solve, check; print one JSON line. The parent reads this process's peak RSS."""
    from reviews.assignment import solve
    from reviews.assignment_check import violations

    problem = make_problem(applications, experts)
    started = time.perf_counter()
    result = solve(problem)
    seconds = time.perf_counter() - started
    broken = violations(problem, result.pairs, result.shortfalls)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "optimal": result.optimal,
                "pairs": len(result.pairs),
                "demand": sum(p.need for p in problem.papers),
                "shortfalls": len(result.shortfalls),
                "candidates": len(problem.papers) * len(problem.experts) - len(problem.conflicts),
                "violations": len(broken),
                "first_violations": broken[:5],
                "objective": result.objective,
            }
        ),
        flush=True,
    )


def large(applications: int, experts: int) -> list[Row]:
    label = f"assignment {applications:,}×{experts:,}"
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--child", str(applications), str(experts)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    output = process.stdout.read() if process.stdout else ""
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0 or not output.strip():
        print(f"bench_assignment: the solving process ended with {process.returncode}")
        return [
            Row(
                f"{label}: solve",
                f"failed (exit {process.returncode})",
                f"<= {TARGET_SECONDS:.0f} s",
                None,
                False,
            )
        ]
    figures = json.loads(output.strip().splitlines()[-1])
    peak_mib = usage.ru_maxrss / 1024  # kilobytes on Linux
    seconds = figures["seconds"]
    if figures["violations"]:
        print(f"bench_assignment: violations: {figures['first_violations']}")
    return [
        Row(
            f"{label}: candidate pairs / pairs drawn",
            f"{figures['candidates']:,} / {figures['pairs']:,} of {figures['demand']:,}, {figures['shortfalls']} short",
            "",
            None,
            True,
        ),
        Row(
            f"{label}: solve time",
            f"{seconds:.2f} s",
            f"<= {TARGET_SECONDS:.0f} s",
            seconds / TARGET_SECONDS,
            seconds <= TARGET_SECONDS,
        ),
        Row(
            f"{label}: peak RSS of the solving process",
            f"{peak_mib:.0f} MiB",
            f"<= {TARGET_MIB:.0f} MiB",
            peak_mib / TARGET_MIB,
            peak_mib <= TARGET_MIB,
        ),
        Row(
            f"{label}: proven optimal",
            "yes" if figures["optimal"] else "no",
            "yes",
            None,
            bool(figures["optimal"]),
        ),
        Row(
            f"{label}: violations (independent checker)",
            str(figures["violations"]),
            "0",
            None,
            figures["violations"] == 0,
        ),
    ]


# --- (b) ortools against HiGHS on the same network -------------------------------------------


def highs_objective(problem) -> tuple[int | None, float]:
    """The LP of ``build_network(problem)``: min Σ cost·x, incidence · x = supply, 0 ≤ x ≤ cap."""
    import numpy as np
    from scipy.optimize import linprog
    from scipy.sparse import csr_matrix

    from reviews.assignment import build_network

    net = build_network(problem)
    arcs = len(net.tails)
    nodes = len(net.supplies)
    rows = np.concatenate([net.tails, net.heads]).astype(np.int64)
    cols = np.concatenate([np.arange(arcs), np.arange(arcs)])
    values = np.concatenate([np.ones(arcs), -np.ones(arcs)])
    incidence = csr_matrix((values, (rows, cols)), shape=(nodes, arcs))
    bounds = np.column_stack([np.zeros(arcs), net.capacities.astype(float)])
    started = time.perf_counter()
    answer = linprog(
        net.costs.astype(float),
        A_eq=incidence,
        b_eq=net.supplies.astype(float),
        bounds=bounds,
        method="highs",
    )
    seconds = time.perf_counter() - started
    return (round(answer.fun) if answer.status == 0 else None), seconds


def compared(applications: int, experts: int) -> list[Row]:
    from reviews.assignment import solve

    label = f"assignment {applications:,}×{experts:,}"
    problem = make_problem(applications, experts)
    started = time.perf_counter()
    result = solve(problem)
    ours = time.perf_counter() - started
    lp, lp_seconds = highs_objective(problem)
    same = result.optimal and not result.shortfalls and lp == result.objective
    return [
        Row(
            f"{label}: objective ortools / HiGHS LP",
            f"{result.objective:,} / {'failed' if lp is None else f'{lp:,}'}",
            "equal",
            None,
            same,
        ),
        Row(
            f"{label}: time ortools / HiGHS LP",
            f"{ours:.2f} s / {lp_seconds:.2f} s",
            "",
            lp_seconds / ours,
            True,
        ),
    ]


def run(quick: bool | None = None) -> list[Row]:
    if quick is None:
        quick = os.environ.get("BENCH_ASSIGNMENT_QUICK") == "1"
    (big, small) = QUICK if quick else FULL
    try:
        return large(*big) + compared(*small)
    except Exception as error:  # a broken bench is a row of the table, never a crash of `make bench`
        print(f"bench_assignment: failed — {type(error).__name__}: {error}")
        return [Row("assignment", f"failed: {type(error).__name__}", "", None, False)]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(int(sys.argv[2]), int(sys.argv[3]))
    else:
        rows = run(quick="--quick" in sys.argv[1:] or None)
        print_table(rows)
        raise SystemExit(0 if all(row.met for row in rows) else 1)
