"""The two runs of the harness on a started :class:`~bench.load.stack.Stack`:

- :func:`run_load`: the mixed workload for a fixed time after a warm-up; figures per kind of
  request, errors, memory at the start and at the end of the measured time, and the
  exactly-once check.
- :func:`run_faults`: the workload with, one after another, PostgreSQL restarted, Redis
  restarted and the worker killed and started again; the requests that met a fault are
  counted apart (each must have failed cleanly: no answer or a 5xx), every other request
  must succeed, and afterwards the database holds every submission and notice exactly once
  and the portal answers.

In a fault run, the beat's sweeps of lost work (``CELERY_BEAT_SCHEDULE``: jobs, emails,
notifications, notices) run every 5 s in a thread of the harness (``stack.Beat``, calling
``bench.load.steps.sweep``), resending what has waited 5 s: production runs them every minute
and resends what has waited 2 to 5 minutes, which a short run cannot wait for. A load run
has no sweeps: everything must get done without them.
"""

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.load.client import Answer, Client
from bench.load.stack import Beat, Fault, Stack
from bench.load.stats import KindFigures, Process, figures, memory_growth
from bench.load.workload import Shape, Workload

RESUBMIT = "leader: submit again after a fault"
# The beat's sweeps in a fault run: every 5 s, resending what has waited 5 s (production:
# every minute, what has waited 2 to 5 minutes).
SWEEP_EVERY = 5.0
SWEEP_AGE = 5.0
JOBS_TIMEOUT = 120.0


@dataclass
class Result:
    """What a run measured and checked."""

    seconds: float
    figures: list[KindFigures]
    answers: list[Answer]
    # Answers outside every fault window that did not get what they expected.
    errors: list[Answer]
    memory_start: list[Process]
    memory_end: list[Process]
    memory_ratio: float
    memory_over: list[str]
    verdict: dict[str, Any]
    faults: list[Fault] = field(default_factory=list)
    # Per fault: the answers that met it, by what they got ("200", "500", "no answer: …").
    during: dict[str, Counter] = field(default_factory=dict)
    # Answers that met a fault and failed in a way a client could not see as a failure.
    unclean: list[Answer] = field(default_factory=list)
    # What the beat's sweeps did (a fault run only).
    sweeps: str = ""
    # Per fault: whether a notice batch had notices pending when it began.
    in_flight: dict[str, bool] = field(default_factory=dict)
    # What was checked at the end, and whether it held.
    final_checks: dict[str, bool] = field(default_factory=dict)

    @property
    def problems(self) -> list[str]:
        found = [p for part in self.verdict.values() for p in part["problems"]]
        return found

    @property
    def passed(self) -> bool:
        return (
            not self.errors
            and not self.unclean
            and not self.problems
            and not self.memory_over
            and all(self.final_checks.values())
        )


def _answer_label(answer: Answer) -> str:
    if answer.status:
        return str(answer.status)
    return f"no answer ({answer.detail})"


def _wait_jobs(stack: Stack, timeout: float = JOBS_TIMEOUT) -> None:
    """Until no notice batch is queued or running."""
    deadline = time.monotonic() + timeout
    while stack.query(
        "SELECT count(*) FROM jobs_job WHERE kind = 'notices.batch' AND status IN ('queued', 'running')"
    )[0][0]:
        if time.monotonic() > deadline:
            raise TimeoutError(f"notice batches still unfinished after {timeout:.0f} s")
        time.sleep(0.5)


def _wait_running_batch(stack: Stack, timeout: float) -> bool:
    """Until a notice batch has pending notices (a fault then meets work in flight)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = stack.query(
            "SELECT count(*) FROM reviews_fundingnotice n JOIN jobs_job j ON j.id = n.job_id "
            "WHERE n.status = 'pending' AND j.status IN ('queued', 'running')"
        )[0][0]
        if pending:
            return True
        time.sleep(0.2)
    return False


def _finish(
    stack: Stack, workload: Workload, say: Callable[[str], None], beat: Beat | None = None
) -> dict[str, Any]:
    """After the clients stopped: what was left unsure is sent again, every batch started is
    waited for (the beat's sweeps still running, if any), and the database is checked against
    what the clients were told."""
    told = workload.told
    for draft in stack.seeded["drafts"]:
        if draft["id"] in told.unsure and draft["id"] not in told.submitted:
            client = Client(stack.port, workload.recorder, token=draft["token"])
            # 409: the first attempt had been stored although its answer was lost.
            reply = client.call(
                RESUBMIT, "POST", f"/api/v1/applications/{draft['id']}/submit/", expect=(200, 409), data={}
            )
            if reply.status == 200:
                told.submitted.add(draft["id"])
    _wait_jobs(stack)
    if beat is not None:
        beat.stop()
    return stack.step(
        "verify",
        {
            "seed": stack.seeded,
            "submitted": sorted(told.submitted),
            "saved_versions": told.saved_versions,
            "reviewed": sorted(told.reviewed),
            "notice_calls": sorted(told.jobs),
        },
    )


def _check_alive(workload: Workload) -> None:
    failures = workload.clients_failed()
    if failures:
        raise RuntimeError("clients failed:\n" + "\n".join(failures))


def run_load(
    stack: Stack, *, seconds: float, shape: Shape | None = None, say: Callable[[str], None] = print
) -> Result:
    """The workload for ``seconds`` after a warm-up that ends once the first notice batch is
    over (every worker child has built notices, every web worker has served pages), so that
    the memory at the start is that of a portal at work, not of processes just forked."""
    workload = Workload(stack.port, stack.seeded, shape or Shape())
    workload.start()
    try:
        warm = time.monotonic()
        deadline = warm + 90
        workload.wait_signed_in()
        while time.monotonic() < deadline and not workload.notices.done:
            _check_alive(workload)
            time.sleep(0.25)
        time.sleep(max(0.0, 3 - (time.monotonic() - warm)))
        say(f"load: warm-up {time.monotonic() - warm:.0f} s (until the first notice batch was built)")
        memory_start = stack.memory()
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            _check_alive(workload)
            time.sleep(0.25)
        ended = time.monotonic()
        memory_end = stack.memory()
    finally:
        workload.stop()
    verdict = _finish(stack, workload, say)
    answers = workload.recorder.snapshot()
    window = [a for a in answers if started <= a.started < ended]
    ratio, over = memory_growth(memory_start, memory_end)
    return Result(
        seconds=ended - started,
        figures=figures(window, ended - started),
        answers=answers,
        errors=[a for a in answers if not a.ok],
        memory_start=memory_start,
        memory_end=memory_end,
        memory_ratio=ratio,
        memory_over=over,
        verdict=verdict,
    )


def _idle_redis_restart(stack: Stack, down: float, say: Callable[[str], None]) -> bool:
    """Redis restarted while the worker, just started, waits for work and holds an
    unacknowledged message: the moment at which kombu 5.7 lost the worker every time
    (portal/celery.py). Whether it survived; if not, it is started again for the rest."""
    assert stack.worker is not None and stack.worker.process is not None
    worker_pid = stack.worker.process.pid
    stack.restart_redis(down)
    survived = stack.worker.process.pid == worker_pid and stack.worker.process.poll() is None
    if survived:
        say(
            f"load: Redis restarted with the worker idle: a task sent then ran {stack.probe_worker():.1f} s later"
        )
    else:
        say("load: Redis restarted with the worker idle: the worker EXITED; started again")
        stack.worker.start()
        stack.wait_worker_ready()
    return survived


def run_faults(
    stack: Stack,
    *,
    baseline: float,
    after: float,
    down: float,
    shape: Shape | None = None,
    say: Callable[[str], None] = print,
) -> Result:
    """Redis restarted with the worker idle (``_idle_redis_restart``); then ``baseline``
    seconds of load (every client signed in), then each fault under load (``down`` seconds
    without the service), a task sent to the worker (it must run: the worker consumes again)
    and ``after`` seconds of load; then the checks. The beat's sweeps run every
    ``SWEEP_EVERY`` seconds throughout."""
    faults: list[Fault] = []
    worker_survived: dict[str, bool] = {}
    worker_survived["Redis restarted, the worker idle"] = _idle_redis_restart(stack, down, say)
    beat = stack.beat(SWEEP_EVERY, SWEEP_AGE)
    beat.start()
    try:
        return _faults_under_load(stack, beat, faults, worker_survived, baseline, after, down, shape, say)
    finally:
        beat.stop()


def _faults_under_load(
    stack: Stack,
    beat: Beat,
    faults: list[Fault],
    worker_survived: dict[str, bool],
    baseline: float,
    after: float,
    down: float,
    shape: Shape | None,
    say: Callable[[str], None],
) -> Result:
    in_flight: dict[str, bool] = {}
    workload = Workload(stack.port, stack.seeded, shape or Shape())
    workload.start()
    try:
        started = time.monotonic()
        workload.wait_signed_in()
        while time.monotonic() - started < baseline:
            _check_alive(workload)
            time.sleep(0.25)
        memory_start = stack.memory()
        for inject in (stack.restart_postgres, stack.restart_redis, stack.kill_worker):
            pending = _wait_running_batch(stack, timeout=20)
            assert stack.worker is not None and stack.worker.process is not None
            worker_pid = stack.worker.process.pid
            fault = inject(down)
            faults.append(fault)
            in_flight[fault.name] = pending
            if inject != stack.kill_worker:
                # The same worker must have carried on: never replaced, never exited.
                worker_survived[fault.name] = (
                    stack.worker.process.pid == worker_pid and stack.worker.process.poll() is None
                )
            mark = time.monotonic()
            consumed = ""
            if inject != stack.kill_worker:
                # Not only alive: the same worker takes new tasks from the broker again.
                consumed = f"; a task sent then ran {stack.probe_worker():.1f} s later"
            say(
                f"load: {fault.name}: service back after {fault.service_back - fault.started:.1f} s, "
                f"/healthz 200 after {fault.seconds:.1f} s{consumed}"
                + ("" if pending else " (no notice was pending at the fault)")
            )
            while time.monotonic() - mark < after:
                _check_alive(workload)
                time.sleep(0.25)
        ended = time.monotonic()
        checks = _final_checks(workload)
    finally:
        workload.stop()
    # The worker started again after the kill: up before the last batches are waited for.
    stack.wait_worker_ready()
    say(
        f"load: the new worker was ready {time.monotonic() - faults[-1].service_back:.0f} s after it was started"
    )
    memory_end = stack.memory()
    verdict = _finish(stack, workload, say, beat)
    answers = workload.recorder.snapshot()

    def met(answer: Answer) -> Fault | None:
        for fault in faults:
            if answer.started <= fault.recovered and answer.ended >= fault.started:
                return fault
        return None

    during: dict[str, Counter] = {fault.name: Counter() for fault in faults}
    errors, unclean = [], []
    for answer in answers:
        fault = met(answer)
        if fault is None:
            if not answer.ok:
                errors.append(answer)
            continue
        during[fault.name][_answer_label(answer)] += 1
        if not answer.ok and not answer.clean_failure:
            unclean.append(answer)
    for name, survived in worker_survived.items():
        checks[f"the same worker kept working through '{name}'"] = survived
    # The web processes live through every fault: their growth is bounded. The worker's are
    # new after the kill: shown, not bounded.
    web = [p for p in memory_start if p.role.startswith("gunicorn")]
    ratio, over = memory_growth(web, [p for p in memory_end if p.role.startswith("gunicorn")])
    return Result(
        seconds=ended - started,
        figures=figures(
            [a for a in answers if met(a) is None and started <= a.started < ended], ended - started
        ),
        answers=answers,
        errors=errors,
        memory_start=memory_start,
        memory_end=memory_end,
        memory_ratio=ratio,
        memory_over=over,
        verdict=verdict,
        faults=faults,
        during=during,
        unclean=unclean,
        sweeps=beat.describe(),
        in_flight=in_flight,
        final_checks=checks,
    )


def _final_checks(workload: Workload) -> dict[str, bool]:
    """The portal answers without a manual step: /healthz, a public page, a signed-in page."""
    client = workload.session()
    return {
        f"GET {path} 200": client.call("check", "GET", path).status == 200
        for path in ("/healthz", "/calls/", "/applications/")
    }


def report(result: Result, say: Callable[[str], None] = print) -> None:
    """Print a run's figures, faults and checks."""
    from bench.load.stats import BOUND_TEXT, figures_table, memory_table, sample_errors

    say(f"load: measured {result.seconds:.0f} s, {len(result.answers)} requests in all")
    say(figures_table(result.figures))
    say(f"load: errors outside faults: {len(result.errors)}")
    for line in sample_errors(result.errors):
        say(line)
    for name, counts in result.during.items():
        say(f"load: during '{name}': " + ", ".join(f"{n}×{label}" for label, n in sorted(counts.items())))
    if result.unclean:
        say(f"load: {len(result.unclean)} requests met a fault and failed uncleanly:")
        for line in sample_errors(result.unclean):
            say(line)
    if result.sweeps:
        say(f"load: the beat's sweeps: {result.sweeps}")
    if result.memory_start:
        if result.faults:
            say(
                "load: memory (VmRSS) before the first fault and at the end; gunicorn's processes: "
                f"{BOUND_TEXT} (the worker's were replaced by the kill: not bounded):"
            )
        else:
            say(f"load: memory (VmRSS) at the start and at the end of the measured time, {BOUND_TEXT}:")
        say(memory_table(result.memory_start, result.memory_end))
        for line in result.memory_over:
            say(f"  over the bound: {line}")
    resent = Counter(a.status for a in result.answers if a.kind == RESUBMIT)
    if resent:
        say(
            f"load: submissions that got no answer or a 5xx, sent again afterwards: {resent.get(200, 0)} stored "
            f"now (200), {resent.get(409, 0)} had been stored although the answer was lost (409)"
        )
    verdict = result.verdict
    say(
        f"load: submissions told 200: {verdict['submissions']['told_ok']}, submitted in the database: "
        f"{verdict['submissions']['submitted']}; reviews told 200: {verdict['reviews']['told_ok']}, submitted: "
        f"{verdict['reviews']['submitted']}; notices: {verdict['notices']['notices']} for "
        f"{verdict['notices']['awards']} final awards, {verdict['notices']['files']} files, jobs "
        f"{verdict['notices']['jobs']}, most attempts {verdict['notices']['most_attempts']}"
    )
    for problem in result.problems[:20]:
        say(f"  NOT ONCE: {problem}")
    if result.final_checks:
        say(
            "load: afterwards: "
            + "; ".join(f"{what}: {'yes' if held else 'NO'}" for what, held in result.final_checks.items())
        )
    say(f"load: {'PASSED' if result.passed else 'FAILED'}")
