"""The formal check: the eligibility checklist computed from the rules, and the bureau's decision
(accept, return for revision, ineligible) with its permission, reason and deadline rules."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from applications.models import Application, FundingCall, Submission, TeamMember
from applications.selectors import application_with_parts
from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from portal.mail.models import OutgoingEmail
from reviews import eligibility
from reviews.models import FormalCheck
from reviews.services.formal_check import FormalCheckError, formal_check_decide
from tests.factories import UserFactory
from tests.reviews.factories import make_accepted_application, make_endorsed_application, make_staff

pytestmark = pytest.mark.django_db


def loaded(application: Application) -> Application:
    return application_with_parts(application.pk)


def items_by_code(application: Application) -> dict[str, eligibility.CheckItem]:
    with translation.override("en"):
        return {item.code: item for item in eligibility.checklist(loaded(application))}


def edit_submitted_document(application: Application, change) -> None:
    """Change the frozen document of the latest submission (what the checklist reads)."""
    submission = application.submissions.order_by("-number").first()
    document = dict(submission.document)
    change(document)
    Submission.objects.filter(pk=submission.pk).update(document=document)


def status_of(application: Application) -> str:
    return Application.objects.get(pk=application.pk).status


# --- The checklist ------------------------------------------------------------------------


def test_a_complete_endorsed_application_passes_every_rule_in_order():
    application = make_endorsed_application(province="SC")

    items = eligibility.checklist(loaded(application))

    assert [item.code for item in items] == list(eligibility.CODES)
    assert eligibility.all_passed(items)
    assert {"lead_province", "partner", "cap", "indirect_rate", "self_raised", "limits"} <= {
        item.code for item in items
    }


def test_a_passed_budget_rule_shows_the_figures_checked():
    application = make_endorsed_application()

    items = items_by_code(application)

    # The ready application asks 1,100,000 yuan of government funds; the call's cap is 2,000,000.
    assert "110.00" in items["cap"].details[0]
    assert "200.00" in items["cap"].details[0]


def test_the_checklist_flags_government_funds_over_the_cap():
    application = make_endorsed_application()
    FundingCall.objects.filter(pk=application.call_id).update(per_project_cap=1_000_000)

    items = items_by_code(application)

    assert not items["cap"].passed
    assert items["cap"].details == [
        "Government funding of 1100000.00 yuan is over the cap of 1000000.00 yuan for one project."
    ]
    assert [code for code, item in items.items() if not item.passed] == ["cap"]


def test_the_checklist_flags_a_missing_partner_of_the_other_province():
    application = make_endorsed_application(province="CQ")

    def same_province(document):
        document["partners"] = [dict(p, provinces=["CQ"]) for p in document["partners"]]

    edit_submitted_document(application, same_province)

    items = items_by_code(application)

    assert not items["partner"].passed
    assert "At least one partner unit must be of Sichuan" in items["partner"].details[0]


def test_the_checklist_reads_the_submitted_document_not_the_current_one():
    application = make_endorsed_application()
    Application.objects.filter(pk=application.pk).update(document={**application.document, "partners": []})

    assert items_by_code(application)["partner"].passed


def test_the_checklist_flags_a_lead_unit_of_the_other_province():
    application = make_endorsed_application(province="CQ")
    # The lead unit as it is now: moved to Sichuan.
    unit = application.lead_unit
    unit.registered_province = unit.located_province = "SC"
    unit.save(update_fields=["registered_province", "located_province"])

    items = items_by_code(application)

    assert not items["lead_province"].passed
    assert unit.name in items["lead_province"].details[0]


def test_the_checklist_counts_the_project_limits_now():
    application = make_endorsed_application()
    pi_number = application.pi.id_number
    # Since the submission, the same person came to lead another active application of the call.
    other = make_accepted_application(application.call)
    TeamMember.objects.filter(application=other, role="pi").update(id_number=pi_number)

    items = items_by_code(application)

    assert not items["limits"].passed
    assert application.pi.full_name in items["limits"].details[0]
    assert "may lead at most 1" in items["limits"].details[0]


def test_the_checklist_flags_a_missing_attachment_and_commitment():
    application = make_endorsed_application()

    def drop(document):
        document["attachments"] = [a for a in document["attachments"] if a["kind"] != "agreement"]
        document["integrity_committed_at"] = None

    edit_submitted_document(application, drop)

    items = items_by_code(application)

    assert not items["attachments"].passed
    assert len(items["attachments"].details) == 2
    assert "Cooperation agreement" in items["attachments"].details[0]


def test_other_findings_go_to_other_rules():
    application = make_endorsed_application()
    edit_submitted_document(application, lambda document: document.update(milestones=[]))

    items = items_by_code(application)

    assert not items["other"].passed
    assert items["other"].details == ["Fill in the milestones."]


def test_the_deadline_is_judged_on_the_moment_of_submission_not_now():
    application = make_endorsed_application()
    call = application.call
    # The deadlines have passed since: the application was in time.
    FundingCall.objects.filter(pk=call.pk).update(
        opens_at=timezone.now() - timedelta(days=40),
        submit_deadline=timezone.now() - timedelta(days=2),
        endorse_deadline=timezone.now() - timedelta(days=1),
    )
    Application.objects.filter(pk=application.pk).update(submitted_at=timezone.now() - timedelta(days=3))

    items = items_by_code(application)

    assert items["deadline"].passed
    assert items["other"].passed  # "the call is closed now" is no finding of the check


def test_an_application_submitted_after_the_deadline_fails_it():
    application = make_endorsed_application()
    late = application.call.submit_deadline + timedelta(seconds=1)
    Application.objects.filter(pk=application.pk).update(submitted_at=late)

    item = items_by_code(application)["deadline"]

    assert not item.passed
    assert "after the applicants' deadline" in item.details[0]


def test_a_second_submission_after_a_return_may_come_until_the_units_deadline():
    application = make_endorsed_application()
    later = application.call.submit_deadline + timedelta(days=1)
    Application.objects.filter(pk=application.pk).update(submitted_at=later, submission_count=2)

    item = items_by_code(application)["deadline"]

    assert item.passed
    assert "before the units' deadline" in item.details[0]


# --- Deciding -------------------------------------------------------------------------------


def test_staff_of_the_lead_units_province_accept_and_the_checklist_is_stored(
    django_capture_on_commit_callbacks,
):
    application = make_endorsed_application(province="SC")
    staff = make_staff("SC")

    with django_capture_on_commit_callbacks(execute=True):
        check = formal_check_decide(application=loaded(application), decision="accept", reason="", by=staff)

    assert status_of(application) == "accepted"
    assert (check.decision, check.decided_by, check.reason) == ("accept", staff, "")
    assert [row["rule"] for row in check.checklist] == list(eligibility.CODES)
    assert all(row["passed"] for row in check.checklist)
    move = AuditEvent.objects.get(action="application.accept")
    assert (move.actor, move.from_state, move.to_state) == (staff, "endorsed", "accepted")
    recorded = AuditEvent.objects.get(action="formal_check.accept")
    assert recorded.object_id == str(check.pk)
    assert recorded.data == {
        "application": application.pk,
        "all_passed": True,
        "failed": [],
        "override": False,
    }
    assert OutgoingEmail.objects.filter(to=application.pi.email).exists()


def test_a_return_needs_a_reason_and_the_team_is_emailed_the_bureaus_reason(
    django_capture_on_commit_callbacks,
):
    application = make_endorsed_application()
    staff = make_staff("CQ")

    with pytest.raises(FormalCheckError) as refused:
        formal_check_decide(application=loaded(application), decision="return", reason="  ", by=staff)
    assert refused.value.field == "reason"
    assert not FormalCheck.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        formal_check_decide(
            application=loaded(application), decision="return", reason="请补充预算说明", by=staff
        )

    assert status_of(application) == "returned"
    assert AuditEvent.objects.get(action="application.bureau_return").reason == "请补充预算说明"
    email = OutgoingEmail.objects.get(to=application.pi.email, reference__startswith="audit:")
    assert "请补充预算说明" in email.body
    # The status email names the new status, not who returned it (no "your unit returned").
    assert "Returned to you for revision" in email.body


def test_a_reject_needs_a_reason_and_makes_the_application_ineligible():
    application = make_endorsed_application()
    staff = make_staff("CQ")

    with pytest.raises(FormalCheckError) as refused:
        formal_check_decide(application=loaded(application), decision="reject", reason="", by=staff)
    assert (refused.value.code, refused.value.field) == ("required", "reason")

    check = formal_check_decide(
        application=loaded(application), decision="reject", reason="超出项目限额", by=staff
    )

    assert status_of(application) == "ineligible"
    assert check.reason == "超出项目限额"


def test_accepting_despite_a_failing_rule_is_an_override_that_needs_a_reason():
    application = make_endorsed_application()
    FundingCall.objects.filter(pk=application.call_id).update(per_project_cap=1_000_000)
    staff = make_staff("CQ")

    with translation.override("en"), pytest.raises(FormalCheckError) as refused:
        formal_check_decide(application=loaded(application), decision="accept", reason="", by=staff)
    assert refused.value.field == "reason"
    assert "staff override" in refused.value.message
    assert status_of(application) == "endorsed"
    assert not FormalCheck.objects.exists()

    check = formal_check_decide(
        application=loaded(application), decision="accept", reason="上限经领导小组特批", by=staff
    )

    assert status_of(application) == "accepted"
    assert [row["rule"] for row in check.checklist if not row["passed"]] == ["cap"]
    recorded = AuditEvent.objects.get(action="formal_check.accept")
    assert recorded.data["override"] is True
    assert recorded.data["failed"] == ["cap"]


@pytest.mark.parametrize(
    "who",
    [
        pytest.param(lambda: make_staff("SC"), id="staff of the other province"),
        pytest.param(lambda: UserFactory(role=Role.ADMIN), id="administrator"),
        pytest.param(lambda: UserFactory(role=Role.APPLICANT), id="applicant"),
    ],
)
def test_only_staff_of_the_lead_units_province_decide(who):
    application = make_endorsed_application(province="CQ")

    with translation.override("en"), pytest.raises(FormalCheckError) as refused:
        formal_check_decide(application=loaded(application), decision="accept", reason="", by=who())

    assert refused.value.code == "permission"
    assert status_of(application) == "endorsed"
    assert not FormalCheck.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="formal_check.").exists()


def test_staff_of_the_other_province_are_told_whose_decision_it_is():
    application = make_endorsed_application(province="CQ")

    with translation.override("en"), pytest.raises(FormalCheckError) as refused:
        formal_check_decide(
            application=loaded(application), decision="accept", reason="", by=make_staff("SC")
        )

    assert "belongs to the bureau of Chongqing" in refused.value.message


def test_a_return_after_the_units_deadline_is_refused_but_accepting_is_not():
    application = make_endorsed_application()
    FundingCall.objects.filter(pk=application.call_id).update(
        opens_at=timezone.now() - timedelta(days=40),
        submit_deadline=timezone.now() - timedelta(days=2),
        endorse_deadline=timezone.now() - timedelta(seconds=1),
    )
    Application.objects.filter(pk=application.pk).update(submitted_at=timezone.now() - timedelta(days=3))
    staff = make_staff("CQ")

    with translation.override("en"), pytest.raises(FormalCheckError) as refused:
        formal_check_decide(application=loaded(application), decision="return", reason="补充材料", by=staff)

    assert refused.value.code == "deadline"
    assert "The deadline for this step was" in refused.value.message
    assert status_of(application) == "endorsed"
    assert not FormalCheck.objects.exists()

    formal_check_decide(application=loaded(application), decision="accept", reason="", by=staff)
    assert status_of(application) == "accepted"


def test_a_concurrent_second_decision_gets_the_conflict_and_leaves_nothing_behind():
    application = make_endorsed_application()
    first, second = make_staff("CQ"), make_staff("CQ")
    # Both opened the page while the application was waiting.
    seen_by_first, seen_by_second = loaded(application), loaded(application)

    formal_check_decide(application=seen_by_first, decision="accept", reason="", by=first)
    with translation.override("en"), pytest.raises(FormalCheckError) as refused:
        formal_check_decide(application=seen_by_second, decision="reject", reason="不符合", by=second)

    assert refused.value.code == "conflict"
    assert "changed in the meantime" in refused.value.message
    assert status_of(application) == "accepted"
    assert list(FormalCheck.objects.values_list("decision", "decided_by")) == [("accept", first.pk)]
    assert not AuditEvent.objects.filter(action__in=["application.reject", "formal_check.reject"]).exists()


def test_a_decision_on_an_application_no_longer_waiting_says_its_status():
    application = make_endorsed_application()
    staff = make_staff("CQ")
    formal_check_decide(application=loaded(application), decision="accept", reason="", by=staff)

    with translation.override("en"), pytest.raises(FormalCheckError) as refused:
        formal_check_decide(application=loaded(application), decision="return", reason="x", by=staff)

    assert refused.value.code == "state"
    assert "Accepted by the bureau" in refused.value.message
    assert FormalCheck.objects.count() == 1


@pytest.mark.parametrize(
    ("decision", "reason", "field"),
    [("approve", "", "decision"), ("accept", "x" * 2001, "reason"), ("reject", "bad\x00reason", "reason")],
)
def test_bad_input_names_its_field_and_writes_nothing(decision, reason, field):
    application = make_endorsed_application()

    with pytest.raises(FormalCheckError) as refused:
        formal_check_decide(
            application=loaded(application), decision=decision, reason=reason, by=make_staff("CQ")
        )

    assert refused.value.field == field
    assert status_of(application) == "endorsed"
    assert not FormalCheck.objects.exists()


def test_the_bureau_decides_until_its_acceptance_deadline_and_not_after():
    application = make_endorsed_application()
    FundingCall.objects.filter(pk=application.call_id).update(
        acceptance_deadline=application.call.endorse_deadline + timedelta(days=1)
    )
    application = Application.objects.get(pk=application.pk)
    staff = make_staff("CQ")
    FundingCall.objects.filter(pk=application.call_id).update(
        opens_at=timezone.now() - timedelta(days=60),
        submit_deadline=timezone.now() - timedelta(days=30),
        endorse_deadline=timezone.now() - timedelta(days=20),
        acceptance_deadline=timezone.now() - timedelta(days=1),
    )
    application = Application.objects.get(pk=application.pk)

    with translation.override("en"), pytest.raises(FormalCheckError) as refused:
        formal_check_decide(application=application, decision="accept", reason="", by=staff)

    assert "deadline" in refused.value.message
    assert Application.objects.get(pk=application.pk).status == "endorsed"
    assert not FormalCheck.objects.filter(application=application).exists()
