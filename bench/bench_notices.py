"""Funding notices: a batch of 200 built by a real Celery worker with 2 processes, and one
notice's time warm as a ratio to a bare WeasyPrint render of the same HTML (the floor).

The run creates a throwaway database ``portal_bench_notices_<pid>`` (on ``DATABASE_URL`` when
it names PostgreSQL, else on postgres://postgres@127.0.0.1:5432/, as ``bench_submit`` does),
migrates it and seeds one call with 200 final awards. With a local Redis (database 12,
emptied at the end) it starts ``celery -A portal worker --concurrency 2`` with production
settings (``bench/settings.py``) and the portal's recycling setting
(``CELERY_WORKER_MAX_TASKS_PER_CHILD``, from ``CELERY_MAX_TASKS_PER_CHILD``), starts the
batch as ``generate_notices`` does and times it from the request to the job's end; every
notice must then be built exactly once (one file, one render event, one email each). While
it runs, the peak resident memory (``VmHWM``) of every worker child is read from /proc.

The ratio is measured after the worker has stopped, in one process on the same database:
``notice_render`` of a notice (load it, HTML, QR code, WeasyPrint with the shared stylesheets,
store, fingerprint, audit, email, recount the job) against ``HTML(string=…).write_pdf()`` of
that notice's HTML with the same two stylesheets parsed once and one font configuration (the
floor: WeasyPrint's own work and nothing else), warm, alternating, median of 7 each.

``.venv/bin/python -m bench.bench_notices`` prints the table alone; ``make bench`` runs it with
the others. ``BENCH_NOTICES=50`` runs a smaller batch.
"""

import io
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.load.services import children_of, status_kib
from bench.table import Row

ROOT = Path(__file__).resolve().parent.parent
NOTICES = int(os.environ.get("BENCH_NOTICES", "200"))
CONCURRENCY = 2
ROUNDS = 7
TARGET_RATIO = 1.3
TARGET_MIB = 400
BENCH_REDIS = "redis://127.0.0.1:6379/12"
RESULT = "BENCH_RESULT "
BATCH_TIMEOUT = 1800.0

BATCH_ROW = f"notices: batch of {NOTICES} on {CONCURRENCY} worker processes"
RATIO_ROW = "notices: one notice warm (load, render, store, audit, email)"
MEMORY_ROW = "notices: peak RSS per worker child"


# --- The worker and its children's memory --------------------------------------------------------


class MemoryWatch(threading.Thread):
    """Samples the peak RSS of every child of a worker until stopped; children recycled by
    ``max_tasks_per_child`` are new processes, each counted with its own peak."""

    def __init__(self, worker_pid: int) -> None:
        super().__init__(daemon=True)
        self.worker_pid = worker_pid
        self.peaks: dict[int, int] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(0.25):
            for child in children_of(self.worker_pid):
                peak = status_kib(child, "VmHWM")
                if peak is not None:
                    self.peaks[child] = max(peak, self.peaks.get(child, 0))

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


def _start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    from tests.integration.conftest import launch_worker

    process = launch_worker(
        env=env,
        log_path=log_path,
        name=f"bench-notices-{os.getpid()}@%h",
        media_root=Path(env["MEDIA_ROOT"]),
        concurrency=CONCURRENCY,
    ).process
    deadline = time.monotonic() + 90
    while " ready." not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the Celery worker did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)
    return process


def _stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _redis_url() -> str | None:
    try:
        import redis

        redis.Redis.from_url(BENCH_REDIS, socket_connect_timeout=1).ping()
    except Exception:
        return None
    return BENCH_REDIS


def _flush_redis() -> None:
    try:
        import redis

        redis.Redis.from_url(BENCH_REDIS, socket_connect_timeout=1).flushdb()
    except Exception:  # noqa: S110 — nothing to clean when Redis is not there
        pass


# --- Steps that run in a child process on the bench database -------------------------------------


def seed(count: int) -> dict:
    """One call with ``count`` final awards (each with a self-raised budget line)."""
    from decimal import Decimal

    from django.db import transaction
    from django.test import override_settings

    from applications.models import BudgetLine
    from reviews.models import AwardStatus
    from tests.factories import FundingCallFactory
    from tests.reviews.award_factories import make_award

    fields = ("health", "eco", "ai", "agri")
    with (
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        call = FundingCallFactory(budget_sc=Decimal("1e9"), budget_cq=Decimal("1e9"))
        for index in range(count):
            award = make_award(
                call,
                field=fields[index % 4],
                score=Decimal(95) - Decimal(index) / 10,
                status=AwardStatus.FINAL,
                quota=count,
                title=f"川渝联合攻关项目第{index + 1}号：智能制造与绿色低碳关键技术研究与示范",
            )
            application = award.application
            BudgetLine.objects.create(
                application=application,
                unit_uscc=application.lead_unit.uscc,
                category="operating",
                source="self",
                amount=Decimal("300000"),
            )
    return {"call": call.pk}


def batch(call_id: int) -> dict:
    """Start the batch as ``generate_notices`` does; wait for its job; check exactly once."""
    from django.core.files.storage import default_storage

    from applications.models import FundingCall
    from portal.audit.models import AuditEvent
    from portal.jobs.models import Job, JobStatus
    from portal.mail.models import OutgoingEmail
    from reviews.models import FundingNotice, NoticeStatus
    from reviews.services.notices import notices_batch_start

    started = time.perf_counter()
    job = notices_batch_start(call=FundingCall.objects.get(pk=call_id), by=None)
    deadline = time.monotonic() + BATCH_TIMEOUT
    while job.status in (JobStatus.QUEUED, JobStatus.RUNNING) and time.monotonic() < deadline:
        time.sleep(0.1)
        job = Job.objects.get(pk=job.pk)
    seconds = time.perf_counter() - started
    notices = list(FundingNotice.objects.filter(award__call_id=call_id))
    files = {n.file.name for n in notices if n.file and default_storage.exists(n.file.name)}
    renders = AuditEvent.objects.filter(action="notice.render").values_list("object_id", flat=True)
    emails = OutgoingEmail.objects.filter(kind="funding_notice").values_list("reference", flat=True)
    return {
        "seconds": seconds,
        "status": job.status,
        "done": job.done,
        "failed": job.failed,
        "total": job.total,
        "notices": len(notices),
        "built": sum(1 for n in notices if n.status == NoticeStatus.DONE),
        "files": len(files),
        "renders": len(renders),
        "distinct_renders": len(set(renders)),
        "emails": len(emails),
        "distinct_emails": len(set(emails)),
        "attempts": max((n.attempts for n in notices), default=0),
    }


def ratio(call_id: int) -> dict:
    """One notice warm through the service against the bare render of the same HTML."""
    from pypdf import PdfReader
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from portal.pdf import BASE_CSS_PATH
    from reviews.models import FundingNotice, NoticeStatus
    from reviews.notice_document import NOTICE_CSS_PATH, notice_for_render, notice_html
    from reviews.services.notices import notice_render

    notices = list(FundingNotice.objects.filter(award__call_id=call_id).order_by("pk")[: ROUNDS + 1])
    html = notice_html(notice_for_render(notices[0].pk))
    # The floor does only WeasyPrint's own work: its stylesheets parsed once and one font
    # configuration, as a renderer could at best.
    fonts = FontConfiguration()
    stylesheets = [CSS(filename=str(path), font_config=fonts) for path in (BASE_CSS_PATH, NOTICE_CSS_PATH)]

    def bare() -> bytes:
        return HTML(string=html, base_url=str(ROOT)).write_pdf(stylesheets=stylesheets, font_config=fonts)

    def ours(notice: FundingNotice) -> float:
        # Not timed: the notice back to pending, its file removed (as before its first build).
        notice.file.delete(save=False)
        FundingNotice.objects.filter(pk=notice.pk).update(
            status=NoticeStatus.PENDING, file="", sha256="", generated_at=None, emailed_at=None
        )
        started = time.perf_counter()
        status = notice_render(notice_id=notice.pk)
        elapsed = time.perf_counter() - started
        assert status == NoticeStatus.DONE, status
        return elapsed

    bare()
    ours(notices[-1])  # warm: the process's stylesheets and fonts
    floor_samples, our_samples = [], []
    for notice in notices[:ROUNDS]:
        started = time.perf_counter()
        bare()
        floor_samples.append(time.perf_counter() - started)
        our_samples.append(ours(notice))
    pages = len(PdfReader(io.BytesIO(bare())).pages)
    return {
        "floor": statistics.median(floor_samples),
        "ours": statistics.median(our_samples),
        "pages": pages,
    }


# --- The benchmark -------------------------------------------------------------------------------


def _environment(database_url: str, workdir: Path, redis_url: str | None) -> dict[str, str]:
    from bench.bench_submit import _environment as submit_environment

    env = submit_environment(database_url, workdir)
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def _run_step(env: dict[str, str], step: str, *args: str, timeout: float = BATCH_TIMEOUT) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_notices", step, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(
            f"step {step} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
        )
    return json.loads(lines[-1][len(RESULT) :])


def _not_run(short: str, detail: str) -> list[Row]:
    print(f"bench_notices: not run — {detail}")
    return [
        Row(BATCH_ROW, f"not run: {short}", "every notice once", None, False),
        Row(RATIO_ROW, f"not run: {short}", f"<= {TARGET_RATIO} x floor", None, False),
    ]


def _batch_rows(env: dict[str, str], workdir: Path, call_id: int) -> list[Row]:
    recycle = int(os.environ.get("CELERY_MAX_TASKS_PER_CHILD", "300"))
    log_path = workdir / "worker.log"
    worker = _start_worker(env, log_path)
    watch = MemoryWatch(worker.pid)
    watch.start()
    try:
        result = _run_step(env, "batch", str(call_id))
    finally:
        watch.stop()
        _stop_worker(worker)
    once = (
        result["status"] == "done"
        and result["notices"] == result["built"] == result["files"] == NOTICES
        and result["renders"] == result["distinct_renders"] == NOTICES
        and result["emails"] == result["distinct_emails"] == NOTICES
    )
    rate = result["done"] / result["seconds"]
    peaks = sorted(watch.peaks.values())
    peak_mib = peaks[-1] / 1024 if peaks else 0.0
    print(
        f"bench_notices: {result['done']} of {NOTICES} built in {result['seconds']:.1f} s "
        f"({result['failed']} failed; {result['files']} files, {result['renders']} render events, "
        f"{result['emails']} emails; most attempts of one notice {result['attempts']})"
    )
    print(
        f"bench_notices: worker children seen: {len(peaks)}, peak RSS each: "
        + ", ".join(f"{kib / 1024:.0f} MiB" for kib in peaks)
        + f"; recycled after {recycle} tasks (CELERY_WORKER_MAX_TASKS_PER_CHILD)"
    )
    return [
        Row(
            BATCH_ROW,
            f"{rate:.2f} notices/s ({result['seconds']:.0f} s), exactly once: {'yes' if once else 'NO'}",
            "every notice once",
            None,
            once,
        ),
        Row(
            MEMORY_ROW,
            f"{peak_mib:.0f} MiB ({len(peaks)} children, recycled every {recycle} tasks)",
            f"<= {TARGET_MIB} MiB",
            None,
            bool(peaks) and peak_mib <= TARGET_MIB,
        ),
    ]


def run() -> list[Row]:
    from bench.bench_submit import Unavailable, _create_database, _drop_database, _server_url, _with_database

    server_url = _server_url()
    name = f"portal_bench_notices_{os.getpid()}"
    try:
        _create_database(server_url, name)
    except Unavailable as reason:
        return _not_run(reason.short, str(reason))
    except ImportError as missing:
        return _not_run("no psycopg2", str(missing))
    database_url = _with_database(server_url, name)
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-notices-"))
    redis_url = _redis_url()
    rows: list[Row] = []
    try:
        env = _environment(database_url, workdir, redis_url)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        started = time.perf_counter()
        call_id = _run_step(env, "seed", str(NOTICES))["call"]
        print(f"bench_notices: seeded {NOTICES} final awards in {time.perf_counter() - started:.0f} s")
        if redis_url:
            rows += _batch_rows(env, workdir, call_id)
        else:
            print("bench_notices: no Redis on 127.0.0.1:6379 — the batch on worker processes is not run")
            rows.append(Row(BATCH_ROW, "not run: no Redis", "every notice once", None, False))
            # Without the batch no notice exists yet: build them in-process for the ratio.
            _run_step({k: v for k, v in env.items() if k != "REDIS_URL"}, "batch", str(call_id))
        measured = _run_step(env, "ratio", str(call_id))
        floor, ours = measured["floor"], measured["ours"]
        rows += [
            Row(
                f"notices: bare WeasyPrint render of a notice (floor, {measured['pages']} pages)",
                f"{floor * 1000:.0f} ms",
                "",
                None,
                True,
            ),
            Row(
                RATIO_ROW,
                f"{ours * 1000:.0f} ms",
                f"<= {TARGET_RATIO} x floor",
                ours / floor,
                ours / floor <= TARGET_RATIO,
            ),
        ]
        return rows
    except Exception as error:  # a broken bench is a row of the table, never a crash of `make bench`
        print(f"bench_notices: failed — {type(error).__name__}: {error}")
        return [
            *rows,
            Row(RATIO_ROW, f"failed: {type(error).__name__}", f"<= {TARGET_RATIO} x floor", None, False),
        ]
    finally:
        _drop_database(server_url, name)
        _flush_redis()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("seed", "batch", "ratio"):
        # ``python -m bench.bench_notices STEP ARG``: one step, on the bench database.
        import django

        sys.path.insert(0, str(ROOT))
        django.setup()
        step = {"seed": seed, "batch": batch, "ratio": ratio}[sys.argv[1]]
        print(RESULT + json.dumps(step(int(sys.argv[2]))), flush=True)
    else:
        sys.path.insert(0, str(ROOT))
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
        import django

        django.setup()
        from bench.table import print_table

        print_table(run())
