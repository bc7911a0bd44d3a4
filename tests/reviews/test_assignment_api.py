"""The assignment API: running the solver for a call, listing assignments (an expert's own,
staff's filtered), adding and removing an expert by hand; who may do what; query counts."""

import pytest

from applications.models import ApplicationStatus
from portal.accounts.roles import Role
from reviews.models import Assignment, AssignmentRun, Review
from reviews.models.reviews import ReviewStatus
from reviews.services.assignments import assignment_add
from reviews.services.conflicts import conflict_record
from tests.factories import UserFactory
from tests.reviews.factories import make_accepted_application, make_call_with_rubric, make_expert, make_staff

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
LIST = "/api/v1/assignments/"


def small_call(k: int = 3, m: int = 1):
    return make_call_with_rubric(reviewers_per_application=k, min_reviewers_per_province=m)


def run_url(call) -> str:
    return f"/api/v1/calls/{call.pk}/assignments/run/"


def detail(assignment) -> str:
    return f"/api/v1/assignments/{assignment.pk}/"


def codes(response) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in response.json()["errors"]]


# --- Running ------------------------------------------------------------------------------


# Transactional: the task runs when the service's transaction commits, as in production
# without a broker, so the answer already carries the result.
@pytest.mark.django_db(transaction=True)
def test_staff_run_the_assignment_and_get_the_counts(api_client):
    call = small_call()
    applications = [make_accepted_application(call, province=p) for p in ("SC", "CQ")]
    for province in ("SC", "CQ"):
        for _ in range(3):
            make_expert(province)
    api_client.force_authenticate(make_staff("SC"))

    response = api_client.post(run_url(call), {"seed": 99}, format="json")

    assert response.status_code == 202
    body = response.json()
    run = AssignmentRun.objects.get()
    assert (body["id"], body["job"], body["status"], body["seed"]) == (run.pk, run.job_id, "done", 99)
    assert (body["applications"], body["assigned"], body["shortfalls"], body["optimal"]) == (2, 6, [], True)
    assert body["objective"] == run.objective
    for application in applications:
        application.refresh_from_db()
        assert application.status == ApplicationStatus.UNDER_REVIEW

    runs = api_client.get(run_url(call)).json()
    assert [r["id"] for r in runs] == [run.pk]


@pytest.mark.django_db(transaction=True)
def test_a_run_reports_its_shortfalls_in_words(api_client):
    call = small_call()
    application = make_accepted_application(call, field="agri")
    for _ in range(3):
        make_expert("CQ", ("agri",))
    api_client.force_authenticate(make_staff())

    body = api_client.post(run_url(call), {"dry_run": True}, format="json", **EN).json()

    [shortfall] = body["shortfalls"]
    assert (shortfall["application"], shortfall["province"], shortfall["reason"], shortfall["missing"]) == (
        application.pk,
        "SC",
        "province",
        1,
    )
    assert "not enough experts of Sichuan in Modern agriculture without conflict" in shortfall["message"]
    assert body["dry_run"] is True and not Assignment.objects.exists()


def test_a_run_answers_202_queued_when_the_task_has_not_run(api_client):
    call = small_call()
    api_client.force_authenticate(make_staff())

    # Without the commit callbacks the task is not sent: as with a worker that has not started.
    body = api_client.post(run_url(call), {}, format="json").json()

    assert body["status"] == "queued" and body["job"] and body["assigned"] == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"seed": -1}, "seed"),
        ({"seed": "abc"}, "seed"),
        ({"seed": 2**63}, "seed"),
        ({"dry_run": "maybe"}, "dry_run"),
    ],
)
def test_bad_run_parameters_are_refused_naming_the_field(api_client, payload, field):
    api_client.force_authenticate(make_staff())
    response = api_client.post(run_url(small_call()), payload, format="json")
    assert response.status_code == 400
    assert [f for f, _code in codes(response)] == [field]
    assert not AssignmentRun.objects.exists()


def test_settings_that_cannot_be_met_are_refused(api_client):
    api_client.force_authenticate(make_staff())
    response = api_client.post(run_url(small_call(k=3, m=2)), {}, format="json", **EN)
    assert response.status_code == 400
    assert codes(response) == [(None, "settings")]
    assert "do not fit in a panel of 3" in response.json()["detail"]


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("applicant", 403), ("expert", 403), ("unit_admin", 403)],
)
def test_only_review_staff_run_the_assignment(api_client, who, status):
    call = small_call()
    if who == "expert":
        api_client.force_authenticate(make_expert().user)
    elif who != "anonymous":
        api_client.force_authenticate(
            UserFactory(role={"applicant": Role.APPLICANT, "unit_admin": Role.UNIT_ADMIN}[who])
        )
    assert api_client.post(run_url(call), {}, format="json").status_code == status
    assert api_client.get(run_url(call)).status_code == status
    assert not AssignmentRun.objects.exists()


def test_running_an_unknown_call_is_404(api_client):
    api_client.force_authenticate(make_staff())
    assert api_client.post("/api/v1/calls/999999/assignments/run/", {}, format="json").status_code == 404


# --- Listing and reading -------------------------------------------------------------------


@pytest.fixture
def two_panels():
    call = small_call()
    staff = make_staff()
    first, second = (
        make_accepted_application(call, title="第一"),
        make_accepted_application(call, title="第二"),
    )
    alice, bob = make_expert("SC"), make_expert("CQ")
    mine = assignment_add(application=first, reviewer=alice, by=staff)
    theirs = assignment_add(application=second, reviewer=bob, by=staff)
    assignment_add(application=first, reviewer=bob, by=staff)
    return {"call": call, "staff": staff, "alice": alice, "bob": bob, "mine": mine, "theirs": theirs}


def test_an_expert_lists_only_their_own_assignments(api_client, two_panels):
    alice, mine = two_panels["alice"], two_panels["mine"]
    Review.objects.create(assignment=mine, status=ReviewStatus.DRAFT)
    api_client.force_authenticate(alice.user)

    body = api_client.get(LIST).json()

    assert body["count"] == 1
    [row] = body["results"]
    assert (row["id"], row["application"], row["application_title"], row["status"], row["review_status"]) == (
        mine.pk,
        mine.application_id,
        "第一",
        "assigned",
        "draft",
    )
    assert row["declared_at"] is None


def test_an_expert_reading_another_experts_assignment_gets_404(api_client, two_panels):
    api_client.force_authenticate(two_panels["alice"].user)
    assert api_client.get(detail(two_panels["mine"])).status_code == 200
    assert api_client.get(detail(two_panels["theirs"])).status_code == 404


def test_an_applicant_sees_no_assignment(api_client, two_panels):
    application = two_panels["mine"].application
    api_client.force_authenticate(application.pi)
    assert api_client.get(LIST).json()["count"] == 0
    assert api_client.get(detail(two_panels["mine"])).status_code == 404


def test_staff_list_every_assignment_and_filter_them(api_client, two_panels):
    api_client.force_authenticate(make_staff("SC"))
    mine, bob = two_panels["mine"], two_panels["bob"]

    assert api_client.get(LIST).json()["count"] == 3
    assert api_client.get(LIST, {"call": two_panels["call"].pk}).json()["count"] == 3
    assert api_client.get(LIST, {"call": small_call().pk}).json()["count"] == 0
    assert api_client.get(LIST, {"application": mine.application_id}).json()["count"] == 2
    assert api_client.get(LIST, {"reviewer": bob.pk}).json()["count"] == 2
    assert api_client.get(LIST, {"status": "declared"}).json()["count"] == 0
    assert api_client.get(LIST, {"status": "assigned", "reviewer": bob.pk}).json()["count"] == 2


@pytest.mark.parametrize(("name", "value"), [("call", "x"), ("reviewer", "-3"), ("status", "done")])
def test_a_bad_filter_is_refused_naming_it(api_client, name, value):
    api_client.force_authenticate(make_staff())
    response = api_client.get(LIST, {name: value})
    assert response.status_code == 400
    assert [f for f, _code in codes(response)] == [name]


def test_listing_needs_a_sign_in(api_client):
    assert api_client.get(LIST).status_code == 401


@pytest.mark.parametrize("rows", [2, 50])
def test_the_list_costs_the_same_for_few_and_many(api_client, django_assert_max_num_queries, rows):
    call = small_call()
    experts = [make_expert("SC"), make_expert("CQ")]
    for index in range(rows):
        application = make_accepted_application(call)
        Assignment.objects.create(application=application, reviewer=experts[index % 2], source="manual")
    api_client.force_authenticate(make_staff())

    # The count and the page.
    with django_assert_max_num_queries(2):
        response = api_client.get(LIST)

    assert len(response.json()["results"]) == rows


# --- By hand --------------------------------------------------------------------------------


def test_staff_add_an_expert_by_hand(api_client):
    application = make_accepted_application(small_call())
    expert = make_expert("SC")
    api_client.force_authenticate(make_staff())

    response = api_client.post(
        LIST, {"application": application.pk, "reviewer": expert.pk, "reason": "对口"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["reviewer"] == expert.pk and response.json()["source"] == "manual"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.UNDER_REVIEW


def test_adding_an_expert_in_conflict_is_refused_with_the_rule(api_client):
    application = make_accepted_application(small_call())
    expert = make_expert("SC")
    staff = make_staff()
    conflict_record(application=application, reviewer=expert, source="staff", reason="亲属", by=staff)
    api_client.force_authenticate(staff)

    response = api_client.post(
        LIST, {"application": application.pk, "reviewer": expert.pk}, format="json", **EN
    )

    assert response.status_code == 400
    assert codes(response) == [("reviewer", "conflict")]
    assert "亲属" in response.json()["detail"]
    assert not Assignment.objects.exists()


def test_adding_over_the_load_or_twice_is_refused_with_the_rule(api_client):
    call = small_call()
    first, second = make_accepted_application(call), make_accepted_application(call)
    expert = make_expert("SC", max_load=1)
    api_client.force_authenticate(make_staff())

    assert (
        api_client.post(LIST, {"application": first.pk, "reviewer": expert.pk}, format="json").status_code
        == 201
    )
    twice = api_client.post(LIST, {"application": first.pk, "reviewer": expert.pk}, format="json")
    over = api_client.post(LIST, {"application": second.pk, "reviewer": expert.pk}, format="json")

    assert codes(twice) == [("reviewer", "duplicate")]
    assert codes(over) == [("reviewer", "load")]
    assert Assignment.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"reviewer": 1}, "application"),
        ({"application": 999999, "reviewer": 1}, "application"),
        ({"application": "x"}, "application"),
    ],
)
def test_adding_with_bad_ids_is_refused_naming_the_field(api_client, payload, field):
    api_client.force_authenticate(make_staff())
    response = api_client.post(LIST, payload, format="json")
    assert response.status_code == 400
    assert field in [f for f, _code in codes(response)]


def test_adding_an_unknown_expert_is_refused(api_client):
    application = make_accepted_application(small_call())
    api_client.force_authenticate(make_staff())
    response = api_client.post(LIST, {"application": application.pk, "reviewer": 999999}, format="json")
    assert codes(response) == [("reviewer", "does_not_exist")]


@pytest.mark.parametrize("who", ["applicant", "expert", "unit_admin"])
def test_non_staff_adding_is_403(api_client, who):
    application = make_accepted_application(small_call())
    expert = make_expert("SC")
    user = {
        "applicant": application.pi,
        "expert": expert.user,
        "unit_admin": UserFactory(role=Role.UNIT_ADMIN, organization=application.lead_unit),
    }[who]
    api_client.force_authenticate(user)
    response = api_client.post(LIST, {"application": application.pk, "reviewer": expert.pk}, format="json")
    assert response.status_code == 403
    assert not Assignment.objects.exists()


def test_staff_remove_an_expert_with_a_reason(api_client, two_panels):
    api_client.force_authenticate(two_panels["staff"])
    mine = two_panels["mine"]

    without = api_client.delete(detail(mine), {}, format="json")
    assert without.status_code == 400 and codes(without) == [("reason", "blank")]
    assert Assignment.objects.filter(pk=mine.pk).exists()

    response = api_client.delete(detail(mine), {"reason": "出差"}, format="json")
    assert response.status_code == 204
    assert not Assignment.objects.filter(pk=mine.pk).exists()


def test_removing_after_the_review_is_submitted_is_409(api_client, two_panels):
    mine = two_panels["mine"]
    Review.objects.create(assignment=mine, status=ReviewStatus.SUBMITTED)
    api_client.force_authenticate(two_panels["staff"])

    response = api_client.delete(detail(mine) + "?reason=%E4%B8%8D%E8%A6%81", **EN)

    assert response.status_code == 409
    assert codes(response) == [(None, "submitted")]
    assert Assignment.objects.filter(pk=mine.pk).exists()


def test_an_expert_may_not_remove_an_assignment(api_client, two_panels):
    api_client.force_authenticate(two_panels["alice"].user)
    assert (
        api_client.delete(detail(two_panels["mine"]), {"reason": "不想审"}, format="json").status_code == 403
    )
    assert api_client.delete(detail(two_panels["theirs"]), {"reason": "x"}, format="json").status_code == 404
    assert Assignment.objects.count() == 3
