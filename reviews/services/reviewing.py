"""The expert's writes: the declaration before an application opens, the review (a draft
saved as often as wanted, then submitted and locked), and staff reopening a submitted review.

Every function is one transaction and audited. Refusals raise ``ReviewError`` (a message for
the user, a stable ``code``, the ``field`` at fault); bad input of a review raises
``ReviewInvalid`` listing every problem, and nothing of that save is kept.

A save replaces the review with what it carries (the scores not sent are removed): the page
always sends the whole sheet, and ``PUT`` in the API means the same. After the last submitted
review of an application the application moves on (``review_finish``); a reopened review
moves it back (``review_reopen``).

Error codes: ``not_yours``, ``not_declared``, ``declined``, ``already_declared``, ``closed``
(the application is not under review), ``locked`` (already submitted), ``stale`` (saved
meanwhile: reload), ``not_submitted``, ``not_allowed``, and for input ``required``,
``invalid``, ``not_a_number``, ``too_precise``, ``out_of_range``, ``unknown_criterion``,
``max_length``, ``control``, ``invalid_choice``.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.models import Application, ApplicationStatus
from applications.workflow import TransitionError, transition
from portal.audit.services import audit_record
from portal.fields import clean_text
from reviews.models import (
    LIVE_STATUSES,
    Assignment,
    AssignmentStatus,
    Criterion,
    Recommendation,
    Review,
    ReviewStatus,
    Score,
)
from reviews.permissions import can_manage_review
from reviews.scoring import CriterionSpec, weighted_total
from reviews.services.conflicts import ConflictError, conflict_record

logger = logging.getLogger(__name__)

# The declaration an expert signs for each application before it opens. Its code is stored
# with the audit event, so that a later change of the wording can be told from this one.
DECLARATION_CODE = "no-conflict-confidentiality-2021-1"
DECLARATION_TEXT = gettext_lazy(
    "I declare that I have no conflict of interest with this application: I do not work for its "
    "lead unit or any partner unit, I am not on its team, and I am not a relative, a recent "
    "co-author, the supervisor or a student of any member of its team. I will keep the "
    "application and my review confidential, use them only for this review, and not contact "
    "the applicants about it."
)

# The application must still be in the review for an expert to declare or score.
REVIEWABLE = frozenset({ApplicationStatus.ACCEPTED, ApplicationStatus.UNDER_REVIEW})

MAX_REASON = 1000
MAX_COMMENT = 5000
MAX_CRITERION_COMMENT = 2000
CENT = Decimal("0.01")
EMAIL_KIND = "review_reopened"


class ReviewError(Exception):
    """Refused, with a message for the user; ``code`` is stable for API clients and tests."""

    def __init__(self, message: str, code: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


class ReviewInvalid(ReviewError):
    """The input of a review save is not valid: ``errors`` lists every problem (each a
    ReviewError naming its field: ``scores.<code>``, ``comments.<code>``, ``comment``,
    ``recommendation``)."""

    def __init__(self, errors: Sequence[ReviewError]) -> None:
        super().__init__(_("The review was not saved: see the problems listed."), "invalid")
        self.errors = list(errors)


# --- Who -------------------------------------------------------------------------------------


def _require_expert(assignment: Assignment, by: Any) -> None:
    if not getattr(by, "is_authenticated", False) or assignment.reviewer.user_id != by.pk:
        raise ReviewError(_("Only the expert assigned to this application may do this."), "not_yours")


def _require_reviewable(application: Application) -> None:
    if application.status not in REVIEWABLE:
        raise ReviewError(_("The review of this application is closed."), "closed")


def _clean_text(value: Any, *, field: str, max_length: int, errors: list[ReviewError]) -> str:
    try:
        return clean_text(value, max_length=max_length)
    except ValidationError as error:
        errors.append(ReviewError(error.messages[0], error.code or "invalid", field))
        return value if isinstance(value, str) else ""


# --- The declaration -------------------------------------------------------------------------


def assignment_declare(
    *, assignment: Assignment, by: Any, no_conflict: bool, conflict_reason: str = ""
) -> Assignment:
    """The expert declares, before reading the application, either no conflict of interest
    (with confidentiality) — the application opens — or a conflict with a reason — the
    assignment is declined and the conflict recorded, so the pair is never assigned again.

    Only from ``assigned``; a second identical declaration (a double click) changes nothing.
    """
    _require_expert(assignment, by)
    errors: list[ReviewError] = []
    reason = _clean_text(conflict_reason, field="conflict_reason", max_length=MAX_REASON, errors=errors)
    if errors:
        raise errors[0]
    if no_conflict and reason:
        raise ReviewError(
            _("Either declare no conflict of interest or describe the conflict, not both."),
            "invalid",
            "conflict_reason",
        )
    if not no_conflict and not reason:
        raise ReviewError(
            _("Please describe the conflict of interest (for example: a co-author of the project leader)."),
            "required",
            "conflict_reason",
        )
    target = AssignmentStatus.DECLARED if no_conflict else AssignmentStatus.DECLINED
    with transaction.atomic():
        # No lock on the application: writes of the review lock the assignment first and the
        # application after, and taking them in another order here could deadlock.
        application = Application.objects.get(pk=assignment.application_id)
        now = timezone.now()
        # The conditional UPDATE declares once, whatever the number of clicks or tabs.
        updated = Assignment.objects.filter(pk=assignment.pk, status=AssignmentStatus.ASSIGNED).update(
            status=target, declared_at=now
        )
        if updated != 1:
            current = Assignment.objects.get(pk=assignment.pk)
            assignment.status, assignment.declared_at = current.status, current.declared_at
            if current.status == target:
                return assignment
            raise ReviewError(
                _("You have already made your declaration for this application."), "already_declared"
            )
        # Checked after the claim so that a repeated click on a closed review is still a no-op.
        _require_reviewable(application)
        assignment.status, assignment.declared_at = target, now
        if not no_conflict:
            try:
                conflict_record(
                    application=application,
                    reviewer=assignment.reviewer,
                    source="declared",
                    reason=reason,
                    by=by,
                )
            except ConflictError as error:
                field = "conflict_reason" if error.field == "reason" else None
                raise ReviewError(error.message, error.code, field) from error
        audit_record(
            actor=by,
            action="assignment.declare",
            obj=assignment,
            from_state=AssignmentStatus.ASSIGNED,
            to_state=target,
            reason=reason,
            data={
                "declaration": DECLARATION_CODE,
                "no_conflict": bool(no_conflict),
                "application": assignment.application_id,
            },
        )
        if not no_conflict:
            # The others of the panel may all have submitted already.
            review_finish_if_complete(assignment.application_id)
    return assignment


# --- The review --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CleanReview:
    points: dict[str, Decimal]
    comments: dict[str, str]
    comment: str
    recommendation: str


def parse_points(value: Any, criterion: Criterion) -> tuple[Decimal | None, ReviewError | None]:
    """Points as typed (a number or a decimal string) → Decimal, or the error naming the rule.
    Empty (None, "") means not scored."""
    field = f"scores.{criterion.code}"
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None, ReviewError(_("Enter the points as a number, such as 12.5."), "not_a_number", field)
    try:
        points = Decimal(value.strip() if isinstance(value, str) else str(value))
    except (InvalidOperation, ValueError):
        return None, ReviewError(_("Enter the points as a number, such as 12.5."), "not_a_number", field)
    if not points.is_finite():
        return None, ReviewError(_("Enter the points as a number, such as 12.5."), "not_a_number", field)
    if points < 0 or points > criterion.max_points:
        return None, ReviewError(
            _("Give between 0 and %(max)s points.") % {"max": _plain(criterion.max_points)},
            "out_of_range",
            field,
        )
    if points != points.quantize(CENT):
        return None, ReviewError(_("Give the points with at most 2 decimals."), "too_precise", field)
    # copy_abs: "-0" is 0.
    return points.quantize(CENT).copy_abs(), None


def _plain(value: Decimal) -> str:
    """``20.00`` → ``20``, ``7.50`` → ``7.5``."""
    return f"{value.normalize():f}"


def review_clean(
    *,
    criteria: Sequence[Criterion],
    points: Mapping[str, Any],
    comments: Mapping[str, Any],
    comment: Any,
    recommendation: Any,
    submit: bool,
) -> CleanReview:
    """Check a review's input against the call's rubric; raises ReviewInvalid with every
    problem. A draft may be partial; a submission needs points for every criterion, a
    recommendation and an overall comment."""
    by_code = {criterion.code: criterion for criterion in criteria}
    errors: list[ReviewError] = []
    if not isinstance(points, Mapping):
        errors.append(ReviewError(_("Send the points as an object by criterion code."), "invalid", "scores"))
        points = {}
    if not isinstance(comments, Mapping):
        errors.append(
            ReviewError(_("Send the comments as an object by criterion code."), "invalid", "comments")
        )
        comments = {}
    known = ", ".join(by_code)
    for code in points:
        if code not in by_code:
            errors.append(
                ReviewError(
                    _("There is no criterion “%(code)s” in this call's rubric; its criteria are: %(codes)s.")
                    % {"code": code, "codes": known},
                    "unknown_criterion",
                    f"scores.{code}",
                )
            )
    for code in comments:
        if code not in by_code:
            errors.append(
                ReviewError(
                    _("There is no criterion “%(code)s” in this call's rubric; its criteria are: %(codes)s.")
                    % {"code": code, "codes": known},
                    "unknown_criterion",
                    f"comments.{code}",
                )
            )
    clean_points: dict[str, Decimal] = {}
    clean_comments: dict[str, str] = {}
    for criterion in criteria:
        value, error = parse_points(points.get(criterion.code), criterion)
        if error is not None:
            errors.append(error)
        elif value is not None:
            clean_points[criterion.code] = value
        elif submit:
            errors.append(
                ReviewError(
                    _("Give points for “%(criterion)s” before submitting.") % {"criterion": criterion.name},
                    "required",
                    f"scores.{criterion.code}",
                )
            )
        text = _clean_text(
            comments.get(criterion.code),
            field=f"comments.{criterion.code}",
            max_length=MAX_CRITERION_COMMENT,
            errors=errors,
        )
        if text:
            clean_comments[criterion.code] = text
    overall = _clean_text(comment, field="comment", max_length=MAX_COMMENT, errors=errors)
    if submit and not overall:
        errors.append(ReviewError(_("Write an overall comment before submitting."), "required", "comment"))
    choice = recommendation.strip() if isinstance(recommendation, str) else recommendation
    if choice in (None, ""):
        choice = ""
        if submit:
            errors.append(
                ReviewError(_("Choose a recommendation before submitting."), "required", "recommendation")
            )
    elif choice not in Recommendation.values:
        errors.append(
            ReviewError(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(Recommendation.values)},
                "invalid_choice",
                "recommendation",
            )
        )
    if errors:
        raise ReviewInvalid(errors)
    return CleanReview(clean_points, clean_comments, overall, choice)


def total_of(points: Mapping[str, Decimal], criteria: Sequence[Criterion]) -> Decimal:
    """The weighted total of the criteria scored so far (all of them once submitted); the
    arithmetic is reviews/scoring.py's, the same for pages, API, ranking and exports."""
    specs = [
        CriterionSpec(code=c.code, weight=c.weight, max_points=c.max_points)
        for c in criteria
        if c.code in points
    ]
    return weighted_total({code: points[code] for code in (s.code for s in specs)}, specs)


def _stale(review: Review | None, version: int | None) -> ReviewError:
    stored = review.version if review is not None else 0
    return ReviewError(
        _(
            "This review was saved in another window after you opened it (version %(stored)s, yours "
            "%(yours)s). Your changes were not saved: reload the page."
        )
        % {"stored": stored, "yours": version},
        "stale",
        "version",
    )


def review_save(
    *,
    assignment: Assignment,
    by: Any,
    points: Mapping[str, Any],
    comments: Mapping[str, str],
    comment: str,
    recommendation: str,
    submit: bool,
    version: int | None = None,
) -> Review:
    """Save the expert's review of ``assignment`` as a draft, or submit it (then locked).

    Only the assigned expert, only after the declaration, only while the application is in
    the review. All or nothing: on any error nothing changes. ``version`` (the review's as
    read, 0 before its first save) refuses a save made from a stale page; None skips that check.
    """
    _require_expert(assignment, by)
    with transaction.atomic():
        locked = (
            Assignment.objects.select_for_update(of=("self",))
            .select_related("application__call")
            .get(pk=assignment.pk)
        )
        if locked.status == AssignmentStatus.ASSIGNED:
            raise ReviewError(
                _("Make the declaration (no conflict of interest, confidentiality) before reviewing."),
                "not_declared",
            )
        if locked.status == AssignmentStatus.DECLINED:
            raise ReviewError(
                _("You declared a conflict of interest with this application; it is not yours to review."),
                "declined",
            )
        application = locked.application
        review = Review.objects.filter(assignment=locked).first()
        if review is not None and review.status == ReviewStatus.SUBMITTED:
            raise ReviewError(
                _("You have already submitted this review; it is locked. Bureau staff can reopen it."),
                "locked",
            )
        _require_reviewable(application)
        # Version 0 is the page of a review not started: another window's first save makes it stale.
        if version is not None and version != (review.version if review is not None else 0):
            raise _stale(review, version)
        criteria = list(Criterion.objects.filter(call_id=application.call_id).order_by("position", "pk"))
        if not criteria:
            raise ReviewError(_("The call has no score sheet yet; staff set it up first."), "closed")
        clean = review_clean(
            criteria=criteria,
            points=points,
            comments=comments,
            comment=comment,
            recommendation=recommendation,
            submit=submit,
        )
        now = timezone.now()
        status = ReviewStatus.SUBMITTED if submit else ReviewStatus.DRAFT
        total = total_of(clean.points, criteria) if submit else None
        fields = {
            "status": status,
            "comment": clean.comment,
            "recommendation": clean.recommendation,
            "total": total,
            "submitted_at": now if submit else None,
        }
        if review is None:
            try:
                with transaction.atomic():
                    review = Review.objects.create(assignment=locked, version=1, **fields)
            except IntegrityError as error:
                # Another window created it first (a database without row locks).
                raise _stale(None, version) from error
            from_state = ""
        else:
            # Conditional: a save or submission of another window in between makes this stale.
            updated = Review.objects.filter(
                pk=review.pk, status=ReviewStatus.DRAFT, version=review.version
            ).update(version=F("version") + 1, updated_at=now, **fields)
            if updated != 1:
                raise _stale(review, version)
            from_state = ReviewStatus.DRAFT
            review.refresh_from_db()
        Score.objects.filter(review=review).delete()
        Score.objects.bulk_create(
            # A draft may hold a comment on a criterion not scored yet (points empty).
            Score(
                review=review,
                criterion=criterion,
                points=clean.points.get(criterion.code),
                comment=clean.comments.get(criterion.code, ""),
            )
            for criterion in criteria
            if criterion.code in clean.points or criterion.code in clean.comments
        )
        audit_record(
            actor=by,
            action="review.submit" if submit else "review.save",
            obj=review,
            from_state=from_state,
            to_state=status,
            data={
                "assignment": locked.pk,
                "application": application.pk,
                "version": review.version,
                "total": str(total) if total is not None else None,
                "scored": sorted(clean.points),
            },
        )
        if submit:
            review_finish_if_complete(application.pk)
    return review


def review_finish_if_complete(application_id: int) -> None:
    """Move the application on (under_review → reviewed) when every live assignment has a
    submitted review and there are at least the call's number of experts."""
    application = (
        Application.objects.select_for_update(of=("self",)).select_related("call").get(pk=application_id)
    )
    if application.status != ApplicationStatus.UNDER_REVIEW:
        return
    counts = Assignment.objects.filter(application_id=application_id, status__in=LIVE_STATUSES).aggregate(
        live=Count("pk"), done=Count("pk", filter=Q(review__status=ReviewStatus.SUBMITTED))
    )
    if counts["live"] == counts["done"] and counts["done"] >= application.call.reviewers_per_application:
        try:
            transition(application=application, action="review_finish", by=None)
        except TransitionError as error:
            # The submission stands; the move is made by the next submission or by staff.
            logger.warning("application %s not moved to reviewed: %s", application_id, error.message)


# --- Reopening -----------------------------------------------------------------------------


def review_reopen(*, review: Review, by: Any, reason: str) -> Review:
    """Staff reopen a submitted review (a draft again, for the expert to change and submit
    anew), with a reason the expert reads; the application moves back under review."""
    allowed, why = can_manage_review(by)
    if not allowed:
        raise ReviewError(why, "not_allowed")
    errors: list[ReviewError] = []
    reason = _clean_text(reason, field="reason", max_length=MAX_REASON, errors=errors)
    if errors:
        raise errors[0]
    if not reason:
        raise ReviewError(_("Please give the reason: the expert reads it."), "required", "reason")
    with transaction.atomic():
        # Locks in the order of review_save (assignment, review, application): no deadlock with
        # a submission under way.
        assignment = Assignment.objects.select_for_update().get(pk=review.assignment_id)
        if not Application.objects.filter(
            pk=assignment.application_id,
            status__in=[ApplicationStatus.UNDER_REVIEW, ApplicationStatus.REVIEWED],
        ).exists():
            # Once the bureaus have moved on (shortlist, awards), the review stands as it is.
            raise ReviewError(
                _("The expert review of this application is over; its reviews can no longer be reopened."),
                "state",
            )
        previous = Review.objects.filter(pk=review.pk).values_list("total", flat=True).first()
        updated = Review.objects.filter(pk=review.pk, status=ReviewStatus.SUBMITTED).update(
            status=ReviewStatus.DRAFT,
            version=F("version") + 1,
            submitted_at=None,
            total=None,
            updated_at=timezone.now(),
        )
        if updated != 1:
            raise ReviewError(_("This review is not submitted: there is nothing to reopen."), "not_submitted")
        review.refresh_from_db()
        application = Application.objects.select_for_update().get(pk=assignment.application_id)
        event = audit_record(
            actor=by,
            action="review.reopen",
            obj=review,
            from_state=ReviewStatus.SUBMITTED,
            to_state=ReviewStatus.DRAFT,
            reason=reason,
            data={
                "assignment": assignment.pk,
                "application": application.pk,
                "previous_total": str(previous) if previous is not None else None,
                "version": review.version,
            },
        )
        if application.status == ApplicationStatus.REVIEWED:
            # Without the reason: the application's history is the team's to read, and the
            # reason (about an expert's review) is for the expert and the staff only.
            transition(application=application, action="review_reopen", by=by)
        review_id, event_id = review.pk, event.pk
        transaction.on_commit(
            lambda: review_reopened_notify(review_id=review_id, event_id=event_id), robust=True
        )
    return review


def review_reopened_notify(*, review_id: int, event_id: int) -> None:
    """Email the expert that staff reopened the review, with the reason (Chinese, then English:
    an address has no language). Called after commit; the event is the message's reference, so
    a second call writes nothing."""
    from portal.audit.models import AuditEvent
    from portal.mail.models import OutgoingEmail
    from portal.mail.services import emails_queue

    reference = f"audit:{event_id}"
    if OutgoingEmail.objects.filter(reference=reference, kind=EMAIL_KIND).exists():
        return
    review = Review.objects.select_related("assignment__application", "assignment__reviewer__user").get(
        pk=review_id
    )
    reason = AuditEvent.objects.values_list("reason", flat=True).get(pk=event_id)
    expert = review.assignment.reviewer.user
    application = review.assignment.application
    link = settings.PORTAL_BASE_URL.rstrip("/") + reverse(
        "reviews:assignment_detail", args=[review.assignment_id]
    )
    subjects, bodies = [], []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            subjects.append(
                _("Your review of %(reference)s was reopened") % {"reference": application.reference}
            )
            bodies.append(
                _(
                    "Dear %(name)s,\n\nbureau staff reopened your review of the application "
                    "%(reference)s “%(title)s”, so that you can change it and submit it again.\n\n"
                    "The reason given:\n%(reason)s\n\nOpen the review: %(link)s"
                )
                % {
                    "name": expert.full_name,
                    "reference": application.reference,
                    "title": application.title,
                    "reason": reason,
                    "link": link,
                }
            )
    emails_queue(
        messages=[(expert.email, " / ".join(subjects), "\n\n----------\n\n".join(bodies))],
        kind=EMAIL_KIND,
        reference=reference,
    )
