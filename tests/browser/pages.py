"""What the browser tests share: Chromium's place, the demo password, viewports, and helpers to
open a page that records console errors, sign in, take screenshots and check the width."""

import os
from pathlib import Path

import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
Browser = playwright_api.Browser
Page = playwright_api.Page

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# itself (seeding) would otherwise be refused as "async unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
# `make screenshots` (SCREENSHOTS=docs) refreshes the README's pictures; other runs keep theirs
# under test-artifacts/ so that running the tests never changes tracked files.
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = (
    ROOT / "docs" / "screenshots" if os.environ.get("SCREENSHOTS") == "docs" else ROOT / "test-artifacts"
)
DEMO_PASSWORD = "demo-pass-2021"  # the published password of the demo logins (README)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


class PageProblems:
    """Console errors (a CSP violation shows up there) collected while a page is used."""

    def __init__(self, page: Page) -> None:
        self.messages: list[str] = []
        page.on("console", lambda message: message.type == "error" and self.messages.append(message.text))
        page.on("pageerror", lambda error: self.messages.append(str(error)))


def new_page(browser: Browser, viewport: dict, **options: object) -> tuple[Page, PageProblems]:
    context = browser.new_context(viewport=viewport, locale="zh-CN", **options)
    page = context.new_page()
    return page, PageProblems(page)


def shoot(page: Page, name: str, *, full_page: bool = False, height: int | None = None) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    clip = {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": height} if height else None
    # caret="initial": hiding the caret leaves style="" on inputs, which htmx would then copy.
    page.screenshot(
        path=str(SCREENSHOTS / name), full_page=full_page or bool(clip), clip=clip, caret="initial"
    )


def fits_the_screen(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def sign_out(page: Page) -> None:
    page.click(".header-tools form.account button[type=submit]")
    page.wait_for_load_state()
