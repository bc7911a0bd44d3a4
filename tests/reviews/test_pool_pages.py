"""The expert pool's pages: only review staff open them; the list filters, counts the pool per
province and field and costs the same for few and many experts; staff switch experts off and
on and send invitations again; the import page lists every bad row of a refused file and what
a good file did."""

import pytest
from django.urls import reverse

from portal.accounts.roles import Role
from reviews.models import ReviewerProfile
from tests.factories import UserFactory
from tests.reviews.factories import make_expert, make_staff
from tests.reviews.test_pool import CQ_UNIT, csv_bytes, csv_upload, expert_row

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
LIST = reverse("reviews:expert_list")
IMPORT = reverse("reviews:expert_import")


@pytest.fixture(autouse=True)
def research_fields():
    from tests.factories import ResearchFieldFactory

    return [ResearchFieldFactory(code=code) for code in ("ai", "health", "eco", "agri")]


def actor(name: str):
    return {
        "applicant": lambda: UserFactory(role=Role.APPLICANT),
        "unit_admin": lambda: UserFactory(role=Role.UNIT_ADMIN),
        "expert": lambda: make_expert("CQ").user,
        "staff_sc": lambda: make_staff("SC"),
        "staff_cq": lambda: make_staff("CQ"),
        "admin": lambda: UserFactory(role=Role.ADMIN),
    }[name]()


@pytest.fixture
def staff_client(client):
    client.force_login(make_staff("CQ"))
    return client


# --- Who may open the pages ------------------------------------------------------------------


@pytest.mark.parametrize("url", [LIST, IMPORT])
def test_an_anonymous_visitor_is_sent_to_sign_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("url", [LIST, IMPORT])
@pytest.mark.parametrize("name", ["applicant", "unit_admin", "expert"])
def test_other_roles_are_refused_with_the_reason(client, url, name):
    client.force_login(actor(name))

    response = client.get(url, **EN)

    assert response.status_code == 403
    assert "Only bureau staff and administrators organise the expert review." in response.text


@pytest.mark.parametrize("url", [LIST, IMPORT])
@pytest.mark.parametrize("name", ["staff_sc", "staff_cq", "admin"])
def test_staff_of_either_province_and_administrators_open_the_pages(client, url, name):
    client.force_login(actor(name))

    assert client.get(url).status_code == 200


@pytest.mark.parametrize("name", ["applicant", "unit_admin", "expert"])
def test_other_roles_cannot_switch_experts_or_import(client, name):
    expert = make_expert("SC")
    client.force_login(actor(name))

    switched = client.post(LIST, {"expert": expert.pk, "action": "deactivate"})
    imported = client.post(IMPORT, {"file": csv_upload([expert_row(1)])})

    assert (switched.status_code, imported.status_code) == (403, 403)
    expert.refresh_from_db()
    assert expert.active
    assert not ReviewerProfile.objects.filter(user__email="expert1@example.com").exists()


# --- The list --------------------------------------------------------------------------------


def test_the_list_shows_the_experts_and_the_pool_per_province_and_field(staff_client):
    make_expert("CQ", fields=("ai",), max_load=7)
    make_expert("SC", fields=("ai", "health"), max_load=5)
    make_expert("SC", fields=("health",), active=False)

    response = staff_client.get(LIST, **EN)

    counts = response.context["counts"]
    lines = {line.code: [(c.experts, c.capacity) for c in line.by_province] for line in counts.lines}
    # Columns: Sichuan, Chongqing, both.
    assert lines["ai"] == [(1, 5), (1, 7), (2, 12)]
    assert lines["health"] == [(1, 5), (0, 0), (1, 5)]
    assert [(c.experts, c.capacity) for c in counts.total.by_province] == [(1, 5), (1, 7), (2, 12)]
    assert counts.inactive == 1
    assert response.context["page"].paginator.count == 2
    assert "1 inactive expert is not counted." in response.text


def test_the_list_filters_by_province_field_status_and_search(staff_client):
    ai_cq = make_expert("CQ", fields=("ai",))
    health_sc = make_expert("SC", fields=("health",))
    off = make_expert("SC", fields=("ai",), active=False)

    def shown(**query):
        return {e.pk for e in staff_client.get(LIST, query).context["experts"]}

    assert shown() == {ai_cq.pk, health_sc.pk}
    assert shown(province="SC") == {health_sc.pk}
    assert shown(field="ai") == {ai_cq.pk}
    assert shown(active="no") == {off.pk}
    assert shown(active="all", field="ai") == {ai_cq.pk, off.pk}
    assert shown(q=health_sc.user.full_name) == {health_sc.pk}
    assert shown(q=ai_cq.organization.name) == {ai_cq.pk}
    assert shown(q=ai_cq.organization.uscc.lower()) == {ai_cq.pk}
    # Unknown values mean "all" rather than an error.
    assert shown(province="XX", field="nope", active="maybe") == {ai_cq.pk, health_sc.pk}


@pytest.mark.parametrize("experts", [2, 50])
def test_the_list_costs_the_same_for_few_and_many_experts(
    staff_client, django_assert_max_num_queries, experts
):
    for n in range(experts):
        make_expert("SC" if n % 2 else "CQ", fields=("ai", "eco") if n % 3 else ("health",))

    # Session, user, fields, pool per field, pool per province, count, page, the page's fields.
    with django_assert_max_num_queries(8):
        response = staff_client.get(LIST)

    assert len(response.context["experts"]) == experts


def test_the_pages_keep_the_filters(staff_client):
    for _ in range(52):
        make_expert("SC", fields=("eco",))

    response = staff_client.get(LIST, {"province": "SC", "field": "eco"})

    assert 'href="?province=SC&amp;field=eco&amp;page=2"' in response.text
    second = staff_client.get(LIST, {"province": "SC", "field": "eco", "page": 2})
    assert len(second.context["experts"]) == 2


def test_staff_switch_an_expert_off_and_on_and_return_to_the_same_list(staff_client):
    expert = make_expert("SC")
    url = LIST + "?province=SC"

    response = staff_client.post(url, {"expert": expert.pk, "action": "deactivate"}, **EN)

    assert response.status_code == 302
    assert response["Location"] == url
    expert.refresh_from_db()
    assert not expert.active
    staff_client.post(url, {"expert": expert.pk, "action": "activate"})
    expert.refresh_from_db()
    assert expert.active


def test_an_unknown_expert_or_action_changes_nothing(staff_client):
    expert = make_expert("SC")

    assert staff_client.post(LIST, {"expert": 999999, "action": "deactivate"}).status_code == 404
    assert staff_client.post(LIST, {"expert": "x", "action": "deactivate"}).status_code == 404
    response = staff_client.post(LIST, {"expert": expert.pk, "action": "delete"}, follow=True, **EN)
    assert "Unknown action; nothing was changed." in response.text
    expert.refresh_from_db()
    assert expert.active


def test_an_expert_without_a_password_can_be_invited_again(staff_client, django_capture_on_commit_callbacks):
    from django.core import mail

    expert = make_expert("CQ")
    expert.user.set_unusable_password()
    expert.user.save()

    page = staff_client.get(LIST, **EN)
    assert "No password yet" in page.text and 'value="invite"' in page.text
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(LIST, {"expert": expert.pk, "action": "invite"}, follow=True, **EN)

    assert f"The invitation to {expert.user.email} is on its way." in response.text
    assert [m.to for m in mail.outbox] == [[expert.user.email]]


def test_an_expert_with_a_password_is_not_invited_again(staff_client):
    expert = make_expert("CQ")

    response = staff_client.post(LIST, {"expert": expert.pk, "action": "invite"}, follow=True, **EN)

    assert "has chosen a password already" in response.text


# --- The import page -------------------------------------------------------------------------


def test_the_import_page_explains_the_columns_and_links_the_example_files(staff_client):
    response = staff_client.get(IMPORT, **EN)

    for code in ("email", "unit_uscc", "fields", "max_load", "统一社会信用代码", "专业领域"):
        assert code in response.text
    assert "examples/experts.csv" in response.text
    assert "examples/experts.xlsx" in response.text


def test_a_good_file_is_imported_and_the_counts_are_shown_once(staff_client):
    response = staff_client.post(IMPORT, {"file": csv_upload([expert_row(1), expert_row(2)])})

    assert response.status_code == 302
    page = staff_client.get(response["Location"], **EN)
    result = page.context["result"]
    assert (result["created"], result["units_created"]) == (2, 1)
    assert "“experts.csv” is imported" in page.text
    assert ReviewerProfile.objects.count() == 2
    # Shown once: reloading the page does not show it again, nor import again.
    assert staff_client.get(IMPORT).context["result"] is None


def test_a_file_with_bad_rows_lists_every_row_and_imports_nothing(staff_client):
    rows = [
        expert_row(1),
        expert_row(2, email="expert1@example.com"),
        expert_row(3, fields="robots", unit_uscc="123"),
    ]

    response = staff_client.post(IMPORT, {"file": csv_upload(rows)}, **EN)

    assert response.status_code == 200
    errors = response.context["errors"]
    assert [(e.row, e.field) for e in errors] == [(2, "email"), (3, "email"), (4, "unit_uscc, fields")]
    assert "Nothing was imported: 3 rows of “experts.csv” have errors" in response.text
    assert "Allowed codes:" in response.text
    assert not ReviewerProfile.objects.exists()


def test_a_file_that_is_no_expert_list_is_refused_on_the_file_field(staff_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    header_only = SimpleUploadedFile("experts.csv", csv_bytes([]).split(b"\r\n")[0].replace(b",fields", b""))
    response = staff_client.post(IMPORT, {"file": header_only}, **EN)

    assert response.status_code == 200
    assert "missing: fields" in response.context["form"].errors["file"][0]


def test_an_upload_without_a_file_is_refused(staff_client):
    response = staff_client.post(IMPORT, {}, **EN)

    assert response.status_code == 200
    assert response.context["form"].errors["file"]


def test_the_imported_experts_appear_in_the_list(staff_client):
    staff_client.post(IMPORT, {"file": csv_upload([expert_row(1, unit_uscc=CQ_UNIT)])})

    response = staff_client.get(LIST, {"q": "expert1@example.com"}, **EN)

    [expert] = response.context["experts"]
    assert expert.user.full_name == "专家1"
    assert "No password yet" in response.text


def test_the_errors_name_the_columns_as_the_file_names_them(staff_client):
    header = ["邮箱", "姓名", "省份", "单位名称", "统一社会信用代码", "专业领域"]
    rows = [
        {
            "邮箱": "bad",
            "姓名": "张三",
            "省份": "重庆",
            "单位名称": "重庆测试大学",
            "统一社会信用代码": CQ_UNIT,
            "专业领域": "ai",
        }
    ]

    response = staff_client.post(IMPORT, {"file": csv_upload(rows, header=header)}, **EN)

    [row] = response.context["error_rows"]
    assert [(p["column"], p["field"]) for p in row["problems"]] == [("邮箱", "email")]
    assert '<td>邮箱 <span class="mono note">email</span></td>' in response.text
