"""The bureau's decision of the formal check (形式审查): accept, return for revision, or declare
ineligible.

``formal_check_decide`` is the only writer of ``FormalCheck``. It moves the application through
``applications.workflow.transition`` (which writes the status, audits the move and emails the
team after commit) and stores, in the same transaction, the decision with the checklist as it
stood when the decision was made. A move the workflow refuses — a decision made meanwhile by
someone else, a return after the units' deadline — raises before anything is written.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from applications import workflow
from applications.models import Application
from portal.audit.services import audit_record
from portal.fields import clean_text
from reviews import eligibility
from reviews.models import FormalCheck, FormalDecision
from reviews.permissions import can_formal_check

# The workflow's move for each decision.
ACTIONS: dict[str, str] = {
    FormalDecision.ACCEPT: "accept",
    FormalDecision.RETURN: "bureau_return",
    FormalDecision.REJECT: "reject",
}
REASON_MAX_LENGTH = 2000


class FormalCheckError(Exception):
    """A decision refused; ``message`` says why, ``field`` names the input at fault (if one),
    ``code`` is stable: ``decision``/``reason`` (bad input), ``permission`` (not this user's
    decision), or the workflow's codes (``state``, ``conflict``, ``deadline``, ``actor``)."""

    def __init__(self, message: str, code: str, field: str | None = None) -> None:
        # In the language active now (the workflow's messages are lazy).
        message = str(message)
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


def _clean_reason(reason: str) -> str:
    try:
        return clean_text(reason, max_length=REASON_MAX_LENGTH)
    except ValidationError as error:
        raise FormalCheckError(error.messages[0], error.code or "invalid", "reason") from error


def _check_reason(decision: str, reason: str, passed: bool) -> None:
    if reason:
        return
    if decision == FormalDecision.RETURN:
        raise FormalCheckError(
            _("Say what the team must change: the reason of a return is sent to the project leader."),
            "required",
            "reason",
        )
    if decision == FormalDecision.REJECT:
        raise FormalCheckError(
            _("Say why the application is ineligible: the reason is sent to the project leader."),
            "required",
            "reason",
        )
    if not passed:
        raise FormalCheckError(
            _(
                "Some rules of the checklist fail. To accept the application anyway (a staff "
                "override), give the reason; it is recorded with the decision."
            ),
            "required",
            "reason",
        )


def formal_check_decide(*, application: Application, decision: str, reason: str, by: Any) -> FormalCheck:
    """Decide the formal check of ``application`` (with its call, guide task and lead unit
    loaded) as ``by``: ``decision`` is accept, return or reject. A reason is required to
    return or reject, and to accept despite a failing rule. Returns the new FormalCheck;
    ``application`` comes back in its new status."""
    if decision not in ACTIONS:
        raise FormalCheckError(
            _("Choose accept, return or reject (got “%(decision)s”).") % {"decision": str(decision)[:40]},
            "invalid_choice",
            "decision",
        )
    allowed, why = can_formal_check(by, application)
    if not allowed:
        raise FormalCheckError(why, "permission")
    reason = _clean_reason(reason)
    move = workflow.TRANSITIONS_BY_ACTION[ACTIONS[decision]]
    # The state and the deadline first: a decision made already is said as such, whatever
    # else is wrong with this one.
    try:
        workflow.check(move, application, by)
    except workflow.TransitionError as error:
        raise FormalCheckError(error.message, error.code) from error
    items = eligibility.checklist(application)
    passed = eligibility.all_passed(items)
    _check_reason(decision, reason, passed)
    with transaction.atomic():
        try:
            workflow.transition(application=application, action=move.action, by=by, reason=reason)
        except workflow.TransitionError as error:
            # Raised before anything was written (a conflict is raised after the UPDATE
            # matched nothing): no FormalCheck row is left behind.
            raise FormalCheckError(error.message, error.code) from error
        formal_check = FormalCheck.objects.create(
            application=application,
            decision=decision,
            reason=reason,
            checklist=eligibility.snapshot(items),
            decided_by=by,
        )
        audit_record(
            actor=by,
            action=f"formal_check.{decision}",
            obj=formal_check,
            reason=reason,
            data={
                "application": application.pk,
                "all_passed": passed,
                "failed": eligibility.failed_codes(items),
                # Accepted although a rule fails: the staff member's own judgement, on record.
                "override": decision == FormalDecision.ACCEPT and not passed,
            },
        )
    return formal_check
