"""The services of the load harness as throwaway processes on loopback: a PostgreSQL cluster
(``initdb`` in a temporary folder, on a free port), a Redis server, gunicorn serving
``portal.wsgi`` and a Celery worker — each started, stopped, restarted or killed by the
harness, never the machine's shared PostgreSQL (5432) or Redis (6379).

PostgreSQL refuses to run as root; when the harness runs as root (as CI does) the cluster is
created and run as the ``postgres`` user (``runuser -u postgres --``), its folder owned by it.

Also here: the resident memory (``VmRSS``) of a process and its children, read from /proc.
"""

import contextlib
import glob
import http.client
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
START_TIMEOUT = 90.0


class HarnessError(RuntimeError):
    """A service of the harness did not start or stop as it should."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-size:]
    except OSError:
        return ""


def stop_process(process: subprocess.Popen, *, timeout: float = 20.0) -> None:
    """SIGTERM (a warm shutdown), then SIGKILL to the whole process group if it lingers."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# --- Memory --------------------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    """The direct children of ``pid`` (from /proc/*/stat)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def status_kib(pid: int, key: str) -> int | None:
    """A memory figure of ``/proc/<pid>/status`` in KiB (``VmRSS``, ``VmHWM``…); None when the
    process is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(f"{key}:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_kib(pid: int) -> int | None:
    """``VmRSS`` of ``pid`` in KiB; None when the process is gone."""
    return status_kib(pid, "VmRSS")


def tree_rss(pid: int) -> dict[int, int]:
    """RSS in KiB of ``pid`` and of its direct children, by pid."""
    found = {}
    for member in [pid, *children_of(pid)]:
        kib = rss_kib(member)
        if kib is not None:
            found[member] = kib
    return found


# --- PostgreSQL ----------------------------------------------------------------------------


def postgres_bin() -> Path:
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name)
    )
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise HarnessError("PostgreSQL's initdb was not found (apt-get install postgresql)")


@dataclass
class Postgres:
    """A throwaway PostgreSQL cluster in ``folder`` on ``port``; ``trust`` for loopback only."""

    folder: Path
    port: int
    bin_dir: Path
    as_postgres: bool

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log_path(self) -> Path:
        return self.folder / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str, timeout: float = 120.0) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        done = subprocess.run(
            [*prefix, *command],
            cwd=self.folder,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise HarnessError(
                f"{Path(command[0]).name} failed ({done.returncode}): {done.stdout[-2000:]}{done.stderr[-2000:]}"
                f"\n{_tail(self.log_path)}"
            )

    @classmethod
    def create(cls) -> "Postgres":
        bin_dir = postgres_bin()
        as_postgres = os.geteuid() == 0
        # Under /tmp itself (not pytest's 0700 folders): the postgres user must reach it.
        folder = Path(tempfile.mkdtemp(prefix="portal-load-pg-"))
        if as_postgres:
            owner = pwd.getpwnam("postgres")
            os.chown(folder, owner.pw_uid, owner.pw_gid)
        server = cls(folder=folder, port=free_port(), bin_dir=bin_dir, as_postgres=as_postgres)
        server._run(
            str(bin_dir / "initdb"),
            "-D",
            str(server.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-instructions",
        )
        return server

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.folder} "
            "-c max_connections=100"
        )
        self._run(
            str(self.bin_dir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log_path),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        """``fast``: open connections are ended, running transactions rolled back."""
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def create_database(self, name: str) -> None:
        import psycopg2

        connection = psycopg2.connect(self.url(), connect_timeout=5)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()

    def destroy(self) -> None:
        """Stop the cluster (immediately) and remove its folder."""
        if self.running():
            with contextlib.suppress(HarnessError, subprocess.TimeoutExpired):
                self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


# --- Redis ---------------------------------------------------------------------------------


def redis_answers(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


@dataclass
class Redis:
    """A throwaway redis-server without persistence: a restart loses every queued message,
    as a Redis whose machine was replaced would."""

    folder: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @classmethod
    def create(cls) -> "Redis":
        if shutil.which("redis-server") is None:
            raise HarnessError("redis-server is not installed (apt-get install redis-server)")
        return cls(folder=Path(tempfile.mkdtemp(prefix="portal-load-redis-")), port=free_port())

    def start(self) -> None:
        command = [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.folder),
        ]
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 15
        while not redis_answers(self.url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise HarnessError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, timeout=10)
            self.process = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


# --- The portal: gunicorn and a Celery worker ----------------------------------------------


@dataclass
class Gunicorn:
    """``gunicorn portal.wsgi`` with sync workers on ``port``."""

    env: dict[str, str] = field(repr=False)
    port: int
    workers: int
    log_path: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            "sync",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_healthy(self, timeout: float = START_TIMEOUT) -> None:
        """Until ``/healthz`` answers 200 (the database and the broker answer)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise HarnessError(f"gunicorn exited:\n{_tail(self.log_path)}")
            if healthz(self.port) == 200:
                return
            time.sleep(0.2)
        raise HarnessError(f"/healthz did not answer 200 within {timeout:.0f} s:\n{_tail(self.log_path)}")

    def worker_pids(self) -> list[int]:
        return children_of(self.process.pid) if self.process else []

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, timeout=10)


def healthz(port: int) -> int:
    """The status of ``GET /healthz``; 0 when nothing answers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status
    except (OSError, http.client.HTTPException):
        return 0
    finally:
        connection.close()


@dataclass
class CeleryWorker:
    """``celery -A portal worker`` (prefork) on the harness's broker and database, started with
    the integration tests' launcher; restarted in the same log after a kill."""

    env: dict[str, str] = field(repr=False)
    concurrency: int
    log_path: Path
    name: str
    process: subprocess.Popen | None = None
    _current_log: Path | None = None

    def start(self) -> None:
        from tests.integration.conftest import launch_worker

        # launch_worker opens the log for writing: the log of a worker started again goes on
        # in a file of its own, then the logs are read together.
        starts = len(list(self.log_path.parent.glob(f"{self.log_path.stem}*.log")))
        path = self.log_path if starts == 0 else self.log_path.with_name(f"{self.log_path.stem}-{starts}.log")
        self._current_log = path
        self.process = launch_worker(
            env=self.env,
            log_path=path,
            name=self.name,
            media_root=Path(self.env["MEDIA_ROOT"]),
            concurrency=self.concurrency,
        ).process

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        assert self._current_log is not None
        while " ready." not in _tail(self._current_log, 100_000):
            if self.process is None or self.process.poll() is not None or time.monotonic() > deadline:
                raise HarnessError(f"the Celery worker did not start:\n{_tail(self._current_log)}")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL to the main process and its children at once, as the OOM killer or a lost
        machine would: no warm shutdown, no message acknowledged or given back."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        # A warm shutdown waits for running tasks; the harness's last tasks are short.
        if self.process is not None:
            stop_process(self.process, timeout=10)

    def log(self) -> str:
        return "".join(
            _tail(path, 10_000_000)
            for path in sorted(self.log_path.parent.glob(f"{self.log_path.stem}*.log"))
        )
