"""Conflicts of interest (回避): which pairs of application and expert may never be assigned,
and the writes of the stored ones.

The assignment (solver and by hand) asks ``conflict_pairs`` for a whole call, or
``conflicts_between`` for one pair; the panel page shows ``conflicts_of_application``. The
finding itself — stored rows plus what is computed live from units, team and the
applicant's avoid list — is in ``reviews/selectors/conflicts.py``.

Stored conflicts are written here: ``declared`` by the expert at the declaration (with a
reason), ``staff`` entered by bureau staff (with a reason), ``applicant`` when staff confirm
an avoid-list entry the pool did not match exactly (a near match). Recording is idempotent
(one row per pair and source) and audited; staff may remove what staff entered, with a
reason, audited.
"""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from applications.models import Application, FundingCall
from portal.audit.services import audit_record
from portal.fields import clean_text
from reviews.models import (
    LIVE_STATUSES,
    Assignment,
    Conflict,
    ConflictSource,
    ReviewerProfile,
)
from reviews.permissions import can_manage_review
from reviews.selectors.conflicts import (
    REMOVABLE_SOURCES,
    ApplicationConflicts,
    conflict_pairs_read,
    conflicts_between_read,
)
from reviews.selectors.conflicts import conflicts_of_application as _conflicts_of_application

# Sources that are stored; unit and team are computed from the application as it is.
RECORDED_SOURCES = (ConflictSource.DECLARED, ConflictSource.APPLICANT, ConflictSource.STAFF)
REASON_REQUIRED = (ConflictSource.DECLARED, ConflictSource.STAFF)


class ConflictError(Exception):
    """Refused, with a message for the user; ``code`` is stable for API clients and tests,
    ``field`` names the input at fault (if one is)."""

    def __init__(self, message: str, code: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


# --- Reads --------------------------------------------------------------------------------


def conflict_pairs(
    *, call: FundingCall, application_ids: Iterable[int] | None = None
) -> set[tuple[int, int]]:
    """``(application id, reviewer profile id)`` for every conflict of the call's applications
    in review (or of the named applications of the call) with the active experts: stored rows
    and the computed ones (unit, team, avoid list). Six queries, whatever the size."""
    return conflict_pairs_read(call=call, application_ids=application_ids)


def conflicts_between(*, application: Application, reviewer: ReviewerProfile) -> list[tuple[str, str]]:
    """``[(source code, reason), …]`` — empty when the pair may be assigned."""
    return conflicts_between_read(application=application, reviewer=reviewer)


def conflicts_of_application(*, application: Application) -> ApplicationConflicts:
    """For the panel page: every conflict entry of the application (stored and computed;
    iterating the answer gives them) and its avoid list with the match status of each entry
    (see ``reviews.selectors.conflicts.AvoidEntry``)."""
    return _conflicts_of_application(application=application)


# --- Writes -------------------------------------------------------------------------------


def _clean_reason(reason: Any, source: str) -> str:
    try:
        reason = clean_text(reason, max_length=Conflict._meta.get_field("reason").max_length)
    except ValidationError as error:
        raise ConflictError(error.messages[0], error.code or "invalid", "reason") from error
    if source in REASON_REQUIRED and not reason:
        raise ConflictError(
            _("Give the reason for the conflict of interest (for example a relative or a recent co-author)."),
            "required",
            "reason",
        )
    return reason


def _check_recorder(source: str, reviewer: ReviewerProfile, by: Any) -> None:
    if source == ConflictSource.DECLARED:
        # The expert's own word: declared by the expert alone.
        if not getattr(by, "is_authenticated", False) or by.pk != reviewer.user_id:
            raise ConflictError(
                _("Only the expert can declare their own conflict of interest."), "not_allowed"
            )
        return
    allowed, reason = can_manage_review(by)
    if not allowed:
        raise ConflictError(reason, "not_allowed")


def conflict_record(
    *, application: Application, reviewer: ReviewerProfile, source: str, reason: str, by: Any
) -> Conflict:
    """Store that ``reviewer`` may not review ``application``: ``declared`` (by the expert),
    ``staff`` (by bureau staff), or ``applicant`` (staff confirming an avoid-list entry).
    A reason is required for declared and staff ones.

    Idempotent: when the pair already has a conflict of this source, that one is returned
    unchanged (and nothing is audited again)."""
    if source not in RECORDED_SOURCES:
        raise ConflictError(
            _(
                "A conflict is recorded as declared by the expert, entered by staff or asked by the applicant."
            ),
            "invalid",
            "source",
        )
    reason = _clean_reason(reason, source)
    _check_recorder(source, reviewer, by)
    with transaction.atomic():
        if source != ConflictSource.DECLARED:
            # As every writer of the call's panels: the call's row first, so that a run saving
            # its draw or an expert added by hand sees this conflict, or this one sees them. (A
            # declared one is about a pair already on the panel, which no draw makes again.)
            FundingCall.objects.select_for_update().filter(pk=application.call_id).first()
        existing = Conflict.objects.filter(application=application, reviewer=reviewer, source=source).first()
        if existing is not None:
            return existing
        if source != ConflictSource.DECLARED and _on_the_panel(application, reviewer):
            # A conflict found after the draw: the expert leaves the panel first (with a reason,
            # a submitted review reopened first), so that no review by a conflicted expert stays.
            raise ConflictError(
                _(
                    "%(name)s is on the panel of this application. Take them off the panel first "
                    "(with a reason), then record the conflict."
                )
                % {"name": reviewer.user.full_name},
                "on_panel",
                "reviewer",
            )
        try:
            # A savepoint: two requests at once both pass the look-up; the second insert
            # hits the unique constraint and answers the first one's row.
            with transaction.atomic():
                conflict = Conflict.objects.create(
                    application=application,
                    reviewer=reviewer,
                    source=source,
                    reason=reason,
                    created_by=by if getattr(by, "is_authenticated", False) else None,
                )
        except IntegrityError:
            return Conflict.objects.get(application=application, reviewer=reviewer, source=source)
        audit_record(
            actor=by,
            action="conflict.record",
            obj=application,
            reason=reason,
            data={"conflict": conflict.pk, "reviewer": reviewer.pk, "source": source},
        )
    return conflict


def _on_the_panel(application: Application, reviewer: ReviewerProfile) -> bool:
    return Assignment.objects.filter(
        application=application,
        reviewer=reviewer,
        status__in=LIVE_STATUSES,
    ).exists()


def conflict_remove(*, conflict: Conflict, by: Any, reason: str) -> None:
    """Take back a conflict staff entered (``staff``, or an avoid-list entry staff confirmed),
    with a reason. A declared one stays: it is the expert's word; computed ones are not rows."""
    allowed, message = can_manage_review(by)
    if not allowed:
        raise ConflictError(message, "not_allowed")
    if conflict.source not in REMOVABLE_SOURCES:
        raise ConflictError(
            _("Only a conflict entered by staff can be removed; this one is “%(source)s”.")
            % {"source": ConflictSource(conflict.source).label},
            "not_removable",
        )
    reason = _clean_reason(reason, ConflictSource.STAFF)
    with transaction.atomic():
        locked = Conflict.objects.select_for_update().filter(pk=conflict.pk).first()
        if locked is None:
            raise ConflictError(_("This conflict of interest was already removed."), "not_found")
        application = Application.objects.get(pk=locked.application_id)
        data = {
            "conflict": locked.pk,
            "reviewer": locked.reviewer_id,
            "source": locked.source,
            "recorded_reason": locked.reason,
        }
        locked.delete()
        audit_record(actor=by, action="conflict.remove", obj=application, reason=reason, data=data)
