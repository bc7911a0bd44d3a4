"""The cache degrades while Redis is down: the throttles it holds stop counting for a while,
and the pages that use them answer as usual instead of failing (portal/cache.py)."""

import socket

import pytest
from django.core.cache import caches
from django.urls import reverse

from reviews.models import Objection
from tests.reviews.publicity_factories import VALID, announced_call


def closed_port() -> int:
    """A local port that nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    return caches["default"]


def test_reads_miss_and_writes_are_dropped_while_redis_is_down(cache_down) -> None:
    assert cache_down.get("key", "default") == "default"
    assert cache_down.get_many(["a", "b"]) == {}
    assert cache_down.add("key", 1) is False
    assert cache_down.set("key", 1) is None
    assert cache_down.delete("key") is False
    assert cache_down.has_key("key") is False
    with pytest.raises(ValueError, match="not found"):
        cache_down.incr("key")


@pytest.mark.django_db
def test_the_api_sign_in_answers_while_the_cache_is_down(cache_down, api_client) -> None:
    response = api_client.post(reverse("auth_api:token"), {}, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] in {"email", "password"}


@pytest.mark.django_db
def test_an_objection_is_filed_while_the_cache_is_down(cache_down, client) -> None:
    publicity, (award,) = announced_call(1)

    response = client.post(
        reverse("public:objection_new", args=[publicity.call.pk]), {"award": award.pk, **VALID}
    )

    assert response.status_code == 302
    assert Objection.objects.filter(award=award).count() == 1
