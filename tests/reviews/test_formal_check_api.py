"""The formal check API: ``GET /api/v1/applications/{id}/eligibility/`` and
``POST /api/v1/applications/{id}/formal-check/``."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, FundingCall
from portal.accounts.roles import Role
from reviews import eligibility
from reviews.models import FormalCheck
from tests.factories import UserFactory, make_applicant
from tests.reviews.factories import make_endorsed_application, make_expert, make_staff

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def eligibility_url(application: Application) -> str:
    return reverse("api-eligibility", args=[application.pk])


def decide_url(application: Application) -> str:
    return reverse("api-formal-check", args=[application.pk])


def status_of(application: Application) -> str:
    return Application.objects.get(pk=application.pk).status


def actor(name: str, application: Application):
    return {
        "staff_cq": lambda: make_staff("CQ"),
        "staff_sc": lambda: make_staff("SC"),
        "admin": lambda: UserFactory(role=Role.ADMIN),
        "owner": lambda: application.pi,
        "other_applicant": lambda: make_applicant(),
        "unit_admin": lambda: UserFactory(role=Role.UNIT_ADMIN, organization=application.lead_unit),
        "expert": lambda: make_expert("CQ").user,
        "anonymous": lambda: None,
    }[name]()


# The checklist is the staff's: the team (owner) and everyone else get 404, as for an unknown id.
ELIGIBILITY = {
    "staff_cq": 200,
    "staff_sc": 200,
    "admin": 200,
    "owner": 404,
    "other_applicant": 404,
    "unit_admin": 404,
    "expert": 404,
    "anonymous": 401,
}
DECIDE = {
    "staff_cq": 200,
    "staff_sc": 403,
    "admin": 403,
    "owner": 404,
    "other_applicant": 404,
    "unit_admin": 404,
    "expert": 404,
    "anonymous": 401,
}


@pytest.mark.parametrize("who", list(ELIGIBILITY))
def test_the_eligibility_actor_matrix(api_client, who):
    application = make_endorsed_application(province="CQ")
    user = actor(who, application)
    if user is not None:
        api_client.force_authenticate(user)

    response = api_client.get(eligibility_url(application), **EN)

    assert response.status_code == ELIGIBILITY[who]
    if response.status_code == 200:
        body = response.json()
        assert body["application"] == application.pk
        assert body["all_passed"] is True
        assert [item["code"] for item in body["items"]] == list(eligibility.CODES)
        assert set(body["items"][0]) == {"code", "label", "passed", "details"}
    else:
        assert set(response.json()) == {"detail", "errors"}


@pytest.mark.parametrize("who", list(DECIDE))
def test_the_decision_actor_matrix(api_client, who):
    application = make_endorsed_application(province="CQ")
    user = actor(who, application)
    if user is not None:
        api_client.force_authenticate(user)

    response = api_client.post(decide_url(application), {"decision": "accept"}, format="json", **EN)

    assert response.status_code == DECIDE[who]
    accepted = who == "staff_cq"
    assert status_of(application) == ("accepted" if accepted else "endorsed")
    assert FormalCheck.objects.count() == (1 if accepted else 0)


def test_staff_of_the_other_province_get_403_with_the_reason(api_client):
    application = make_endorsed_application(province="CQ")
    api_client.force_authenticate(make_staff("SC"))

    response = api_client.post(
        decide_url(application), {"decision": "reject", "reason": "x"}, format="json", **EN
    )

    assert response.status_code == 403
    assert "belongs to the bureau of Chongqing" in response.json()["detail"]


def test_the_checklist_names_a_failing_rule_with_its_details(api_client):
    application = make_endorsed_application(province="CQ")
    FundingCall.objects.filter(pk=application.call_id).update(per_project_cap=1_000_000)
    api_client.force_authenticate(make_staff("SC"))

    body = api_client.get(eligibility_url(application), **EN).json()

    assert body["all_passed"] is False
    assert body["submission"] == 1
    cap = next(item for item in body["items"] if item["code"] == "cap")
    assert cap["passed"] is False
    assert cap["label"] == "Government funds within the cap"
    assert "over the cap of 1000000.00 yuan" in cap["details"][0]


@pytest.mark.parametrize(
    ("decision", "reason", "status"),
    [("accept", "", "accepted"), ("return", "请补充附件", "returned"), ("reject", "逾期提交", "ineligible")],
)
def test_each_decision_moves_the_application_and_answers_the_stored_check(
    api_client, decision, reason, status
):
    application = make_endorsed_application(province="CQ")
    staff = make_staff("CQ")
    api_client.force_authenticate(staff)

    response = api_client.post(
        decide_url(application), {"decision": decision, "reason": reason}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["application"] == application.pk
    assert body["status"] == status == status_of(application)
    check = FormalCheck.objects.get()
    assert body["formal_check"]["id"] == check.pk
    assert body["formal_check"]["decision"] == decision
    assert body["formal_check"]["reason"] == reason
    assert body["formal_check"]["decided_by"] == staff.pk
    assert [row["rule"] for row in body["formal_check"]["checklist"]] == list(eligibility.CODES)
    assert body["formal_check"]["decided_at"].endswith("+08:00")


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"decision": "approve"}, "decision", "invalid_choice"),
        ({}, "decision", "required"),
        ({"decision": "return"}, "reason", "required"),
        ({"decision": "reject", "reason": "   "}, "reason", "required"),
        ({"decision": "reject", "reason": "x" * 2001}, "reason", "max_length"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_client, payload, field, code):
    application = make_endorsed_application(province="CQ")
    api_client.force_authenticate(make_staff("CQ"))

    response = api_client.post(decide_url(application), payload, format="json", **EN)

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == (field, code)
    assert status_of(application) == "endorsed"
    assert not FormalCheck.objects.exists()


def test_accepting_despite_a_failing_rule_needs_a_reason(api_client):
    application = make_endorsed_application(province="CQ")
    FundingCall.objects.filter(pk=application.call_id).update(per_project_cap=1_000_000)
    api_client.force_authenticate(make_staff("CQ"))

    refused = api_client.post(decide_url(application), {"decision": "accept"}, format="json", **EN)
    accepted = api_client.post(
        decide_url(application), {"decision": "accept", "reason": "特批"}, format="json", **EN
    )

    assert refused.status_code == 400
    assert refused.json()["errors"][0]["field"] == "reason"
    assert "staff override" in refused.json()["detail"]
    assert accepted.status_code == 200
    assert status_of(application) == "accepted"


def test_a_second_decision_is_a_409_and_leaves_one_row(api_client):
    application = make_endorsed_application(province="CQ")
    api_client.force_authenticate(make_staff("CQ"))
    api_client.post(decide_url(application), {"decision": "accept"}, format="json")

    response = api_client.post(
        decide_url(application), {"decision": "reject", "reason": "x"}, format="json", **EN
    )

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "state"
    assert FormalCheck.objects.count() == 1
    assert status_of(application) == "accepted"


def test_a_return_after_the_units_deadline_is_a_400_with_the_deadline(api_client):
    application = make_endorsed_application(province="CQ")
    FundingCall.objects.filter(pk=application.call_id).update(
        opens_at=timezone.now() - timedelta(days=40),
        submit_deadline=timezone.now() - timedelta(days=2),
        endorse_deadline=timezone.now() - timedelta(minutes=1),
    )
    api_client.force_authenticate(make_staff("CQ"))

    response = api_client.post(
        decide_url(application), {"decision": "return", "reason": "补充"}, format="json", **EN
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "deadline"
    assert "The deadline for this step was" in response.json()["detail"]
    assert status_of(application) == "endorsed"
    assert not FormalCheck.objects.exists()


def test_an_unknown_or_draft_application_is_a_404(api_client):
    from tests.factories import make_ready_application

    draft = make_ready_application()
    api_client.force_authenticate(make_staff("CQ"))

    assert api_client.get(eligibility_url(draft)).status_code == 404
    assert api_client.get(reverse("api-eligibility", args=[999999])).status_code == 404
    assert api_client.post(decide_url(draft), {"decision": "accept"}, format="json").status_code == 404
