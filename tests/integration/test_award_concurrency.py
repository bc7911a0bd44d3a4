"""Awards under real concurrency on PostgreSQL: fifty threads, each with its own connection,
propose and change awards at the same moment, together asking for more than the budgets and
the quota hold — the call is never overspent, and its counters equal the sums of the live
awards; fifty staff members approve one award at once — each province approves it once."""

import threading
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum

from applications.models import CallField
from portal.audit.models import AuditEvent
from reviews.models import Award, AwardStatus
from reviews.services.award_errors import AwardError
from reviews.services.awards import award_approve, award_create, award_update
from tests.reviews.award_helpers import make_candidate, make_decision_call
from tests.reviews.factories import make_staff

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

D = Decimal
THREADS = 50


def run_at_once(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run every job in its own thread, all released together; each result is the job's return
    value or the exception it raised. Each thread closes its own database connection."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def work(index: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except Exception as error:  # reported to the test, which checks each one
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (a deadlock?)"
    return results


def assert_counters_match(call) -> None:
    call.refresh_from_db()
    live = Award.objects.filter(call=call).exclude(status=AwardStatus.WITHDRAWN)
    sums = live.aggregate(sc=Sum("amount_sc"), cq=Sum("amount_cq"))
    assert call.awarded_sc == (sums["sc"] or 0) <= call.budget_sc
    assert call.awarded_cq == (sums["cq"] or 0) <= call.budget_cq
    for call_field in CallField.objects.filter(call=call):
        assert call_field.awarded == live.filter(field=call_field.field).count() <= call_field.quota


def test_fifty_simultaneous_proposals_and_changes_never_overspend() -> None:
    # 10 M per side; 10 awards of 0.2 M + 0.2 M exist (2 M used of each). 40 new proposals of
    # 0.5 M + 0.5 M and 10 changes to 1 M + 1 M together ask for 20 M + 8 M more than is left.
    call = make_decision_call(quotas={"ai": 100}, budget_sc=D("10000000"), budget_cq=D("10000000"))
    staff = make_staff("SC")
    existing = [
        award_create(
            application=make_candidate(call), by=staff, amounts={"SC": "200000", "CQ": "200000"}, score=D(80)
        )
        for _ in range(10)
    ]
    fresh = [make_candidate(call, sc="500000", cq="500000") for _ in range(THREADS - len(existing))]
    jobs: list[Callable[[], Any]] = [
        (lambda a=a: award_create(application=a, by=staff, score=D(70))) for a in fresh
    ] + [
        (lambda w=w: award_update(award=w, by=staff, amounts={"SC": "1000000", "CQ": "1000000"}, version=1))
        for w in existing
    ]

    results = run_at_once(jobs)

    failures = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(f, AwardError) for f in failures), failures
    codes = Counter(f.code for f in failures)
    assert set(codes) <= {"budget_sc", "budget_cq"}, codes
    successes = [r for r in results if isinstance(r, Award)]
    assert successes and failures  # the budgets bound, and they were not simply refused
    assert_counters_match(call)
    # A proposal was refused, so less than its 0.5 M was left then, and nothing was freed since.
    assert any(isinstance(r, AwardError) for r in results[: len(fresh)])
    assert call.budget_sc - call.awarded_sc < D("500000")


def test_fifty_simultaneous_proposals_never_exceed_a_quota() -> None:
    call = make_decision_call(quotas={"ai": 7})
    staff = make_staff("CQ")
    candidates = [make_candidate(call, sc="100000", cq="100000") for _ in range(THREADS)]

    results = run_at_once(
        [(lambda a=a: award_create(application=a, by=staff, score=D(75))) for a in candidates]
    )

    assert sum(isinstance(r, Award) for r in results) == 7
    failures = [r for r in results if not isinstance(r, Award)]
    assert all(isinstance(f, AwardError) and f.code == "quota" for f in failures), failures
    assert_counters_match(call)


def test_fifty_simultaneous_approvals_approve_once_per_province() -> None:
    call = make_decision_call(quotas={"ai": 2})
    award = award_create(application=make_candidate(call), by=None, score=D(90))
    approvers = [make_staff("SC") for _ in range(THREADS // 2)] + [
        make_staff("CQ") for _ in range(THREADS // 2)
    ]

    results = run_at_once([(lambda u=u: award_approve(award=award, by=u)) for u in approvers])

    approved = [r for r in results if isinstance(r, Award)]
    refused = [r for r in results if not isinstance(r, Award)]
    assert len(approved) == 2
    assert all(isinstance(r, AwardError) and r.code == "already_approved" for r in refused), refused
    award.refresh_from_db()
    assert award.status == AwardStatus.APPROVED
    assert award.approved_sc_by.province == "SC" and award.approved_cq_by.province == "CQ"
    events = AuditEvent.objects.filter(action="award.approve", object_id=str(award.pk))
    assert sorted(e.data["province"] for e in events) == ["CQ", "SC"]
    assert_counters_match(call)


def test_approvals_racing_a_change_never_approve_amounts_nobody_saw() -> None:
    call = make_decision_call(quotas={"ai": 2})
    award = award_create(application=make_candidate(call), by=None, score=D(90))
    staff = [make_staff("SC" if i % 2 else "CQ") for i in range(THREADS - 1)]
    jobs: list[Callable[[], Any]] = [(lambda u=u: award_approve(award=award, by=u, version=1)) for u in staff]
    jobs.append(lambda: award_update(award=award, by=None, amounts={"SC": "1234", "CQ": "4321"}, version=1))

    results = run_at_once(jobs)

    assert all(isinstance(r, Award | AwardError) for r in results), results
    award.refresh_from_db()
    assert award.version == 2  # the change always goes through (every status before it is editable)
    # Whenever the change came, approvals given before it were cleared, and none of version 1
    # was given after it.
    approvals = AuditEvent.objects.filter(action="award.approve", object_id=str(award.pk)).order_by("id")
    change = AuditEvent.objects.get(action="award.update", object_id=str(award.pk))
    assert all(event.id < change.id for event in approvals)
    assert (award.status, award.approved_sc_by, award.approved_cq_by) == ("proposed", None, None)
    assert_counters_match(call)
