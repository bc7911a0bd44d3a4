"""The settings read from the environment: defaults that need no service, PostgreSQL/Redis
switches, and production settings that pass ``check --deploy``.

Settings are read once per process, so each case starts ``manage.py`` or a small probe in a
subprocess with an environment of its own, cleaned of whatever the test run was given.
"""

import json
import os
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
# Everything portal/settings.py reads, by name or by prefix.
SETTINGS_PREFIXES = ("DJANGO_", "PORTAL_", "AXES_", "S3_", "CELERY_", "EMAIL_")
SETTINGS_NAMES = {"DATABASE_URL", "DB_CONN_MAX_AGE", "REDIS_URL", "STATIC_ROOT", "MEDIA_ROOT"}
SETTINGS_NAMES |= {"DEFAULT_FROM_EMAIL", "LOG_LEVEL"}

PROBE = """
import json

import django

django.setup()
from django.conf import settings

from portal.celery import app

print(json.dumps({
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "app_eager": app.conf.task_always_eager,
    "broker": app.conf.broker_url,
    "cache": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION"),
    "email": settings.MAILERS["default"]["BACKEND"],
    "database": settings.DATABASES["default"]["ENGINE"],
    "debug": settings.DEBUG,
    "secret_key_fallbacks": settings.SECRET_KEY_FALLBACKS,
    "database_options": settings.DATABASES["default"].get("OPTIONS", {}),
}))
"""


def run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the project's Python with only the given settings variables set."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if name not in SETTINGS_NAMES and not name.startswith(SETTINGS_PREFIXES)
    }
    clean |= {"DJANGO_SETTINGS_MODULE": "portal.settings", "PORTAL_VAR_DIR": str(tmp_path / "var")} | env
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def probe(tmp_path: Path, **env: str) -> dict:
    result = run(["-c", PROBE], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def production_secret() -> str:
    return secrets.token_hex(32)


def test_production_settings_pass_check_deploy_without_a_warning(tmp_path: Path) -> None:
    secret = production_secret()
    assert len(secret) == 64

    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        tmp_path,
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secret,
        DJANGO_ALLOWED_HOSTS="portal.example.org",
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output and "ERRORS" not in output
    assert "System check identified no issues" in output


@pytest.mark.parametrize("secret", [None, "too-short-to-be-a-secret"], ids=["missing", "short"])
def test_production_settings_refuse_to_start_without_a_real_secret_key(
    tmp_path: Path, secret: str | None
) -> None:
    env = {"DJANGO_DEBUG": "0"} | ({"DJANGO_SECRET_KEY": secret} if secret is not None else {})

    result = run(["manage.py", "check"], tmp_path, **env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "DJANGO_SECRET_KEY" in result.stderr


def test_a_sqlite_database_url_is_accepted(tmp_path: Path) -> None:
    database = tmp_path / "elsewhere" / "portal.sqlite3"
    database.parent.mkdir()
    url = f"sqlite:///{database}"

    migrate = run(["manage.py", "migrate", "--noinput"], tmp_path, DATABASE_URL=url)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    check = run(["manage.py", "check"], tmp_path, DATABASE_URL=url)
    assert check.returncode == 0, check.stdout + check.stderr

    with sqlite3.connect(database) as connection:
        applied = connection.execute(
            "SELECT count(*) FROM django_migrations WHERE app = 'accounts'"
        ).fetchone()
    assert applied[0] >= 1
    assert not (tmp_path / "var" / "portal.sqlite3").exists()


def test_the_defaults_need_no_service(tmp_path: Path) -> None:
    found = probe(tmp_path)

    assert found["debug"] is True
    assert found["eager"] is True and found["app_eager"] is True
    assert found["broker"] == "memory://localhost/"
    assert found["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert found["email"] == "django.core.mail.backends.console.EmailBackend"
    assert found["database"] == "django.db.backends.sqlite3"


def test_redis_url_switches_celery_to_the_broker_and_the_cache_to_redis(tmp_path: Path) -> None:
    url = "redis://127.0.0.1:6379/13"

    found = probe(tmp_path, REDIS_URL=url)

    assert found["eager"] is False and found["app_eager"] is False
    assert found["broker"] == url
    assert found["cache"] == "portal.cache.ResilientRedisCache"
    assert found["cache_location"] == url


def test_database_url_switches_to_postgresql(tmp_path: Path) -> None:
    found = probe(tmp_path, DATABASE_URL="postgres://portal@db.example.org:5432/portal")

    assert found["database"] == "django.db.backends.postgresql"
    assert found["database_options"]["connect_timeout"] == 5


def test_the_database_url_may_set_its_own_connect_timeout(tmp_path: Path) -> None:
    found = probe(tmp_path, DATABASE_URL="postgres://portal@db.example.org:5432/portal?connect_timeout=2")

    assert found["database_options"]["connect_timeout"] == 2


def test_old_secret_keys_are_kept_as_fallbacks_while_a_rotation_runs(tmp_path: Path) -> None:
    found = probe(tmp_path, DJANGO_SECRET_KEY_FALLBACKS="old-key-one, old-key-two")

    assert found["secret_key_fallbacks"] == ["old-key-one", "old-key-two"]
