"""The application's life as data: every state, its labels, and who may move it where.

``STATES`` lists each status code with the label an applicant reads and the one staff read
(both translatable; codes are never translated and never inferred from a label).
``TRANSITIONS`` lists every move: from which states, to which, who may make it, whether a
reason is required, and which deadline of the call it must beat. ``transition()`` is the
only code that writes ``Application.status``: a conditional UPDATE on (id, status, version)
so that two clicks, two tabs or two workers move an application once.

Issue-by-issue the table grows (the bureau's formal check, review, awards); the guards of
submission itself (every rule of the call) live in ``applications/rules.py`` and are run by
``applications.services.application_submit`` before it calls ``transition``.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from applications.models import Application, ApplicationStatus
from portal.accounts.roles import Role
from portal.audit.services import audit_record

S = ApplicationStatus


@dataclass(frozen=True)
class State:
    code: str
    applicant_label: Promise
    staff_label: Promise
    # The team may change the document only in these states.
    editable: bool = False
    # Counted by the project limits (限项): alive from submission until a decision.
    active: bool = False


STATES: dict[str, State] = {
    state.code: state
    for state in (
        State(S.DRAFT, _("Draft"), _("Draft"), editable=True),
        State(
            S.SUBMITTED,
            _("Submitted — waiting for your unit"),
            _("Submitted, awaiting the unit"),
            active=True,
        ),
        State(
            S.RETURNED,
            _("Returned to you for revision"),
            _("Returned for revision"),
            editable=True,
            active=True,
        ),
        State(
            S.ENDORSED,
            _("Endorsed by your unit — waiting for the bureau"),
            _("Endorsed by the unit"),
            active=True,
        ),
        State(S.ACCEPTED, _("Accepted by the bureau"), _("Accepted"), active=True),
        State(S.INELIGIBLE, _("Not accepted (formal check)"), _("Ineligible")),
        State(S.UNDER_REVIEW, _("Under expert review"), _("Under expert review"), active=True),
        State(S.REVIEWED, _("Review finished"), _("Reviewed"), active=True),
        State(S.SHORTLISTED, _("Shortlisted"), _("Shortlisted"), active=True),
        State(S.AWARDED, _("Funded"), _("Funded"), active=True),
        State(S.NOT_FUNDED, _("Not funded"), _("Not funded")),
        State(S.WITHDRAWN, _("Withdrawn"), _("Withdrawn")),
    )
}


def applicant_label(code: str) -> str:
    """The status as applicants read it (an unknown code as it is)."""
    state = STATES.get(code)
    return str(state.applicant_label) if state else code


EDITABLE_STATES = frozenset(code for code, state in STATES.items() if state.editable)
ACTIVE_STATES = frozenset(code for code, state in STATES.items() if state.active)

# Who may make a move: the application's project leader, its lead unit's administrator,
# bureau staff of the province the application applies to, or the review's organisers
# (bureau staff of either province, administrators, or the portal itself in a task: the
# review is joint).
PI = "pi"
LEAD_UNIT_ADMIN = "lead_unit_admin"
BUREAU = "bureau"
REVIEW_STAFF = "review_staff"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    actor: str
    reason_required: bool = False
    # A FundingCall attribute holding the deadline the move must beat (Asia/Shanghai times
    # are stored aware; the server's clock decides).
    deadline: str | None = None
    # Another deadline for a move from a given state: ((state, FundingCall attribute), …).
    deadline_from: tuple[tuple[str, str], ...] = ()


TRANSITIONS: tuple[Transition, ...] = (
    # A unit may return an application until its own deadline, after the applicants' one:
    # the team may submit a returned application again until then.
    Transition(
        "submit",
        frozenset({S.DRAFT, S.RETURNED}),
        S.SUBMITTED,
        PI,
        deadline="submit_deadline",
        deadline_from=((S.RETURNED, "endorse_deadline"),),
    ),
    Transition("endorse", frozenset({S.SUBMITTED}), S.ENDORSED, LEAD_UNIT_ADMIN, deadline="endorse_deadline"),
    Transition(
        "return",
        frozenset({S.SUBMITTED}),
        S.RETURNED,
        LEAD_UNIT_ADMIN,
        reason_required=True,
        deadline="endorse_deadline",
    ),
    Transition(
        "withdraw",
        frozenset({S.DRAFT, S.SUBMITTED, S.RETURNED, S.ENDORSED}),
        S.WITHDRAWN,
        PI,
    ),
    # The formal check (形式审查) by the bureau of the lead unit's province, until the bureaus'
    # acceptance deadline (when the call sets one). A return must leave the team and its unit
    # time to submit and endorse again, so it ends with the units' deadline.
    Transition("accept", frozenset({S.ENDORSED}), S.ACCEPTED, BUREAU, deadline="acceptance_deadline"),
    Transition(
        "bureau_return",
        frozenset({S.ENDORSED}),
        S.RETURNED,
        BUREAU,
        reason_required=True,
        deadline="endorse_deadline",
    ),
    Transition(
        "reject",
        frozenset({S.ENDORSED}),
        S.INELIGIBLE,
        BUREAU,
        reason_required=True,
        deadline="acceptance_deadline",
    ),
    # The expert review: experts assigned, every review submitted, a review reopened.
    Transition("review_start", frozenset({S.ACCEPTED}), S.UNDER_REVIEW, REVIEW_STAFF),
    Transition("review_finish", frozenset({S.UNDER_REVIEW}), S.REVIEWED, REVIEW_STAFF),
    Transition("review_reopen", frozenset({S.REVIEWED}), S.UNDER_REVIEW, REVIEW_STAFF),
    # The decision, taken jointly by the two bureaus (any review staff; the joint approval of
    # each award is the reviews app's business): shortlist from the ranking, and at the end of
    # the public announcement funded (a final award) or not funded.
    Transition("shortlist", frozenset({S.REVIEWED}), S.SHORTLISTED, REVIEW_STAFF),
    Transition("unshortlist", frozenset({S.SHORTLISTED}), S.REVIEWED, REVIEW_STAFF),
    Transition("fund", frozenset({S.SHORTLISTED}), S.AWARDED, REVIEW_STAFF),
    Transition("not_fund", frozenset({S.REVIEWED, S.SHORTLISTED}), S.NOT_FUNDED, REVIEW_STAFF),
)

TRANSITIONS_BY_ACTION = {t.action: t for t in TRANSITIONS}


class TransitionError(Exception):
    """A move that is not allowed now; ``message`` says why, for the user."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class TransitionConflict(TransitionError):
    """The application changed under us (another click, tab or person got there first)."""


def actor_may(actor: str, user: Any, application: Application) -> bool:
    if actor == REVIEW_STAFF and user is None:
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if actor == PI:
        return application.pi_id == user.pk
    if actor == LEAD_UNIT_ADMIN:
        return user.role == Role.UNIT_ADMIN and user.organization_id == application.lead_unit_id
    if actor == BUREAU:
        return user.role == Role.BUREAU_STAFF and user.province == application.province
    if actor == REVIEW_STAFF:
        return user.role in (Role.BUREAU_STAFF, Role.ADMIN)
    return False


def deadline_of(move: Transition, application: Application) -> datetime | None:
    attribute = dict(move.deadline_from).get(application.status, move.deadline)
    return getattr(application.call, attribute) if attribute else None


def check(move: Transition, application: Application, user: Any, *, now: datetime | None = None) -> None:
    """Raise TransitionError naming the rule when ``user`` may not make ``move`` now."""
    from django.utils.formats import date_format

    if application.status not in move.sources:
        raise TransitionError(
            _("This is not possible while the application is “%(status)s”.")
            % {"status": STATES[application.status].applicant_label},
            code="state",
        )
    if not actor_may(move.actor, user, application):
        raise TransitionError(_("You may not do this on this application."), code="actor")
    if move.actor == LEAD_UNIT_ADMIN and not application.lead_unit.is_verified:
        raise TransitionError(
            _(
                "Your unit has not been verified by the bureau yet. Endorsement opens once bureau staff "
                "of your province have checked the unit's registration."
            ),
            code="unverified",
        )
    deadline = deadline_of(move, application)
    if deadline is not None and (now or timezone.now()) > deadline:
        local = timezone.localtime(deadline)
        raise TransitionError(
            _("The deadline for this step was %(deadline)s (Beijing time).")
            % {"deadline": date_format(local, "Y-m-d H:i:s")},
            code="deadline",
        )


def moves_for(user: Any, application: Application) -> list[Transition]:
    """The moves ``user`` could make now (state and actor; the deadline is checked on the move)."""
    return [
        move
        for move in TRANSITIONS
        if application.status in move.sources and actor_may(move.actor, user, application)
    ]


def transition(
    *, application: Application, action: str, by: Any, reason: str = "", changes: dict[str, Any] | None = None
) -> Application:
    """Move ``application`` by ``action``. One conditional UPDATE (which also writes ``changes``,
    fields that go with the move, such as the submission time); audited; the team is emailed
    after commit. Raises TransitionError (not allowed now) or TransitionConflict (someone
    else moved it first)."""
    from applications import notifications

    move = TRANSITIONS_BY_ACTION[action]
    reason = (reason or "").strip()
    check(move, application, by)
    if move.reason_required and not reason:
        raise TransitionError(_("Please give a reason."), code="reason")
    source = application.status
    changes = changes or {}
    now = timezone.now()
    # No savepoint of its own (two round trips at every move): nothing is written unless the
    # conditional UPDATE matched, and a conflict is raised after the block, so a caller's
    # transaction is never left broken by it.
    with transaction.atomic(savepoint=False):
        updated = Application.objects.filter(
            pk=application.pk, status=source, version=application.version
        ).update(status=move.target, version=F("version") + 1, updated_at=now, **changes)
        if updated == 1:
            # The row matched the version we hold, so the new values are known without a read.
            application.status, application.version, application.updated_at = (
                move.target,
                application.version + 1,
                now,
            )
            for name, value in changes.items():
                setattr(application, name, value)
            event = audit_record(
                actor=by,
                action=f"application.{action}",
                obj=application,
                from_state=source,
                to_state=move.target,
                reason=reason,
                data={"notify": notifications.enabled()},
            )
            notifications.status_changed(event=event)
    if updated != 1:
        raise TransitionConflict(
            _(
                "The application was changed in the meantime (another window or person). Reload and try again."
            ),
            code="conflict",
        )
    return application
