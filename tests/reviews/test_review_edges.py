"""The review's edges found in a read of the whole change: a conflict recorded while the solver
runs, a task delivered twice, a reopen after the review is over or whose reason would reach
the team, a declined expert who was the last one awaited, and hostile ids and text on the
pages and the API (each gets a clear answer, never a 500)."""

import pytest
from django.utils import translation

from applications.models import Application
from portal.audit.models import AuditEvent
from reviews import assignment as solver
from reviews.models import Assignment, AssignmentRun, AssignmentStatus, Review, ReviewStatus
from reviews.services.assignments import AssignmentError, assignment_remove, assignment_run_execute
from reviews.services.conflicts import conflict_record
from reviews.services.reviewing import ReviewError, assignment_declare, review_reopen
from tests.reviews.factories import make_accepted_application, make_call_with_rubric, make_expert, make_staff
from tests.reviews.test_assignment_service import pool, small_call
from tests.reviews.test_reviewing import assign, save

pytestmark = pytest.mark.django_db


def queued_run(call, staff) -> AssignmentRun:
    return AssignmentRun.objects.create(
        call=call, seed=1, experts_per_application=3, min_per_province=1, created_by=staff
    )


def test_a_conflict_recorded_while_the_solver_runs_fails_the_run_and_saves_nothing(monkeypatch):
    call = small_call()
    application = make_accepted_application(call)
    pool()
    staff = make_staff()
    real_solve = solver.solve

    def meanwhile(problem, progress=None):
        result = real_solve(problem, progress)
        _paper, expert_id = result.pairs[0]
        expert = Assignment._meta.get_field("reviewer").related_model.objects.get(pk=expert_id)
        conflict_record(application=application, reviewer=expert, source="staff", reason="师生关系", by=staff)
        return result

    monkeypatch.setattr(solver, "solve", meanwhile)
    with translation.override("en"):
        run = assignment_run_execute(run_id=queued_run(call, staff).pk)

    assert run.status == AssignmentRun.Status.FAILED and "changed" in run.error
    assert not Assignment.objects.exists()


def test_a_run_finished_by_another_delivery_of_the_task_is_left_as_it_is(monkeypatch):
    call = small_call()
    make_accepted_application(call)
    pool()
    run = queued_run(call, make_staff())
    real_solve = solver.solve

    def the_other_delivery_finishes_first(problem, progress=None):
        AssignmentRun.objects.filter(pk=run.pk).update(status=AssignmentRun.Status.DONE, assigned=3)
        return real_solve(problem, progress)

    monkeypatch.setattr(solver, "solve", the_other_delivery_finishes_first)
    again = assignment_run_execute(run_id=run.pk)

    assert (again.status, again.assigned) == (AssignmentRun.Status.DONE, 3)
    assert not Assignment.objects.exists()


def test_the_reason_of_a_reopen_stays_with_the_expert_and_staff():
    call = make_call_with_rubric(reviewers_per_application=3)
    application = make_accepted_application(call, status="reviewed")
    assignment = assign(application, make_expert("SC"), AssignmentStatus.DECLARED)
    review = Review.objects.create(assignment=assignment, status=ReviewStatus.SUBMITTED, total=80)

    review_reopen(review=review, by=make_staff("SC"), reason="专家王某评分有误")

    moved = AuditEvent.objects.get(action="application.review_reopen")
    assert moved.reason == ""
    assert AuditEvent.objects.get(action="review.reopen").reason == "专家王某评分有误"
    assert Application.objects.get(pk=application.pk).status == "under_review"


def test_after_the_review_is_over_reviews_are_not_reopened_nor_experts_removed():
    call = make_call_with_rubric()
    application = make_accepted_application(call, status="shortlisted")
    submitted = assign(application, make_expert("SC"), AssignmentStatus.DECLARED)
    Review.objects.create(assignment=submitted, status=ReviewStatus.SUBMITTED, total=80)
    other = assign(application, make_expert("CQ"))

    with translation.override("en"):
        with pytest.raises(ReviewError) as reopen:
            review_reopen(review=submitted.review, by=make_staff(), reason="复核")
        with pytest.raises(AssignmentError) as remove:
            assignment_remove(assignment=other, by=make_staff(), reason="调整")

    assert reopen.value.code == "state" and "over" in reopen.value.message
    assert remove.value.code == "state"
    assert Review.objects.get(pk=submitted.review.pk).status == ReviewStatus.SUBMITTED
    assert Assignment.objects.filter(pk=other.pk).exists()


def test_the_last_awaited_expert_declaring_a_conflict_finishes_the_review():
    call = make_call_with_rubric(reviewers_per_application=2, min_reviewers_per_province=1)
    application = make_accepted_application(call, status="under_review")
    others = [assign(application, make_expert(p), AssignmentStatus.DECLARED) for p in ("SC", "CQ")]
    last = assign(application, make_expert("SC"))
    for assignment in others:
        save(assignment, submit=True)
    assert Application.objects.get(pk=application.pk).status == "under_review"

    assignment_declare(assignment=last, by=last.reviewer.user, no_conflict=False, conflict_reason="合作者")

    assert Application.objects.get(pk=application.pk).status == "reviewed"


def test_hostile_ids_and_text_get_an_answer_not_a_server_error(client, api_client):
    call = make_call_with_rubric()
    application = make_accepted_application(call, status="under_review")
    staff = make_staff()
    client.force_login(staff)
    panel = f"/review/applications/{application.pk}/panel/"
    for data in (
        {"action": "conflict_remove", "conflict": "abc"},
        {"action": "avoid_confirm", "reviewer": "²"},
    ):
        assert client.post(panel, data).status_code == 302
    assert client.get("/review/experts/?q=a%00b").status_code == 200
    assert client.post("/review/experts/", {"expert": "9" * 30, "action": "deactivate"}).status_code == 404

    api_client.force_authenticate(staff)
    too_big = api_client.get("/api/v1/assignments/?call=" + "9" * 26)
    assert too_big.status_code == 400 and too_big.json()["errors"][0]["field"] == "call"

    expert = make_expert("SC")
    assignment = assign(application, expert, AssignmentStatus.DECLARED)
    client.force_login(expert.user)
    answer = client.post(f"/review/my/{assignment.pk}/review/", {"version": "²", "action": "save"})
    assert answer.status_code in (200, 302, 400)


def test_a_reason_with_a_nul_character_is_refused_before_it_reaches_the_database():
    application = make_accepted_application(make_call_with_rubric(), status="under_review")
    assignment = assign(application, make_expert("SC"))

    with translation.override("en"), pytest.raises(AssignmentError) as refused:
        assignment_remove(assignment=assignment, by=make_staff(), reason="调整\x00")

    assert refused.value.field == "reason" and "control characters" in refused.value.message
    assert Assignment.objects.filter(pk=assignment.pk).exists()
