"""Notice numbers: serial 1..n per call without gaps, in the order field position, score
(highest first), award id; given once; formatted by the call (no zero padding)."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applications.models import ResearchField
from portal.audit.models import AuditEvent
from reviews.models import Award, AwardStatus
from reviews.services.notices import notice_numbers_assign
from tests.factories import FundingCallFactory
from tests.reviews.award_factories import make_award

pytestmark = pytest.mark.django_db

POSITIONS = {"health": 1, "eco": 2, "ai": 3, "agri": 4}


@pytest.fixture
def call():
    call = FundingCallFactory()
    for code, position in POSITIONS.items():
        ResearchField.objects.update_or_create(
            code=code, defaults={"name_zh": code, "name_en": code, "position": position}
        )
    return call


def final(call, field: str, score: str) -> Award:
    return make_award(call, field=field, score=Decimal(score), status=AwardStatus.FINAL)


def test_final_awards_are_numbered_by_field_position_then_score_then_id(call):
    ai_low = final(call, "ai", "70")
    agri = final(call, "agri", "95")
    ai_high = final(call, "ai", "88")
    health = final(call, "health", "60")
    ai_tie = final(call, "ai", "88")

    notice_numbers_assign(call=call)

    order = [health, ai_high, ai_tie, ai_low, agri]
    for award in order:
        award.refresh_from_db()
    assert [a.notice_serial for a in order] == [1, 2, 3, 4, 5]
    assert [a.notice_number for a in order] == [f"川渝联研〔2021〕{n}号" for n in range(1, 6)]


def test_numbers_are_given_once_and_a_second_run_changes_nothing(call):
    awards = [final(call, "ai", str(80 - i)) for i in range(3)]
    first = notice_numbers_assign(call=call)
    events = AuditEvent.objects.filter(action="award.notice_number").count()

    again = notice_numbers_assign(call=call)

    assert len(first) == 3 and again == []
    assert AuditEvent.objects.filter(action="award.notice_number").count() == events == 3
    assert sorted(
        Award.objects.filter(pk__in=[a.pk for a in awards]).values_list("notice_serial", flat=True)
    ) == [
        1,
        2,
        3,
    ]


def test_an_award_made_final_later_gets_the_next_number_not_a_gap(call):
    final(call, "ai", "90")
    final(call, "ai", "80")
    notice_numbers_assign(call=call)
    late = final(call, "health", "99")  # first in order, but the others keep theirs

    notice_numbers_assign(call=call)

    late.refresh_from_db()
    assert late.notice_serial == 3
    assert sorted(Award.objects.filter(call=call).values_list("notice_serial", flat=True)) == [1, 2, 3]


def test_only_final_awards_are_numbered(call):
    for status in (AwardStatus.APPROVED, AwardStatus.ANNOUNCED, AwardStatus.OBJECTED, AwardStatus.WITHDRAWN):
        make_award(call, status=status)
    numbered = final(call, "ai", "70")

    notice_numbers_assign(call=call)

    assert list(Award.objects.filter(notice_serial__isnull=False).values_list("pk", flat=True)) == [
        numbered.pk
    ]


def test_the_call_format_is_used_without_zero_padding(call):
    call.notice_number_format = "渝科局发〔{year}〕{number}号"
    call.year = 2021
    call.save()
    awards = [final(call, "ai", str(99 - i)) for i in range(10)]

    notice_numbers_assign(call=call)

    awards[9].refresh_from_db()
    assert awards[9].notice_number == "渝科局发〔2021〕10号"
    awards[0].refresh_from_db()
    assert awards[0].notice_number == "渝科局发〔2021〕1号"  # not 01, no 第


def test_calls_are_numbered_independently(call):
    other = FundingCallFactory()
    final(call, "ai", "80")
    mine = final(other, "ai", "80")

    notice_numbers_assign(call=call)
    notice_numbers_assign(call=other)

    mine.refresh_from_db()
    assert mine.notice_serial == 1


def test_the_database_refuses_a_serial_twice_in_a_call(call):
    first, second = final(call, "ai", "80"), final(call, "ai", "70")
    notice_numbers_assign(call=call)
    second.refresh_from_db()

    with pytest.raises(IntegrityError), transaction.atomic():
        Award.objects.filter(pk=second.pk).update(notice_serial=1)
    assert first.pk != second.pk


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=4))
def test_whatever_the_batches_serials_run_one_to_n_without_gaps(batches):
    call = FundingCallFactory()
    for size in batches:
        for index in range(size):
            make_award(call, score=Decimal(50 + index), status=AwardStatus.FINAL, quota=20)
        notice_numbers_assign(call=call)
    serials = sorted(Award.objects.filter(call=call).values_list("notice_serial", flat=True))
    assert serials == list(range(1, sum(batches) + 1))
