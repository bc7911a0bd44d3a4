"""Signing in to the API: a token for the right email and password (and one-time code where the
account needs one), clear refusals for everything else, lockout after repeated failures."""

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.throttling import ScopedRateThrottle

from applications.models import CallStatus
from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from tests.factories import FundingCallFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # the factories' password
OTP_REQUIRED = "A one-time code from your authenticator app is required for this account."
WRONG_CREDENTIALS = "The email address or the password is wrong."


@pytest.fixture(autouse=True)
def _fast_hashing_and_fresh_throttle(settings, monkeypatch, request) -> None:
    # Lockout tests hash a password per attempt; the default hasher takes most of a second.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The throttle counts requests per address in the cache: each test starts from zero,
    # and never touches a shared (Redis) cache.
    monkeypatch.setattr(ScopedRateThrottle, "cache", LocMemCache(f"throttle-{request.node.nodeid}", {}))


def token_url() -> str:
    return reverse("auth_api:token")


def ask_token(client, language: str = "en", **data):
    return client.post(token_url(), data, format="json", HTTP_ACCEPT_LANGUAGE=language)


def current_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


@pytest.fixture
def applicant():
    return UserFactory(email="applicant@example.test", role=Role.APPLICANT)


@pytest.fixture
def staff():
    return UserFactory(email="staff.sc@example.test", role=Role.BUREAU_STAFF, province="SC")


@pytest.fixture
def staff_device(staff) -> TOTPDevice:
    return TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)


class TestSignIn:
    def test_it_gives_a_token_for_the_right_email_and_password(self, api_client, applicant) -> None:
        response = ask_token(api_client, email="applicant@example.test", password=PASSWORD)

        assert response.status_code == 200
        assert response.json() == {"token": Token.objects.get(user=applicant).key}

    def test_it_gives_the_same_token_at_the_next_sign_in(self, api_client, applicant) -> None:
        first = ask_token(api_client, email=applicant.email, password=PASSWORD).json()["token"]
        second = ask_token(api_client, email=applicant.email, password=PASSWORD).json()["token"]

        assert first == second
        assert Token.objects.filter(user=applicant).count() == 1

    def test_it_takes_the_email_in_any_case(self, api_client, applicant) -> None:
        response = ask_token(api_client, email=" Applicant@Example.TEST ", password=PASSWORD)

        assert response.status_code == 200

    def test_it_records_the_new_token_in_the_audit_trail_without_the_secret(
        self, api_client, applicant
    ) -> None:
        token = ask_token(api_client, email=applicant.email, password=PASSWORD).json()["token"]

        event = AuditEvent.objects.get(action="auth.token_issue")
        assert (event.actor, event.object_id) == (applicant, str(applicant.pk))
        assert token not in f"{event.object_repr} {event.data}"

    def test_the_token_authenticates_later_requests(self, api_client, staff) -> None:
        draft = FundingCallFactory(status=CallStatus.DRAFT)
        token = ask_token(api_client, email=staff.email, password=PASSWORD).json()["token"]

        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        response = api_client.get(reverse("api-calls-list"))

        # Only signed-in bureau staff see draft calls.
        assert [call["id"] for call in response.json()["results"]] == [draft.pk]


class TestRefusals:
    def test_a_wrong_password_answers_400_naming_the_rule(self, api_client, applicant) -> None:
        response = ask_token(api_client, email=applicant.email, password="not-the-password")

        assert response.status_code == 400
        assert response.json() == {
            "detail": WRONG_CREDENTIALS,
            "errors": [{"field": None, "code": "wrong_credentials", "message": WRONG_CREDENTIALS}],
        }
        assert not Token.objects.exists()

    def test_an_unknown_email_answers_exactly_like_a_wrong_password(self, api_client, applicant) -> None:
        unknown = ask_token(api_client, email="nobody@example.test", password=PASSWORD)
        wrong = ask_token(api_client, email=applicant.email, password="not-the-password")

        assert unknown.status_code == wrong.status_code == 400
        assert unknown.json() == wrong.json()

    def test_an_inactive_account_answers_like_a_wrong_password(self, api_client) -> None:
        UserFactory(email="gone@example.test", is_active=False)

        response = ask_token(api_client, email="gone@example.test", password=PASSWORD)

        assert response.status_code == 400
        assert response.json()["errors"][0]["code"] == "wrong_credentials"

    def test_missing_fields_answer_400_naming_each_field(self, api_client) -> None:
        response = ask_token(api_client)

        assert response.status_code == 400
        assert response.json()["errors"] == [
            {"field": "email", "code": "required", "message": "This field is required."},
            {"field": "password", "code": "required", "message": "This field is required."},
        ]
        assert response.json()["detail"] == "The request has 2 problems; see errors."

    def test_the_messages_follow_the_request_language(self, api_client) -> None:
        response = ask_token(api_client, language="zh-hans", password=PASSWORD)

        assert response.json()["errors"] == [
            {"field": "email", "code": "required", "message": "该字段是必填项。"}
        ]

    def test_an_email_that_is_no_address_answers_400_on_email(self, api_client) -> None:
        response = ask_token(api_client, email="not an address", password=PASSWORD)

        assert response.status_code == 400
        assert [error["field"] for error in response.json()["errors"]] == ["email"]

    def test_a_wrong_token_answers_401_in_json(self, api_client) -> None:
        api_client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

        response = api_client.get(reverse("api-calls-list"), HTTP_ACCEPT_LANGUAGE="en")

        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert response.json() == {
            "detail": "Invalid token.",
            "errors": [{"field": None, "code": "authentication_failed", "message": "Invalid token."}],
        }

    def test_it_throttles_more_than_20_requests_a_minute(self, api_client) -> None:
        for _attempt in range(20):
            assert ask_token(api_client).status_code == 400

        response = ask_token(api_client)

        assert response.status_code == 429
        assert response.json()["errors"][0]["code"] == "throttled"
        assert "Retry-After" in response

    def test_a_forged_forwarded_for_header_does_not_escape_the_throttle(self, api_client) -> None:
        for attempt in range(20):
            forged = {"HTTP_X_FORWARDED_FOR": f"198.51.100.{attempt}"}
            assert api_client.post(token_url(), {}, format="json", **forged).status_code == 400

        response = api_client.post(token_url(), {}, format="json", HTTP_X_FORWARDED_FOR="198.51.100.99")

        assert response.status_code == 429


class TestLockout:
    # Both ways axes may be told where the login is: its default (the user model's "email")
    # and "username", the name Django's login form uses.
    @pytest.fixture(autouse=True, params=["email", "username"])
    def _axes_on(self, settings, request) -> None:
        settings.AXES_ENABLED = True
        settings.AXES_FAILURE_LIMIT = 3
        settings.AXES_USERNAME_FORM_FIELD = request.param

    def test_it_locks_the_account_after_repeated_failures_and_says_so_in_json(
        self, api_client, applicant
    ) -> None:
        for _attempt in range(2):
            assert ask_token(api_client, email=applicant.email, password="guess").status_code == 400

        locked = ask_token(api_client, email=applicant.email, password="guess")
        still_locked = ask_token(api_client, email=applicant.email, password=PASSWORD)

        assert locked.status_code == still_locked.status_code == 429
        assert locked["Content-Type"] == "application/json"
        assert still_locked.json()["errors"][0]["code"] == "locked_out"
        assert "Try again in 15 minutes" in still_locked.json()["detail"]
        assert still_locked["Retry-After"] == "900"
        assert not Token.objects.exists()

    def test_the_lockout_concerns_one_account_not_everyone_at_the_address(
        self, api_client, applicant
    ) -> None:
        for _attempt in range(3):
            ask_token(api_client, email="someone.else@example.test", password="guess")

        assert ask_token(api_client, email=applicant.email, password=PASSWORD).status_code == 200

    def test_a_successful_sign_in_clears_earlier_failures(self, api_client, applicant) -> None:
        for _attempt in range(2):
            ask_token(api_client, email=applicant.email, password="guess")
        assert ask_token(api_client, email=applicant.email, password=PASSWORD).status_code == 200

        for _attempt in range(2):
            assert ask_token(api_client, email=applicant.email, password="guess").status_code == 400


class TestSecondFactor:
    @pytest.fixture(autouse=True)
    def _second_factor_required(self, settings) -> None:
        settings.PORTAL_REQUIRE_2FA = True

    def test_staff_without_a_code_are_asked_for_one(self, api_client, staff, staff_device) -> None:
        response = ask_token(api_client, email=staff.email, password=PASSWORD)

        assert response.status_code == 400
        assert response.json() == {
            "detail": f"otp: {OTP_REQUIRED}",
            "errors": [{"field": "otp", "code": "otp_required", "message": OTP_REQUIRED}],
        }
        assert not Token.objects.exists()

    def test_staff_with_a_wrong_code_are_refused_on_otp(self, api_client, staff, staff_device) -> None:
        wrong = f"{(int(current_code(staff_device)) + 1) % 1_000_000:06d}"

        response = ask_token(api_client, email=staff.email, password=PASSWORD, otp=wrong)

        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == "otp"
        assert response.json()["errors"][0]["code"] == "otp_wrong"
        assert not Token.objects.exists()

    def test_staff_with_the_current_code_get_a_token(self, api_client, staff, staff_device) -> None:
        response = ask_token(api_client, email=staff.email, password=PASSWORD, otp=current_code(staff_device))

        assert response.status_code == 200
        assert response.json() == {"token": Token.objects.get(user=staff).key}

    def test_a_code_of_an_unconfirmed_device_does_not_count(self, api_client, staff) -> None:
        device = TOTPDevice.objects.create(user=staff, name="half set up", confirmed=False)

        response = ask_token(api_client, email=staff.email, password=PASSWORD, otp=current_code(device))

        assert response.status_code == 400
        assert response.json()["errors"][0]["code"] == "otp_not_set_up"

    def test_administrators_need_the_code_too(self, api_client) -> None:
        admin = UserFactory(role=Role.ADMIN)
        TOTPDevice.objects.create(user=admin, name="phone", confirmed=True)

        response = ask_token(api_client, email=admin.email, password=PASSWORD)

        assert response.json()["errors"][0]["code"] == "otp_required"

    def test_the_wrong_password_is_refused_before_the_code_is_asked_for(
        self, api_client, staff, staff_device
    ) -> None:
        response = ask_token(api_client, email=staff.email, password="guess")

        assert response.json()["errors"][0]["code"] == "wrong_credentials"

    def test_applicants_need_no_code(self, api_client, applicant) -> None:
        assert ask_token(api_client, email=applicant.email, password=PASSWORD).status_code == 200

    def test_staff_need_no_code_where_the_portal_does_not_require_it(
        self, api_client, settings, staff, staff_device
    ) -> None:
        settings.PORTAL_REQUIRE_2FA = False

        assert ask_token(api_client, email=staff.email, password=PASSWORD).status_code == 200


class TestSignOut:
    def test_delete_revokes_the_token(self, api_client, applicant) -> None:
        token = ask_token(api_client, email=applicant.email, password=PASSWORD).json()["token"]
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

        response = api_client.delete(token_url())

        assert response.status_code == 204
        assert not Token.objects.filter(user=applicant).exists()
        assert AuditEvent.objects.filter(action="auth.token_revoke", actor=applicant).exists()
        assert api_client.get(reverse("api-calls-list")).status_code == 401

    def test_delete_without_a_token_answers_401(self, api_client) -> None:
        response = api_client.delete(token_url(), HTTP_ACCEPT_LANGUAGE="en")

        assert response.status_code == 401
        assert response.json()["errors"][0]["code"] == "not_authenticated"
