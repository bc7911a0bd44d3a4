"""Steps of the load harness that run in a child process on the harness's own database:
``seed`` (the data the clients work on), ``sweep`` (the beat's sweeps of lost work, run at
once) and ``verify`` (exactly once, after the run).

``python -m bench.load.steps STEP IN.json OUT.json``: the step reads its input and writes its
result as JSON; ``python -m bench.load.steps serve`` answers steps read from stdin, so that
the sweeps after each fault do not each pay for Django's start. The harness runs them with the environment of gunicorn and the worker
(``DATABASE_URL`` of the throwaway PostgreSQL), so the process that drives the load — a
pytest process whose Django points at the test database, or ``make bench`` — never opens a
connection of its own to the harness's database through the ORM.
"""

import json
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

# The password of every client that signs in through the login form (hashed once).
PASSWORD = "load-pass-2021"  # noqa: S105 — a throwaway database's demo accounts


@dataclass(frozen=True)
class Plan:
    """How much data the seed makes; the clients' numbers follow from it."""

    # Applicants who sign in, read their list and their application, and save their draft.
    applicants: int = 4
    # Ready drafts, each with its own project leader and API token, submitted once each.
    drafts: int = 80
    # Experts scoring through the API (token), each with ``assignments`` to declare and score.
    experts: int = 4
    assignments: int = 15
    # Applications under review with 4 submitted reviews each: what staff read in the ranking.
    ranked: int = 60
    # Calls with final awards whose funding notices are built by the worker, one batch each.
    notice_calls: int = 4
    awards: int = 4


# --- seed ----------------------------------------------------------------------------------


def seed(plan: Plan) -> dict[str, Any]:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.test import override_settings

    started = time.perf_counter()
    # The portal's own hasher for the accounts that sign in, computed once; every other account
    # (hundreds: leaders, units' staff, background experts) signs in by token or never, and is
    # hashed the fast way.
    login_hash = make_password(PASSWORD)
    with (
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        timings = {}
        mark = time.perf_counter()
        out: dict[str, Any] = {"password": PASSWORD, **_review_side(plan)}
        timings["review"], mark = time.perf_counter() - mark, time.perf_counter()
        out.update(_applicant_side(plan))
        timings["applicants"], mark = time.perf_counter() - mark, time.perf_counter()
        out["notice_calls"] = _notice_calls(plan)
        timings["notices"], mark = time.perf_counter() - mark, time.perf_counter()
        out["staff"] = _staff()
        out["timings"] = timings
        from portal.accounts.models import User

        emails = [a["email"] for a in out["applicants"]] + [s["email"] for s in out["staff"]]
        User.objects.filter(email__in=emails).update(password=login_hash)
    out["seconds"] = time.perf_counter() - started
    out["plan"] = asdict(plan)
    return out


def _token(user: Any) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.create(user=user).key


def _staff() -> list[dict[str, Any]]:
    from tests.reviews.factories import make_staff

    return [
        {"email": make_staff(province, email=f"load.staff.{province.lower()}@load.test").email}
        for province in ("SC", "CQ")
    ]


def _review_side(plan: Plan) -> dict[str, Any]:
    """A call under review: ``ranked`` applications with 4 submitted reviews each (the ranking
    has content), and ``experts`` load experts each assigned ``assignments`` of them, not
    yet declared."""
    from reviews.models import Assignment, AssignmentStatus
    from tests.reviews.factories import make_expert
    from tests.reviews.test_ranking import build_call

    call, _pool, applications = build_call(plan.ranked, experts=8, reviews=4)
    experts = []
    for index in range(plan.experts):
        expert = make_expert("SC" if index % 2 else "CQ", ("ai", "health"))
        mine = [
            applications[(index * plan.assignments + j) % len(applications)] for j in range(plan.assignments)
        ]
        rows = Assignment.objects.bulk_create(
            Assignment(application=a, reviewer=expert, source="manual", status=AssignmentStatus.ASSIGNED)
            for a in mine
        )
        experts.append({"token": _token(expert.user), "assignments": [row.pk for row in rows]})
    return {"review_call": call.pk, "experts": experts}


def _ready_draft(call: Any, tasks: list, index: int, *, files: list, commit: bool = True) -> tuple[Any, Any]:
    """A draft of ``call`` that passes every rule (attachments and, with ``commit``, the
    integrity commitment): its own leader and teammate, distinct across the call.

    The first draft uploads its four PDFs through the service; the others get attachment rows
    naming the same stored files (``files``, filled by the first), which saves five snapshots
    of the document per draft: the seed of the CI run must be quick."""
    from applications.models import Attachment
    from applications.services import (
        application_commit,
        application_create,
        application_save,
        attachment_upload,
    )
    from tests.factories import (
        OrganizationFactory,
        complete_document,
        make_applicant,
        make_id_number,
        pdf_upload,
    )

    pi = make_applicant(serial=index)
    partner = OrganizationFactory(sichuan=True)
    application = application_create(call=call, by=pi, guide_task=tasks[index % len(tasks)])
    data = complete_document(application, partner)
    # Teammates distinct across the call, or the call's membership limit would refuse them.
    data["team"][1]["id_number"] = make_id_number(index, born=date(1975, 1, 1) + timedelta(days=index))
    result = application_save(application=application, data=data, version=application.version, by=pi)
    assert not result.errors, result.errors
    application = result.application
    if not files:
        for kind in ("proposal", "pi_commitment", "unit_commitment", "agreement"):
            files.append(
                attachment_upload(
                    application=application,
                    kind=kind,
                    upload=pdf_upload(f"{kind}.pdf"),
                    by=pi,
                    version=application.version,
                )
            )
            application.refresh_from_db()
    else:
        Attachment.objects.bulk_create(
            Attachment(
                application=application,
                kind=model.kind,
                file=model.file.name,
                original_name=model.original_name,
                size=model.size,
                sha256=model.sha256,
                uploaded_by=pi,
            )
            for model in files
        )
    if commit:
        # The commitment stores the document's snapshot again, attachments included.
        application_commit(application=application, by=pi, version=application.version)
    else:
        from applications.document import document_store

        document_store(application)
    return application, pi


def _applicant_side(plan: Plan) -> dict[str, Any]:
    """An open call: ``applicants`` leaders who sign in, each with a filled draft they keep
    saving, and ``drafts`` ready drafts of their own leaders, to be submitted."""
    from applications.models import Application
    from applications.problems import problems_of
    from tests.factories import FundingCallFactory, GuideTaskFactory

    call = FundingCallFactory()
    tasks = [GuideTaskFactory(call=call) for _ in range(8)]
    applicants = []
    files: list = []
    for index in range(plan.applicants):
        application, pi = _ready_draft(call, tasks, index, files=files, commit=False)
        pi.email = f"load.applicant.{index}@load.test"
        pi.save(update_fields=["email"])
        applicants.append({"email": pi.email, "application": application.pk})
    drafts = []
    for index in range(plan.applicants, plan.applicants + plan.drafts):
        application, pi = _ready_draft(call, tasks, index, files=files)
        drafts.append({"id": application.pk, "token": _token(pi)})
    for draft in (drafts[0], drafts[-1]) if drafts else ():
        application = Application.objects.get(pk=draft["id"])
        assert not problems_of(application), problems_of(application)
    return {"open_call": call.pk, "applicants": applicants, "drafts": drafts}


def _notice_calls(plan: Plan) -> list[int]:
    """``notice_calls`` calls, each with ``awards`` final awards and no notice yet."""
    from applications.models import BudgetLine
    from reviews.models import AwardStatus
    from tests.factories import FundingCallFactory
    from tests.reviews.award_factories import make_award

    fields = ("health", "eco", "ai", "agri")
    calls = []
    for _ in range(plan.notice_calls):
        call = FundingCallFactory(budget_sc=Decimal("1e9"), budget_cq=Decimal("1e9"))
        for index in range(plan.awards):
            award = make_award(
                call,
                field=fields[index % 4],
                score=Decimal(95) - Decimal(index) / 10,
                status=AwardStatus.FINAL,
                quota=plan.awards,
                title=f"川渝联合攻关项目第{index + 1}号：智能制造与绿色低碳关键技术研究与示范",
            )
            application = award.application
            BudgetLine.objects.create(
                application=application,
                unit_uscc=application.lead_unit.uscc,
                category="operating",
                source="self",
                amount=Decimal("300000"),
            )
        calls.append(call.pk)
    return calls


# --- sweep ---------------------------------------------------------------------------------


def sweep(given: dict[str, Any]) -> dict[str, int]:
    """What Celery beat runs every minute (``CELERY_BEAT_SCHEDULE``), with the age limit of
    ``given["older_than"]`` seconds instead of 2 to 5 minutes: queued jobs, queued emails,
    status changes without their email, batches and notices whose messages were lost. Every
    task it sends again is idempotent."""
    from applications.notifications import notifications_requeue_stale
    from portal.celery import app
    from portal.jobs.services import jobs_requeue_stale
    from portal.mail.services import emails_requeue_stale
    from reviews.services.notices import notices_requeue_stale

    # As in the worker and beat: every task module imported, so that each job's task is known.
    app.loader.import_default_modules()
    age = timedelta(seconds=float(given.get("older_than", 0)))
    return {
        "jobs": jobs_requeue_stale(older_than=age),
        "emails": emails_requeue_stale(older_than=age),
        "notifications": notifications_requeue_stale(older_than=age),
        "notices": notices_requeue_stale(older_than=age),
    }


# --- verify --------------------------------------------------------------------------------


def verify(given: dict[str, Any]) -> dict[str, Any]:
    """Exactly once, from the database and the media folder, against what the clients were
    told: ``given`` holds the seed, the clients' successes and the calls whose batch ran."""
    seeded = given["seed"]
    return {
        "submissions": _submissions(seeded, set(given["submitted"])),
        "drafts": _draft_versions(seeded, given["saved_versions"]),
        "reviews": _reviews(seeded, set(given["reviewed"])),
        "notices": _notices(given["notice_calls"]),
    }


def _submissions(seeded: dict[str, Any], told_ok: set[int]) -> dict[str, Any]:
    from django.db.models import Count

    from applications.models import Application, ApplicationStatus

    ids = [d["id"] for d in seeded["drafts"]]
    rows = Application.objects.filter(pk__in=ids).annotate(n=Count("submissions"))
    problems = []
    submitted = 0
    for row in rows:
        frozen = row.status == ApplicationStatus.SUBMITTED
        submitted += frozen
        if row.n > 1:
            problems.append(f"application {row.pk}: {row.n} submissions")
        # All or nothing: the status, the counter and the frozen submission move together.
        if (
            frozen != (row.n == 1)
            or row.submission_count != row.n
            or frozen != (row.submitted_at is not None)
        ):
            problems.append(
                f"application {row.pk}: half a submission (status {row.status}, {row.n} submissions, "
                f"counter {row.submission_count}, submitted_at {row.submitted_at})"
            )
        if row.pk in told_ok and not frozen:
            problems.append(f"application {row.pk}: answered 200 but not submitted")
    return {"told_ok": len(told_ok), "submitted": submitted, "problems": problems}


def _draft_versions(seeded: dict[str, Any], saved: dict[str, int]) -> dict[str, Any]:
    from applications.models import Application

    stored = dict(Application.objects.filter(pk__in=[int(pk) for pk in saved]).values_list("pk", "version"))
    problems = [
        f"application {pk}: answered version {version}, stored {stored.get(int(pk))}"
        for pk, version in saved.items()
        if stored.get(int(pk), -1) < version
    ]
    return {"drafts": len(saved), "problems": problems}


def _reviews(seeded: dict[str, Any], told_ok: set[int]) -> dict[str, Any]:
    from reviews.models import Criterion, Review, ReviewStatus, Score

    ids = [pk for expert in seeded["experts"] for pk in expert["assignments"]]
    criteria = Criterion.objects.filter(call_id=seeded["review_call"]).count()
    reviews = {r.assignment_id: r for r in Review.objects.filter(assignment_id__in=ids)}
    scores = Counter(
        Score.objects.filter(review__assignment_id__in=ids).values_list("review__assignment_id", flat=True)
    )
    problems = []
    submitted = 0
    for pk in ids:
        review = reviews.get(pk)
        if review is not None and review.status == ReviewStatus.SUBMITTED:
            submitted += 1
            if review.total is None or scores[pk] != criteria:
                problems.append(f"assignment {pk}: submitted with {scores[pk]} of {criteria} scores")
        elif pk in told_ok:
            problems.append(f"assignment {pk}: answered 200 on submit but not submitted")
    return {"told_ok": len(told_ok), "submitted": submitted, "problems": problems}


def _notices(call_ids: list[int]) -> dict[str, Any]:
    import hashlib

    from django.core.files.storage import default_storage

    from portal.audit.models import AuditEvent
    from portal.jobs.models import Job
    from portal.mail.models import OutgoingEmail
    from reviews.models import Award, AwardStatus, FundingNotice, NoticeStatus

    problems = []
    awards = list(Award.objects.filter(call_id__in=call_ids, status=AwardStatus.FINAL))
    notices = list(FundingNotice.objects.filter(award__call_id__in=call_ids))
    current = Counter(n.award_id for n in notices if n.current)
    for award in awards:
        if current[award.pk] != 1:
            problems.append(f"award {award.pk}: {current[award.pk]} current notices")
    for call_id in call_ids:
        serials = sorted(a.notice_serial or 0 for a in awards if a.call_id == call_id)
        if serials != list(range(1, len(serials) + 1)):
            problems.append(f"call {call_id}: notice numbers {serials}")
    files = set()
    for notice in notices:
        if notice.status != NoticeStatus.DONE:
            problems.append(f"notice {notice.pk}: {notice.status} {notice.error[:200]}")
            continue
        if not notice.file or not default_storage.exists(notice.file.name):
            problems.append(f"notice {notice.pk}: no file")
            continue
        with default_storage.open(notice.file.name) as stored:
            if hashlib.sha256(stored.read()).hexdigest() != notice.sha256:
                problems.append(f"notice {notice.pk}: the file does not match its SHA-256")
        files.add(notice.file.name)
    if len(files) != len(notices):
        problems.append(f"{len(notices)} notices but {len(files)} distinct files")
    ids = [n.pk for n in notices]
    renders = Counter(
        AuditEvent.objects.filter(action="notice.render", object_id__in=[str(pk) for pk in ids]).values_list(
            "object_id", flat=True
        )
    )
    emails = Counter(
        OutgoingEmail.objects.filter(
            kind="funding_notice", reference__in=[f"notice:{pk}" for pk in ids]
        ).values_list("reference", flat=True)
    )
    for notice in notices:
        if renders[str(notice.pk)] != 1:
            problems.append(f"notice {notice.pk}: {renders[str(notice.pk)]} render events")
        if emails[f"notice:{notice.pk}"] != 1:
            problems.append(f"notice {notice.pk}: {emails[f'notice:{notice.pk}']} emails")
    jobs = Counter(
        Job.objects.filter(kind="notices.batch", object_id__in=[str(pk) for pk in call_ids]).values_list(
            "status", flat=True
        )
    )
    return {
        "awards": len(awards),
        "notices": len(notices),
        "files": len(files),
        "most_attempts": max((n.attempts for n in notices), default=0),
        "jobs": dict(jobs),
        "problems": problems,
    }


STEPS = {"seed": lambda given: seed(Plan(**given)), "sweep": sweep, "verify": verify}


def serve() -> None:
    """Answer steps read from stdin, one JSON line each (``{"step": …, "given": …}``), with one
    JSON line on stdout: Django is set up once for the run's many sweeps. The database
    connections are closed before each step, since the database may have been restarted."""
    from django.db import connections

    for line in sys.stdin:
        request = json.loads(line)
        connections.close_all()
        try:
            answer = {"result": STEPS[request["step"]](request["given"])}
        except Exception as error:  # the harness reports it; the helper stays up
            answer = {"error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(answer, default=str) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    import django

    django.setup()
    if sys.argv[1] == "serve":
        serve()
    else:
        step, source, target = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
        target.write_text(json.dumps(STEPS[step](json.loads(source.read_text())), default=str))
