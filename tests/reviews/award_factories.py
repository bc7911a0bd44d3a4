"""Awards written directly, for the tests of what comes after the decision (publicity,
notices, exports) without going through the award services. The counters of the call and
its field are kept as the services keep them."""

from decimal import Decimal

from django.db.models import F
from django.utils import timezone

from applications.models import ApplicationStatus, CallField, FundingCall
from reviews.models import Award, AwardShare, AwardStatus
from tests.reviews.factories import make_accepted_application, make_staff


def make_award(
    call=None,
    *,
    field: str = "ai",
    province: str = "CQ",
    amount_sc: Decimal = Decimal("500000"),
    amount_cq: Decimal = Decimal("500000"),
    status: str = AwardStatus.APPROVED,
    score: Decimal = Decimal("80"),
    quota: int = 10,
    title: str | None = None,
) -> Award:
    """A shortlisted application of ``field`` with an award in ``status``: the lead unit of
    ``province`` and its partner each get their own province's amount."""
    application = make_accepted_application(
        call, field=field, province=province, status=ApplicationStatus.SHORTLISTED, title=title
    )
    call = application.call
    call_field, _ = CallField.objects.get_or_create(
        call=call, field=application.guide_task.field, defaults={"quota": quota}
    )
    approved = status not in (AwardStatus.PROPOSED, AwardStatus.WITHDRAWN)
    now = timezone.now()
    award = Award.objects.create(
        call=call,
        application=application,
        field=application.guide_task.field,
        amount_sc=amount_sc,
        amount_cq=amount_cq,
        status=status,
        score=score,
        approved_sc_by=make_staff("SC") if approved or status == AwardStatus.APPROVED_SC else None,
        approved_sc_at=now if approved else None,
        approved_cq_by=make_staff("CQ") if approved or status == AwardStatus.APPROVED_CQ else None,
        approved_cq_at=now if approved else None,
    )
    lead = application.lead_unit
    partner = application.partners.first()
    units = {
        province: (lead.uscc, lead.name),
        ("SC" if province == "CQ" else "CQ"): (partner.uscc, partner.name),
    }
    for side, amount in (("SC", amount_sc), ("CQ", amount_cq)):
        if amount:
            uscc, name = units[side]
            AwardShare.objects.create(
                award=award, province=side, unit_uscc=uscc, unit_name=name, unit_province=side, amount=amount
            )
    if status != AwardStatus.WITHDRAWN:
        FundingCall.objects.filter(pk=call.pk).update(
            awarded_sc=F("awarded_sc") + amount_sc, awarded_cq=F("awarded_cq") + amount_cq
        )
        CallField.objects.filter(pk=call_field.pk).update(awarded=F("awarded") + 1)
    return award
