"""The public calls API: what anyone may read about calls and guide tasks, in which language,
and which calls stay hidden."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from applications.models import CallStatus
from portal.accounts.roles import Role
from tests.factories import (
    CallFieldFactory,
    FundingCallFactory,
    GuideTaskFactory,
    ResearchFieldFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The 2021 call's fields in guide order, with their quotas.
FIELDS_2021 = [("ai", 2), ("health", 3), ("eco", 5), ("agri", 6)]


def calls_url() -> str:
    return reverse("api-calls-list")


def call_url(pk: object) -> str:
    return reverse("api-calls-detail", kwargs={"pk": pk})


def tasks_url(pk: object) -> str:
    return reverse("api-calls-tasks", kwargs={"pk": pk})


@pytest.fixture
def fields() -> dict:
    return {
        code: ResearchFieldFactory(code=code, position=position)
        for position, (code, _quota) in enumerate(FIELDS_2021, start=1)
    }


@pytest.fixture
def call_2021(fields: dict):
    call = FundingCallFactory(
        year=2021,
        status=CallStatus.OPEN,
        opens_at=datetime(2021, 5, 20, 9, 0, tzinfo=SHANGHAI),
        submit_deadline=datetime(2021, 6, 30, 17, 0, tzinfo=SHANGHAI),
        endorse_deadline=datetime(2021, 7, 7, 17, 0, tzinfo=SHANGHAI),
        review_starts=date(2021, 7, 20),
        review_ends=date(2021, 8, 10),
        pi_limit=1,
        min_self_raised_ratio=Decimal("0.5"),
    )
    for code, quota in FIELDS_2021:
        CallFieldFactory(call=call, field=fields[code], quota=quota)
    return call


@pytest.fixture
def draft_call(fields: dict):
    return FundingCallFactory(
        year=2022, status=CallStatus.DRAFT, title_zh="2022年草案", title_en="2022 draft"
    )


def signed_in(api_client, role: str):
    user = UserFactory(role=role, province="SC" if role == Role.BUREAU_STAFF else "")
    api_client.force_authenticate(user)
    return api_client


class TestCallList:
    def test_it_lists_published_calls_to_anonymous_visitors(self, api_client, call_2021) -> None:
        response = api_client.get(calls_url())

        assert response.status_code == 200
        assert response.json()["count"] == 1
        assert [call["id"] for call in response.json()["results"]] == [call_2021.pk]

    def test_it_hides_draft_calls_from_anonymous_visitors(self, api_client, call_2021, draft_call) -> None:
        ids = [call["id"] for call in api_client.get(calls_url()).json()["results"]]

        assert ids == [call_2021.pk]
        assert api_client.get(call_url(draft_call.pk)).status_code == 404

    @pytest.mark.parametrize("role", [Role.APPLICANT, Role.UNIT_ADMIN, Role.REVIEWER])
    def test_it_hides_draft_calls_from_users_who_do_not_prepare_calls(
        self, api_client, call_2021, draft_call, role
    ) -> None:
        client = signed_in(api_client, role)

        assert [call["id"] for call in client.get(calls_url()).json()["results"]] == [call_2021.pk]
        assert client.get(call_url(draft_call.pk)).status_code == 404
        assert client.get(tasks_url(draft_call.pk)).status_code == 404

    @pytest.mark.parametrize("role", [Role.BUREAU_STAFF, Role.ADMIN])
    def test_bureau_staff_and_administrators_see_draft_calls(
        self, api_client, call_2021, draft_call, role
    ) -> None:
        client = signed_in(api_client, role)

        assert [call["id"] for call in client.get(calls_url()).json()["results"]] == [
            draft_call.pk,
            call_2021.pk,
        ]
        assert client.get(call_url(draft_call.pk)).json()["status"] == "draft"

    @pytest.mark.parametrize("rows", [2, 50])
    def test_the_list_costs_the_same_queries_for_2_and_50_calls(
        self, api_client, fields, rows, django_assert_max_num_queries
    ) -> None:
        for call in FundingCallFactory.create_batch(rows):
            for code, quota in FIELDS_2021:
                CallFieldFactory(call=call, field=fields[code], quota=quota)

        # count, the page of calls, their fields (with each field's research field)
        with django_assert_max_num_queries(3):
            response = api_client.get(calls_url())

        assert len(response.json()["results"]) == rows
        assert all(len(call["fields"]) == 4 for call in response.json()["results"])


class TestCallDetail:
    def test_a_call_shows_its_budgets_and_cap_as_decimal_strings_in_yuan(self, api_client, call_2021) -> None:
        call = api_client.get(call_url(call_2021.pk)).json()

        assert call["budgets"] == {"SC": "20000000.00", "CQ": "20000000.00"}
        assert call["per_project_cap"] == "2000000.00"
        assert call["cross_funding_allowed"] is False

    def test_deadlines_carry_the_shanghai_offset(self, api_client, call_2021) -> None:
        call = api_client.get(call_url(call_2021.pk)).json()

        assert call["opens_at"] == "2021-05-20T09:00:00+08:00"
        assert call["submit_deadline"] == "2021-06-30T17:00:00+08:00"
        assert call["endorse_deadline"] == "2021-07-07T17:00:00+08:00"
        assert call["acceptance_deadline"] is None
        assert call["review_starts"] == "2021-07-20"
        assert call["review_ends"] == "2021-08-10"

    def test_it_shows_the_rules_of_the_call(self, api_client, call_2021) -> None:
        rules = api_client.get(call_url(call_2021.pk)).json()["rules"]

        assert rules == {
            "pi_limit": 1,
            "member_limit": 2,
            "max_duration_months": 36,
            "min_duration_months": 12,
            "min_self_raised_ratio": "0.5000",
            "max_indirect_rate": "0.2000",
            "reviewers_per_application": 5,
            "min_reviewers_per_province": 2,
        }

    def test_it_lists_the_fields_with_their_codes_and_quotas_in_guide_order(
        self, api_client, call_2021
    ) -> None:
        GuideTaskFactory.create_batch(3, call=call_2021, field=call_2021.call_fields.first().field)

        call = api_client.get(call_url(call_2021.pk)).json()

        assert [(field["code"], field["quota"]) for field in call["fields"]] == FIELDS_2021
        assert call["task_count"] == 3

    def test_it_speaks_chinese_by_default(self, api_client, call_2021) -> None:
        call = api_client.get(call_url(call_2021.pk)).json()

        assert call["title"] == "2021年川渝联合实施重点研发项目"
        assert [field["name"] for field in call["fields"]] == ["人工智能", "大健康", "生态环保", "现代农业"]
        assert call["status"] == "open"

    def test_it_gives_english_titles_and_names_for_accept_language_en(self, api_client, call_2021) -> None:
        call = api_client.get(call_url(call_2021.pk), HTTP_ACCEPT_LANGUAGE="en").json()

        assert call["title"] == "2021 Sichuan–Chongqing joint key R&D call"
        assert call["title_zh"] == "2021年川渝联合实施重点研发项目"
        assert call["fields"][0]["name"] == "Artificial intelligence"
        assert call["status_label"] == "Open for applications"

    def test_an_unknown_call_answers_404_in_json_with_a_detail(self, api_client, call_2021) -> None:
        response = api_client.get(call_url(call_2021.pk + 1000), HTTP_ACCEPT_LANGUAGE="en")

        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {
            "detail": "There is no call with this id.",
            "errors": [{"field": None, "code": "not_found", "message": "There is no call with this id."}],
        }

    @pytest.mark.parametrize("pk", ["abc", "1e3", "+1", "７", "99999999999999999999999", "-1"])
    def test_an_id_that_is_no_number_or_out_of_range_answers_404_not_500(
        self, api_client, call_2021, pk
    ) -> None:
        response = api_client.get(call_url(pk))

        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "not_found"


class TestCallTasks:
    def test_it_lists_the_guide_tasks_of_a_call(self, api_client, call_2021, fields) -> None:
        task = GuideTaskFactory(
            call=call_2021,
            field=fields["ai"],
            code="2021-AI-01",
            title_zh="智能网联汽车关键技术",
            title_en="Key technologies of connected vehicles",
            description_zh="研究内容",
            description_en="Research content",
            demand_source="重庆市经济和信息化委员会",
            cap=Decimal("1500000.00"),
            quota=2,
        )

        response = api_client.get(tasks_url(call_2021.pk))

        assert response.status_code == 200
        assert response.json()["count"] == 1
        assert response.json()["results"] == [
            {
                "id": task.pk,
                "code": "2021-AI-01",
                "field": "ai",
                "title": "智能网联汽车关键技术",
                "title_zh": "智能网联汽车关键技术",
                "title_en": "Key technologies of connected vehicles",
                "description": "研究内容",
                "demand_source": "重庆市经济和信息化委员会",
                "cap": "1500000.00",
                "quota": 2,
            }
        ]

    def test_a_task_without_its_own_cap_shows_the_cap_of_the_call(
        self, api_client, call_2021, fields
    ) -> None:
        GuideTaskFactory(call=call_2021, field=fields["eco"], cap=None)

        task = api_client.get(tasks_url(call_2021.pk)).json()["results"][0]

        assert task["cap"] == "2000000.00"

    def test_tasks_are_in_english_for_accept_language_en(self, api_client, call_2021, fields) -> None:
        GuideTaskFactory(call=call_2021, field=fields["ai"], title_en="Smart cities", description_en="Scope")

        task = api_client.get(tasks_url(call_2021.pk), HTTP_ACCEPT_LANGUAGE="en").json()["results"][0]

        assert (task["title"], task["description"]) == ("Smart cities", "Scope")

    def test_it_filters_the_tasks_by_field_code(self, api_client, call_2021, fields) -> None:
        ai_tasks = GuideTaskFactory.create_batch(2, call=call_2021, field=fields["ai"])
        GuideTaskFactory.create_batch(3, call=call_2021, field=fields["agri"])

        response = api_client.get(tasks_url(call_2021.pk), {"field": "ai"})

        assert [task["id"] for task in response.json()["results"]] == [task.pk for task in ai_tasks]
        assert {task["field"] for task in response.json()["results"]} == {"ai"}

    def test_an_unknown_field_code_answers_400_naming_the_fields_of_the_call(
        self, api_client, call_2021
    ) -> None:
        response = api_client.get(tasks_url(call_2021.pk), {"field": "space"}, HTTP_ACCEPT_LANGUAGE="en")

        assert response.status_code == 400
        [error] = response.json()["errors"]
        assert error["field"] == "field"
        assert error["code"] == "unknown_field"
        assert "space" in error["message"]
        assert "ai, health, eco, agri" in error["message"]

    def test_it_does_not_show_tasks_of_other_calls(self, api_client, call_2021, fields) -> None:
        GuideTaskFactory(call=FundingCallFactory(), field=fields["ai"])

        assert api_client.get(tasks_url(call_2021.pk)).json()["count"] == 0

    def test_tasks_of_an_unknown_call_answer_404(self, api_client) -> None:
        response = api_client.get(tasks_url(424242))

        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "not_found"

    @pytest.mark.parametrize("rows", [2, 50])
    def test_the_task_list_costs_the_same_queries_for_2_and_50_tasks(
        self, api_client, call_2021, fields, rows, django_assert_max_num_queries
    ) -> None:
        for index in range(rows):
            GuideTaskFactory(call=call_2021, field=fields[FIELDS_2021[index % 4][0]], cap=None)

        # the call, its fields, the count of tasks, the page of tasks (with their fields)
        with django_assert_max_num_queries(4):
            response = api_client.get(tasks_url(call_2021.pk))

        assert len(response.json()["results"]) == rows
        assert {task["cap"] for task in response.json()["results"]} == {"2000000.00"}
