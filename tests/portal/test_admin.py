"""The admin: every model opens in Chinese and English, the audit trail is read-only, and bad input
gives the form back with the rule instead of an error page."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from applications.models import CallField, FundingCall, GuideTask
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from portal.audit.services import audit_record
from portal.jobs.services import job_create
from portal.organizations.models import Organization
from portal.validators import USCC_ALPHABET
from reviews.models import Criterion
from reviews.services.rubric import criteria_copy_default
from tests.factories import (
    CallFieldFactory,
    FundingCallFactory,
    GuideTaskFactory,
    OrganizationFactory,
    ResearchFieldFactory,
    UserFactory,
    make_id_number,
    make_uscc,
)

pytestmark = pytest.mark.django_db

LANGUAGES = ("zh-hans", "en")
MODELS = (
    "accounts_user",
    "organizations_organization",
    "audit_auditevent",
    "jobs_job",
    "applications_fundingcall",
    "applications_researchfield",
    "applications_guidetask",
    "reviews_criterion",
)
READ_ONLY_MODELS = ("audit_auditevent", "jobs_job")
VALID = "91110000600037341L"
FAILING = VALID[:-1] + USCC_ALPHABET[(USCC_ALPHABET.index("L") + 1) % len(USCC_ALPHABET)]


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin_user():
    return User.objects.create_superuser(email="admin@demo.test", password="demo-pass-2021", full_name="赵磊")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def some_rows(admin_user):
    """One row of each model, so that lists and change pages show data."""
    call = FundingCallFactory()
    field = ResearchFieldFactory(code="ai")
    CallFieldFactory(call=call, field=field, quota=5)
    task = GuideTaskFactory(call=call, field=field, code="CY2021-AI-01")
    unit = OrganizationFactory()
    criteria = criteria_copy_default(call=call, by=admin_user)
    job = job_create(kind="call.guide_pdf", obj=call, by=admin_user)
    audit_record(actor=admin_user, action="test.event", obj=unit)
    return {
        "accounts_user": admin_user,
        "organizations_organization": unit,
        "audit_auditevent": AuditEvent.objects.first(),
        "jobs_job": job,
        "applications_fundingcall": call,
        "applications_researchfield": field,
        "applications_guidetask": task,
        "reviews_criterion": criteria[0],
    }


def in_language(client, language: str):
    client.cookies["portal_language"] = language
    return client


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("model", MODELS)
def test_the_administrator_can_open_the_list_of_each_model(admin_client, some_rows, model, language):
    response = in_language(admin_client, language).get(reverse(f"admin:{model}_changelist"))
    assert response.status_code == 200
    assert f'lang="{language}"' in response.text
    assert str(some_rows[model].pk) in response.text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("model", [m for m in MODELS if m not in READ_ONLY_MODELS])
def test_the_administrator_can_open_the_add_page_of_each_model(admin_client, model, language):
    response = in_language(admin_client, language).get(reverse(f"admin:{model}_add"))
    assert response.status_code == 200
    assert f'lang="{language}"' in response.text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("model", MODELS)
def test_the_administrator_can_open_the_page_of_each_row(admin_client, some_rows, model, language):
    url = reverse(f"admin:{model}_change", args=[some_rows[model].pk])
    response = in_language(admin_client, language).get(url)
    assert response.status_code == 200


def test_pages_follow_the_language_cookie(admin_client):
    english = in_language(admin_client, "en").get(reverse("admin:organizations_organization_changelist"))
    assert "Select unit to change" in english.text
    chinese = in_language(admin_client, "zh-hans").get(reverse("admin:organizations_organization_changelist"))
    assert "选择" in chinese.text
    assert "Select unit to change" not in chinese.text


def test_the_accept_language_header_works_too(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="en")
    assert 'lang="en"' in response.text


def test_the_call_page_shows_its_fields_tasks_and_rubric_inline(admin_client, some_rows):
    call = some_rows["applications_fundingcall"]
    response = in_language(admin_client, "en").get(
        reverse("admin:applications_fundingcall_change", args=[call.pk])
    )
    assert "CY2021-AI-01" in response.text
    assert 'name="call_fields-0-quota"' in response.text
    assert 'name="criteria-0-weight"' in response.text


@pytest.mark.parametrize("model", READ_ONLY_MODELS)
def test_audit_events_and_jobs_cannot_be_added_changed_or_deleted(admin_client, some_rows, model):
    obj = some_rows[model]
    assert admin_client.get(reverse(f"admin:{model}_add")).status_code == 403
    assert admin_client.get(reverse(f"admin:{model}_delete", args=[obj.pk])).status_code == 403
    assert admin_client.post(reverse(f"admin:{model}_change", args=[obj.pk]), {}).status_code == 403
    listing = admin_client.get(reverse(f"admin:{model}_changelist"))
    assert "delete_selected" not in listing.text
    assert reverse(f"admin:{model}_add") not in listing.text
    bulk_delete = admin_client.post(
        reverse(f"admin:{model}_changelist"), {"action": "delete_selected", "_selected_action": [obj.pk]}
    )
    assert bulk_delete.status_code in (200, 302)
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_the_audit_list_filters_by_action_and_object_type(admin_client, some_rows):
    url = reverse("admin:audit_auditevent_changelist")
    response = admin_client.get(url, {"action": "test.event"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    response = admin_client.get(url, {"object_type": "applications.fundingcall"})
    assert (
        response.context["cl"].result_count
        == AuditEvent.objects.filter(object_type="applications.fundingcall").count()
    )
    response = admin_client.get(url, {"q": "test.event"})
    assert response.context["cl"].result_count == 1


def _add_tasks(count: int) -> None:
    call = FundingCall.objects.first() or FundingCallFactory()
    GuideTaskFactory.create_batch(count, call=call, field=ResearchFieldFactory(code="ai"))


def _add_audit_events(count: int) -> None:
    for _ in range(count):
        audit_record(actor=UserFactory(), action="test.event", obj=OrganizationFactory())


def _add_users(count: int) -> None:
    UserFactory.create_batch(count, organization=OrganizationFactory())


@pytest.mark.parametrize(
    ("model", "add_rows"),
    [
        ("applications_guidetask", _add_tasks),
        ("audit_auditevent", _add_audit_events),
        ("accounts_user", _add_users),
    ],
)
def test_list_queries_do_not_grow_with_rows(admin_client, model, add_rows):
    url = reverse(f"admin:{model}_changelist")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(url).status_code == 200
        return len(captured)

    add_rows(2)
    with_two = queries()
    add_rows(48)
    assert queries() == with_two


def selected_in(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None, name
    return re.findall(r'<option value="(\d+)" selected>', select.group(1))


def test_the_call_page_queries_do_not_grow_with_tasks_and_each_row_keeps_its_field(admin_client):
    call = FundingCallFactory()
    ai, eco = ResearchFieldFactory(code="ai"), ResearchFieldFactory(code="eco")
    GuideTaskFactory(call=call, field=ai, position=1)
    GuideTaskFactory(call=call, field=eco, position=2)
    url = reverse("admin:applications_fundingcall_change", args=[call.pk])
    # The first page of a process also fills the content-type cache: counted only once warm.
    admin_client.get(url)

    with CaptureQueriesContext(connection) as with_two:
        response = admin_client.get(url)
    assert selected_in(response.text, "tasks-0-field") == [str(ai.pk)]
    assert selected_in(response.text, "tasks-1-field") == [str(eco.pk)]
    GuideTaskFactory.create_batch(30, call=call, field=eco, position=3)
    with CaptureQueriesContext(connection) as with_many:
        assert admin_client.get(url).status_code == 200
    assert len(with_many) == len(with_two)


def unit_post(**overrides: str) -> dict[str, str]:
    return {
        "name": "巴渝理工大学",
        "name_en": "Bayu University of Technology",
        "uscc": VALID,
        "org_type": "university",
        "registered_province": "CQ",
        "located_province": "CQ",
        "address": "重庆市沙坪坝区",
        "uscc_override_reason": "",
        **overrides,
    }


def test_adding_a_unit_goes_through_the_service(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:organizations_organization_add"), unit_post(uscc=VALID.lower())
    )
    assert response.status_code == 302
    unit = Organization.objects.get()
    assert unit.uscc == VALID
    assert AuditEvent.objects.get(action="organization.create").actor == admin_user


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_unit_with_a_failing_code_gets_the_form_back_with_the_rule(admin_client, language):
    response = in_language(admin_client, language).post(
        reverse("admin:organizations_organization_add"), unit_post(uscc=FAILING)
    )
    assert response.status_code == 200
    assert "GB 32100" in response.text
    assert response.context["adminform"].form.errors["uscc"]
    assert not Organization.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"uscc": "9111000060003734\x00L"},
        {"uscc": ""},
        {"uscc": "x" * 500},
        {"name": ""},
        {"name": "巴渝\x00理工"},
        {"org_type": "castle"},
        {"registered_province": "XX"},
    ],
)
def test_bad_unit_input_gets_the_form_back_not_an_error_page(admin_client, overrides):
    response = admin_client.post(reverse("admin:organizations_organization_add"), unit_post(**overrides))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Organization.objects.exists()


def test_a_failing_code_with_an_override_reason_is_saved_with_who_and_why(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:organizations_organization_add"),
        unit_post(uscc=FAILING, uscc_override_reason="营业执照原件已核对"),
    )
    assert response.status_code == 302
    unit = Organization.objects.get()
    assert (unit.uscc, unit.uscc_override_by, unit.uscc_override_reason) == (
        FAILING,
        admin_user,
        "营业执照原件已核对",
    )
    assert unit.uscc_override_at is not None
    assert AuditEvent.objects.get(action="organization.uscc_override").actor == admin_user


def test_a_staff_account_without_a_staff_role_cannot_override(client):
    clerk = UserFactory(role=Role.APPLICANT, is_staff=True, is_superuser=True)
    client.force_login(clerk)
    response = client.post(
        reverse("admin:organizations_organization_add"),
        unit_post(uscc=FAILING, uscc_override_reason="why not"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Only bureau staff" in response.text
    assert not Organization.objects.exists()


def test_changing_a_unit_keeps_its_override_and_audits_the_change(admin_client, admin_user):
    admin_client.post(
        reverse("admin:organizations_organization_add"),
        unit_post(uscc=FAILING, uscc_override_reason="已核对"),
    )
    unit = Organization.objects.get()
    response = admin_client.post(
        reverse("admin:organizations_organization_change", args=[unit.pk]),
        unit_post(name="巴渝理工大学（新校区）", uscc=FAILING, uscc_override_reason="已核对"),
    )
    assert response.status_code == 302
    unit.refresh_from_db()
    assert (unit.name, unit.uscc_override_reason) == ("巴渝理工大学（新校区）", "已核对")
    update = AuditEvent.objects.get(action="organization.update")
    assert update.data["changes"] == {"name": ["巴渝理工大学", "巴渝理工大学（新校区）"]}


def user_post(**overrides: str) -> dict[str, str]:
    return {
        "email": "New.Person@Example.test",
        "full_name": "陈静",
        "role": Role.APPLICANT,
        "province": "",
        "organization": "",
        "usable_password": "true",
        "password1": "a-long-pass-2021!",
        "password2": "a-long-pass-2021!",
        **overrides,
    }


def test_the_administrator_can_add_a_user_who_signs_in_by_email(admin_client, client):
    response = admin_client.post(reverse("admin:accounts_user_add"), user_post())
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.test")
    assert user.check_password("a-long-pass-2021!")
    assert AuditEvent.objects.filter(action="user.create", object_id=str(user.pk)).exists()
    assert "password1" not in AuditEvent.objects.get(action="user.create").data["changed"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "ADMIN@demo.test"}, "email"),
        ({"email": "not an address"}, "email"),
        ({"role": Role.BUREAU_STAFF}, "province"),
        ({"password2": "something-else-2021"}, "password2"),
        ({"password1": "123", "password2": "123"}, "password2"),
        ({"organization": "999999"}, "organization"),
        ({"role": "emperor"}, "role"),
    ],
)
def test_bad_user_input_gets_the_form_back_naming_the_field(admin_client, admin_user, overrides, field):
    response = admin_client.post(reverse("admin:accounts_user_add"), user_post(**overrides))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert User.objects.count() == 1


def user_change_post(user: User, **overrides: str) -> dict[str, str]:
    return {
        "email": user.email,
        "full_name": user.full_name,
        "id_type": "resident_id",
        "id_number": "",
        "birth_date": "",
        "title": "",
        "degree": "",
        "phone": "",
        "role": user.role,
        "province": user.province,
        "organization": "",
        "is_active": "on",
        "date_joined_0": "2021-03-01",
        "date_joined_1": "09:00:00",
        **overrides,
    }


def test_an_id_number_failing_its_check_gets_the_form_back_with_the_rule(admin_client):
    person = UserFactory()
    bad = make_id_number(31)[:-1] + ("0" if make_id_number(31)[-1] != "0" else "1")
    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[person.pk]), user_change_post(person, id_number=bad)
    )
    assert response.status_code == 200
    assert "GB 11643" in " ".join(response.context["adminform"].form.errors["id_number"])


def test_a_valid_id_number_fills_the_birth_date(admin_client):
    person = UserFactory()
    unit = OrganizationFactory()
    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[person.pk]),
        user_change_post(person, id_number=make_id_number(31).lower(), organization=str(unit.pk)),
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.id_number == make_id_number(31)
    assert str(person.birth_date) == "1980-05-17"
    assert person.organization == unit


def test_the_administrator_can_change_a_password(admin_client, client):
    person = UserFactory(email="someone@example.test")
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[person.pk]),
        {"password1": "a-new-pass-2021!", "password2": "a-new-pass-2021!", "usable_password": "true"},
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password("a-new-pass-2021!")
    assert AuditEvent.objects.get(action="user.password_set").object_id == str(person.pk)
    assert client.login(email="someone@example.test", password="a-new-pass-2021!")


def test_a_password_set_by_the_administrator_revokes_the_api_token(admin_client):
    from rest_framework.authtoken.models import Token

    person = UserFactory()
    Token.objects.create(user=person)
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[person.pk]),
        {"password1": "a-new-pass-2021!", "password2": "a-new-pass-2021!", "usable_password": "true"},
    )
    assert response.status_code == 302
    assert not Token.objects.filter(user=person).exists()
    assert AuditEvent.objects.filter(action="auth.token_revoke", object_id=str(person.pk)).count() == 1


def test_the_password_page_opens_in_english(admin_client):
    person = UserFactory()
    response = in_language(admin_client, "en").get(
        reverse("admin:auth_user_password_change", args=[person.pk])
    )
    assert response.status_code == 200
    assert 'lang="en"' in response.text


def management(prefix: str, total: int = 0, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def call_post(**overrides: str) -> dict[str, str]:
    return {
        "year": "2022",
        "status": "draft",
        "title_zh": "2022年川渝联合实施重点研发项目",
        "title_en": "2022 joint call",
        "description_zh": "",
        "description_en": "",
        "opens_at_0": "2022-03-01",
        "opens_at_1": "09:00:00",
        "submit_deadline_0": "2022-04-01",
        "submit_deadline_1": "17:00:00",
        "endorse_deadline_0": "2022-04-08",
        "endorse_deadline_1": "17:00:00",
        "publicity_working_days": "5",
        "budget_sc": "20000000.00",
        "budget_cq": "20000000.00",
        "per_project_cap": "2000000.00",
        "pi_limit": "1",
        "member_limit": "2",
        "min_duration_months": "12",
        "max_duration_months": "36",
        "min_self_raised_ratio": "0",
        "max_indirect_rate": "0.2",
        "reviewers_per_application": "5",
        "min_reviewers_per_province": "2",
        "disagreement_threshold": "20",
        "notice_number_format": "川渝联研〔{year}〕{number}号",
        **management("call_fields"),
        **management("tasks"),
        **management("criteria"),
        **overrides,
    }


def test_the_administrator_can_add_a_call_with_a_field_quota(admin_client):
    field = ResearchFieldFactory(code="eco")
    response = admin_client.post(
        reverse("admin:applications_fundingcall_add"),
        call_post(
            **management("call_fields", total=1),
            **{"call_fields-0-field": str(field.pk), "call_fields-0-quota": "3"},
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    call = FundingCall.objects.get()
    assert CallField.objects.get(call=call).quota == 3
    assert AuditEvent.objects.filter(action="call.create").exists()
    assert AuditEvent.objects.filter(action="callfield.create").exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"submit_deadline_0": "2022-02-01"},
        {"endorse_deadline_0": "2022-03-15"},
        {"min_duration_months": "48"},
        {"notice_number_format": "川渝联研〔{year}〕{no}号"},
        {"notice_number_format": "{"},
        {"budget_sc": "-1"},
        {"budget_sc": "a lot"},
        {"max_indirect_rate": "1.5"},
        {"reviewers_per_application": "2"},
        {"opens_at_0": "2022-02-30"},
        {"title_zh": "川渝\x00联合"},
        {"status": "party"},
    ],
)
def test_bad_call_input_gets_the_form_back_not_an_error_page(admin_client, overrides):
    response = admin_client.post(reverse("admin:applications_fundingcall_add"), call_post(**overrides))
    assert response.status_code == 200
    assert response.context["errors"]
    assert not FundingCall.objects.exists()


def test_a_field_twice_in_one_call_gets_the_form_back(admin_client):
    field = ResearchFieldFactory(code="eco")
    rows = {
        **management("call_fields", total=2),
        "call_fields-0-field": str(field.pk),
        "call_fields-0-quota": "3",
        "call_fields-1-field": str(field.pk),
        "call_fields-1-quota": "2",
    }
    response = admin_client.post(reverse("admin:applications_fundingcall_add"), call_post(**rows))
    assert response.status_code == 200
    assert not FundingCall.objects.exists()


def test_a_task_code_twice_in_one_call_gets_the_form_back(admin_client):
    existing = GuideTaskFactory(code="CY2022-AI-01")
    response = admin_client.post(
        reverse("admin:applications_guidetask_add"),
        {
            "call": str(existing.call.pk),
            "field": str(existing.field.pk),
            "code": "CY2022-AI-01",
            "position": "2",
            "title_zh": "另一个任务",
            "title_en": "",
            "description_zh": "",
            "description_en": "",
            "demand_source": "",
            "cap": "",
            "quota": "1",
        },
    )
    assert response.status_code == 200
    assert GuideTask.objects.count() == 1


def test_the_rubric_action_gives_a_call_its_criteria(admin_client):
    call = FundingCallFactory()
    response = admin_client.post(
        reverse("admin:applications_fundingcall_changelist"),
        {"action": "copy_default_rubric", "_selected_action": [call.pk]},
    )
    assert response.status_code == 302
    assert sum(c.weight for c in Criterion.objects.filter(call=call)) == Decimal("100")
    assert AuditEvent.objects.get(action="call.criteria_copy_default").object_id == str(call.pk)


def test_the_criteria_list_filters_by_call(admin_client):
    first, second = FundingCallFactory(), FundingCallFactory(year=2022)
    criteria_copy_default(call=first, by=None)
    criteria_copy_default(call=second, by=None)
    response = admin_client.get(reverse("admin:reviews_criterion_changelist"), {"call__id__exact": first.pk})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 6


def test_the_task_list_filters_by_call_and_field_and_searches_codes_and_titles(admin_client):
    call = FundingCallFactory()
    ai, eco = ResearchFieldFactory(code="ai"), ResearchFieldFactory(code="eco")
    GuideTaskFactory(call=call, field=ai, code="CY2021-AI-01", title_zh="智能制造")
    GuideTaskFactory(call=call, field=eco, code="CY2021-ECO-01", title_zh="生态屏障")
    GuideTaskFactory(field=ai, code="CY2022-AI-01")
    url = reverse("admin:applications_guidetask_changelist")
    assert admin_client.get(url, {"call__id__exact": call.pk}).context["cl"].result_count == 2
    assert admin_client.get(url, {"field__id__exact": ai.pk}).context["cl"].result_count == 2
    assert admin_client.get(url, {"q": "ECO-01"}).context["cl"].result_count == 1
    assert admin_client.get(url, {"q": "生态"}).context["cl"].result_count == 1


def test_a_unit_in_use_cannot_be_deleted_and_says_why(admin_client):
    unit = OrganizationFactory()
    UserFactory(organization=unit)
    response = admin_client.post(
        reverse("admin:organizations_organization_delete", args=[unit.pk]), {"post": "yes"}
    )
    assert response.status_code == 200
    assert Organization.objects.filter(pk=unit.pk).exists()


def test_deleting_an_unused_unit_is_audited(admin_client):
    unit = OrganizationFactory(uscc=make_uscc(4242))
    response = admin_client.post(
        reverse("admin:organizations_organization_delete", args=[unit.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Organization.objects.filter(pk=unit.pk).exists()
    assert AuditEvent.objects.get(action="organization.delete").object_id == str(unit.pk)


def test_the_admin_has_the_language_switch_and_speaks_both_languages(client):
    from tests.factories import UserFactory

    admin_user = UserFactory(role="admin", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    english = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="language" value="zh-hans"' in english and "Site administration" not in english
    assert "Administration" in english
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/admin/"})
    chinese = client.get("/admin/").content.decode()
    assert 'lang="zh-hans"' in chinese and "注销" in chinese  # Django's own admin catalogue


def test_the_admin_cannot_mint_api_tokens_or_edit_groups(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(role="admin", is_staff=True, is_superuser=True))
    assert client.get("/admin/authtoken/tokenproxy/").status_code == 404
    assert client.get("/admin/auth/group/").status_code == 404


def test_removing_a_lost_authenticator_is_audited(client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import UserFactory

    admin_user = UserFactory(role="admin", is_staff=True, is_superuser=True)
    staff = UserFactory(role="bureau_staff", province="CQ")
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client.force_login(admin_user)
    response = client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.exists()
    assert AuditEvent.objects.filter(action="totp_device.delete", actor=admin_user).exists()


def test_a_signed_in_person_without_admin_access_is_told_so_not_sent_round_in_circles(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(role="bureau_staff", province="CQ"))
    response = client.get("/admin/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "may not use the administration site" in response.content.decode()
    assert len(response.redirect_chain) == 1


def test_an_anonymous_visitor_of_the_admin_goes_to_the_portal_sign_in(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
