"""A walk through the portal in Debian's Chromium: the landing page, the demo call in Chinese
and in English, sign-in as an applicant and as bureau staff, and a phone-sized screen.

`make screenshots` saves the README's screenshots (docs/screenshots/). Data come from ``seed_demo``, the
same command that ``make run`` uses, so the pages show the 2021 call with its 32 guide tasks.
"""

import os
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from pytest_django.live_server_helper import LiveServer

from tests.conftest import need

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect
Browser = playwright_api.Browser
Page = playwright_api.Page

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test
# itself (seeding) would otherwise be refused as "async unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

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
    # pytest-django runs tests with DEBUG off, which seed_demo treats as production.
    call_command("seed_demo", force=True, stdout=StringIO())
    return live_server.url


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


def test_a_visitor_reads_the_demo_call_in_chinese_then_in_english(browser, demo):
    page, problems = new_page(browser, DESKTOP)

    page.goto(f"{demo}/")
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert page.locator(".call-card").count() == 1
    shoot(page, "home-zh.png", full_page=True)

    page.click(".call-card h3 a")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "2021年川渝联合实施重点研发项目"
    assert page.locator(".task-group").count() == 4
    assert page.locator(".tasks-table tbody tr").count() == 32
    assert page.locator(".task-group h3").all_inner_texts() == ["人工智能", "大健康", "生态环保", "现代农业"]
    assert "2,000.00" in page.locator("#funding-title + .facts").inner_text()
    shoot(page, "call-zh.png", height=1500)

    # The field filter swaps the task list in place (htmx) and keeps the URL shareable.
    page.select_option("#field-filter", "agri")
    page.wait_for_url("**/calls/*/?field=agri")
    expect(page.locator(".task-group")).to_have_count(1)
    assert page.locator(".task-group h3").inner_text() == "现代农业"
    assert page.locator(".tasks-table tbody tr").count() == 12

    page.click(".lang-switch button[value=en]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "en"
    assert page.url.endswith("?field=agri")
    assert page.locator(".task-group h3").inner_text() == "Modern agriculture"
    page.select_option("#field-filter", "")
    expect(page.locator(".task-group")).to_have_count(4)
    assert page.locator("h1").inner_text() == "2021 Sichuan–Chongqing Joint Key R&D Projects"
    assert "(Beijing time)" in page.locator("#dates-title + .facts").inner_text()
    shoot(page, "call-en.png", height=1500)

    assert problems.messages == []


def test_an_applicant_signs_in_and_lands_on_the_applicant_home(browser, demo):
    page, problems = new_page(browser, DESKTOP)

    page.goto(f"{demo}/accounts/login/")
    shoot(page, "login.png")
    page.fill("#id_username", "applicant.cq@demo.test")
    page.fill("#id_password", "not-the-password")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator(".errorlist.nonfield").is_visible()

    sign_in(page, demo, "applicant.cq@demo.test")
    assert page.url == f"{demo}/"
    nav = page.locator("#site-nav a").all_inner_texts()
    assert nav == ["首页", "项目申报", "个人信息", "账户安全"]
    assert page.locator(".call-card").count() == 1
    assert page.locator(".account__name").is_visible()

    page.click(".header-tools form button[type=submit]")  # sign out
    page.wait_for_load_state()
    assert page.locator(".hero").is_visible()
    assert problems.messages == []


def test_bureau_staff_see_their_province_and_its_budget(browser, demo):
    page, problems = new_page(browser, DESKTOP)

    sign_in(page, demo, "staff.sc@demo.test")
    assert page.locator(".header-tools .role-badge").inner_text() == "四川科技主管部门工作人员"
    row = page.locator("main table tbody tr").first
    assert "2021年川渝联合实施重点研发项目" in row.inner_text()
    assert "2,000.00" in row.inner_text()
    shoot(page, "home-staff.png", full_page=True)
    assert problems.messages == []


def test_on_a_phone_the_menu_collapses_and_nothing_overflows(browser, demo):
    page, problems = new_page(browser, PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)

    for path in ("/", "/calls/", "/accounts/login/"):
        page.goto(f"{demo}{path}")
        assert fits_the_screen(page), path

    page.goto(f"{demo}/")
    page.click(".call-card h3 a")
    page.wait_for_load_state()
    assert fits_the_screen(page)
    assert page.locator("#site-nav").is_hidden()
    assert page.locator(".menu-button").is_visible()
    shoot(page, "phone-call.png")

    page.click(".menu-button")
    assert page.locator("#site-nav").is_visible()
    assert page.locator(".lang-switch").is_visible()
    assert fits_the_screen(page)

    sign_in(page, demo, "unit_admin.sc@demo.test")
    assert fits_the_screen(page)
    assert page.locator("#site-nav").is_hidden()
    assert problems.messages == []
