"""Reading funding notices, for the pages and the API alike.

Each list loads its related rows up front, so it costs the same number of queries for 2
notices as for 50. ``notice_get_for_user`` answers 404 for a notice the user may not see,
as for an unknown id: its existence is not told.
"""

import re
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from applications.models import FundingCall
from portal.accounts.roles import Role
from portal.jobs.models import Job
from reviews.models import Award, AwardStatus, FundingNotice, NoticeStatus
from reviews.permissions import can_view_notice
from reviews.services.notices import BATCH_JOB

# Codes are issued as 16 upper-case hex characters; people may type them in lower case, with
# spaces or dashes.
CODE = re.compile(r"[0-9A-F]{8,32}")

NOTICE_RELATED = (
    "award__call",
    "award__application__call",
    "award__field",
    "award__application__lead_unit",
    "award__application__pi",
    "award__application__guide_task",
)


def latest_batch_job(call: FundingCall) -> Job | None:
    return (
        Job.objects.filter(kind=BATCH_JOB, object_type=FundingCall._meta.label_lower, object_id=str(call.pk))
        .order_by("-created_at", "-pk")
        .first()
    )


def final_awards_with_notices(call: FundingCall) -> list[Award]:
    """The call's final awards in notice-number order, each with ``current_notice`` (or None)
    and its application, lead unit and project leader: three queries whatever the count."""
    awards = list(
        Award.objects.filter(call=call, status=AwardStatus.FINAL)
        .select_related("application__lead_unit", "application__pi", "application__call", "field")
        .prefetch_related(
            Prefetch(
                "notices",
                queryset=FundingNotice.objects.filter(current=True).select_related("created_by"),
                to_attr="current_notices",
            )
        )
        # Numbered awards first, then the others in the order they will be numbered.
        .order_by(
            F("notice_serial").asc(nulls_last=True),
            "field__position",
            F("score").desc(nulls_last=True),
            "id",
        )
    )
    for award in awards:
        award.current_notice = award.current_notices[0] if award.current_notices else None
    return awards


def notice_counts(awards: list[Award]) -> dict[str, int]:
    counts = {"total": len(awards), "done": 0, "pending": 0, "failed": 0, "missing": 0}
    for award in awards:
        notice = award.current_notice
        if notice is None:
            counts["missing"] += 1
        else:
            counts[notice.status] += 1
    return counts


def notices_of_call(call: FundingCall) -> QuerySet[FundingNotice]:
    """The current notices of the call's final awards, in number order (for the API)."""
    return (
        FundingNotice.objects.filter(award__call=call, award__status=AwardStatus.FINAL, current=True)
        .select_related(*NOTICE_RELATED)
        .order_by("award__notice_serial", "award_id")
    )


def notice_get_for_user(*, user: Any, pk: Any) -> FundingNotice:
    """The notice version ``pk`` if ``user`` may see it; Http404 otherwise."""
    text = str(pk)
    notice = None
    if text.isascii() and text.isdigit() and int(text) < 2**63:
        notice = (
            FundingNotice.objects.select_related(*NOTICE_RELATED, "created_by").filter(pk=int(text)).first()
        )
    if notice is None or not can_view_notice(user, notice)[0]:
        raise Http404(_("There is no funding notice with this id."))
    return notice


def notice_versions(notice: FundingNotice) -> list[FundingNotice]:
    """Every version of the notice's award, newest first."""
    return list(
        FundingNotice.objects.filter(award_id=notice.award_id)
        .select_related("created_by")
        .order_by("-version")
    )


def notices_for_user(user: Any) -> QuerySet[FundingNotice]:
    """The current notices a project leader or a unit administrator may read: the projects
    they lead, and those their unit leads (unit administrators); none for anyone else."""
    if not getattr(user, "is_authenticated", False):
        return FundingNotice.objects.none()
    mine = Q(award__application__pi=user)
    if user.role == Role.UNIT_ADMIN and user.organization_id:
        mine |= Q(award__application__lead_unit_id=user.organization_id)
    return (
        FundingNotice.objects.filter(mine, current=True, award__status=AwardStatus.FINAL)
        .select_related(*NOTICE_RELATED)
        .order_by("-award__call__year", "award__call_id", "award__notice_serial", "pk")
    )


def notice_by_code(code: str) -> FundingNotice | None:
    """The built notice version with this verification code (as people type it), or None.
    A version not built yet has no PDF anyone could hold: it is not found either."""
    normalized = re.sub(r"[\s-]", "", code or "").upper()
    if not CODE.fullmatch(normalized):
        return None
    return (
        FundingNotice.objects.filter(verification_code=normalized, status=NoticeStatus.DONE)
        .select_related("award__application__lead_unit", "award__call")
        .first()
    )


def current_version_of(notice: FundingNotice) -> int | None:
    """The number of the version that replaced ``notice``, or None when it is current."""
    if notice.current:
        return None
    return (
        FundingNotice.objects.filter(award_id=notice.award_id, current=True)
        .values_list("version", flat=True)
        .first()
    )
