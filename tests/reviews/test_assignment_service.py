"""The assignment service end to end on small calls: a run through the (eager) task draws full
panels under the province rule, reports shortfalls in words, saves nothing on a dry run or
a broken result, replays a seed, fills only the gaps; changes by hand keep the same rules."""

from collections import Counter
from typing import Any

import pytest
from django.utils import translation

from applications.models import ApplicationStatus
from portal.audit.models import AuditEvent
from portal.jobs.models import Job, JobStatus
from reviews import assignment as solver
from reviews.models import Assignment, AssignmentRun, AssignmentStatus, Review
from reviews.models.reviews import ReviewStatus
from reviews.selectors.assignments import shortfall_summary, shortfall_text
from reviews.services.assignments import (
    AssignmentError,
    assignment_add,
    assignment_remove,
    assignment_run_start,
)
from reviews.services.conflicts import conflict_record
from reviews.tasks import assignment_run_task
from tests.factories import UserFactory
from tests.reviews.factories import make_accepted_application, make_call_with_rubric, make_expert, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_now(django_capture_on_commit_callbacks):
    """Start a run and let its task run at commit (Celery is eager in tests)."""

    def start(call, by, **kwargs: Any) -> AssignmentRun:
        with django_capture_on_commit_callbacks(execute=True):
            run = assignment_run_start(call=call, by=by, **kwargs)
        run.refresh_from_db()
        return run

    return start


def small_call(k: int = 3, m: int = 1):
    return make_call_with_rubric(reviewers_per_application=k, min_reviewers_per_province=m)


def pool(fields: tuple[str, ...] = ("ai",), per_province: int = 4, **extra: Any) -> list:
    return [make_expert(province, fields, **extra) for province in ("SC", "CQ") for _ in range(per_province)]


def pairs_of(call) -> set[tuple[int, int]]:
    return set(Assignment.objects.filter(application__call=call).values_list("application_id", "reviewer_id"))


def panel_provinces(application) -> Counter:
    return Counter(
        Assignment.objects.filter(application=application, status__in=["assigned", "declared"]).values_list(
            "reviewer__province", flat=True
        )
    )


def test_every_accepted_application_gets_k_experts_with_m_of_each_province(run_now):
    call = small_call(k=3, m=1)
    applications = [make_accepted_application(call, province=p) for p in ("SC", "CQ", "SC", "CQ")]
    pool(per_province=4)
    staff = make_staff("CQ")

    run = run_now(call, staff)

    assert run.status == AssignmentRun.Status.DONE
    assert (run.assigned, run.applications, run.shortfalls) == (12, 4, [])
    assert run.optimal and run.objective is not None and run.finished_at is not None
    for application in applications:
        provinces = panel_provinces(application)
        assert sum(provinces.values()) == 3
        assert provinces["SC"] >= 1 and provinces["CQ"] >= 1
        application.refresh_from_db()
        assert application.status == ApplicationStatus.UNDER_REVIEW
    assert set(Assignment.objects.values_list("source", "run_id", "created_by_id")) == {
        ("solver", run.pk, staff.pk)
    }
    job = Job.objects.get(pk=run.job_id)
    assert (job.status, job.kind, job.done, job.total) == (JobStatus.DONE, "review.assignment", 100, 100)
    event = AuditEvent.objects.get(action="assignment.run")
    assert (event.actor, event.data["pairs"], event.data["review_started"]) == (staff, 12, 4)
    assert AuditEvent.objects.filter(action="application.review_start").count() == 4


def test_experts_of_the_applications_field_are_drawn_first(run_now):
    call = small_call(k=3, m=1)
    application = make_accepted_application(call, field="agri")
    in_field = pool(("agri",), per_province=2)
    pool(("ai",), per_province=3)

    run_now(call, make_staff())

    drawn = set(Assignment.objects.filter(application=application).values_list("reviewer_id", flat=True))
    assert len(drawn) == 3 and drawn <= {expert.pk for expert in in_field}


def test_a_run_never_assigns_an_expert_in_conflict_or_over_the_load(run_now):
    call = small_call(k=3, m=1)
    first = make_accepted_application(call, province="CQ")
    make_accepted_application(call, province="SC")
    # An expert of the lead unit of the first: a conflict found automatically.
    colleague = make_expert("CQ", organization=first.lead_unit)
    busy = make_expert("SC", max_load=1)
    pool(per_province=2)

    run = run_now(call, make_staff())

    assert run.status == "done" and run.shortfalls == []
    assert (first.pk, colleague.pk) not in pairs_of(call)
    assert Assignment.objects.filter(reviewer=busy).count() <= 1


def test_a_shortfall_is_reported_with_the_province_and_field_in_words(run_now):
    call = small_call(k=3, m=1)
    application = make_accepted_application(call, field="agri", province="CQ", title="稻田智慧灌溉")
    for _ in range(3):
        make_expert("CQ", ("agri",))

    run = run_now(call, make_staff())

    assert run.status == "done"
    # The slot kept for Sichuan stays empty: two Chongqing experts are drawn, not three.
    assert panel_provinces(application) == Counter({"CQ": 2})
    [shortfall] = run.shortfalls
    assert (shortfall["application"], shortfall["province"], shortfall["missing"], shortfall["reason"]) == (
        application.pk,
        "SC",
        1,
        "province",
    )
    assert shortfall["title"] == "稻田智慧灌溉" and shortfall["field"] == "agri"
    with translation.override("en"):
        text = shortfall_text(shortfall)
        summary = shortfall_summary(run.shortfalls)
    assert "not enough experts of Sichuan in Modern agriculture without conflict" in text
    assert summary.startswith("1 application is short: ")
    assert application.reference in summary


def test_a_shortfall_when_the_experts_loads_are_used_up_says_so(run_now):
    call = small_call(k=3, m=1)
    make_accepted_application(call, province="SC")
    make_accepted_application(call, province="SC")
    make_expert("SC", max_load=1)
    for _ in range(4):
        make_expert("CQ")

    run = run_now(call, make_staff())

    assert [(s["province"], s["reason"]) for s in run.shortfalls] == [("SC", "capacity")]
    with translation.override("en"):
        assert "have no load left" in shortfall_text(run.shortfalls[0])


def test_a_dry_run_reports_but_saves_nothing(run_now):
    call = small_call()
    application = make_accepted_application(call)
    pool()

    run = run_now(call, make_staff(), dry_run=True)

    assert run.status == "done" and run.dry_run and run.assigned == 3
    assert not Assignment.objects.exists()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACCEPTED
    assert AuditEvent.objects.get(action="assignment.run").data["dry_run"] is True


def test_replaying_a_seed_on_the_same_data_draws_the_same_experts(run_now):
    call = small_call(k=3, m=1)
    applications = [make_accepted_application(call, province=p) for p in ("SC", "CQ", "SC")]
    # Many equal experts: the seed alone decides who is drawn.
    pool(per_province=8)
    staff = make_staff()

    first = run_now(call, staff, seed=2024)
    drawn = pairs_of(call)
    Assignment.objects.all().delete()
    for application in applications:
        type(application).objects.filter(pk=application.pk).update(status=ApplicationStatus.ACCEPTED)
    second = run_now(call, staff, seed=2024)

    assert first.seed == second.seed == 2024
    assert pairs_of(call) == drawn
    assert first.objective == second.objective


def test_a_new_run_only_fills_the_gaps_and_never_draws_a_declined_expert(run_now):
    call = small_call(k=3, m=1)
    application = make_accepted_application(call)
    experts = pool(per_province=2)
    staff = make_staff()
    run_now(call, staff)
    kept = list(Assignment.objects.filter(application=application).order_by("pk"))
    declined = kept[0]
    declined.status = AssignmentStatus.DECLINED
    declined.save(update_fields=["status"])

    second = run_now(call, staff)

    assert second.status == "done" and second.assigned == 1
    live = Assignment.objects.filter(application=application, status__in=["assigned", "declared"])
    assert live.count() == 3
    assert set(kept[1:]) <= set(live)
    assert not live.filter(reviewer=declined.reviewer).exists()
    assert Assignment.objects.filter(application=application).count() == 4
    assert {a.reviewer_id for a in live} <= {e.pk for e in experts}


def test_a_full_call_runs_again_without_drawing_anyone(run_now):
    call = small_call()
    make_accepted_application(call)
    pool()
    staff = make_staff()
    run_now(call, staff)

    again = run_now(call, staff)

    assert (again.status, again.assigned, again.shortfalls) == ("done", 0, [])
    assert Assignment.objects.count() == 3


def test_settings_whose_province_minimum_cannot_fit_are_refused():
    call = small_call(k=3, m=2)
    with pytest.raises(AssignmentError) as refused, translation.override("en"):
        assignment_run_start(call=call, by=make_staff())
    assert refused.value.code == "settings"
    assert "at least 2 experts of each of the two provinces" in refused.value.message
    assert not AssignmentRun.objects.exists()


@pytest.mark.parametrize("role", ["applicant", "reviewer", "unit_admin"])
def test_only_review_staff_start_a_run(role):
    with pytest.raises(AssignmentError) as refused:
        assignment_run_start(call=small_call(), by=UserFactory(role=role))
    assert refused.value.code == "not_allowed"
    assert not AssignmentRun.objects.exists() and not Job.objects.exists()


def test_a_seed_out_of_range_is_refused():
    with pytest.raises(AssignmentError) as refused:
        assignment_run_start(call=small_call(), by=make_staff(), seed=2**63)
    assert (refused.value.code, refused.value.field) == ("seed", "seed")


def test_a_result_that_breaks_a_rule_fails_the_run_and_saves_nothing(run_now, monkeypatch):
    call = small_call()
    application = make_accepted_application(call)
    colleague = make_expert("CQ", organization=application.lead_unit)
    pool()

    def cheat(problem, progress=None):
        return solver.Result(
            pairs=((application.pk, colleague.pk),), objective=0, optimal=True, shortfalls=()
        )

    monkeypatch.setattr(solver, "solve", cheat)
    # The error is written in the language of the run (in a worker, the portal's: Chinese).
    with translation.override("en"):
        run = run_now(call, make_staff())

    assert run.status == "failed" and "broke" in run.error
    assert not Assignment.objects.exists()
    assert Job.objects.get(pk=run.job_id).status == JobStatus.FAILED
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACCEPTED


def test_a_crash_of_the_solver_fails_the_run_with_a_readable_error(run_now, monkeypatch):
    call = small_call()
    make_accepted_application(call)
    pool()

    def crash(problem, progress=None):
        raise RuntimeError("the flow network is broken")

    monkeypatch.setattr(solver, "solve", crash)
    with translation.override("en"):
        run = run_now(call, make_staff())

    assert run.status == "failed"
    assert "the flow network is broken" in run.error and "Nothing was saved" in run.error
    job = Job.objects.get(pk=run.job_id)
    assert job.status == JobStatus.FAILED and job.error == run.error
    assert not Assignment.objects.exists()


def test_panels_changed_while_the_solver_ran_fail_the_run(run_now, monkeypatch):
    call = small_call()
    application = make_accepted_application(call)
    experts = pool()
    real_solve = solver.solve

    def meanwhile(problem, progress=None):
        Assignment.objects.create(application=application, reviewer=experts[0], source="manual")
        return real_solve(problem, progress)

    monkeypatch.setattr(solver, "solve", meanwhile)
    with translation.override("en"):
        run = run_now(call, make_staff())

    assert run.status == "failed" and "changed while the solver ran" in run.error
    assert Assignment.objects.count() == 1


def test_the_task_run_twice_changes_nothing_the_second_time(run_now):
    call = small_call()
    make_accepted_application(call)
    pool()
    run = run_now(call, make_staff())

    assert assignment_run_task.delay(run.job_id).get() == "done"
    assert Assignment.objects.count() == 3
    assert AuditEvent.objects.filter(action="assignment.run").count() == 1


# --- By hand --------------------------------------------------------------------------------


def test_staff_add_an_expert_by_hand_and_the_review_starts():
    call = small_call()
    application = make_accepted_application(call)
    expert = make_expert("SC")
    staff = make_staff("SC")

    assignment = assignment_add(application=application, reviewer=expert, by=staff, reason="专业对口")

    assert (assignment.source, assignment.created_by, assignment.status) == ("manual", staff, "assigned")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW
    event = AuditEvent.objects.get(action="assignment.add")
    assert (event.actor, event.reason, event.data["reviewer"]) == (staff, "专业对口", expert.pk)


def test_adding_an_expert_in_conflict_is_refused_naming_the_conflict_and_writes_nothing():
    call = small_call()
    application = make_accepted_application(call)
    expert = make_expert("SC")
    staff = make_staff()
    conflict_record(application=application, reviewer=expert, source="staff", reason="师生关系", by=staff)

    with pytest.raises(AssignmentError) as refused:
        assignment_add(application=application, reviewer=expert, by=staff)

    assert (refused.value.code, refused.value.field) == ("conflict", "reviewer")
    assert "师生关系" in refused.value.message and expert.user.full_name in refused.value.message
    assert not Assignment.objects.exists()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.ACCEPTED
    assert not AuditEvent.objects.filter(action="assignment.add").exists()


def test_adding_an_expert_of_the_lead_unit_is_refused():
    application = make_accepted_application(small_call())
    colleague = make_expert("CQ", organization=application.lead_unit)
    with pytest.raises(AssignmentError) as refused:
        assignment_add(application=application, reviewer=colleague, by=make_staff())
    assert refused.value.code == "conflict"


def test_adding_an_expert_over_their_load_is_refused():
    call = small_call()
    first, second = make_accepted_application(call), make_accepted_application(call)
    expert = make_expert("SC", max_load=1)
    staff = make_staff()
    assignment_add(application=first, reviewer=expert, by=staff)

    with pytest.raises(AssignmentError) as refused, translation.override("en"):
        assignment_add(application=second, reviewer=expert, by=staff)

    assert refused.value.code == "load"
    assert "the most allowed (1)" in refused.value.message
    assert Assignment.objects.count() == 1


def test_a_declined_assignment_frees_the_load_but_the_pair_stays_refused():
    call = small_call()
    first, second = make_accepted_application(call), make_accepted_application(call)
    expert = make_expert("SC", max_load=1)
    staff = make_staff()
    declined = assignment_add(application=first, reviewer=expert, by=staff)
    Assignment.objects.filter(pk=declined.pk).update(status=AssignmentStatus.DECLINED)

    with pytest.raises(AssignmentError) as refused:
        assignment_add(application=first, reviewer=expert, by=staff)
    assert refused.value.code == "declined"
    assert assignment_add(application=second, reviewer=expert, by=staff).pk


def test_adding_the_same_expert_twice_is_refused():
    application = make_accepted_application(small_call())
    expert = make_expert("SC")
    staff = make_staff()
    assignment_add(application=application, reviewer=expert, by=staff)
    with pytest.raises(AssignmentError) as refused:
        assignment_add(application=application, reviewer=expert, by=staff)
    assert refused.value.code == "duplicate"


def test_adding_to_an_application_not_in_the_review_or_an_inactive_expert_is_refused():
    call = small_call()
    endorsed = make_accepted_application(call, status=ApplicationStatus.ENDORSED)
    staff = make_staff()
    with pytest.raises(AssignmentError) as refused:
        assignment_add(application=endorsed, reviewer=make_expert("SC"), by=staff)
    assert (refused.value.code, refused.value.field) == ("state", "application")
    with pytest.raises(AssignmentError) as refused:
        assignment_add(
            application=make_accepted_application(call), reviewer=make_expert(active=False), by=staff
        )
    assert refused.value.code == "inactive"


def test_an_expert_may_not_add_themselves():
    application = make_accepted_application(small_call())
    expert = make_expert("SC")
    with pytest.raises(AssignmentError) as refused:
        assignment_add(application=application, reviewer=expert, by=expert.user)
    assert refused.value.code == "not_allowed"
    assert not Assignment.objects.exists()


def test_removing_an_expert_deletes_the_draft_review_and_audits_the_pair():
    application = make_accepted_application(small_call())
    expert = make_expert("SC")
    staff = make_staff()
    assignment = assignment_add(application=application, reviewer=expert, by=staff)
    Review.objects.create(assignment=assignment, status=ReviewStatus.DRAFT)

    assignment_remove(assignment=assignment, by=staff, reason="出国")

    assert not Assignment.objects.exists() and not Review.objects.exists()
    event = AuditEvent.objects.get(action="assignment.remove")
    assert (event.reason, event.data["application"], event.data["reviewer"]) == (
        "出国",
        application.pk,
        expert.pk,
    )


def test_removing_needs_a_reason():
    application = make_accepted_application(small_call())
    staff = make_staff()
    assignment = assignment_add(application=application, reviewer=make_expert("SC"), by=staff)
    with pytest.raises(AssignmentError) as refused:
        assignment_remove(assignment=assignment, by=staff, reason="  ")
    assert (refused.value.code, refused.value.field) == ("reason", "reason")
    assert Assignment.objects.exists()


def test_removing_after_the_review_is_submitted_is_refused():
    application = make_accepted_application(small_call())
    staff = make_staff()
    assignment = assignment_add(application=application, reviewer=make_expert("SC"), by=staff)
    Review.objects.create(assignment=assignment, status=ReviewStatus.SUBMITTED)

    with pytest.raises(AssignmentError) as refused, translation.override("en"):
        assignment_remove(assignment=assignment, by=staff, reason="不需要了")

    assert refused.value.code == "submitted"
    assert "Reopen the review or keep it" in refused.value.message
    assert Assignment.objects.filter(pk=assignment.pk).exists()
    assert not AuditEvent.objects.filter(action="assignment.remove").exists()


def test_a_command_runs_the_assignment_in_process_as_the_portal():
    call = small_call()
    application = make_accepted_application(call)
    pool()

    # As seed_demo does: no user, and the panels are needed right after.
    run = assignment_run_start(call=call, by=None, seed=1, wait=True)

    assert (run.status, run.assigned, run.created_by) == ("done", 3, None)
    assert Assignment.objects.filter(application=application).count() == 3
    assert Job.objects.get(pk=run.job_id).status == JobStatus.DONE


def test_a_database_error_in_process_fails_the_run_instead_of_raising(monkeypatch):
    from django.db import OperationalError

    call = small_call()
    make_accepted_application(call)
    pool()

    def away(problem, progress=None):
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(solver, "solve", away)
    run = assignment_run_start(call=call, by=make_staff(), wait=True)

    assert run.status == "failed" and "server closed the connection" in run.error


def test_an_expert_added_to_a_reviewed_application_puts_it_under_review_again():
    from applications.models import Application

    call = make_call_with_rubric()
    application = make_accepted_application(call, status="reviewed")
    expert = make_expert("SC")
    staff = make_staff("CQ")

    assignment_add(application=application, reviewer=expert, by=staff)

    assert Application.objects.get(pk=application.pk).status == "under_review"


def test_removing_the_last_expert_who_had_not_submitted_finishes_the_review():
    from applications.models import Application
    from reviews.models import Assignment, AssignmentStatus, Review, ReviewStatus

    call = make_call_with_rubric(reviewers_per_application=3, min_reviewers_per_province=1)
    application = make_accepted_application(call, status="under_review")
    experts = [make_expert(p) for p in ("SC", "CQ", "SC", "CQ")]
    assignments = [
        Assignment.objects.create(
            application=application, reviewer=e, source="manual", status=AssignmentStatus.DECLARED
        )
        for e in experts
    ]
    for assignment in assignments[:3]:
        Review.objects.create(assignment=assignment, status=ReviewStatus.SUBMITTED, total=80)

    assignment_remove(assignment=assignments[3], by=make_staff("SC"), reason="不再参加")

    assert Application.objects.get(pk=application.pk).status == "reviewed"
