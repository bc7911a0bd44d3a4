"""In Chromium, axe-core (installed from npm, never served by the portal) checks the portal's main
pages in Chinese and in English: no violation of impact "serious" or "critical" is allowed.

The pages: the landing page, a call and the sign-in page (anonymous); the home page of every
role after sign-in (applicant, unit administrator, expert, bureau staff of Sichuan and of
Chongqing, administrator); every section of an applicant's draft and its overview; an
expert's declaration and score sheet; the staff's ranking with its charts drawn; the public
announcement (立项公示) and its objection form. Forms are also checked as they come back with
errors (sign-in, objection, budget grid, declaration, score sheet), every ``<details>`` is
opened first, and the landing page (phone menu open) and the draft are checked at a phone's
width too.

axe is added to each page with ``add_init_script``: Chromium runs it through the DevTools
protocol before the page's own scripts, so the portal's strict CSP stays in force and the
pages are checked exactly as visitors get them (no ``bypass_csp``). Every result, whatever
its impact, is written to test-artifacts/axe-report.json for whoever fixes the next one.

Data: ``seed_demo`` without applications (the call, the logins, the expert pool) and a few
rows written for this test: the applicant's draft, two assignments of the Chongqing demo
expert (one declared), a reviewed call for the ranking and an announced one. One test seeds
once, signs every role in once, and walks every page in both languages (the language cookie
is what the language switch sets).
"""

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from applications.demo import demo_call
from applications.models import ApplicationStatus
from applications.rules import SECTIONS
from applications.services import application_create, application_save
from portal.accounts.models import User
from portal.organizations.models import Organization
from reviews.models import Assignment, AssignmentStatus, ReviewerProfile
from tests.browser.pages import DEMO_PASSWORD, DESKTOP, ROOT, Browser, Page, new_page, sign_in
from tests.conftest import need
from tests.factories import complete_document
from tests.reviews.factories import make_accepted_application
from tests.reviews.publicity_factories import announced_call
from tests.reviews.test_ranking import build_call

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
REPORT = ROOT / "test-artifacts" / "axe-report.json"
PHONE = {"width": 390, "height": 844}
BLOCKING = ("serious", "critical")
LANGUAGES = ("zh-hans", "en")

APPLICANT = "applicant.cq@demo.test"
EXPERT = "reviewer.cq@demo.test"  # the Chongqing demo expert: healthcare and eco-environment
RANKING_STAFF = "staff.sc@demo.test"
HOMES = {
    "applicant": APPLICANT,
    "unit admin": "unit_admin.cq@demo.test",
    "expert": EXPERT,
    "staff SC": RANKING_STAFF,
    "staff CQ": "staff.cq@demo.test",
    "admin": "admin@demo.test",
}
PHONE_SECTIONS = ("basics", "team", "budget")  # the main form, a row list, the grid

# axe reports its findings and the first nodes of each; the test keeps them in this shape.
AXE_RUN = """async () => {
    document.querySelectorAll("details").forEach((details) => { details.open = true; });
    const result = await axe.run(document, {resultTypes: ["violations"]});
    return result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
        nodes: v.nodes.slice(0, 3).map((n) => ({
            target: n.target.join(" "), html: n.html, summary: n.failureSummary,
        })),
    }));
}"""


@dataclass
class Urls:
    """The pages of the data built for this test, relative to the live server."""

    call: str
    draft: str
    to_declare: str
    sheet: str
    ranking: str
    announcement: str
    objection: str


def build_pages() -> Urls:
    call = demo_call()
    applicant = User.objects.get(email=APPLICANT)
    draft = application_create(
        call=call, by=applicant, guide_task=call.tasks.filter(field__code="health").first()
    )
    partner = Organization.objects.filter(located_province="SC", verified_at__isnull=False).first()
    document = complete_document(draft, partner)
    # Saved with a gap left: the sections show what is still missing, as drafts do.
    document["abstract"] = ""
    application_save(application=draft, data=document, version=draft.version, by=applicant)

    expert = ReviewerProfile.objects.get(user__email=EXPERT)
    assignments = []
    for title in ("川渝智慧医疗协同诊断关键技术研究", "成渝地区慢性病智能管理平台研发"):
        application = make_accepted_application(
            call, field="health", province="SC", status=ApplicationStatus.UNDER_REVIEW, title=title
        )
        assignments.append(
            Assignment.objects.create(application=application, reviewer=expert, source="manual")
        )
    Assignment.objects.filter(pk=assignments[1].pk).update(
        status=AssignmentStatus.DECLARED, declared_at=timezone.now() - timedelta(hours=1)
    )

    reviewed, _experts, _applications = build_call(6, experts=6)
    publicity, _awards = announced_call(3)
    return Urls(
        call=f"/calls/{call.pk}/",
        draft=f"/applications/{draft.pk}/",
        to_declare=f"/review/my/{assignments[0].pk}/",
        sheet=f"/review/my/{assignments[1].pk}/",
        ranking=f"/review/calls/{reviewed.pk}/ranking/",
        announcement=f"/announcements/{publicity.call_id}/",
        objection=f"/announcements/{publicity.call_id}/objection/",
    )


class Walk:
    """Runs axe on pages and keeps what it found: every finding for the report, the serious and
    critical ones as readable lines for the assertion."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.language = LANGUAGES[0]
        self.pages = 0
        self.report: list[dict] = []
        self.problems: list[str] = []

    def page(self, browser: Browser, viewport: dict = DESKTOP, email: str | None = None) -> Page:
        """A page of a new context with axe loaded in every document, signed in as ``email``."""
        page, _problems = new_page(browser, viewport)
        page.context.add_init_script(path=str(AXE))
        if email:
            sign_in(page, self.base, email)
        return page

    def speak(self, page: Page, language: str) -> None:
        """The language cookie, as the language switch sets it."""
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": self.base}]
        )
        self.language = language

    def open(self, page: Page, path: str, name: str, *, ready: str | None = None) -> None:
        page.goto(self.base + path)
        if ready:
            page.wait_for_selector(ready)
        self.check(page, name)

    def check(self, page: Page, name: str) -> None:
        """axe on the page as it is now."""
        assert page.evaluate("document.documentElement.lang") == self.language, (name, page.url)
        name = f"[{self.language} {page.viewport_size['width']}px] {name}"
        violations = page.evaluate(AXE_RUN)
        self.pages += 1
        self.report.append({"page": name, "url": page.url, "violations": violations})
        for violation in violations:
            if violation["impact"] not in BLOCKING:
                continue
            self.problems.append(
                f"{name} {page.url}\n  {violation['id']} ({violation['impact']}, "
                f"{violation['count']} elements): {violation['help']}"
            )
            for node in violation["nodes"]:
                summary = " ".join((node["summary"] or "").split())
                self.problems.append(f"    {node['target']}\n      {node['html'][:300]}\n      {summary}")


def submit(page: Page, button: str) -> None:
    """Submit the form of ``button`` without the browser's own checks, so the server answers."""
    button = page.locator(button).first
    button.evaluate("(button) => { if (button.form) button.form.noValidate = true; }")
    with page.expect_navigation():
        button.click()


def test_the_main_pages_have_no_serious_or_critical_accessibility_violation(browser, demo):
    need(AXE.exists(), f"{AXE} is missing (make runs npm ci)")
    urls = build_pages()
    walk = Walk(demo)
    visitor, phone = walk.page(browser), walk.page(browser, PHONE)
    signed_in = {role: walk.page(browser, email=email) for role, email in HOMES.items()}
    applicant_phone = walk.page(browser, PHONE, APPLICANT)

    for language in LANGUAGES:
        for page in (visitor, phone, applicant_phone, *signed_in.values()):
            walk.speak(page, language)

        # Anonymous: the landing page, a call, the announcement and its objection form.
        walk.open(visitor, "/", "home")
        walk.open(visitor, urls.call, "call")
        walk.open(visitor, "/announcements/", "announcements")
        walk.open(visitor, urls.announcement, "announcement")
        walk.open(visitor, urls.objection, "objection form")
        submit(visitor, "main form button[type=submit]")
        walk.check(visitor, "objection form with errors")
        walk.open(visitor, "/accounts/login/", "sign-in")
        visitor.fill("#id_username", APPLICANT)
        visitor.fill("#id_password", DEMO_PASSWORD + "-wrong")
        submit(visitor, "main form button[type=submit]")
        walk.check(visitor, "sign-in with errors")
        walk.open(phone, "/", "home")
        phone.click(".menu-button")
        walk.check(phone, "home, menu open")

        # Every role's home page.
        for role, page in signed_in.items():
            walk.open(page, "/", f"home of {role}")

        # The application form, each section, and the budget grid with bad amounts.
        applicant = signed_in["applicant"]
        walk.open(applicant, urls.draft, "application overview")
        for section in SECTIONS:
            walk.open(applicant, f"{urls.draft}edit/{section}/", f"application: {section}")
        applicant.goto(f"{demo}{urls.draft}edit/budget/")
        applicant.locator("#budget-grid input:not([type=hidden])").first.fill("-5")
        submit(applicant, "#section-form button.button--primary")
        walk.check(applicant, "application: budget with errors")
        walk.open(applicant_phone, urls.draft, "application overview")
        for section in PHONE_SECTIONS:
            walk.open(applicant_phone, f"{urls.draft}edit/{section}/", f"application: {section}")

        # The expert: the list, a declaration (refused without the box ticked), a score sheet.
        expert = signed_in["expert"]
        walk.open(expert, "/review/my/", "expert's assignments")
        walk.open(expert, urls.to_declare, "declaration")
        submit(expert, "form[action$='/declare/'] button.button--primary")
        walk.check(expert, "declaration with errors")
        walk.open(expert, urls.sheet, "score sheet")
        expert.fill("#review-points_innovation", "999")
        submit(expert, "button[name=action][value=save]")
        walk.check(expert, "score sheet with errors")

        # Staff: the ranking, once Chart.js has drawn.
        walk.open(signed_in["staff SC"], urls.ranking, "ranking", ready="html.ranking-charts-drawn")

    for page in (visitor, phone, applicant_phone, *signed_in.values()):
        page.context.close()
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(walk.report, ensure_ascii=False, indent=1), encoding="utf-8")
    assert not walk.problems, (
        f"axe found serious or critical violations ({walk.pages} page states checked; "
        f"every finding in {REPORT}):\n" + "\n".join(walk.problems)
    )
