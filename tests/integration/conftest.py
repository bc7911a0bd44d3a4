"""Integration fixtures: the real PostgreSQL test database, the real Redis broker and a real
Celery worker process.

The worker runs as a subprocess against the test database that pytest-django created
(``test_<name>``) and the broker of ``REDIS_URL``, and shares a media folder with the test
process. Tests here use ``django_db(transaction=True)`` so that the worker sees committed
rows. Without PostgreSQL and Redis every test here skips, unless ``REQUIRE_SERVICES=1``
(as in CI), where it fails.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings

from bench.load.services import Redis, redis_answers
from tests.conftest import need

BASE_DIR = Path(settings.BASE_DIR)
WORKER_START_TIMEOUT = 60.0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/integration carries the ``integration`` marker."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.integration)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    """Keep each phase's report on the item, so fixtures can tell that their test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def require_services() -> None:
    """Skip (locally) or fail (CI) unless PostgreSQL and a Redis broker are configured and answer."""
    engine = settings.DATABASES["default"]["ENGINE"]
    need(
        "postgresql" in engine, f"integration tests need DATABASE_URL=postgres://… (the database is {engine})"
    )
    need(bool(settings.REDIS_URL), "integration tests need REDIS_URL=redis://…")
    need(redis_answers(settings.REDIS_URL), f"Redis does not answer at {settings.REDIS_URL}")


@pytest.fixture(autouse=True)
def _integration_services() -> None:
    require_services()


@pytest.fixture(autouse=True)
def _celery_publishes_to_the_broker() -> Iterator[None]:
    """Tasks go through Redis to the worker, never run in the test process."""
    from portal.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = eager


def database_url(settings_dict: dict) -> str:
    """A postgres:// URL naming the database of a Django connection's settings."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{credentials}{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


@dataclass
class Worker:
    """A Celery worker subprocess, its log, and the media folder it writes to."""

    process: subprocess.Popen
    log_path: Path
    media_root: Path
    name: str
    env: dict[str, str] = field(repr=False)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_offset(self) -> int:
        return len(self.log())

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
        """Poll ``condition`` until it holds; fail with the worker's log if it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if not self.alive():
                pytest.fail(
                    f"the Celery worker exited ({self.process.returncode}) while waiting for {what}:\n{self.log()}"
                )
            time.sleep(0.2)
        pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}; worker log:\n{self.log()}")

    def wait_for_log(self, text: str, *, since: int = 0, timeout: float = 60.0) -> None:
        self.wait_for(lambda: text in self.log()[since:], f"{text!r} in the worker log", timeout)


def _stop(process: subprocess.Popen) -> None:
    """Warm shutdown first (finishes the running task), then kill the whole process group."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def launch_worker(*, env: dict, log_path: Path, name: str, media_root: Path, concurrency: int = 1) -> Worker:
    """Start ``celery worker`` (``concurrency`` prefork children) with ``env``, its output in
    ``log_path``; not waited for. The notices benchmark starts its workers with it too."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "portal",
        "worker",
        "--pool",
        "prefork",
        "--concurrency",
        str(concurrency),
        "-l",
        "info",
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
        "-n",
        name,
    ]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Worker(process=process, log_path=log_path, media_root=media_root, name=name, env=env)


@pytest.fixture(scope="session")
def celery_worker(django_db_setup: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    """A real ``celery -A portal worker`` on the Redis broker and the test database.

    Depends on ``django_db_setup``, so it starts after the test database exists and is
    stopped before pytest-django drops it.
    """
    require_services()
    from django.db import connection

    from portal.celery import app

    assert app.conf.task_always_eager is False, "with REDIS_URL set, Celery must publish to the broker"
    assert app.conf.broker_url == settings.REDIS_URL

    workdir = tmp_path_factory.mktemp("celery-worker")
    media_root = workdir / "media"
    media_root.mkdir()
    log_path = workdir / "worker.log"
    name = f"integration-{uuid.uuid4().hex[:8]}@%h"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(media_root),
        "PORTAL_VAR_DIR": str(workdir / "var"),
        "PYTHONUNBUFFERED": "1",
    }
    # Messages left by an earlier run would be delivered to this worker first.
    app.control.purge()
    worker = launch_worker(env=env, log_path=log_path, name=name, media_root=media_root)
    try:
        worker.wait_for_log(" ready.", timeout=WORKER_START_TIMEOUT)
        yield worker
    finally:
        _stop(worker.process)
        if worker.process.returncode not in (0, -signal.SIGTERM):
            print(f"Celery worker exited with {worker.process.returncode}; its log:\n{worker.log()}")


@pytest.fixture
def worker(celery_worker: Worker, settings: Any, request: pytest.FixtureRequest) -> Iterator[Worker]:
    """The session's worker, with this test's files in the media folder the worker writes to.

    The folder is emptied first, so a test can count the files that its own work left. When
    the test fails, the worker's log of this test is printed with the failure.
    """
    shutil.rmtree(celery_worker.media_root)
    celery_worker.media_root.mkdir()
    settings.MEDIA_ROOT = celery_worker.media_root
    start = celery_worker.log_offset()
    yield celery_worker
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        print(f"--- Celery worker log during {request.node.name} ---\n{celery_worker.log()[start:]}")


@pytest.fixture
def throwaway_redis() -> Iterator[Redis]:
    """A private redis-server for fault tests (the load harness's, ``bench/load/services.py``),
    on its own port and folder; the shared one on 6379 is never touched. ``stop()`` takes it
    down, ``start()`` brings it back on the same port, empty."""
    need(shutil.which("redis-server") is not None, "redis-server is not installed")
    server = Redis.create()
    try:
        server.start()
        yield server
    finally:
        server.destroy()
