"""Researchers join a unit: they ask, the unit's administrator approves or rejects (with a
reason) on the members page, each decision is taken once, audited and emailed. Anyone but the
unit's administrator meets a 404."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import translation

from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from portal.mail.models import OutgoingEmail
from portal.organizations.membership import membership_approve, membership_reject, membership_request
from portal.organizations.models import MembershipRequest, MembershipStatus
from portal.organizations.permissions import can_decide_membership
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def unit():
    return OrganizationFactory(name="巴渝理工大学")


@pytest.fixture
def unit_admin(unit):
    return UserFactory(role=Role.UNIT_ADMIN, organization=unit, full_name="张丽")


@pytest.fixture
def researcher():
    return UserFactory(role=Role.APPLICANT, full_name="李明", email="li.ming@example.test")


@pytest.fixture
def asked(researcher, unit):
    return membership_request(user=researcher, organization=unit)


def english(client, method: str, path: str, data: dict | None = None):
    with translation.override("en"):
        return getattr(client, method)(path, data or {}, HTTP_ACCEPT_LANGUAGE="en")


def approve(client, request_pk: int):
    return client.post(f"/units/members/requests/{request_pk}/approve/", HTTP_ACCEPT_LANGUAGE="en")


def reject(client, request_pk: int, reason: str):
    return client.post(
        f"/units/members/requests/{request_pk}/reject/", {"reason": reason}, HTTP_ACCEPT_LANGUAGE="en"
    )


# ---- Asking ---------------------------------------------------------------------------------


def test_a_researcher_asks_to_join_a_unit_from_the_unit_page(client, researcher, unit):
    client.force_login(researcher)
    form = english(client, "get", "/accounts/unit/")
    assert "Your account is not linked to a unit yet." in form.content.decode()

    response = client.post("/accounts/unit/", {"organization": unit.pk})

    assert response.status_code == 302
    request = MembershipRequest.objects.get()
    assert (request.user, request.organization, request.status) == (researcher, unit, "pending")
    assert AuditEvent.objects.filter(action="membership.request", object_id=str(request.pk)).exists()
    page = english(client, "get", "/accounts/unit/").content.decode()
    assert "You have asked to join 巴渝理工大学" in page
    assert 'name="organization"' not in page


def test_the_profile_page_links_to_the_unit_page(client, researcher):
    client.force_login(researcher)
    assert 'href="/accounts/unit/"' in client.get("/accounts/profile/").content.decode()


def test_a_second_request_is_refused_while_one_is_pending(researcher, unit, asked):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        membership_request(user=researcher, organization=OrganizationFactory())
    assert "You have already asked to join 巴渝理工大学" in caught.value.messages[0]
    assert MembershipRequest.objects.count() == 1


def test_a_person_with_a_unit_cannot_ask(unit_admin):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        membership_request(user=unit_admin, organization=OrganizationFactory())
    assert caught.value.messages == ["Your account already belongs to a unit."]


def test_posting_to_the_unit_page_with_a_pending_request_changes_nothing(client, researcher, asked):
    client.force_login(researcher)
    response = client.post("/accounts/unit/", {"organization": OrganizationFactory().pk})
    assert response.status_code == 302
    assert MembershipRequest.objects.count() == 1


def test_the_database_holds_at_most_one_pending_request_per_person(researcher, unit, asked):
    with pytest.raises(IntegrityError):
        MembershipRequest.objects.create(user=researcher, organization=OrganizationFactory())


# ---- Deciding -------------------------------------------------------------------------------


def test_the_unit_admin_approves_and_the_researcher_belongs_to_the_unit(
    client, django_capture_on_commit_callbacks, unit_admin, researcher, unit, asked
):
    client.force_login(unit_admin)
    page = english(client, "get", "/units/members/").content.decode()
    assert "李明" in page and "li.ming@example.test" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = approve(client, asked.pk)

    assert response.status_code == 302 and response["Location"] == "/units/members/"
    researcher.refresh_from_db()
    asked.refresh_from_db()
    assert researcher.organization == unit
    assert (asked.status, asked.decided_by) == (MembershipStatus.APPROVED, unit_admin)
    assert asked.decided_at is not None
    event = AuditEvent.objects.get(action="membership.approve")
    assert (event.actor, event.from_state, event.to_state) == (unit_admin, "pending", "approved")
    email = OutgoingEmail.objects.get(kind="membership_decision")
    assert email.to == researcher.email and "巴渝理工大学" in email.subject
    members = client.get("/units/members/").content.decode()
    assert "<td>李明</td>" in members


def test_a_rejection_needs_a_reason(
    client, django_capture_on_commit_callbacks, unit_admin, researcher, asked
):
    client.force_login(unit_admin)
    empty = reject(client, asked.pk, "   ")

    assert empty.status_code == 200
    assert "This field is required." in empty.content.decode()
    assert f'id="id_reject_{asked.pk}_reason"' in empty.content.decode()
    asked.refresh_from_db()
    assert asked.status == MembershipStatus.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        done = reject(client, asked.pk, "Not a member of our staff.")

    assert done.status_code == 302
    asked.refresh_from_db()
    assert (asked.status, asked.reason) == (MembershipStatus.REJECTED, "Not a member of our staff.")
    assert AuditEvent.objects.get(action="membership.reject").reason == "Not a member of our staff."
    assert "Not a member of our staff." in OutgoingEmail.objects.get(kind="membership_decision").body
    researcher.refresh_from_db()
    assert researcher.organization is None

    client.force_login(researcher)
    page = english(client, "get", "/accounts/unit/").content.decode()
    assert "Not a member of our staff." in page and 'name="organization"' in page


def test_the_service_refuses_a_rejection_without_a_reason(unit_admin, asked):
    with pytest.raises(ValidationError) as caught:
        membership_reject(membership_request=asked, by=unit_admin, reason="")
    assert "reason" in caught.value.message_dict


def test_a_double_approve_decides_once(client, django_capture_on_commit_callbacks, unit_admin, asked):
    client.force_login(unit_admin)
    with django_capture_on_commit_callbacks(execute=True):
        approve(client, asked.pk)
        second = client.post(
            f"/units/members/requests/{asked.pk}/approve/", HTTP_ACCEPT_LANGUAGE="en", follow=True
        )

    assert "This request has been decided already." in second.content.decode()
    assert AuditEvent.objects.filter(action="membership.approve").count() == 1
    assert OutgoingEmail.objects.filter(kind="membership_decision").count() == 1


def test_a_rejection_after_an_approval_changes_nothing(unit_admin, researcher, unit, asked):
    membership_approve(membership_request=asked, by=unit_admin)
    stale = MembershipRequest.objects.get(pk=asked.pk)
    stale.status = MembershipStatus.PENDING  # what a page loaded before the approval still shows
    with pytest.raises(ValidationError):
        membership_reject(membership_request=stale, by=unit_admin, reason="too late")
    asked.refresh_from_db()
    assert asked.status == MembershipStatus.APPROVED and asked.reason == ""


# ---- Who may see and decide -------------------------------------------------------------------


@pytest.fixture
def others(unit):
    return {
        "other unit's admin": UserFactory(role=Role.UNIT_ADMIN, organization=OrganizationFactory()),
        "unit admin without a unit": UserFactory(role=Role.UNIT_ADMIN),
        "member of the unit": UserFactory(role=Role.APPLICANT, organization=unit),
        "bureau staff": UserFactory(role=Role.BUREAU_STAFF, province="CQ"),
        "administrator": UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True),
        "reviewer": UserFactory(role=Role.REVIEWER),
    }


def test_nobody_but_the_units_admin_sees_the_page_or_decides(client, others, researcher, asked):
    for who, user in others.items():
        client.force_login(user)
        page = client.get("/units/members/")
        if who == "other unit's admin":
            # Their own unit's page, without this request.
            assert page.status_code == 200 and "李明" not in page.content.decode()
        else:
            assert page.status_code == 404, who
        assert approve(client, asked.pk).status_code == 404, who
        assert reject(client, asked.pk, "no").status_code == 404, who
        assert not can_decide_membership(user, asked)[0], who
    asked.refresh_from_db()
    researcher.refresh_from_db()
    assert asked.status == MembershipStatus.PENDING and researcher.organization is None


def test_an_unknown_request_is_a_404(client, unit_admin):
    client.force_login(unit_admin)
    assert approve(client, 999_999).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, asked):
    assert client.get("/units/members/")["Location"].startswith("/accounts/login/")
    assert approve(client, asked.pk)["Location"].startswith("/accounts/login/")


def test_the_service_refuses_another_units_admin(others, asked):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        membership_approve(membership_request=asked, by=others["other unit's admin"])


def test_the_unit_admin_has_the_members_page_in_the_navigation(client, unit_admin):
    client.force_login(unit_admin)
    page = english(client, "get", "/").content.decode()
    assert '<a href="/units/members/">Unit members</a>' in page


# ---- The page ---------------------------------------------------------------------------------


def test_requests_of_unconfirmed_accounts_wait_until_confirmed(client, unit_admin, unit):
    waiting = UserFactory(full_name="王未确认", is_active=False)
    membership_request(user=waiting, organization=unit)
    client.force_login(unit_admin)
    assert "王未确认" not in client.get("/units/members/").content.decode()


def test_names_are_escaped(client, unit_admin, unit):
    membership_request(user=UserFactory(full_name="<script>alert(1)</script>"), organization=unit)
    client.force_login(unit_admin)
    page = client.get("/units/members/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_members_page_costs_the_same_queries_for_2_and_50_requests(
    client, django_assert_max_num_queries, unit_admin, unit
):
    client.force_login(unit_admin)
    counts = []
    for pending in (2, 50):
        while MembershipRequest.objects.count() < pending:
            user = UserFactory()
            MembershipRequest.objects.create(user=user, organization=unit)
            UserFactory(organization=unit)  # a member too
        with django_assert_max_num_queries(10) as captured:
            response = client.get("/units/members/")
        assert response.status_code == 200
        assert len(response.context["rows"]) == pending
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_the_units_administrators_are_told_of_a_request(unit_admin, asked):
    (told,) = OutgoingEmail.objects.filter(to=unit_admin.email, kind="membership_request")
    assert "李明" in told.subject and "/units/members/" in told.body
