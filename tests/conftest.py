"""Shared fixtures. Integration and browser tests need real services: without them they skip,
unless REQUIRE_SERVICES=1 (as in CI), where a missing service fails the test."""

import os
from pathlib import Path

import pytest

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
INTEGRATION = Path(__file__).parent / "integration"


# First, before pytest-xdist reads the groups off the items in its own hook.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (``make test`` runs ``-n auto --dist loadgroup``) the integration tests
    run one after another in one process: their Celery workers share one Redis broker, and one
    test's worker must never take another test's tasks."""
    for item in items:
        if INTEGRATION in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.xdist_group("services"))


class _GroupsCheck:
    """After pytest-xdist has named the groups (in an xdist process with ``--dist loadgroup``):
    an integration test outside its group would run beside another one, so stop instead."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if not getattr(config.option, "loadgroup", False):
            return
        stray = [item.nodeid for item in items if INTEGRATION in Path(str(item.path)).parents]
        stray = [nodeid for nodeid in stray if not nodeid.endswith("@services")]
        if stray:
            raise pytest.UsageError(f"pytest-xdist did not group the integration tests: {stray[:3]}")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_GroupsCheck(), "portal-xdist-groups-check")


def need(condition: bool, reason: str) -> None:
    """Skip (locally) or fail (in CI) when a service a test needs is not there."""
    if condition:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _portal_test_settings(settings, tmp_path, request):
    # A fresh local cache per test: throttles start at zero, and clearing it never touches
    # the Redis broker that integration tests share.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": request.node.nodeid,
        }
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    settings.AXES_ENABLED = False
    settings.PORTAL_REQUIRE_2FA = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the portal's default language; a request's language (LocaleMiddleware
    leaves it active in the thread) never leaks into the next test."""
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _celery_in_process(request):
    """Tasks run in the test process even when REDIS_URL is set (as in CI); only the
    integration tests send them through the broker to a real worker."""
    if request.node.get_closest_marker("integration"):
        yield
        return
    from portal.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
