"""The expert's pages: my reviews, one assignment (the declaration first, then the application
and the score sheet), its PDF, and staff reopening a review — who sees what (the actor
matrix), what bad input gets back, and that an expert never sees another expert's review."""

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import translation

from applications.models import Application, ApplicationStatus, PrintOut
from portal.audit.models import AuditEvent
from portal.jobs.models import Job
from reviews.models import Assignment, AssignmentStatus, Conflict, Review, ReviewStatus
from tests.factories import PDF_BYTES, UserFactory
from tests.reviews.factories import (
    DEFAULT_POINTS,
    make_accepted_application,
    make_call_with_rubric,
    make_expert,
    make_staff,
)
from tests.reviews.test_reviewing import assign, save

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
SECRET = "只有声明后才能看到的摘要"


@pytest.fixture
def call():
    return make_call_with_rubric(reviewers_per_application=2, min_reviewers_per_province=1)


@pytest.fixture
def application(call):
    application = make_accepted_application(
        call, status=ApplicationStatus.UNDER_REVIEW, title="川渝智能网联汽车联合研究"
    )
    Application.objects.filter(pk=application.pk).update(abstract=SECRET)
    application.refresh_from_db()
    return application


@pytest.fixture
def expert():
    return make_expert("SC")


@pytest.fixture
def assignment(application, expert):
    return assign(application, expert)


@pytest.fixture
def declared(application, expert):
    return assign(application, expert, AssignmentStatus.DECLARED)


def url(name: str, assignment: Assignment) -> str:
    return reverse(f"reviews:{name}", args=[assignment.pk])


def sheet(**extra) -> dict:
    """The score sheet as the page posts it."""
    data = {f"points_{code}": str(points) for code, points in DEFAULT_POINTS.items()}
    data |= {"comment": "基础扎实，路线可行。", "recommendation": "fund", "version": ""}
    return data | extra


def actor(name: str, application: Application):
    return {
        "assigned_expert": lambda: None,
        "other_expert": lambda: make_expert("CQ").user,
        "applicant": lambda: application.pi,
        "staff_sc": lambda: make_staff("SC"),
        "staff_cq": lambda: make_staff("CQ"),
        "anonymous": lambda: None,
    }[name]()


# --- My reviews ----------------------------------------------------------------------------------


def test_my_reviews_groups_the_assignments_by_call_with_their_state(client, expert, call):
    other_call = make_call_with_rubric(title_zh="2022年川渝联合项目", title_en="2022 joint call")
    states = {
        "awaiting": assign(make_accepted_application(call, title="待声明的申请"), expert),
        "declined": assign(
            make_accepted_application(call, title="有冲突的申请"), expert, AssignmentStatus.DECLINED
        ),
        "submitted": assign(
            make_accepted_application(other_call, title="已提交的申请"), expert, AssignmentStatus.DECLARED
        ),
    }
    Application.objects.filter(pk=states["submitted"].application_id).update(
        status=ApplicationStatus.UNDER_REVIEW
    )
    save(states["submitted"], submit=True)
    client.force_login(expert.user)

    response = client.get(reverse("reviews:my_assignments"), **EN)

    page = response.content.decode()
    assert response.status_code == 200
    assert "2022 joint call" in page and "2021 Sichuan–Chongqing joint key R&amp;D call" in page
    assert 'data-state="awaiting_declaration"' in page and "Awaiting your declaration" in page
    assert 'data-state="declined"' in page and 'data-state="submitted"' in page
    assert "78.00" in page


def test_my_reviews_costs_the_same_queries_for_2_and_50_assignments(
    client, expert, call, django_assert_max_num_queries
):
    client.force_login(expert.user)
    counts = []
    for rows in (2, 50):
        while Assignment.objects.filter(reviewer=expert).count() < rows:
            assignment = assign(make_accepted_application(call), expert, AssignmentStatus.DECLARED)
            Review.objects.create(assignment=assignment, status=ReviewStatus.DRAFT)
        with django_assert_max_num_queries(8) as captured:
            response = client.get(reverse("reviews:my_assignments"))
        assert response.status_code == 200
        assert response.content.decode().count('data-state="draft"') == rows
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_my_reviews_is_for_experts(client, application):
    client.force_login(application.pi)
    assert client.get(reverse("reviews:my_assignments")).status_code == 403
    client.logout()
    assert client.get(reverse("reviews:my_assignments")).status_code == 302


def test_the_experts_home_counts_what_waits(client, application, expert):
    assign(application, expert)
    client.force_login(expert.user)
    page = client.get("/", **EN).content.decode()
    assert "Your reviews" in page and reverse("reviews:my_assignments") in page
    assert "Continue reviewing" in page


# --- One assignment: who sees it ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("assigned_expert", 200),
        ("other_expert", 404),
        ("applicant", 404),
        ("staff_sc", 404),
        ("staff_cq", 404),
        ("anonymous", 302),
    ],
)
@pytest.mark.parametrize("page", ["assignment_detail", "assignment_pdf"])
def test_only_the_assigned_expert_opens_the_assignment(client, declared, who, expected, page):
    user = declared.reviewer.user if who == "assigned_expert" else actor(who, declared.application)
    if user is not None:
        client.force_login(user)
    PrintOut.objects.create(
        application=declared.application,
        version=declared.application.version,
        official=False,
        sha256="0" * 64,
        file=ContentFile(PDF_BYTES, name="print.pdf"),
    )
    response = client.get(url(page, declared))
    assert response.status_code == expected
    if expected == 302:
        assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("who", ["other_expert", "applicant", "staff_sc", "anonymous"])
def test_nobody_else_declares_or_reviews(client, assignment, who):
    user = actor(who, assignment.application)
    if user is not None:
        client.force_login(user)
    declare = client.post(url("assignment_declare", assignment), {"choice": "no_conflict", "agree": "on"})
    review = client.post(url("assignment_review", assignment), sheet(action="submit"))
    assert {declare.status_code, review.status_code} == ({302} if who == "anonymous" else {404})
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.ASSIGNED
    assert not Review.objects.exists()


def test_an_unknown_id_is_a_404(client, expert):
    client.force_login(expert.user)
    assert client.get(reverse("reviews:assignment_detail", args=[999999])).status_code == 404


# --- The declaration ---------------------------------------------------------------------------


def test_before_the_declaration_only_the_title_task_and_units_are_shown(client, assignment):
    client.force_login(assignment.reviewer.user)
    response = client.get(url("assignment_detail", assignment), **EN)
    page = response.content.decode()
    application = assignment.application
    partner = application.partners.get()
    assert application.title in page and application.lead_unit.name in page and partner.name in page
    assert application.guide_task.code in page
    assert "I declare that I have no conflict of interest" in page
    assert SECRET not in page
    assert url("assignment_pdf", assignment) not in page


def test_declaring_opens_the_application_and_the_score_sheet(client, assignment):
    client.force_login(assignment.reviewer.user)
    response = client.post(url("assignment_declare", assignment), {"choice": "no_conflict", "agree": "on"})
    assert response.status_code == 302
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.DECLARED

    page = client.get(url("assignment_detail", assignment), **EN).content.decode()
    assert SECRET in page
    assert url("assignment_pdf", assignment) in page
    assert 'name="points_innovation"' in page and 'max="20"' in page and 'inputmode="decimal"' in page
    assert "Submit the review now" in page


def test_declaring_without_ticking_the_box_is_refused(client, assignment):
    client.force_login(assignment.reviewer.user)
    response = client.post(url("assignment_declare", assignment), {"choice": "no_conflict"}, **EN)
    assert response.status_code == 400
    assert "Tick the box to make the declaration" in response.content.decode()
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.ASSIGNED


def test_a_conflict_needs_a_reason_on_the_page(client, assignment):
    client.force_login(assignment.reviewer.user)
    response = client.post(url("assignment_declare", assignment), {"choice": "conflict", "reason": " "}, **EN)
    assert response.status_code == 400
    assert "Please describe the conflict of interest." in response.content.decode()
    assert not Conflict.objects.exists()


def test_declaring_a_conflict_declines_and_hides_the_application(client, assignment):
    client.force_login(assignment.reviewer.user)
    response = client.post(
        url("assignment_declare", assignment), {"choice": "conflict", "reason": "合作单位是我的单位"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("reviews:my_assignments")
    assert Conflict.objects.get().source == "declared"
    page = client.get(url("assignment_detail", assignment), **EN).content.decode()
    assert "You declared a conflict of interest" in page and SECRET not in page
    pdf = client.get(url("assignment_pdf", assignment))
    assert pdf.status_code == 302 and pdf["Location"] == url("assignment_detail", assignment)


def test_a_double_click_declares_once(client, assignment):
    client.force_login(assignment.reviewer.user)
    for _click in range(2):
        client.post(url("assignment_declare", assignment), {"choice": "no_conflict", "agree": "on"})
    assert AuditEvent.objects.filter(action="assignment.declare").count() == 1


# --- The score sheet -----------------------------------------------------------------------------


def test_a_draft_is_saved_and_the_total_so_far_shown(client, declared):
    client.force_login(declared.reviewer.user)
    data = sheet(action="save", points_feasibility="", points_results="", recommendation="")
    response = client.post(url("assignment_review", declared), data)
    assert response.status_code == 302
    review = Review.objects.get()
    assert review.status == ReviewStatus.DRAFT and review.scores.filter(points__isnull=False).count() == 4

    page = client.get(url("assignment_detail", declared), **EN).content.decode()
    assert "criteria scored so far: 48.00" in page  # 16 + 12 + 12 + 8
    assert 'value="16"' in page and 'name="version" value="1"' in page


def test_submitting_locks_the_review_and_shows_it_read_only(client, declared):
    client.force_login(declared.reviewer.user)
    response = client.post(url("assignment_review", declared), sheet(action="submit"))
    assert response.status_code == 302
    assert Review.objects.get().status == ReviewStatus.SUBMITTED

    page = client.get(url("assignment_detail", declared), **EN).content.decode()
    assert "the review is locked" in page and "78.00" in page
    assert 'name="points_innovation"' not in page

    again = client.post(url("assignment_review", declared), sheet(action="submit", points_budget="1"), **EN)
    assert again.status_code == 302
    assert Review.objects.get().total == Decimal("78.00")
    follow = client.get(again["Location"], **EN).content.decode()
    assert "already submitted this review" in follow


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("points_innovation", "25", "Give between 0 and 20 points."),
        ("points_budget", "-1", "Give between 0 and 10 points."),
        ("points_innovation", "abc", "Enter the points as a number, such as 12.5."),
        ("points_innovation", "NaN", "Enter the points as a number, such as 12.5."),
        ("points_innovation", "12.345", "Give the points with at most 2 decimals."),
        ("points_innovation", "", "before submitting"),
        ("comment", "", "Write an overall comment before submitting."),
        ("recommendation", "", "Choose a recommendation before submitting."),
    ],
)
def test_bad_input_comes_back_on_its_field_with_the_values_as_typed(client, declared, field, value, message):
    client.force_login(declared.reviewer.user)
    response = client.post(url("assignment_review", declared), sheet(action="submit", **{field: value}), **EN)
    page = response.content.decode()
    assert response.status_code == 400
    assert message in page
    assert 'value="15"' in page  # feasibility as typed
    assert not Review.objects.exists()


def test_a_stale_page_is_refused_with_the_values_kept(client, declared):
    save(declared)
    save(declared, version=1)
    client.force_login(declared.reviewer.user)
    response = client.post(
        url("assignment_review", declared), sheet(action="save", version="1", comment="旧页面的评语"), **EN
    )
    page = response.content.decode()
    assert response.status_code == 409
    assert "saved in another window" in page and "旧页面的评语" in page
    assert Review.objects.get().version == 2


def test_reviewing_before_the_declaration_is_refused_on_the_page(client, assignment):
    client.force_login(assignment.reviewer.user)
    response = client.post(url("assignment_review", assignment), sheet(action="save"), **EN)
    assert response.status_code == 302
    assert "Make the declaration" in client.get(response["Location"], **EN).content.decode()
    assert not Review.objects.exists()


def test_an_expert_never_sees_another_experts_review(client, application, declared):
    other = assign(application, make_expert("CQ"), AssignmentStatus.DECLARED)
    save(
        other,
        submit=True,
        points=DEFAULT_POINTS | {"innovation": Decimal("3.25")},
        comments={"budget": "乙专家的预算意见"},
        comment="乙专家的总体评价",
        recommendation="reject",
    )
    client.force_login(declared.reviewer.user)
    for page_url in (url("assignment_detail", declared), reverse("reviews:my_assignments")):
        page = client.get(page_url, **EN).content.decode()
        assert "乙专家" not in page and "3.25" not in page and "65.25" not in page
        assert other.reviewer.user.full_name not in page
    assert client.get(url("assignment_detail", other)).status_code == 404


# --- The PDF --------------------------------------------------------------------------------------


def test_the_pdf_is_served_when_printed(client, declared):
    PrintOut.objects.create(
        application=declared.application,
        version=declared.application.version,
        official=False,
        sha256="0" * 64,
        file=ContentFile(PDF_BYTES, name="print.pdf"),
    )
    client.force_login(declared.reviewer.user)
    response = client.get(url("assignment_pdf", declared))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_the_pdf_page_shows_the_progress_while_printing(client, declared):
    client.force_login(declared.reviewer.user)
    response = client.get(url("assignment_pdf", declared), **EN)
    page = response.content.decode()
    assert response.status_code == 200 and "The PDF is being made" in page
    job = Job.objects.get()
    assert job.created_by == declared.reviewer.user
    assert reverse("jobs:status", args=[job.pk]) in page


def test_the_pdf_waits_for_the_declaration(client, assignment):
    client.force_login(assignment.reviewer.user)
    response = client.get(url("assignment_pdf", assignment))
    assert response.status_code == 302
    assert not Job.objects.exists()


# --- Staff reopen a review -------------------------------------------------------------------------


@pytest.fixture
def submitted(declared):
    save(declared, submit=True)
    return declared


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("assigned_expert", 404),
        ("other_expert", 404),
        ("applicant", 404),
        ("staff_sc", 200),
        ("staff_cq", 200),
        ("anonymous", 302),
    ],
)
def test_the_reopen_page_is_for_review_staff(client, submitted, who, expected):
    user = submitted.reviewer.user if who == "assigned_expert" else actor(who, submitted.application)
    if user is not None:
        client.force_login(user)
    response = client.get(url("review_reopen", submitted), **EN)
    assert response.status_code == expected
    post = client.post(url("review_reopen", submitted), {"reason": "请复核"})
    assert post.status_code == (302 if expected in (200, 302) else 404)
    if expected != 200:
        assert Review.objects.get().status == ReviewStatus.SUBMITTED


def test_staff_reopen_with_a_reason_and_the_expert_submits_again(client, submitted):
    staff = make_staff("CQ")
    client.force_login(staff)
    page = client.get(url("review_reopen", submitted), **EN).content.decode()
    assert "78.00" in page and "Reopen the review" in page

    refused = client.post(url("review_reopen", submitted), {"reason": "  "}, **EN)
    assert refused.status_code == 400 and "Please give the reason" in refused.content.decode()
    assert Review.objects.get().status == ReviewStatus.SUBMITTED

    done = client.post(url("review_reopen", submitted), {"reason": "预算评分与评语不符"})
    assert done.status_code == 302
    assert done["Location"] == reverse("reviews:panel_detail", args=[submitted.application_id])
    review = Review.objects.get()
    assert review.status == ReviewStatus.DRAFT
    assert AuditEvent.objects.get(action="review.reopen").reason == "预算评分与评语不符"

    client.force_login(submitted.reviewer.user)
    assert 'name="points_innovation"' in client.get(url("assignment_detail", submitted)).content.decode()
    again = client.post(
        url("assignment_review", submitted), sheet(action="submit", version=str(review.version))
    )
    assert again.status_code == 302
    assert Review.objects.get().status == ReviewStatus.SUBMITTED


def test_reopening_a_draft_says_there_is_nothing_to_reopen(client, declared):
    save(declared)
    client.force_login(make_staff("SC"))
    with translation.override("en"):
        page = client.get(url("review_reopen", declared), **EN).content.decode()
    assert "nothing to reopen" in page
    response = client.post(url("review_reopen", declared), {"reason": "x"})
    assert response.status_code == 302
    assert Review.objects.get().status == ReviewStatus.DRAFT


def test_a_unit_admin_gets_no_reopen_page(client, submitted):
    client.force_login(UserFactory(role="unit_admin", organization=submitted.application.lead_unit))
    assert client.get(url("review_reopen", submitted)).status_code == 404
