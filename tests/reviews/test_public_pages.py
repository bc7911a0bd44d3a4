"""The public pages of the announcement, without sign-in: the list, one announcement, the
real-name objection form with its confirmation, and their protection against abuse."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from reviews.models import AwardStatus, Objection, Publicity
from reviews.services.publicity import beijing_today, publicity_start
from tests.factories import FundingCallFactory
from tests.reviews.award_factories import make_award
from tests.reviews.factories import make_staff
from tests.reviews.publicity_factories import VALID, announced_call, pdf_upload

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def list_url() -> str:
    return reverse("public:announcements")


def page_url(call) -> str:
    return reverse("public:announcement", args=[call.pk])


def form_url(call) -> str:
    return reverse("public:objection_new", args=[call.pk])


def status_of(obj):
    return type(obj).objects.values_list("status", flat=True).get(pk=obj.pk)


def post_objection(client, publicity, target, **changes):
    data = {"award": target.pk, **VALID, **changes}
    return client.post(
        form_url(publicity.call), {key: value for key, value in data.items() if value is not None}
    )


# --- The list and the announcement ----------------------------------------------------------


def test_the_list_shows_begun_announcements_to_anyone(client):
    begun, _ = announced_call(2)
    later_call = FundingCallFactory(title_zh="尚未开始公示的征集")
    make_award(later_call)
    publicity_start(call=later_call, start_date=beijing_today() + timedelta(days=3), by=make_staff())

    response = client.get(list_url(), **EN)

    assert response.status_code == 200
    text = response.content.decode()
    assert reverse("public:announcement", args=[begun.call_id]) in text
    assert "尚未开始公示的征集" not in text
    assert "Open for objections" in text
    assert response.context["publicities"][0].projects == 2


def test_the_announcement_shows_the_columns_and_nothing_else(client):
    publicity, (award, other) = announced_call(2)
    Publicity.objects.filter(pk=publicity.pk).update(contact="科技厅 028-12345678")
    application = award.application
    secret_score = Decimal("87.65")
    type(award).objects.filter(pk=award.pk).update(score=secret_score)

    response = client.get(page_url(publicity.call), **EN)

    assert response.status_code == 200
    text = response.content.decode()
    partner = application.partners.get()
    for shown in (
        application.title,
        application.lead_unit.name,
        partner.name,
        application.pi.full_name,
        application.guide_task.code,
        "50.00",  # 300,000 + 200,000 yuan in 万元
        publicity.ends_on.isoformat(),
        "科技厅 028-12345678",
    ):
        assert shown in text, shown
    for hidden in (
        application.pi.email,
        application.pi.id_number,
        str(secret_score),
        application.lead_unit.uscc,
        application.reference,
    ):
        assert hidden and hidden not in text, hidden
    # Row order and numbering, and a per-row link to object.
    rows = response.context["rows"]
    assert [row.number for row in rows] == [1, 2]
    assert f"?award={award.pk}" in text
    # A table that turns into cards on a phone.
    assert 'data-label="Lead unit"' in text
    assert 'name="viewport"' in text


def test_withdrawn_awards_leave_the_list_and_objected_ones_stay_unmarked(client):
    from reviews.services.publicity import objection_resolve
    from tests.reviews.publicity_factories import file_objection

    publicity, (withdrawn, objected, plain) = announced_call(3)
    first = file_objection(publicity, withdrawn)
    objection_resolve(objection=first, decision="upheld", reason="属实", by=make_staff())
    file_objection(publicity, objected)

    response = client.get(page_url(publicity.call), **EN)

    titles = [row.title for row in response.context["rows"]]
    assert titles == [objected.application.title, plain.application.title]
    assert b"Objection pending" not in response.content
    assert b"Withdrawn" not in response.content


def test_the_page_is_in_chinese_by_default_and_english_on_request(client):
    publicity, _ = announced_call(1)
    english = client.get(page_url(publicity.call), **EN)
    assert b"How to object" in english.content
    chinese = client.get(page_url(publicity.call))
    assert chinese.status_code == 200
    assert 'lang="zh-hans"' in chinese.content.decode()


@pytest.mark.parametrize("path", ["/announcements/99999999/", "/announcements/99999999999999999999/"])
def test_unknown_or_hostile_calls_are_404(client, path):
    announced_call(1)
    assert client.get(path).status_code == 404
    assert client.get(path + "objection/").status_code == 404


def test_an_announcement_set_for_a_later_day_is_not_public_yet(client):
    call = FundingCallFactory()
    make_award(call)
    publicity_start(call=call, start_date=beijing_today() + timedelta(days=3), by=make_staff())
    assert client.get(page_url(call)).status_code == 404
    assert client.get(form_url(call)).status_code == 404


def test_a_call_without_announcement_is_404(client):
    call = FundingCallFactory()
    assert client.get(page_url(call)).status_code == 404


# --- Filing an objection --------------------------------------------------------------------


def test_anyone_files_a_real_name_objection_and_gets_a_reference(client):
    publicity, (award, _) = announced_call(2)

    form = client.get(form_url(publicity.call) + f"?award={award.pk}", **EN)
    assert form.status_code == 200
    assert form.context["form"].initial == {"award": str(award.pk)}
    assert 'enctype="multipart/form-data"' in form.content.decode()
    response = post_objection(client, publicity, award, attachment=pdf_upload())

    assert response.status_code == 302
    objection = Objection.objects.get()
    assert objection.award == award and objection.name == VALID["name"]
    assert objection.attachment
    assert str(objection.ip) == "127.0.0.1"
    assert status_of(award) == AwardStatus.OBJECTED
    done = client.get(response["Location"], **EN)
    assert done.status_code == 200
    assert objection.token in done.content.decode()
    assert done["Cache-Control"] == "private, no-store"
    # The reference is shown once; coming back shows the form again.
    again = client.get(response["Location"])
    assert again.status_code == 302
    assert objection.token not in client.get(again["Location"]).content.decode()


def test_the_confirmation_of_another_call_is_not_shown(client):
    publicity, (award,) = announced_call(1)
    other, _ = announced_call(1)
    response = post_objection(client, publicity, award)
    assert response.status_code == 302
    stray = client.get(form_url(other.call) + "?filed=1")
    assert stray.status_code == 302


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"name": "匿名"}, "name"),
        ({"name": "Anonymous"}, "name"),
        ({"unit": ""}, "unit"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "+1 650 555 0100"}, "phone"),
        ({"email": "not-an-email"}, "email"),
        ({"text": ""}, "text"),
        ({"text": "异议\x00内容"}, "text"),
        ({"name": "李\x00明"}, "name"),
        ({"award": "abc"}, "award"),
        ({"award": "-1"}, "award"),
        ({"award": "1 OR 1=1"}, "award"),
        ({"award": "99999999999999999999999"}, "award"),
        ({"award": ""}, "award"),
    ],
)
def test_bad_input_re_renders_the_form_with_the_message(client, changes, field):
    publicity, (award,) = announced_call(1)

    response = post_objection(client, publicity, award, **changes)

    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Objection.objects.exists()
    assert status_of(award) == AwardStatus.ANNOUNCED


def test_an_anonymous_objection_is_refused_with_a_readable_message(client):
    publicity, (award,) = announced_call(1)
    response = client.post(form_url(publicity.call), {"award": award.pk, **VALID, "name": "匿名"}, **EN)
    assert response.status_code == 400
    assert "anonymous objections are not accepted" in response.content.decode()


def test_an_attachment_that_is_not_a_pdf_is_refused(client):
    publicity, (award,) = announced_call(1)
    fake = pdf_upload("evidence.pdf", content=b"<html>not a pdf</html>")
    response = post_objection(client, publicity, award, attachment=fake)
    assert response.status_code == 400
    assert "attachment" in response.context["form"].errors
    assert not Objection.objects.exists()


def test_an_award_of_another_call_is_not_a_choice(client):
    publicity, (award,) = announced_call(1)
    _other, (elsewhere,) = announced_call(1)
    response = post_objection(client, publicity, elsewhere)
    assert response.status_code == 400
    assert "award" in response.context["form"].errors


def test_an_award_not_announced_is_not_a_choice(client):
    publicity, (award,) = announced_call(1)
    proposed = make_award(publicity.call, status=AwardStatus.PROPOSED)
    response = post_objection(client, publicity, proposed)
    assert response.status_code == 400
    assert not Objection.objects.exists()


def test_after_the_window_the_form_says_so_and_refuses(client):
    publicity, (award,) = announced_call(1)
    Publicity.objects.filter(pk=publicity.pk).update(
        starts_on=beijing_today() - timedelta(days=14), ends_on=beijing_today() - timedelta(days=7)
    )

    page = client.get(form_url(publicity.call), **EN)
    assert page.status_code == 200
    assert b"Objections are taken from" in page.content
    assert "form" not in page.context
    response = post_objection(client, publicity, award)

    assert response.status_code == 409
    assert not Objection.objects.exists()
    announcement = client.get(page_url(publicity.call), **EN)
    assert b"File an objection" not in announcement.content
    assert b"objections are no longer taken" in announcement.content


def test_too_many_objections_from_one_address_are_refused(client, settings):
    settings.PORTAL_OBJECTIONS_PER_HOUR = 2
    publicity, (award, other) = announced_call(2)

    assert post_objection(client, publicity, award).status_code == 302
    assert post_objection(client, publicity, other, name="王芳").status_code == 302
    third = client.post(form_url(publicity.call), {"award": award.pk, **VALID, "name": "赵强"}, **EN)

    assert third.status_code == 429
    assert b"Too many objections" in third.content
    assert Objection.objects.count() == 2
    # Another address is not affected.
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert post_objection(elsewhere, publicity, award, name="赵强").status_code == 302
    assert Objection.objects.count() == 3


def test_invalid_attempts_do_not_use_up_the_limit(client, settings):
    settings.PORTAL_OBJECTIONS_PER_HOUR = 1
    publicity, (award,) = announced_call(1)
    for _attempt in range(3):
        assert post_objection(client, publicity, award, name="匿名").status_code == 400
    assert post_objection(client, publicity, award).status_code == 302


def test_the_form_is_csrf_protected():
    publicity, (award,) = announced_call(1)
    client = Client(enforce_csrf_checks=True)
    response = client.post(form_url(publicity.call), {"award": award.pk, **VALID})
    assert response.status_code == 403
    assert not Objection.objects.exists()


def test_the_form_page_is_not_cached_and_not_indexed(client):
    publicity, _ = announced_call(1)
    response = client.get(form_url(publicity.call))
    assert response["Cache-Control"] == "private, no-store"
    assert b'name="robots" content="noindex"' in response.content


# --- Queries -----------------------------------------------------------------------------------

MAX_QUERIES = 3


@pytest.mark.parametrize("rows", [2, 50])
def test_the_public_pages_read_a_fixed_number_of_queries(client, django_assert_max_num_queries, rows):
    publicity, _ = announced_call(rows)

    with django_assert_max_num_queries(MAX_QUERIES):
        page = client.get(page_url(publicity.call))
    with django_assert_max_num_queries(MAX_QUERIES):
        form = client.get(form_url(publicity.call))
    with django_assert_max_num_queries(MAX_QUERIES):
        listing = client.get(list_url())

    assert len(page.context["rows"]) == rows
    assert len(form.context["form"].fields["award"].choices) == rows + 1
    assert listing.status_code == 200
