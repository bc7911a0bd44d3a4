"""The deadline rush: ``POST /api/v1/applications/{id}/submit/`` from concurrent clients
against gunicorn and PostgreSQL on loopback, as a ratio to a bare endpoint on the same stack
that authenticates the same way and does one insert (``bench/bare_urls.py``).

The run creates a throwaway database ``portal_bench_<pid>`` (on ``DATABASE_URL`` when it
names PostgreSQL, else on postgres://postgres@127.0.0.1:5432/), migrates it, seeds ready
applications of one open call (each with its own PI and API token) and starts gunicorn
with sync workers and production settings (``DJANGO_DEBUG=0``, no SSL redirect;
``bench/settings.py``) and, as in production, Redis as the Celery broker (database 13 of
the local Redis, emptied at the end; no worker is needed: the request publishes one message
after commit, and a worker would render and send the status emails). Without a reachable
Redis, Celery runs eagerly and the emails are also rendered and sent inside the request.
Every application is submitted once by its PI, one in ten twice at the same time (one must answer 200, the other 409); then the
database must hold exactly one submission per application. Everything is dropped at the
end.
"""

import http.client
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.load.services import free_port
from bench.table import Row

ROOT = Path(__file__).resolve().parent.parent
APPLICATIONS = 400
# Every tenth application is also submitted a second time, at the same moment.
DUPLICATE_EVERY = 10
CLIENTS = 16
ROUNDS = 4
# Submitted (and bare requests sent) before the clock starts: every worker loads its code.
WARMUP = 16
# Production's rule of thumb for gunicorn sync workers (Dockerfile: WEB_CONCURRENCY).
WORKERS = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1) + 1)
FALLBACK_URL = "postgres://postgres@127.0.0.1:5432/postgres"
START_TIMEOUT = 60.0
TARGET_RATIO = 0.5

RATIO_ROW = "submit rush: req/s vs bare insert"
ONCE_ROW = "submit rush: lost or duplicated submissions"


@dataclass(frozen=True)
class Answer:
    application: int
    status: int
    started: float
    ended: float
    body: bytes

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass(frozen=True)
class Load:
    answers: list[Answer]
    # Seconds from the first request sent to the last answer, summed over the rounds.
    wall: float

    def __add__(self, other: "Load") -> "Load":
        return Load(self.answers + other.answers, self.wall + other.wall)

    @property
    def per_second(self) -> float:
        return len(self.answers) / self.wall

    def percentile_ms(self, percent: int) -> float:
        cuts = statistics.quantiles([a.seconds for a in self.answers], n=100, method="inclusive")
        return cuts[percent - 1] * 1000

    def describe(self) -> str:
        return f"{self.per_second:.0f} req/s, p50 {self.percentile_ms(50):.0f} ms, p99 {self.percentile_ms(99):.0f} ms"


class Unavailable(Exception):
    """The bench cannot run here (no PostgreSQL, no right to create a database…)."""

    def __init__(self, short: str, detail: str) -> None:
        super().__init__(f"{short}: {' '.join(detail.split())}")
        self.short = short


# --- PostgreSQL -----------------------------------------------------------------------------


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if urlsplit(url).scheme in ("postgres", "postgresql", "pgsql") else FALLBACK_URL


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _connect(url: str):
    import psycopg2

    connection = psycopg2.connect(url, connect_timeout=3)
    connection.autocommit = True
    return connection


def _create_database(server_url: str, name: str) -> None:
    import psycopg2

    try:
        connection = _connect(server_url)
    except psycopg2.Error as error:
        raise Unavailable("no PostgreSQL", f"nothing answers at {_safe(server_url)}: {error}") from error
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    except psycopg2.Error as error:
        raise Unavailable("cannot create a database", f"CREATE DATABASE {name}: {error}") from error
    finally:
        connection.close()


def _drop_database(server_url: str, name: str) -> None:
    import psycopg2

    try:
        connection = _connect(server_url)
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.close()
    except psycopg2.Error as error:
        print(f"bench_submit: could not drop the database {name}: {error}")


def _safe(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return urlunsplit(parts)


# --- The portal under gunicorn ----------------------------------------------------------------


def _environment(database_url: str, workdir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "CACHE_URL", "EMAIL_HOST", "S3_BUCKET", "DJANGO_SETTINGS_MODULE")
    }
    (workdir / "static").mkdir(parents=True, exist_ok=True)
    redis_url = _redis_url()
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=database_url,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        PORTAL_VAR_DIR=str(workdir),
        STATIC_ROOT=str(workdir / "static"),
        MEDIA_ROOT=str(workdir / "media"),
        LOG_LEVEL="ERROR",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")])),
    )
    return env


BENCH_REDIS = "redis://127.0.0.1:6379/13"


def _redis_url() -> str | None:
    """The bench's Redis database when the local Redis answers, else None (eager Celery)."""
    try:
        import redis

        redis.Redis.from_url(BENCH_REDIS, socket_connect_timeout=1).ping()
    except Exception:
        print("bench_submit: no Redis on 127.0.0.1:6379 — Celery runs eagerly (emails sent in the request)")
        return None
    return BENCH_REDIS


def _flush_redis() -> None:
    try:
        import redis

        redis.Redis.from_url(BENCH_REDIS, socket_connect_timeout=1).flushdb()
    except Exception:  # noqa: S110 — nothing to clean when Redis is not there
        pass


def _check_call(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-3000:]}")


def _start_gunicorn(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "portal.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--timeout",
        "60",
        "--log-level",
        "warning",
    ]
    with log_path.open("wb") as log:
        # stdout carries the console emails of eager Celery: discarded.
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )


def _wait_healthy(process: subprocess.Popen, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{log_path.read_text()[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    raise RuntimeError(
        f"gunicorn did not answer /healthz in {START_TIMEOUT:.0f} s:\n{log_path.read_text()[-3000:]}"
    )


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# --- The clients ---------------------------------------------------------------------------


def _post(port: int, path: str, token: str, application: int) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {
        "Authorization": f"Token {token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Accept-Language": "en",
    }
    started = time.perf_counter()
    try:
        connection.request("POST", path, body=b"{}", headers=headers)
        response = connection.getresponse()
        body = response.read()
        status = response.status
    except (OSError, http.client.HTTPException) as error:
        status, body = 0, repr(error).encode()
    finally:
        connection.close()
    return Answer(application, status, started, time.perf_counter(), body)


def _load(port: int, jobs: list[tuple[str, str, int]]) -> Load:
    """Send every (path, token, application) with CLIENTS requests in flight; jobs start in order."""
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        answers = list(pool.map(lambda job: _post(port, *job), jobs))
    return Load(answers, max(a.ended for a in answers) - min(a.started for a in answers))


def _submit_jobs(seeded: list[dict]) -> list[tuple[str, str, int]]:
    jobs = []
    for index, row in enumerate(seeded):
        job = (f"/api/v1/applications/{row['id']}/submit/", row["token"], row["id"])
        # A duplicate follows its original at once, so the two are in flight together.
        jobs.extend([job, job] if index % DUPLICATE_EVERY == 0 else [job])
    return jobs


def _bare_jobs(seeded: list[dict], count: int) -> list[tuple[str, str, int]]:
    return [("/api/v1/bench/bare/", seeded[i % len(seeded)]["token"], 0) for i in range(count)]


# --- Exactly once --------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    lost: int
    duplicated: int
    wrong_answers: int
    statuses: Counter
    pairs: int
    pairs_overlapping: int

    @property
    def failures(self) -> int:
        return self.lost + self.duplicated + self.wrong_answers

    def describe(self) -> str:
        answers = ", ".join(
            f"{count}×{status or 'no answer'}" for status, count in sorted(self.statuses.items())
        )
        return (
            f"{self.lost} lost, {self.duplicated} duplicated, {self.wrong_answers} wrong answers "
            f"({answers}; {self.pairs_overlapping}/{self.pairs} duplicate pairs overlapped)"
        )


def _verify(database_url: str, answers: list[Answer]) -> Verdict:
    by_application: dict[int, list[Answer]] = {}
    for answer in answers:
        by_application.setdefault(answer.application, []).append(answer)
    connection = _connect(database_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.id, count(s.id) FROM applications_application a "
                "LEFT JOIN applications_submission s ON s.application_id = a.id "
                "WHERE a.id = ANY(%s) GROUP BY a.id",
                (list(by_application),),
            )
            stored = dict(cursor.fetchall())
    finally:
        connection.close()
    lost = sum(1 for pk in by_application if stored.get(pk, 0) == 0)
    duplicated = sum(max(stored.get(pk, 0) - 1, 0) for pk in by_application)
    wrong = 0
    pairs = overlapping = 0
    for mine in by_application.values():
        codes = sorted(a.status for a in mine)
        # One 200 per application, stored; a second attempt is refused with 409.
        expected = [200] + [409] * (len(mine) - 1)
        wrong += sum(1 for got, want in zip(codes, expected, strict=True) if got != want)
        if len(mine) == 2:
            pairs += 1
            first, second = sorted(mine, key=lambda a: a.started)
            overlapping += second.started < first.ended
    return Verdict(lost, duplicated, wrong, Counter(a.status for a in answers), pairs, overlapping)


def _sample_errors(answers: list[Answer], limit: int = 3) -> list[str]:
    odd = [a for a in answers if a.status not in (200, 409)]
    return [f"  {a.status} for application {a.application}: {a.body[:300]!r}" for a in odd[:limit]]


# --- Seeding (runs in a subprocess on the bench database) ----------------------------------


def seed(count: int, out: Path) -> None:
    """``count`` ready applications of one open call, each with its own PI and token."""
    from django.db import transaction
    from django.test import override_settings

    # The PIs sign in with their tokens only: their passwords are hashed the fast way. One
    # transaction: one WAL flush instead of one per row.
    with (
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        _seed(count, out)


def _seed(count: int, out: Path) -> None:
    from datetime import date, timedelta

    from rest_framework.authtoken.models import Token

    from applications.problems import problems_of
    from applications.services import (
        application_commit,
        application_create,
        application_save,
        attachment_upload,
    )
    from tests.factories import (
        FundingCallFactory,
        GuideTaskFactory,
        OrganizationFactory,
        complete_document,
        make_applicant,
        make_id_number,
        pdf_upload,
    )

    call = FundingCallFactory()
    tasks = [GuideTaskFactory(call=call) for _ in range(8)]
    seeded = []
    for index in range(count):
        pi = make_applicant(serial=index)
        partner = OrganizationFactory(sichuan=True)
        application = application_create(call=call, by=pi, guide_task=tasks[index % len(tasks)])
        data = complete_document(application, partner)
        # Teammates distinct across the call, or the call's membership limit would refuse them.
        data["team"][1]["id_number"] = make_id_number(index, born=date(1975, 1, 1) + timedelta(days=index))
        result = application_save(application=application, data=data, version=application.version, by=pi)
        assert not result.errors, result.errors
        application = result.application
        for kind in ("proposal", "pi_commitment", "unit_commitment", "agreement"):
            attachment_upload(
                application=application,
                kind=kind,
                upload=pdf_upload(f"{kind}.pdf"),
                by=pi,
                version=application.version,
            )
            application.refresh_from_db()
        application_commit(application=application, by=pi, version=application.version)
        seeded.append({"id": application.pk, "token": Token.objects.create(user=pi).key})
    application.refresh_from_db()
    assert not problems_of(application), problems_of(application)
    out.write_text(json.dumps(seeded))


# --- The benchmark -------------------------------------------------------------------------


def _not_run(short: str, detail: str) -> list[Row]:
    print(
        f"bench_submit: not run — {detail} (set DATABASE_URL=postgres://… to a server that may CREATE DATABASE)"
    )
    return [Row(RATIO_ROW, f"not run: {short}", f">= {TARGET_RATIO} x bare", None, False)]


def _prepare(env: dict[str, str], workdir: Path) -> list[dict]:
    """Migrate the bench database and seed it; the seeded applications and their tokens."""
    _check_call([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], env, "migrate")
    seeded_path = workdir / "seeded.json"
    started = time.perf_counter()
    command = [
        sys.executable,
        "-m",
        "bench.bench_submit",
        "seed",
        str(WARMUP + APPLICATIONS),
        str(seeded_path),
    ]
    _check_call(command, env, "seeding")
    seeded = json.loads(seeded_path.read_text())
    print(f"bench_submit: seeded {len(seeded)} applications in {time.perf_counter() - started:.0f} s")
    return seeded


def _measure(port: int, database_url: str, seeded: list[dict]) -> list[Row]:
    warm, measured = seeded[:WARMUP], seeded[WARMUP:]
    warmup = _load(port, _bare_jobs(warm, 4 * CLIENTS)) + _load(port, _submit_jobs(warm))
    # Rounds of bare then submit, so that both meet the same background load of the machine.
    bare = submit = Load([], 0.0)
    for round_ in range(ROUNDS):
        jobs = _submit_jobs(measured[round_::ROUNDS])
        bare += _load(port, _bare_jobs(measured, len(jobs)))
        submit += _load(port, jobs)
    verdict = _verify(database_url, [a for a in warmup.answers if a.application] + submit.answers)
    bare_failed = sum(1 for a in bare.answers if a.status != 200)
    ratio = submit.per_second / bare.per_second
    print(
        f"bench_submit: gunicorn with {WORKERS} sync workers, {CLIENTS} clients; {len(measured)} applications "
        f"+ {len(submit.answers) - len(measured)} simultaneous duplicates against {len(bare.answers)} bare "
        f"requests, in {ROUNDS} alternating rounds"
    )
    print(f"bench_submit: the exactly-once check covers the {len(warm)} warm-up applications too")
    for line in _sample_errors(warmup.answers + submit.answers) + _sample_errors(bare.answers):
        print(line)
    return [
        Row(
            "submit rush: bare insert endpoint (floor)",
            bare.describe() + (f", {bare_failed} failed" if bare_failed else ""),
            "",
            None,
            not bare_failed,
        ),
        Row(RATIO_ROW, submit.describe(), f">= {TARGET_RATIO} x bare", ratio, ratio >= TARGET_RATIO),
        Row(ONCE_ROW, verdict.describe(), "0", None, verdict.failures == 0),
    ]


def run() -> list[Row]:
    server_url = _server_url()
    name = f"portal_bench_{os.getpid()}"
    try:
        _create_database(server_url, name)
    except Unavailable as reason:
        return _not_run(reason.short, str(reason))
    except ImportError as missing:
        return _not_run("no psycopg2", str(missing))
    database_url = _with_database(server_url, name)
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-submit-"))
    gunicorn = None
    try:
        env = _environment(database_url, workdir)
        seeded = _prepare(env, workdir)
        port = free_port()
        log_path = workdir / "gunicorn.log"
        gunicorn = _start_gunicorn(env, port, log_path)
        _wait_healthy(gunicorn, port, log_path)
        return _measure(port, database_url, seeded)
    except Exception as error:  # a broken bench is a row of the table, never a crash of `make bench`
        print(f"bench_submit: failed — {type(error).__name__}: {error}")
        return [Row(RATIO_ROW, f"failed: {type(error).__name__}", f">= {TARGET_RATIO} x bare", None, False)]
    finally:
        if gunicorn is not None:
            _stop(gunicorn)
        _drop_database(server_url, name)
        _flush_redis()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    # ``python -m bench.bench_submit seed COUNT OUT``: the seeding step, on the bench database.
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    seed(int(sys.argv[2]), Path(sys.argv[3]))
