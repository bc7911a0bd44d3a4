"""Who reviews what: the solver's draw of expert panels for a call, and staff's changes by hand.

``assignment_run_start`` records an ``AssignmentRun`` (with its seed, so the draw can be
replayed) and a ``Job``, and queues ``reviews.tasks.assignment_run_task`` after commit; the
task calls ``assignment_run_execute``, which reads the call as it stands (assignments already
made count toward k and the province minimum), solves it with the pure ``reviews.assignment``
module, checks the result with the independent ``reviews.assignment_check`` and — unless it
is a dry run — saves the pairs and moves each application that got experts under review.

``assignment_add`` and ``assignment_remove`` are staff's changes by hand; they check the same
rules as the solver (application in the review, expert active, never a pair twice, no
conflict, the expert's load). Every writer of assignments of a call locks the call's row
first, so a solver run and a change by hand never write on top of each other.
"""

import logging
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Application, ApplicationStatus, FundingCall
from applications.workflow import transition
from portal.audit.services import audit_record
from portal.choices import JOINT_PROVINCES
from portal.fields import clean_text
from portal.jobs.models import Job
from portal.jobs.services import job_claim, job_create, job_done, job_fail
from reviews.models import (
    LIVE_STATUSES,
    Assignment,
    AssignmentRun,
    AssignmentSource,
    AssignmentStatus,
    Review,
    ReviewerProfile,
)
from reviews.models.reviews import ReviewStatus
from reviews.permissions import can_manage_review
from reviews.services.reviewing import review_finish_if_complete

logger = logging.getLogger(__name__)

RUN_JOB = "review.assignment"
# The applications whose panels are drawn and changed: accepted by the formal check, or
# already under review (a panel short of experts is completed by a later run).
IN_REVIEW = (ApplicationStatus.ACCEPTED, ApplicationStatus.UNDER_REVIEW)
# Assignments that count: waiting for the declaration or declared (a declined one does not).
PROVINCES = tuple(str(p.value) for p in JOINT_PROVINCES)
# Seeds are stored in a signed 64-bit column.
MAX_SEED = 2**63 - 1
MAX_REASON = 1000
# The job's progress is reported in hundredths.
PROGRESS_STEPS = 100


class AssignmentError(Exception):
    """A refusal of the assignment services; ``message`` says why, for the user; ``code`` is
    stable (``not_allowed``, ``settings``, ``seed``, ``state``, ``inactive``, ``duplicate``,
    ``declined``, ``conflict``, ``load``, ``reason``, ``submitted``, ``changed``, ``invalid``)."""

    def __init__(self, message: str, code: str = "invalid", field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        # The input at fault, when one is (forms and the API mark it).
        self.field = field


def _require_staff(by: Any, call: FundingCall) -> None:
    allowed, reason = can_manage_review(by, call)
    if not allowed:
        raise AssignmentError(reason, code="not_allowed")


def _actor(by: Any) -> Any:
    return by if getattr(by, "is_authenticated", False) else None


def check_settings(call: FundingCall) -> tuple[int, int]:
    """The call's (k, m); refused when the province minimum cannot fit in a panel of k."""
    k, m = call.reviewers_per_application, call.min_reviewers_per_province
    if k < 1:
        raise AssignmentError(
            _("The call asks for no expert per application; set “experts per application” first."),
            code="settings",
        )
    if m * len(PROVINCES) > k:
        raise AssignmentError(
            _(
                "The call's settings cannot be met: at least %(m)d experts of each of the two provinces "
                "do not fit in a panel of %(k)d. Lower “minimum experts of each province” to at most "
                "%(half)d or raise “experts per application”."
            )
            % {"m": m, "k": k, "half": k // len(PROVINCES)},
            code="settings",
        )
    return k, m


# --- Starting and running the solver ------------------------------------------------------


def assignment_run_start(
    *, call: FundingCall, by: Any, seed: int | None = None, dry_run: bool = False, wait: bool = False
) -> AssignmentRun:
    """Queue a draw of the call's panels. The run and its job are written in one transaction;
    the task is sent after commit (without a broker it runs in-process at commit, and the
    returned run is then already done or failed).

    ``by=None`` is the portal itself (a management command such as ``seed_demo``; requests
    always pass their user). ``wait=True`` draws in this process and returns the finished run
    instead of queueing the task (for commands that go on with the panels)."""
    from reviews.tasks import assignment_run_task

    if by is not None:
        _require_staff(by, call)
    k, m = check_settings(call)
    if seed is None:
        seed = secrets.randbits(63)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise AssignmentError(
            _("The seed must be a whole number from 0 to %(max)d.") % {"max": MAX_SEED},
            code="seed",
            field="seed",
        )
    with transaction.atomic():
        run = AssignmentRun.objects.create(
            call=call,
            seed=seed,
            experts_per_application=k,
            min_per_province=m,
            dry_run=bool(dry_run),
            created_by=_actor(by),
        )
        job = job_create(kind=RUN_JOB, task=assignment_run_task.name, obj=run, total=PROGRESS_STEPS, by=by)
        run.job = job
        run.save(update_fields=["job"])
        audit_record(
            actor=by,
            action="assignment.run_start",
            obj=call,
            data={"run": run.pk, "job": job.pk, "seed": seed, "dry_run": run.dry_run, "k": k, "m": m},
        )
        if not wait:
            # robust: a broker that is down must not undo the request; the job stays queued and
            # the stale-job sweep sends it again. The task takes the job's id, as the sweep does.
            transaction.on_commit(lambda: assignment_run_task.delay(job.pk), robust=True)
    if wait:
        # The task's body in this process (a failure ends as a failed run, as in a worker).
        assignment_run_task(job.pk)
    run.refresh_from_db()
    return run


@dataclass
class Snapshot:
    """The call as the solver saw it: the problem, and what the result is reported with."""

    problem: Any
    # application id → {"title", "reference", "application_province", "field", "field_zh", "field_en"}
    applications: dict[int, dict[str, Any]]
    # The newest assignment of the call when it was read: a newer one at saving time means
    # someone changed the panels meanwhile, and the result is no longer valid.
    last_assignment: int
    accepted: set[int] = field(default_factory=set)


def _snapshot(run: AssignmentRun) -> Snapshot:
    """Read the call into a ``reviews.assignment.Problem`` (a handful of queries per call)."""
    from reviews.assignment import Expert, Paper, Problem
    from reviews.services.conflicts import conflict_pairs

    call = run.call
    k, m = run.experts_per_application, run.min_per_province
    rows = list(
        Application.objects.filter(call=call, status__in=IN_REVIEW)
        .order_by("pk")
        .values(
            "pk",
            "title",
            "province",
            "status",
            "guide_task__field__code",
            "guide_task__field__name_zh",
            "guide_task__field__name_en",
        )
    )
    ids = {row["pk"] for row in rows}
    last = Assignment.objects.filter(application__call=call).aggregate(last=Max("pk"))["last"] or 0
    live: Counter[int] = Counter()
    live_in: Counter[tuple[int, str]] = Counter()
    load: Counter[int] = Counter()
    excluded: set[tuple[int, int]] = set()
    for application_id, reviewer_id, status, province in Assignment.objects.filter(
        application__call=call
    ).values_list("application_id", "reviewer_id", "status", "reviewer__province"):
        if status in LIVE_STATUSES:
            load[reviewer_id] += 1
        if application_id not in ids:
            continue
        # Declined pairs too: an expert who declared a conflict is never drawn again.
        excluded.add((application_id, reviewer_id))
        if status in LIVE_STATUSES:
            live[application_id] += 1
            live_in[(application_id, province)] += 1

    papers = []
    applications: dict[int, dict[str, Any]] = {}
    for row in rows:
        pk = row["pk"]
        per_province = tuple(
            (province, max(0, m - live_in[(pk, province)]))
            for province in PROVINCES
            if m - live_in[(pk, province)] > 0
        )
        # The province minimum wins over k: a panel of k made by hand of one province still
        # gets its experts of the other (so a few panels may end above k).
        need = max(0, k - live[pk], sum(n for _p, n in per_province))
        applications[pk] = {
            "title": row["title"],
            "reference": f"{call.year}-{row['province']}-{pk:05d}",
            "application_province": row["province"],
            "field": row["guide_task__field__code"] or "",
            "field_zh": row["guide_task__field__name_zh"] or "",
            "field_en": row["guide_task__field__name_en"] or "",
        }
        if need:
            papers.append(
                Paper(
                    id=pk,
                    field=row["guide_task__field__code"] or "",
                    need=need,
                    need_per_province=per_province,
                )
            )

    profiles = ReviewerProfile.objects.filter(active=True).order_by("pk").prefetch_related("fields")
    experts = tuple(
        Expert(
            id=profile.pk,
            province=profile.province,
            fields=frozenset(f.code for f in profile.fields.all()),
            capacity=max(0, profile.max_load - load[profile.pk]),
        )
        for profile in profiles
    )
    expert_ids = {expert.id for expert in experts}
    paper_ids = {paper.id for paper in papers}
    found = conflict_pairs(call=call, application_ids=sorted(paper_ids)) if paper_ids else set()
    conflicts = frozenset(
        (application_id, reviewer_id)
        for application_id, reviewer_id in found
        if application_id in paper_ids and reviewer_id in expert_ids
    )
    problem = Problem(
        papers=tuple(papers),
        experts=experts,
        conflicts=conflicts,
        seed=run.seed,
        provinces=PROVINCES,
        excluded=frozenset(pair for pair in excluded if pair[0] in paper_ids and pair[1] in expert_ids),
    )
    accepted = {row["pk"] for row in rows if row["status"] == ApplicationStatus.ACCEPTED}
    return Snapshot(problem=problem, applications=applications, last_assignment=last, accepted=accepted)


def _progress_reporter(job_id: int | None) -> Callable[[float], None]:
    """The solver's progress (0…1) written to the job in hundredths, once per step."""
    state = {"done": -1}

    def report(fraction: float) -> None:
        if job_id is None:
            return
        done = max(0, min(PROGRESS_STEPS, int(float(fraction) * PROGRESS_STEPS)))
        if done > state["done"]:
            state["done"] = done
            Job.objects.filter(pk=job_id).update(done=done, updated_at=timezone.now())

    return report


def shortfall_rows(shortfalls: Any, applications: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """The solver's shortfalls as stored on the run: codes and numbers plus what the pages
    show of the application (so reading a run needs no further query). Words are made when
    shown, in the reader's language (``reviews.selectors.assignments.shortfall_text``)."""
    rows = []
    for shortfall in shortfalls:
        info = applications.get(shortfall.paper, {})
        rows.append(
            {
                "application": shortfall.paper,
                "province": shortfall.province,
                "missing": shortfall.missing,
                "reason": shortfall.reason,
                "candidates": shortfall.candidates,
                "in_field": shortfall.in_field,
                **info,
            }
        )
    return rows


def _unchanged_since_the_draw(run: AssignmentRun, pairs: list[tuple[int, int]]) -> bool:
    """Whether the drawn pairs still keep every rule now (the call's row is locked): a conflict
    recorded, an expert deactivated or given a lower load while the solver ran fails the run."""
    from reviews.services.conflicts import conflict_pairs

    if not pairs:
        return True
    if conflict_pairs(call=run.call, application_ids={a for a, _r in pairs}) & set(pairs):
        return False
    drawn = Counter(reviewer_id for _a, reviewer_id in pairs)
    experts = {
        profile.pk: profile
        for profile in ReviewerProfile.objects.filter(pk__in=drawn).only("pk", "active", "max_load")
    }
    loads = Counter(
        Assignment.objects.filter(
            reviewer_id__in=drawn, application__call_id=run.call_id, status__in=LIVE_STATUSES
        ).values_list("reviewer_id", flat=True)
    )
    return all(
        reviewer_id in experts
        and experts[reviewer_id].active
        and loads[reviewer_id] + count <= experts[reviewer_id].max_load
        for reviewer_id, count in drawn.items()
    )


def _save_pairs(
    run: AssignmentRun, snapshot: Snapshot, pairs: list[tuple[int, int]], finish: dict[str, Any]
) -> bool:
    """Write the drawn pairs, start the review of the applications that got experts and mark
    the run done (``finish``), all or nothing. False when another delivery of the task
    finished the run meanwhile (then nothing is written)."""
    with transaction.atomic():
        # Every writer of a call's assignments and conflicts locks the call's row first.
        FundingCall.objects.select_for_update().filter(pk=run.call_id).first()
        if (
            not AssignmentRun.objects.select_for_update()
            .filter(pk=run.pk, status=AssignmentRun.Status.RUNNING)
            .exists()
        ):
            return False
        last = (
            Assignment.objects.filter(application__call_id=run.call_id).aggregate(last=Max("pk"))["last"] or 0
        )
        if last != snapshot.last_assignment or not _unchanged_since_the_draw(run, pairs):
            raise AssignmentError(
                _(
                    "The panels, conflicts or experts of the call changed while the solver ran (another run or "
                    "a change by hand); nothing was saved. Start the run again."
                ),
                code="changed",
            )
        Assignment.objects.bulk_create(
            [
                Assignment(
                    application_id=application_id,
                    reviewer_id=reviewer_id,
                    source=AssignmentSource.SOLVER,
                    run=run,
                    created_by=run.created_by,
                )
                for application_id, reviewer_id in pairs
            ]
        )
        started = sorted({application_id for application_id, _r in pairs} & snapshot.accepted)
        moved = 0
        for application in Application.objects.filter(pk__in=started, status=ApplicationStatus.ACCEPTED):
            # The portal starts the review (by=None); the team is told by the status email.
            transition(application=application, action="review_start", by=None)
            moved += 1
        AssignmentRun.objects.filter(pk=run.pk).update(**finish)
        audit_record(
            actor=run.created_by,
            action="assignment.run",
            obj=run.call,
            data={
                "run": run.pk,
                "seed": run.seed,
                "pairs": len(pairs),
                "applications": len({a for a, _r in pairs}),
                "review_started": moved,
                "shortfalls": len(finish["shortfalls"]),
            },
        )
    return True


def assignment_run_execute(*, run_id: int) -> AssignmentRun:
    """Draw the panels of a queued run. Idempotent: a run that is done (or failed) is returned
    as it is. A result that breaks a rule, or panels changed meanwhile, fail the run and save
    nothing; unexpected errors are left to the caller (the task records them)."""
    from reviews.assignment import solve
    from reviews.assignment_check import violations

    claimed = AssignmentRun.objects.filter(
        pk=run_id, status__in=[AssignmentRun.Status.QUEUED, AssignmentRun.Status.RUNNING]
    ).update(status=AssignmentRun.Status.RUNNING)
    run = AssignmentRun.objects.select_related("call", "created_by").get(pk=run_id)
    if not claimed:
        return run
    if run.job_id is not None:
        job_claim(job_id=run.job_id)
    try:
        snapshot = _snapshot(run)
        result = solve(snapshot.problem, progress=_progress_reporter(run.job_id))
        pairs = sorted((int(a), int(r)) for a, r in result.pairs)
        broken = violations(snapshot.problem, pairs, result.shortfalls)
        if broken:
            logger.error("assignment run %s broke %d rules: %s", run.pk, len(broken), broken[:20])
            raise AssignmentError(
                _("The solver's result broke %(count)d rule(s) and was not saved: %(first)s")
                % {"count": len(broken), "first": "; ".join(str(b) for b in broken[:3])},
                code="violations",
            )
        finish = {
            "status": AssignmentRun.Status.DONE,
            "objective": int(result.objective),
            "optimal": bool(result.optimal),
            "applications": len(snapshot.applications),
            "assigned": len(pairs),
            "shortfalls": shortfall_rows(result.shortfalls, snapshot.applications),
            "error": "",
            "finished_at": timezone.now(),
        }
        if not run.dry_run:
            finished = _save_pairs(run, snapshot, pairs, finish)
        else:
            with transaction.atomic():
                # Conditional: a second delivery of the task finds the run finished.
                finished = bool(
                    AssignmentRun.objects.filter(pk=run.pk, status=AssignmentRun.Status.RUNNING).update(
                        **finish
                    )
                )
                if finished:
                    audit_record(
                        actor=run.created_by,
                        action="assignment.run",
                        obj=run.call,
                        data={"run": run.pk, "seed": run.seed, "dry_run": True, "pairs": len(pairs)},
                    )
    except AssignmentError as error:
        return assignment_run_fail(run_id=run.pk, error=error)
    if finished and run.job_id is not None:
        job_done(job_id=run.job_id, done=PROGRESS_STEPS)
    return AssignmentRun.objects.select_related("call", "created_by").get(pk=run_id)


def assignment_run_fail(*, run_id: int, error: BaseException) -> AssignmentRun:
    """Mark a run (and its job) failed with a readable error; nothing of it was saved."""
    if isinstance(error, AssignmentError):
        message = error.message
    else:
        message = _("The assignment could not be computed (%(error)s). Nothing was saved.") % {
            "error": f"{type(error).__name__}: {error}"
        }
    # Conditional: a run finished by another delivery of the task stays as that one left it.
    failed = AssignmentRun.objects.filter(
        pk=run_id, status__in=[AssignmentRun.Status.QUEUED, AssignmentRun.Status.RUNNING]
    ).update(status=AssignmentRun.Status.FAILED, error=message[:2000], finished_at=timezone.now())
    run = AssignmentRun.objects.select_related("call").get(pk=run_id)
    if failed and run.job_id is not None:
        job_fail(job_id=run.job_id, error=error)
        # The job shows the same readable words as the run.
        Job.objects.filter(pk=run.job_id).update(error=message[:2000])
    return run


# --- Changes by hand ----------------------------------------------------------------------


def _clean_reason(reason: str, *, required: bool) -> str:
    try:
        reason = clean_text(reason, max_length=MAX_REASON)
    except ValidationError as error:
        raise AssignmentError(error.messages[0], code="reason", field="reason") from error
    if required and not reason:
        raise AssignmentError(_("Please give a reason."), code="reason", field="reason")
    return reason


def reviewer_load(*, reviewer: ReviewerProfile, call: FundingCall) -> int:
    """Live assignments of the expert in the call (a declined one does not count)."""
    return Assignment.objects.filter(
        reviewer=reviewer, application__call=call, status__in=LIVE_STATUSES
    ).count()


def assignment_add(
    *, application: Application, reviewer: ReviewerProfile, by: Any, reason: str = ""
) -> Assignment:
    """Add an expert to an application's panel by hand, under the solver's rules. Starts the
    review of an accepted application."""
    from reviews.services.conflicts import conflicts_between

    _require_staff(by, application.call)
    reason = _clean_reason(reason, required=False)
    with transaction.atomic():
        # Lock order: call, application, expert (as the solver's save: call first).
        FundingCall.objects.select_for_update().filter(pk=application.call_id).first()
        application = Application.objects.select_for_update().select_related("call").get(pk=application.pk)
        if application.status not in (*IN_REVIEW, ApplicationStatus.REVIEWED):
            raise AssignmentError(
                _(
                    "Experts are assigned only to accepted applications under review; this one is “%(status)s”."
                )
                % {"status": application.get_status_display()},
                code="state",
                field="application",
            )
        reviewer = ReviewerProfile.objects.select_for_update().select_related("user").get(pk=reviewer.pk)
        name = reviewer.user.full_name
        if not reviewer.active:
            raise AssignmentError(
                _("%(name)s is not an active expert of the pool.") % {"name": name},
                code="inactive",
                field="reviewer",
            )
        existing = Assignment.objects.filter(application=application, reviewer=reviewer).first()
        if existing is not None and existing.status == AssignmentStatus.DECLINED:
            raise AssignmentError(
                _("%(name)s declared a conflict with this application and cannot be assigned to it again.")
                % {"name": name},
                code="declined",
                field="reviewer",
            )
        if existing is not None:
            raise AssignmentError(
                _("%(name)s is already on the panel of this application.") % {"name": name},
                code="duplicate",
                field="reviewer",
            )
        conflicts = conflicts_between(application=application, reviewer=reviewer)
        if conflicts:
            raise AssignmentError(
                _("%(name)s has a conflict of interest with this application: %(reasons)s")
                % {"name": name, "reasons": "; ".join(text for _source, text in conflicts)},
                code="conflict",
                field="reviewer",
            )
        load = reviewer_load(reviewer=reviewer, call=application.call)
        if load >= reviewer.max_load:
            raise AssignmentError(
                _("%(name)s already reviews %(load)d applications of this call, the most allowed (%(max)d).")
                % {"name": name, "load": load, "max": reviewer.max_load},
                code="load",
                field="reviewer",
            )
        assignment = Assignment.objects.create(
            application=application,
            reviewer=reviewer,
            source=AssignmentSource.MANUAL,
            created_by=_actor(by),
        )
        audit_record(
            actor=by,
            action="assignment.add",
            obj=application,
            reason=reason,
            data={
                "assignment": assignment.pk,
                "application": application.pk,
                "reviewer": reviewer.pk,
                "expert": name,
            },
        )
        if application.status == ApplicationStatus.ACCEPTED:
            transition(application=application, action="review_start", by=by)
        elif application.status == ApplicationStatus.REVIEWED:
            # A new panel member has a review to write: the application is under review again.
            transition(application=application, action="review_reopen", by=by)
    return assignment


def assignment_remove(*, assignment: Assignment, by: Any, reason: str) -> None:
    """Take an expert off a panel, with a reason; their draft review goes with it. Refused once
    the review is submitted: staff reopen it, or keep it."""
    _require_staff(by, assignment.application.call)
    reason = _clean_reason(reason, required=True)
    with transaction.atomic():
        FundingCall.objects.select_for_update().filter(pk=assignment.application.call_id).first()
        current = (
            Assignment.objects.select_for_update()
            .select_related("application", "reviewer__user")
            .filter(pk=assignment.pk)
            .first()
        )
        if current is None:
            raise AssignmentError(_("This assignment was removed already."), code="gone")
        if current.application.status not in (*IN_REVIEW, ApplicationStatus.REVIEWED):
            raise AssignmentError(
                _("The expert review of this application is over; its panel can no longer be changed."),
                code="state",
            )
        review = Review.objects.filter(assignment=current).only("pk", "status").first()
        if review is not None and review.status == ReviewStatus.SUBMITTED:
            raise AssignmentError(
                _(
                    "%(name)s has submitted the review of this application, so the assignment cannot be removed. "
                    "Reopen the review or keep it."
                )
                % {"name": current.reviewer.user.full_name},
                code="submitted",
            )
        data = {
            "assignment": current.pk,
            "application": current.application_id,
            "reviewer": current.reviewer_id,
            "expert": current.reviewer.user.full_name,
            "status": current.status,
            "source": current.source,
            "run": current.run_id,
            "draft_review": review.pk if review is not None else None,
        }
        # The draft review and its scores are deleted with it (cascade).
        current.delete()
        audit_record(actor=by, action="assignment.remove", obj=current.application, reason=reason, data=data)
        # The others may all have submitted already: then the review of the application is done.
        review_finish_if_complete(current.application_id)
