"""The applicant's optional section "Experts to avoid" (回避专家): up to three rows of name and
unit (reason optional), saved from its page and through the API like the other row sections,
refused with a message naming the rule beyond three, part of the frozen submission and of
the printed application, and never counted as missing."""

import html

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from applications.document import fingerprint
from applications.models import Application, AvoidedExpert
from applications.printing import print_source
from applications.problems import by_section, problems_of
from applications.rules import SECTIONS
from applications.selectors import application_with_parts
from applications.services import application_create, application_save, application_submit
from tests.factories import FundingCallFactory, GuideTaskFactory, make_applicant, make_ready_application

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
ROWS = [
    {"name": "张三", "unit": "四川大学", "reason": "竞争关系"},
    {"name": "李四", "unit": "重庆大学", "reason": ""},
]


@pytest.fixture
def draft() -> Application:
    call = FundingCallFactory()
    return application_create(call=call, by=make_applicant(), guide_task=GuideTaskFactory(call=call))


def page_url(application: Application) -> str:
    return reverse("applications:edit", args=[application.pk, "avoid"])


def api_url(application: Application) -> str:
    return reverse("api-applications-detail", kwargs={"pk": application.pk})


def text(response) -> str:
    return html.unescape(response.content.decode())


def post_rows(application: Application, rows: list[dict], initial: int = 0, **extra) -> dict:
    data: dict[str, object] = {
        "version": application.version,
        "avoid-TOTAL_FORMS": len(rows),
        "avoid-INITIAL_FORMS": initial,
        "avoid-MIN_NUM_FORMS": 0,
        "avoid-MAX_NUM_FORMS": 200,
    }
    for index, row in enumerate(rows):
        data.update({f"avoid-{index}-{name}": value for name, value in row.items()})
    return {**data, **extra}


def stored(application: Application) -> list[tuple[str, str, str]]:
    return list(
        AvoidedExpert.objects.filter(application=application)
        .order_by("position")
        .values_list("name", "unit_name", "reason")
    )


# --- The section ----------------------------------------------------------------------------


def test_the_section_comes_between_budget_and_attachments_and_is_complete_when_empty(draft):
    assert SECTIONS.index("budget") < SECTIONS.index("avoid") < SECTIONS.index("attachments")
    assert by_section(problems_of(application_with_parts(draft.pk)))["avoid"] == []


def test_the_page_offers_three_empty_rows_and_saves_the_filled_ones(client, draft):
    client.force_login(draft.pi)

    page = text(client.get(page_url(draft), **EN))
    assert 'name="avoid-TOTAL_FORMS" value="3"' in page
    assert "Experts to avoid" in page

    response = client.post(page_url(draft), post_rows(draft, [*ROWS, {"name": "", "unit": "", "reason": ""}]))

    assert response.status_code == 302
    assert stored(draft) == [("张三", "四川大学", "竞争关系"), ("李四", "重庆大学", "")]
    draft.refresh_from_db()
    assert draft.document["avoided_experts"] == [
        {"name": "张三", "unit": "四川大学", "reason": "竞争关系"},
        {"name": "李四", "unit": "重庆大学", "reason": ""},
    ]
    # Two stored rows: one empty row is left to fill.
    page = text(client.get(page_url(draft), **EN))
    assert 'name="avoid-TOTAL_FORMS" value="3"' in page
    assert 'value="张三"' in page


def test_four_rows_are_refused_with_the_rule_and_nothing_is_saved(client, draft):
    client.force_login(draft.pi)
    client.post(page_url(draft), post_rows(draft, ROWS[:1]))
    draft.refresh_from_db()
    four = [{"name": f"专家{i}", "unit": "某大学", "reason": ""} for i in range(4)]

    response = client.post(page_url(draft), post_rows(draft, four, initial=1), **EN)

    assert response.status_code == 200
    assert "At most 3 experts to avoid may be named (4 were given)." in text(response)
    assert stored(draft) == [("张三", "四川大学", "竞争关系")]


def test_a_row_without_a_unit_is_refused_next_to_its_field(client, draft):
    client.force_login(draft.pi)

    response = client.post(
        page_url(draft), post_rows(draft, [{"name": "王五", "unit": "", "reason": "合作者"}]), **EN
    )

    assert response.status_code == 200
    page = text(response)
    assert "Expert to avoid 1 · Unit: This field is required." in page
    assert stored(draft) == []


def test_the_same_expert_twice_is_refused(draft):
    result = application_save(
        application=draft,
        data={"avoided_experts": [ROWS[0], {**ROWS[0], "name": " 张三 "}]},
        version=draft.version,
        by=draft.pi,
    )
    assert [problem.field for problem in result.errors] == ["avoided_experts[1].name"]
    assert [problem.section for problem in result.errors] == ["avoid"]
    assert stored(draft) == []


def test_the_api_reads_and_replaces_the_list(draft):
    api = APIClient()
    api.force_authenticate(draft.pi)

    response = api.patch(
        api_url(draft), {"version": draft.version, "avoided_experts": ROWS}, format="json", **EN
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["avoided_experts"] == [
        {"name": "张三", "unit": "四川大学", "reason": "竞争关系"},
        {"name": "李四", "unit": "重庆大学", "reason": ""},
    ]
    assert not [p for p in body["problems"] if p["section"] == "avoid"]
    # The document read back may be sent again; an empty list removes every row.
    response = api.patch(api_url(draft), {**body, "avoided_experts": []}, format="json")
    assert response.status_code == 200, response.json()
    assert stored(draft) == []


def test_the_api_refuses_four_rows_naming_the_field_and_the_rule(draft):
    api = APIClient()
    api.force_authenticate(draft.pi)
    four = [{"name": f"专家{i}", "unit": "某大学"} for i in range(4)]

    response = api.patch(
        api_url(draft),
        {"version": draft.version, "avoided_experts": four, "title": "新题目"},
        format="json",
        **EN,
    )

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["section"], e["field"]) for e in errors] == [("avoid", "avoided_experts")]
    assert "At most 3 experts to avoid" in errors[0]["message"]
    assert response.json()["saved"] == ["title"]
    assert stored(draft) == []


def test_the_api_refuses_a_row_without_a_name(draft):
    api = APIClient()
    api.force_authenticate(draft.pi)

    response = api.patch(
        api_url(draft),
        {"version": draft.version, "avoided_experts": [{"name": "  ", "unit": "四川大学"}]},
        format="json",
    )

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["avoided_experts[0].name"]


def test_the_list_is_frozen_in_the_submitted_document_and_printed():
    application = make_ready_application()
    result = application_save(
        application=application,
        data={"avoided_experts": ROWS},
        version=application.version,
        by=application.pi,
    )
    assert not result.errors

    application = application_submit(application=result.application, by=application.pi)

    submission = application.submissions.get()
    assert submission.document["avoided_experts"][0] == {
        "name": "张三",
        "unit": "四川大学",
        "reason": "竞争关系",
    }
    # The fingerprint covers the list: another list would give another fingerprint.
    assert submission.sha256 == fingerprint(submission.document)
    assert fingerprint({**submission.document, "avoided_experts": []}) != submission.sha256
    # The print is what experts read: it never says whom the team asked to avoid.
    html_source = print_source(Application.objects.get(pk=application.pk)).html
    assert "回避" not in html_source
    assert "竞争关系" not in html_source and "张三" not in html_source


def test_some_demo_applications_name_experts_to_avoid_at_competing_units():
    from types import SimpleNamespace

    from applications.demo_applications import all_units, avoided_experts, demo_tasks, plan_applications

    units = {row[0]: SimpleNamespace(name=row[1]) for row in all_units()}
    plans = plan_applications(demo_tasks())
    lists = {plan.number: avoided_experts(plan, units) for plan in plans}

    named = [rows for rows in lists.values() if rows]
    assert len(named) >= 15
    assert max(len(rows) for rows in named) == 2
    for plan in plans:
        own = {units[plan.lead].name, units[plan.partner].name}
        assert all(row["unit"] not in own and row["name"] for row in lists[plan.number])
