"""Submitting an application (``application_submit``): every rule of the call end to end on the
database, the frozen and fingerprinted snapshot, and the moves after it (``application_move``:
endorse, return, withdraw) with their audit events and queued emails."""

import threading
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import OperationalError, connections
from django.test import TestCase
from django.utils import timezone, translation

from applications.document import document_of, document_store, fingerprint
from applications.models import (
    Application,
    Attachment,
    CallStatus,
    FundingCall,
    GuideTask,
    Submission,
)
from applications.problems import problems_of
from applications.selectors import application_with_parts
from applications.services import (
    ApplicationError,
    SubmissionRefused,
    application_commit,
    application_move,
    application_save,
    application_submit,
    attachment_upload,
)
from applications.workflow import TransitionError
from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from portal.mail.models import OutgoingEmail
from portal.organizations.models import Organization
from tests.factories import (
    FundingCallFactory,
    OrganizationFactory,
    UserFactory,
    make_applicant,
    make_id_number,
    make_ready_application,
    make_uscc,
    pdf_upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def call():
    return FundingCallFactory()


@pytest.fixture
def ready(call):
    return make_ready_application(call=call)


@pytest.fixture
def unit_admin(ready):
    return UserFactory(role=Role.UNIT_ADMIN, organization=ready.lead_unit)


def stored(application: Application) -> Application:
    return Application.objects.select_related("call", "pi", "lead_unit").get(pk=application.pk)


def save(application: Application, data: dict) -> None:
    current = stored(application)
    result = application_save(application=current, data=data, version=current.version, by=current.pi)
    assert result.errors == [], result.errors


def submit(application: Application, by=None) -> Application:
    current = stored(application)
    # The status emails are written after commit (applications/notifications.py): run it here.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return application_submit(application=current, by=by or current.pi)


def submit_events(application: Application) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="application.submit", object_id=str(application.pk)))


def refused(application: Application) -> set[tuple[str, str]]:
    """Submit, expect a refusal, check that nothing changed, and return (field, code) of each problem."""
    before = stored(application)
    emails = OutgoingEmail.objects.count()
    with pytest.raises(SubmissionRefused) as refusal:
        submit(application)
    after = stored(application)
    assert (after.status, after.version, after.submitted_at) == ("draft", before.version, None)
    assert not Submission.objects.filter(application=application).exists()
    assert submit_events(application) == []
    assert OutgoingEmail.objects.count() == emails
    assert refusal.value.code == "invalid"
    return {(problem.field, problem.code) for problem in refusal.value.problems}


def budget_rows(application: Application, **changes: str) -> list[dict]:
    """The stored budget as rows to save, with ``category_source=amount`` changes for the lead unit."""
    rows = [
        {"unit_uscc": b.unit_uscc, "category": b.category, "source": b.source, "amount": str(b.amount)}
        for b in application.budget.all()
    ]
    for key, amount in changes.items():
        category, source = key.split("__")
        matching = [
            r
            for r in rows
            if (r["category"], r["source"], r["unit_uscc"]) == (category, source, application.lead_unit.uscc)
        ]
        if matching:
            matching[0]["amount"] = amount
        else:
            rows.append(
                {
                    "unit_uscc": application.lead_unit.uscc,
                    "category": category,
                    "source": source,
                    "amount": amount,
                }
            )
    return rows


def team_rows(application: Application) -> list[dict]:
    return [
        {
            "name": m.name,
            "id_type": m.id_type,
            "id_number": m.id_number,
            "unit": m.unit_name,
            "title": m.title,
            "role": m.role,
            "time_percent": m.time_percent,
        }
        for m in application.team.all()
    ]


# --- Every rule, end to end ---------------------------------------------------------------


def test_a_ready_application_passes_every_rule(ready):
    assert problems_of(application_with_parts(ready.pk)) == []


def test_a_submission_makes_a_fixed_number_of_queries(ready, django_assert_num_queries):
    # Lock and read, the limits, the move, its audit event, the frozen document: the number
    # does not grow with the team, the partners or the budget (the rules read the document).
    current = stored(ready)
    with django_assert_num_queries(7):
        application_submit(application=current, by=current.pi)


def test_it_refuses_a_lead_unit_not_of_the_province_it_applies_to(ready):
    Organization.objects.filter(pk=ready.lead_unit_id).update(
        registered_province="OTHER", located_province="OTHER"
    )
    assert ("lead_unit", "lead_province") in refused(ready)


def test_it_refuses_a_lead_unit_of_the_other_province(ready):
    Application.objects.filter(pk=ready.pk).update(province="SC")
    assert ("lead_unit", "lead_province") in refused(ready)


def test_it_refuses_partners_only_of_the_same_province(ready):
    same_side = OrganizationFactory()  # Chongqing, like the lead unit
    rows = [r for r in budget_rows(ready) if r["unit_uscc"] == ready.lead_unit.uscc]
    save(ready, {"partners": [{"organization": same_side.pk}], "budget": rows})
    assert refused(ready) == {("partners", "no_partner")}
    with translation.override("en"):
        (problem,) = problems_of(application_with_parts(ready.pk))
    assert "Sichuan" in problem.message


def test_it_refuses_the_lead_unit_as_a_partner_already_when_saving(ready):
    partners = list(ready.partners.values_list("uscc", flat=True))
    lead = ready.lead_unit
    for row in (
        {"organization": lead.pk},
        {"name": "牵头单位自己", "uscc": lead.uscc.lower(), "province": "SC"},
    ):
        current = stored(ready)
        result = application_save(
            application=current, data={"partners": [row]}, version=current.version, by=ready.pi
        )
        assert [problem.field for problem in result.errors] == ["partners[0].uscc"]
        assert list(ready.partners.values_list("uscc", flat=True)) == partners


def test_it_refuses_a_named_partner_without_its_sealed_form_and_accepts_it_with_the_form(ready):
    registered = ready.partners.get()
    uscc = make_uscc(987654, "510000")
    save(
        ready,
        {
            "partners": [
                {"organization": registered.organization_id},
                {"name": "成都某科技有限公司", "uscc": uscc, "province": "SC"},
            ]
        },
    )
    assert refused(ready) == {("partners[1].form", "partner_form_missing")}
    current = stored(ready)
    attachment_upload(
        application=current,
        kind="partner_form",
        upload=pdf_upload("盖章合作单位表.pdf"),
        by=ready.pi,
        version=current.version,
        partner_uscc=uscc,
    )
    assert submit(ready).status == "submitted"


def test_it_refuses_government_funding_over_the_calls_cap(ready):
    save(ready, {"budget": budget_rows(ready, equipment__cq_gov="1500000")})  # 2,100,000 in all
    assert refused(ready) == {("budget", "over_cap")}
    with translation.override("en"):
        (problem,) = problems_of(application_with_parts(ready.pk))
    assert "2100000.00" in problem.message
    assert "2000000.00" in problem.message


def test_it_refuses_government_funding_over_the_guide_tasks_own_cap(ready):
    GuideTask.objects.filter(pk=ready.guide_task_id).update(cap=Decimal("1000000"))  # 1,100,000 asked
    assert refused(ready) == {("budget", "over_cap")}
    with translation.override("en"):
        (problem,) = problems_of(application_with_parts(ready.pk))
    assert "1000000.00" in problem.message


def test_it_refuses_indirect_costs_over_the_calls_rate(ready):
    # Direct costs are 1,400,000; 20% of them is 280,000.
    save(ready, {"budget": budget_rows(ready, indirect__cq_gov="280000.01")})
    assert refused(ready) == {("budget", "indirect_rate")}


def test_it_accepts_indirect_costs_exactly_at_the_calls_rate(ready):
    save(ready, {"budget": budget_rows(ready, indirect__cq_gov="280000.00")})
    assert submit(ready).status == "submitted"


def test_it_refuses_a_self_raised_share_below_the_calls_minimum(ready):
    FundingCall.objects.filter(pk=ready.call_id).update(min_self_raised_ratio=Decimal("0.3"))
    assert refused(ready) == {("budget", "self_raised_share")}  # 400,000 of 1,500,000


def test_it_accepts_a_self_raised_share_at_the_calls_minimum(ready):
    FundingCall.objects.filter(pk=ready.call_id).update(min_self_raised_ratio=Decimal("0.3"))
    # 1,400,000 of government funds and 600,000 self-raised: exactly 30%.
    save(ready, {"budget": budget_rows(ready, equipment__cq_gov="800000", operating__self="600000")})
    assert submit(ready).status == "submitted"


@pytest.mark.parametrize("months", [11, 37])
def test_it_refuses_a_duration_below_the_minimum_or_above_the_maximum(ready, months):
    save(ready, {"duration_months": months})
    assert ("duration_months", "duration_range") in refused(ready)


def test_it_refuses_indicators_without_a_technical_one(ready):
    save(
        ready,
        {
            "indicators": [
                {"kind": "social", "metric": "培训人次", "target": "100", "unit": "人次", "due_month": 36}
            ]
        },
    )
    assert refused(ready) == {("indicators", "no_technical")}


def test_it_refuses_indicators_without_an_economic_or_social_one(ready):
    save(
        ready,
        {
            "indicators": [
                {"kind": "technical", "metric": "准确率", "target": "95", "unit": "%", "due_month": 36}
            ]
        },
    )
    assert refused(ready) == {("indicators", "no_economic_or_social")}


def test_it_refuses_an_indicator_due_after_the_end(ready):
    save(
        ready,
        {
            "indicators": [
                {"kind": "technical", "metric": "准确率", "target": "95", "unit": "%", "due_month": 36},
                {"kind": "economic", "metric": "产值", "target": "500", "unit": "万元", "due_month": 37},
            ]
        },
    )
    assert refused(ready) == {("indicators[1].due_month", "after_end")}


def test_it_refuses_missing_milestones(ready):
    save(ready, {"milestones": []})
    assert refused(ready) == {("milestones", "required")}


@pytest.mark.parametrize("kind", ["proposal", "pi_commitment", "unit_commitment", "agreement"])
def test_it_refuses_a_missing_required_attachment(ready, kind):
    Attachment.objects.filter(application=ready, kind=kind).delete()
    document_store(ready)  # as the services do after every write
    assert refused(ready) == {(kind, "attachment_missing")}


def test_it_refuses_an_unticked_integrity_commitment(ready):
    current = stored(ready)
    application_commit(application=current, by=ready.pi, version=current.version, committed=False)
    assert refused(ready) == {("integrity_commitment", "required")}


def test_it_refuses_a_project_leader_who_leads_another_submitted_application_of_the_call(ready, call):
    submit(ready)
    second = make_ready_application(pi=ready.pi, call=call)
    assert refused(second) == {("team[0].id_number", "pi_limit")}


def test_a_draft_elsewhere_does_not_count_against_the_pi_limit(ready, call):
    second = make_ready_application(pi=ready.pi, call=call)
    assert submit(second).status == "submitted"


def test_a_withdrawn_application_does_not_count_against_the_pi_limit(ready, call):
    submit(ready)
    application_move(application=stored(ready), action="withdraw", by=ready.pi)
    second = make_ready_application(pi=ready.pi, call=call)
    assert submit(second).status == "submitted"


def test_an_awarded_project_of_another_call_counts_against_the_pi_limit(ready):
    earlier = make_ready_application(pi=ready.pi, call=FundingCallFactory(year=2020))
    Application.objects.filter(pk=earlier.pk).update(status="awarded")
    assert refused(ready) == {("team[0].id_number", "pi_limit")}


def test_the_pi_limit_counts_the_id_number_not_the_account(ready, call):
    other_account = make_applicant()
    other_account.id_number = ready.pi.id_number
    other_account.save()
    elsewhere = make_ready_application(pi=other_account, call=call)
    submit(elsewhere)
    assert refused(ready) == {("team[0].id_number", "pi_limit")}


def test_it_refuses_a_member_in_two_other_submitted_applications_of_the_call(call):
    person = {
        "name": "王五",
        "id_number": make_id_number(777, born=date(1990, 1, 1)),
        "unit": "四川大学",
        "title": "讲师",
        "role": "member",
        "time_percent": 10,
    }
    applications = [make_ready_application(call=call) for _ in range(3)]
    for application in applications:
        save(application, {"team": [*team_rows(application), person]})
    submit(applications[0])
    assert submit(applications[1]).status == "submitted"  # one other: within member_limit 2
    assert refused(applications[2]) == {("team[2].id_number", "member_limit")}


def test_it_refuses_a_project_leader_born_before_the_calls_date(ready):
    FundingCall.objects.filter(pk=ready.call_id).update(pi_born_after=date(1985, 1, 1))
    assert refused(ready) == {("team[0].birth_date", "pi_too_old")}


def test_it_refuses_a_submission_one_second_after_the_deadline(ready):
    FundingCall.objects.filter(pk=ready.call_id).update(submit_deadline=timezone.now() - timedelta(seconds=1))
    assert refused(ready) == {("call", "deadline_passed")}


def test_it_refuses_a_submission_when_the_call_is_not_open(ready):
    FundingCall.objects.filter(pk=ready.call_id).update(status=CallStatus.CLOSED)
    assert refused(ready) == {("call", "call_closed")}


def test_it_lists_every_problem_at_once(ready):
    save(ready, {"milestones": [], "title": ""})
    Attachment.objects.filter(application=ready, kind="agreement").delete()
    document_store(ready)  # as the services do after every write
    assert refused(ready) == {
        ("title", "required"),
        ("milestones", "required"),
        ("agreement", "attachment_missing"),
    }


def test_it_refuses_a_submission_by_a_teammate(ready):
    teammate = make_applicant(unit=ready.lead_unit)
    with pytest.raises(TransitionError) as refusal:
        submit(ready, by=teammate)
    assert refusal.value.code == "actor"
    assert stored(ready).status == "draft"
    assert not Submission.objects.filter(application=ready).exists()


# --- The snapshot -------------------------------------------------------------------------


def test_a_submission_freezes_and_fingerprints_the_document(ready, unit_admin):
    OutgoingEmail.objects.all().delete()
    result = submit(ready)
    live = document_of(application_with_parts(ready.pk))
    application = stored(ready)
    assert (result.status, application.status) == ("submitted", "submitted")
    assert application.submitted_at is not None
    (submission,) = Submission.objects.filter(application=ready)
    assert submission.number == 1
    assert submission.submitted_by == ready.pi
    assert submission.submitted_at == application.submitted_at
    assert {k: v for k, v in submission.document.items() if k != "submitted_at"} == live
    assert submission.document["submitted_at"] == timezone.localtime(application.submitted_at).isoformat()
    assert submission.sha256 == fingerprint(submission.document)
    assert len(submission.verification_code) == 16
    (event,) = submit_events(ready)
    assert (event.actor, event.from_state, event.to_state) == (ready.pi, "draft", "submitted")
    recipients = set(OutgoingEmail.objects.filter(kind="application_status").values_list("to", flat=True))
    assert recipients == {ready.pi.email, unit_admin.email}


def test_editing_the_live_rows_afterwards_does_not_change_the_snapshot(ready):
    submit(ready)
    submission = Submission.objects.get(application=ready)
    frozen = submission.document
    Application.objects.filter(pk=ready.pk).update(title="被改掉的题目", abstract="改")
    ready.budget.update(amount=Decimal("1.00"))
    ready.partners.update(name="别的单位")
    ready.team.update(name="别人")
    Attachment.objects.filter(application=ready).delete()
    submission = Submission.objects.get(pk=submission.pk)
    assert submission.document == frozen
    assert submission.document["title"] == "面向川渝的智能诊断系统研究"
    assert {line["amount"] for line in submission.document["budget"]} != {"1.00"}
    assert len(submission.document["attachments"]) == 4
    assert fingerprint(submission.document) == submission.sha256
    assert document_of(application_with_parts(ready.pk))["title"] == "被改掉的题目"


def test_a_second_submit_is_refused_and_leaves_one_submission(ready):
    stale = stored(ready)
    submit(ready)
    for application in (stored(ready), stale):
        with pytest.raises(TransitionError) as refusal:
            application_submit(application=application, by=ready.pi)
        assert refusal.value.code == "state"
    assert Submission.objects.filter(application=ready).count() == 1
    assert len(submit_events(ready)) == 1


def test_a_returned_application_edited_and_submitted_again_gets_submission_number_two(ready, unit_admin):
    submit(ready)
    first = Submission.objects.get(application=ready)
    application_move(application=stored(ready), action="return", by=unit_admin, reason="请修改预算")
    save(ready, {"title": "修改后的题目"})
    submit(ready)
    submissions = list(Submission.objects.filter(application=ready).order_by("number"))
    assert [s.number for s in submissions] == [1, 2]
    assert submissions[0].document == first.document
    assert submissions[0].document["title"] == "面向川渝的智能诊断系统研究"
    assert submissions[1].document["title"] == "修改后的题目"
    assert submissions[1].sha256 == fingerprint(submissions[1].document) != submissions[0].sha256
    assert submissions[1].verification_code != submissions[0].verification_code
    events = AuditEvent.objects.filter(object_id=str(ready.pk)).exclude(to_state="").order_by("id")
    assert [(e.from_state, e.to_state) for e in events][-3:] == [
        ("draft", "submitted"),
        ("submitted", "returned"),
        ("returned", "submitted"),
    ]


# --- Endorse, return, withdraw ------------------------------------------------------------


def test_the_lead_units_administrator_endorses_and_the_project_leader_is_emailed(ready, unit_admin):
    submit(ready)
    OutgoingEmail.objects.all().delete()
    with TestCase.captureOnCommitCallbacks(execute=True):
        application = application_move(application=stored(ready), action="endorse", by=unit_admin)
    assert application.status == "endorsed"
    event = AuditEvent.objects.get(action="application.endorse")
    assert (event.actor, event.from_state, event.to_state) == (unit_admin, "submitted", "endorsed")
    assert list(OutgoingEmail.objects.values_list("to", flat=True)) == [ready.pi.email]


def test_another_units_administrator_cannot_endorse_or_return(ready):
    submit(ready)
    stranger = UserFactory(role=Role.UNIT_ADMIN, organization=OrganizationFactory())
    for action in ("endorse", "return"):
        with pytest.raises(TransitionError) as refusal:
            application_move(application=stored(ready), action=action, by=stranger, reason="理由")
        assert refusal.value.code == "actor"
    assert stored(ready).status == "submitted"


def test_a_return_needs_a_reason(ready, unit_admin):
    submit(ready)
    with pytest.raises(TransitionError) as refusal:
        application_move(application=stored(ready), action="return", by=unit_admin)
    assert refusal.value.code == "reason"
    with TestCase.captureOnCommitCallbacks(execute=True):
        application = application_move(
            application=stored(ready), action="return", by=unit_admin, reason="预算过高"
        )
    assert application.status == "returned"
    assert AuditEvent.objects.get(action="application.return").reason == "预算过高"
    assert "预算过高" in OutgoingEmail.objects.filter(to=ready.pi.email).latest("id").body


def test_an_endorsement_after_the_endorse_deadline_is_refused(ready, unit_admin):
    submit(ready)
    now = timezone.now()
    FundingCall.objects.filter(pk=ready.call_id).update(
        submit_deadline=now - timedelta(seconds=2), endorse_deadline=now - timedelta(seconds=1)
    )
    with pytest.raises(TransitionError) as refusal:
        application_move(application=stored(ready), action="endorse", by=unit_admin)
    assert refusal.value.code == "deadline"
    assert stored(ready).status == "submitted"


def test_the_project_leader_withdraws_a_submitted_application(ready):
    submit(ready)
    application = application_move(application=stored(ready), action="withdraw", by=ready.pi)
    assert application.status == "withdrawn"
    assert Submission.objects.filter(application=ready).count() == 1


def test_a_withdrawal_after_acceptance_is_refused(ready, unit_admin):
    submit(ready)
    application_move(application=stored(ready), action="endorse", by=unit_admin)
    staff = UserFactory(role=Role.BUREAU_STAFF, province=ready.province)
    application_move(application=stored(ready), action="accept", by=staff)
    with pytest.raises(TransitionError) as refusal:
        application_move(application=stored(ready), action="withdraw", by=ready.pi)
    assert refusal.value.code == "state"
    assert stored(ready).status == "accepted"


def test_an_unknown_move_is_refused(ready):
    with pytest.raises(ApplicationError) as refusal:
        application_move(application=stored(ready), action="submit", by=ready.pi)
    assert refusal.value.code == "invalid"
    assert stored(ready).status == "draft"


# --- Two submissions at once --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_make_exactly_one_submission():
    application = make_ready_application()
    start = threading.Barrier(2, timeout=30)
    outcomes: list[object] = []

    def attempt() -> None:
        try:
            mine = Application.objects.select_related("pi").get(pk=application.pk)
            start.wait()
            # PostgreSQL waits on the row lock, then finds the application submitted. SQLite's
            # shared in-memory test database may instead say that a table is locked: the
            # person clicks again, as they would on a busy server.
            for _again in range(50):
                try:
                    application_submit(application=mine, by=mine.pi)
                except OperationalError:
                    time.sleep(0.05)
                    continue
                outcomes.append("submitted")
                return
        except Exception as error:
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert outcomes.count("submitted") == 1, outcomes
    (failure,) = [outcome for outcome in outcomes if outcome != "submitted"]
    assert isinstance(failure, TransitionError), failure
    assert Submission.objects.filter(application=application).count() == 1
    assert Application.objects.get(pk=application.pk).status == "submitted"
    assert AuditEvent.objects.filter(action="application.submit", object_id=str(application.pk)).count() == 1


def test_a_returned_application_may_be_submitted_again_until_the_units_deadline(ready, unit_admin):
    submit(ready)
    application_move(application=stored(ready), action="return", by=unit_admin, reason="请补充预算说明")
    call = ready.call
    call.submit_deadline = timezone.now() - timedelta(hours=1)  # the applicants' deadline has passed
    call.save(update_fields=["submit_deadline"])

    again = submit(ready)

    assert again.status == "submitted"
    assert again.latest_submission.number == 2


def test_a_returned_application_cannot_be_submitted_after_the_units_deadline(ready, unit_admin):
    submit(ready)
    application_move(application=stored(ready), action="return", by=unit_admin, reason="请补充预算说明")
    call = ready.call
    call.submit_deadline = timezone.now() - timedelta(hours=2)
    call.endorse_deadline = timezone.now() - timedelta(seconds=1)
    call.save(update_fields=["submit_deadline", "endorse_deadline"])

    assert ("call", "deadline_passed") in refused_returned(ready)


def refused_returned(application: Application) -> set[tuple[str, str]]:
    with pytest.raises(SubmissionRefused) as refusal:
        submit(application)
    assert stored(application).status == "returned"
    return {(problem.field, problem.code) for problem in refusal.value.problems}


def test_a_guide_tasks_cap_above_the_calls_cap_does_not_raise_it(ready):
    GuideTask.objects.filter(pk=ready.guide_task_id).update(cap=ready.call.per_project_cap * 2)
    task = GuideTask.objects.select_related("call").get(pk=ready.guide_task_id)

    assert task.effective_cap == ready.call.per_project_cap


def test_a_partner_unit_not_yet_verified_must_send_its_sealed_form(ready):
    partner = ready.partners.get().organization
    Organization.objects.filter(pk=partner.pk).update(verified_at=None)
    document_store(ready)  # as the services do after every write

    assert refused(ready) == {("partners[0].form", "partner_form_missing")}


def test_a_withdrawn_draft_stays_the_teams_own(ready, unit_admin, client):
    application_move(application=stored(ready), action="withdraw", by=ready.pi)
    client.force_login(unit_admin)

    assert client.get(f"/applications/{ready.pk}/").status_code == 404


def test_a_status_email_subject_keeps_the_title_as_typed(ready):
    save(ready, {"title": "A & B <研究>"})
    OutgoingEmail.objects.all().delete()

    submit(ready)

    assert OutgoingEmail.objects.filter(subject__contains="A & B <研究>").exists()
