"""The demo applications of ``manage.py seed_demo``: every state of the applicant's side, both
provinces leading, the limits of the call kept, real submissions, and the demo logins' parts.

Seeding writes about 90 applications through the services, so it runs once for this module inside
a transaction that is rolled back at the end; each test runs in a savepoint of it.
"""

import io
from collections import Counter
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.test import RequestFactory, override_settings
from django.utils import translation
from pypdf import PdfReader

from applications import demo_applications
from applications.document import fingerprint
from applications.models import (
    Application,
    Attachment,
    BudgetLine,
    FundingCall,
    Indicator,
    Milestone,
    Partner,
    Submission,
    TeamMember,
)
from applications.problems import problems_of
from applications.selectors import application_timeline, application_with_parts, applications_of_unit
from applications.services import application_commit, application_submit
from applications.workflow import ACTIVE_STATES, moves_for
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from portal.mail.models import OutgoingEmail
from portal.organizations.models import Organization
from portal.validators import check_id_number, check_uscc

pytestmark = pytest.mark.django_db

# The accepted ones have gone on into the expert review of the reviews demo.
# The demo goes on to the decision: the reviewed applications end funded or not funded; those
# still with the demo experts' reviews to do stay under review.
DEMO_STATES = {
    "draft",
    "submitted",
    "returned",
    "endorsed",
    "under_review",
    "awarded",
    "not_funded",
    "withdrawn",
}
MD5 = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The output of one ``seed_demo`` and the folder of its files; rolled back after the module."""
    media = tmp_path_factory.mktemp("demo-media")
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=MD5):
                out = StringIO()
                with translation.override("en"):
                    call_command("seed_demo", force=True, stdout=out)
            yield {"output": out.getvalue(), "media": media}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def applications() -> list[Application]:
    return list(Application.objects.select_related("lead_unit", "pi", "guide_task", "call"))


def user(email: str) -> User:
    return User.objects.select_related("organization").get(email=email)


def test_it_reports_every_planned_application_created_and_none_failed(seeded):
    assert "89 created now, 0 failed" in seeded["output"]
    assert "was not created" not in seeded["output"]


def test_every_state_of_the_applicants_side_is_there_led_by_each_province(seeded):
    by_state = Counter((a.status, a.province) for a in applications())
    assert {status for status, _province in by_state} == DEMO_STATES
    # Still under review are only the applications the two demo expert logins have left to
    # score: which ones depends on the draw, so not necessarily one of each province.
    for state in DEMO_STATES - {"under_review"}:
        assert by_state[(state, "SC")] and by_state[(state, "CQ")], state


def test_every_guide_task_has_two_to_four_applications_about_ninety_in_all(seeded):
    call = FundingCall.objects.get()
    per_task = Counter(a.guide_task_id for a in applications())
    assert set(per_task) == set(call.tasks.values_list("pk", flat=True))
    assert set(per_task.values()) <= {2, 3, 4}
    assert 80 <= sum(per_task.values()) <= 100


def test_each_is_led_by_a_unit_of_its_province_with_a_partner_of_the_other(seeded):
    for application in applications():
        lead = application.lead_unit
        assert application.province in (lead.registered_province, lead.located_province)
        partners = list(Partner.objects.filter(application=application).select_related("organization"))
        other = {"SC": "CQ", "CQ": "SC"}[application.province]
        assert any(p.organization.is_of_province(other) for p in partners), application.title
    assert {a.province for a in applications()} == {"SC", "CQ"}


def test_no_one_leads_two_active_applications_or_is_in_more_than_two(seeded):
    active = [a for a in applications() if a.status in ACTIVE_STATES]
    leaders = Counter(a.pi_id for a in active)
    assert max(leaders.values()) == 1
    # Every application counts for the member limit once the drafts are submitted too.
    people = Counter(TeamMember.objects.values_list("id_number", flat=True))
    assert max(people.values()) <= 2
    assert all(a.pi_id for a in applications())
    # Each researcher leads exactly one application of the call.
    assert max(Counter(a.pi_id for a in applications()).values()) == 1


def test_submitted_ones_have_their_snapshot_and_met_every_rule(seeded):
    for application in applications():
        full = application_with_parts(application.pk)
        submissions = list(Submission.objects.filter(application=application))
        if application.status == "draft":
            assert not submissions and application.submitted_at is None
            assert [(p.section, p.code) for p in problems_of(full)] == [("commitment", "required")]
            continue
        assert submissions, application.title
        latest = max(submissions, key=lambda s: s.number)
        assert latest.sha256 == fingerprint(latest.document)
        assert latest.document["title"] == application.title or application.status == "returned"
        assert application.submitted_at is not None and application.integrity_committed_at is not None
        assert problems_of(full) == [], (application.title, problems_of(full))
        actions = [e.action for e in application_timeline(application)]
        assert actions.count("application.submit") == len(submissions)


def test_budgets_keep_the_rules_of_the_call(seeded):
    call = FundingCall.objects.get()
    for application in applications():
        lines = list(BudgetLine.objects.filter(application=application))
        government = sum((b.amount for b in lines if b.source != "self"), Decimal(0))
        own = sum((b.amount for b in lines if b.source == "self"), Decimal(0))
        indirect = sum((b.amount for b in lines if b.category == "indirect"), Decimal(0))
        direct = sum((b.amount for b in lines if b.category != "indirect"), Decimal(0))
        assert 0 < government <= application.guide_task.effective_cap
        assert indirect <= direct * call.max_indirect_rate
        assert own >= (government + own) * call.min_self_raised_ratio
        assert {b.source for b in lines} == {"sc_gov", "cq_gov", "self"}


def test_each_application_has_full_content_a_team_indicators_milestones_and_attachments(seeded):
    for application in applications():
        assert application.title and application.guide_task.title_zh.split("：")[-1] in application.title
        for text in (
            application.abstract,
            application.aims,
            application.technical_route,
            application.foundation,
        ):
            assert len(text) > 80
        assert "lorem" not in application.abstract.lower()
        assert application.start_date and application.duration_months in (24, 36)
        team = list(TeamMember.objects.filter(application=application))
        assert 2 <= len(team) <= 5
        assert [m.role for m in team].count("pi") == 1
        kinds = set(Indicator.objects.filter(application=application).values_list("kind", flat=True))
        assert kinds == {"technical", "economic", "social"}
        assert Milestone.objects.filter(application=application).count() == 4
        attached = set(Attachment.objects.filter(application=application).values_list("kind", flat=True))
        assert attached == {"proposal", "pi_commitment", "unit_commitment", "agreement"}
    assert len({a.title for a in applications()}) == len(applications())


def test_the_attachments_are_tiny_pdfs_that_a_reader_opens(seeded):
    attachment = Attachment.objects.filter(kind="proposal").first()
    data = (Path(seeded["media"]) / attachment.file.name).read_bytes()
    assert len(data) < 1000 and attachment.size == len(data)
    reader = PdfReader(io.BytesIO(data), strict=True)
    assert "demo attachment: project proposal" in reader.pages[0].extract_text()


def test_moves_were_made_by_the_right_people_with_reasons(seeded):
    for application in applications():
        for event in application_timeline(application):
            if event.action in ("application.endorse", "application.return"):
                assert event.actor.role == Role.UNIT_ADMIN
                assert event.actor.organization_id == application.lead_unit_id
            if event.action == "application.return":
                assert event.reason
            if event.action == "application.accept":
                assert (event.actor.role, event.actor.province) == (Role.BUREAU_STAFF, application.province)
            if event.action in ("application.submit", "application.withdraw"):
                assert event.actor_id == application.pi_id
    returned = [a for a in applications() if a.status == "returned"]
    assert all(application_timeline(a)[-1].reason for a in returned)


def test_the_demo_moves_send_no_status_email_now_or_later(seeded):
    from datetime import timedelta

    from applications.notifications import notifications_requeue_stale

    assert not OutgoingEmail.objects.filter(kind="application_status").exists()
    assert notifications_requeue_stale(older_than=timedelta(0)) == 0


def test_the_chongqing_demo_applicant_can_tick_the_commitment_and_submit_the_draft(seeded):
    applicant = user("applicant.cq@demo.test")
    led = list(Application.objects.filter(pi=applicant))
    assert [a.status for a in led] == ["draft"]
    draft = led[0]
    assert [p.code for p in problems_of(application_with_parts(draft.pk))] == ["required"]
    draft = application_commit(application=draft, by=applicant, version=draft.version)
    assert application_submit(application=draft, by=applicant).status == "submitted"


def test_the_chongqing_demo_applicant_is_a_teammate_on_a_submitted_application(seeded):
    applicant = user("applicant.cq@demo.test")
    joined = Application.objects.filter(team__user=applicant).exclude(pi=applicant)
    assert [a.status for a in joined] == ["submitted"]
    assert joined[0].province == "SC"


def test_the_sichuan_demo_applicant_waits_for_the_sichuan_demo_unit_administrator(seeded):
    applicant = user("applicant.sc@demo.test")
    unit_admin = user("unit_admin.sc@demo.test")
    led = list(Application.objects.filter(pi=applicant).select_related("lead_unit"))
    assert [a.status for a in led] == ["submitted"]
    assert led[0].lead_unit == unit_admin.organization
    assert "endorse" in [move.action for move in moves_for(unit_admin, led[0])]


def test_the_chongqing_demo_unit_has_applications_waiting_for_its_administrator(seeded):
    unit_admin = user("unit_admin.cq@demo.test")
    waiting = applications_of_unit(unit_admin).filter(status="submitted")
    assert waiting.count() >= 2


def test_researchers_and_unit_administrators_sign_in_with_the_demo_password(seeded):
    researcher = User.objects.filter(email__startswith="researcher.").order_by("email").first()
    for email in (researcher.email, "unit_admin.jialing@demo.test"):
        person = authenticate(RequestFactory().post("/"), username=email, password="demo-pass-2021")
        assert person is not None, email
        assert person.organization is not None
    assert User.objects.filter(email__startswith="researcher.").count() > 80


def test_every_unit_and_person_passes_the_validators(seeded):
    for unit in Organization.objects.all():
        assert check_uscc(unit.uscc) is None, unit.name
    for number in TeamMember.objects.values_list("id_number", flat=True):
        assert check_id_number(number) is None, number
    for person in User.objects.filter(
        Q(email__startswith="researcher.") | Q(email__startswith="unit_admin.")
    ):
        person.full_clean()
    assert {u.registered_province for u in Organization.objects.all()} == {"SC", "CQ"}


def test_a_second_run_creates_nothing_new(seeded, settings):
    settings.MEDIA_ROOT = seeded["media"]
    models = (Application, Submission, Attachment, TeamMember, AuditEvent, OutgoingEmail, User, Organization)
    before = {model.__name__: model.objects.count() for model in models}
    out = StringIO()
    with translation.override("en"):
        call_command("seed_demo", force=True, stdout=out)
    assert {model.__name__: model.objects.count() for model in models} == before
    assert "0 created now, 0 failed" in out.getvalue()


def test_a_failing_application_is_reported_and_the_others_are_still_written(seeded, monkeypatch, settings):
    settings.MEDIA_ROOT = seeded["media"]
    plans = [
        p for p in demo_applications.plan_applications(demo_applications.demo_tasks()) if p.path == "accepted"
    ]
    roster = demo_applications.Roster(start=600)
    good, bad = plans[0], plans[1]
    for number, plan in ((901, good), (902, bad)):
        plan.pi = roster.person("CQ", plan.lead, "教授", senior=True, email=f"researcher.{number}@demo.test")
        plan.teammate = roster.person("SC", plan.partner, "副教授", senior=True)
        plan.extras = []
    bad.extras = [demo_applications.PersonPlan("错号码", "510104198001011230", bad.lead, "讲师")]
    monkeypatch.setattr(demo_applications, "plan_applications", lambda tasks: [good, bad])
    out = StringIO()
    with translation.override("en"):
        demo_applications.seed_applications(out)
    assert "1 created now, 1 failed" in out.getvalue()
    assert "researcher.902@demo.test" in out.getvalue() and "team[2].id_number" in out.getvalue()
    assert Application.objects.get(pi__email="researcher.901@demo.test").status == "accepted"
    assert not Application.objects.filter(pi__email="researcher.902@demo.test").exists()


def test_the_plan_is_the_same_on_every_run():
    first = demo_applications.plan_applications(demo_applications.demo_tasks())
    second = demo_applications.plan_applications(demo_applications.demo_tasks())
    assert [(p.pi, p.lead, p.partner, p.path, p.teammate) for p in first] == [
        (p.pi, p.lead, p.partner, p.path, p.teammate) for p in second
    ]


def test_the_call_ends_with_sixteen_final_awards_within_quotas_and_budgets_and_their_notices(seeded):
    from collections import Counter as Count

    from portal.jobs.models import Job
    from reviews.models import Award, AwardStatus, FundingNotice, NoticeStatus
    from reviews.services.notices import notice_batch_execute, notice_render

    call = FundingCall.objects.get()
    final = Award.objects.filter(call=call, status=AwardStatus.FINAL)
    assert Count(final.values_list("field__code", flat=True)) == {"health": 2, "eco": 3, "ai": 5, "agri": 6}
    assert sum(a.amount_sc for a in final) == call.awarded_sc <= call.budget_sc
    assert sum(a.amount_cq for a in final) == call.awarded_cq <= call.budget_cq
    assert all(a.total <= call.per_project_cap for a in final)
    assert all(a.approved_sc_by and a.approved_cq_by for a in final)
    assert call.applications.filter(status="awarded").count() == 16
    # The batch was queued when the demo committed (here the module's transaction never commits,
    # so its work is done by hand, as the worker would).
    job = Job.objects.get(kind="notices.batch", object_id=str(call.pk))
    with override_settings(MEDIA_ROOT=seeded["media"]):
        notice_batch_execute(job_id=job.pk)
        for notice in FundingNotice.objects.filter(award__call=call, status=NoticeStatus.PENDING):
            notice_render(notice_id=notice.pk)
    notices = FundingNotice.objects.filter(award__call=call, current=True, status=NoticeStatus.DONE)
    assert sorted(notices.values_list("number", flat=True)) == sorted(
        f"川渝联研〔2021〕{n}号" for n in range(1, 17)
    )
