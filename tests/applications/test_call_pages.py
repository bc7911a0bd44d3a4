"""The public call pages: the list, one call with its guide tasks by field, drafts and 404s."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from applications.models import CallStatus, FundingCall
from portal.accounts.roles import Role
from tests.factories import (
    CallFieldFactory,
    FundingCallFactory,
    GuideTaskFactory,
    ResearchFieldFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

BEIJING = ZoneInfo("Asia/Shanghai")
FIELD_QUOTAS = {"ai": 5, "health": 2, "eco": 3, "agri": 6}


def make_call(tasks_per_field: int = 2, **kwargs: object) -> FundingCall:
    call = FundingCallFactory(**kwargs)
    for position, (code, quota) in enumerate(FIELD_QUOTAS.items()):
        field = ResearchFieldFactory(code=code, position=position)
        CallFieldFactory(call=call, field=field, quota=quota)
        for n in range(tasks_per_field):
            GuideTaskFactory(call=call, field=field, code=f"{code.upper()}-{n + 1:02d}", position=n)
    return call


def detail_url(call: FundingCall) -> str:
    return reverse("calls:detail", args=[call.pk])


def test_the_list_shows_published_calls_to_anyone(client):
    call = make_call(title_zh="2021年川渝联合实施重点研发项目")

    response = client.get(reverse("calls:list"))

    assert response.status_code == 200
    assert "2021年川渝联合实施重点研发项目" in response.text
    assert detail_url(call) in response.text


def test_the_list_hides_draft_calls_from_visitors_and_applicants(client):
    FundingCallFactory(title_zh="尚未发布的征集", status=CallStatus.DRAFT)

    assert "尚未发布的征集" not in client.get(reverse("calls:list")).text
    client.force_login(UserFactory(role=Role.APPLICANT))
    assert "尚未发布的征集" not in client.get(reverse("calls:list")).text


@pytest.mark.parametrize("role", [Role.BUREAU_STAFF, Role.ADMIN])
def test_bureau_staff_and_admins_see_draft_calls(client, role):
    draft = FundingCallFactory(title_zh="尚未发布的征集", status=CallStatus.DRAFT)
    client.force_login(UserFactory(role=role, province="SC" if role == Role.BUREAU_STAFF else ""))

    assert "尚未发布的征集" in client.get(reverse("calls:list")).text
    assert client.get(detail_url(draft)).status_code == 200


def test_a_draft_call_is_a_404_for_a_visitor(client):
    draft = FundingCallFactory(status=CallStatus.DRAFT)

    response = client.get(detail_url(draft))

    assert response.status_code == 404


def test_an_unknown_call_is_the_404_page(client):
    response = client.get("/calls/987654/")

    assert response.status_code == 404
    assert "errors/404.html" in [t.name for t in response.templates]
    assert "/calls/987654/" in response.text


def test_the_detail_shows_dates_budgets_rules_and_fields(client):
    call = make_call(
        title_zh="2021年川渝联合实施重点研发项目",
        budget_sc=Decimal("20000000"),
        budget_cq=Decimal("15000000"),
        per_project_cap=Decimal("2000000"),
        submit_deadline=datetime(2031, 6, 30, 17, 0, tzinfo=BEIJING),
        endorse_deadline=datetime(2031, 7, 7, 17, 0, tzinfo=BEIJING),
        pi_limit=1,
        member_limit=2,
        max_duration_months=36,
        max_indirect_rate=Decimal("0.2"),
        reviewers_per_application=5,
    )
    with translation.override("en"):
        response = client.get(detail_url(call), HTTP_ACCEPT_LANGUAGE="en")

    page = response.text
    assert response.status_code == 200
    assert "2,000.00\u00a0×\u00a010,000\u00a0yuan" in page  # Sichuan budget, 20,000,000 yuan
    assert "1,500.00\u00a0×\u00a010,000\u00a0yuan" in page  # Chongqing budget
    assert "200.00\u00a0×\u00a010,000\u00a0yuan" in page  # cap per project
    # Deadlines in Beijing time with the page language's format.
    assert "June 30, 2031, 5 p.m." in page
    assert 'datetime="2031-06-30T17:00+08:00"' in page
    assert "(Beijing time)" in page
    assert "12 to 36 months" in page
    assert "at most 20% of direct costs" in page
    assert "5, at least 2 from each province" in page
    for name in (
        "Artificial intelligence",
        "Healthcare",
        "Eco-environmental protection",
        "Modern agriculture",
    ):
        assert name in page


def test_the_detail_in_chinese_uses_chinese_dates(client):
    call = make_call(
        submit_deadline=datetime(2031, 6, 30, 17, 0, tzinfo=BEIJING),
        endorse_deadline=datetime(2031, 7, 7, 17, 0, tzinfo=BEIJING),
    )

    response = client.get(detail_url(call))

    assert "2031年6月30日 17:00" in response.text
    assert "人工智能" in response.text


def test_the_detail_groups_the_guide_tasks_by_field_in_the_call_order(client):
    call = make_call(tasks_per_field=2)

    with translation.override("en"):
        response = client.get(detail_url(call), HTTP_ACCEPT_LANGUAGE="en")

    groups = response.context["task_groups"]
    assert [group.field.code for group in groups] == ["ai", "health", "eco", "agri"]
    assert [group.quota for group in groups] == [5, 2, 3, 6]
    assert [task.code for task in groups[0].tasks] == ["AI-01", "AI-02"]
    assert "Showing 8 of 8 guide tasks" in response.text


def test_the_field_filter_shows_only_that_fields_tasks(client):
    call = make_call(tasks_per_field=2)

    response = client.get(detail_url(call), {"field": "eco"})

    codes = [task.code for group in response.context["task_groups"] for task in group.tasks]
    assert codes == ["ECO-01", "ECO-02"]
    assert "AI-01" not in response.text
    assert '<option value="eco" selected>' in response.text


def test_an_unknown_field_shows_every_task_with_a_word(client):
    call = make_call(tasks_per_field=1)

    with translation.override("en"):
        response = client.get(detail_url(call), {"field": "space"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "There is no field “space” in this call" in response.text
    assert len([t for g in response.context["task_groups"] for t in g.tasks]) == 4


def test_htmx_asks_for_the_task_list_alone(client):
    call = make_call(tasks_per_field=1)

    response = client.get(detail_url(call), {"field": "ai"}, HTTP_HX_REQUEST="true")

    assert [t.name for t in response.templates][0] == "applications/_guide_tasks.html"
    assert "<html" not in response.text
    assert "AI-01" in response.text
    assert "HX-Request" in response["Vary"]
    # The URL changed, so the language switch learns the new page to come back to.
    assert 'id="language-next" value="/calls/' in response.text
    assert 'hx-swap-oob="true"' in response.text


def test_an_htmx_history_restore_gets_the_whole_page(client):
    call = make_call(tasks_per_field=1)

    response = client.get(detail_url(call), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")

    assert "<html" in response.text


def test_a_task_without_its_own_cap_shows_the_calls_cap(client):
    call = make_call(tasks_per_field=0, per_project_cap=Decimal("2000000"))
    field = ResearchFieldFactory(code="ai")
    GuideTaskFactory(call=call, field=field, code="OWN", cap=Decimal("1500000"))
    GuideTaskFactory(call=call, field=field, code="CALL", cap=None)

    response = client.get(detail_url(call))

    caps = {task.code: task.effective_cap for g in response.context["task_groups"] for task in g.tasks}
    assert caps == {"OWN": Decimal("1500000"), "CALL": Decimal("2000000")}
    assert "150.00" in response.text


def add_tasks(call: FundingCall, count: int) -> None:
    field = ResearchFieldFactory(code="ai")
    for n in range(count):
        GuideTaskFactory(call=call, field=field, code=f"T{n:03d}")


@pytest.mark.parametrize("tasks", [2, 50])
def test_the_detail_query_count_does_not_grow_with_tasks(client, django_assert_max_num_queries, tasks):
    call = make_call(tasks_per_field=0)
    add_tasks(call, tasks)

    # The call (with its task count), its fields, its tasks.
    with django_assert_max_num_queries(3):
        response = client.get(detail_url(call))

    assert response.context["shown_tasks"] == tasks


@pytest.mark.parametrize("tasks", [2, 50])
def test_the_detail_for_a_signed_in_user_costs_the_same_for_few_and_many_tasks(
    client, django_assert_max_num_queries, tasks
):
    call = make_call(tasks_per_field=0)
    add_tasks(call, tasks)
    client.force_login(UserFactory(role=Role.APPLICANT))

    # Session and user on top of the three above.
    with django_assert_max_num_queries(5):
        response = client.get(detail_url(call))

    assert response.context["shown_tasks"] == tasks


@pytest.mark.parametrize("calls", [2, 50])
def test_the_list_query_count_does_not_grow_with_calls(client, django_assert_max_num_queries, calls):
    for _ in range(calls):
        make_call(tasks_per_field=1)

    with django_assert_max_num_queries(2):
        response = client.get(reverse("calls:list"))

    assert len(response.context["calls"]) == calls
