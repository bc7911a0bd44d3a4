"""What the API fuzz found, each kept as an explicit example: the request that failed, sent
through the portal's WSGI handler and checked as the fuzz checks every answer (no server error;
status code, content type and body as the schema documents them; hostile input refused).

- the schema left out the empty province of everyone but bureau staff (GET/PATCH /auth/me/);
- a change of an application refused as a whole (no version) did not match the documented 400;
- an expert list that cannot be read did not match the documented 400 of the import;
- framework errors were undocumented: a page past the end (404), a token that is not valid
  (401), a body of a media type the operation does not read (415), a body that is not JSON;
- an unknown province in the unit search answered an empty list instead of a 400 naming it;
- a form body with more fields than Django reads answered Django's HTML 400 page, not JSON;
- a NUL character in the unit search reached the database: a 500 on PostgreSQL (SQLite stores it);
- an unknown assignment or call answered DRF's English "No Assignment matches the given query."
  in an API that speaks the request's language.
"""

import pytest
import schemathesis
from django.utils import translation
from rest_framework.authtoken.models import Token

from applications.services import application_create
from portal.accounts.roles import Role
from tests.factories import FundingCallFactory, GuideTaskFactory, UserFactory, make_applicant
from tests.fuzz.harness import send, token_header
from tests.reviews.factories import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def token_of(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def call(api_schema, app, method: str, path: str, *, user=None, token: str | None = None, **case):
    """Send the explicit case and check the answer as the fuzz does; the answer."""
    operation = api_schema[path][method]
    headers = {**token_header(token or (token_of(user) if user else None)), "Accept-Language": "en"}
    extra = {key: case.pop(key) for key in ("data", "content_type") if key in case}
    if "body" in case:
        case.setdefault("media_type", "application/json")
    return send(operation.Case(**case), app=app, headers=headers, **extra)


def errors_of(response) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in response.json()["errors"]]


def test_everyone_but_bureau_staff_reads_their_empty_province_as_documented(api_schema, wsgi_app) -> None:
    applicant = make_applicant()

    read = call(api_schema, wsgi_app, "GET", "/api/v1/auth/me/", user=applicant)
    changed = call(
        api_schema, wsgi_app, "PATCH", "/api/v1/auth/me/", user=applicant, body={"title": "研究员"}
    )

    assert read.json()["province"] == ""
    assert changed.status_code == 200


def test_a_change_of_an_application_without_its_version_is_refused_as_documented(
    api_schema, wsgi_app
) -> None:
    applicant = make_applicant()
    call_ = FundingCallFactory()
    draft = application_create(call=call_, by=applicant, guide_task=GuideTaskFactory(call=call_))

    response = call(
        api_schema,
        wsgi_app,
        "PATCH",
        "/api/v1/applications/{id}/",
        user=applicant,
        path_parameters={"id": draft.pk},
        body={},
    )

    assert response.status_code == 400
    assert errors_of(response) == [("version", "required")]


def test_a_change_refused_in_part_still_says_what_was_saved(api_schema, wsgi_app) -> None:
    applicant = make_applicant()
    call_ = FundingCallFactory()
    draft = application_create(call=call_, by=applicant, guide_task=GuideTaskFactory(call=call_))

    response = call(
        api_schema,
        wsgi_app,
        "PATCH",
        "/api/v1/applications/{id}/",
        user=applicant,
        path_parameters={"id": draft.pk},
        body={"version": draft.version, "title": "面向川渝的联合研究", "duration_months": -3},
    )

    assert response.status_code == 400
    body = response.json()
    assert "title" in body["saved"]
    assert [error["section"] for error in body["errors"]] == ["basics"]


def test_an_expert_list_that_cannot_be_read_is_refused_as_documented(api_schema, wsgi_app) -> None:
    response = call(
        api_schema,
        wsgi_app,
        "POST",
        "/api/v1/reviewers/import/",
        user=make_staff("SC"),
        body={"file": b"%PDF"},
        media_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert errors_of(response) == [("file", "extension")]


def test_a_page_past_the_end_of_a_list_is_a_documented_404(api_schema, wsgi_app) -> None:
    FundingCallFactory()

    response = call(api_schema, wsgi_app, "GET", "/api/v1/calls/", query={"page": 99})

    assert response.status_code == 404


def test_a_token_that_is_not_valid_is_a_documented_401_even_where_signing_in_is_optional(
    api_schema, wsgi_app
) -> None:
    response = call(api_schema, wsgi_app, "GET", "/api/v1/calls/", token="not-a-token")

    assert response.status_code == 401


def test_a_body_the_operation_does_not_read_is_a_documented_415(api_schema, wsgi_app) -> None:
    response = call(
        api_schema,
        wsgi_app,
        "POST",
        "/api/v1/auth/token/",
        data=b"email=a@example.test",
        content_type="text/plain",
    )

    assert response.status_code == 415


def test_a_body_that_is_not_json_is_a_documented_400(api_schema, wsgi_app) -> None:
    response = call(
        api_schema,
        wsgi_app,
        "PATCH",
        "/api/v1/auth/me/",
        user=make_applicant(),
        data=b"{not json",
        content_type="application/json",
    )

    assert response.status_code == 400
    assert errors_of(response) == [(None, "parse_error")]


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.REVIEWER, Role.ADMIN])
def test_an_unknown_province_in_the_unit_search_is_refused_naming_it(api_schema, wsgi_app, role) -> None:
    response = call(
        api_schema,
        wsgi_app,
        "GET",
        "/api/v1/organizations/",
        user=UserFactory(role=role),
        query={"province": "X"},
    )

    assert response.status_code == 400
    assert errors_of(response) == [("province", "invalid_choice")]


def test_a_nul_character_in_the_unit_search_is_refused_before_it_reaches_the_database(
    api_schema, wsgi_app
) -> None:
    response = call(
        api_schema,
        wsgi_app,
        "GET",
        "/api/v1/organizations/",
        user=make_applicant(),
        query={"search": "巴渝\x00"},
    )

    assert response.status_code == 400
    assert errors_of(response) == [("search", "null_characters_not_allowed")]


def test_a_form_with_more_fields_than_django_reads_is_refused_in_json_naming_the_limit(
    api_schema, wsgi_app, settings
) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    form = "&".join(f"expected={n}" for n in range(11)).encode()

    response = call(
        api_schema,
        wsgi_app,
        "POST",
        "/api/v1/auth/token/",
        data=form,
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert errors_of(response) == [(None, "too_many_fields")]
    assert response.json()["detail"] == "The body has more than 10 fields."


def test_an_unknown_assignment_is_a_404_in_the_language_of_the_request(api_schema, wsgi_app) -> None:
    response = call(
        api_schema,
        wsgi_app,
        "GET",
        "/api/v1/assignments/{id}/",
        user=make_staff("CQ"),
        path_parameters={"id": 987654},
    )

    assert response.status_code == 404
    assert response.json()["detail"] == "There is no assignment with this id."


@pytest.mark.parametrize("path", ["/api/v1/calls/{id}/notices/", "/api/v1/calls/{id}/assignments/run/"])
def test_an_unknown_call_is_a_404_in_the_language_of_the_request(api_schema, wsgi_app, path) -> None:
    response = call(api_schema, wsgi_app, "GET", path, user=make_staff("SC"), path_parameters={"id": 987654})

    assert response.status_code == 404
    assert response.json()["detail"] == "There is no call with this id."


def test_the_schema_declares_the_framework_errors_of_every_operation(api_schema) -> None:
    for result in api_schema.get_all_operations():
        operation = result.ok()
        responses = set(operation.definition.raw["responses"])
        assert "401" in responses, operation.label
        if "{id}" in operation.path:
            assert "404" in responses, operation.label
        if "requestBody" in operation.definition.raw:
            assert {"400", "415"} <= responses, operation.label


def test_the_schema_is_loaded_from_the_portal_itself(api_schema) -> None:
    assert isinstance(api_schema, schemathesis.BaseSchema)
    assert api_schema.raw_schema["info"]["title"] == "Sichuan–Chongqing Joint R&D Portal API"
