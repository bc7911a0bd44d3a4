"""The award services: shortlisting, proposing an award within the cap, the field's quota and
the provinces' budgets, changing it (approvals cleared, stale versions refused), the joint
approval, withdrawal, and the suggestion applied — the counters always equal the live awards."""

from datetime import date
from decimal import Decimal
from unittest import mock

import pytest
from django.db.models import Sum
from django.utils import translation

from applications.models import ApplicationStatus, CallField, FundingCall
from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from reviews.models import Award, AwardShare, AwardStatus, Publicity
from reviews.services import award_amounts
from reviews.services import awards as services
from reviews.services.award_errors import AwardError, http_status
from reviews.services.award_suggestions import awards_suggest
from reviews.services.awards import (
    applications_shortlist,
    award_approve,
    award_create,
    award_update,
    award_withdraw,
)
from tests.factories import UserFactory
from tests.reviews.award_helpers import make_candidate, make_decision_call, set_quota
from tests.reviews.factories import make_expert, make_staff

pytestmark = pytest.mark.django_db

D = Decimal


def refused(code: str, service, **kwargs) -> AwardError:
    with pytest.raises(AwardError) as caught, translation.override("en"):
        service(**kwargs)
    assert caught.value.code == code, caught.value.message
    return caught.value


def assert_counters_match(call) -> None:
    """The call's and fields' counters equal the sums of the live awards."""
    call.refresh_from_db()
    live = Award.objects.filter(call=call).exclude(status=AwardStatus.WITHDRAWN)
    sums = live.aggregate(sc=Sum("amount_sc"), cq=Sum("amount_cq"))
    assert call.awarded_sc == (sums["sc"] or 0)
    assert call.awarded_cq == (sums["cq"] or 0)
    for call_field in CallField.objects.filter(call=call):
        assert call_field.awarded == live.filter(field=call_field.field).count()
    for award in live:
        shares = AwardShare.objects.filter(award=award)
        assert sum((s.amount for s in shares if s.province == "SC"), D(0)) == award.amount_sc
        assert sum((s.amount for s in shares if s.province == "CQ"), D(0)) == award.amount_cq


@pytest.fixture
def call():
    return make_decision_call(quotas={"ai": 3})


@pytest.fixture
def staff():
    return make_staff("SC")


# --- Proposing an award ---------------------------------------------------------------------------


def test_an_award_by_default_pays_what_each_side_requested_for_its_own_units(call, staff):
    application = make_candidate(call, province="CQ", score="88.5", sc="600000", cq="800000")

    award = award_create(application=application, by=staff)

    assert (award.amount_sc, award.amount_cq, award.status, award.version) == (
        D("600000"),
        D("800000"),
        AwardStatus.PROPOSED,
        1,
    )
    assert award.score == D("88.50")
    shares = {(s.province, s.unit_uscc): (s.amount, s.unit_province) for s in award.shares.all()}
    partner = application.partners.get()
    assert shares == {
        ("CQ", application.lead_unit.uscc): (D("800000"), "CQ"),
        ("SC", partner.uscc): (D("600000"), "SC"),
    }
    assert_counters_match(call)
    event = AuditEvent.objects.get(action="award.create")
    assert (event.actor, event.object_id, event.to_state) == (staff, str(award.pk), "proposed")
    assert event.data["amount_sc"] == "600000.00"


def test_a_request_over_the_cap_is_proposed_at_the_cap_scaled_in_proportion(call, staff):
    application = make_candidate(call, sc="1500000", cq="1500000")

    award = award_create(application=application, by=staff)

    assert (award.amount_sc, award.amount_cq) == (D("1000000.00"), D("1000000.00"))
    assert award.total == call.per_project_cap


def test_a_guide_task_cap_below_the_calls_is_the_one_applied(call, staff):
    application = make_candidate(call, sc="500000", cq="500000")
    application.guide_task.cap = D("800000")
    application.guide_task.save()

    award = award_create(application=application, by=staff)

    assert award.total == D("800000")


def test_totals_per_province_go_to_the_own_units(call, staff):
    application = make_candidate(call, province="SC", sc="400000", cq="300000")

    award = award_create(application=application, by=staff, amounts={"SC": "250000.50", "CQ": 100000})

    shares = {s.province: (s.unit_uscc, s.amount) for s in award.shares.all()}
    assert shares == {
        "SC": (application.lead_unit.uscc, D("250000.50")),
        "CQ": (application.partners.get().uscc, D("100000")),
    }


def test_amounts_per_unit_with_a_matching_total_are_accepted(call, staff):
    application = make_candidate(call, province="CQ")
    lead = application.lead_unit.uscc

    award = award_create(
        application=application, by=staff, amounts={"CQ": {lead: "700000", "total": "700000.00"}, "SC": {}}
    )

    assert (award.amount_sc, award.amount_cq) == (D(0), D("700000"))


def test_an_amount_over_the_cap_is_refused_naming_the_rule_and_the_figures(call, staff):
    application = make_candidate(call)

    error = refused(
        "cap", award_create, application=application, by=staff, amounts={"SC": "1500000", "CQ": "600000"}
    )

    assert error.field == "amounts"
    assert "at most 200.00" in error.message and "totals 210.00" in error.message
    assert not Award.objects.exists()
    assert_counters_match(call)


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("-5", "may not be negative"),
        ("abc", "not a number"),
        ("NaN", "not a number"),
        ("Infinity", "not a number"),
        ("1.005", "two decimals"),
        ("12\x0034", "not a number"),
        (True, "amount in yuan"),
        ([1], "amount in yuan"),
        ("1e15", "At most 999,999,999,999.99"),
    ],
)
def test_bad_amounts_are_refused_naming_the_field(call, staff, value, rule):
    application = make_candidate(call)

    error = refused("invalid", award_create, application=application, by=staff, amounts={"SC": value})

    assert error.field == "amounts.SC"
    assert rule in error.message
    assert not Award.objects.exists()


def test_an_amount_of_a_unit_is_checked_at_its_own_path(call, staff):
    application = make_candidate(call, province="CQ")
    lead = application.lead_unit.uscc

    error = refused("invalid", award_create, application=application, by=staff, amounts={"CQ": {lead: "-1"}})

    assert error.field == f"amounts.CQ.{lead}"


def test_an_unknown_province_key_is_refused(call, staff):
    error = refused(
        "invalid", award_create, application=make_candidate(call), by=staff, amounts={"XZ": "100000"}
    )
    assert error.field == "amounts.XZ"
    assert "SC (Sichuan) and CQ (Chongqing)" in error.message


def test_a_unit_that_is_not_in_the_project_is_refused(call, staff):
    error = refused(
        "unit",
        award_create,
        application=make_candidate(call),
        by=staff,
        amounts={"SC": {"91110000600037341L": "100000"}},
    )
    assert error.field == "amounts.SC.91110000600037341L"
    assert "not the unified social credit code of a unit of this project" in error.message


def test_a_side_paying_a_unit_of_the_other_province_is_refused_unless_the_call_allows_it(call, staff):
    application = make_candidate(call, province="CQ")
    lead = application.lead_unit.uscc  # a Chongqing unit

    error = refused(
        "cross_funding", award_create, application=application, by=staff, amounts={"SC": {lead: "1"}}
    )

    assert error.field == f"amounts.SC.{lead}"
    assert "Sichuan may not pay" in error.message
    FundingCall.objects.filter(pk=call.pk).update(cross_funding_allowed=True)
    award = award_create(application=application, by=staff, amounts={"SC": {lead: "100000"}})
    share = award.shares.get()
    assert (share.province, share.unit_province) == ("SC", "CQ")


def test_per_unit_amounts_that_do_not_add_up_to_the_total_are_refused(call, staff):
    application = make_candidate(call, province="CQ")
    lead = application.lead_unit.uscc

    error = refused(
        "shares",
        award_create,
        application=application,
        by=staff,
        amounts={"CQ": {lead: "300000", "total": "400000"}},
    )

    assert error.field == "amounts.CQ.total"
    assert "add up to 30.00" in error.message and "40.00" in error.message


def test_an_award_without_any_funding_is_refused(call, staff):
    refused(
        "required", award_create, application=make_candidate(call), by=staff, amounts={"SC": "0", "CQ": 0}
    )


def test_a_full_quota_is_refused_with_the_figures(staff):
    call = make_decision_call(quotas={"ai": 1})
    award_create(application=make_candidate(call), by=staff)

    error = refused("quota", award_create, application=make_candidate(call), by=staff)

    assert error.message == "Quota of Artificial intelligence: 1 of 1 awards made; no place is left."
    assert http_status(error.code) == 409
    assert Award.objects.count() == 1
    assert_counters_match(call)


def test_a_field_without_a_quota_gets_no_award(call, staff):
    application = make_candidate(call, field="eco")
    CallField.objects.filter(call=call, field__code="eco").delete()

    error = refused("quota", award_create, application=application, by=staff)

    assert "sets no quota for Eco-environmental protection" in error.message


def test_a_budget_that_would_be_overspent_is_refused_in_ten_thousand_yuan(staff):
    call = make_decision_call(quotas={"ai": 5}, budget_sc=D("1000000"))
    award_create(application=make_candidate(call, sc="800000", cq="0"), by=staff)

    error = refused(
        "budget_sc", award_create, application=make_candidate(call, sc="300000", cq="100000"), by=staff
    )

    assert error.message == (
        "Sichuan budget: 80.00\xa0×\xa010,000\xa0yuan used of 100.00\xa0×\xa010,000\xa0yuan; this award "
        "needs 30.00\xa0×\xa010,000\xa0yuan more, only 20.00\xa0×\xa010,000\xa0yuan is left."
    )
    assert error.field == "amounts.SC"
    assert_counters_match(call)


def test_only_a_shortlisted_application_gets_an_award(call, staff):
    application = make_candidate(call, status=ApplicationStatus.REVIEWED)

    error = refused("state", award_create, application=application, by=staff)

    assert "only shortlisted applications get awards" in error.message
    assert http_status(error.code) == 409


def test_a_second_award_for_the_same_application_is_refused(call, staff):
    application = make_candidate(call)
    award_create(application=application, by=staff)

    refused("exists", award_create, application=application, by=staff)


def test_a_withdrawn_award_is_proposed_again_in_the_same_row(call, staff):
    application = make_candidate(call)
    award = award_create(application=application, by=staff)
    award_approve(award=award, by=staff)
    award_withdraw(award=award, by=staff, reason="重复申报")

    again = award_create(application=application, by=staff, amounts={"SC": "100000", "CQ": "200000"})

    assert again.pk == award.pk
    assert (again.status, again.version, again.approved_sc_by, again.withdrawn_reason) == (
        "proposed",
        3,
        None,
        "",
    )
    assert again.shares.count() == 2
    assert_counters_match(call)


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.REVIEWER, Role.UNIT_ADMIN])
def test_only_review_staff_propose_awards(call, role):
    refused("not_allowed", award_create, application=make_candidate(call), by=UserFactory(role=role))


def test_the_portal_itself_may_propose(call):
    assert award_create(application=make_candidate(call), by=None).created_by is None


# --- Changing an award --------------------------------------------------------------------------------


def test_a_change_clears_both_approvals_and_moves_the_counters(call, staff):
    award = award_create(application=make_candidate(call), by=staff)
    award = award_approve(award=award, by=staff)
    award = award_approve(award=award, by=make_staff("CQ"))
    assert award.status == AwardStatus.APPROVED

    award = award_update(award=award, by=staff, amounts={"SC": "300000", "CQ": "900000"}, version=1)

    assert (award.status, award.version, award.approved_sc_by, award.approved_cq_at) == (
        "proposed",
        2,
        None,
        None,
    )
    assert (award.amount_sc, award.amount_cq) == (D("300000"), D("900000"))
    assert_counters_match(call)
    event = AuditEvent.objects.get(action="award.update")
    assert (event.from_state, event.to_state, event.data["approvals_cleared"]) == (
        "approved",
        "proposed",
        ["SC", "CQ"],
    )


def test_a_change_from_a_stale_version_is_refused(call, staff):
    award = award_create(application=make_candidate(call), by=staff)
    award_update(award=award, by=staff, amounts={"SC": "300000", "CQ": "300000"}, version=1)

    error = refused(
        "conflict", award_update, award=award, by=staff, amounts={"SC": "1", "CQ": "1"}, version=1
    )

    assert error.field == "version" and "now version 2" in error.message
    award.refresh_from_db()
    assert award.amount_sc == D("300000")


def test_the_same_amounts_again_change_nothing(call, staff):
    award = award_create(application=make_candidate(call), by=staff)
    award = award_approve(award=award, by=staff)

    same = award_update(award=award, by=staff, amounts=None, version=1)

    assert (same.status, same.version) == ("approved_sc", 1)
    assert not AuditEvent.objects.filter(action="award.update").exists()


def test_a_change_that_would_overspend_is_refused_and_nothing_moves(staff):
    call = make_decision_call(quotas={"ai": 5}, budget_cq=D("1000000"))
    award = award_create(application=make_candidate(call, sc="0", cq="900000"), by=staff)

    error = refused("budget_cq", award_update, award=award, by=staff, amounts={"CQ": "1000000.01"}, version=1)

    assert "needs 10.00" in error.message  # 100,000.01 more, shown in 万元
    award.refresh_from_db()
    assert (award.amount_cq, award.version) == (D("900000"), 1)
    assert_counters_match(call)


def test_an_announced_award_can_no_longer_be_changed(call, staff):
    award = award_create(application=make_candidate(call), by=staff)
    Award.objects.filter(pk=award.pk).update(status=AwardStatus.ANNOUNCED)

    refused("state", award_update, award=award, by=staff, amounts=None, version=1)


# --- Joint approval -----------------------------------------------------------------------------------


def test_one_staff_member_of_each_bureau_approves_in_either_order(call, staff):
    award = award_create(application=make_candidate(call), by=staff)
    cq = make_staff("CQ")

    award = award_approve(award=award, by=cq)
    assert (award.status, award.approved_cq_by, award.approved_sc_by) == ("approved_cq", cq, None)
    award = award_approve(award=award, by=staff, version=1)

    assert award.status == AwardStatus.APPROVED
    assert award.approved_sc_at is not None and award.approved_cq_at is not None
    events = AuditEvent.objects.filter(action="award.approve").order_by("id")
    assert [(e.from_state, e.to_state, e.data["province"]) for e in events] == [
        ("proposed", "approved_cq", "CQ"),
        ("approved_cq", "approved", "SC"),
    ]


def test_the_same_province_cannot_approve_twice(call, staff):
    award = award_create(application=make_candidate(call), by=staff)
    award_approve(award=award, by=staff)

    error = refused("already_approved", award_approve, award=award, by=make_staff("SC"))

    assert "already approved by Sichuan" in error.message
    assert http_status(error.code) == 409
    award.refresh_from_db()
    assert (award.status, award.approved_sc_by) == ("approved_sc", staff)


def test_an_administrator_has_no_province_to_approve_for(call, staff):
    award = award_create(application=make_candidate(call), by=staff)

    error = refused("province", award_approve, award=award, by=UserFactory(role=Role.ADMIN))

    assert http_status(error.code) == 403
    assert "Administrators have no province" in error.message


def test_experts_and_applicants_do_not_approve(call, staff):
    award = award_create(application=make_candidate(call), by=staff)
    refused("not_allowed", award_approve, award=award, by=make_expert().user)
    refused("not_allowed", award_approve, award=award, by=award.application.pi)


def test_an_approval_of_a_changed_award_is_refused(call, staff):
    award = award_create(application=make_candidate(call), by=staff)
    award_update(award=award, by=staff, amounts={"SC": "1000", "CQ": "1000"}, version=1)

    refused("conflict", award_approve, award=award, by=make_staff("CQ"), version=1)


def test_a_withdrawn_award_cannot_be_approved(call, staff):
    award = award_create(application=make_candidate(call), by=staff)
    award_withdraw(award=award, by=staff, reason="撤回")

    refused("state", award_approve, award=award, by=make_staff("CQ"))


# --- Withdrawal -----------------------------------------------------------------------------------------


def test_withdrawing_releases_the_quota_place_and_the_funding(staff):
    call = make_decision_call(quotas={"ai": 1})
    award = award_create(application=make_candidate(call), by=staff)

    award = award_withdraw(award=award, by=staff, reason="  异议成立  ")

    assert (award.status, award.withdrawn_reason) == ("withdrawn", "异议成立")
    assert award.application.status == ApplicationStatus.SHORTLISTED  # the caller moves it
    assert_counters_match(call)
    assert call.awarded_sc == 0 and CallField.objects.get(call=call).awarded == 0
    award_create(application=make_candidate(call), by=staff)  # the place is free again
    event = AuditEvent.objects.get(action="award.withdraw")
    assert (event.from_state, event.to_state, event.reason) == ("proposed", "withdrawn", "异议成立")


@pytest.mark.parametrize(("reason", "code"), [("", "required"), ("   ", "required"), ("a\x00b", "invalid")])
def test_a_withdrawal_needs_a_readable_reason(call, staff, reason, code):
    award = award_create(application=make_candidate(call), by=staff)
    error = refused(code, award_withdraw, award=award, by=staff, reason=reason)
    assert error.field == "reason"


def test_an_announced_award_is_withdrawn_only_for_an_upheld_objection_and_a_final_one_not(call, staff):
    announced = award_create(application=make_candidate(call), by=staff)
    final = award_create(application=make_candidate(call), by=staff)
    Award.objects.filter(pk=announced.pk).update(status=AwardStatus.ANNOUNCED)
    Award.objects.filter(pk=final.pk).update(status=AwardStatus.FINAL)

    refused("state", award_withdraw, award=announced, by=staff, reason="不再资助")
    withdrawn = award_withdraw(award=announced, by=staff, reason="异议成立", objection_upheld=True)
    assert withdrawn.status == "withdrawn"
    refused("state", award_withdraw, award=final, by=staff, reason="x", objection_upheld=True)
    assert_counters_match(call)


# --- Shortlist --------------------------------------------------------------------------------------------


def test_reviewed_applications_are_shortlisted_all_at_once(call, staff):
    first = make_candidate(call, status=ApplicationStatus.REVIEWED)
    second = make_candidate(call, status=ApplicationStatus.REVIEWED)

    moved = applications_shortlist(
        call=call, applications=[first.pk, str(second.pk)], shortlisted=True, by=staff
    )

    assert [a.pk for a in moved] == [first.pk, second.pk]
    first.refresh_from_db()
    assert first.status == ApplicationStatus.SHORTLISTED
    assert AuditEvent.objects.filter(action="application.shortlist").count() == 2
    # Again: already there, nothing moves.
    assert applications_shortlist(call=call, applications=[first.pk], shortlisted=True, by=staff) == []


def test_a_shortlisted_application_with_an_award_stays_on_the_shortlist(call, staff):
    application = make_candidate(call)
    award = award_create(application=application, by=staff)

    error = refused(
        "state", applications_shortlist, call=call, applications=[application.pk], shortlisted=False, by=staff
    )

    assert "withdraw the award" in error.message
    award_withdraw(award=award, by=staff, reason="撤回")
    applications_shortlist(call=call, applications=[application.pk], shortlisted=False, by=staff)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REVIEWED


def test_the_shortlist_is_all_or_nothing(call, staff):
    reviewed = make_candidate(call, status=ApplicationStatus.REVIEWED)
    accepted = make_candidate(call, status=ApplicationStatus.ACCEPTED)

    refused(
        "state",
        applications_shortlist,
        call=call,
        applications=[reviewed.pk, accepted.pk],
        shortlisted=True,
        by=staff,
    )

    reviewed.refresh_from_db()
    assert reviewed.status == ApplicationStatus.REVIEWED


@pytest.mark.parametrize("ids", [[999999], ["1; DROP TABLE"], [-1], "12", [None], [1.5], [], [10**30]])
def test_ids_that_are_not_applications_of_the_call_are_refused(call, staff, ids):
    make_candidate(call, status=ApplicationStatus.REVIEWED)
    other = make_candidate(make_decision_call(), status=ApplicationStatus.REVIEWED)

    error = refused(
        "required" if ids == [] else "applications",
        applications_shortlist,
        call=call,
        applications=ids,
        shortlisted=True,
        by=staff,
    )
    assert error.field == "applications"
    refused(
        "applications", applications_shortlist, call=call, applications=[other.pk], shortlisted=True, by=staff
    )


def test_nothing_changes_once_the_announcement_started(call, staff):
    reviewed = make_candidate(call, status=ApplicationStatus.REVIEWED)
    shortlisted = make_candidate(call)
    Publicity.objects.create(
        call=call, starts_on=date(2021, 8, 2), ends_on=date(2021, 8, 6), working_days=5, created_by=staff
    )

    refused(
        "state", applications_shortlist, call=call, applications=[reviewed.pk], shortlisted=True, by=staff
    )
    error = refused("state", award_create, application=shortlisted, by=staff)
    assert "public announcement of this call has started" in error.message


# --- The database as the last line ---------------------------------------------------------------------


def test_a_writer_that_skipped_the_checks_is_stopped_by_the_constraints_with_the_same_message(staff):
    call = make_decision_call(quotas={"ai": 1})
    award_create(application=make_candidate(call), by=staff)

    # One mock for both names: award_create's check and the one after the database refused.
    with (
        mock.patch.object(
            award_amounts, "_check_room", side_effect=[None, AwardError("x", code="quota")]
        ) as check,
        mock.patch.object(services, "_check_room", check),
    ):
        error = refused("quota", award_create, application=make_candidate(call), by=staff)

    # Once skipped (the bug), once again after the database refused the counters.
    assert check.call_count == 2 and error.message == "x"
    assert Award.objects.count() == 1
    assert_counters_match(call)


def test_the_budget_constraint_itself_refuses_an_overspend():
    from django.db import IntegrityError, transaction
    from django.db.models import F

    call = make_decision_call()
    with pytest.raises(IntegrityError), transaction.atomic():
        FundingCall.objects.filter(pk=call.pk).update(awarded_sc=F("budget_sc") + 1)


# --- The suggestion ------------------------------------------------------------------------------------


def test_the_suggestion_beats_greedy_and_is_applied_in_one_go(staff):
    # Sichuan has 1 M left: the best (90) needs all of it; two 60s need half each.
    call = make_decision_call(quotas={"ai": 3}, budget_sc=D("1000000"), budget_cq=D("1000000"))
    best = make_candidate(call, score="90", sc="1000000", cq="0", status=ApplicationStatus.REVIEWED)
    second = make_candidate(call, score="60", sc="500000", cq="0", status=ApplicationStatus.REVIEWED)
    third = make_candidate(call, score="60", sc="500000", cq="0")
    make_candidate(call, score="10", sc="0", cq="2000000")  # more than Chongqing has

    result = awards_suggest(call=call, by=staff)

    assert result.solution.chosen == (second.pk, third.pk)
    assert result.solution.optimal and result.solution.score == D("120")
    assert {application.pk: reason for application, reason in result.unfit}[best.pk + 3] == "budget_cq"
    assert not Award.objects.exists()

    applied = awards_suggest(call=call, by=staff, apply=True, expected=[third.pk, second.pk])

    assert sorted(a.application_id for a in applied.created) == [second.pk, third.pk]
    assert all(a.suggested and a.status == "proposed" for a in applied.created)
    second.refresh_from_db()
    assert second.status == ApplicationStatus.SHORTLISTED
    assert_counters_match(call)
    assert AuditEvent.objects.filter(action="award.suggest_apply").count() == 1
    # Nothing more fits: applying again proposes nothing.
    assert awards_suggest(call=call, by=staff, apply=True).created == []


def test_a_suggestion_that_changed_since_it_was_read_is_not_applied(call, staff):
    first = make_candidate(call, score="80")
    make_candidate(call, score="70")

    error = refused("conflict", awards_suggest, call=call, by=staff, apply=True, expected=[first.pk])

    assert "changed since you read it" in error.message
    assert not Award.objects.exists()


def test_the_suggestion_keeps_existing_awards_and_fills_what_is_left(staff):
    call = make_decision_call(quotas={"ai": 2, "eco": 1})
    low = make_candidate(call, score="50")
    award_create(application=low, by=staff)
    high = make_candidate(call, score="90")
    make_candidate(call, score="80")
    eco = make_candidate(call, field="eco", score="70")

    result = awards_suggest(call=call, by=staff)

    assert result.solution.chosen == tuple(sorted((high.pk, eco.pk)))
    assert result.quotas_left == {"ai": 1, "eco": 1}
    assert result.existing_awards == 1


def test_candidates_whose_request_cannot_be_awarded_are_left_out_with_the_reason(call, staff):
    application = make_candidate(call, province="CQ", sc="0", cq="0")
    from applications.models import BudgetLine

    BudgetLine.objects.create(
        application=application,
        unit_uscc=application.lead_unit.uscc,
        category="equipment",
        source="sc_gov",
        amount=D(1),
    )
    nothing = make_candidate(call, sc="0", cq="0")

    result = awards_suggest(call=call, by=staff)

    assert {a.pk: r for a, r in result.unfit} == {
        application.pk: "cross_funding",
        nothing.pk: "no_request",
    }


def test_only_review_staff_ask_for_a_suggestion(call):
    refused("not_allowed", awards_suggest, call=call, by=UserFactory(role=Role.APPLICANT))


def test_a_quota_raised_in_the_admin_shows_in_the_suggestion(call, staff):
    set_quota(call, "ai", 0)
    only = make_candidate(call, score="90")
    assert awards_suggest(call=call, by=staff).solution.chosen == ()
    set_quota(call, "ai", 1)
    assert awards_suggest(call=call, by=staff).solution.chosen == (only.pk,)
