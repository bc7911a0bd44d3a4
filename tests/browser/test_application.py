"""In Chromium, through the pages: a Chongqing project leader fills in a joint application with a
Sichuan partner section by section, submits it and prints it; the administrator of the lead
unit endorses it; the leader then reads the new status and the history. A second walk types bad
amounts into the budget grid and saves a section that someone else saved meanwhile.

Data come from ``seed_demo`` (units, logins, the 2021 call). Object ids are read from URLs: in
CI PostgreSQL keeps its sequences from one test to the next.
"""

import io
import re
from datetime import date

import pytest
from django.utils import timezone
from pypdf import PdfReader

from applications.demo import uscc_of
from applications.demo_data import CALL, PEOPLE, UNITS
from applications.models.application import REQUIRED_ATTACHMENTS
from applications.rules import SECTIONS
from applications.workflow import STATES
from tests.browser.pages import (
    DESKTOP,
    PHONE,
    Page,
    expect,
    fits_the_screen,
    new_page,
    shoot,
    sign_in,
    sign_out,
)
from tests.factories import PDF_BYTES, make_id_number

pytestmark = pytest.mark.browser

PI = "applicant.cq@demo.test"  # leads for the demo unit "bayu" (Chongqing)
UNIT_ADMIN = "unit_admin.cq@demo.test"  # administrator of "bayu"
NAMES = {row[0]: row[2] for row in PEOPLE}
UNIT_ROWS = {row[0]: row for row in UNITS}
LEAD = UNIT_ROWS["bayu"]
PARTNER = UNIT_ROWS["shudu"]  # Sichuan: the unit of unit_admin.sc@demo.test
LEAD_USCC = uscc_of(LEAD[6])
PARTNER_USCC = uscc_of(PARTNER[6])

# The budget in 万元: Chongqing's funds go to the lead unit, Sichuan's to the Sichuan partner.
# Government 180 of at most 200; indirect 25 of at most 20% of 185 direct; self-raised 30
# (the 2021 call asks for no minimum share: CALL["min_self_raised_ratio"] is 0).
BUDGET = {
    (LEAD_USCC, "equipment", "cq_gov"): "60",
    (LEAD_USCC, "operating", "cq_gov"): "30",
    (LEAD_USCC, "labour", "self"): "20",
    (LEAD_USCC, "indirect", "cq_gov"): "15",
    (PARTNER_USCC, "equipment", "sc_gov"): "40",
    (PARTNER_USCC, "operating", "sc_gov"): "25",
    (PARTNER_USCC, "labour", "self"): "10",
    (PARTNER_USCC, "indirect", "sc_gov"): "10",
}


def cell(uscc: str, category: str, source: str) -> str:
    """The budget grid's input of one unit × category × source."""
    return f'#budget-grid input[name="{uscc}-{category}-{source}"]'


def application_id(page: Page) -> int:
    found = re.search(r"/applications/(\d+)/", page.url)
    assert found, page.url
    return int(found[1])


def label_of(code: str) -> str:
    """The status as the team reads it, in the page's language (Chinese)."""
    return str(STATES[code].applicant_label)


def start_application(page: Page, base: str) -> int:
    """From the list of calls to the 2021 call, "Apply", a guide task, "Create": the basics page."""
    page.goto(f"{base}/calls/")
    page.click("main tbody th a")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == CALL["title_zh"]
    page.click('.apply a[href*="/applications/new/?call="]')
    page.wait_for_load_state()
    task = page.locator("#id_guide_task option:not([value=''])").first.get_attribute("value")
    page.select_option("#id_guide_task", task)
    page.click('form[action*="/applications/new/"] button[type=submit]')
    page.wait_for_url(re.compile(r"/applications/\d+/edit/basics/$"))
    assert page.input_value("#id_guide_task") == task
    return application_id(page)


def save(page: Page) -> None:
    """The section form's plain "Save" (not "Save and continue")."""
    page.click("#section-form .actions button[type=submit]:not([name])")
    page.wait_for_load_state()


def assert_section_complete(page: Page, base: str, pk: int, section: str) -> None:
    assert page.url.split("#")[0] == f"{base}/applications/{pk}/edit/{section}/", page.url
    errors = page.locator(".error-summary")
    assert errors.count() == 0, errors.inner_text()
    missing = page.locator("section.missing")
    assert missing.count() == 0, missing.inner_text()
    expect(page.locator('.section-nav a[aria-current="page"]')).to_have_class(
        re.compile(r"\bsection-nav__link--done\b")
    )


def fill_rows(page: Page, prefix: str, rows: list[dict[str, str]], *, first: int = 0) -> None:
    for offset, row in enumerate(rows):
        for name, value in row.items():
            selector = f'#section-form [name="{prefix}-{first + offset}-{name}"]'
            if page.locator(selector).evaluate("e => e.tagName") == "SELECT":
                page.select_option(selector, value)
            else:
                page.fill(selector, value)


def test_a_pi_fills_and_submits_a_joint_application_and_the_unit_endorses_it(browser, demo, tmp_path):
    page, problems = new_page(browser, DESKTOP)
    sign_in(page, demo, PI)
    pk = start_application(page, demo)
    edit = f"{demo}/applications/{pk}/edit"

    # Basic data.
    title = "川渝丘陵山地智能农机协同作业关键技术研究与示范"
    page.fill("#id_title", title)
    page.fill("#id_start_date", f"{timezone.localdate().year + 1}-01")
    page.fill("#id_duration_months", "36")
    save(page)
    assert_section_complete(page, demo, pk, "basics")
    assert page.input_value("#id_title") == title

    # Content: "Save and continue" leads to the partners.
    page.goto(f"{edit}/content/")
    page.fill("#id_abstract", "面向川渝丘陵山地农业生产需求，研发智能农机协同作业关键技术并开展示范应用。")
    page.fill("#id_aims", "研究目标：突破复杂地形下多机协同作业的感知、决策与控制技术。国内外现状：……")
    page.fill("#id_technical_route", "技术路线：环境感知—路径规划—协同控制—示范验证。")
    page.fill("#id_foundation", "牵头单位与合作单位在智能装备与农业工程领域具有良好的研究基础。")
    page.click('#section-form button[name="then"][value="next"]')
    page.wait_for_url(f"{edit}/partners/")
    expect(page.locator('.section-nav a[href$="/edit/content/"]')).to_have_class(
        re.compile(r"\bsection-nav__link--done\b")
    )

    # Partners: the Sichuan unit, typed by name and taken from the list of registered units.
    assert page.locator(f'#registered-units option[value="{PARTNER_USCC}"]').count() == 1
    assert page.locator(f'#registered-units option[value="{LEAD_USCC}"]').count() == 0
    page.fill('[name="partners-0-registered"]', PARTNER[1])
    save(page)
    assert_section_complete(page, demo, pk, "partners")
    assert page.input_value('[name="partners-0-registered"]') == PARTNER_USCC
    assert PARTNER[1] in page.locator("#partners-row-0 .partner-unit").inner_text()

    # Team: the leader's row comes from the profile; one member of the partner unit.
    page.goto(f"{edit}/team/")
    assert page.input_value('[name="team-0-name"]') == NAMES[PI]
    assert page.input_value('[name="team-0-id_number"]') != ""
    member_id = make_id_number(962, born=date(1988, 4, 9), region="510107")
    fill_rows(page, "team", [{"time_percent": "60"}])
    fill_rows(
        page,
        "team",
        [
            {
                "name": "陈思远",
                "id_type": "resident_id",
                "id_number": member_id,
                "unit": PARTNER[1],
                "title": "副教授",
                "role": "core",
                "time_percent": "40",
            }
        ],
        first=1,
    )
    save(page)
    assert_section_complete(page, demo, pk, "team")
    assert page.input_value('[name="team-1-id_number"]') == member_id

    # Indicators: one technical, one economic.
    page.goto(f"{edit}/indicators/")
    fill_rows(
        page,
        "indicators",
        [
            {
                "kind": "technical",
                "metric": "多机协同作业效率提升",
                "target": "30",
                "unit": "%",
                "due_month": "24",
            },
            {
                "kind": "economic",
                "metric": "新增销售收入",
                "target": "2000",
                "unit": "万元",
                "due_month": "36",
            },
        ],
    )
    save(page)
    assert_section_complete(page, demo, pk, "indicators")

    # Milestones.
    page.goto(f"{edit}/milestones/")
    fill_rows(
        page,
        "milestones",
        [
            {"from_month": "1", "to_month": "18", "content": "关键技术攻关与样机研制"},
            {"from_month": "19", "to_month": "36", "content": "川渝两地示范应用与验收准备"},
        ],
    )
    save(page)
    assert_section_complete(page, demo, pk, "milestones")

    # Budget in 万元: a grid for the lead unit and one for the partner.
    page.goto(f"{edit}/budget/")
    assert page.locator(".budget-unit").count() == 2
    for (uscc, category, source), amount in BUDGET.items():
        page.fill(cell(uscc, category, source), amount)
    save(page)
    assert_section_complete(page, demo, pk, "budget")
    assert page.input_value(cell(LEAD_USCC, "equipment", "cq_gov")) == "60.00"
    assert page.locator(".budget-checks dd.warn").count() == 0
    assert page.locator(".budget-checks dd.ok").count() == 3
    assert (
        page.locator("section[aria-labelledby=budget-summary-title] tfoot td").last.inner_text() == "210.00"
    )
    shoot(page, "application-form.png", full_page=True)

    # Attachments: one PDF per required kind, each uploaded by its own form.
    page.goto(f"{edit}/attachments/")
    for kind in REQUIRED_ATTACHMENTS:
        pdf = tmp_path / f"{kind}.pdf"
        pdf.write_bytes(PDF_BYTES)
        page.set_input_files(f"#file-{kind}-file", pdf)
        page.click(f"#file-{kind} form button[type=submit]")
        page.wait_for_load_state()
        expect(page.locator(f"#file-{kind} .file-slot__current a")).to_have_text(f"{kind}.pdf")
    assert_section_complete(page, demo, pk, "attachments")

    # The commitment, made by the leader; after the last section, the overview.
    page.goto(f"{edit}/commitment/")
    page.check("#committed")
    save(page)
    assert_section_complete(page, demo, pk, "commitment")

    page.goto(f"{demo}/applications/{pk}/")
    assert page.locator(".section-mark--complete").count() == len(SECTIONS)
    assert page.locator(".section-mark--missing").count() == 0

    # Submit.
    page.click("details.move--submit > summary")
    page.click(f'details.move--submit form[action="/applications/{pk}/submit/"] button[type=submit]')
    page.wait_for_load_state()
    refused = page.locator(".problem-list li")
    assert refused.count() == 0, refused.all_inner_texts()
    assert page.url == f"{demo}/applications/{pk}/"
    badge = page.locator(".app-header .badge")
    expect(badge).to_have_class(re.compile(r"\bbadge--app-submitted\b"))
    assert badge.inner_text() == label_of("submitted")
    assert page.locator("h1").inner_text() == title
    assert page.locator(".submissions li").count() == 1
    assert page.locator("details.move--submit").count() == 0
    shoot(page, "application-detail.png", full_page=True)

    # The print: a PDF of the submitted version (printed at once: Celery runs eagerly in tests).
    href = page.locator(f'.app-header a[href="/applications/{pk}/print/"]').get_attribute("href")
    response = page.request.get(f"{demo}{href}")
    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    reference = page.locator(".app-header .page-header__meta .mono").inner_text()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages[:1])
    assert reference in text
    assert problems.messages == []
    sign_out(page)

    # The administrator of the lead unit endorses it from the unit's list.
    sign_in(page, demo, UNIT_ADMIN)
    page.click('#site-nav a[href="/applications/unit/"]')
    page.wait_for_load_state()
    waiting = page.locator(f'section[aria-labelledby=waiting-title] a[href="/applications/{pk}/"]')
    expect(waiting).to_have_text(title)
    shoot(page, "unit-endorsements.png", full_page=True)
    waiting.click()
    page.wait_for_load_state()
    page.click(f'form[action="/applications/{pk}/endorse/"] button[type=submit]')
    page.wait_for_load_state()
    expect(page.locator(".app-header .badge")).to_have_class(re.compile(r"\bbadge--app-endorsed\b"))
    page.goto(f"{demo}/applications/unit/")
    assert page.locator(f'section[aria-labelledby=waiting-title] a[href="/applications/{pk}/"]').count() == 0
    assert page.locator(f'section[aria-labelledby=others-title] a[href="/applications/{pk}/"]').count() == 1
    assert problems.messages == []
    sign_out(page)

    # The leader reads the new status and who moved it when.
    sign_in(page, demo, PI)
    page.goto(f"{demo}/applications/{pk}/")
    badge = page.locator(".app-header .badge")
    expect(badge).to_have_class(re.compile(r"\bbadge--app-endorsed\b"))
    assert badge.inner_text() == label_of("endorsed")
    items = page.locator(".timeline__item")
    moves = {
        items.nth(i).locator(".timeline__change strong").inner_text(): items.nth(i)
        for i in range(items.count())
    }
    for code, who in (("submitted", PI), ("endorsed", UNIT_ADMIN)):
        item = moves[label_of(code)]
        assert NAMES[who] in item.locator(".timeline__meta").inner_text()
        assert item.locator(".timeline__meta time[datetime]").count() == 1
    assert problems.messages == []

    # On a phone: the overview and the budget section fit the screen.
    phone, phone_problems = new_page(browser, PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    sign_in(phone, demo, PI)
    phone.goto(f"{demo}/applications/{pk}/")
    assert fits_the_screen(phone)
    phone.goto(f"{edit}/budget/")
    assert phone.locator(".budget-unit").count() == 2
    assert fits_the_screen(phone)
    shoot(phone, "application-phone.png")
    assert phone_problems.messages == []


def test_bad_amounts_are_named_and_a_stale_save_keeps_what_was_typed(browser, demo):
    first, first_problems = new_page(browser, DESKTOP)
    sign_in(first, demo, PI)
    pk = start_application(first, demo)
    budget = f"{demo}/applications/{pk}/edit/budget/"

    # Three decimals in 万元, and a negative amount: each cell named, everything typed kept.
    first.goto(budget)
    bad = {
        ("equipment", "cq_gov"): "1.234",
        ("operating", "self"): "-5",
    }
    for (category, source), amount in bad.items():
        first.fill(cell(LEAD_USCC, category, source), amount)
    first.fill(cell(LEAD_USCC, "labour", "cq_gov"), "10")
    save(first)
    assert first.url == budget
    summary = first.locator(".error-summary")
    expect(summary).to_be_visible()
    assert summary.locator("li").count() == len(bad)
    for (category, source), amount in bad.items():
        field = first.locator(cell(LEAD_USCC, category, source))
        assert field.input_value() == amount
        named = field.get_attribute("aria-label")
        link = summary.locator(f'a[href="#{field.get_attribute("id")}"]')
        assert link.inner_text().startswith(f"{named}:")
        assert first.locator(f"td:has(#{field.get_attribute('id')}) .errorlist").is_visible()
    assert first.input_value(cell(LEAD_USCC, "labour", "cq_gov")) == "10"

    # The same section in a second browser of the same person, opened before the first saves.
    second, second_problems = new_page(browser, DESKTOP)
    sign_in(second, demo, PI)
    second.goto(budget)
    assert second.input_value(cell(LEAD_USCC, "labour", "cq_gov")) == ""

    for category, source in bad:
        first.fill(cell(LEAD_USCC, category, source), "")
    save(first)
    assert first.url == budget
    assert first.locator(".error-summary").count() == 0
    assert first.input_value(cell(LEAD_USCC, "labour", "cq_gov")) == "10.00"

    second.fill(cell(LEAD_USCC, "equipment", "cq_gov"), "12.34")
    with second.expect_response(lambda response: response.request.method == "POST") as answer:
        save(second)
    assert answer.value.status == 409
    expect(second.locator(".stale-alert")).to_be_visible()
    assert second.input_value(cell(LEAD_USCC, "equipment", "cq_gov")) == "12.34"
    # Only what was typed: the first browser's save is not slipped into the second's form.
    assert second.input_value(cell(LEAD_USCC, "labour", "cq_gov")) == ""
    assert first_problems.messages == []
    # Chromium logs the page's own 409 answer as a console error; nothing else may be there.
    conflict = "Failed to load resource: the server responded with a status of 409 (Conflict)"
    assert [message for message in second_problems.messages if message != conflict] == []
