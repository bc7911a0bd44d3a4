"""Demo data of the decision for the 2021 call: the review finished, the awards suggested and
approved by both bureaus, announced publicly, made final, and every funding notice built.

It runs after ``reviews.demo`` and goes through the services a person would use, as the demo
staff of each province: the reviews still open are submitted by their experts (the two demo
expert logins keep theirs, on applications the decision does not need), the suggestion is
accepted, each award is approved by ``staff.sc`` and ``staff.cq``, the announcement starts
three weeks back so that its five working days are over, it closes with no objection, and a
notice batch builds the sixteen PDFs. Safe to run again: every step finds its work done.

``seed_demo --until-review`` stops before this stage, for whoever wants to take the decision
through the pages.
"""

from datetime import timedelta
from typing import TextIO

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications import demo as applications_demo
from applications import notifications
from applications.models import Application, ApplicationStatus, CallField
from portal.accounts.models import User
from portal.jobs.models import Job, JobStatus
from reviews.demo import review_as_demo_expert
from reviews.demo_data import DEMO_EXPERTS
from reviews.models import (
    LIVE_STATUSES,
    Assignment,
    Award,
    AwardStatus,
    Criterion,
    FundingNotice,
    NoticeStatus,
    Publicity,
    PublicityStatus,
    ReviewStatus,
)

# The announcement starts this many calendar days before the seed runs: its five working days
# are over, whatever the weekday.
PUBLICITY_STARTED_DAYS_AGO = 21


def finish_reviews(call) -> int:  # noqa: ANN001
    """The open reviews of the call, submitted by their experts (not the demo logins')."""
    criteria = list(Criterion.objects.filter(call=call).order_by("position"))
    open_ones = (
        Assignment.objects.filter(application__call=call, status__in=LIVE_STATUSES)
        .exclude(reviewer__user__email__in=DEMO_EXPERTS)
        .exclude(review__status=ReviewStatus.SUBMITTED)
        .select_related("application", "reviewer__user")
        .order_by("pk")
    )
    count = 0
    for assignment in open_ones:
        review_as_demo_expert(assignment, criteria)
        count += 1
    return count + _enough_reviewed_for_every_quota(call, criteria)


def _enough_reviewed_for_every_quota(call, criteria: list[Criterion]) -> int:  # noqa: ANN001
    """Where the demo logins' open reviews would leave a field with fewer reviewed applications
    than its quota (the draw decides where they fall, and it differs between databases), those
    reviews are submitted too, one application at a time, until the field has enough. Once
    the decision is made (a second seed), there is nothing to do."""
    if Award.objects.filter(call=call).exists():
        return 0
    count = 0
    for field_id, quota in CallField.objects.filter(call=call).values_list("field_id", "quota"):
        in_field = Application.objects.filter(call=call, guide_task__field_id=field_id)
        held = (
            Assignment.objects.filter(application__in=in_field, status__in=LIVE_STATUSES)
            .exclude(review__status=ReviewStatus.SUBMITTED)
            .select_related("application", "reviewer__user")
            .order_by("application_id", "pk")
        )
        for assignment in held:
            if in_field.filter(status=ApplicationStatus.REVIEWED).count() >= quota:
                break
            review_as_demo_expert(assignment, criteria)
            count += 1
    return count


def decide(call, staff_sc: User, staff_cq: User) -> int:  # noqa: ANN001
    """The suggestion accepted and every award approved by both bureaus; the awards made now."""
    from reviews.services.award_suggestions import awards_suggest
    from reviews.services.awards import award_approve

    before = Award.objects.filter(call=call).count()
    if not before:
        awards_suggest(call=call, by=staff_cq, apply=True)
    for award in Award.objects.filter(call=call, status__in=[AwardStatus.PROPOSED, AwardStatus.APPROVED_SC]):
        if award.status == AwardStatus.PROPOSED:
            award = award_approve(award=award, by=staff_sc)
        award_approve(award=award, by=staff_cq)
    for award in Award.objects.filter(call=call, status=AwardStatus.APPROVED_CQ):
        award_approve(award=award, by=staff_sc)
    return Award.objects.filter(call=call).count() - before


def announce_and_close(call, staff_cq: User) -> None:  # noqa: ANN001
    from reviews.services.publicity import publicity_close, publicity_start

    today = timezone.localdate()
    publicity = Publicity.objects.filter(call=call).first()
    if publicity is None:
        publicity = publicity_start(
            call=call,
            start_date=today - timedelta(days=PUBLICITY_STARTED_DAYS_AGO),
            by=staff_cq,
            today=today - timedelta(days=PUBLICITY_STARTED_DAYS_AGO),
        )
    if publicity.status == PublicityStatus.OPEN:
        publicity_close(publicity=publicity, by=staff_cq, today=today)


def build_notices(call, staff_cq: User) -> int:  # noqa: ANN001
    """A batch for the final awards without a built notice; the notices built (in-process
    without a broker, by the worker with one)."""
    from reviews.services.notices import notices_batch_start

    final = Award.objects.filter(call=call, status=AwardStatus.FINAL)
    built = FundingNotice.objects.filter(award__in=final, current=True, status=NoticeStatus.DONE)
    missing = final.count() - built.count()
    under_way = Job.objects.filter(
        kind="notices.batch", object_id=str(call.pk), status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
    ).exists()
    if not missing or under_way:
        # Done, or a batch is on its way (a worker, or the stale-job sweep, will finish it).
        return 0
    notices_batch_start(call=call, by=staff_cq)
    return missing


def seed(stdout: TextIO) -> None:
    call = applications_demo.demo_call()
    staff_sc = User.objects.filter(email="staff.sc@demo.test").first()
    staff_cq = User.objects.filter(email="staff.cq@demo.test").first()
    if staff_sc is None or staff_cq is None or not call.applications.exists():
        return
    with notifications.muted(), transaction.atomic():
        reviews = finish_reviews(call)
        made = decide(call, staff_sc, staff_cq)
        announce_and_close(call, staff_cq)
    notices = build_notices(call, staff_cq)
    final = Award.objects.filter(call=call, status=AwardStatus.FINAL)
    stdout.write(
        _(
            "Reviews submitted now: %(reviews)d; awards made now: %(made)d; final awards: %(final)d; "
            "notices started now: %(notices)d."
        )
        % {"reviews": reviews, "made": made, "final": final.count(), "notices": notices}
        + "\n"
    )
