"""The expert's writes (reviews/services/reviewing.py): the declaration, the review saved as a
draft and submitted, what bad input gets back (nothing saved), the application moving to
reviewed after its last review, and staff reopening a review with a reason."""

from decimal import Decimal

import pytest
from django.utils import timezone, translation

from applications.models import Application, ApplicationStatus
from portal.audit.models import AuditEvent
from portal.mail.models import OutgoingEmail
from reviews.models import Assignment, AssignmentStatus, Conflict, Review, ReviewStatus, Score
from reviews.services.reviewing import (
    DECLARATION_CODE,
    ReviewError,
    ReviewInvalid,
    assignment_declare,
    review_reopen,
    review_save,
)
from tests.factories import UserFactory
from tests.reviews.factories import (
    DEFAULT_POINTS,
    make_accepted_application,
    make_call_with_rubric,
    make_expert,
    make_staff,
)

pytestmark = pytest.mark.django_db

# DEFAULT_POINTS on the default rubric (max points = weight): 16+15+12+12+15+8.
DEFAULT_TOTAL = Decimal("78.00")


# --- Helpers (shared with the pages' and the API's tests) --------------------------------------


def assign(application, expert, status: str = AssignmentStatus.ASSIGNED) -> Assignment:
    return Assignment.objects.create(
        application=application,
        reviewer=expert,
        source="manual",
        status=status,
        declared_at=None if status == AssignmentStatus.ASSIGNED else timezone.now(),
    )


def save(assignment, *, submit: bool = False, points=None, **extra) -> Review:
    values = {
        "points": DEFAULT_POINTS if points is None else points,
        "comments": {},
        "comment": "扎实的工作。",
        "recommendation": "fund",
        "submit": submit,
    } | extra
    return review_save(assignment=assignment, by=assignment.reviewer.user, **values)


def fields_of(invalid: ReviewInvalid) -> dict[str, str]:
    return {error.field: error.code for error in invalid.errors}


@pytest.fixture
def call():
    # Two experts per application make the "last review" quick to reach.
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


# --- The declaration ---------------------------------------------------------------------------


def test_declaring_no_conflict_opens_the_assignment_once_and_records_the_declaration(assignment):
    by = assignment.reviewer.user

    first = assignment_declare(assignment=assignment, by=by, no_conflict=True)
    again = assignment_declare(assignment=Assignment.objects.get(pk=assignment.pk), by=by, no_conflict=True)

    stored = Assignment.objects.get(pk=assignment.pk)
    assert stored.status == AssignmentStatus.DECLARED and stored.declared_at is not None
    assert first.status == again.status == AssignmentStatus.DECLARED
    [event] = AuditEvent.objects.filter(action="assignment.declare")
    assert (event.actor, event.from_state, event.to_state) == (by, "assigned", "declared")
    assert event.data["declaration"] == DECLARATION_CODE and event.data["no_conflict"] is True
    assert not Conflict.objects.exists()


def test_declaring_a_conflict_records_it_and_declines_the_assignment(assignment):
    by = assignment.reviewer.user

    assignment_declare(
        assignment=assignment, by=by, no_conflict=False, conflict_reason="  项目负责人是我的学生  "
    )

    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.DECLINED
    conflict = Conflict.objects.get()
    assert (conflict.application, conflict.reviewer, conflict.source) == (
        assignment.application,
        assignment.reviewer,
        "declared",
    )
    assert conflict.reason == "项目负责人是我的学生"
    assert AuditEvent.objects.get(action="assignment.declare").reason == "项目负责人是我的学生"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_conflict_without_a_reason_is_refused_and_nothing_changes(assignment, reason):
    with pytest.raises(ReviewError) as refused:
        assignment_declare(
            assignment=assignment, by=assignment.reviewer.user, no_conflict=False, conflict_reason=reason
        )
    assert (refused.value.code, refused.value.field) == ("required", "conflict_reason")
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.ASSIGNED
    assert not Conflict.objects.exists()
    assert not AuditEvent.objects.filter(action="assignment.declare").exists()


def test_no_conflict_and_a_reason_at_once_is_refused(assignment):
    with pytest.raises(ReviewError) as refused:
        assignment_declare(
            assignment=assignment, by=assignment.reviewer.user, no_conflict=True, conflict_reason="我是合作者"
        )
    assert (refused.value.code, refused.value.field) == ("invalid", "conflict_reason")
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.ASSIGNED


def test_a_conflict_after_declaring_none_is_refused(assignment):
    by = assignment.reviewer.user
    assignment_declare(assignment=assignment, by=by, no_conflict=True)

    with pytest.raises(ReviewError) as refused:
        assignment_declare(
            assignment=Assignment.objects.get(pk=assignment.pk), by=by, no_conflict=False, conflict_reason="x"
        )
    assert refused.value.code == "already_declared"
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.DECLARED
    assert not Conflict.objects.exists()


@pytest.mark.parametrize("who", ["other_expert", "staff", "pi"])
def test_only_the_assigned_expert_may_declare(assignment, who):
    by = {
        "other_expert": lambda: make_expert("CQ").user,
        "staff": lambda: make_staff("CQ"),
        "pi": lambda: assignment.application.pi,
    }[who]()
    with pytest.raises(ReviewError) as refused:
        assignment_declare(assignment=assignment, by=by, no_conflict=True)
    assert refused.value.code == "not_yours"
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.ASSIGNED


def test_declaring_for_an_application_out_of_the_review_is_refused(assignment):
    Application.objects.filter(pk=assignment.application_id).update(status=ApplicationStatus.WITHDRAWN)
    assignment.application.refresh_from_db()
    with pytest.raises(ReviewError) as refused:
        assignment_declare(assignment=assignment, by=assignment.reviewer.user, no_conflict=True)
    assert refused.value.code == "closed"
    assert Assignment.objects.get(pk=assignment.pk).status == AssignmentStatus.ASSIGNED


# --- Saving and submitting ----------------------------------------------------------------------


def test_a_partial_draft_is_saved_then_the_submission_stores_the_weighted_total(declared):
    draft = save(declared, points={"innovation": "16.5", "budget": 8}, recommendation="", comment="")
    assert (draft.status, draft.version, draft.total, draft.submitted_at) == ("draft", 1, None, None)
    assert {s.criterion.code: s.points for s in draft.scores.all()} == {
        "innovation": Decimal("16.50"),
        "budget": Decimal("8.00"),
    }

    again = save(declared, points={"innovation": "17"}, version=1, recommendation="", comment="")
    assert again.version == 2
    assert list(Score.objects.filter(review=again).values_list("criterion__code", "points")) == [
        ("innovation", Decimal("17.00"))
    ]

    submitted = save(declared, submit=True, version=2)
    assert submitted.status == ReviewStatus.SUBMITTED and submitted.version == 3
    assert submitted.total == DEFAULT_TOTAL and submitted.submitted_at is not None
    assert list(
        AuditEvent.objects.filter(object_type="reviews.review")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == [
        "review.save",
        "review.save",
        "review.submit",
    ]


def test_a_comment_on_a_criterion_not_scored_yet_is_kept_on_a_draft(declared):
    draft = save(declared, points={}, comments={"feasibility": "路线清楚"}, recommendation="", comment="")
    [score] = draft.scores.all()
    assert (score.criterion.code, score.points, score.comment) == ("feasibility", None, "路线清楚")


def test_reviewing_before_the_declaration_is_refused(assignment):
    with pytest.raises(ReviewError) as refused:
        save(assignment, submit=True)
    assert refused.value.code == "not_declared"
    assert not Review.objects.exists()


def test_a_declined_assignment_cannot_be_reviewed(application, expert):
    declined = assign(application, expert, AssignmentStatus.DECLINED)
    with pytest.raises(ReviewError) as refused:
        save(declined)
    assert refused.value.code == "declined"
    assert not Review.objects.exists()


def test_another_expert_cannot_save_the_review(declared):
    with pytest.raises(ReviewError) as refused:
        review_save(
            assignment=declared,
            by=make_expert("CQ").user,
            points=DEFAULT_POINTS,
            comments={},
            comment="",
            recommendation="",
            submit=False,
        )
    assert refused.value.code == "not_yours"
    assert not Review.objects.exists()


BAD_POINTS = [
    # (criterion, value, code): innovation allows 0–20, budget 0–10.
    ("innovation", "21", "out_of_range"),
    ("innovation", 20.01, "out_of_range"),
    ("budget", -1, "out_of_range"),
    ("innovation", "abc", "not_a_number"),
    ("innovation", "12,5", "not_a_number"),
    ("innovation", "NaN", "not_a_number"),
    ("innovation", float("nan"), "not_a_number"),
    ("innovation", "Infinity", "not_a_number"),
    ("innovation", "-inf", "not_a_number"),
    ("innovation", True, "not_a_number"),
    ("innovation", [12], "not_a_number"),
    ("innovation", "12.345", "too_precise"),
]


@pytest.mark.parametrize(("code", "value", "error"), BAD_POINTS)
def test_bad_points_are_refused_naming_the_criterion_and_nothing_changes(declared, code, value, error):
    draft = save(declared, points={"feasibility": 10})
    with pytest.raises(ReviewInvalid) as refused:
        save(declared, points=DEFAULT_POINTS | {code: value}, version=draft.version)
    assert fields_of(refused.value) == {f"scores.{code}": error}
    stored = Review.objects.get()
    assert stored.version == draft.version
    assert list(stored.scores.values_list("criterion__code", "points")) == [("feasibility", Decimal("10.00"))]


def test_out_of_range_says_the_maximum(declared):
    with translation.override("en"), pytest.raises(ReviewInvalid) as refused:
        save(declared, points={"budget": "11"})
    assert [error.message for error in refused.value.errors] == ["Give between 0 and 10 points."]


def test_an_unknown_criterion_code_is_refused(declared):
    with pytest.raises(ReviewInvalid) as refused:
        save(declared, points=DEFAULT_POINTS | {"novelty": 5}, comments={"style": "好"})
    assert fields_of(refused.value) == {
        "scores.novelty": "unknown_criterion",
        "comments.style": "unknown_criterion",
    }
    assert not Review.objects.exists()


def test_a_submission_lists_every_missing_criterion_and_the_required_parts(declared):
    with pytest.raises(ReviewInvalid) as refused:
        save(declared, submit=True, points={"innovation": 16, "budget": None}, comment=" ", recommendation="")
    assert fields_of(refused.value) == {
        "scores.feasibility": "required",
        "scores.foundation": "required",
        "scores.cooperation": "required",
        "scores.results": "required",
        "scores.budget": "required",
        "comment": "required",
        "recommendation": "required",
    }
    assert not Review.objects.exists()


def test_an_unknown_recommendation_is_refused(declared):
    with pytest.raises(ReviewInvalid) as refused:
        save(declared, recommendation="maybe")
    assert fields_of(refused.value) == {"recommendation": "invalid_choice"}


def test_text_with_control_characters_or_too_long_is_refused(declared):
    with pytest.raises(ReviewInvalid) as refused:
        save(declared, comment="好\x00", comments={"budget": "长" * 2001})
    assert fields_of(refused.value) == {"comment": "control", "comments.budget": "max_length"}


def test_a_second_submission_is_refused_as_locked(declared):
    first = save(declared, submit=True)
    with pytest.raises(ReviewError) as refused:
        save(declared, submit=True, points=DEFAULT_POINTS | {"budget": 1})
    assert refused.value.code == "locked"
    with pytest.raises(ReviewError):
        save(declared, submit=False)
    stored = Review.objects.get()
    assert (stored.version, stored.total) == (first.version, DEFAULT_TOTAL)


def test_a_save_from_a_stale_version_is_refused_and_nothing_changes(declared):
    save(declared)
    save(declared, version=1, comment="第二版")
    with pytest.raises(ReviewError) as refused:
        save(declared, version=1, comment="旧页面")
    assert (refused.value.code, refused.value.field) == ("stale", "version")
    assert Review.objects.get().comment == "第二版"


def test_two_windows_starting_the_same_review_save_it_once(declared):
    save(declared, version=0, comment="第一个窗口")
    with pytest.raises(ReviewError) as refused:
        save(declared, version=0, comment="第二个窗口")
    assert refused.value.code == "stale"
    assert Review.objects.get().comment == "第一个窗口"


def test_no_review_once_the_application_left_the_review(declared):
    Application.objects.filter(pk=declared.application_id).update(status=ApplicationStatus.WITHDRAWN)
    with pytest.raises(ReviewError) as refused:
        save(declared)
    assert refused.value.code == "closed"


# --- The application moves on after its last review -------------------------------------------


def test_the_application_is_reviewed_after_the_last_live_review(application, declared):
    second = assign(application, make_expert("CQ"), AssignmentStatus.DECLARED)
    assign(application, make_expert("CQ"), AssignmentStatus.DECLINED)  # not live: does not count

    save(declared, submit=True)
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.UNDER_REVIEW

    save(second, submit=True)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REVIEWED
    event = AuditEvent.objects.get(action="application.review_finish")
    assert (event.actor, event.from_state, event.to_state) == (None, "under_review", "reviewed")


def test_the_application_waits_while_an_expert_has_not_declared(application, declared):
    assign(application, make_expert("CQ"))
    save(declared, submit=True)
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.UNDER_REVIEW


def test_the_application_waits_for_the_calls_number_of_experts(application, declared):
    # One live assignment, all submitted, but the call wants two experts.
    save(declared, submit=True)
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.UNDER_REVIEW


# --- Reopening ---------------------------------------------------------------------------------


def test_staff_reopen_a_review_with_a_reason_then_the_expert_submits_again(
    application, declared, django_capture_on_commit_callbacks
):
    second = assign(application, make_expert("CQ"), AssignmentStatus.DECLARED)
    save(declared, submit=True)
    submitted = save(second, submit=True)
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.REVIEWED
    staff = make_staff("SC")
    version = submitted.version

    with django_capture_on_commit_callbacks(execute=True):
        reopened = review_reopen(review=submitted, by=staff, reason="  创新性评分与评语不一致  ")

    assert (reopened.status, reopened.version, reopened.total, reopened.submitted_at) == (
        "draft",
        version + 1,
        None,
        None,
    )
    event = AuditEvent.objects.get(action="review.reopen")
    assert (event.actor, event.reason, event.from_state, event.to_state) == (
        staff,
        "创新性评分与评语不一致",
        "submitted",
        "draft",
    )
    assert event.data["previous_total"] == "78.00"
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.UNDER_REVIEW
    [email] = OutgoingEmail.objects.filter(kind="review_reopened")
    assert email.to == second.reviewer.user.email
    assert "创新性评分与评语不一致" in email.body and application.reference in email.subject

    again = save(second, submit=True, points=DEFAULT_POINTS | {"innovation": 19}, version=reopened.version)
    assert again.total == DEFAULT_TOTAL + 3
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.REVIEWED


@pytest.mark.parametrize("who", ["expert", "applicant", "unit_admin"])
def test_only_review_staff_reopen_a_review(declared, who):
    review = save(declared, submit=True)
    by = {
        "expert": declared.reviewer.user,
        "applicant": declared.application.pi,
        "unit_admin": UserFactory(role="unit_admin", organization=declared.application.lead_unit),
    }[who]
    with pytest.raises(ReviewError) as refused:
        review_reopen(review=review, by=by, reason="请修改")
    assert refused.value.code == "not_allowed"
    assert Review.objects.get().status == ReviewStatus.SUBMITTED


def test_reopening_needs_a_reason_and_a_submitted_review(declared):
    staff = make_staff("CQ")
    draft = save(declared)
    with pytest.raises(ReviewError) as refused:
        review_reopen(review=draft, by=staff, reason="请修改")
    assert refused.value.code == "not_submitted"

    submitted = save(declared, submit=True, version=draft.version)
    with pytest.raises(ReviewError) as refused:
        review_reopen(review=submitted, by=staff, reason="  ")
    assert (refused.value.code, refused.value.field) == ("required", "reason")
    assert Review.objects.get().status == ReviewStatus.SUBMITTED
    assert not AuditEvent.objects.filter(action="review.reopen").exists()
