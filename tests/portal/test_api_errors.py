"""Every API error is JSON of one shape, names the field at fault, speaks the request's language,
and bad input never becomes a 500."""

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from rest_framework import exceptions, serializers

from portal.api_errors import exception_handler, page_not_found
from portal.fields import validate_id_number
from tests.factories import make_id_number


class MemberSerializer(serializers.Serializer):
    name = serializers.CharField()
    id_number = serializers.CharField(validators=[validate_id_number])


class ApplicationSerializer(serializers.Serializer):
    title = serializers.CharField()
    team = MemberSerializer(many=True)

    def validate(self, attrs: dict) -> dict:
        if attrs["title"] == "same":
            raise serializers.ValidationError("The title must differ from last year's.", code="repeated")
        return attrs


def with_wrong_check_character(id_number: str) -> str:
    return id_number[:-1] + ("1" if id_number[-1] == "0" else "0")


def handled(exc: Exception) -> tuple[int, dict]:
    response = exception_handler(exc, {})
    return response.status_code, response.data


def serializer_errors(data: dict) -> exceptions.ValidationError:
    serializer = ApplicationSerializer(data=data)
    assert not serializer.is_valid()
    return exceptions.ValidationError(serializer.errors)


class TestShape:
    def test_nested_errors_name_dotted_field_paths(self) -> None:
        valid = {"name": "张三", "id_number": make_id_number(1)}
        wrong = {"name": "李四", "id_number": with_wrong_check_character(make_id_number(2))}

        status, body = handled(serializer_errors({"title": "Smart farms", "team": [valid, wrong]}))

        assert status == 400
        [error] = body["errors"]
        assert error["field"] == "team.1.id_number"
        assert error["code"] == "check"
        assert "GB 11643" in error["message"]
        assert body["detail"] == f"team.1.id_number: {error['message']}"

    def test_errors_of_the_whole_object_have_no_field(self) -> None:
        status, body = handled(serializer_errors({"title": "same", "team": []}))

        assert status == 400
        assert body["errors"] == [
            {"field": None, "code": "repeated", "message": "The title must differ from last year's."}
        ]

    def test_several_errors_are_each_listed_and_counted_in_the_summary(self) -> None:
        with translation.override("en"):
            _status, body = handled(serializer_errors({"team": [{"name": ""}]}))

        assert [(error["field"], error["code"]) for error in body["errors"]] == [
            ("title", "required"),
            ("team.0.name", "blank"),
            ("team.0.id_number", "required"),
        ]
        assert body["detail"] == "The request has 3 problems; see errors."

    def test_the_summary_speaks_the_default_language_chinese(self) -> None:
        _status, body = handled(serializer_errors({"team": [{"name": ""}]}))

        assert body["detail"] == "请求有3处问题，详见 errors。"

    def test_a_django_validation_error_from_a_service_becomes_a_400(self) -> None:
        error = DjangoValidationError(
            {"budget": DjangoValidationError("The budget exceeds the cap.", code="over_cap")}
        )

        status, body = handled(error)

        assert status == 400
        assert body["errors"] == [
            {"field": "budget", "code": "over_cap", "message": "The budget exceeds the cap."}
        ]

    def test_a_django_404_becomes_a_json_404(self) -> None:
        status, body = handled(Http404())

        assert status == 404
        assert body["errors"][0]["code"] == "not_found"
        assert body["detail"] == body["errors"][0]["message"]

    def test_an_error_that_is_no_api_error_is_left_to_django(self) -> None:
        assert exception_handler(ZeroDivisionError(), {}) is None


@pytest.mark.django_db
class TestOverHttp:
    def test_malformed_json_answers_400_naming_the_parse_problem(self, api_client) -> None:
        response = api_client.post(
            reverse("auth_api:token"), '{"email": "a@b.test",', content_type="application/json"
        )

        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        [error] = response.json()["errors"]
        assert error["field"] is None
        assert error["code"] == "parse_error"
        assert "JSON parse error" in error["message"]
        assert "line 1 column" in error["message"]

    @pytest.mark.parametrize("body", ["[]", '"text"', "null", "42"])
    def test_json_that_is_no_object_answers_400(self, api_client, body) -> None:
        response = api_client.post(reverse("auth_api:token"), body, content_type="application/json")

        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] is None

    def test_a_body_of_an_unsupported_type_answers_415(self, api_client) -> None:
        response = api_client.post(reverse("auth_api:token"), "email", content_type="text/plain")

        assert response.status_code == 415
        assert response.json()["errors"][0]["code"] == "unsupported_media_type"

    def test_a_method_the_endpoint_does_not_have_answers_405(self, api_client) -> None:
        response = api_client.post(reverse("api-calls-list"), {}, format="json", HTTP_ACCEPT_LANGUAGE="en")

        assert response.status_code == 405
        assert response.json() == {
            "detail": 'Method "POST" not allowed.',
            "errors": [
                {"field": None, "code": "method_not_allowed", "message": 'Method "POST" not allowed.'}
            ],
        }

    def test_errors_speak_chinese_by_default_and_english_on_request(self, api_client) -> None:
        chinese = api_client.post(reverse("auth_api:token"), {}, format="json")
        english = api_client.post(reverse("auth_api:token"), {}, format="json", HTTP_ACCEPT_LANGUAGE="en")

        assert chinese.json()["errors"][0]["message"] == "该字段是必填项。"
        assert english.json()["errors"][0]["message"] == "This field is required."

    def test_an_unknown_language_falls_back_to_chinese(self, api_client) -> None:
        response = api_client.post(reverse("auth_api:token"), {}, format="json", HTTP_ACCEPT_LANGUAGE="xx-YY")

        assert response.status_code == 400
        assert response.json()["errors"][0]["message"] == "该字段是必填项。"

    def test_a_page_number_past_the_end_answers_404(self, api_client) -> None:
        response = api_client.get(reverse("api-calls-list"), {"page": "99"})

        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "not_found"


class TestPageNotFound:
    def test_an_unknown_api_address_answers_json(self) -> None:
        request = RequestFactory().get("/api/v1/nothing-here/")

        response = page_not_found(request, Http404())

        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert b'"code": "not_found"' in response.content

    @pytest.mark.django_db
    def test_an_unknown_page_outside_the_api_is_left_to_the_site(self) -> None:
        request = RequestFactory().get("/nothing-here/")

        response = page_not_found(request, Http404())

        assert response.status_code == 404
        assert not response["Content-Type"].startswith("application/json")
