"""Self-service registration: an inactive account, a confirmation link by email (queued, sent
after commit, not kept), then sign-in. A researcher may ask to join a unit at once; a research
office registers its unit (the GB 32100 rule, no override) and becomes its administrator."""

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.http import urlsafe_base64_encode

from portal.accounts.models import User
from portal.accounts.registration import user_register
from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from portal.mail.models import OutgoingEmail
from portal.organizations.models import MembershipRequest, MembershipStatus, Organization
from tests.factories import OrganizationFactory, UserFactory, make_uscc

pytestmark = pytest.mark.django_db

PASSWORD = "Chengdu-Chongqing-2021"
VALID_USCC = "91110000600037341L"
CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/accounts/register/confirm/\S+/)")


def person(**overrides: str) -> dict[str, str]:
    return {
        "email": "Li.Ming@Example.test",
        "full_name": "李明",
        "phone": "028-12345678",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "kind": "researcher",
        **overrides,
    }


def unit_fields(**overrides: str) -> dict[str, str]:
    return {
        "name": "巴渝理工大学",
        "name_en": "Bayu University of Technology",
        "uscc": VALID_USCC,
        "org_type": "university",
        "registered_province": "CQ",
        "located_province": "CQ",
        "address": "重庆市巴南区红光大道69号",
        **overrides,
    }


def register(client, django_capture_on_commit_callbacks, data: dict[str, str]):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post("/accounts/register/", data, HTTP_ACCEPT_LANGUAGE="en")


def confirmation_path() -> str:
    return CONFIRM_LINK.search(mail.outbox[-1].body).group(1)


def sign_in(client, email: str, password: str = PASSWORD):
    return client.post("/accounts/login/", {"username": email, "password": password})


# ---- The happy paths ------------------------------------------------------------------------


def test_the_sign_in_page_and_the_anonymous_navigation_link_to_registration(client):
    page = client.get("/accounts/login/").content.decode()
    assert page.count('href="/accounts/register/"') == 2  # the navigation and the sign-in card


def test_the_registration_page_offers_both_ways(client):
    page = client.get("/accounts/register/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "I am a researcher" in page
    assert "I register my unit (research office / unit administrator)" in page
    assert 'name="uscc"' in page and 'name="organization"' in page


def test_a_researcher_registers_confirms_by_email_and_then_signs_in(
    client, django_capture_on_commit_callbacks
):
    unit = OrganizationFactory(name="巴渝理工大学")
    response = register(client, django_capture_on_commit_callbacks, person(organization=str(unit.pk)))

    assert response.status_code == 302 and response["Location"] == "/accounts/register/sent/"
    user = User.objects.get(email="li.ming@example.test")
    assert (user.is_active, user.role, user.organization) == (False, Role.APPLICANT, None)
    assert user.check_password(PASSWORD) and user.phone == "028-12345678"
    request = MembershipRequest.objects.get(user=user)
    assert (request.organization, request.status) == (unit, MembershipStatus.PENDING)
    assert AuditEvent.objects.filter(action="user.register", object_id=str(user.pk)).exists()
    queued = OutgoingEmail.objects.get(kind="account_confirmation")
    assert queued.to == user.email and queued.sensitive
    assert queued.body == ""  # sent, and the link is not kept
    assert sign_in(client, user.email).status_code == 200  # not before the link is opened

    confirmed = client.get(confirmation_path(), HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert confirmed.redirect_chain == [("/accounts/login/", 302)]
    assert "Your email address is confirmed" in confirmed.content.decode()
    user.refresh_from_db()
    assert user.is_active
    assert AuditEvent.objects.filter(action="user.register_confirm", object_id=str(user.pk)).exists()
    assert sign_in(client, "li.ming@example.test").status_code == 302
    assert client.get("/accounts/profile/").status_code == 200


def test_a_researcher_may_leave_the_unit_for_later(client, django_capture_on_commit_callbacks):
    response = register(client, django_capture_on_commit_callbacks, person(organization=""))
    assert response.status_code == 302
    assert not MembershipRequest.objects.exists()


def test_the_unit_part_is_ignored_for_a_researcher(client, django_capture_on_commit_callbacks):
    response = register(client, django_capture_on_commit_callbacks, person(uscc="rubbish", name="x"))
    assert response.status_code == 302
    assert not Organization.objects.exists()


def test_a_research_office_registers_its_unit_and_becomes_its_administrator(
    client, django_capture_on_commit_callbacks
):
    data = person(kind="unit", **unit_fields(uscc=" 91110000600037341l "))
    response = register(client, django_capture_on_commit_callbacks, data)

    assert response.status_code == 302
    user = User.objects.get(email="li.ming@example.test")
    unit = Organization.objects.get()
    assert (unit.uscc, unit.name, unit.address) == (VALID_USCC, "巴渝理工大学", "重庆市巴南区红光大道69号")
    assert unit.uscc_override_reason == ""
    assert (user.role, user.organization, user.is_active) == (Role.UNIT_ADMIN, unit, False)
    created = AuditEvent.objects.get(action="organization.create")
    assert (created.actor, created.object_id) == (user, str(unit.pk))
    assert len(mail.outbox) == 1

    client.get(confirmation_path())
    assert sign_in(client, user.email).status_code == 302
    assert client.get("/units/members/").status_code == 200


# ---- Bad input --------------------------------------------------------------------------------


def test_a_uscc_with_a_wrong_check_character_names_the_field_and_the_rule(
    client, django_capture_on_commit_callbacks
):
    failing = VALID_USCC[:-1] + "M"
    data = person(kind="unit", uscc_override_reason="I checked it", **unit_fields(uscc=failing))
    response = register(client, django_capture_on_commit_callbacks, data)

    assert response.status_code == 200
    errors = " ".join(response.context["unit_form"].errors["uscc"])
    assert "fails the GB 32100 check" in errors and "should be L" in errors
    assert 'id="id_uscc_error"' in response.content.decode()
    assert not User.objects.exists() and not Organization.objects.exists() and mail.outbox == []


def test_a_uscc_of_the_wrong_length_names_the_rule(client, django_capture_on_commit_callbacks):
    data = person(kind="unit", **unit_fields(uscc="9111000060003734"))
    response = register(client, django_capture_on_commit_callbacks, data)
    assert "must be exactly 18 characters" in " ".join(response.context["unit_form"].errors["uscc"])


def test_a_registered_unit_is_joined_not_registered_again(client, django_capture_on_commit_callbacks):
    OrganizationFactory(uscc=VALID_USCC)
    response = register(client, django_capture_on_commit_callbacks, person(kind="unit", **unit_fields()))

    assert response.status_code == 200
    message = " ".join(response.context["unit_form"].errors["uscc"])
    assert "already registered" in message and "ask to join it" in message
    assert not User.objects.exists() and Organization.objects.count() == 1


def test_an_address_with_an_account_is_refused_on_the_email_field(client, django_capture_on_commit_callbacks):
    UserFactory(email="li.ming@example.test")
    response = register(client, django_capture_on_commit_callbacks, person())

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == ["A user with this email address already exists."]
    assert User.objects.count() == 1 and mail.outbox == []


def test_the_passwords_must_match_and_pass_the_validators(client, django_capture_on_commit_callbacks):
    mismatch = register(client, django_capture_on_commit_callbacks, person(password2="Something-else-42"))
    assert "didn’t match" in " ".join(mismatch.context["form"].errors["password2"])
    short = register(client, django_capture_on_commit_callbacks, person(password1="abc", password2="abc"))
    assert "too short" in " ".join(short.context["form"].errors["password2"])
    assert not User.objects.exists()


def test_every_mistake_shows_at_once(client, django_capture_on_commit_callbacks):
    data = person(kind="unit", full_name="", **unit_fields(uscc="", name=""))
    response = register(client, django_capture_on_commit_callbacks, data)
    assert "full_name" in response.context["form"].errors
    assert {"uscc", "name"} <= set(response.context["unit_form"].errors)


def test_control_characters_are_refused(client, django_capture_on_commit_callbacks):
    data = person(kind="unit", full_name="李\x07明", **unit_fields(address="重庆\x1b市"))
    response = register(client, django_capture_on_commit_callbacks, data)
    assert "control characters" in " ".join(response.context["form"].errors["full_name"])
    assert "control characters" in " ".join(response.context["unit_form"].errors["address"])
    assert not User.objects.exists()


def test_the_service_keeps_nothing_when_the_unit_is_refused():
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        user_register(
            email="pi@example.test",
            full_name="李明",
            phone="1",
            password=PASSWORD,
            unit=unit_fields(name="巴渝\x00理工"),
        )
    assert "name" in caught.value.message_dict
    assert not User.objects.exists() and not Organization.objects.exists()
    assert not OutgoingEmail.objects.exists() and not AuditEvent.objects.exists()


def test_the_service_offers_no_uscc_override(django_capture_on_commit_callbacks):
    with pytest.raises(TypeError):
        user_register(
            email="pi@example.test",
            full_name="李明",
            phone="1",
            password=PASSWORD,
            unit=unit_fields(uscc=VALID_USCC[:-1] + "M"),
            override_reason="checked",
        )
    with pytest.raises(ValidationError) as caught:
        user_register(
            email="pi@example.test",
            full_name="李明",
            phone="1",
            password=PASSWORD,
            unit={**unit_fields(uscc=VALID_USCC[:-1] + "M"), "override_reason": "checked"},
        )
    assert "check" in [error.code for error in caught.value.error_dict["uscc"]]


def test_a_signed_in_person_is_sent_home(client):
    client.force_login(UserFactory())
    assert client.get("/accounts/register/")["Location"] == "/"


# ---- The confirmation link ---------------------------------------------------------------


def test_a_used_link_shows_a_clear_page(client, django_capture_on_commit_callbacks):
    register(client, django_capture_on_commit_callbacks, person())
    path = confirmation_path()
    assert client.get(path).status_code == 302

    again = client.get(path, HTTP_ACCEPT_LANGUAGE="en")

    assert again.status_code == 400
    assert "This confirmation link is not valid" in again.content.decode()
    assert AuditEvent.objects.filter(action="user.register_confirm").count() == 1


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/register/confirm/MQ/abc-def/",
        "/accounts/register/confirm/not-base64!/abc-def/",
        f"/accounts/register/confirm/{urlsafe_base64_encode(b'9' * 40)}/abc-def/",
    ],
    ids=["wrong-token", "bad-uid", "huge-uid"],
)
def test_a_bad_link_shows_a_clear_page(client, path):
    UserFactory(is_active=False)
    response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "This confirmation link is not valid" in response.content.decode()


def test_a_reset_link_does_not_confirm_an_account(client, django_capture_on_commit_callbacks):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes

    user = UserFactory(is_active=False)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    response = client.get(f"/accounts/register/confirm/{uid}/{default_token_generator.make_token(user)}/")
    assert response.status_code == 400
    user.refresh_from_db()
    assert not user.is_active


def test_an_unconfirmed_account_cannot_sign_in(client):
    user = UserFactory(is_active=False)
    response = sign_in(client, user.email, "correct-horse-battery")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_email_carries_the_link_in_the_page_language(client, django_capture_on_commit_callbacks):
    register(client, django_capture_on_commit_callbacks, person())
    assert mail.outbox[0].subject == "Confirm your account on the Sichuan–Chongqing Joint R&D Portal"
    assert "Dear 李明" in mail.outbox[0].body
    assert mail.outbox[0].to == ["li.ming@example.test"]


def test_two_units_with_different_codes_register_separately(client, django_capture_on_commit_callbacks):
    register(client, django_capture_on_commit_callbacks, person(kind="unit", **unit_fields()))
    other = person(email="wang@example.test", kind="unit", **unit_fields(uscc=make_uscc(7)))
    assert register(client, django_capture_on_commit_callbacks, other).status_code == 302
    assert Organization.objects.count() == 2


def test_the_units_administrator_hears_of_a_join_request_once_the_account_is_confirmed(
    client, django_capture_on_commit_callbacks
):
    unit = OrganizationFactory(name="巴渝理工大学")
    admin = UserFactory(role=Role.UNIT_ADMIN, organization=unit)
    register(client, django_capture_on_commit_callbacks, person(organization=str(unit.pk)))
    assert not OutgoingEmail.objects.filter(to=admin.email).exists()  # not for an unconfirmed account

    client.get(confirmation_path())

    (told,) = OutgoingEmail.objects.filter(to=admin.email, kind="membership_request")
    assert "巴渝理工大学" in told.subject and "/units/members/" in told.body
