"""One world for the access matrix: every role of the portal and, for every URL that takes an
id, a real object to point it at.

The people (the matrix's columns, in ``ROLES`` order):

- ``owner`` leads every application below (its PI), for the lead unit ``lead`` (Chongqing);
- ``teammate`` is on the team of each of them, linked to their account;
- ``other_applicant`` is a researcher of another (Sichuan) unit, on no team;
- ``unit_admin`` administers ``lead``; ``other_unit_admin`` administers ``partner``, the
  Sichuan partner unit of every application (the strongest "other unit": it takes part in
  the project, yet only the lead unit endorses and reads);
- ``expert_assigned`` is on the panel of ``reviewing`` (declared, review submitted);
  ``expert_unassigned`` is an expert of the pool with no assignment;
- ``staff_sc`` and ``staff_cq`` are bureau staff of each province; ``admin`` an administrator
  (superuser, may use the admin site).

The applications walk the life of a call, one call per stage so that each call-level page
sees a call in the state it is made for:

=================  ===================  ===================================================
object             call                 state
=================  ===================  ===================================================
``draft``          ``call_open``        draft, complete, with its ``attachment``
``submitted``      ``call_open``        submitted, waiting for the unit (``submission_code``)
``endorsed``       ``call_open``        endorsed, waiting for the formal check (Chongqing)
``reviewing``      ``call_review``      under review: the assigned expert's ``assignment``
                                        (review submitted), drawn by ``run``
``shortlisted``    ``call_decision``    shortlisted, ``award_proposed`` (not approved yet)
``announced``      ``call_pub``         ``award_announced`` under the open announcement, an
                                        ``objection`` against it (with a PDF)
``awarded``        ``call_final``       funded: ``award_final`` and its ``notice`` (a PDF)
=================  ===================  ===================================================

Besides: ``job`` (the owner's), ``membership_request`` (to join ``lead``), the links of a
registration (``confirm_uid``/``confirm_token``) and of a password reset, one row of every
model of the admin site, and ``secrets``: texts that only some roles may ever read.

Built with the factories of tests/ and the services where they are cheap; rows written
directly where the services would need a whole review first (as the review's own tests do).
"""

import hashlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from applications.models import (
    Application,
    ApplicationStatus,
    CallField,
    CallStatus,
    Partner,
    TeamMember,
)
from portal.accounts.registration import confirmation_tokens
from portal.accounts.roles import Role
from portal.jobs.models import Job, JobStatus
from portal.mail.models import OutgoingEmail
from portal.organizations.models import MembershipRequest, OrganizationType
from reviews.models import (
    Assignment,
    AssignmentRun,
    AssignmentStatus,
    Award,
    AwardShare,
    AwardStatus,
    Conflict,
    ConflictSource,
    FormalCheck,
    FormalDecision,
    FundingNotice,
    Holiday,
    NoticeStatus,
)
from tests.factories import (
    GuideTaskFactory,
    OrganizationFactory,
    ResearchFieldFactory,
    UserFactory,
    make_applicant,
    make_ready_application,
    pdf_upload,
)
from tests.reviews.factories import (
    DEFAULT_POINTS,
    make_call_with_rubric,
    make_expert,
    make_staff,
)

ROLES: tuple[str, ...] = (
    "anonymous",
    "owner",
    "teammate",
    "other_applicant",
    "unit_admin",
    "other_unit_admin",
    "expert_assigned",
    "expert_unassigned",
    "staff_sc",
    "staff_cq",
    "admin",
)

# Titles that no other text of the portal contains, so that the leak check can look for them.
TITLES = {
    "draft": "甲草稿·川渝保密课题",
    "submitted": "乙已提交·川渝课题",
    "endorsed": "丙已推荐·川渝保密课题",
    "reviewing": "丁评审中·川渝保密课题",
    "shortlisted": "戊入围·川渝保密课题",
    "announced": "己公示·川渝课题",
    "awarded": "庚立项·川渝课题",
}
EXPERT_NAME = "评审专家辛"
REVIEW_COMMENT = "只有工作人员能读的评审意见壬"
OBJECTOR_PHONE = "139 8765 4321"

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


STAFF = frozenset({"staff_sc", "staff_cq", "admin"})
TEAM = frozenset({"owner", "teammate"})


@dataclass(frozen=True)
class Secret:
    """A text of the world that only ``readers`` may ever find in an answer (any page, any
    status, any JSON): the leak check of the matrix."""

    what: str
    text: str
    readers: frozenset[str]


@dataclass
class World:
    users: dict[str, Any]
    # Named objects: the table's "objects" column says e.g. ``pk=draft``.
    objects: dict[str, Any] = field(default_factory=dict)
    media_root: Path | None = None
    secrets: list[Secret] = field(default_factory=list)

    def value(self, name: str) -> Any:
        """The id (or code) of the object ``name``; a quoted name is a literal (``'basics'``)."""
        if len(name) > 1 and name[0] == name[-1] == "'":
            return name[1:-1]
        if name not in self.objects:
            raise KeyError(f"the world has no object named {name!r}; known: {sorted(self.objects)}")
        return self.objects[name]


def _adopt(application: Application, *, owner: Any, teammate: Any) -> Application:
    """Make ``owner`` the application's PI and put ``teammate`` on its team with their account."""
    Application.objects.filter(pk=application.pk).update(pi=owner)
    TeamMember.objects.filter(application=application, role="pi").update(
        user=owner, name=owner.full_name, id_number=owner.id_number
    )
    if not TeamMember.objects.filter(application=application, user=teammate).exists():
        TeamMember.objects.create(
            application=application,
            position=9,
            user=teammate,
            name=teammate.full_name,
            id_number=teammate.id_number,
            birth_date=teammate.birth_date,
            unit_name=application.lead_unit.name,
            title="副教授",
            role="core",
            time_percent=30,
        )
    application.refresh_from_db()
    return application


def _written(call: Any, *, world: "_Builder", status: str, title: str) -> Application:
    """An application past the formal check, written directly (as the review's tests do): lead
    ``lead``, partner ``partner``, the owner as PI and the teammate on the team."""
    task = GuideTaskFactory(call=call, field=ResearchFieldFactory(code="ai"))
    application = Application.objects.create(
        call=call,
        guide_task=task,
        province="CQ",
        title=title,
        lead_unit=world.lead,
        pi=world.owner,
        status=status,
        submitted_at=timezone.now() - timedelta(days=30),
        submission_count=1,
        duration_months=36,
    )
    Partner.objects.create(
        application=application,
        position=1,
        organization=world.partner,
        name=world.partner.name,
        uscc=world.partner.uscc,
        province=world.partner.located_province,
    )
    TeamMember.objects.create(
        application=application,
        position=1,
        user=world.owner,
        name=world.owner.full_name,
        id_number=world.owner.id_number,
        birth_date=world.owner.birth_date,
        unit_name=world.lead.name,
        title="教授",
        role="pi",
        time_percent=50,
    )
    return _adopt(application, owner=world.owner, teammate=world.teammate)


def _award(application: Application, status: str, *, staff_sc: Any, staff_cq: Any) -> Award:
    """An award of 50 万元 a side (the lead unit's province pays the lead, the other the partner),
    with the call's counters kept as the services keep them (as make_award does)."""
    call = application.call
    call_field, _ = CallField.objects.get_or_create(
        call=call, field=application.guide_task.field, defaults={"quota": 10}
    )
    approved = status not in (AwardStatus.PROPOSED, AwardStatus.WITHDRAWN)
    now = timezone.now()
    amount = Decimal("500000")
    award = Award.objects.create(
        call=call,
        application=application,
        field=application.guide_task.field,
        amount_sc=amount,
        amount_cq=amount,
        status=status,
        score=Decimal("85"),
        approved_sc_by=staff_sc if approved else None,
        approved_sc_at=now if approved else None,
        approved_cq_by=staff_cq if approved else None,
        approved_cq_at=now if approved else None,
    )
    lead, partner = application.lead_unit, application.partners.first()
    for side, unit in (("CQ", lead), ("SC", partner)):
        AwardShare.objects.create(
            award=award,
            province=side,
            unit_uscc=unit.uscc,
            unit_name=unit.name,
            unit_province=side,
            amount=amount,
        )
    type(call).objects.filter(pk=call.pk).update(awarded_sc=amount, awarded_cq=amount)
    CallField.objects.filter(pk=call_field.pk).update(awarded=1)
    return award


class _Builder:
    """Builds the world step by step; each step names the objects it makes."""

    def __init__(self, media_root: Path | None) -> None:
        self.world = World(users={"anonymous": None}, media_root=media_root)
        self.objects = self.world.objects

    # --- People ---------------------------------------------------------------------------

    def people(self) -> None:
        self.lead = OrganizationFactory(name="牵头单位（重庆）", org_type=OrganizationType.UNIVERSITY)
        self.partner = OrganizationFactory(sichuan=True, name="合作单位（四川）")
        other_unit = OrganizationFactory(sichuan=True, name="其他单位（四川）")
        self.owner = make_applicant(unit=self.lead, full_name="项目负责人")
        self.teammate = make_applicant(unit=self.lead, full_name="团队成员")
        self.staff_sc, self.staff_cq = make_staff("SC"), make_staff("CQ")
        self.expert_assigned = make_expert("SC", user__full_name=EXPERT_NAME)
        self.world.users |= {
            "owner": self.owner,
            "teammate": self.teammate,
            "other_applicant": make_applicant(unit=other_unit, full_name="其他申请人"),
            "unit_admin": UserFactory(role=Role.UNIT_ADMIN, organization=self.lead),
            "other_unit_admin": UserFactory(role=Role.UNIT_ADMIN, organization=self.partner),
            "expert_assigned": self.expert_assigned.user,
            "expert_unassigned": make_expert("CQ").user,
            "staff_sc": self.staff_sc,
            "staff_cq": self.staff_cq,
            "admin": UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True),
        }
        self.objects |= {"lead": self.lead.pk, "partner": self.partner.pk, "owner_id": self.owner.pk}

    # --- The open call: draft, submitted, endorsed -------------------------------------------

    def open_call(self) -> None:
        from applications.services import application_move, application_submit

        # The owner leads three applications of it (and the teammate joins them): the project
        # limits (限项) are raised so that all three may be submitted.
        call = make_call_with_rubric(pi_limit=10, member_limit=10)
        # Its guide printed (the public PDF).
        call.guide_pdf.save("guide.pdf", ContentFile(PDF), save=True)
        self.objects["call_open"] = call.pk

        def ready(title: str) -> Application:
            application = make_ready_application(pi=self.owner, call=call, partner=self.partner)
            Application.objects.filter(pk=application.pk).update(title=title)
            return _adopt(application, owner=self.owner, teammate=self.teammate)

        draft = ready(TITLES["draft"])
        submitted = application_submit(application=ready(TITLES["submitted"]), by=self.owner)
        endorsed = application_submit(application=ready(TITLES["endorsed"]), by=self.owner)
        endorsed = application_move(application=endorsed, action="endorse", by=self.world.users["unit_admin"])
        self.objects |= {
            "draft": draft.pk,
            "attachment": draft.attachments.order_by("pk").first().pk,
            "submitted": submitted.pk,
            "submission_code": submitted.submissions.get().verification_code,
            "endorsed": endorsed.pk,
        }

    # --- The review: an application under review and its assigned expert ------------------------

    def review_call(self) -> None:
        from reviews.services.reviewing import review_save

        call = make_call_with_rubric(status=CallStatus.REVIEW)
        reviewing = _written(
            call, world=self, status=ApplicationStatus.UNDER_REVIEW, title=TITLES["reviewing"]
        )
        run = AssignmentRun.objects.create(
            call=call,
            seed=2021,
            experts_per_application=5,
            min_per_province=2,
            status=AssignmentRun.Status.DONE,
            applications=1,
            assigned=1,
            created_by=self.staff_sc,
            finished_at=timezone.now(),
        )
        assignment = Assignment.objects.create(
            application=reviewing,
            reviewer=self.expert_assigned,
            source="solver",
            run=run,
            status=AssignmentStatus.DECLARED,
            declared_at=timezone.now(),
        )
        review_save(
            assignment=assignment,
            by=self.expert_assigned.user,
            points=DEFAULT_POINTS,
            comments={},
            comment=REVIEW_COMMENT,
            recommendation="fund",
            submit=True,
        )
        # A conflict entered by staff (for the admin site's conflict pages).
        Conflict.objects.create(
            application=reviewing,
            reviewer=make_expert("CQ"),
            source=ConflictSource.STAFF,
            reason="同一课题组",
            created_by=self.staff_cq,
        )
        self.objects |= {
            "call_review": call.pk,
            "reviewing": reviewing.pk,
            "run": run.pk,
            "assignment": assignment.pk,
        }

    # --- The decision: a shortlisted application with a proposed award ------------------------

    def decision_call(self) -> None:
        call = make_call_with_rubric(status=CallStatus.DECISION)
        shortlisted = _written(
            call, world=self, status=ApplicationStatus.SHORTLISTED, title=TITLES["shortlisted"]
        )
        award = _award(shortlisted, AwardStatus.PROPOSED, staff_sc=self.staff_sc, staff_cq=self.staff_cq)
        self.objects |= {"call_decision": call.pk, "shortlisted": shortlisted.pk, "award_proposed": award.pk}

    # --- The announcement, open, with an objection -------------------------------------------

    def publicity_call(self) -> None:
        from reviews.services.publicity import beijing_today, objection_file, publicity_start

        call = make_call_with_rubric(status=CallStatus.PUBLICITY)
        announced = _written(
            call, world=self, status=ApplicationStatus.SHORTLISTED, title=TITLES["announced"]
        )
        award = _award(announced, AwardStatus.APPROVED, staff_sc=self.staff_sc, staff_cq=self.staff_cq)
        today = beijing_today()
        publicity = publicity_start(call=call, start_date=today, by=self.staff_sc, today=today)
        objection = objection_file(
            publicity=publicity,
            award=award,
            name="李明",
            unit="成都某科技有限公司",
            phone=OBJECTOR_PHONE,
            email="liming@example.test",
            text="该项目的合作单位与申报材料所述不符。",
            attachment=pdf_upload("evidence.pdf", PDF),
            today=today,
        )
        self.objects |= {
            "call_pub": call.pk,
            "announced": announced.pk,
            "award_announced": award.pk,
            "publicity": publicity.pk,
            "objection": objection.pk,
            # As stored (the phone number is normalised).
            "objector_phone": objection.phone,
        }

    # --- The end: a final award and its funding notice -------------------------------------------

    def final_call(self) -> None:
        from reviews.services.notices import new_verification_code
        from reviews.services.publicity import beijing_today, publicity_close, publicity_start

        call = make_call_with_rubric(status=CallStatus.PUBLICITY)
        awarded = _written(call, world=self, status=ApplicationStatus.SHORTLISTED, title=TITLES["awarded"])
        award = _award(awarded, AwardStatus.APPROVED, staff_sc=self.staff_sc, staff_cq=self.staff_cq)
        # Announced three weeks ago, over without objection, closed: the award is final.
        started = beijing_today() - timedelta(days=21)
        publicity = publicity_start(call=call, start_date=started, by=self.staff_cq, today=started)
        publicity_close(publicity=publicity, by=self.staff_cq)
        award.refresh_from_db()
        award.notice_serial = 1
        award.notice_number = call.notice_number(1)
        award.save(update_fields=["notice_serial", "notice_number"])
        job = Job.objects.create(
            kind="notices", status=JobStatus.DONE, total=1, done=1, created_by=self.staff_cq
        )
        notice = FundingNotice(
            award=award,
            number=award.notice_number,
            verification_code=new_verification_code(),
            status=NoticeStatus.DONE,
            sha256=hashlib.sha256(PDF).hexdigest(),
            generated_at=timezone.now(),
            job=job,
            created_by=self.staff_cq,
        )
        notice.file.save("notice.pdf", ContentFile(PDF), save=False)
        notice.save()
        self.objects |= {
            "call_final": call.pk,
            "awarded": awarded.pk,
            "award_final": award.pk,
            "notice": notice.pk,
            "notice_code": notice.verification_code,
        }

    # --- Accounts, jobs, and rows that only the admin site shows -------------------------------------

    def the_rest(self) -> None:
        from axes.models import AccessAttempt, AccessFailureLog, AccessLog
        from django_otp.plugins.otp_totp.models import TOTPDevice

        # A job the owner started (printing their application).
        job = Job.objects.create(
            kind="application_print",
            status=JobStatus.QUEUED,
            object_type="application",
            object_id=str(self.objects["draft"]),
            created_by=self.owner,
        )
        # Someone who asks to join the lead unit.
        newcomer = UserFactory(full_name="新来的研究人员")
        request = MembershipRequest.objects.create(user=newcomer, organization=self.lead)
        # A registration not confirmed yet (its email link), and the password reset link of
        # someone who never signs in here (signing in changes the token).
        pending = UserFactory(full_name="待确认的用户", is_active=False)
        forgetful = UserFactory(full_name="忘记密码的用户")
        self.objects |= {
            "job": job.pk,
            "membership_request": request.pk,
            "confirm_uid": urlsafe_base64_encode(force_bytes(pending.pk)),
            "confirm_token": confirmation_tokens.make_token(pending),
            "reset_uid": urlsafe_base64_encode(force_bytes(forgetful.pk)),
            "reset_token": default_token_generator.make_token(forgetful),
        }
        # Rows for the admin site's pages of models that the portal's flows above do not fill.
        Holiday.objects.create(date=date(2021, 10, 1), name="国庆节")
        FormalCheck.objects.create(
            application_id=self.objects["reviewing"], decision=FormalDecision.ACCEPT, decided_by=self.staff_cq
        )
        TOTPDevice.objects.create(user=self.staff_sc, name="authenticator", confirmed=False)
        AccessAttempt.objects.create(
            username="x@example.test", ip_address="127.0.0.1", failures_since_start=1
        )
        AccessLog.objects.create(username="x@example.test", ip_address="127.0.0.1")
        AccessFailureLog.objects.create(username="x@example.test", ip_address="127.0.0.1")
        OutgoingEmail.objects.create(kind="test", to=self.owner.email, subject="测试邮件", body="正文")

    def secrets(self) -> None:
        """What each role may never read. Administrators read everything (the admin site)."""
        unit = frozenset({"unit_admin"})
        submitted_readers = TEAM | unit | STAFF
        self.world.secrets = [
            # A draft is the team's own until it is submitted.
            Secret("the draft's title", TITLES["draft"], TEAM | {"admin"}),
            Secret("an endorsed application's title", TITLES["endorsed"], submitted_readers),
            # The assigned expert reads the application under review, and nothing else of the team's.
            Secret("the title under review", TITLES["reviewing"], submitted_readers | {"expert_assigned"}),
            Secret("a shortlisted application's title", TITLES["shortlisted"], submitted_readers),
            # ID numbers are on the team's rows: the application's readers see them.
            Secret("the owner's ID number", self.owner.id_number, submitted_readers | {"expert_assigned"}),
            Secret(
                "the teammate's ID number", self.teammate.id_number, submitted_readers | {"expert_assigned"}
            ),
            # Who reviews an application, and what they wrote, the team and its unit never learn.
            Secret("the assigned expert's name", EXPERT_NAME, STAFF | {"expert_assigned"}),
            Secret("the expert's review comment", REVIEW_COMMENT, STAFF | {"expert_assigned"}),
            # An objector's contact details are for the staff who decide the objection.
            Secret("the objector's phone", self.objects["objector_phone"], STAFF),
            # Codes that open a verification page: the print's is for the application's
            # readers, the notice's for those who may download the notice.
            Secret("the submission's verification code", self.objects["submission_code"], submitted_readers),
            Secret(
                "the notice's verification code", self.objects["notice_code"], STAFF | {"owner", "unit_admin"}
            ),
        ]


def _admin_objects(world: World) -> None:
    """One object of every model of the admin site, for its pages that take an id; a model
    without a row in the world is an error here, so that no admin page goes unwalked."""
    from django.contrib import admin

    for model in admin.site._registry:
        first = model._default_manager.order_by("pk").first()
        if first is None:
            raise LookupError(f"the world has no {model._meta.label} for the admin site's pages")
        world.objects[f"admin:{model._meta.app_label}.{model._meta.model_name}"] = first.pk


def build_world(media_root: Path | None = None) -> World:
    builder = _Builder(media_root)
    builder.people()
    builder.open_call()
    builder.review_call()
    builder.decision_call()
    builder.publicity_call()
    builder.final_call()
    builder.the_rest()
    _admin_objects(builder.world)
    builder.secrets()
    return builder.world
