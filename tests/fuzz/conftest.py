"""Fixtures of the API fuzz: the world (built once per module and worker, inside a transaction
rolled back at the end), the schema as served (and its copy for hostile cases), the portal as
a WSGI application; and the summary of the counts (tests/fuzz/summary.py).

The world lives in an outer transaction opened by the module fixture; each test's own
transaction (pytest-django's ``db``) and each fuzz case's savepoint nest inside it, so
nothing a case writes outlives the case and nothing of the world outlives the module. Other
modules run on the same worker afterwards and find the database as empty as ever.
"""

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import TestCase, override_settings

from tests.fuzz.world import World, build_world

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SUMMARY_PLUGIN = "tests.fuzz.summary"


@pytest.fixture(scope="module")
def world_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-media")


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker, world_media: Path) -> Iterator[World]:
    from portal.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    # What tests/conftest.py sets per test, for the module: the world's files go to a temporary
    # directory, its ~70 accounts hash their password fast, and the throttles count from zero.
    settings = override_settings(
        MEDIA_ROOT=world_media,
        PASSWORD_HASHERS=FAST_HASHER,
        AXES_ENABLED=False,
        PORTAL_REQUIRE_2FA=False,
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fuzz"}},
    )
    with django_db_blocker.unblock(), settings:
        outer = transaction.atomic()
        outer.__enter__()
        try:
            # Emails and the guide's printing wait for a commit that never comes: the fuzz
            # needs the rows, not their side effects.
            with TestCase.captureOnCommitCallbacks(execute=False):
                built = build_world()
            yield built
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            app.conf.task_always_eager = eager


@pytest.fixture(scope="module")
def api_schema(django_db_setup: None, django_db_blocker) -> schemathesis.BaseSchema:
    """The schema as the portal serves it at /api/schema/ (read through the WSGI handler)."""
    from django.core.wsgi import get_wsgi_application

    with django_db_blocker.unblock(), connection_kept():
        return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture(scope="module")
def hostile_schema(api_schema: schemathesis.BaseSchema) -> schemathesis.BaseSchema:
    """The same schema for the hostile cases, whose bodies are JSON wherever an operation reads
    JSON: a form carries only text, so a number for a string, an object for a list and the like
    cannot be sent as a form at all (the upload operations, multipart only, keep theirs)."""
    raw = copy.deepcopy(api_schema.raw_schema)
    for methods in raw["paths"].values():
        for operation in methods.values():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                operation["requestBody"]["content"] = {"application/json": content["application/json"]}
    return schemathesis.openapi.from_dict(raw)


@contextmanager
def connection_kept() -> Iterator[None]:
    """Django closes the database connection at the end of each request when it is inside a
    transaction (PostgreSQL; an in-memory SQLite is never closed); the test client unhooks
    that, and so does this, or the first request would end the world's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def wsgi_app() -> Iterator[object]:
    """The portal's WSGI handler, as gunicorn runs it (in-process: no server, no socket)."""
    from django.core.wsgi import get_wsgi_application

    with connection_kept():
        yield get_wsgi_application()


def pytest_configure(config: pytest.Config) -> None:
    # The counts at the end of the run (see tests/fuzz/summary.py), once however it is loaded.
    if not config.pluginmanager.has_plugin(SUMMARY_PLUGIN):
        config.pluginmanager.import_plugin(SUMMARY_PLUGIN)
