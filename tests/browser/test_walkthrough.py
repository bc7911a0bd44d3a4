"""A walk through the portal in Debian's Chromium: the landing page, the demo call in Chinese
and in English, sign-in as an applicant and as bureau staff, and a phone-sized screen.

`make screenshots` saves the README's screenshots (docs/screenshots/). Data come from ``seed_demo``, the
same command that ``make run`` uses, so the pages show the 2021 call with its 32 guide tasks.
"""

import pytest

from tests.browser.pages import DESKTOP, PHONE, expect, fits_the_screen, new_page, shoot, sign_in

pytestmark = pytest.mark.browser


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
    assert nav == ["首页", "我的申报", "立项通知书", "项目申报", "立项公示", "个人信息", "账户安全"]
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
