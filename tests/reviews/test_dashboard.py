"""The decision dashboard of a call (reviews:dashboard): budget use per province and quota use
per field from the counters the award services keep, applications and awards per status —
as charts with tables of the same figures — who may read it, and its query count."""

from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from applications.models import ApplicationStatus, CallField
from portal.accounts.roles import Role
from reviews.models import AwardStatus
from tests.factories import OrganizationFactory, UserFactory, make_applicant
from tests.reviews.award_factories import make_award
from tests.reviews.factories import make_accepted_application, make_call_with_rubric, make_expert, make_staff

pytestmark = pytest.mark.django_db

D = Decimal
# Session, user, call (+ its fields), the call's fields with their quota, applications per
# status, awards per status — the same at 2 and at 50 awards.
MAX_QUERIES = 6


class _Tables(HTMLParser):
    """The text of every cell of every table with an id: {id: [[cell, …], …]}."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id")
            if self._table:
                self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(response) -> dict[str, dict[str, list[str]]]:
    """Each table as {first cell of a body row: the other cells}."""
    parser = _Tables()
    parser.feed(response.content.decode())
    return {name: {row[0]: row[1:] for row in rows[1:]} for name, rows in parser.tables.items()}


def url(call) -> str:
    return reverse("reviews:dashboard", args=[call.pk])


@pytest.fixture
def call():
    call = make_call_with_rubric()
    make_award(call, field="ai", amount_sc=D("500000"), amount_cq=D("300000"), status=AwardStatus.APPROVED)
    make_award(
        call,
        field="health",
        province="SC",
        amount_sc=D("1234500"),
        amount_cq=D("0"),
        status=AwardStatus.FINAL,
    )
    make_award(call, field="ai", amount_sc=D("700000"), amount_cq=D("700000"), status=AwardStatus.WITHDRAWN)
    CallField.objects.filter(call=call, field__code="health").update(quota=2)
    make_accepted_application(call, status=ApplicationStatus.UNDER_REVIEW)
    make_accepted_application(call, status=ApplicationStatus.UNDER_REVIEW)
    draft = make_accepted_application(call)
    draft.status = ApplicationStatus.DRAFT
    draft.save(update_fields=["status"])
    call.refresh_from_db()
    return call


# --- The figures --------------------------------------------------------------------------------


def test_it_shows_budget_use_per_province_in_wan(client, call):
    client.force_login(make_staff("SC"))

    response = client.get(url(call), HTTP_ACCEPT_LANGUAGE="en")

    budgets = tables(response)["table-budgets"]
    # A column per province (Sichuan, Chongqing). Withdrawn awards released their funding:
    # Sichuan 50 + 123.45, Chongqing 30.
    assert budgets["Budget"] == ["2,000.00", "2,000.00"]
    assert budgets["Awarded"] == ["173.45", "30.00"]
    assert budgets["Left"] == ["1,826.55", "1,970.00"]
    assert budgets["Used"] == ["9%", "2%"]


def test_it_shows_quota_use_per_field(client, call):
    client.force_login(make_staff("CQ"))

    response = client.get(url(call), HTTP_ACCEPT_LANGUAGE="en")

    quotas = tables(response)["table-quotas"]
    assert quotas["Artificial intelligence"] == ["10", "1", "9"]
    assert quotas["Healthcare"] == ["2", "1", "1"]


def test_it_counts_applications_and_awards_by_status(client, call):
    client.force_login(make_staff("CQ"))

    response = client.get(url(call), HTTP_ACCEPT_LANGUAGE="en")

    found = tables(response)
    applications = found["table-applications"]
    assert applications["Shortlisted"] == ["3"]
    assert applications["Under expert review"] == ["2"]
    assert applications["Funded"] == ["0"]
    # Drafts are the applicants' own.
    assert "Draft" not in applications
    awards = found["table-awards"]
    assert awards["Approved by both bureaus"] == ["1", "50.00", "30.00"]
    assert awards["Final"] == ["1", "123.45", "0.00"]
    assert awards["Withdrawn"] == ["1", "70.00", "70.00"]
    assert awards["Proposed"] == ["0", "0.00", "0.00"]
    assert "2 awards in force" in response.content.decode()


def test_the_charts_read_the_same_figures_from_the_pages_own_data(client, call):
    client.force_login(make_staff("SC"))

    response = client.get(url(call), HTTP_ACCEPT_LANGUAGE="en")

    content = response.content.decode()
    assert '<script id="dashboard-data" type="application/json">' in content
    assert "/static/js/dashboard-charts.js" in content
    assert "cdn" not in content.lower()
    data = response.context["chart_data"]
    assert data["budgets"]["provinces"] == ["SC", "CQ"]
    assert [str(v) for v in data["budgets"]["used"]] == ["173.45", "30.00"]
    assert [str(v) for v in data["budgets"]["left"]] == ["1826.55", "1970.00"]
    assert data["quotas"]["used"] == [1, 1]
    assert data["quotas"]["left"] == [9, 1]
    counts = dict(zip(data["awards"]["codes"], data["awards"]["counts"], strict=True))
    assert counts == {
        "proposed": 0,
        "approved_sc": 0,
        "approved_cq": 0,
        "approved": 1,
        "announced": 0,
        "objected": 0,
        "final": 1,
        "withdrawn": 1,
    }
    # A text equivalent of each chart, in a table that becomes cards on a phone.
    for name in ("budgets", "quotas", "applications", "awards"):
        assert f'id="chart-{name}"' in content
        assert f'id="table-{name}"' in content
    assert content.count('class="app-table"') == 4
    assert 'data-label="Sichuan"' in content
    assert "Amounts in 10,000 yuan" in content


def test_it_links_to_the_exports_and_the_decisions_pages(client, call):
    client.force_login(make_staff("SC"))

    content = client.get(url(call)).content.decode()

    for name in ("awards_export", "applications_export"):
        for fmt in ("csv", "xlsx"):
            assert f"{reverse(f'reviews:{name}', args=[call.pk])}?format={fmt}" in content
    for name in ("awards", "publicity", "notices", "ranking"):
        assert f'href="{reverse(f"reviews:{name}", args=[call.pk])}"' in content


def test_a_call_without_quotas_or_awards_shows_zeros(client):
    call = make_call_with_rubric()
    client.force_login(make_staff("SC"))

    response = client.get(url(call), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    found = tables(response)
    assert found["table-budgets"]["Awarded"] == ["0.00", "0.00"]
    assert found["table-budgets"]["Left"] == ["2,000.00", "2,000.00"]
    assert "table-quotas" not in found
    assert "sets no quota per field" in response.content.decode()


def test_the_chart_script_is_a_static_file_of_ours():
    from django.contrib.staticfiles import finders

    found = finders.find("js/dashboard-charts.js")

    assert found is not None
    assert "dashboard-data" in Path(found).read_text(encoding="utf-8")


# --- Who may read it ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_user",
    [lambda: make_staff("SC"), lambda: make_staff("CQ"), lambda: UserFactory(role=Role.ADMIN)],
    ids=["staff-SC", "staff-CQ", "admin"],
)
def test_review_staff_of_both_provinces_and_admins_read_it(client, call, make_user):
    client.force_login(make_user())

    assert client.get(url(call)).status_code == 200


@pytest.mark.parametrize(
    "make_user",
    [
        make_applicant,
        lambda: make_expert("SC").user,
        lambda: UserFactory(role=Role.UNIT_ADMIN, organization=OrganizationFactory()),
    ],
    ids=["applicant", "expert", "unit-admin"],
)
def test_applicants_experts_and_unit_admins_are_refused_with_the_reason(client, call, make_user):
    client.force_login(make_user())

    with translation.override("en"):
        response = client.get(url(call), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    assert "bureau staff" in response.content.decode()


def test_an_anonymous_visitor_is_sent_to_sign_in(client, call):
    response = client.get(url(call))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_an_unknown_call_is_404(client):
    client.force_login(make_staff("SC"))

    assert client.get(reverse("reviews:dashboard", args=[999999])).status_code == 404


def test_it_answers_get_only(client, call):
    client.force_login(make_staff("SC"))

    assert client.post(url(call)).status_code == 405


# --- Queries ------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 50])
def test_it_reads_a_fixed_number_of_queries(client, django_assert_max_num_queries, count):
    call = make_call_with_rubric()
    for i in range(count):
        make_award(
            call,
            field=("ai", "health", "eco", "agri")[i % 4],
            amount_sc=D("10000"),
            amount_cq=D("10000"),
            status=(AwardStatus.APPROVED, AwardStatus.FINAL)[i % 2],
            quota=20,
        )
    client.force_login(make_staff("SC"))

    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(url(call), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert int(tables(response)["table-applications"]["Shortlisted"][0]) == count
