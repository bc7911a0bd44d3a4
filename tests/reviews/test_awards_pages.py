"""The decision's pages: the awards board (quotas and budgets always shown, candidates by field,
shortlisting, approve buttons), the suggestion and its acceptance, an award's form in 万元 and
its withdrawal, the approval; who may see what; bad input re-rendered with its message; a
query count that does not grow with the candidates; cards on a phone."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from applications.models import ApplicationStatus
from portal.accounts.roles import Role
from reviews.models import Award, AwardStatus
from reviews.services.awards import award_approve, award_create, award_update
from tests.factories import UserFactory
from tests.reviews.award_helpers import make_candidate, make_decision_call
from tests.reviews.factories import make_expert, make_staff

pytestmark = pytest.mark.django_db

D = Decimal
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
# Session, user, call (+ its fields), "announced?", the ranking's five reads, quotas, budget
# lines, awards (+ shares), partners — the same at 2 and at 50 candidates.
MAX_QUERIES = 15


def board_url(call) -> str:
    return reverse("reviews:awards", args=[call.pk])


def edit_url(application) -> str:
    return reverse("reviews:award_edit", args=[application.pk])


def approve_url(award) -> str:
    return reverse("reviews:award_approve", args=[award.pk])


def text(response) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).replace("&#x27;", "'").replace("&quot;", '"')


@pytest.fixture
def call():
    return make_decision_call(quotas={"ai": 2, "eco": 1})


@pytest.fixture
def staff():
    return make_staff("SC")


# --- Who may see what ---------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, call):
    application = make_candidate(call)
    award = award_create(application=application, by=None)
    for url in (board_url(call), edit_url(application), reverse("reviews:awards_suggest", args=[call.pk])):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]
    response = client.post(approve_url(award))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("who", ["owner", "expert", "unit_admin"])
def test_people_other_than_review_staff_get_403_on_the_board_and_404_for_an_award(client, call, who):
    application = make_candidate(call)
    award = award_create(application=application, by=None)
    user = {
        "owner": application.pi,
        "expert": make_expert().user,
        "unit_admin": UserFactory(role=Role.UNIT_ADMIN, organization=application.lead_unit),
    }[who]
    client.force_login(user)

    assert client.get(board_url(call)).status_code == 403
    assert client.post(reverse("reviews:shortlist", args=[call.pk]), {"shortlisted": "1"}).status_code == 403
    assert client.get(reverse("reviews:awards_suggest", args=[call.pk])).status_code == 403
    assert client.get(edit_url(application)).status_code == 404
    assert client.post(approve_url(award)).status_code == 404
    award.refresh_from_db()
    assert award.status == AwardStatus.PROPOSED


@pytest.mark.parametrize(
    "user", [lambda: make_staff("SC"), lambda: make_staff("CQ"), lambda: UserFactory(role=Role.ADMIN)]
)
def test_staff_of_both_bureaus_and_administrators_read_the_board(client, call, user):
    make_candidate(call)
    client.force_login(user())
    assert client.get(board_url(call), **EN).status_code == 200


def test_unknown_and_hostile_ids_are_404(client, call, staff):
    client.force_login(staff)
    for url in (
        "/review/calls/999999/awards/",
        "/review/applications/999999/award/",
        "/review/calls/abc/awards/",
        "/review/applications/1%00/award/",
    ):
        assert client.get(url).status_code == 404
    assert client.post("/review/awards/999999/approve/").status_code == 404


# --- The board -------------------------------------------------------------------------------------------


def test_the_board_shows_quotas_budgets_and_the_candidates_by_field(client, call, staff):
    top = make_candidate(call, score="91", sc="1500000", cq="1500000", title="智能诊断")
    make_candidate(call, score="72", status=ApplicationStatus.REVIEWED, title="智能制造")
    make_candidate(call, field="eco", score="66", title="长江生态")
    award_create(application=top, by=staff)
    client.force_login(staff)

    response = client.get(board_url(call), **EN)

    page = text(response)
    assert "Artificial intelligence 2 1 1" in page  # quota, awards, left
    assert "Eco-environmental protection 1 0 1" in page
    assert "Sichuan 2,000.00 100.00 1,900.00" in page  # budget, awarded, left in 万元
    assert "Chongqing 2,000.00 100.00 1,900.00" in page
    assert "1 of 2 awards · 1 left" in page
    assert "1 智能诊断" in page and "91.00" in page and "over the cap of 200.00" in page
    assert "SC 100.00 · CQ 100.00 Proposed" in page
    assert "2 智能制造" in page and "Reviewed" in page
    assert page.index("智能诊断") < page.index("智能制造") < page.index("长江生态")
    assert "Approve for my bureau" in page


def test_on_a_phone_every_cell_names_itself_and_no_table_is_wider_than_the_screen(client, call, staff):
    make_candidate(call)
    client.force_login(staff)
    body = client.get(board_url(call), **EN).content.decode()

    cells = re.findall(r"<td(?: [^>]*)?>", body)
    assert cells and all("data-label" in cell or "app-title" in cell or "colspan" in cell for cell in cells)
    assert body.count('class="table-wrap"') >= 3
    assert "css/awards.css" in body


@pytest.mark.parametrize("rows", [2, 50])
def test_the_board_reads_a_fixed_number_of_queries(client, django_assert_max_num_queries, staff, rows):
    call = make_decision_call(quotas={"ai": 60, "eco": 60})
    for index in range(rows):
        application = make_candidate(call, field="ai" if index % 2 else "eco", score=str(60 + index % 30))
        if index % 3 == 0:
            award_approve(
                award=award_create(application=application, by=staff, amounts={"SC": "1000"}), by=staff
            )
    client.force_login(staff)

    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(board_url(call))

    assert response.status_code == 200
    assert len(response.context["board"].rows) == rows


# --- Shortlisting -----------------------------------------------------------------------------------------


def test_ticked_applications_are_shortlisted(client, call, staff):
    first = make_candidate(call, status=ApplicationStatus.REVIEWED)
    second = make_candidate(call, status=ApplicationStatus.REVIEWED)
    client.force_login(staff)

    response = client.post(
        reverse("reviews:shortlist", args=[call.pk]),
        {"applications": [first.pk, second.pk], "shortlisted": "1"},
        follow=True,
        **EN,
    )

    assert "2 applications shortlisted." in text(response)
    first.refresh_from_db()
    assert first.status == ApplicationStatus.SHORTLISTED


def test_taking_an_application_with_an_award_off_the_shortlist_is_refused_on_the_page(client, call, staff):
    application = make_candidate(call)
    award_create(application=application, by=staff)
    client.force_login(staff)

    response = client.post(
        reverse("reviews:shortlist", args=[call.pk]),
        {"applications": [application.pk], "shortlisted": "0"},
        **EN,
    )

    assert response.status_code == 409
    assert "has an award: withdraw the award before taking it off the shortlist" in text(response)


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"applications": ["999999"], "shortlisted": "1"}, 400, "Not applications of this call: 999999."),
        ({"applications": ["1\x00"], "shortlisted": "1"}, 400, "Application ids are whole numbers."),
        ({"applications": [], "shortlisted": "1"}, 400, "Choose at least one application."),
        ({"shortlisted": "maybe"}, 400, "Choose whether to shortlist"),
    ],
)
def test_bad_shortlist_requests_re_render_the_board_with_the_message(
    client, call, staff, data, status, message
):
    make_candidate(call, status=ApplicationStatus.REVIEWED)
    client.force_login(staff)

    response = client.post(reverse("reviews:shortlist", args=[call.pk]), data, **EN)

    assert response.status_code == status
    assert message in text(response)


# --- The suggestion -----------------------------------------------------------------------------------------


def test_the_suggestion_is_shown_with_its_totals_and_accepted(client, staff):
    call = make_decision_call(quotas={"ai": 3}, budget_sc=D("1000000"))
    make_candidate(call, score="90", sc="1000000", cq="0", title="贵的项目")
    cheap = [make_candidate(call, score="60", sc="500000", cq="0", title=f"项目{i}") for i in range(2)]
    client.force_login(staff)
    url = reverse("reviews:awards_suggest", args=[call.pk])

    page = text(client.get(url, **EN))

    assert "2 awards suggested proven best" in page
    assert "Total score 120.00" in page and "Sichuan funding 100.00" in page
    assert "贵的项目" not in page.split("Funding after the suggestion")[0].split("awards suggested")[1]
    chosen = ",".join(str(a.pk) for a in cheap)

    response = client.post(url, {"chosen": chosen}, follow=True, **EN)

    assert "2 awards proposed from the suggestion" in text(response)
    assert sorted(Award.objects.values_list("application_id", flat=True)) == [a.pk for a in cheap]


def test_a_suggestion_accepted_after_a_change_is_shown_again(client, call, staff):
    make_candidate(call, score="80")
    client.force_login(staff)

    response = client.post(reverse("reviews:awards_suggest", args=[call.pk]), {"chosen": "424242"}, **EN)

    assert response.status_code == 409
    assert "The suggestion changed since you read it" in text(response)
    assert not Award.objects.exists()
    response = client.post(reverse("reviews:awards_suggest", args=[call.pk]), {"chosen": "1;2"}, **EN)
    assert response.status_code == 400


# --- One award -----------------------------------------------------------------------------------------------


def test_an_award_is_proposed_in_ten_thousand_yuan_per_unit(client, call, staff):
    application = make_candidate(call, province="CQ")
    lead, partner = application.lead_unit.uscc, application.partners.get().uscc
    client.force_login(staff)

    page = client.get(edit_url(application), **EN).content.decode()
    assert f'name="CQ-{lead}"' in page and 'value="50"' in page  # the request, by default
    assert f'name="CQ-{partner}"' not in page  # Chongqing does not pay the Sichuan partner

    response = client.post(
        edit_url(application), {f"CQ-{lead}": "60.5", f"SC-{partner}": "20", "version": ""}, **EN
    )

    assert response.status_code == 302
    award = Award.objects.get()
    assert (award.amount_cq, award.amount_sc, award.status) == (D("605000.00"), D("200000.00"), "proposed")


@pytest.mark.parametrize(
    ("typed", "status", "message"),
    [
        ("abc", 400, "“abc” is not a number"),
        ("-1", 400, "may not be negative"),
        ("1.234", 400, "at most two decimals"),
        ("NaN", 400, "is not a number"),
        ("1\x002", 400, "is not a number"),
        ("250", 400, "Cap per project"),
    ],
)
def test_bad_amounts_re_render_the_form_with_the_message(client, call, staff, typed, status, message):
    application = make_candidate(call, province="CQ")
    client.force_login(staff)

    response = client.post(edit_url(application), {f"CQ-{application.lead_unit.uscc}": typed}, **EN)

    assert response.status_code == status
    assert message in text(response)
    assert not Award.objects.exists()


def test_a_total_that_does_not_match_the_units_is_marked_on_the_total(client, call, staff):
    application = make_candidate(call, province="CQ")
    client.force_login(staff)

    response = client.post(
        edit_url(application), {f"CQ-{application.lead_unit.uscc}": "30", "CQ-total": "40"}, **EN
    )

    assert response.status_code == 400
    assert 'id="error_CQ-total"' in response.content.decode()


def test_a_full_quota_is_refused_on_the_form_with_409(client, staff):
    call = make_decision_call(quotas={"ai": 1})
    award_create(application=make_candidate(call), by=staff)
    application = make_candidate(call)
    client.force_login(staff)

    response = client.post(edit_url(application), {f"CQ-{application.lead_unit.uscc}": "10"}, **EN)

    assert response.status_code == 409
    assert "Quota of Artificial intelligence: 1 of 1 awards made" in text(response)


def test_a_change_from_a_stale_form_is_refused(client, call, staff):
    application = make_candidate(call, province="CQ")
    award = award_create(application=application, by=staff)
    award_update(award=award, by=make_staff("CQ"), amounts={"CQ": "100000"}, version=1)
    client.force_login(staff)

    response = client.post(
        edit_url(application), {f"CQ-{application.lead_unit.uscc}": "20", "version": "1"}, **EN
    )

    assert response.status_code == 409
    assert "This award was changed meanwhile" in text(response)


def test_saving_changed_amounts_clears_the_approvals(client, call, staff):
    application = make_candidate(call, province="CQ")
    award = award_approve(award=award_create(application=application, by=staff), by=staff)
    client.force_login(staff)

    response = client.post(
        edit_url(application),
        {f"CQ-{application.lead_unit.uscc}": "20", "version": str(award.version)},
        follow=True,
        **EN,
    )

    assert "needs the approval of both bureaus again" in text(response)
    award.refresh_from_db()
    assert (award.status, award.approved_sc_by, award.amount_cq, award.amount_sc) == (
        "proposed",
        None,
        D("200000"),
        D(0),
    )


def test_an_award_is_withdrawn_with_a_reason(client, call, staff):
    application = make_candidate(call)
    award = award_create(application=application, by=staff)
    client.force_login(staff)

    refused = client.post(
        edit_url(application), {"action": "withdraw", "reason": "a\x00b"}, follow=True, **EN
    )
    assert "control characters" in text(refused)
    response = client.post(
        edit_url(application), {"action": "withdraw", "reason": "单位放弃"}, follow=True, **EN
    )

    assert "was withdrawn; its quota place and funding are free again" in text(response)
    award.refresh_from_db()
    assert (award.status, award.withdrawn_reason) == ("withdrawn", "单位放弃")


def test_a_reviewed_application_cannot_get_an_award_from_the_form(client, call, staff):
    application = make_candidate(call, status=ApplicationStatus.REVIEWED)
    client.force_login(staff)

    assert "shortlist it on the awards page first" in text(client.get(edit_url(application), **EN))
    response = client.post(edit_url(application), {f"CQ-{application.lead_unit.uscc}": "10"}, **EN)
    assert response.status_code == 409
    assert not Award.objects.exists()


# --- Approval ------------------------------------------------------------------------------------------------


def test_each_bureau_approves_once_from_the_board(client, call, staff):
    application = make_candidate(call)
    award = award_create(application=application, by=staff)
    client.force_login(staff)

    response = client.post(approve_url(award), {"version": "1", "next": board_url(call)}, follow=True, **EN)

    assert "the other bureau's is still needed" in text(response)
    twice = client.post(approve_url(award), {"version": "1"}, **EN)
    assert twice.status_code == 409
    with translation.override("en"):
        assert "already approved by Sichuan" in text(twice)
    client.force_login(make_staff("CQ"))
    response = client.post(approve_url(award), {"version": "1"}, follow=True, **EN)
    assert "approved by both bureaus and ready for the public announcement" in text(response)
    award.refresh_from_db()
    assert award.status == AwardStatus.APPROVED


def test_an_administrator_cannot_approve(client, call, staff):
    award = award_create(application=make_candidate(call), by=staff)
    client.force_login(UserFactory(role=Role.ADMIN))

    response = client.post(approve_url(award), **EN)

    assert response.status_code == 403
    award.refresh_from_db()
    assert award.status == AwardStatus.PROPOSED


def test_an_approval_redirects_only_to_this_site(client, call, staff):
    award = award_create(application=make_candidate(call), by=staff)
    client.force_login(staff)

    response = client.post(approve_url(award), {"next": "https://evil.example/"})

    assert response.status_code == 302 and response["Location"].startswith(board_url(call))
