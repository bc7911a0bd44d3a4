"""Forgotten passwords: a link by email (queued, sent after commit), then a new password."""

import re

import pytest
from django.core import mail

from portal.audit.models import AuditEvent
from portal.mail.models import OutgoingEmail
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def ask_for_link(client, django_capture_on_commit_callbacks, email: str):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/accounts/password/reset/", {"email": email}, HTTP_ACCEPT_LANGUAGE="en")


def test_the_sign_in_page_links_to_the_reset(client):
    assert "/accounts/password/reset/" in client.get("/accounts/login/").content.decode()


def test_a_known_address_gets_a_link_that_sets_a_new_password(client, django_capture_on_commit_callbacks):
    user = UserFactory(email="pi@example.test")
    response = ask_for_link(client, django_capture_on_commit_callbacks, "PI@example.test")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-new-Secret-2021", "new_password2": "a-new-Secret-2021"},
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-new-Secret-2021")
    assert AuditEvent.objects.filter(action="user.password_change", object_id=str(user.pk)).exists()
    assert OutgoingEmail.objects.get().body == ""  # the link is not kept


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, django_capture_on_commit_callbacks):
    response = ask_for_link(client, django_capture_on_commit_callbacks, "nobody@example.test")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []


def test_a_malformed_address_is_named(client, django_capture_on_commit_callbacks):
    response = ask_for_link(client, django_capture_on_commit_callbacks, "not-an-address")
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()


def test_a_used_link_says_it_is_no_longer_valid(client):
    response = client.get("/accounts/password/reset/MQ/set-password/", HTTP_ACCEPT_LANGUAGE="en")
    assert "This link is no longer valid" in response.content.decode()


def test_changing_the_password_ends_the_api_tokens(client):
    from rest_framework.authtoken.models import Token

    user = UserFactory()
    Token.objects.create(user=user)
    client.force_login(user)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "correct-horse-battery",
            "new_password1": "Another-Secret-42",
            "new_password2": "Another-Secret-42",
        },
    )
    assert response.status_code == 302
    assert not Token.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action="auth.token_revoke", object_id=str(user.pk)).exists()
