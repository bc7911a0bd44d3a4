"""``manage.py seed_demo``: the 2021 call of DOMAIN.md, idempotent, valid codes, working logins."""

from datetime import time, timedelta
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.utils import timezone

from applications import demo
from applications.models import CallField, CallStatus, FundingCall, GuideTask, ResearchField
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from portal.jobs.models import Job
from portal.organizations.models import Organization
from portal.validators import check_id_number, check_uscc, id_birth_date, uscc_region_province
from reviews.models import DEFAULT_RUBRIC, Criterion

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
SEEDED_MODELS = (
    ResearchField,
    FundingCall,
    CallField,
    GuideTask,
    Organization,
    User,
    Criterion,
    AuditEvent,
    Job,
)


@pytest.fixture(autouse=True)
def _demo_settings(settings):
    # pytest-django runs tests with DEBUG off, which seed_demo treats as production.
    settings.DEBUG = True
    # The real hasher takes half a second per demo account; the logins are checked all the same.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _without_demo_applications(monkeypatch):
    # The call, units and logins only: the demo applications (about 90, through the services)
    # have their own tests in tests/applications/test_demo_applications.py.
    monkeypatch.setattr("applications.demo_applications.seed_applications", lambda stdout: [])


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def rows() -> dict[str, list[int]]:
    return {model.__name__: sorted(model.objects.values_list("pk", flat=True)) for model in SEEDED_MODELS}


def test_running_it_twice_leaves_the_same_rows():
    seed()
    first = rows()
    seed()
    assert rows() == first
    assert {name: len(pks) for name, pks in first.items()} == {
        "ResearchField": 4,
        "FundingCall": 1,
        "CallField": 4,
        "GuideTask": 32,
        # The demo's 12 units, 6 units that only lend experts and 2 units of the demo
        # applications that lend some (seeded with the pool, even without applications).
        "Organization": 20,
        # The 9 demo logins and 48 more experts.
        "User": 57,
        "Criterion": 6,
        # The rubric's creation and the guide's printing request, once each (the demo rows
        # themselves are not a person's writes), and the expert pool's import by the demo
        # administrator: the import and one event per expert profile.
        "AuditEvent": 2 + 1 + 50,
        "Job": 1,
    }


def test_it_builds_the_2021_call_with_the_four_fields_and_their_quotas():
    seed()
    call = FundingCall.objects.get()
    assert call.year == 2021
    assert call.title_zh == "2021年川渝联合实施重点研发项目"
    assert call.title_en == "2021 Sichuan–Chongqing Joint Key R&D Projects"
    quotas = {cf.field.code: cf.quota for cf in call.call_fields.select_related("field")}
    assert quotas == {"ai": 5, "health": 2, "eco": 3, "agri": 6}
    names = {f.code: (f.name_zh, f.name_en) for f in ResearchField.objects.all()}
    assert names["health"] == ("大健康", "Healthcare")
    assert names["agri"][0] == "现代农业"


def test_it_spreads_32_guide_tasks_over_the_fields_twice_each_quota():
    seed()
    call = FundingCall.objects.get()
    tasks = list(call.tasks.select_related("field"))
    assert len(tasks) == 32
    per_field = {
        code: sum(1 for t in tasks if t.field.code == code) for code in ("ai", "health", "eco", "agri")
    }
    assert per_field == {"ai": 10, "health": 4, "eco": 6, "agri": 12}
    codes = {t.code for t in tasks}
    assert {"CY2021-AI-01", "CY2021-AI-10", "CY2021-HEALTH-04", "CY2021-ECO-06", "CY2021-AGRI-12"} <= codes
    for task in tasks:
        assert task.title_zh and task.title_en and task.description_zh and task.demand_source
        assert task.code.startswith("CY2021-")
    assert len({t.title_zh for t in tasks}) == 32


def test_the_call_is_open_with_its_budgets_cap_and_a_calendar_around_today():
    seed()
    call = FundingCall.objects.get()
    now = timezone.now()
    today = now.astimezone(SHANGHAI).date()
    assert call.status == CallStatus.OPEN
    assert call.budget_sc == call.budget_cq == Decimal("20000000.00")
    assert call.per_project_cap == Decimal("2000000.00")
    assert call.opens_at.astimezone(SHANGHAI).date() == today - timedelta(days=10)
    deadline = call.submit_deadline.astimezone(SHANGHAI)
    assert deadline.date() == today + timedelta(days=30)
    assert deadline.time() == time(17, 0)
    assert call.endorse_deadline - call.submit_deadline == timedelta(days=7)
    assert call.acceptance_deadline - call.endorse_deadline == timedelta(days=14)
    assert call.opens_at < now < call.submit_deadline


def test_every_seeded_uscc_and_id_number_passes_the_validators():
    seed()
    units = list(Organization.objects.all())
    assert {u.located_province for u in units} == {"SC", "CQ"}
    for unit in units:
        assert check_uscc(unit.uscc) is None, unit.name
        assert uscc_region_province(unit.uscc) == unit.registered_province
    for province in ("SC", "CQ"):
        assert sum(1 for u in units if u.located_province == province) == 10
    # The demo's experts are known to the pool by email, unit and fields, without an ID number.
    assert User.objects.filter(id_number="").count() == 48
    for user in User.objects.exclude(id_number=""):
        assert check_id_number(user.id_number, today=timezone.localdate()) is None, user.email
        assert id_birth_date(user.id_number) == user.birth_date
        user.full_clean()


@pytest.mark.parametrize(
    ("email", "role", "province"),
    [
        ("applicant.cq@demo.test", Role.APPLICANT, "CQ"),
        ("applicant.sc@demo.test", Role.APPLICANT, "SC"),
        ("unit_admin.cq@demo.test", Role.UNIT_ADMIN, "CQ"),
        ("unit_admin.sc@demo.test", Role.UNIT_ADMIN, "SC"),
        ("staff.cq@demo.test", Role.BUREAU_STAFF, "CQ"),
        ("staff.sc@demo.test", Role.BUREAU_STAFF, "SC"),
        ("reviewer.cq@demo.test", Role.REVIEWER, "CQ"),
        ("reviewer.sc@demo.test", Role.REVIEWER, "SC"),
    ],
)
def test_each_demo_login_authenticates_with_the_published_password(email, role, province):
    seed()
    user = authenticate(RequestFactory().post("/accounts/login/"), username=email, password="demo-pass-2021")
    assert user is not None
    assert user.role == role
    if role == Role.BUREAU_STAFF:
        assert user.province == province
        assert user.organization is None
    else:
        assert user.organization.located_province == province
    assert (
        authenticate(RequestFactory().post("/accounts/login/"), username=email, password="wrong-pass") is None
    )


def test_the_demo_administrator_may_use_the_admin_site():
    seed()
    user = authenticate(
        RequestFactory().post("/accounts/login/"), username="admin@demo.test", password="demo-pass-2021"
    )
    assert user is not None
    assert (user.role, user.is_staff, user.is_superuser) == (Role.ADMIN, True, True)


def test_unit_administrators_belong_to_the_units_of_the_applicants_of_their_province():
    seed()
    for province in ("cq", "sc"):
        applicant = User.objects.get(email=f"applicant.{province}@demo.test")
        unit_admin = User.objects.get(email=f"unit_admin.{province}@demo.test")
        assert unit_admin.organization == applicant.organization


def test_a_second_run_puts_back_a_changed_demo_password():
    seed()
    user = User.objects.get(email="applicant.cq@demo.test")
    user.set_password("something-else-2021")
    user.save(update_fields=["password"])
    seed()
    user.refresh_from_db()
    assert user.check_password("demo-pass-2021")


def test_it_prints_the_demo_logins_and_the_address():
    output = seed()
    for login in demo.demo_logins():
        assert login.email in output
    assert "demo-pass-2021" in output
    assert "bureau_staff" in output
    assert "http://127.0.0.1:8000/" in output


def test_it_refuses_production_settings_without_force(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        seed()
    assert not FundingCall.objects.exists()
    assert not User.objects.exists()


def test_it_runs_with_production_settings_when_forced(settings):
    settings.DEBUG = False
    output = seed("--force")
    assert FundingCall.objects.count() == 1
    assert "admin@demo.test" in output


def test_the_call_gets_the_default_rubric_of_100_points():
    seed()
    criteria = list(Criterion.objects.filter(call=FundingCall.objects.get()).order_by("position"))
    assert [c.code for c in criteria] == [code for code, *_ in DEFAULT_RUBRIC]
    assert sum(c.weight for c in criteria) == Decimal("100")
    assert all(c.max_points == c.weight for c in criteria)
    assert [c.position for c in criteria] == [1, 2, 3, 4, 5, 6]


def test_without_chinese_pdf_support_it_seeds_everything_but_the_guide(monkeypatch):
    from portal.pdf_environment import Problem

    monkeypatch.setattr("portal.pdf_environment.problems", lambda: [Problem("no font", "apt-get install x")])
    seed()
    assert GuideTask.objects.count() == 32 and not Job.objects.exists()


def test_a_failed_guide_is_printed_again_by_the_next_run():
    seed()
    Job.objects.update(status="failed")
    seed()
    assert sorted(Job.objects.values_list("status", flat=True)) == ["failed", "queued"]
