"""The site shell: the landing page, each role's home and navigation, sign-in and -out,
the error pages, and the template filters that show money and deadlines."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from applications.models import CallStatus
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.shell import views as shell_views
from portal.shell.navigation import NAVIGATION, nav_links
from portal.templatetags.portal_tags import beijing, minutes, percent, wan, wan_yuan
from tests.factories import FundingCallFactory, OrganizationFactory, ResearchFieldFactory, UserFactory

BEIJING = ZoneInfo("Asia/Shanghai")
PASSWORD = "correct-horse-battery"


def user_of(role: str, **extra: object) -> User:
    if role == Role.BUREAU_STAFF:
        extra.setdefault("province", "CQ")
    return UserFactory(role=role, full_name=f"{role} 测试", **extra)


def english(client: Client, url: str) -> HttpResponse:
    with translation.override("en"):
        return client.get(url, HTTP_ACCEPT_LANGUAGE="en")


# ---- Landing page -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_visitor_sees_the_landing_page_with_the_open_calls(client):
    FundingCallFactory(
        title_zh="2021年川渝联合实施重点研发项目",
        submit_deadline=datetime(2031, 6, 30, 17, 0, tzinfo=BEIJING),
        endorse_deadline=datetime(2031, 7, 7, 17, 0, tzinfo=BEIJING),
    )
    FundingCallFactory(title_zh="已结束的征集", status=CallStatus.CLOSED)
    ResearchFieldFactory(code="ai")

    response = client.get("/")

    page = response.text
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "shell/landing.html"
    assert '<html lang="zh-hans">' in page
    assert "2021年川渝联合实施重点研发项目" in page
    assert "已结束的征集" not in page
    assert "2031年6月30日 17:00" in page
    assert "人工智能" in page
    assert reverse("accounts:login") in page


@pytest.mark.django_db
def test_the_landing_page_says_so_when_no_call_is_open(client):
    response = english(client, "/")

    assert "No call is open for applications at the moment." in response.text


@pytest.mark.django_db
def test_the_layout_has_landmarks_skip_link_and_htmx_without_inline_styles(client):
    response = client.get("/")

    page = response.text
    assert 'href="#main"' in page and '<main id="main"' in page
    assert "<header" in page and "<nav" in page and "<footer" in page
    assert "django_htmx/htmx-2.min.js" in page
    assert '"includeIndicatorStyles": false' in page
    # Every script carries the nonce of the page's CSP, and no element has a style attribute.
    nonce = response["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert page.count("<script") == page.count(f'nonce="{nonce}"')
    assert " style=" not in page


# ---- Role homes and navigation ----------------------------------------------------------

ROLE_HOMES = {
    Role.APPLICANT: ("shell/home_applicant.html", "As project leader you apply"),
    Role.UNIT_ADMIN: ("shell/home_unit_admin.html", "Your unit"),
    Role.BUREAU_STAFF: ("shell/home_bureau_staff.html", "Bureau of Chongqing"),
    Role.REVIEWER: ("shell/home_reviewer.html", "As an expert you score"),
    Role.ADMIN: ("shell/home_admin.html", "You manage the portal"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(ROLE_HOMES))
def test_each_role_lands_on_its_home_with_its_navigation(client, role):
    user = user_of(role)
    client.force_login(user)

    response = english(client, "/")

    template, text = ROLE_HOMES[role]
    page = response.text
    assert response.status_code == 200
    assert template in [t.name for t in response.templates]
    assert text in page
    assert f"Hello, {user.full_name}" in page
    assert reverse("accounts:logout") in page
    hrefs = [link.url for link in response.context["nav_links"]]
    assert hrefs[0] == "/"
    assert "/calls/" in hrefs
    assert reverse("accounts:security") in hrefs
    for href in hrefs:
        assert f'href="{href}"' in page


@pytest.mark.django_db
def test_the_header_names_the_user_and_the_role(client):
    client.force_login(user_of(Role.BUREAU_STAFF, province="SC"))

    page = english(client, "/").text

    assert "bureau_staff 测试" in page
    assert "Bureau staff · Sichuan" in page


@pytest.mark.django_db
def test_bureau_staff_see_the_budget_of_their_own_province(client):
    FundingCallFactory(budget_sc=Decimal("20000000"), budget_cq=Decimal("18000000"))
    client.force_login(user_of(Role.BUREAU_STAFF, province="CQ"))

    response = english(client, "/")

    assert "Chongqing budget (10,000 yuan)" in response.text
    assert "1,800.00" in response.text
    assert "2,000.00" not in response.text


@pytest.mark.django_db
def test_bureau_staff_see_draft_calls_on_their_home(client):
    FundingCallFactory(title_zh="草稿征集", status=CallStatus.DRAFT)
    client.force_login(user_of(Role.BUREAU_STAFF))

    assert "草稿征集" in client.get("/").text


@pytest.mark.django_db
def test_a_unit_admin_sees_the_unit(client):
    unit = OrganizationFactory(name="重庆大学（测试）")
    client.force_login(user_of(Role.UNIT_ADMIN, organization=unit))

    page = client.get("/").text

    assert "重庆大学（测试）" in page
    assert unit.uscc in page


@pytest.mark.django_db
def test_the_admin_site_link_is_only_for_users_who_may_use_it(client):
    client.force_login(user_of(Role.ADMIN, is_staff=True))
    assert 'href="/admin/"' in client.get("/").text

    client.force_login(user_of(Role.ADMIN, is_staff=False))
    assert 'href="/admin/"' not in client.get("/").text

    client.force_login(user_of(Role.APPLICANT))
    assert 'href="/admin/"' not in client.get("/").text


@pytest.mark.django_db
def test_the_admin_home_links_the_audit_trail(client):
    client.force_login(user_of(Role.ADMIN, is_staff=True))

    page = client.get("/").text

    assert 'href="/admin/audit/auditevent/"' in page


def test_every_role_has_navigation_and_every_item_resolves():
    assert set(NAVIGATION) == set(Role.values)
    staff = type("Staff", (), {"is_authenticated": True, "is_staff": True})
    for role in Role.values:
        user = staff()
        user.role = role
        links = nav_links(user, "/calls/")
        assert [link.url for link in links if link.current] == ["/calls/"]
        assert all(link.url.startswith("/") for link in links)


@pytest.mark.django_db
def test_the_current_page_is_marked_in_the_navigation(client):
    page = client.get("/calls/").text

    assert '<a href="/calls/" aria-current="page">' in page
    assert '<a href="/" aria-current="page">' not in page


# ---- Sign in and out --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_login_page_asks_for_an_email(client):
    page = english(client, reverse("accounts:login")).text

    assert 'type="email"' in page
    assert ">Email</label>" in page


@pytest.mark.django_db
def test_a_user_signs_in_with_the_email_in_any_case(client):
    UserFactory(email="pi@example.test", role=Role.APPLICANT)

    response = client.post(reverse("accounts:login"), {"username": "PI@Example.test ", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_wrong_credentials_say_so(client):
    UserFactory(email="pi@example.test")

    with translation.override("en"):
        response = client.post(
            reverse("accounts:login"),
            {"username": "pi@example.test", "password": "wrong"},
            HTTP_ACCEPT_LANGUAGE="en",
        )

    assert response.status_code == 200
    assert "The email address or the password is not correct." in response.text
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_sign_out_is_a_post(client):
    client.force_login(UserFactory())

    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_too_many_failures_show_the_lockout_page(client, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    UserFactory(email="pi@example.test")

    with translation.override("en"):
        for _ in range(3):
            response = client.post(
                reverse("accounts:login"),
                {"username": "pi@example.test", "password": "wrong"},
                HTTP_ACCEPT_LANGUAGE="en",
            )

    assert response.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in response.templates]
    assert "Please try again in 15 minutes." in response.text


@pytest.mark.django_db
def test_a_user_changes_the_password(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-long-passphrase-9",
            "new_password2": "a-new-long-passphrase-9",
        },
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-new-long-passphrase-9")


@pytest.mark.django_db
def test_account_pages_need_a_signed_in_user(client):
    for name in ("accounts:security", "accounts:password_change", "accounts:two_factor"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


# ---- Error pages ------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_page_is_the_404_page_in_the_visitors_language(client):
    response = english(client, "/no/such/page/")

    assert response.status_code == 404
    assert "This page does not exist" in response.text
    assert '<html lang="en">' in response.text


@pytest.mark.django_db
def test_the_403_page_shows_the_reason_of_the_refusal():
    from django.core.exceptions import PermissionDenied

    request = RequestFactory().get("/x/")
    with translation.override("en"):
        response = shell_views.permission_denied(
            request, PermissionDenied("Only the Sichuan bureau may do this.")
        )

    assert response.status_code == 403
    assert "Only the Sichuan bureau may do this." in response.content.decode()


def test_the_500_page_renders_without_a_database_or_request_context():
    # No django_db mark: any query would fail the test.
    request = RequestFactory().get("/boom/")
    with translation.override("en"):
        response = shell_views.server_error(request)

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()


@pytest.mark.django_db
def test_a_request_the_server_cannot_understand_is_the_400_page():
    request = RequestFactory().get("/x/")
    with translation.override("en"):
        response = shell_views.bad_request(request, Exception("internal detail"))

    assert response.status_code == 400
    assert "The request could not be understood" in response.content.decode()
    assert "internal detail" not in response.content.decode()


# ---- Filters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yuan", "shown"),
    [
        (Decimal("20000000"), "2,000.00"),
        (Decimal("2000000.00"), "200.00"),
        (Decimal("1234567.89"), "123.46"),
        (Decimal("50"), "0.01"),
        (Decimal("49"), "0.00"),
        (0, "0.00"),
        ("15000000", "1,500.00"),
        (None, ""),
        ("not money", ""),
    ],
)
def test_wan_shows_yuan_as_10k_yuan_with_two_decimals(yuan, shown):
    assert wan(yuan) == shown


def test_wan_yuan_adds_the_unit_in_the_page_language():
    with translation.override("en"):
        assert wan_yuan(Decimal("20000000")) == "2,000.00\u00a0×\u00a010,000\u00a0yuan"
    assert wan_yuan(None) == ""


@pytest.mark.parametrize(
    ("ratio", "shown"),
    [(Decimal("0.2"), "20%"), (Decimal("0.125"), "12.5%"), (Decimal("1"), "100%"), (None, "")],
)
def test_percent_shows_a_ratio(ratio, shown):
    assert percent(ratio) == shown


def test_beijing_converts_to_beijing_time_and_says_so():
    moment = datetime(2031, 6, 30, 9, 0, tzinfo=ZoneInfo("UTC"))  # 17:00 in Beijing
    with translation.override("en"):
        assert beijing(moment) == (
            '<time datetime="2031-06-30T17:00+08:00">June 30, 2031, 5 p.m.</time> '
            '<span class="tz">(Beijing time)</span>'
        )
    with translation.override("zh-hans"):
        assert "2031年6月30日 17:00" in beijing(moment)
    assert beijing(date(2031, 7, 1)).startswith('<time datetime="2031-07-01">')
    assert beijing(None) == ""


def test_minutes_rounds_a_wait_up():
    assert minutes(timedelta(minutes=15)) == 15
    assert minutes(timedelta(seconds=61)) == 2
    assert minutes(None) == ""


@pytest.mark.django_db
def test_the_landing_page_marks_a_passed_deadline(client):
    FundingCallFactory(
        opens_at=timezone.now() - timedelta(days=30),
        submit_deadline=timezone.now() - timedelta(days=1),
        endorse_deadline=timezone.now() + timedelta(days=5),
    )

    assert "Applicants' deadline passed" in english(client, "/").text
