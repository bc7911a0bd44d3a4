"""The language switch: Simplified Chinese by default, English on request, nothing else."""

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

SETLANG = reverse("shell:set_language")


def test_pages_are_in_chinese_by_default(client):
    response = client.get("/calls/")

    assert '<html lang="zh-hans">' in response.text


def test_switching_to_english_sets_the_cookie_and_returns_to_the_page(client):
    response = client.post(SETLANG, {"language": "en", "next": "/calls/?field=ai"})

    assert response.status_code == 302
    assert response["Location"] == "/calls/?field=ai"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_after_the_switch_pages_are_in_english(client):
    client.post(SETLANG, {"language": "en", "next": "/"})

    response = client.get("/calls/")

    assert '<html lang="en">' in response.text
    assert "Calls" in response.text


def test_switching_back_to_chinese(client):
    client.post(SETLANG, {"language": "en", "next": "/"})
    client.post(SETLANG, {"language": "zh-hans", "next": "/"})

    assert '<html lang="zh-hans">' in client.get("/").text


def test_an_unknown_language_is_a_400_that_names_the_parameter(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.post(SETLANG, {"language": "fr", "next": "/"})

    assert response.status_code == 400
    page = response.text
    assert "Unknown language “fr” in the parameter “language”" in page
    assert "zh-hans, en" in page
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_a_missing_language_is_a_400_too(client):
    response = client.post(SETLANG, {"next": "/"})

    assert response.status_code == 400


def test_the_switch_answers_only_post(client):
    response = client.get(SETLANG, {"language": "en"})

    assert response.status_code == 405
    assert response["Allow"] == "POST"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/path", "javascript:alert(1)"])
def test_the_switch_never_redirects_to_another_site(client, next_url):
    response = client.post(SETLANG, {"language": "en", "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_without_next_the_switch_returns_to_the_referring_page(client):
    response = client.post(SETLANG, {"language": "en"}, HTTP_REFERER="http://testserver/calls/")

    assert response["Location"] == "http://testserver/calls/"


def test_accept_language_english_gives_english_pages(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert '<html lang="en">' in response.text
    assert "Joint key R&D projects of Sichuan and Chongqing" in response.text


def test_the_cookie_wins_over_accept_language(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")

    assert '<html lang="zh-hans">' in response.text


def test_every_page_offers_both_languages_with_the_current_page_as_next(client):
    page = client.get("/calls/?field=ai").text

    assert f'action="{SETLANG}"' in page
    assert 'name="next" id="language-next" value="/calls/?field=ai"' in page
    assert 'value="zh-hans" lang="zh-hans" aria-pressed="true">简体中文</button>' in page
    assert 'value="en" lang="en" aria-pressed="false">English</button>' in page


def test_the_switch_needs_the_csrf_token():
    from django.test import Client

    client = Client(enforce_csrf_checks=True)

    response = client.post(SETLANG, {"language": "en", "next": "/"})

    assert response.status_code == 403
    assert "403_csrf.html" in [t.name for t in response.templates]
