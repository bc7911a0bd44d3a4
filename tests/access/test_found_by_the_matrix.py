"""Defects that the access matrix found in page views, each fixed with its regression test."""

import pytest
from django.urls import reverse

from portal.accounts.roles import Role
from tests.factories import UserFactory, make_applicant

pytestmark = pytest.mark.django_db


def test_an_administrator_on_the_admin_sign_in_page_goes_on_to_the_admin_site(client):
    """Was a 403 "Your account may not use the administration site" for the one role that may."""
    admin = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)

    index = client.get("/admin/login/")
    onwards = client.get("/admin/login/", {"next": "/admin/reviews/"})
    elsewhere = client.get("/admin/login/", {"next": "https://evil.example/"})

    assert index.status_code == 302 and index["Location"] == reverse("admin:index")
    assert onwards.status_code == 302 and onwards["Location"] == "/admin/reviews/"
    assert elsewhere.status_code == 302 and elsewhere["Location"] == reverse("admin:index")


def test_a_signed_in_person_who_may_not_use_the_admin_site_is_still_told_so(client):
    client.force_login(make_applicant())

    response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    assert "may not use the administration site" in response.content.decode()


def test_a_visitor_on_the_admin_sign_in_page_is_sent_to_the_portal_sign_in_page(client):
    response = client.get("/admin/login/", {"next": "/admin/"})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login") + "?next=%2Fadmin%2F"


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_the_security_page_only_reads(client, method):
    """It answered any method with the page; it is a page to read, like every other."""
    client.force_login(make_applicant())

    response = getattr(client, method)(reverse("accounts:security"))

    assert response.status_code == 405
    assert client.get(reverse("accounts:security")).status_code == 200
