"""The reviews services so far: copying the default rubric of DOMAIN.md into a call."""

from decimal import Decimal

import pytest

from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from reviews.models import Criterion
from reviews.services.rubric import criteria_copy_default
from tests.factories import FundingCallFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_copying_the_default_rubric_twice_creates_it_once_and_audits_once():
    call = FundingCallFactory()
    staff = UserFactory(role=Role.BUREAU_STAFF, province="CQ")
    first = criteria_copy_default(call=call, by=staff)
    second = criteria_copy_default(call=call, by=staff)
    assert [c.pk for c in first] == [c.pk for c in second]
    assert Criterion.objects.filter(call=call).count() == 6
    events = AuditEvent.objects.filter(action="call.criteria_copy_default")
    assert [(e.actor, e.object_id) for e in events] == [(staff, str(call.pk))]


def test_copying_the_default_rubric_keeps_criteria_staff_adjusted():
    call = FundingCallFactory()
    criteria_copy_default(call=call, by=None)
    Criterion.objects.filter(call=call, code="budget").update(weight=Decimal("5"))
    Criterion.objects.filter(call=call, code="innovation").delete()
    criteria = criteria_copy_default(call=call, by=None)
    assert len(criteria) == 6
    assert Criterion.objects.get(call=call, code="budget").weight == Decimal("5")
    assert Criterion.objects.get(call=call, code="innovation").weight == Decimal("20")
