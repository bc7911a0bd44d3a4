"""Units: the services keep the GB 32100 rule, let only staff override it with a reason, and audit."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from portal.organizations.forms import OrganizationForm
from portal.organizations.models import Organization
from portal.organizations.services import organization_create, organization_update
from portal.validators import USCC_ALPHABET
from tests.factories import OrganizationFactory, UserFactory, make_uscc

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    # The messages are asserted in English; the portal's default is Chinese.
    with translation.override("en"):
        yield


VALID = "91110000600037341L"


def failing(code: str) -> str:
    """The same code with a wrong check character."""
    wrong = USCC_ALPHABET[(USCC_ALPHABET.index(code[-1]) + 1) % len(USCC_ALPHABET)]
    return code[:-1] + wrong


def unit_data(**overrides: str) -> dict[str, str]:
    return {
        "name": "巴渝理工大学",
        "name_en": "Bayu University of Technology",
        "uscc": VALID,
        "org_type": "university",
        "registered_province": "CQ",
        "located_province": "CQ",
        **overrides,
    }


@pytest.fixture
def applicant():
    return UserFactory(role=Role.APPLICANT)


@pytest.fixture
def staff():
    return UserFactory(role=Role.BUREAU_STAFF, province="SC")


def codes_of(error: ValidationError, field: str = "uscc") -> list[str]:
    return [e.code for e in error.error_dict[field]]


def test_it_creates_a_unit_with_a_normalised_valid_code_and_audits_it(applicant):
    unit = organization_create(by=applicant, **unit_data(uscc=" 91110000600037341l "))
    unit.refresh_from_db()
    assert unit.uscc == VALID
    assert unit.uscc_override_by is None
    assert unit.uscc_override_reason == ""
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.object_id) == ("organization.create", applicant, str(unit.pk))


def test_it_ignores_an_override_reason_when_the_code_is_valid(staff):
    unit = organization_create(by=staff, override_reason="checked the licence", **unit_data())
    assert unit.uscc_override_reason == ""
    assert not AuditEvent.objects.filter(action="organization.uscc_override").exists()


def test_it_refuses_a_code_with_a_wrong_check_character_naming_the_rule(applicant):
    with pytest.raises(ValidationError) as caught:
        organization_create(by=applicant, **unit_data(uscc=failing(VALID)))
    assert "check" in codes_of(caught.value)
    messages = " ".join(caught.value.message_dict["uscc"])
    assert "GB 32100" in messages
    assert "should be L" in messages
    assert not Organization.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("code", "rule"),
    [("91110000600037341", "length"), ("91110000600037341LX", "length"), ("9111000060003734IL", "alphabet")],
)
def test_staff_cannot_override_a_code_of_the_wrong_length_or_alphabet(staff, code, rule):
    with pytest.raises(ValidationError) as caught:
        organization_create(by=staff, override_reason="the licence says so", **unit_data(uscc=code))
    assert codes_of(caught.value) == [rule]
    assert not Organization.objects.exists()


def test_it_refuses_a_code_another_unit_holds(applicant):
    organization_create(by=applicant, **unit_data())
    with pytest.raises(ValidationError) as caught:
        organization_create(by=applicant, **unit_data(name="另一个单位", uscc=VALID.lower()))
    assert codes_of(caught.value) == ["duplicate"]
    assert Organization.objects.count() == 1


def test_staff_may_accept_a_failing_code_with_a_reason_which_is_recorded_and_audited(staff):
    before = timezone.now()
    unit = organization_create(
        by=staff, override_reason="营业执照原件核对无误，登记机关赋码有误", **unit_data(uscc=failing(VALID))
    )
    unit.refresh_from_db()
    assert unit.uscc == failing(VALID)
    assert unit.uscc_override_by == staff
    assert unit.uscc_override_at >= before
    assert unit.uscc_override_reason == "营业执照原件核对无误，登记机关赋码有误"
    override = AuditEvent.objects.get(action="organization.uscc_override")
    assert (override.actor, override.reason, override.object_id) == (
        staff,
        "营业执照原件核对无误，登记机关赋码有误",
        str(unit.pk),
    )
    assert AuditEvent.objects.filter(action="organization.create", actor=staff).exists()


def test_an_administrator_may_override_too():
    admin = UserFactory(role=Role.ADMIN)
    unit = organization_create(by=admin, override_reason="licence checked", **unit_data(uscc=failing(VALID)))
    assert unit.uscc_override_by == admin


def test_an_applicant_may_not_override_a_failing_code(applicant):
    with pytest.raises(ValidationError) as caught:
        organization_create(by=applicant, override_reason="trust me", **unit_data(uscc=failing(VALID)))
    assert codes_of(caught.value) == ["check", "override_not_allowed"]
    assert not Organization.objects.exists()
    assert not AuditEvent.objects.exists()


def test_staff_must_give_a_reason_to_accept_a_failing_code(staff):
    with pytest.raises(ValidationError) as caught:
        organization_create(by=staff, override_reason="   ", **unit_data(uscc=failing(VALID)))
    assert codes_of(caught.value) == ["check", "override_needed"]


def test_it_refuses_other_bad_fields_by_name(applicant):
    with pytest.raises(ValidationError) as caught:
        organization_create(by=applicant, **unit_data(name="", org_type="castle"))
    assert set(caught.value.message_dict) == {"name", "org_type"}


def test_update_changes_the_fields_and_audits_what_changed(applicant):
    unit = OrganizationFactory(name="旧名称")
    organization_update(organization=unit, by=applicant, name="新名称", located_province="SC")
    unit.refresh_from_db()
    assert (unit.name, unit.located_province, unit.registered_province) == ("新名称", "SC", "CQ")
    event = AuditEvent.objects.get(action="organization.update")
    assert event.data["changes"] == {"name": ["旧名称", "新名称"], "located_province": ["CQ", "SC"]}


def test_update_with_nothing_changed_writes_nothing(applicant):
    unit = OrganizationFactory()
    organization_update(organization=unit, by=applicant, name=unit.name)
    assert not AuditEvent.objects.exists()


def test_update_compares_with_the_stored_row_not_unsaved_edits(applicant):
    unit = OrganizationFactory(name="旧名称")
    unit.name = "新名称"  # as the admin's form does before saving
    organization_update(organization=unit, by=applicant, name="新名称")
    assert AuditEvent.objects.get().data["changes"] == {"name": ["旧名称", "新名称"]}


def test_update_refuses_a_code_another_unit_holds(applicant):
    other = OrganizationFactory()
    unit = OrganizationFactory()
    with pytest.raises(ValidationError) as caught:
        organization_update(organization=unit, by=applicant, uscc=other.uscc)
    assert codes_of(caught.value) == ["duplicate"]


def test_update_keeps_an_override_while_the_code_is_untouched(staff, applicant):
    unit = organization_create(by=staff, override_reason="licence checked", **unit_data(uscc=failing(VALID)))
    organization_update(organization=unit, by=applicant, name="改名后的单位")
    unit.refresh_from_db()
    assert (unit.name, unit.uscc_override_by, unit.uscc_override_reason) == (
        "改名后的单位",
        staff,
        "licence checked",
    )


def test_update_refuses_emptying_the_reason_of_a_failing_code(staff):
    unit = organization_create(by=staff, override_reason="licence checked", **unit_data(uscc=failing(VALID)))
    with pytest.raises(ValidationError) as caught:
        organization_update(organization=unit, by=staff, override_reason="")
    assert codes_of(caught.value) == ["check", "override_needed"]


def test_correcting_the_code_clears_the_override(staff):
    unit = organization_create(by=staff, override_reason="licence checked", **unit_data(uscc=failing(VALID)))
    organization_update(organization=unit, by=staff, uscc=VALID)
    unit.refresh_from_db()
    assert (unit.uscc, unit.uscc_override_by, unit.uscc_override_at, unit.uscc_override_reason) == (
        VALID,
        None,
        None,
        "",
    )


def test_changing_to_another_failing_code_needs_a_new_override(staff, applicant):
    unit = organization_create(by=staff, override_reason="licence checked", **unit_data(uscc=failing(VALID)))
    other_failing = failing(make_uscc(77))
    with pytest.raises(ValidationError):
        organization_update(organization=unit, by=applicant, uscc=other_failing)
    organization_update(
        organization=unit, by=staff, uscc=other_failing, override_reason="second licence checked"
    )
    unit.refresh_from_db()
    assert (unit.uscc, unit.uscc_override_reason) == (other_failing, "second licence checked")
    assert AuditEvent.objects.filter(action="organization.uscc_override").count() == 2


def form_data(**overrides: str) -> dict[str, str]:
    return {**unit_data(), "address": "", "uscc_override_reason": "", **overrides}


def test_the_form_names_the_field_and_the_rule(applicant):
    form = OrganizationForm(data=form_data(uscc=failing(VALID)), by=applicant)
    assert not form.is_valid()
    assert "GB 32100" in " ".join(form.errors["uscc"])


def test_the_form_gives_the_gb_32100_length_message_rather_than_a_generic_one(applicant):
    form = OrganizationForm(data=form_data(uscc="91110000600037341LXX"), by=applicant)
    assert not form.is_valid()
    assert "exactly 18 characters" in " ".join(form.errors["uscc"])


def test_the_form_lets_staff_accept_a_failing_code_with_a_reason(staff, applicant):
    data = form_data(uscc=failing(VALID), uscc_override_reason="licence checked")
    assert OrganizationForm(data=data, by=staff).is_valid()
    refused = OrganizationForm(data=data, by=applicant)
    assert not refused.is_valid()
    assert "Only bureau staff" in " ".join(refused.errors["uscc"])


def test_the_form_refuses_a_duplicate_code_on_the_field(applicant):
    OrganizationFactory(uscc=VALID)
    form = OrganizationForm(data=form_data(uscc=VALID.lower()), by=applicant)
    assert not form.is_valid()
    assert "already registered" in " ".join(form.errors["uscc"])


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name_en": "Bayu\x00University"}, "name_en"),
        ({"address": "重庆市\x00沙坪坝区"}, "address"),
        ({"uscc": failing(VALID), "override_reason": "licence\x00checked"}, "uscc_override_reason"),
    ],
)
def test_it_refuses_control_characters_in_free_text(staff, overrides, field):
    with pytest.raises(ValidationError) as caught:
        organization_create(by=staff, **{**unit_data(), **overrides})
    assert field in caught.value.message_dict
    assert not Organization.objects.exists()
