"""The staff pages of the public announcement: the call's page (start, window, awards,
objections, close), an objection with the decision form, and its attachment."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from applications.models import ApplicationStatus
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from reviews.models import AwardStatus, Holiday, Objection, ObjectionStatus, Publicity, PublicityStatus
from reviews.services.publicity import beijing_today, publicity_end
from tests.factories import FundingCallFactory, UserFactory, make_applicant
from tests.reviews.award_factories import make_award
from tests.reviews.factories import make_expert, make_staff
from tests.reviews.publicity_factories import PDF, announced_call, file_objection, pdf_upload

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def page_url(call) -> str:
    return reverse("reviews:publicity", args=[call.pk])


def objection_url(objection) -> str:
    return reverse("reviews:objection_detail", args=[objection.pk])


def attachment_url(objection) -> str:
    return reverse("reviews:objection_attachment", args=[objection.pk])


def status_of(obj):
    return type(obj).objects.values_list("status", flat=True).get(pk=obj.pk)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def actor(name: str, award=None):
    return {
        "staff_cq": lambda: make_staff("CQ"),
        "staff_sc": lambda: make_staff("SC"),
        "admin": lambda: UserFactory(role=Role.ADMIN),
        "pi": lambda: award.application.pi,
        "other_applicant": lambda: make_applicant(),
        "unit_admin": lambda: UserFactory(role=Role.UNIT_ADMIN, organization=award.application.lead_unit),
        "expert": lambda: make_expert("CQ").user,
        "anonymous": lambda: None,
    }[name]()


# --- The actor matrix --------------------------------------------------------------------------

# page → {actor: HTTP status}; anonymous visitors are sent to sign in (302).
MATRIX = {
    "publicity": {
        "staff_cq": 200,
        "staff_sc": 200,
        "admin": 200,
        "pi": 403,
        "other_applicant": 403,
        "unit_admin": 403,
        "expert": 403,
        "anonymous": 302,
    },
    # An objection holds the objector's personal data: it does not exist for anyone but staff.
    "objection": {
        "staff_cq": 200,
        "staff_sc": 200,
        "admin": 200,
        "pi": 404,
        "other_applicant": 404,
        "unit_admin": 404,
        "expert": 404,
        "anonymous": 302,
    },
    "attachment": {
        "staff_cq": 200,
        "staff_sc": 200,
        "admin": 200,
        "pi": 404,
        "other_applicant": 404,
        "unit_admin": 404,
        "expert": 404,
        "anonymous": 302,
    },
}


@pytest.mark.parametrize(("page", "who"), [(page, who) for page, row in MATRIX.items() for who in row])
def test_actor_matrix_of_the_staff_pages(client, page, who):
    publicity, (award,) = announced_call(1)
    objection = file_objection(publicity, award, attachment=pdf_upload())
    user = actor(who, award)
    if user is not None:
        client.force_login(user)
    url = {"publicity": page_url(publicity.call), "objection": objection_url(objection)}.get(
        page, attachment_url(objection)
    )

    response = client.get(url)

    assert response.status_code == MATRIX[page][who]
    if response.status_code == 302:
        assert reverse("accounts:login") in response["Location"]
    if page == "attachment" and response.status_code == 200:
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Cache-Control"] == "private, no-store"
        assert objection.token in response["Content-Disposition"]


@pytest.mark.parametrize("who", ["pi", "expert"])
def test_non_staff_cannot_decide_or_close_by_posting(client, who):
    publicity, (award,) = announced_call(1)
    objection = file_objection(publicity, award)
    client.force_login(actor(who, award))

    decided = client.post(objection_url(objection), {"decision": "upheld", "reason": "x"})
    closed = client.post(page_url(publicity.call), {"action": "close"})

    assert decided.status_code == 404
    assert closed.status_code == 403
    assert status_of(objection) == ObjectionStatus.OPEN
    assert status_of(award) == AwardStatus.OBJECTED


# --- Starting --------------------------------------------------------------------------------


def test_staff_start_the_announcement_from_the_page(client):
    call = FundingCallFactory()
    awards = [make_award(call), make_award(call)]
    client.force_login(make_staff("SC"))
    today = beijing_today()

    form = client.get(page_url(call), **EN)
    assert form.status_code == 200
    assert b"Announce the approved awards" in form.content
    response = client.post(page_url(call), {"action": "start", "start_date": today.isoformat()}, **EN)

    assert response.status_code == 302
    publicity = Publicity.objects.get(call=call)
    assert publicity.starts_on == today
    assert [status_of(a) for a in awards] == [AwardStatus.ANNOUNCED] * 2
    page = client.get(response["Location"], **EN)
    assert any("announced from" in m for m in messages_of(page))
    assert b"The public page" in page.content


def test_a_start_in_the_past_re_renders_the_form_with_the_message(client):
    call = FundingCallFactory()
    make_award(call)
    client.force_login(make_staff())
    yesterday = beijing_today() - timedelta(days=1)

    with translation.override("en"):
        response = client.post(page_url(call), {"action": "start", "start_date": yesterday.isoformat()}, **EN)

    assert response.status_code == 400
    assert "cannot start in the past" in str(response.context["form"].errors["start_date"])
    assert not Publicity.objects.filter(call=call).exists()


@pytest.mark.parametrize("value", ["", "2030-02-30", "yesterday", "2030-01-01\x00"])
def test_a_start_date_that_is_not_a_date_is_refused_on_the_form(client, value):
    call = FundingCallFactory()
    make_award(call)
    client.force_login(make_staff())
    response = client.post(page_url(call), {"action": "start", "start_date": value})
    assert response.status_code == 400
    assert "start_date" in response.context["form"].errors


def test_unapproved_awards_are_named_and_block_the_start(client):
    call = FundingCallFactory()
    make_award(call)
    make_award(call, status=AwardStatus.PROPOSED, title="待批准的项目")
    client.force_login(make_staff())

    page = client.get(page_url(call), **EN)
    assert b"not approved by both bureaus yet" in page.content
    response = client.post(
        page_url(call), {"action": "start", "start_date": beijing_today().isoformat()}, follow=True, **EN
    )

    assert any("待批准的项目" in m for m in messages_of(response))
    assert not Publicity.objects.filter(call=call).exists()


def test_a_second_start_is_refused_with_a_message(client):
    publicity, _ = announced_call(1)
    client.force_login(make_staff())
    response = client.post(
        page_url(publicity.call),
        {"action": "start", "start_date": beijing_today().isoformat()},
        follow=True,
        **EN,
    )
    assert any("already been announced" in m for m in messages_of(response))
    assert Publicity.objects.filter(call=publicity.call).count() == 1


def test_an_unknown_action_or_call_is_handled(client):
    publicity, _ = announced_call(1)
    client.force_login(make_staff())
    assert client.post(page_url(publicity.call), {"action": "drop"}).status_code == 302
    assert client.get(reverse("reviews:publicity", args=[99999999])).status_code == 404
    assert client.get("/review/calls/1%00/publicity/").status_code == 404


# --- The window, the objections and the close -----------------------------------------------


def test_the_page_shows_the_window_the_awards_and_the_objections(client):
    publicity, (award, other) = announced_call(2)
    objection = file_objection(publicity, award)
    client.force_login(make_staff("CQ"))

    response = client.get(page_url(publicity.call), **EN)

    text = response.content.decode()
    assert publicity.ends_on.isoformat() in text
    assert objection.token in text and objection.name in text
    assert award.application.title in text and other.application.title in text
    assert "1 open objection" in text
    assert 'data-label="Lead unit"' in text
    # Only after the last day, with every objection decided.
    assert "Close the announcement" not in text


def test_staff_close_the_announcement_after_the_last_day(client):
    publicity, (award,) = announced_call(1)
    Publicity.objects.filter(pk=publicity.pk).update(
        starts_on=beijing_today() - timedelta(days=14), ends_on=beijing_today() - timedelta(days=7)
    )
    client.force_login(make_staff("SC"))

    page = client.get(page_url(publicity.call), **EN)
    assert b"Close the announcement" in page.content
    response = client.post(page_url(publicity.call), {"action": "close"})

    assert response.status_code == 302
    assert status_of(publicity) == PublicityStatus.CLOSED
    assert status_of(award) == AwardStatus.FINAL
    assert status_of(award.application) == ApplicationStatus.AWARDED


def test_closing_too_early_says_why(client):
    publicity, (award,) = announced_call(1)
    client.force_login(make_staff("SC"))
    response = client.post(page_url(publicity.call), {"action": "close"}, follow=True, **EN)
    assert any("can be closed from the next day" in m for m in messages_of(response))
    assert status_of(publicity) == PublicityStatus.OPEN


def test_closing_before_any_announcement_says_so(client):
    call = FundingCallFactory()
    client.force_login(make_staff())
    response = client.post(page_url(call), {"action": "close"}, follow=True, **EN)
    assert any("have not been announced" in m for m in messages_of(response))


# --- Deciding an objection -------------------------------------------------------------------------


def test_staff_dismiss_an_objection_with_a_reason(client):
    publicity, (award,) = announced_call(1)
    objection = file_objection(publicity, award, attachment=pdf_upload())
    client.force_login(make_staff("CQ"))

    page = client.get(objection_url(objection), **EN)
    assert objection.phone in page.content.decode() and objection.email in page.content.decode()
    assert b"Download the attachment" in page.content
    response = client.post(objection_url(objection), {"decision": "dismissed", "reason": "经核实不成立。"})

    assert response.status_code == 302
    assert status_of(objection) == ObjectionStatus.DISMISSED
    assert status_of(award) == AwardStatus.ANNOUNCED
    after = client.get(objection_url(objection), **EN)
    assert "经核实不成立。" in after.content.decode()
    assert b"Record the decision" not in after.content


def test_staff_uphold_an_objection(client):
    publicity, (award,) = announced_call(1)
    objection = file_objection(publicity, award)
    client.force_login(make_staff("SC"))
    response = client.post(objection_url(objection), {"decision": "upheld", "reason": "材料不实。"})
    assert response.status_code == 302
    assert status_of(award) == AwardStatus.WITHDRAWN
    assert status_of(award.application) == ApplicationStatus.NOT_FUNDED


@pytest.mark.parametrize(
    "data",
    [
        {"decision": "dismissed", "reason": ""},
        {"decision": "dismissed", "reason": "   "},
        {"decision": "dismissed"},
        {"decision": "dismissed", "reason": "理由\x00"},
        {"decision": "maybe", "reason": "理由"},
        {"reason": "理由"},
    ],
)
def test_a_decision_without_a_reason_or_choice_re_renders_the_form(client, data):
    publicity, (award,) = announced_call(1)
    objection = file_objection(publicity, award)
    client.force_login(make_staff())
    response = client.post(objection_url(objection), data)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert status_of(objection) == ObjectionStatus.OPEN
    assert status_of(award) == AwardStatus.OBJECTED


def test_a_second_decision_is_refused_with_a_message(client):
    publicity, (award,) = announced_call(1)
    objection = file_objection(publicity, award)
    client.force_login(make_staff())
    client.post(objection_url(objection), {"decision": "dismissed", "reason": "不成立"})
    response = client.post(
        objection_url(objection), {"decision": "upheld", "reason": "改判"}, follow=True, **EN
    )
    assert any("already been decided" in m for m in messages_of(response))
    assert status_of(award) == AwardStatus.ANNOUNCED


def test_hostile_objection_ids_are_404(client):
    publicity, (award,) = announced_call(1)
    file_objection(publicity, award)
    client.force_login(make_staff())
    for url in ("/review/objections/99999999/", "/review/objections/99999999999999999999/"):
        assert client.get(url).status_code == 404
    assert client.get("/review/objections/abc/").status_code == 404


def test_an_objection_without_attachment_has_no_download(client):
    publicity, (award,) = announced_call(1)
    objection = file_objection(publicity, award)
    client.force_login(make_staff())
    assert client.get(attachment_url(objection)).status_code == 404


# --- Queries -----------------------------------------------------------------------------------

MAX_QUERIES = 8


@pytest.mark.parametrize("rows", [2, 50])
def test_the_page_reads_a_fixed_number_of_queries(client, django_assert_max_num_queries, rows):
    publicity, awards = announced_call(rows)
    for award in awards[: rows // 2]:
        file_objection(publicity, award)
    client.force_login(make_staff())

    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(page_url(publicity.call))

    assert response.status_code == 200
    assert len(response.context["awards"]) == rows
    assert len(response.context["objections"]) == rows // 2
    assert Objection.objects.count() == rows // 2


# --- The admin: the holiday calendar is edited there; announcements and objections are read-only


@pytest.fixture
def admin_client(client):
    client.force_login(
        User.objects.create_superuser(email="root@demo.test", password="x-pass-2021", full_name="管理员")
    )
    return client


def test_the_administrator_adds_a_holiday_and_it_is_audited_and_counted(admin_client):
    response = admin_client.post(
        reverse("admin:reviews_holiday_add"), {"date": "2030-01-08", "name": "测试假日", "workday": ""}
    )

    assert response.status_code == 302
    holiday = Holiday.objects.get(date="2030-01-08")
    assert AuditEvent.objects.filter(action="holiday.create", object_id=str(holiday.pk)).exists()
    # Monday 7 January + 5 working days without Tuesday 8 January ends on Monday 14 January.
    assert publicity_end(start_date=date(2030, 1, 7), working_days=5) == date(2030, 1, 14)
    listing = admin_client.get(reverse("admin:reviews_holiday_changelist"))
    assert "测试假日" in listing.content.decode()


@pytest.mark.parametrize("model", ["publicity", "objection"])
def test_announcements_and_objections_are_read_only_in_the_admin(admin_client, model):
    publicity, (award,) = announced_call(1)
    objection = file_objection(publicity, award)
    row = {"publicity": publicity, "objection": objection}[model]

    assert admin_client.get(reverse(f"admin:reviews_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:reviews_{model}_change", args=[row.pk])).status_code == 200
    assert admin_client.get(reverse(f"admin:reviews_{model}_add")).status_code == 403
    assert (
        admin_client.post(
            reverse(f"admin:reviews_{model}_delete", args=[row.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
