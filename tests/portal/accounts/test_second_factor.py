"""The second factor (TOTP): staff and administrators confirm a code before they can act,
when the portal requires it; applicants, reviewers and unit administrators are not asked."""

import re
from base64 import b32decode
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TWO_FACTOR = reverse("accounts:two_factor")


@pytest.fixture(autouse=True)
def _require_2fa(settings):
    settings.PORTAL_REQUIRE_2FA = True


@pytest.fixture
def staff(client: Client) -> User:
    user = UserFactory(role=Role.BUREAU_STAFF, province="SC", email="staff.sc@example.test")
    client.force_login(user)
    return user


def current_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    right = {current_code(device, steps_ahead=n) for n in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in right)


def test_staff_are_sent_to_set_up_the_second_factor(client, staff):
    response = client.get("/calls/?field=ai")

    assert response.status_code == 302
    assert response["Location"] == f"{TWO_FACTOR}?next={quote('/calls/?field=ai', safe='')}"


def test_the_setup_page_shows_a_qr_code_and_the_key(client, staff):
    response = client.get(TWO_FACTOR)

    assert response.status_code == 200
    assert "accounts/two_factor_setup.html" in [t.name for t in response.templates]
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert 'src="data:image/svg+xml' in response.text
    secret = response.context["secret"].replace(" ", "")
    assert b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    # Reloading the page keeps the device, so a code already scanned stays valid.
    client.get(TWO_FACTOR)
    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_after_confirming_a_code_the_page_opens(client, staff):
    client.get(TWO_FACTOR)
    device = TOTPDevice.objects.get(user=staff)

    response = client.post(TWO_FACTOR, {"token": current_code(device), "next": "/calls/"})

    assert response.status_code == 302
    assert response["Location"] == "/calls/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/calls/").status_code == 200
    assert AuditEvent.objects.filter(action="account.second_factor_setup", actor=staff).count() == 1


def test_a_wrong_code_is_refused_and_then_throttled(client, staff):
    client.get(TWO_FACTOR)
    device = TOTPDevice.objects.get(user=staff)

    with translation.override("en"):
        first = client.post(TWO_FACTOR, {"token": wrong_code(device)}, HTTP_ACCEPT_LANGUAGE="en")
        # At once again, even with the right code: django-otp's throttle makes it wait.
        second = client.post(TWO_FACTOR, {"token": current_code(device)}, HTTP_ACCEPT_LANGUAGE="en")

    assert first.status_code == 200
    assert "This code is not correct or has expired." in first.text
    assert "Too many wrong codes. Please wait" in second.text
    device.refresh_from_db()
    assert not device.confirmed
    assert device.throttling_failure_count == 1
    assert client.get("/calls/").status_code == 302


def test_a_code_that_is_not_six_digits_is_a_form_error(client, staff):
    with translation.override("en"):
        response = client.post(TWO_FACTOR, {"token": "12ab56"}, HTTP_ACCEPT_LANGUAGE="en")

    assert "Enter the 6 digits that your authenticator app shows." in response.text


def test_a_user_with_a_device_gets_the_verify_form_at_the_next_sign_in(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=True)

    response = client.get(TWO_FACTOR)

    assert "accounts/two_factor_verify.html" in [t.name for t in response.templates]
    assert "qr_data_uri" not in response.context
    response = client.post(TWO_FACTOR, {"token": current_code(device), "next": "/"})
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_an_unsafe_next_is_ignored(client, staff):
    device = TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=True)

    response = client.post(TWO_FACTOR, {"token": current_code(device), "next": "https://evil.example/"})

    assert response["Location"] == "/"


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.UNIT_ADMIN, Role.REVIEWER])
def test_roles_without_the_requirement_are_not_asked(client, role):
    client.force_login(UserFactory(role=role))

    assert client.get("/").status_code == 200
    assert client.get("/calls/").status_code == 200


def test_administrators_are_asked_too(client):
    client.force_login(UserFactory(role=Role.ADMIN, is_staff=True))

    assert client.get("/admin/")["Location"].startswith(TWO_FACTOR)


def test_an_applicant_with_the_admin_site_flag_is_asked(client):
    client.force_login(UserFactory(role=Role.APPLICANT, is_staff=True))

    assert client.get("/").status_code == 302


def test_api_paths_answer_403_json_instead_of_a_redirect(client, staff):
    with translation.override("en"):
        response = client.get("/api/v1/calls/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["errors"][0]["code"] == "second_factor_required"
    assert "second factor" in body["detail"]


def test_htmx_requests_are_sent_to_the_whole_page(client, staff):
    response = client.get("/calls/", HTTP_HX_REQUEST="true")

    assert response["HX-Redirect"].startswith(TWO_FACTOR)


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/accounts/logout/"), ("get", "/healthz"), ("get", "/static/css/portal.css")],
)
def test_sign_out_health_and_static_stay_open(client, staff, method, path):
    response = getattr(client, method)(path)

    # Sign-out redirects home and /healthz answers; static files are not ours to serve in tests.
    assert not response.get("Location", "").startswith(TWO_FACTOR)


def test_the_language_switch_stays_open(client, staff):
    response = client.post(reverse("shell:set_language"), {"language": "en", "next": TWO_FACTOR})

    assert response["Location"] == TWO_FACTOR


def test_nothing_is_asked_when_the_portal_does_not_require_it(client, staff, settings):
    settings.PORTAL_REQUIRE_2FA = False

    assert client.get("/").status_code == 200


def test_the_security_page_tells_whether_the_second_factor_is_set_up(client, settings):
    settings.PORTAL_REQUIRE_2FA = False
    user = UserFactory(role=Role.APPLICANT)
    client.force_login(user)

    with translation.override("en"):
        before = client.get(reverse("accounts:security"), HTTP_ACCEPT_LANGUAGE="en")
        TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
        after = client.get(reverse("accounts:security"), HTTP_ACCEPT_LANGUAGE="en")

    assert before.context["has_second_factor"] is False
    assert "Not set up" in before.text
    assert after.context["has_second_factor"] is True
    assert "Set up" in after.text and "Not set up" not in after.text


def test_a_throttled_device_names_the_wait(client, staff):
    device = TOTPDevice.objects.create(
        user=staff,
        name="authenticator",
        confirmed=True,
        throttling_failure_count=4,
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=1),
    )

    with translation.override("en"):
        response = client.post(TWO_FACTOR, {"token": current_code(device)}, HTTP_ACCEPT_LANGUAGE="en")

    # Four failures make it wait 5 × 2³ = 40 seconds from the last one, a second ago.
    assert re.search(r"Too many wrong codes. Please wait 3[7-9] seconds and try again.", response.text)
