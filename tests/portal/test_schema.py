"""The API documents itself: an OpenAPI schema at /api/schema/ and Swagger UI at /api/docs/,
served from installed packages; the auth and calls endpoints generate without warnings."""

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

OUR_PATHS = {
    "/api/v1/auth/token/": {"post", "delete"},
    "/api/v1/auth/me/": {"get", "patch"},
    "/api/v1/organizations/": {"get", "post"},
    "/api/v1/calls/": {"get"},
    "/api/v1/calls/{id}/": {"get"},
    "/api/v1/calls/{id}/tasks/": {"get"},
}


def test_the_schema_documents_the_auth_and_calls_endpoints(client) -> None:
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    for url, methods in OUR_PATHS.items():
        assert methods <= set(paths[url]), url


def test_the_schema_documents_the_error_shape_and_the_task_filter(client) -> None:
    schema = client.get("/api/schema/", {"format": "json"}).json()

    tasks = schema["paths"]["/api/v1/calls/{id}/tasks/"]["get"]
    assert "field" in [parameter["name"] for parameter in tasks["parameters"]]
    assert tasks["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ApiError"
    }
    assert set(schema["components"]["schemas"]["ApiError"]["properties"]) == {"detail", "errors"}


def test_the_whole_api_generates_a_valid_schema_without_warnings() -> None:
    GENERATOR_STATS.reset()

    schema = SchemaGenerator().get_schema(request=None, public=True)

    validate_schema(schema)
    assert not GENERATOR_STATS, "drf-spectacular warned; run manage.py spectacular --validate --fail-on-warn"
    assert set(OUR_PATHS) <= set(schema["paths"])


def test_swagger_ui_is_served_from_the_installed_sidecar_package(client) -> None:
    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist" in page
    assert "cdn" not in page.lower()
