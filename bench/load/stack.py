"""The whole stack of one harness run on loopback: a throwaway PostgreSQL and Redis, the
database migrated and seeded, gunicorn serving the portal and a Celery worker — and the
faults: PostgreSQL restarted, Redis restarted, the worker killed and started again.

``with Stack(plan) as stack:`` starts everything and stops everything at the end, also when
the run fails (the throwaway servers' folders are removed).
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.load.services import (
    ROOT,
    CeleryWorker,
    Gunicorn,
    HarnessError,
    Postgres,
    Redis,
    free_port,
    healthz,
    stop_process,
    tree_rss,
)
from bench.load.stats import Process
from bench.load.steps import Plan

DATABASE = "portal_load"
# Production's rule of thumb for gunicorn sync workers (Dockerfile: WEB_CONCURRENCY).
WEB_WORKERS = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
WORKER_CONCURRENCY = min(os.cpu_count() or 1, 2)
STEP_TIMEOUT = 600.0


@dataclass(frozen=True)
class Fault:
    """One fault: when it began, when the service was back, when the portal answered again."""

    name: str
    started: float
    service_back: float
    recovered: float

    @property
    def seconds(self) -> float:
        return self.recovered - self.started


class Stack:
    def __init__(
        self,
        plan: Plan,
        *,
        web_workers: int = WEB_WORKERS,
        worker_concurrency: int = WORKER_CONCURRENCY,
        say: Callable[[str], None] = print,
    ) -> None:
        self.plan = plan
        self.web_workers = web_workers
        self.worker_concurrency = worker_concurrency
        self.say = say
        self.workdir = Path(tempfile.mkdtemp(prefix="portal-load-"))
        self.postgres: Postgres | None = None
        self.redis: Redis | None = None
        self.gunicorn: Gunicorn | None = None
        self.worker: CeleryWorker | None = None
        self.helper: subprocess.Popen | None = None
        self._helper_lock = threading.Lock()
        self.seeded: dict[str, Any] = {}
        self.env: dict[str, str] = {}
        self.timings: dict[str, float] = {}

    # --- Start and stop ------------------------------------------------------------------

    def __enter__(self) -> "Stack":
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _timed(self, name: str, started: float) -> None:
        self.timings[name] = time.monotonic() - started

    def start(self) -> None:
        began = time.monotonic()
        self.postgres = Postgres.create()
        self.postgres.start()
        self.postgres.create_database(DATABASE)
        self.redis = Redis.create()
        self.redis.start()
        self._timed("postgres and redis", began)
        self.env = self._environment()
        port = free_port()
        self.gunicorn = Gunicorn(self.env, port, self.web_workers, self.workdir / "gunicorn.log")
        self.worker = CeleryWorker(
            self.env, self.worker_concurrency, self.workdir / "worker.log", f"load-{os.getpid()}@%h"
        )
        # The web and the worker start while the database is migrated and seeded: neither
        # touches the database before its first request or task.
        self.gunicorn.start()
        self.worker.start()
        started = time.monotonic()
        self._run(
            [sys.executable, "manage.py", "migrate", "--noinput", "--skip-checks", "-v", "0"], "migrate"
        )
        self._timed("migrate", started)
        started = time.monotonic()
        # The seed runs Celery in its own process (no REDIS_URL): nothing it queues reaches the worker.
        self.seeded = self.step("seed", asdict(self.plan), without_broker=True)
        self._timed("seed", started)
        self._start_helper()
        self.gunicorn.wait_healthy()
        self.worker.wait_ready()
        self._timed("start (total)", began)
        self.say(
            f"load: stack up in {self.timings['start (total)']:.0f} s (migrate {self.timings['migrate']:.0f} s, "
            f"seed {self.seeded['seconds']:.0f} s: "
            + ", ".join(f"{k} {v:.0f} s" for k, v in self.seeded["timings"].items())
            + f"); gunicorn {self.web_workers} sync workers on port {port}, "
            f"worker concurrency {self.worker_concurrency}, PostgreSQL on {self.postgres.port}, "
            f"Redis on {self.redis.port}"
        )

    def close(self) -> None:
        for stop in (
            lambda: self.helper and stop_process(self.helper, timeout=10),
            lambda: self.gunicorn and self.gunicorn.stop(),
            lambda: self.worker and self.worker.stop(),
            lambda: self.redis and self.redis.destroy(),
            lambda: self.postgres and self.postgres.destroy(),
        ):
            try:
                stop()
            except Exception as error:  # the others must stop all the same
                self.say(f"load: while stopping: {type(error).__name__}: {error}")
        if os.environ.get("BENCH_LOAD_KEEP") == "1":
            self.say(f"load: logs kept in {self.workdir}")
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def _environment(self) -> dict[str, str]:
        assert self.postgres is not None and self.redis is not None
        dropped = (
            "REDIS_URL",
            "CACHE_URL",
            "EMAIL_HOST",
            "S3_BUCKET",
            "DATABASE_URL",
            "DJANGO_SETTINGS_MODULE",
        )
        env = {key: value for key, value in os.environ.items() if key not in dropped}
        (self.workdir / "static").mkdir()
        (self.workdir / "media").mkdir()
        env.update(
            DJANGO_SETTINGS_MODULE="bench.load.settings",
            DATABASE_URL=self.postgres.url(DATABASE),
            REDIS_URL=self.redis.url,
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            # Plain HTTP on loopback: no TLS proxy in front that would redirect.
            DJANGO_SECURE_SSL_REDIRECT="0",
            # Staff sign in with their password only (the second factor has its own tests).
            PORTAL_REQUIRE_2FA="0",
            PORTAL_VAR_DIR=str(self.workdir / "var"),
            STATIC_ROOT=str(self.workdir / "static"),
            MEDIA_ROOT=str(self.workdir / "media"),
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
        )
        return env

    def _run(self, command: list[str], what: str, env: dict[str, str] | None = None) -> None:
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            raise HarnessError(
                f"{what} failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
            )

    def _start_helper(self) -> None:
        with (self.workdir / "steps.log").open("ab") as log:
            self.helper = subprocess.Popen(
                [sys.executable, "-m", "bench.load.steps", "serve"],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )

    def step(self, name: str, given: dict[str, Any], *, without_broker: bool = False) -> dict[str, Any]:
        """Run ``bench.load.steps``'s ``name`` on the harness's database, in the helper process
        once it runs, else in a child process of its own."""
        if self.helper is not None and not without_broker:
            assert self.helper.stdin is not None and self.helper.stdout is not None
            # One question and its answer at a time (the beat's thread asks too).
            with self._helper_lock:
                self.helper.stdin.write((json.dumps({"step": name, "given": given}) + "\n").encode())
                self.helper.stdin.flush()
                line = self.helper.stdout.readline()
            if not line:
                raise HarnessError(
                    f"the steps helper exited during {name}:\n{(self.workdir / 'steps.log').read_text()[-3000:]}"
                )
            answer = json.loads(line)
            if "error" in answer:
                raise HarnessError(f"{name} failed: {answer['error']}")
            return answer["result"]
        source = self.workdir / f"{name}-in.json"
        target = self.workdir / f"{name}-out.json"
        source.write_text(json.dumps(given))
        env = {k: v for k, v in self.env.items() if not (without_broker and k == "REDIS_URL")}
        self._run([sys.executable, "-m", "bench.load.steps", name, str(source), str(target)], name, env)
        return json.loads(target.read_text())

    def beat(self, every: float, older_than: float) -> "Beat":
        """The beat's sweeps every ``every`` seconds, with an age limit of ``older_than``."""
        return Beat(self, every, older_than)

    # --- Looking at it ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self.gunicorn is not None
        return self.gunicorn.port

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """A read of the harness's database (psycopg2, not the ORM of this process)."""
        import psycopg2

        assert self.postgres is not None
        connection = psycopg2.connect(self.postgres.url(DATABASE), connect_timeout=5)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            connection.close()

    def memory(self) -> list[Process]:
        """RSS of gunicorn's master and workers and of the worker's main process and children."""
        found = []
        for process, roles in ((self.gunicorn, "gunicorn"), (self.worker, "celery")):
            if process is None or process.process is None or process.process.poll() is not None:
                continue
            main = process.process.pid
            for pid, kib in tree_rss(main).items():
                role = f"{roles} master" if roles == "gunicorn" else f"{roles} main"
                if pid != main:
                    role = f"{roles} worker" if roles == "gunicorn" else f"{roles} child"
                found.append(Process(role, pid, kib))
        return found

    def worker_log(self) -> str:
        return self.worker.log() if self.worker else ""

    def web_log(self) -> str:
        assert self.gunicorn is not None
        return self.gunicorn.log_path.read_text(errors="replace")

    # --- Faults --------------------------------------------------------------------------

    def wait_recovered(self, timeout: float = 90.0) -> float:
        """Until ``/healthz`` answers 200 (database and broker) and the worker is up."""
        assert self.gunicorn is not None
        deadline = time.monotonic() + timeout
        while healthz(self.port) != 200:
            if time.monotonic() > deadline:
                raise HarnessError(f"the portal did not recover within {timeout:.0f} s")
            time.sleep(0.1)
        return time.monotonic()

    def restart_postgres(self, down: float) -> Fault:
        """A fast shutdown (connections ended, transactions rolled back), ``down`` seconds
        without a database, then the same cluster started again."""
        assert self.postgres is not None
        started = time.monotonic()
        self.postgres.stop("fast")
        time.sleep(down)
        self.postgres.start()
        back = time.monotonic()
        return Fault("PostgreSQL restarted", started, back, self.wait_recovered())

    def _send_probe(self, **options: Any) -> str:
        """Send the beat's daily publicity task (harmless: the seed has no announcement)."""
        from celery import Celery

        assert self.redis is not None
        # Not the current app: the process's own Celery app (a pytest process's) stays as it is.
        sender = Celery("load-harness", broker=self.redis.url, set_as_current=False)
        try:
            return sender.send_task("reviews.tasks.publicity_close_due_task", **options).id
        finally:
            sender.close()

    def _wait_log(self, text: str, what: str, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while text not in self.worker_log():
            if time.monotonic() > deadline:
                raise HarnessError(f"{what} within {timeout:.0f} s:\n{self.worker_log()[-3000:]}")
            time.sleep(0.1)
        return time.monotonic()

    def hold_unacknowledged(self, timeout: float = 30.0) -> None:
        """Make the worker hold an unacknowledged message, as a task retried with a countdown
        does: a task due in an hour, which the worker keeps until then."""
        task_id = self._send_probe(countdown=3600)
        self._wait_log(f"[{task_id}] received", "the worker did not receive the held message", timeout)

    def probe_worker(self, timeout: float = 60.0) -> float:
        """Seconds until a task sent now has run: the worker consumes from the broker."""
        sent = time.monotonic()
        task_id = self._send_probe()
        return (
            self._wait_log(f"[{task_id}] succeeded", "a task sent to the worker did not run", timeout) - sent
        )

    def restart_redis(self, down: float) -> Fault:
        """Redis stopped (without persistence: every queued and unacknowledged message is lost)
        and started again empty on the same port after ``down`` seconds. The worker holds an
        unacknowledged message at that moment (``hold_unacknowledged``)."""
        assert self.redis is not None
        self.hold_unacknowledged()
        started = time.monotonic()
        self.redis.stop()
        time.sleep(down)
        self.redis.start()
        back = time.monotonic()
        return Fault("Redis restarted", started, back, self.wait_recovered())

    def kill_worker(self, down: float) -> Fault:
        """SIGKILL to the worker and its children; a new worker started ``down`` seconds later,
        as a supervisor would (``restart: unless-stopped``). The load goes on while it boots:
        the web does not wait for workers; ``wait_worker_ready`` waits for it."""
        assert self.worker is not None
        started = time.monotonic()
        self.worker.kill()
        time.sleep(down)
        self.worker.start()
        back = time.monotonic()
        return Fault("Celery worker killed (SIGKILL)", started, back, self.wait_recovered())

    def wait_worker_ready(self) -> None:
        assert self.worker is not None
        self.worker.wait_ready()


class Beat(threading.Thread):
    """Celery beat's sweeps of lost work (``CELERY_BEAT_SCHEDULE``), run by the harness every
    few seconds with an age limit of seconds instead of every minute with 2 to 5 minutes: the
    same functions, on a short run's time scale. A sweep that fails (the database is down) is
    counted and the next one tries again, as beat would."""

    def __init__(self, stack: Stack, every: float, older_than: float) -> None:
        super().__init__(name="load-beat", daemon=True)
        self.stack, self.every, self.older_than = stack, every, older_than
        self.sent: dict[str, int] = {}
        self.sweeps = 0
        self.failed = 0
        self._stopping = threading.Event()

    def sweep(self) -> None:
        try:
            counts = self.stack.step("sweep", {"older_than": self.older_than})
        except HarnessError:
            self.failed += 1
            return
        self.sweeps += 1
        for kind, count in counts.items():
            self.sent[kind] = self.sent.get(kind, 0) + count

    def run(self) -> None:
        while not self._stopping.wait(self.every):
            self.sweep()

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=60)

    def describe(self) -> str:
        sent = ", ".join(f"{kind} {count}" for kind, count in self.sent.items())
        return (
            f"{self.sweeps} sweeps every {self.every:.0f} s (age limit {self.older_than:.0f} s), "
            f"{self.failed} failed while a service was down; sent again: {sent}"
        )
