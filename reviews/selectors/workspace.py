"""Reads of the expert's workspace, shared by its pages and its API: the expert's own
assignments (an assignment of anybody else is a 404, also for staff, who have pages of their
own), the rubric of a call, the expert's review with its scores, and what the expert reads of
an application before and after the declaration."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from applications.models import Application, Partner, Submission
from reviews.models import Assignment, AssignmentStatus, Criterion, Review, ReviewStatus, Score

# Where an assignment stands for the expert (codes; the pages translate them).
AWAITING_DECLARATION = "awaiting_declaration"
TO_SCORE = "to_score"
DRAFT = "draft"
SUBMITTED = "submitted"
DECLINED = "declined"


def review_of(assignment: Assignment) -> Review | None:
    # The reverse one-to-one raises when there is no review; a select_related that found none
    # caches None, so this costs no query on a listed assignment.
    try:
        return assignment.review
    except Review.DoesNotExist:
        return None


def workspace_state(assignment: Assignment) -> str:
    """The step the expert is at with ``assignment`` (one of the codes above)."""
    if assignment.status == AssignmentStatus.ASSIGNED:
        return AWAITING_DECLARATION
    if assignment.status == AssignmentStatus.DECLINED:
        return DECLINED
    review = review_of(assignment)
    if review is None:
        return TO_SCORE
    return SUBMITTED if review.status == ReviewStatus.SUBMITTED else DRAFT


def _own(user: Any) -> QuerySet[Assignment]:
    if not getattr(user, "is_authenticated", False):
        return Assignment.objects.none()
    return Assignment.objects.filter(reviewer__user=user)


def assignment_get_for_user(*, user: Any, pk: Any) -> Assignment:
    """The assignment ``pk`` if it is ``user``'s own (an expert's); Http404 otherwise — for an
    unknown id, somebody else's assignment, and staff alike. Comes with its application (call,
    guide task and field, lead unit), its expert and its review (or none)."""
    text = str(pk)
    assignment = None
    if text.isascii() and text.isdigit():
        assignment = (
            _own(user)
            .filter(pk=int(text))
            .select_related(
                "application__call",
                "application__guide_task__field",
                "application__lead_unit",
                "reviewer__user",
                "review",
            )
            .first()
        )
    if assignment is None:
        raise Http404(_("There is no assignment with this id among yours."))
    return assignment


def assignment_for_staff(pk: Any) -> Assignment:
    """Any assignment, for review staff (the caller checks ``can_manage_review``); Http404 for
    an unknown id. Comes with its application, expert and review."""
    text = str(pk)
    assignment = None
    if text.isascii() and text.isdigit():
        assignment = (
            Assignment.objects.filter(pk=int(text))
            .select_related("application__call", "application__lead_unit", "reviewer__user", "review")
            .first()
        )
    if assignment is None:
        raise Http404(_("There is no assignment with this id."))
    return assignment


def assignments_of_expert(user: Any) -> QuerySet[Assignment]:
    """The expert's assignments with their application, call, guide task and review, grouped
    by call (newest call first) and then by application: one query, whatever their number."""
    return (
        _own(user)
        .select_related(
            "application__call",
            "application__guide_task__field",
            "application__lead_unit",
            "review",
        )
        .order_by("-application__call__year", "-application__call_id", "application__title", "pk")
    )


@dataclass(frozen=True)
class AssignmentCounts:
    to_declare: int = 0
    to_score: int = 0
    submitted: int = 0
    declined: int = 0

    @property
    def total(self) -> int:
        return self.to_declare + self.to_score + self.submitted + self.declined


def assignment_counts(user: Any) -> AssignmentCounts:
    """How many of the expert's assignments wait for what (one query; the expert's home)."""
    declared = Q(status=AssignmentStatus.DECLARED)
    submitted = declared & Q(review__status=ReviewStatus.SUBMITTED)
    counts = _own(user).aggregate(
        to_declare=Count("pk", filter=Q(status=AssignmentStatus.ASSIGNED)),
        declared=Count("pk", filter=declared),
        submitted=Count("pk", filter=submitted),
        declined=Count("pk", filter=Q(status=AssignmentStatus.DECLINED)),
    )
    return AssignmentCounts(
        to_declare=counts["to_declare"],
        to_score=counts["declared"] - counts["submitted"],
        submitted=counts["submitted"],
        declined=counts["declined"],
    )


def criteria_of(call_id: int) -> list[Criterion]:
    """The rubric of a call, in its order."""
    return list(Criterion.objects.filter(call_id=call_id).order_by("position", "pk"))


def review_with_scores(assignment: Assignment) -> Review | None:
    """The expert's review of ``assignment`` with its scores (and their criteria), or None."""
    return (
        Review.objects.filter(assignment_id=assignment.pk)
        .prefetch_related(Prefetch("scores", queryset=Score.objects.select_related("criterion")))
        .first()
    )


def partner_names(application: Application) -> list[str]:
    """The partner units' names, in the application's order: with the lead unit, what an expert
    needs to judge a conflict of interest before reading anything else."""
    return list(
        Partner.objects.filter(application_id=application.pk)
        .order_by("position")
        .values_list("name", flat=True)
    )


def document_for_reading(application: Application) -> dict[str, Any]:
    """The application as the expert reads it: the frozen document of its latest submission
    (what the unit and the bureau read), else the stored document, else one built from its
    rows (applications written directly, as in tests and demo data)."""
    from applications.document import document_of
    from applications.selectors import application_with_parts

    submission = Submission.objects.filter(application_id=application.pk).order_by("-number").first()
    if submission is not None and submission.document:
        return submission.document
    if application.document:
        return application.document
    return document_of(application_with_parts(application.pk))


def points_of(review: Review | None) -> dict[str, Decimal]:
    """``{criterion code: points}`` of a review loaded by ``review_with_scores``."""
    if review is None:
        return {}
    return {score.criterion.code: score.points for score in review.scores.all() if score.points is not None}


def comments_of(review: Review | None) -> dict[str, str]:
    if review is None:
        return {}
    return {score.criterion.code: score.comment for score in review.scores.all() if score.comment}
