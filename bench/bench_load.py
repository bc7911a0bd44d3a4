"""The mixed workload on the whole stack (``bench/load``): gunicorn (sync workers, 2 × cores + 1),
a throwaway PostgreSQL and Redis, a real Celery worker (2 processes), all on loopback, for
60 s after a warm-up (``BENCH_LOAD_SECONDS`` changes it).

Users: 4 applicants signed in through the login form (their list page, their application's
page, the draft read and saved through the API), a project leader submitting a ready draft
every second (API token), 4 experts declaring and scoring their assignments (API tokens),
and bureau staff reading the ranking of a call under review (page and API) while the
funding-notice batches of one call after another are built by the worker. Each user pauses
50–250 ms between requests.

Rows: the throughput, p50/p95/p99 per kind of request against a p95 target, the errors (0),
the resident memory of the web and worker processes at the start and at the end of the
measured time against a bound (each process: end ≤ 1.5 × start + 50 MiB), and the
exactly-once check of what the clients were told (submissions, reviews, notices).

``.venv/bin/python -m bench.load --seconds 60`` runs it alone with its full report.
"""

import os

from bench.table import Row

SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
# Throughput of the whole mix on a 2-core machine (the clients pause between requests, so
# this is what 12 users ask for when the portal keeps up, not the portal's ceiling).
TARGET_PER_SECOND = 20.0
# p95 per kind: reads in 1 s, writes and the ranking (every review of 60 applications
# aggregated per request) in 1.5 s, under the whole mix on 2 cores.
TARGET_P95_MS = {
    "applicant: list page": 1000,
    "applicant: application page": 1000,
    "applicant: read draft (API)": 1000,
    "applicant: save draft (PATCH)": 1500,
    "leader: submit (POST)": 1500,
    "expert: declare": 1000,
    "expert: read score sheet": 1000,
    "expert: save scores (draft)": 1500,
    "expert: submit review": 1500,
    "expert: list assignments": 1000,
    "staff: ranking page": 1500,
    "staff: ranking (API)": 1500,
    "staff: start notice batch": 1000,
    "staff: batch progress": 1000,
    "staff: notices of a call": 1000,
}
THROUGHPUT_ROW = "load: mixed workload throughput"


def _not_run(detail: str) -> list[Row]:
    print(f"bench_load: not run — {detail}")
    return [Row(THROUGHPUT_ROW, f"not run: {detail[:60]}", f">= {TARGET_PER_SECOND:.0f} req/s", None, False)]


def _memory_row(name: str, role: str, result) -> Row:
    from bench.load.stats import BOUND_TEXT, GROWTH_FACTOR, GROWTH_SLACK_KIB, MIB

    start = [p for p in result.memory_start if p.role.startswith(role)]
    end = [p for p in result.memory_end if p.role.startswith(role)]
    before = {p.pid: p.kib for p in start}
    largest = max((p.kib for p in start), default=0)
    ratios = [p.kib / (GROWTH_FACTOR * before.get(p.pid, largest) + GROWTH_SLACK_KIB) for p in end]
    worst = max(ratios, default=0.0)
    figure = (
        f"{sum(p.kib for p in start) / MIB:.0f} -> {sum(p.kib for p in end) / MIB:.0f} MiB "
        f"({len(end)} processes, largest {max((p.kib for p in end), default=0) / MIB:.0f} MiB)"
    )
    return Row(name, figure, BOUND_TEXT, worst, bool(end) and worst <= 1.0)


def run() -> list[Row]:
    from bench.load.scenario import report, run_load
    from bench.load.services import HarnessError
    from bench.load.stack import Stack
    from bench.load.steps import Plan
    from bench.load.workload import Shape

    # One draft a second from the warm-up on, with room to spare.
    plan = Plan(drafts=int(SECONDS + 30), assignments=30, notice_calls=8, awards=4)
    shape = Shape(leaders=1, submit_interval=1.0)
    try:
        with Stack(plan) as stack:
            result = run_load(stack, seconds=SECONDS, shape=shape)
            report(result)
    except HarnessError as error:
        return _not_run(str(error))
    except Exception as error:  # a broken bench is a row of the table, never a crash of `make bench`
        print(f"bench_load: failed — {type(error).__name__}: {error}")
        return [
            Row(
                THROUGHPUT_ROW,
                f"failed: {type(error).__name__}",
                f">= {TARGET_PER_SECOND:.0f} req/s",
                None,
                False,
            )
        ]

    by_kind = {f.kind: f for f in result.figures}
    total = by_kind["all"]
    rows = [
        Row(
            THROUGHPUT_ROW,
            f"{total.per_second:.1f} req/s ({total.count} in {result.seconds:.0f} s), p95 {total.p95:.0f} ms",
            f">= {TARGET_PER_SECOND:.0f} req/s",
            total.per_second / TARGET_PER_SECOND,
            total.per_second >= TARGET_PER_SECOND,
        )
    ]
    for kind, target in TARGET_P95_MS.items():
        figures = by_kind.get(kind)
        if figures is None:
            continue
        rows.append(
            Row(
                f"load: {kind}",
                f"p50 {figures.p50:.0f} / p95 {figures.p95:.0f} / p99 {figures.p99:.0f} ms ({figures.count})",
                f"p95 <= {target} ms",
                figures.p95 / target,
                figures.p95 <= target,
            )
        )
    rows.append(
        Row(
            "load: errors (all requests, warm-up included)",
            f"{len(result.errors)} of {len(result.answers)}",
            "0",
            None,
            not result.errors,
        )
    )
    rows.append(_memory_row("load: memory of gunicorn (master + workers)", "gunicorn", result))
    rows.append(_memory_row("load: memory of the Celery worker (main + children)", "celery", result))
    verdict = result.verdict
    rows.append(
        Row(
            "load: exactly once (submissions, reviews, notices)",
            f"{verdict['submissions']['submitted']} submissions, {verdict['reviews']['submitted']} reviews, "
            f"{verdict['notices']['notices']} notices; {len(result.problems)} problems",
            "0 problems",
            None,
            not result.problems,
        )
    )
    return rows


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from bench.table import print_table

    print_table(run())
