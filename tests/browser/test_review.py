"""In Chromium, through the pages: Chongqing bureau staff make the formal check of an endorsed
application and accept it, run the assignment of the 2021 call and add the Chongqing demo
expert to a panel by hand; the expert declares no conflict, scores the application against
the call's rubric, saves a draft and submits; the staff's ranking then counts the new review.

Data: ``seed_demo`` without applications (the call, its rubric, the logins and the expert
pool), plus three applications of the healthcare field written for this test. Object ids are
read from the database or from URLs: in CI PostgreSQL keeps its sequences between tests.
"""

import re

import pytest
from django.db.models import Q

from applications.demo import demo_call
from applications.models import Application
from reviews.demo import review_as_demo_expert
from reviews.models import Assignment, Criterion, ReviewerProfile
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
from tests.reviews.factories import make_accepted_application, make_endorsed_application

pytestmark = pytest.mark.browser

STAFF = "staff.cq@demo.test"
EXPERT = "reviewer.cq@demo.test"  # the Chongqing demo expert: healthcare and eco-environment
TITLES = ("川渝智慧医疗协同诊断关键技术研究", "成渝地区慢性病智能管理平台研发")


def ranking_row(page: Page, title: str):
    return page.locator(".ranking-table tbody tr", has=page.get_by_role("link", name=title))


def fill_other_reviews(application: Application) -> None:
    """Every other expert of the panel declares and submits, as the demo's experts do."""
    criteria = list(Criterion.objects.filter(call=application.call).order_by("position"))
    others = Assignment.objects.filter(application=application).exclude(reviewer__user__email=EXPERT)
    for assignment in others.select_related("application", "reviewer__user"):
        review_as_demo_expert(assignment, criteria)


def test_a_call_goes_from_formal_check_through_the_experts_to_the_ranking(browser, demo):
    call = demo_call()
    endorsed = make_endorsed_application(call=call, province="CQ")
    for title, province in zip(TITLES, ("CQ", "SC"), strict=True):
        make_accepted_application(call, field="health", province=province, title=title)
    # The demo expert is kept out of the draw, so that staff add them by hand below.
    ReviewerProfile.objects.filter(user__email=EXPERT).update(active=False)

    page, problems = new_page(browser, DESKTOP)
    sign_in(page, demo, STAFF)

    # The formal check: every rule passes; staff accept.
    page.get_by_role("link", name="形式审查").first.click()
    page.get_by_role("link", name=endorsed.title).first.click()
    expect(page.locator("main")).to_contain_text("牵头单位")
    page.locator("input[name=decision][value=accept]").check()
    shoot(page, "formal-check.png", full_page=True)
    page.get_by_role("button", name="记录决定").click()
    expect(page.locator(".messages, [role=status], .message").first).to_be_visible()
    assert Application.objects.get(pk=endorsed.pk).status == "accepted"

    # The assignment: one run draws five experts, at least two of each province, per application.
    page.goto(f"{demo}/review/calls/{call.pk}/assignment/")
    page.get_by_role("button", name="运行").click()
    page.wait_for_url(re.compile(r"/assignment/runs/\d+/"))
    expect(page.locator("main")).to_contain_text(re.compile("已完成|完成"))
    shoot(page, "assignment-run.png", full_page=True)
    in_review = Application.objects.filter(call=call, status="under_review")
    assert in_review.count() == 3
    for application in in_review:
        provinces = list(application.assignments.values_list("reviewer__province", flat=True))
        assert len(provinces) == 5 and provinces.count("SC") >= 2 and provinces.count("CQ") >= 2

    # By hand: the demo expert joins the panel of the first application.
    ReviewerProfile.objects.filter(user__email=EXPERT).update(active=True)
    target = Application.objects.get(call=call, title=TITLES[0])
    expert_profile = ReviewerProfile.objects.get(user__email=EXPERT)
    page.goto(f"{demo}/review/applications/{target.pk}/panel/")
    page.select_option("#id_reviewer", str(expert_profile.pk))
    page.get_by_role("button", name="加入评审组").click()
    expect(page.locator("main")).to_contain_text(expert_profile.user.full_name)
    assert target.assignments.count() == 6
    fill_other_reviews(target)

    page.goto(f"{demo}/review/calls/{call.pk}/ranking/?field=health")
    row = ranking_row(page, TITLES[0])
    expect(row).to_contain_text("5 / 6")
    sign_out(page)

    # The expert: the declaration first, then the score sheet; a draft, then the submission.
    sign_in(page, demo, EXPERT)
    page.get_by_role("link", name="我的评审").first.click()
    page.get_by_role("link", name=TITLES[0]).first.click()
    expect(page.locator("main")).not_to_contain_text("技术路线")
    page.check("#declare-agree")
    page.get_by_role("button", name="声明并打开申报书").click()
    expect(page.locator("main")).to_contain_text(TITLES[0])
    points = {
        "innovation": "18",
        "feasibility": "17",
        "foundation": "13",
        "cooperation": "14",
        "results": "17",
    }
    for code, value in points.items():
        page.fill(f"#review-points_{code}", value)
    page.fill("#review-comment_innovation", "面向川渝基层医疗的协同诊断，创新性突出。")
    page.fill("#review-comment", "建议资助；考核指标可再量化。")
    page.locator("input[name=recommendation][value=fund]").check()
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("main")).to_contain_text("79")  # the weighted total of five criteria so far
    page.fill("#review-points_budget", "8")
    shoot(page, "review-sheet.png", full_page=True)
    page.locator("summary", has_text="提交评审意见").click()
    page.get_by_role("button", name="立即提交评审意见").click()
    expect(page.locator("main")).to_contain_text("已锁定")
    expect(page.locator("[data-total]")).to_contain_text("87")
    assert problems.messages == []

    phone, phone_problems = new_page(browser, PHONE)
    sign_in(phone, demo, EXPERT)
    phone.goto(page.url)
    assert fits_the_screen(phone)
    shoot(phone, "review-phone.png", full_page=True)
    assert phone_problems.messages == []
    sign_out(page)

    # Staff: the ranking now counts all six reviews of the application.
    sign_in(page, demo, STAFF)
    page.goto(f"{demo}/review/calls/{call.pk}/ranking/")
    expect(ranking_row(page, TITLES[0])).to_contain_text("6 / 6")
    page.wait_for_selector("html.ranking-charts-drawn")
    shoot(page, "ranking.png", full_page=True)
    assert Application.objects.get(pk=target.pk).status == "reviewed"

    # On a phone, with the 32 long guide-task titles of the demo call in the filter.
    phone_staff, staff_problems = new_page(browser, PHONE)
    sign_in(phone_staff, demo, STAFF)
    phone_staff.goto(f"{demo}/review/calls/{call.pk}/ranking/")
    phone_staff.wait_for_selector("html.ranking-charts-drawn")
    assert fits_the_screen(phone_staff)
    assert staff_problems.messages == []
    assert not Assignment.objects.filter(Q(application=target), ~Q(review__status="submitted")).exists()
    assert problems.messages == []
