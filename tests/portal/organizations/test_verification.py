"""A unit registered on the website waits for its bureau's check before it may endorse."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from applications.services import application_move, application_submit
from applications.workflow import TransitionError
from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from portal.organizations.services import organization_create, organization_verify
from tests.factories import UserFactory, make_applicant, make_ready_application, make_uscc

pytestmark = pytest.mark.django_db


def unit_fields(serial: int = 7001) -> dict:
    return {
        "name": "新注册单位",
        "uscc": make_uscc(serial, "500000"),
        "org_type": "university",
        "registered_province": "CQ",
        "located_province": "CQ",
    }


def test_a_unit_registered_by_a_person_on_the_website_is_not_verified():
    unit = organization_create(by=None, **unit_fields())

    assert not unit.is_verified


def test_a_unit_registered_by_bureau_staff_is_verified_at_once():
    staff = UserFactory(role=Role.BUREAU_STAFF, province="CQ")

    unit = organization_create(by=staff, **unit_fields())

    assert unit.is_verified
    assert unit.verified_by == staff


@pytest.fixture
def submitted_by_unverified_unit():
    application = make_ready_application()
    unit = application.lead_unit
    unit.verified_at = None
    unit.save(update_fields=["verified_at"])
    application = application_submit(application=application, by=application.pi)
    admin = UserFactory(role=Role.UNIT_ADMIN, organization=unit)
    return application, admin


def test_the_administrator_of_an_unverified_unit_cannot_endorse(submitted_by_unverified_unit):
    application, admin = submitted_by_unverified_unit

    with pytest.raises(TransitionError) as refused:
        application_move(application=application, action="endorse", by=admin)

    assert refused.value.code == "unverified"
    application.refresh_from_db()
    assert application.status == "submitted"


def test_after_staff_of_its_province_verify_the_unit_its_administrator_endorses(submitted_by_unverified_unit):
    application, admin = submitted_by_unverified_unit
    staff = UserFactory(role=Role.BUREAU_STAFF, province="CQ")

    organization_verify(organization=application.lead_unit, by=staff)
    application.lead_unit.refresh_from_db()
    application_move(application=application, action="endorse", by=admin)

    assert application.status == "endorsed"
    assert AuditEvent.objects.filter(action="organization.verify", actor=staff).count() == 1


def test_staff_of_the_other_province_may_not_verify_a_unit():
    unit = organization_create(by=None, **unit_fields())
    staff = UserFactory(role=Role.BUREAU_STAFF, province="SC")

    with pytest.raises(PermissionDenied):
        organization_verify(organization=unit, by=staff)

    unit.refresh_from_db()
    assert not unit.is_verified


def test_the_admin_action_verifies_the_units_of_the_staff_members_province(client):
    own = organization_create(by=None, **unit_fields(7002))
    other = organization_create(
        by=None, **{**unit_fields(7003), "registered_province": "SC", "located_province": "SC"}
    )
    staff = UserFactory(role=Role.BUREAU_STAFF, province="CQ", is_staff=True, is_superuser=True)
    client.force_login(staff)

    response = client.post(
        reverse("admin:organizations_organization_changelist"),
        {"action": "verify_units", "_selected_action": [own.pk, other.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )

    assert response.status_code == 200
    own.refresh_from_db()
    other.refresh_from_db()
    assert own.is_verified and not other.is_verified
    assert "1 unit(s) verified." in response.text


def test_the_unit_pages_tell_an_unverified_units_administrator_why_endorsing_waits(client):
    unit = organization_create(by=None, **unit_fields())
    admin = UserFactory(role=Role.UNIT_ADMIN, organization=unit)
    make_applicant(unit=unit)
    client.force_login(admin)

    page = client.get(reverse("applications:unit_list"), HTTP_ACCEPT_LANGUAGE="en").text

    assert "waiting to be verified by the bureau" in page
