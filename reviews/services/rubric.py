"""Giving a call the default score rubric of DOMAIN.md."""

from django.db import transaction

from applications.models import FundingCall
from portal.accounts.models import User
from portal.audit.services import audit_record
from reviews.models import DEFAULT_RUBRIC, Criterion


@transaction.atomic
def criteria_copy_default(*, call: FundingCall, by: User | None) -> list[Criterion]:
    """Give ``call`` the rubric of DOMAIN.md (100 points); returns its criteria in rubric order.

    Idempotent: a criterion whose code the call already has is left as it is, since staff may
    have adjusted its weight; only missing ones are created, and only then is it audited.
    """
    # Lock the call, so that two staff pressing the button at once do not race on the insert.
    call = FundingCall.objects.select_for_update().get(pk=call.pk)
    existing = {criterion.code: criterion for criterion in Criterion.objects.filter(call=call)}
    missing = [
        Criterion(
            call=call,
            code=code,
            name_zh=name_zh,
            name_en=name_en,
            weight=weight,
            # One point per weight point: a sheet scored at the maximum adds up to 100.
            max_points=weight,
            position=position,
        )
        for position, (code, name_zh, name_en, weight) in enumerate(DEFAULT_RUBRIC, start=1)
        if code not in existing
    ]
    created = Criterion.objects.bulk_create(missing)
    existing.update({criterion.code: criterion for criterion in created})
    if created:
        audit_record(
            actor=by,
            action="call.criteria_copy_default",
            obj=call,
            data={"created": [criterion.code for criterion in created]},
        )
    return [existing[code] for code, *_rest in DEFAULT_RUBRIC]
