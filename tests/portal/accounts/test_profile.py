"""A person's own data, on the profile page and at /api/v1/auth/me/: the ID number is checked
(GB 11643) and fixes the birth date; a bad value names the field and the rule, and nothing
already saved is lost."""

from datetime import date

import pytest

from portal.audit.models import AuditEvent
from tests.factories import OrganizationFactory, UserFactory, make_id_number

pytestmark = pytest.mark.django_db

GOOD_ID = make_id_number(7, born=date(1983, 4, 9))


@pytest.fixture
def pi():
    return UserFactory(full_name="李明", organization=OrganizationFactory(name="巴渝理工大学"))


def test_the_profile_page_saves_a_valid_id_and_derives_the_birth_date(client, pi):
    client.force_login(pi)
    response = client.post(
        "/accounts/profile/",
        {"full_name": "李明", "id_type": "resident_id", "id_number": GOOD_ID.lower(), "title": "教授"},
    )
    assert response.status_code == 302
    pi.refresh_from_db()
    assert pi.id_number == GOOD_ID and pi.birth_date == date(1983, 4, 9) and pi.title == "教授"
    event = AuditEvent.objects.get(action="user.profile_update")
    assert GOOD_ID not in str(event.data)  # the trail names fields, not ID numbers


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("11010519491231002", "must be exactly 18 characters"),
        ("110105194913310026", "holds no real birth date"),
        ("110105194912310021", "fails the GB 11643 check"),
    ],
)
def test_the_profile_page_names_the_rule_a_bad_id_number_breaks(client, pi, number, message):
    client.force_login(pi)
    response = client.post(
        "/accounts/profile/",
        {"full_name": "李明", "id_type": "resident_id", "id_number": number, "title": "教授"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    pi.refresh_from_db()
    assert pi.id_number == "" and pi.title == ""  # nothing half-saved


def test_a_new_id_number_replaces_the_birth_date_the_form_still_shows(client, pi):
    client.force_login(pi)
    old = make_id_number(3, born=date(1970, 1, 1))
    client.post("/accounts/profile/", {"full_name": "李明", "id_type": "resident_id", "id_number": old})
    response = client.post(
        "/accounts/profile/",
        {"full_name": "李明", "id_type": "resident_id", "id_number": GOOD_ID, "birth_date": "1970-01-01"},
    )
    assert response.status_code == 302
    pi.refresh_from_db()
    assert pi.id_number == GOOD_ID and pi.birth_date == date(1983, 4, 9)


def test_a_passport_number_is_checked_by_its_own_rule(client, pi):
    client.force_login(pi)
    response = client.post(
        "/accounts/profile/",
        {
            "full_name": "Anna Müller",
            "id_type": "passport",
            "id_number": "C01X00T47",
            "birth_date": "1985-02-03",
        },
    )
    assert response.status_code == 302
    pi.refresh_from_db()
    assert pi.id_number == "C01X00T47" and pi.birth_date == date(1985, 2, 3)


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/accounts/profile/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_api_shows_and_changes_your_own_data(api_client, pi):
    api_client.force_authenticate(pi)
    me = api_client.get("/api/v1/auth/me/").json()
    assert me["email"] == pi.email and me["organization"]["name"] == "巴渝理工大学"
    response = api_client.patch(
        "/api/v1/auth/me/", {"id_number": GOOD_ID, "phone": "023-12345678"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["birth_date"] == "1983-04-09"


def test_the_api_names_the_field_and_the_rule_of_a_bad_id_number(api_client, pi):
    api_client.force_authenticate(pi)
    response = api_client.patch(
        "/api/v1/auth/me/",
        {"id_number": "110105194912310021", "phone": "1"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0]["field"] == "id_number" and "GB 11643" in errors[0]["message"]
    pi.refresh_from_db()
    assert pi.phone == ""


def test_the_role_cannot_be_changed_through_the_api(api_client, pi):
    api_client.force_authenticate(pi)
    api_client.patch("/api/v1/auth/me/", {"role": "admin"}, format="json")
    pi.refresh_from_db()
    assert pi.role == "applicant"


def test_the_api_needs_a_signed_in_user(api_client):
    assert api_client.get("/api/v1/auth/me/").status_code == 401
