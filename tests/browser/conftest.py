"""Fixtures of the browser tests: one Chromium per module, and the live portal with demo data."""

from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import call_command
from pytest_django.live_server_helper import LiveServer

from tests.browser.pages import CHROMIUM, Browser, playwright_api
from tests.conftest import need


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    need(CHROMIUM.exists(), f"{CHROMIUM} is missing (apt-get install chromium)")

    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        yield browser
        browser.close()


@pytest.fixture
def demo(transactional_db: None, live_server: LiveServer) -> str:
    # pytest-django runs tests with DEBUG off, which seed_demo treats as production. Without the
    # ~90 demo applications: each test seeds again (its database is emptied after it), and the
    # walk-throughs create the applications they need through the pages.
    call_command("seed_demo", force=True, without_applications=True, stdout=StringIO())
    return live_server.url
