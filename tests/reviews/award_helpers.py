"""Candidates for the award tests: reviewed or shortlisted applications with a ranking score
(one expert's submitted review, so the trimmed mean is that review's total), budget lines
asking each side for government funds for its own unit, and their field's quota."""

from decimal import Decimal

from django.utils import timezone

from applications.models import ApplicationStatus, BudgetLine, CallField
from reviews.models import Assignment, AssignmentStatus, Review, ReviewStatus
from tests.reviews.factories import make_accepted_application, make_call_with_rubric, make_expert

D = Decimal


def make_decision_call(*, quotas: dict[str, int] | None = None, **extra):
    """A call with the default rubric and a quota per field (default ai 5)."""
    call = make_call_with_rubric(**extra)
    for code, quota in (quotas or {"ai": 5}).items():
        set_quota(call, code, quota)
    return call


def set_quota(call, field: str, quota: int) -> CallField:
    from tests.factories import ResearchFieldFactory

    call_field, _created = CallField.objects.update_or_create(
        call=call, field=ResearchFieldFactory(code=field), defaults={"quota": quota}
    )
    return call_field


def _expert(call, field: str):
    experts = call.__dict__.setdefault("_award_test_experts", {})
    if field not in experts:
        experts[field] = make_expert("SC", (field,))
    return experts[field]


def make_candidate(
    call,
    *,
    field: str = "ai",
    province: str = "CQ",
    score: str | Decimal = "80",
    sc: str | Decimal = "500000",
    cq: str | Decimal = "500000",
    status: str = ApplicationStatus.SHORTLISTED,
    title: str | None = None,
):
    """An application of ``call`` in ``status`` whose lead unit (of ``province``) asks its own
    side and whose partner asks the other side (``sc`` / ``cq`` yuan), with one submitted
    review of total ``score``."""
    application = make_accepted_application(call, field=field, province=province, status=status, title=title)
    lead, partner = application.lead_unit, application.partners.get()
    units = {province: lead.uscc, ("SC" if province == "CQ" else "CQ"): partner.uscc}
    lines = []
    for side, amount in (("SC", D(sc)), ("CQ", D(cq))):
        if amount:
            lines.append(
                BudgetLine(
                    application=application,
                    unit_uscc=units[side],
                    category="operating",
                    source=f"{side.lower()}_gov",
                    amount=amount,
                )
            )
    lines.append(
        BudgetLine(
            application=application,
            unit_uscc=lead.uscc,
            category="operating",
            source="self",
            amount=D("100000"),
        )
    )
    BudgetLine.objects.bulk_create(lines)
    if not CallField.objects.filter(call=call, field=application.guide_task.field).exists():
        set_quota(call, field, 10)
    assignment = Assignment.objects.create(
        application=application,
        reviewer=_expert(call, field),
        source="solver",
        status=AssignmentStatus.DECLARED,
        declared_at=timezone.now(),
    )
    Review.objects.create(
        assignment=assignment,
        status=ReviewStatus.SUBMITTED,
        recommendation="fund",
        total=D(score),
        submitted_at=timezone.now(),
    )
    return application
