"""The models of the reviews app, one module per concern: the call's rubric, the expert pool,
the formal check, conflicts of interest, assignments (with the solver runs that made them)
and the experts' reviews with a score per criterion."""

from reviews.models.assignments import (
    LIVE_STATUSES,
    Assignment,
    AssignmentRun,
    AssignmentSource,
    AssignmentStatus,
)
from reviews.models.conflicts import Conflict, ConflictSource
from reviews.models.formal import FormalCheck, FormalDecision
from reviews.models.pool import ReviewerProfile
from reviews.models.reviews import Recommendation, Review, ReviewStatus, Score
from reviews.models.rubric import DEFAULT_RUBRIC, Criterion

__all__ = [
    "LIVE_STATUSES",
    "DEFAULT_RUBRIC",
    "Assignment",
    "AssignmentRun",
    "AssignmentSource",
    "AssignmentStatus",
    "Conflict",
    "ConflictSource",
    "Criterion",
    "FormalCheck",
    "FormalDecision",
    "Recommendation",
    "Review",
    "ReviewStatus",
    "ReviewerProfile",
    "Score",
]
