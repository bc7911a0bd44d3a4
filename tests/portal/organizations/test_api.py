"""Units over the API: anyone signed in finds them; staff register them; the USCC rule is named."""

import pytest

from portal.audit.models import AuditEvent
from portal.organizations.models import Organization
from tests.factories import OrganizationFactory, UserFactory, make_uscc

pytestmark = pytest.mark.django_db

NEW_UNIT = {
    "name": "涪江智能装备研究院",
    "uscc": make_uscc(901, "510700"),
    "org_type": "institute",
    "registered_province": "SC",
    "located_province": "SC",
}


@pytest.fixture
def staff():
    return UserFactory(role="bureau_staff", province="SC")


def test_signed_in_users_find_units_by_name_or_code(api_client):
    unit = OrganizationFactory(name="巴渝理工大学")
    OrganizationFactory(name="天府农业科学院", sichuan=True)
    api_client.force_authenticate(UserFactory())
    by_name = api_client.get("/api/v1/organizations/", {"search": "巴渝"}).json()["results"]
    by_code = api_client.get("/api/v1/organizations/", {"search": unit.uscc.lower()}).json()["results"]
    assert [u["name"] for u in by_name] == [u["name"] for u in by_code] == ["巴渝理工大学"]
    sichuan = api_client.get("/api/v1/organizations/", {"province": "SC"}).json()["results"]
    assert [u["name"] for u in sichuan] == ["天府农业科学院"]


def test_the_unit_list_costs_the_same_queries_for_2_and_50_units(api_client, django_assert_max_num_queries):
    api_client.force_authenticate(UserFactory())
    for count in (2, 50):
        OrganizationFactory.create_batch(count - Organization.objects.count())
        with django_assert_max_num_queries(4):
            assert api_client.get("/api/v1/organizations/").status_code == 200


def test_anonymous_visitors_get_401(api_client):
    assert api_client.get("/api/v1/organizations/").status_code == 401


def test_staff_register_a_unit_and_it_is_audited(api_client, staff):
    api_client.force_authenticate(staff)
    response = api_client.post("/api/v1/organizations/", NEW_UNIT, format="json")
    assert response.status_code == 201, response.json()
    unit = Organization.objects.get(uscc=NEW_UNIT["uscc"])
    assert AuditEvent.objects.filter(
        action="organization.create", object_id=str(unit.pk), actor=staff
    ).exists()


def test_an_applicant_may_not_register_a_unit(api_client):
    api_client.force_authenticate(UserFactory(role="applicant"))
    response = api_client.post("/api/v1/organizations/", NEW_UNIT, format="json")
    assert response.status_code == 403
    assert not Organization.objects.exists()


@pytest.mark.parametrize(
    ("uscc", "message"),
    [
        ("9151000", "must be exactly 18 characters"),
        ("91510000MA6CIOZ1XS", "not allowed"),
        (NEW_UNIT["uscc"][:-1] + ("0" if NEW_UNIT["uscc"][-1] != "0" else "1"), "fails the GB 32100 check"),
    ],
)
def test_a_bad_uscc_names_the_field_and_the_rule(api_client, staff, uscc, message):
    api_client.force_authenticate(staff)
    response = api_client.post(
        "/api/v1/organizations/", {**NEW_UNIT, "uscc": uscc}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "uscc" and message in error["message"]
    assert not Organization.objects.exists()


def test_staff_may_accept_a_failing_check_character_with_a_reason(api_client, staff):
    failing = NEW_UNIT["uscc"][:-1] + ("0" if NEW_UNIT["uscc"][-1] != "0" else "1")
    api_client.force_authenticate(staff)
    response = api_client.post(
        "/api/v1/organizations/",
        {**NEW_UNIT, "uscc": failing, "override_reason": "营业执照原件核对无误"},
        format="json",
    )
    assert response.status_code == 201
    unit = Organization.objects.get()
    assert unit.uscc_override_by == staff and unit.uscc_override_reason == "营业执照原件核对无误"


def test_a_duplicate_code_is_refused(api_client, staff):
    OrganizationFactory(uscc=NEW_UNIT["uscc"])
    api_client.force_authenticate(staff)
    response = api_client.post("/api/v1/organizations/", NEW_UNIT, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "uscc"
