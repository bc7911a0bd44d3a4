"""Faults under load, the short form of ``bench/load`` for CI: the portal on gunicorn with a
throwaway PostgreSQL and Redis and a real Celery worker, a mixed workload of applicants,
project leaders, experts and staff (``bench/load/workload.py``), and under that load, one after
another: PostgreSQL restarted, Redis restarted (while the worker holds an unacknowledged
message), the worker killed with SIGKILL and started again.

Afterwards: every request that did not meet a fault succeeded; each that met one failed
cleanly (no answer or a 5xx) or succeeded and persisted; every submission answered 200 is in
the database exactly once and none is half-made; every review answered 200 is submitted with
all its scores; every funding notice of the batches run exists once (one current notice per
award, one file matching its fingerprint, one render, one email); the worker kept running
and taking tasks through the PostgreSQL and Redis restarts, also through a Redis restart
while idle with an unacknowledged message (which kombu 5.7 did not survive: portal/celery.py);
the web processes' memory stayed within 1.5 × + 50 MiB; and /healthz and pages answer 200
without a manual step. The beat's sweeps of lost work run every 5 s throughout, resending what
has waited 5 s (``bench.load.stack.Beat``; production: every minute, after 2 to 5 minutes).

The whole run takes about 1.5 to 2.5 minutes (by the machine's load); the machine's shared
PostgreSQL and Redis are never touched (the harness runs its own on free ports, as the
``postgres`` user when root).
"""

import shutil
import time

import pytest

from bench.load.scenario import report, run_faults
from bench.load.services import HarnessError, postgres_bin
from bench.load.stack import Stack
from bench.load.steps import Plan
from bench.load.workload import Shape
from tests.conftest import need

pytestmark = pytest.mark.integration

PLAN = Plan(applicants=2, drafts=30, experts=3, assignments=12, ranked=24, notice_calls=6, awards=3)
# One leader submits every 1.5 s: the drafts last past the second fault.
SHAPE = Shape(leaders=1, submit_interval=1.5)


def _postgres_installed() -> bool:
    try:
        postgres_bin()
    except HarnessError:
        return False
    return True


def test_the_portal_survives_postgresql_redis_and_worker_faults_under_load() -> None:
    need(shutil.which("redis-server") is not None, "redis-server is not installed")
    need(_postgres_installed(), "PostgreSQL's initdb is not installed")
    lines: list[str] = []
    started = time.monotonic()
    # 3 web workers and 1 worker process: the other xdist process runs tests beside this one.
    with Stack(PLAN, web_workers=3, worker_concurrency=1, say=lines.append) as stack:
        result = run_faults(stack, baseline=10, after=3, down=2, shape=SHAPE, say=lines.append)
        report(result, say=lines.append)
        worker_log = stack.worker_log()
    lines.append(f"load: the fault run took {time.monotonic() - started:.0f} s in all")
    text = "\n".join(lines)
    print(text)

    assert [fault.name for fault in result.faults] == [
        "PostgreSQL restarted",
        "Redis restarted",
        "Celery worker killed (SIGKILL)",
    ]
    assert not result.errors, f"requests failed outside the faults:\n{text}"
    assert not result.unclean, f"requests that met a fault failed uncleanly:\n{text}"
    assert not result.problems, f"not exactly once:\n{text}"
    assert not result.memory_over, f"the web processes grew beyond the bound:\n{text}"
    assert all(result.final_checks.values()), (
        f"the portal did not recover on its own:\n{text}\n{worker_log[-4000:]}"
    )
    # The faults were real and met work: the database's absence was seen as 500s, and
    # submissions, reviews and notices were made around them.
    assert any(label == "500" for label in result.during["PostgreSQL restarted"]), text
    assert result.verdict["submissions"]["submitted"] >= 10, text
    assert result.verdict["reviews"]["submitted"] >= 10, text
    assert all(result.in_flight.values()), f"a fault met no notice batch in flight:\n{text}"
    assert result.verdict["notices"]["notices"] >= 3, text
