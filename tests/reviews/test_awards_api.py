"""The decision API: shortlist, suggestion, awards (propose, read, change, withdraw, list) and
the joint approval — the actor matrix, bad input answered 400 naming the field and the rule,
states answered 409, and a list whose query count does not grow with the awards."""

import json
from decimal import Decimal

import pytest

from applications.models import ApplicationStatus, FundingCall
from portal.accounts.roles import Role
from reviews.models import Award, AwardStatus
from reviews.services.awards import award_approve, award_create
from tests.factories import UserFactory
from tests.reviews.award_helpers import make_candidate, make_decision_call
from tests.reviews.factories import make_expert, make_staff

pytestmark = pytest.mark.django_db

D = Decimal
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
AWARDS = "/api/v1/awards/"
# User (session or token), call filter, awards (+ shares), count — at 2 and at 50 awards.
MAX_QUERIES = 6


def shortlist_url(call) -> str:
    return f"/api/v1/calls/{call.pk}/shortlist/"


def suggest_url(call) -> str:
    return f"/api/v1/calls/{call.pk}/awards/suggest/"


def award_url(award) -> str:
    return f"{AWARDS}{award.pk}/"


def approve_url(award) -> str:
    return f"{AWARDS}{award.pk}/approve/"


def errors(response) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in response.json()["errors"]]


@pytest.fixture
def call():
    return make_decision_call(quotas={"ai": 3})


@pytest.fixture
def staff():
    return make_staff("SC")


ACTORS = {
    "anonymous": lambda application: None,
    "owner": lambda application: application.pi,
    "expert": lambda application: make_expert().user,
    "staff_sc": lambda application: make_staff("SC"),
    "staff_cq": lambda application: make_staff("CQ"),
    "admin": lambda application: UserFactory(role=Role.ADMIN),
}


# --- The actor matrix ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "shortlist", "read", "approve", "create"),
    [
        ("anonymous", 401, 401, 401, 401),
        ("owner", 403, 404, 404, 403),
        ("expert", 403, 404, 404, 403),
        ("staff_sc", 200, 200, 200, 201),
        ("staff_cq", 200, 200, 200, 201),
        ("admin", 200, 200, 403, 201),
    ],
)
def test_who_may_do_what(api_client, call, actor, shortlist, read, approve, create):
    reviewed = make_candidate(call, status=ApplicationStatus.REVIEWED)
    awarded = make_candidate(call)
    award = award_create(application=awarded, by=None)
    another = make_candidate(call)
    user = ACTORS[actor](awarded)
    if user is not None:
        api_client.force_authenticate(user)

    assert (
        api_client.post(
            shortlist_url(call), {"applications": [reviewed.pk], "shortlisted": True}, format="json"
        ).status_code
        == shortlist
    )
    assert api_client.get(award_url(award)).status_code == read
    assert api_client.post(approve_url(award), {}, format="json").status_code == approve
    assert api_client.post(AWARDS, {"application": another.pk}, format="json").status_code == create
    assert api_client.get(AWARDS, {"call": call.pk}).status_code == (
        200 if create == 201 else (401 if actor == "anonymous" else 403)
    )


# --- Proposing, reading, changing ----------------------------------------------------------------------


def test_an_award_is_proposed_with_the_default_amounts_and_read_back(api_client, call, staff):
    application = make_candidate(call, province="CQ", sc="600000", cq="1600000", score="81.25")
    api_client.force_authenticate(staff)

    response = api_client.post(AWARDS, {"application": application.pk}, format="json")

    assert response.status_code == 201
    body = response.json()
    # 2.2 M requested, scaled to the 2 M cap in proportion.
    assert (body["amount_sc"], body["amount_cq"], body["total"]) == ("545454.55", "1454545.45", "2000000.00")
    assert (body["status"], body["version"], body["score"], body["field"]) == ("proposed", 1, "81.25", "ai")
    assert body["application"] == {
        "id": application.pk,
        "reference": application.reference,
        "title": application.title,
        "status": "shortlisted",
    }
    assert {(s["province"], s["unit_uscc"]) for s in body["shares"]} == {
        ("CQ", application.lead_unit.uscc),
        ("SC", application.partners.get().uscc),
    }
    assert body["approvals"] == [
        {"province": "SC", "approved": False, "by": None, "at": None},
        {"province": "CQ", "approved": False, "by": None, "at": None},
    ]
    assert api_client.get(f"{AWARDS}{body['id']}/").json() == body


def test_totals_and_per_unit_amounts_are_both_accepted(api_client, call, staff):
    application = make_candidate(call, province="SC")
    lead, partner = application.lead_unit.uscc, application.partners.get().uscc
    api_client.force_authenticate(staff)

    created = api_client.post(
        AWARDS, {"application": application.pk, "amounts": {"SC": "500000.00", "CQ": 250000}}, format="json"
    ).json()
    changed = api_client.patch(
        f"{AWARDS}{created['id']}/",
        {
            "amounts": {"SC": {lead: "400000", "total": "400000.00"}, "CQ": {partner: "300000.5"}},
            "version": 1,
        },
        format="json",
    )

    assert changed.status_code == 200
    body = changed.json()
    assert (body["amount_sc"], body["amount_cq"], body["version"]) == ("400000.00", "300000.50", 2)


def test_a_change_clears_the_approvals_and_a_stale_version_is_409(api_client, call, staff):
    award = award_approve(award=award_create(application=make_candidate(call), by=staff), by=staff)
    api_client.force_authenticate(make_staff("CQ"))

    body = api_client.patch(
        award_url(award), {"amounts": {"SC": "1000", "CQ": "1000"}, "version": 1}, format="json"
    ).json()
    assert (body["status"], body["approvals"][0]["approved"]) == ("proposed", False)

    stale = api_client.patch(award_url(award), {"amounts": {"SC": "2000"}, "version": 1}, format="json", **EN)
    assert stale.status_code == 409
    assert errors(stale) == [("version", "conflict")]
    assert "now version 2" in stale.json()["detail"]
    missing = api_client.patch(award_url(award), {"amounts": None}, format="json")
    assert errors(missing) == [("version", "required")]


def test_an_award_is_withdrawn_with_a_reason(api_client, call, staff):
    award = award_create(application=make_candidate(call), by=staff)
    api_client.force_authenticate(staff)

    assert errors(api_client.delete(award_url(award), {}, format="json")) == [("reason", "required")]
    nul = api_client.delete(award_url(award), {"reason": "a\x00b"}, format="json")
    assert nul.status_code == 400 and errors(nul)[0][0] == "reason"
    response = api_client.delete(award_url(award), {"reason": "项目单位放弃"}, format="json")

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["withdrawn_reason"]) == ("withdrawn", "项目单位放弃")
    call.refresh_from_db()
    assert call.awarded_sc == 0


def test_an_announced_award_is_not_withdrawn_through_the_api(api_client, call, staff):
    award = award_create(application=make_candidate(call), by=staff)
    Award.objects.filter(pk=award.pk).update(status=AwardStatus.ANNOUNCED)
    api_client.force_authenticate(staff)

    response = api_client.delete(award_url(award), {"reason": "不再资助"}, format="json")

    assert (response.status_code, errors(response)) == (409, [(None, "state")])
    award.refresh_from_db()
    assert award.status == AwardStatus.ANNOUNCED


# --- Bad input, each naming the field and the rule ----------------------------------------------------


@pytest.mark.parametrize(
    ("amounts", "field", "code", "words"),
    [
        ({"SC": "1500000", "CQ": "600000"}, "amounts", "cap", "Cap per project"),
        ({"SC": "-1"}, "amounts.SC", "invalid", "may not be negative"),
        ({"SC": "abc"}, "amounts.SC", "invalid", "not a number"),
        ({"SC": "NaN"}, "amounts.SC", "invalid", "not a number"),
        ({"SC": "1.001"}, "amounts.SC", "invalid", "two decimals"),
        ({"SC": 0.001}, "amounts.SC", "invalid", "two decimals"),
        ({"SC": "10\u0000"}, "amounts.SC", "invalid", "not a number"),
        ({"SC": None}, "amounts.SC", "invalid", "amount in yuan"),
        ({"XX": "1"}, "amounts.XX", "invalid", "SC (Sichuan) and CQ (Chongqing)"),
        ({"SC": {"91110000600037341L": "1"}}, "amounts.SC.91110000600037341L", "unit", "not the unified"),
        ("500000", "amounts", "invalid", "per province"),
        ({"SC": "0", "CQ": "0"}, "amounts", "required", "needs some government funding"),
    ],
)
def test_bad_amounts_are_400_naming_the_field(api_client, call, staff, amounts, field, code, words):
    application = make_candidate(call)
    api_client.force_authenticate(staff)

    response = api_client.post(
        AWARDS, {"application": application.pk, "amounts": amounts}, format="json", **EN
    )

    assert response.status_code == 400
    assert errors(response) == [(field, code)]
    assert words in response.json()["detail"]
    assert not Award.objects.exists()


def test_a_side_paying_the_other_sides_unit_is_refused_unless_allowed(api_client, call, staff):
    application = make_candidate(call, province="CQ")
    lead = application.lead_unit.uscc
    api_client.force_authenticate(staff)
    body = {"application": application.pk, "amounts": {"SC": {lead: "100000"}}}

    response = api_client.post(AWARDS, body, format="json", **EN)

    assert errors(response) == [(f"amounts.SC.{lead}", "cross_funding")]
    FundingCall.objects.filter(pk=call.pk).update(cross_funding_allowed=True)
    assert api_client.post(AWARDS, body, format="json").status_code == 201


def test_shares_that_do_not_sum_to_the_total_are_refused(api_client, call, staff):
    application = make_candidate(call, province="CQ")
    api_client.force_authenticate(staff)

    response = api_client.post(
        AWARDS,
        {"application": application.pk, "amounts": {"CQ": {application.lead_unit.uscc: "1", "total": "2"}}},
        format="json",
    )

    assert (response.status_code, errors(response)) == (400, [("amounts.CQ.total", "shares")])


def test_a_full_quota_and_a_full_budget_are_409(api_client, staff):
    call = make_decision_call(quotas={"ai": 1}, budget_cq=D("600000"))
    award_create(application=make_candidate(call, sc="100000", cq="500000"), by=staff)
    api_client.force_authenticate(staff)

    quota = api_client.post(AWARDS, {"application": make_candidate(call).pk}, format="json", **EN)
    assert (quota.status_code, errors(quota)) == (409, [(None, "quota")])
    assert "1 of 1 awards made" in quota.json()["detail"]

    make_candidate(call, field="eco")  # a field with room
    eco = make_candidate(call, field="eco", sc="0", cq="200000")
    budget = api_client.post(AWARDS, {"application": eco.pk}, format="json", **EN)
    assert (budget.status_code, errors(budget)) == (409, [("amounts.CQ", "budget_cq")])
    assert "Chongqing budget: 50.00" in budget.json()["detail"]


def test_an_application_that_is_not_shortlisted_is_409(api_client, call, staff):
    application = make_candidate(call, status=ApplicationStatus.REVIEWED)
    api_client.force_authenticate(staff)

    response = api_client.post(AWARDS, {"application": application.pk}, format="json")

    assert (response.status_code, errors(response)) == (409, [("application", "state")])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"application": 999999}, "application"),
        ({"application": "abc"}, "application"),
        ({"application": -3}, "application"),
        ({}, "application"),
    ],
)
def test_unknown_or_hostile_application_ids_are_refused(api_client, call, staff, body, field):
    api_client.force_authenticate(staff)
    response = api_client.post(AWARDS, body, format="json")
    assert response.status_code == 400 and errors(response)[0][0] == field


def test_hostile_ids_in_addresses_are_404(api_client, call, staff):
    api_client.force_authenticate(staff)
    for url in ("/api/v1/awards/999999/", "/api/v1/awards/abc/", "/api/v1/awards/1%00/approve/"):
        assert api_client.get(url).status_code == 404
    assert api_client.post("/api/v1/calls/999999/shortlist/", {}, format="json").status_code == 404
    assert api_client.get(AWARDS, {"call": "999999"}).status_code == 404
    bad = api_client.get(AWARDS, {"call": "1 OR 1=1"})
    assert (bad.status_code, errors(bad)) == (400, [("call", "invalid")])


def test_a_json_nan_literal_is_refused(api_client, call, staff):
    application = make_candidate(call)
    api_client.force_authenticate(staff)

    response = api_client.post(
        AWARDS,
        data=f'{{"application": {application.pk}, "amounts": {{"SC": NaN}}}}',
        content_type="application/json",
    )

    assert response.status_code == 400
    assert not Award.objects.exists()


# --- Approval -------------------------------------------------------------------------------------------


def test_both_bureaus_approve_once_each(api_client, call, staff):
    award = award_create(application=make_candidate(call), by=staff)
    api_client.force_authenticate(staff)

    first = api_client.post(approve_url(award), {"version": 1}, format="json")
    assert first.json()["status"] == "approved_sc"
    twice = api_client.post(approve_url(award), {}, format="json", **EN)
    assert (twice.status_code, errors(twice)) == (409, [(None, "already_approved")])
    assert "already approved by Sichuan" in twice.json()["detail"]

    api_client.force_authenticate(make_staff("CQ"))
    body = api_client.post(approve_url(award), {}, format="json").json()

    assert body["status"] == AwardStatus.APPROVED
    assert [a["approved"] for a in body["approvals"]] == [True, True]


def test_an_administrator_approving_gets_403_with_the_reason(api_client, call, staff):
    award = award_create(application=make_candidate(call), by=staff)
    api_client.force_authenticate(UserFactory(role=Role.ADMIN))

    response = api_client.post(approve_url(award), {}, format="json", **EN)

    assert response.status_code == 403
    assert "Administrators have no province" in response.json()["detail"]


def test_an_approval_of_a_version_no_longer_current_is_409(api_client, call, staff):
    award = award_create(application=make_candidate(call), by=staff)
    api_client.force_authenticate(staff)
    api_client.patch(award_url(award), {"amounts": {"SC": "1000"}, "version": 1}, format="json")

    response = api_client.post(approve_url(award), {"version": 1}, format="json")

    assert (response.status_code, errors(response)) == (409, [("version", "conflict")])


# --- Shortlist and suggestion ----------------------------------------------------------------------------


def test_shortlisting_answers_what_moved(api_client, call, staff):
    reviewed = make_candidate(call, status=ApplicationStatus.REVIEWED)
    already = make_candidate(call)
    api_client.force_authenticate(staff)

    body = api_client.post(
        shortlist_url(call), {"applications": [reviewed.pk, already.pk], "shortlisted": True}, format="json"
    ).json()

    assert body["moved"] == [reviewed.pk]
    assert {a["id"]: a["status"] for a in body["applications"]} == {
        reviewed.pk: "shortlisted",
        already.pk: "shortlisted",
    }


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"applications": [], "shortlisted": True}, 400, "applications"),
        ({"applications": ["x"], "shortlisted": True}, 400, "applications.0"),
        ({"applications": [1], "shortlisted": "perhaps"}, 400, "shortlisted"),
        ({"applications": [999999], "shortlisted": True}, 400, "applications"),
    ],
)
def test_bad_shortlist_requests_name_the_field(api_client, call, staff, body, status, field):
    api_client.force_authenticate(staff)
    response = api_client.post(shortlist_url(call), body, format="json")
    assert response.status_code == status and errors(response)[0][0] == field


def test_taking_an_application_with_an_award_off_the_shortlist_is_409(api_client, call, staff):
    application = make_candidate(call)
    award_create(application=application, by=staff)
    api_client.force_authenticate(staff)

    response = api_client.post(
        shortlist_url(call), {"applications": [application.pk], "shortlisted": False}, format="json"
    )

    assert (response.status_code, errors(response)) == (409, [("applications", "state")])


def test_the_suggestion_is_read_then_applied(api_client, staff):
    call = make_decision_call(quotas={"ai": 3}, budget_sc=D("1000000"))
    make_candidate(call, score="90", sc="1000000", cq="0", status=ApplicationStatus.REVIEWED)
    cheap = [
        make_candidate(call, score="60", sc="500000", cq="0", status=ApplicationStatus.REVIEWED) for _ in "ab"
    ]
    api_client.force_authenticate(staff)

    read = api_client.post(suggest_url(call), {}, format="json").json()

    assert (read["chosen"], read["score"], read["optimal"], read["applied"]) == (
        [a.pk for a in cheap],
        "120.00",
        True,
        False,
    )
    assert (read["amount_sc"], read["budgets_left"]["SC"], read["quotas_left"]) == (
        "1000000.00",
        "1000000.00",
        {"ai": 3},
    )
    stale = api_client.post(suggest_url(call), {"apply": True, "expected": [cheap[0].pk]}, format="json")
    assert (stale.status_code, errors(stale)) == (409, [("expected", "conflict")])

    applied = api_client.post(
        suggest_url(call), {"apply": True, "expected": read["chosen"]}, format="json"
    ).json()

    assert applied["applied"] is True and len(applied["created"]) == 2
    assert [p["award"] for p in applied["proposed"]] == applied["created"]
    assert set(Award.objects.values_list("application__status", flat=True)) == {"shortlisted"}


def test_a_bad_apply_flag_is_400(api_client, call, staff):
    api_client.force_authenticate(staff)
    response = api_client.post(suggest_url(call), {"apply": "sometimes"}, format="json")
    assert (response.status_code, errors(response)[0][0]) == (400, "apply")


# --- The list ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [2, 50])
def test_the_list_reads_a_fixed_number_of_queries(api_client, django_assert_max_num_queries, staff, rows):
    call = make_decision_call(quotas={"ai": 60})
    for _ in range(rows):
        award_approve(
            award=award_create(application=make_candidate(call), by=staff, amounts={"SC": "1000"}), by=staff
        )
    make_candidate(make_decision_call())  # another call's application, never listed
    api_client.force_authenticate(staff)

    with django_assert_max_num_queries(MAX_QUERIES):
        response = api_client.get(AWARDS, {"call": call.pk})

    body = response.json()
    assert body["count"] == rows and len(body["results"]) == rows
    assert all(r["approvals"][0]["by"] for r in body["results"])
    json.dumps(body)  # plain JSON throughout
