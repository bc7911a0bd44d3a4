"""POST /api/v1/reviewers/import/: review staff import a CSV or XLSX list; a file with bad rows
answers 400 with one error per bad row and imports nothing; a file that is no expert list
answers 400 naming ``file``; other roles get 403, anonymous callers 401."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token

from portal.accounts.roles import Role
from reviews.models import ReviewerProfile
from tests.factories import UserFactory, make_applicant
from tests.reviews.factories import make_expert, make_staff
from tests.reviews.test_pool import SC_UNIT, csv_upload, expert_row, xlsx_upload

pytestmark = pytest.mark.django_db

URL = reverse("api-reviewers-import")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def research_fields():
    from tests.factories import ResearchFieldFactory

    return [ResearchFieldFactory(code=code) for code in ("ai", "health", "eco", "agri")]


def post(client, upload, **extra):
    return client.post(URL, {"file": upload}, format="multipart", **EN, **extra)


def signed_in(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def test_staff_import_a_csv_and_get_the_counts(api_client):
    client = signed_in(api_client, make_staff("SC"))

    response = post(client, csv_upload([expert_row(1), expert_row(2, province="SC", unit_uscc=SC_UNIT)]))

    assert response.status_code == 200
    assert response.json() == {
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "units_created": 2,
        "notes": [],
        "ignored_columns": [],
    }
    assert ReviewerProfile.objects.count() == 2


def test_an_xlsx_imported_twice_is_unchanged_the_second_time(api_client):
    client = signed_in(api_client, make_staff("CQ"))
    rows = [expert_row(1), expert_row(2)]

    post(client, xlsx_upload(rows))
    again = post(client, xlsx_upload(rows)).json()

    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)


def test_bad_rows_answer_400_with_one_error_per_row_and_nothing_is_imported(api_client):
    make_applicant(email="pi@example.com")
    client = signed_in(api_client, make_staff("CQ"))
    rows = [
        expert_row(1),
        expert_row(2, email="expert1@example.com"),
        expert_row(3, fields="ai,space"),
        expert_row(4, unit_uscc="91110000600037341X", email="pi@example.com"),
    ]

    response = post(client, csv_upload(rows))

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_rows"
    assert body["detail"] == "Nothing was imported: 4 rows have errors."
    assert [(e["row"], e["field"], e["code"]) for e in body["errors"]] == [
        (2, "email", "duplicate"),
        (3, "email", "duplicate"),
        (4, "fields", "unknown_field"),
        (5, "email, unit_uscc", "invalid_row"),
    ]
    assert "Allowed codes: agri (现代农业/Modern agriculture), ai (人工智能" in body["errors"][2]["message"]
    assert [(p["field"], p["code"]) for p in body["errors"][3]["problems"]] == [
        ("email", "account_taken"),
        ("unit_uscc", "check"),
    ]
    assert "belongs to an applicant account" in body["errors"][3]["message"]
    assert not ReviewerProfile.objects.exists()


@pytest.mark.parametrize(
    ("upload", "code"),
    [
        (SimpleUploadedFile("experts.txt", b"email\n"), "extension"),
        (SimpleUploadedFile("experts.xlsx", b"not a zip"), "not_xlsx"),
        (SimpleUploadedFile("experts.csv", b"email,full_name\r\na@example.com,A\r\n"), "missing_columns"),
    ],
)
def test_a_file_that_is_no_expert_list_answers_400_naming_file(api_client, upload, code):
    client = signed_in(api_client, make_staff("CQ"))

    response = post(client, upload)

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("file", code)


def test_a_request_without_a_file_answers_400_naming_file(api_client):
    client = signed_in(api_client, make_staff("CQ"))

    response = client.post(URL, {}, format="multipart", **EN)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "file"


def test_json_instead_of_a_file_is_refused_as_unsupported(api_client):
    client = signed_in(api_client, make_staff("CQ"))

    response = client.post(URL, {"file": "a,b"}, format="json")

    assert response.status_code == 415


def test_an_anonymous_caller_gets_401(api_client):
    response = post(api_client, csv_upload([expert_row(1)]))

    assert response.status_code == 401
    assert not ReviewerProfile.objects.exists()


@pytest.mark.parametrize("role", ["applicant", "unit_admin", "expert"])
def test_other_roles_get_403_with_the_reason(api_client, role):
    user = make_expert("CQ").user if role == "expert" else UserFactory(role=role)
    client = signed_in(api_client, user)

    response = post(client, csv_upload([expert_row(1)]))

    assert response.status_code == 403
    assert response.json()["detail"] == "Only bureau staff and administrators organise the expert review."
    assert not ReviewerProfile.objects.filter(user__email="expert1@example.com").exists()


@pytest.mark.parametrize("role", [Role.BUREAU_STAFF, Role.ADMIN])
def test_staff_and_administrators_may_import_with_a_token(api_client, role):
    user = make_staff("SC") if role == Role.BUREAU_STAFF else UserFactory(role=Role.ADMIN)
    token = Token.objects.create(user=user)

    response = post(api_client, csv_upload([expert_row(1)]), HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 200
    assert response.json()["created"] == 1


def test_the_schema_documents_the_import_as_a_multipart_upload(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    operation = schema["paths"]["/api/v1/reviewers/import/"]["post"]
    assert list(operation["requestBody"]["content"]) == ["multipart/form-data"]
    assert {"200", "400", "401", "403"} <= set(operation["responses"])
