"""``/healthz`` against the real database and Redis broker, and what it says when Redis goes down."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from bench.load.services import Redis

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_it_answers_ok_with_the_database_and_the_broker_checked(client: Client) -> None:
    response = client.get(reverse("shell:healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "down": [], "checks": {"database": "ok", "broker": "ok"}}


def test_it_names_the_broker_when_redis_stops_answering(
    client: Client, settings: Any, throwaway_redis: Redis
) -> None:
    settings.REDIS_URL = throwaway_redis.url
    up = client.get(reverse("shell:healthz"))
    assert up.status_code == 200
    assert up.json()["checks"] == {"database": "ok", "broker": "ok"}

    throwaway_redis.stop()
    down = client.get(reverse("shell:healthz"))

    assert down.status_code == 503
    body = down.json()
    assert body["status"] == "down" and body["down"] == ["broker"]
    assert body["checks"]["database"] == "ok" and body["checks"]["broker"].startswith("down")
