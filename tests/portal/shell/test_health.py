"""``/healthz`` reports what is down: the view's answers, without any external service."""

import socket
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_broker(settings: Any) -> None:
    settings.REDIS_URL = ""


def closed_port() -> int:
    """A local port that nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_it_answers_ok_and_checks_only_the_database_without_a_broker(client: Client, no_broker: None) -> None:
    response = client.get(reverse("shell:healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "down": [], "checks": {"database": "ok"}}
    assert "no-cache" in response["Cache-Control"]


def test_it_answers_503_naming_the_database_when_the_database_fails(
    client: Client, no_broker: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def database_down() -> str:
        raise OperationalError("could not connect to server")

    monkeypatch.setattr("portal.shell.health._database", database_down)

    response = client.get(reverse("shell:healthz"))

    assert response.status_code == 503
    assert response.json() == {
        "status": "down",
        "down": ["database"],
        "checks": {"database": "down: OperationalError"},
    }


def test_it_answers_503_naming_the_broker_when_nothing_answers_at_redis_url(
    client: Client, settings: Any
) -> None:
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"

    response = client.get(reverse("shell:healthz"))

    assert response.status_code == 503
    assert response.json()["down"] == ["broker"]
    assert response.json()["checks"]["database"] == "ok"


def test_it_answers_only_get(client: Client, no_broker: None) -> None:
    assert client.post(reverse("shell:healthz")).status_code == 405
    assert client.get(reverse("shell:healthz")).status_code == 200


def test_a_head_request_gets_the_status_without_a_body(client: Client, no_broker: None) -> None:
    # Load balancers often probe with HEAD.
    response = client.head(reverse("shell:healthz"))

    assert response.status_code == 200
    assert response.content == b""


def test_a_post_is_refused_with_405(client: Client, no_broker: None) -> None:
    assert client.post(reverse("shell:healthz")).status_code == 405
