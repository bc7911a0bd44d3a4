"""The models of the reviews app, one module per concern: the call's rubric, the expert pool,
the formal check, conflicts of interest, assignments (with the solver runs that made them),
the experts' reviews with a score per criterion, awards and their joint approval, the public
announcement with its objections and holiday calendar, and the funding notices."""

from reviews.models.assignments import (
    LIVE_STATUSES,
    Assignment,
    AssignmentRun,
    AssignmentSource,
    AssignmentStatus,
)
from reviews.models.awards import (
    EDITABLE_AWARD_STATUSES,
    LIVE_AWARD_STATUSES,
    Award,
    AwardShare,
    AwardStatus,
)
from reviews.models.conflicts import Conflict, ConflictSource
from reviews.models.formal import FormalCheck, FormalDecision
from reviews.models.notices import FundingNotice, NoticeStatus
from reviews.models.pool import ReviewerProfile
from reviews.models.publicity import Holiday, Objection, ObjectionStatus, Publicity, PublicityStatus
from reviews.models.reviews import Recommendation, Review, ReviewStatus, Score
from reviews.models.rubric import DEFAULT_RUBRIC, Criterion

__all__ = [
    "EDITABLE_AWARD_STATUSES",
    "LIVE_AWARD_STATUSES",
    "LIVE_STATUSES",
    "Award",
    "AwardShare",
    "AwardStatus",
    "FundingNotice",
    "Holiday",
    "NoticeStatus",
    "Objection",
    "ObjectionStatus",
    "Publicity",
    "PublicityStatus",
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
