"""The workspace API: POST /api/v1/assignments/{id}/declare/ and GET/PUT
/api/v1/assignments/{id}/review/ — the actor matrix (only the assigned expert; anybody else
404, anonymous 401), what bad input gets (400 naming the field), and the state refusals
(409: not_declared, already_declared, locked, stale)."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from applications.models import Application, ApplicationStatus
from reviews.models import Assignment, AssignmentStatus, Conflict, Review, ReviewStatus
from reviews.services.reviewing import DECLARATION_CODE
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
SCORES = {code: str(points) for code, points in DEFAULT_POINTS.items()}


def body(**extra) -> dict:
    return {
        "scores": SCORES,
        "comments": {"budget": "预算合理"},
        "comment": "总体较好。",
        "recommendation": "fund",
        "submit": False,
    } | extra


def declare_url(assignment: Assignment) -> str:
    return reverse("api-assignments-declare", kwargs={"pk": assignment.pk})


def review_url(assignment: Assignment) -> str:
    return reverse("api-assignments-review", kwargs={"pk": assignment.pk})


def errors_of(response) -> dict:
    return {error["field"]: error["code"] for error in response.json()["errors"]}


@pytest.fixture
def call():
    return make_call_with_rubric(reviewers_per_application=2, min_reviewers_per_province=1)


@pytest.fixture
def application(call):
    return make_accepted_application(call, status=ApplicationStatus.UNDER_REVIEW)


@pytest.fixture
def expert():
    return make_expert("SC")


@pytest.fixture
def assignment(application, expert):
    return assign(application, expert)


@pytest.fixture
def declared(application, expert):
    return assign(application, expert, AssignmentStatus.DECLARED)


def client_of(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def as_expert(assignment: Assignment) -> APIClient:
    return client_of(assignment.reviewer.user)


# --- The actor matrix ----------------------------------------------------------------------------

OTHERS = {
    "other_expert": lambda application: make_expert("CQ").user,
    "applicant": lambda application: application.pi,
    "staff_sc": lambda application: make_staff("SC"),
    "staff_cq": lambda application: make_staff("CQ"),
    "anonymous": lambda application: None,
}


@pytest.mark.parametrize("who", list(OTHERS))
def test_nobody_but_the_assigned_expert_reaches_the_assignment(assignment, who):
    client = client_of(OTHERS[who](assignment.application))
    expected = 401 if who == "anonymous" else 404

    responses = [
        client.post(declare_url(assignment), {"no_conflict": True}, format="json"),
        client.get(review_url(assignment)),
        client.put(review_url(assignment), body(submit=True), format="json"),
    ]

    assert [r.status_code for r in responses] == [expected] * 3
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.ASSIGNED
    assert not Review.objects.exists()


def test_an_unknown_assignment_is_a_404(expert):
    response = client_of(expert.user).get("/api/v1/assignments/999999/review/", **EN)
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


# --- The declaration ---------------------------------------------------------------------------


def test_declaring_no_conflict_answers_the_assignment(assignment):
    response = as_expert(assignment).post(declare_url(assignment), {"no_conflict": True}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert (data["id"], data["status"], data["declaration"]) == (assignment.pk, "declared", DECLARATION_CODE)
    assert data["declared_at"]


def test_declaring_a_conflict_declines_the_assignment(assignment):
    response = as_expert(assignment).post(
        declare_url(assignment), {"conflict": "我是项目负责人的导师"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "declined"
    assert Conflict.objects.get().reason == "我是项目负责人的导师"


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({}, {"no_conflict": "one_of", "conflict": "one_of"}),
        ({"no_conflict": True, "conflict": "合作者"}, {"no_conflict": "one_of", "conflict": "one_of"}),
        ({"no_conflict": False}, {"no_conflict": "invalid"}),
        ({"no_conflict": "perhaps"}, {"no_conflict": "invalid"}),
        ({"conflict": "   "}, {"conflict": "required"}),
        ({"conflict": "x" * 1001}, {"conflict": "max_length"}),
    ],
)
def test_a_declaration_needs_exactly_one_clear_answer(assignment, payload, errors):
    response = as_expert(assignment).post(declare_url(assignment), payload, format="json", **EN)
    assert response.status_code == 400
    assert errors_of(response) == errors
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.ASSIGNED


def test_a_second_different_declaration_is_409_and_the_same_one_changes_nothing(assignment):
    client = as_expert(assignment)
    client.post(declare_url(assignment), {"no_conflict": True}, format="json")

    same = client.post(declare_url(assignment), {"no_conflict": True}, format="json")
    other = client.post(declare_url(assignment), {"conflict": "后来想起是合作者"}, format="json")

    assert same.status_code == 200
    assert other.status_code == 409 and errors_of(other) == {None: "already_declared"}
    assert not Conflict.objects.exists()


# --- The review --------------------------------------------------------------------------------


def test_declare_then_save_then_submit_then_read(assignment):
    client = as_expert(assignment)
    assert client.post(declare_url(assignment), {"no_conflict": True}, format="json").status_code == 200

    draft = client.put(
        review_url(assignment), body(scores={"innovation": 16, "budget": "8.5"}), format="json"
    )
    assert draft.status_code == 200
    data = draft.json()
    assert (data["status"], data["version"], data["total"]) == ("draft", 1, "24.50")
    assert data["scores"] == {"innovation": "16.00", "budget": "8.50"}

    submitted = client.put(review_url(assignment), body(submit=True, version=1), format="json")
    assert submitted.status_code == 200
    data = submitted.json()
    assert (data["status"], data["version"], data["total"]) == ("submitted", 2, "78.00")
    assert data["submitted_at"] and data["comments"] == {"budget": "预算合理"}

    read = client.get(review_url(assignment)).json()
    assert read == data
    assert [c["code"] for c in read["criteria"]] == list(DEFAULT_POINTS)


def test_reading_before_the_first_save(assignment):
    data = as_expert(assignment).get(review_url(assignment)).json()
    assert (data["status"], data["version"], data["assignment_status"], data["scores"]) == (
        "not_started",
        0,
        "assigned",
        {},
    )


def test_reviewing_without_the_declaration_is_409_not_declared(assignment):
    response = as_expert(assignment).put(review_url(assignment), body(submit=True), format="json", **EN)
    assert response.status_code == 409
    assert errors_of(response) == {None: "not_declared"}
    assert "declaration" in response.json()["detail"]
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    ("scores", "errors"),
    [
        ({"innovation": 21}, {"scores.innovation": "out_of_range"}),
        ({"budget": "-0.5"}, {"scores.budget": "out_of_range"}),
        ({"innovation": "sixteen"}, {"scores.innovation": "not_a_number"}),
        ({"innovation": "NaN"}, {"scores.innovation": "not_a_number"}),
        ({"innovation": "Infinity"}, {"scores.innovation": "not_a_number"}),
        ({"innovation": True}, {"scores.innovation": "not_a_number"}),
        ({"innovation": {"points": 3}}, {"scores.innovation": "not_a_number"}),
        ({"innovation": 12.345}, {"scores.innovation": "too_precise"}),
        ({"novelty": 5}, {"scores.novelty": "unknown_criterion"}),
    ],
)
def test_bad_scores_are_400_naming_the_criterion(declared, scores, errors):
    response = as_expert(declared).put(
        review_url(declared), body(scores=SCORES | scores), format="json", **EN
    )
    assert response.status_code == 400
    assert errors_of(response) == errors
    assert not Review.objects.exists()


def test_nan_as_a_json_number_is_refused(declared):
    response = as_expert(declared).generic(
        "PUT",
        review_url(declared),
        '{"scores": {"innovation": NaN}, "submit": false}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not Review.objects.exists()


def test_a_submission_with_missing_criteria_lists_them(declared):
    response = as_expert(declared).put(
        review_url(declared),
        body(scores={"innovation": 16}, comment="", recommendation="", submit=True),
        format="json",
        **EN,
    )
    assert response.status_code == 400
    assert errors_of(response) == {
        "scores.feasibility": "required",
        "scores.foundation": "required",
        "scores.cooperation": "required",
        "scores.results": "required",
        "scores.budget": "required",
        "comment": "required",
        "recommendation": "required",
    }
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    ("payload", "errors"),
    [
        ({"scores": [16, 15]}, {"scores": "not_a_dict"}),
        ({"recommendation": "maybe"}, {"recommendation": "invalid_choice"}),
        ({"comments": {"style": "好"}}, {"comments.style": "unknown_criterion"}),
        ({"grade": "A"}, {"grade": "unknown_field"}),
        ({"submit": "sure"}, {"submit": "invalid"}),
    ],
)
def test_other_bad_input_is_400_naming_the_field(declared, payload, errors):
    response = as_expert(declared).put(review_url(declared), body() | payload, format="json", **EN)
    assert response.status_code == 400
    assert errors_of(response) == errors
    assert not Review.objects.exists()


def test_the_answer_read_may_be_sent_back(declared):
    client = as_expert(declared)
    read = client.put(review_url(declared), body(), format="json").json()
    again = client.put(review_url(declared), read | {"submit": True}, format="json")
    assert again.status_code == 200 and again.json()["status"] == "submitted"


def test_a_second_submission_is_409_locked(declared):
    client = as_expert(declared)
    client.put(review_url(declared), body(submit=True), format="json")
    response = client.put(
        review_url(declared), body(submit=True, scores=SCORES | {"budget": 1}), format="json"
    )
    assert response.status_code == 409 and errors_of(response) == {None: "locked"}
    assert Review.objects.get().total == Decimal("78.00")


def test_a_stale_version_is_409(declared):
    client = as_expert(declared)
    client.put(review_url(declared), body(), format="json")
    client.put(review_url(declared), body(version=1, comment="第二次"), format="json")
    response = client.put(review_url(declared), body(version=1, comment="旧的"), format="json")
    assert response.status_code == 409 and errors_of(response) == {"version": "stale"}
    assert Review.objects.get().comment == "第二次"


def test_the_application_is_reviewed_after_the_last_submission_through_the_api(application, declared):
    second = assign(application, make_expert("CQ"), AssignmentStatus.DECLARED)
    as_expert(declared).put(review_url(declared), body(submit=True), format="json")
    as_expert(second).put(review_url(second), body(submit=True), format="json")
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.REVIEWED


def test_an_expert_reads_only_their_own_review(application, declared):
    other = assign(application, make_expert("CQ"), AssignmentStatus.DECLARED)
    save(other, submit=True, points=DEFAULT_POINTS | {"innovation": Decimal("3.25")}, comment="乙专家的评价")

    mine = as_expert(declared).get(review_url(declared))
    theirs = as_expert(declared).get(review_url(other))

    assert mine.status_code == 200 and mine.json()["status"] == "not_started"
    assert "乙专家" not in mine.content.decode() and "3.25" not in mine.content.decode()
    assert theirs.status_code == 404
    assert Review.objects.get().status == ReviewStatus.SUBMITTED
