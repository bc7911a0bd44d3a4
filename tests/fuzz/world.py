"""The world the API fuzz runs against: the demo call and logins of ``seed_demo``, and a few
objects of every kind the API addresses by id, in the states where each role can act on them.

``seed_demo --without-applications`` gives the 2021 call (fields, quotas, 32 guide tasks, the
rubric), the units of both provinces, the pool of 50 experts and one demo login per role. The
factories of the other tests then add, owned by those logins:

- applications of ``applicant.cq`` on the demo call: an incomplete draft and a draft ready to
  submit; colleagues' of the same unit, one submitted (waiting for ``unit_admin.cq``), one
  endorsed (waiting for the formal check of Chongqing); accepted ones of both provinces;
- assignments of ``reviewer.cq`` (awaiting the declaration; declared with a draft review) and
  of ``reviewer.sc`` (declared, review submitted);
- a decision call with candidates and a proposed award, an announced call with an open
  objection, a call with a final award and its built funding notice, and their jobs.

Each kind's ids (``World.ids``), and the ids each role acts on (``World.own``), are what the
fuzz puts into ``{id}`` most of the time, so that path ids hit real objects and not only 404s. Building it takes a few seconds; the fuzz builds
it once per module and worker, and rolls every case back so that it never changes.
"""

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from io import StringIO

from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token

from applications.demo import demo_call
from applications.demo_data import DEMO_PASSWORD
from applications.models import Application, ApplicationStatus
from applications.printing import PRINT_JOB
from applications.services import GUIDE_JOB, application_create, application_move, application_submit
from portal.accounts.models import User
from portal.jobs.models import Job
from portal.jobs.services import job_create
from reviews.models import (
    Assignment,
    AssignmentStatus,
    Award,
    AwardStatus,
    Criterion,
    FundingNotice,
    NoticeStatus,
    ReviewerProfile,
    ReviewStatus,
)
from reviews.models import Review as ReviewModel
from reviews.services.notices import new_verification_code
from tests.factories import GuideTaskFactory, OrganizationFactory, make_applicant, make_ready_application
from tests.fuzz.steering import Steering
from tests.reviews.award_factories import make_award
from tests.reviews.award_helpers import make_candidate, make_decision_call
from tests.reviews.factories import make_accepted_application
from tests.reviews.publicity_factories import announced_call, file_objection

# The roles the fuzz signs in as: the demo login of each (None: no credentials at all).
ROLE_LOGINS: dict[str, str | None] = {
    "anonymous": None,
    "applicant": "applicant.cq@demo.test",
    "unit_admin": "unit_admin.cq@demo.test",
    "expert": "reviewer.cq@demo.test",
    "staff_sc": "staff.sc@demo.test",
    "staff_cq": "staff.cq@demo.test",
    "admin": "admin@demo.test",
}

PDF = b"%PDF-1.7\n% a funding notice of the fuzz world\n%%EOF\n"


@dataclass
class World:
    """Tokens per role, the ids of real objects per kind of path parameter, and the values that
    steer valid cases towards them (tests/fuzz/steering.py)."""

    tokens: dict[str, str | None]
    # kind -> ids of every object of that kind in the world
    ids: dict[str, list[int]] = field(default_factory=dict)
    # (role, kind) -> ids of the objects the role acts on (its own application, its assignment…)
    own: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    steering: Steering = field(default_factory=Steering)


def build_world() -> World:
    call_command("seed_demo", force=True, without_applications=True, stdout=StringIO())
    users = {role: User.objects.get(email=email) for role, email in ROLE_LOGINS.items() if email}
    tokens: dict[str, str | None] = {"anonymous": None}
    for role, user in users.items():
        tokens[role] = Token.objects.get_or_create(user=user)[0].key

    call = demo_call()
    applicant, unit_admin = users["applicant"], users["unit_admin"]
    # A partner of the other province, registered and verified, for the ready documents.
    partner = OrganizationFactory(sichuan=True)

    # --- The applicant side --------------------------------------------------------------------
    incomplete = application_create(call=call, by=applicant, guide_task=GuideTaskFactory(call=call))
    ready = make_ready_application(pi=applicant, call=call, partner=partner)
    # Other leaders of the same unit: a leader may have one application under way (限项), and
    # the applicant's ready draft must stay submittable.
    colleague, other_colleague = (
        make_applicant(unit=applicant.organization),
        make_applicant(unit=applicant.organization),
    )
    submitted = make_ready_application(pi=colleague, call=call, partner=partner)
    submitted = application_submit(application=submitted, by=colleague)
    endorsed = make_ready_application(pi=other_colleague, call=call, partner=partner)
    endorsed = application_submit(application=endorsed, by=other_colleague)
    endorsed = application_move(application=endorsed, action="endorse", by=unit_admin)

    # --- Under review: the demo experts' assignments -------------------------------------------
    under_review_cq = make_accepted_application(call, field="health", province="CQ")
    under_review_sc = make_accepted_application(call, field="eco", province="SC")
    expert_cq = ReviewerProfile.objects.get(user=users["expert"])
    expert_sc = ReviewerProfile.objects.get(user__email="reviewer.sc@demo.test")
    now = timezone.now()
    awaiting = Assignment.objects.create(
        application=under_review_cq, reviewer=expert_cq, source="manual", status=AssignmentStatus.ASSIGNED
    )
    declared = Assignment.objects.create(
        application=under_review_sc,
        reviewer=expert_cq,
        source="manual",
        status=AssignmentStatus.DECLARED,
        declared_at=now,
    )
    ReviewModel.objects.create(assignment=declared, status=ReviewStatus.DRAFT)
    submitted_review = Assignment.objects.create(
        application=under_review_cq,
        reviewer=expert_sc,
        source="manual",
        status=AssignmentStatus.DECLARED,
        declared_at=now,
    )
    ReviewModel.objects.create(
        assignment=submitted_review,
        status=ReviewStatus.SUBMITTED,
        recommendation="fund",
        total=Decimal("81"),
        submitted_at=now,
    )

    # --- The decision: candidates and a proposed award of another call -------------------------
    decision = make_decision_call(
        quotas={"ai": 3, "health": 2}, year=2020, title_zh="2020年川渝联合研发（模糊测试）"
    )
    shortlisted = make_candidate(decision, field="ai", province="CQ", score="86")
    make_candidate(decision, field="health", province="SC", score="78", status=ApplicationStatus.REVIEWED)
    proposed = make_award(decision, field="ai", status=AwardStatus.PROPOSED, quota=3)
    shortlisted.refresh_from_db()

    # --- The announcement, with an open objection ----------------------------------------------
    publicity, announced = announced_call(awards=2, year=2019, title_zh="2019年川渝联合研发（公示中）")
    objection = file_objection(publicity, announced[0])

    # --- A final award with its funding notice, built (a stored PDF, no rendering) -------------
    final = make_award(None, field="agri", status=AwardStatus.FINAL, title="已立项的联合研究")
    final.call.year, final.call.title_zh = 2018, "2018年川渝联合研发（已立项）"
    final.call.save(update_fields=["year", "title_zh"])
    final.notice_serial, final.notice_number = 1, final.call.notice_number(1)
    final.save(update_fields=["notice_serial", "notice_number"])
    batch = job_create(
        kind="notices.batch", task="reviews.tasks.notice_batch_task", obj=final.call, by=users["staff_cq"]
    )
    notice = FundingNotice(
        award=final,
        number=final.notice_number,
        verification_code=new_verification_code(),
        status=NoticeStatus.DONE,
        sha256=hashlib.sha256(PDF).hexdigest(),
        generated_at=now,
        job=batch,
        created_by=users["staff_cq"],
    )
    notice.file.save("notice.pdf", ContentFile(PDF), save=False)
    notice.save()
    own_job = job_create(
        kind=PRINT_JOB, task="applications.tasks.application_print_task", obj=ready, by=applicant
    )

    applications = [incomplete, ready, submitted, endorsed, under_review_cq, under_review_sc, shortlisted]
    assignments = [awaiting, declared, submitted_review]
    awards = Award.objects.filter(pk__in=[proposed.pk, *(a.pk for a in announced), final.pk])
    application_ids = [a.pk for a in applications]
    versions = {
        **{
            ("applications", pk): v
            for pk, v in Application.objects.filter(pk__in=application_ids).values_list("pk", "version")
        },
        **{("awards", pk): v for pk, v in awards.values_list("pk", "version")},
        # A review not yet saved has version 0 (the review's first save sends 0).
        **{("assignments", a.pk): getattr(getattr(a, "review", None), "version", 0) for a in assignments},
    }
    steering = Steering(
        versions=versions,
        calls=[call.pk, decision.pk],
        applications=application_ids,
        reviewers=[
            expert_cq.pk,
            expert_sc.pk,
            *ReviewerProfile.objects.exclude(pk__in=[expert_cq.pk, expert_sc.pk])
            .order_by("pk")
            .values_list("pk", flat=True)[:3],
        ],
        guide_tasks=list(call.tasks.order_by("pk").values_list("pk", flat=True)[:4]),
        field_codes=["ai", "health", "eco", "agri"],
        task_codes=list(call.tasks.order_by("pk").values_list("code", flat=True)[:4]),
        criteria=dict(Criterion.objects.filter(call=call).values_list("code", "max_points")),
        logins=[
            (ROLE_LOGINS["applicant"], DEMO_PASSWORD),
            (ROLE_LOGINS["staff_cq"], DEMO_PASSWORD),
            (ROLE_LOGINS["expert"], "wrong-password"),
        ],
        partner_usccs=[partner.uscc],
    )
    return World(
        tokens=tokens,
        steering=steering,
        ids={
            "applications": application_ids,
            "assignments": [a.pk for a in assignments],
            "awards": [proposed.pk, announced[0].pk, announced[1].pk, final.pk],
            "calls": [call.pk, decision.pk, publicity.call_id, final.call_id],
            "jobs": [
                batch.pk,
                own_job.pk,
                *Job.objects.filter(kind=GUIDE_JOB).values_list("pk", flat=True)[:1],
            ],
            "notices": [notice.pk],
            "objections": [objection.pk],
        },
        own={
            ("applicant", "applications"): [incomplete.pk, ready.pk],
            ("applicant", "jobs"): [own_job.pk],
            ("unit_admin", "applications"): [submitted.pk, endorsed.pk],
            ("expert", "assignments"): [awaiting.pk, declared.pk],
            **{
                (role, kind): pks
                for role in ("staff_cq", "staff_sc", "admin")
                for kind, pks in {
                    "applications": [endorsed.pk, under_review_sc.pk, shortlisted.pk],
                    "assignments": [awaiting.pk, submitted_review.pk],
                    "awards": [proposed.pk, announced[1].pk],
                    "calls": [call.pk, decision.pk],
                    "jobs": [batch.pk],
                    "notices": [notice.pk],
                    "objections": [objection.pk],
                }.items()
            },
        },
    )
