"""The staff pages of the assignment: the review's home, a call's assignment (run it), one run
with its progress and result, an application's panel (remove, add by hand, conflicts) and
the progress of the review; who may open them; their query counts."""

import pytest
from django.urls import reverse

from applications.models import ApplicationStatus
from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from portal.jobs.services import job_create
from reviews.models import Assignment, AssignmentRun, Conflict, Review
from reviews.models.reviews import ReviewStatus
from reviews.services.assignments import assignment_add
from tests.factories import UserFactory
from tests.reviews.factories import make_accepted_application, make_call_with_rubric, make_expert, make_staff

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def small_call(k: int = 3, m: int = 1):
    return make_call_with_rubric(reviewers_per_application=k, min_reviewers_per_province=m)


def pool(per_province: int = 3, fields: tuple[str, ...] = ("ai",)) -> list:
    return [make_expert(p, fields) for p in ("SC", "CQ") for _ in range(per_province)]


def actor(name: str):
    if name == "anonymous":
        return None
    if name == "expert":
        return make_expert().user
    if name in ("staff_sc", "staff_cq"):
        return make_staff(name[-2:].upper())
    return UserFactory(
        role={"applicant": Role.APPLICANT, "unit_admin": Role.UNIT_ADMIN, "admin": Role.ADMIN}[name]
    )


def queued_run(call, staff) -> AssignmentRun:
    """A run whose task has not run yet (as while a worker is at it)."""
    run = AssignmentRun.objects.create(
        call=call, seed=77, experts_per_application=3, min_per_province=1, created_by=staff
    )
    run.job = job_create(
        kind="review.assignment", task="reviews.tasks.assignment_run_task", obj=run, total=100
    )
    run.save(update_fields=["job"])
    return run


# --- Who may open the pages -----------------------------------------------------------------

STAFF = ["staff_sc", "staff_cq", "admin"]
OTHERS = ["applicant", "expert", "unit_admin"]


@pytest.mark.parametrize("who", ["anonymous", *OTHERS, *STAFF])
def test_the_call_pages_are_for_review_staff_only(client, who):
    call = small_call()
    application = make_accepted_application(call)
    run = queued_run(call, make_staff())
    user = actor(who)
    if user is not None:
        client.force_login(user)
    pages = [
        reverse("reviews:home"),
        reverse("reviews:assignment_overview", args=[call.pk]),
        reverse("reviews:assignment_run_detail", args=[call.pk, run.pk]),
        reverse("reviews:review_progress", args=[call.pk]),
    ]
    panel = reverse("reviews:panel_detail", args=[application.pk])

    for url in pages:
        response = client.get(url)
        if who == "anonymous":
            assert response.status_code == 302 and "/login" in response["Location"], url
        else:
            assert response.status_code == (200 if who in STAFF else 403), url
    response = client.get(panel)
    if who == "anonymous":
        assert response.status_code == 302
    else:
        # An application's panel is not even shown to exist to anyone else.
        assert response.status_code == (200 if who in STAFF else 404)


@pytest.mark.parametrize("who", OTHERS)
def test_nobody_but_staff_can_run_the_assignment_or_change_a_panel(client, who):
    call = small_call()
    application = make_accepted_application(call)
    expert = make_expert("SC")
    client.force_login(actor(who))

    assert client.post(reverse("reviews:assignment_overview", args=[call.pk]), {}).status_code == 403
    response = client.post(
        reverse("reviews:panel_detail", args=[application.pk]), {"action": "add", "reviewer": expert.pk}
    )
    assert response.status_code == 404
    assert not AssignmentRun.objects.exists() and not Assignment.objects.exists()


def test_a_run_detail_of_another_call_is_not_found(client):
    call, other = small_call(), small_call()
    run = queued_run(other, make_staff())
    client.force_login(make_staff())
    assert client.get(reverse("reviews:assignment_run_detail", args=[call.pk, run.pk])).status_code == 404


# --- Home and overview ----------------------------------------------------------------------


def test_the_home_lists_the_calls_in_review_with_their_links(client):
    call = small_call()
    make_accepted_application(call)
    quiet = make_call_with_rubric(title_zh="没有受理的指南")
    client.force_login(make_staff())

    response = client.get(reverse("reviews:home"), **EN)

    assert [c.pk for c in response.context["calls"]] == [call.pk]
    body = response.content.decode()
    for url in (
        reverse("reviews:assignment_overview", args=[call.pk]),
        reverse("reviews:review_progress", args=[call.pk]),
        reverse("reviews:ranking", args=[call.pk]),
        reverse("reviews:formal_check_list"),
        reverse("reviews:expert_list"),
    ):
        assert url in body
    assert quiet.title_zh not in body


def test_staff_run_the_assignment_from_the_overview_and_see_the_result(
    client, django_capture_on_commit_callbacks
):
    call = small_call()
    application = make_accepted_application(call)
    pool()
    staff = make_staff()
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reviews:assignment_overview", args=[call.pk]), {"seed": "31337"})

    run = AssignmentRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:assignment_run_detail", args=[call.pk, run.pk])
    assert (run.status, run.seed, run.assigned, run.created_by) == ("done", 31337, 3, staff)
    assert Assignment.objects.filter(application=application).count() == 3

    page = client.get(response["Location"], **EN).content.decode()
    assert "31337" in page and "Replay with this seed" in page
    assert "Every application got its full panel." in page
    overview = client.get(reverse("reviews:assignment_overview", args=[call.pk]), **EN).content.decode()
    assert f"Run {run.pk}" in overview and "proven optimal" in overview


def test_a_dry_run_from_the_page_saves_nothing(client, django_capture_on_commit_callbacks):
    call = small_call()
    make_accepted_application(call)
    pool()
    client.force_login(make_staff())

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reviews:assignment_overview", args=[call.pk]), {"dry_run": "on"})

    run = AssignmentRun.objects.get()
    assert run.dry_run and run.status == "done" and run.assigned == 3
    assert not Assignment.objects.exists()


def test_shortfalls_are_explained_in_words_on_the_pages(client, django_capture_on_commit_callbacks):
    call = small_call()
    application = make_accepted_application(call, field="agri", province="CQ")
    for _ in range(3):
        make_expert("CQ", ("agri",))
    client.force_login(make_staff())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reviews:assignment_overview", args=[call.pk]), {})
    page = client.get(response["Location"], **EN).content.decode()
    overview = client.get(reverse("reviews:assignment_overview", args=[call.pk]), **EN).content.decode()

    for body in (page, overview):
        assert "1 application is short:" in body
        assert "not enough experts of Sichuan in Modern agriculture without conflict" in body
        assert reverse("reviews:panel_detail", args=[application.pk]) in body


def test_a_bad_seed_and_impossible_settings_are_shown_not_run(client):
    call = small_call(k=3, m=2)
    client.force_login(make_staff())

    page = client.get(reverse("reviews:assignment_overview", args=[call.pk]), **EN)
    assert "do not fit in a panel of 3" in page.content.decode()

    response = client.post(reverse("reviews:assignment_overview", args=[call.pk]), {}, **EN)
    assert response.status_code == 400
    assert "do not fit in a panel of 3" in response.content.decode()
    response = client.post(
        reverse("reviews:assignment_overview", args=[small_call().pk]), {"seed": "-1"}, **EN
    )
    assert response.status_code == 400
    assert response.context["form"].errors["seed"]
    assert not AssignmentRun.objects.exists()


def test_a_run_under_way_polls_its_job(client):
    call = small_call()
    run = queued_run(call, make_staff())
    client.force_login(make_staff())

    body = client.get(reverse("reviews:assignment_run_detail", args=[call.pk, run.pk]), **EN).content.decode()

    assert reverse("jobs:status", args=[run.job_id]) in body and 'hx-trigger="every 1s"' in body
    assert "Drawing the panels" in body


def test_a_failed_run_shows_its_error(client):
    call = small_call()
    run = queued_run(call, make_staff())
    AssignmentRun.objects.filter(pk=run.pk).update(status="failed", error="The solver stopped.")
    client.force_login(make_staff())

    body = client.get(reverse("reviews:assignment_run_detail", args=[call.pk, run.pk]), **EN).content.decode()

    assert "The solver stopped." in body and "Nothing of this run was saved." in body


# --- The panel of an application -------------------------------------------------------------


def test_the_panel_shows_the_experts_and_the_conflicts(client):
    call = small_call()
    application = make_accepted_application(call)
    staff = make_staff()
    expert = make_expert("SC", title="研究员")
    colleague = make_expert("CQ", organization=application.lead_unit)
    assignment_add(application=application, reviewer=expert, by=staff)
    client.force_login(staff)

    response = client.get(reverse("reviews:panel_detail", args=[application.pk]), **EN)

    body = response.content.decode()
    assert expert.user.full_name in body and expert.organization.name in body
    assert "Added by staff" in body and "Awaiting the declaration" in body
    # The expert of the lead unit: in the conflicts list, and offered disabled with the reason.
    assert colleague.user.full_name in body
    [candidate] = [c for c in response.context["candidates"] if c.profile == colleague]
    assert candidate.refusal.startswith("conflict of interest")
    assert f'<option value="{colleague.pk}" disabled>' in body


def test_staff_add_an_expert_by_hand_on_the_panel(client):
    application = make_accepted_application(small_call())
    expert = make_expert("SC")
    client.force_login(make_staff())

    url = reverse("reviews:panel_detail", args=[application.pk])
    response = client.post(url, {"action": "add", "reviewer": expert.pk, "reason": "补充"})

    assert response.status_code == 302
    assert Assignment.objects.get().reviewer == expert
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW


def test_adding_an_expert_in_conflict_on_the_panel_is_refused_with_the_reason(client):
    application = make_accepted_application(small_call())
    colleague = make_expert("CQ", organization=application.lead_unit)
    client.force_login(make_staff())

    response = client.post(
        reverse("reviews:panel_detail", args=[application.pk]),
        {"action": "add", "reviewer": colleague.pk},
        **EN,
    )

    assert response.status_code == 400
    assert "has a conflict of interest with this application" in str(response.context["add_form"].errors)
    assert not Assignment.objects.exists()


def test_removing_on_the_panel_needs_a_reason_and_keeps_a_submitted_review(client):
    application = make_accepted_application(small_call())
    staff = make_staff()
    draft = assignment_add(application=application, reviewer=make_expert("SC"), by=staff)
    done = assignment_add(application=application, reviewer=make_expert("CQ"), by=staff)
    Review.objects.create(assignment=done, status=ReviewStatus.SUBMITTED)
    client.force_login(staff)
    url = reverse("reviews:panel_detail", args=[application.pk])

    client.post(url, {"action": "remove", "assignment": draft.pk, "reason": ""})
    assert Assignment.objects.filter(pk=draft.pk).exists()

    client.post(url, {"action": "remove", "assignment": draft.pk, "reason": "回避"})
    assert not Assignment.objects.filter(pk=draft.pk).exists()

    response = client.post(
        url, {"action": "remove", "assignment": done.pk, "reason": "不要"}, follow=True, **EN
    )
    assert Assignment.objects.filter(pk=done.pk).exists()
    assert "Reopen the review or keep it" in response.content.decode()


def test_staff_enter_a_conflict_on_the_panel(client):
    application = make_accepted_application(small_call())
    expert = make_expert("SC")
    staff = make_staff()
    client.force_login(staff)

    response = client.post(
        reverse("reviews:panel_detail", args=[application.pk]),
        {"action": "conflict", "reviewer": expert.pk, "reason": "近三年合作发表论文"},
    )

    assert response.status_code == 302
    conflict = Conflict.objects.get()
    assert (conflict.reviewer, conflict.source, conflict.created_by) == (expert, "staff", staff)
    assert AuditEvent.objects.filter(action="conflict.record").exists()


# --- Progress ---------------------------------------------------------------------------------


def test_the_progress_counts_per_application_and_per_expert(client):
    call = small_call()
    application = make_accepted_application(call, field="ai")
    other = make_accepted_application(call, field="health")
    staff = make_staff()
    sc, cq = make_expert("SC"), make_expert("CQ")
    first = assignment_add(application=application, reviewer=sc, by=staff)
    assignment_add(application=application, reviewer=cq, by=staff)
    Assignment.objects.filter(pk=first.pk).update(status="declared")
    Review.objects.create(assignment=first, status=ReviewStatus.SUBMITTED)
    client.force_login(staff)

    response = client.get(reverse("reviews:review_progress", args=[call.pk]), **EN)

    rows = {row.application.pk: row for row in response.context["progress"].applications}
    row = rows[application.pk]
    assert (row.assigned, row.declared, row.submitted, row.short) == (2, 1, 1, 1)
    assert row.per_province == {"SC": 1, "CQ": 1} and row.short_per_province == {}
    assert (rows[other.pk].assigned, rows[other.pk].short_per_province) == (0, {"SC": 1, "CQ": 1})
    experts = {e.profile.pk: e for e in response.context["progress"].experts}
    assert (experts[sc.pk].assigned, experts[sc.pk].submitted, experts[sc.pk].load) == (1, 1, "1/10")
    totals = response.context["progress"].totals
    assert (totals["applications"], totals["assigned"], totals["submitted"]) == (2, 2, 1)

    only_health = client.get(reverse("reviews:review_progress", args=[call.pk]), {"field": "health"})
    assert [r.application.pk for r in only_health.context["progress"].applications] == [other.pk]


@pytest.mark.parametrize("rows", [2, 50])
def test_the_progress_page_costs_the_same_for_few_and_many(client, django_assert_max_num_queries, rows):
    call = small_call()
    staff = make_staff()
    experts = pool(per_province=2)
    for index in range(rows):
        application = make_accepted_application(call, province="SC" if index % 2 else "CQ")
        Assignment.objects.create(application=application, reviewer=experts[index % 4], source="manual")
    client.force_login(staff)

    # Session, user, the call, its fields (filter), its fields (progress), applications,
    # experts and their fields.
    with django_assert_max_num_queries(8):
        response = client.get(reverse("reviews:review_progress", args=[call.pk]))

    assert len(response.context["progress"].applications) == rows


@pytest.mark.parametrize("rows", [2, 50])
def test_the_panel_page_costs_the_same_for_few_and_many_experts(client, django_assert_max_num_queries, rows):
    call = small_call()
    application = make_accepted_application(call)
    staff = make_staff()
    experts = [make_expert("SC" if i % 2 else "CQ") for i in range(rows)]
    for expert in experts[:2]:
        Assignment.objects.create(application=application, reviewer=expert, source="manual")
    client.force_login(staff)

    # Session, user, the application, the fields (filter), the conflicts (pool, facts, stored
    # rows), the candidates and their fields, the panel and its experts' fields, the form.
    with django_assert_max_num_queries(16):
        response = client.get(reverse("reviews:panel_detail", args=[application.pk]))

    assert len(response.context["candidates"]) == rows - 2


@pytest.mark.parametrize("rows", [2, 50])
def test_the_overview_costs_the_same_for_few_and_many_runs(client, django_assert_max_num_queries, rows):
    call = small_call()
    staff = make_staff()
    for _ in range(rows):
        queued_run(call, staff)
    client.force_login(staff)

    # Session, user, the call, the counts by status, the runs.
    with django_assert_max_num_queries(5):
        response = client.get(reverse("reviews:assignment_overview", args=[call.pk]))

    assert len(response.context["runs"]) == min(rows, 10)
