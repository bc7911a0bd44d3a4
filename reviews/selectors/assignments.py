"""Reading the assignment of a call, shared by the pages and the API: the progress of the review
per application and per expert, the solver's runs (and their shortfalls in words), the panel
of one application and the experts staff may add to it. Query counts do not grow with rows."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from applications.models import Application, ApplicationStatus, FundingCall, GuideTask, ResearchField
from portal.accounts.roles import Role
from portal.choices import JOINT_PROVINCES, Province
from reviews.models import LIVE_STATUSES, Assignment, AssignmentRun, AssignmentStatus, ReviewerProfile
from reviews.models.reviews import ReviewStatus

# Applications whose review is followed: from acceptance to the end of the review.
FOLLOWED = (ApplicationStatus.ACCEPTED, ApplicationStatus.UNDER_REVIEW, ApplicationStatus.REVIEWED)


# --- Shortfalls in words ------------------------------------------------------------------


def _field_name(row: dict[str, Any]) -> str:
    english = (get_language() or "").startswith("en")
    return (row.get("field_en") if english else "") or row.get("field_zh") or row.get("field") or ""


def _province_name(code: str | None) -> str:
    return str(Province(code).label) if code in Province.values else (code or "")


def shortfall_text(row: dict[str, Any]) -> str:
    """One stored shortfall as staff read it, in the active language."""
    missing = int(row.get("missing") or 0)
    province = _province_name(row.get("province"))
    field_name = _field_name(row)
    numbers = {
        "missing": missing,
        "province": province,
        "field": field_name,
        "candidates": int(row.get("candidates") or 0),
        "in_field": int(row.get("in_field") or 0),
    }
    reason = row.get("reason")
    if reason == "capacity":
        if province:
            text = ngettext(
                "%(missing)d more expert of %(province)s needed: the experts of %(province)s without conflict "
                "(%(candidates)d) have no load left in this call",
                "%(missing)d more experts of %(province)s needed: the experts of %(province)s without conflict "
                "(%(candidates)d) have no load left in this call",
                missing,
            )
        else:
            text = ngettext(
                "%(missing)d more expert needed: the experts without conflict (%(candidates)d) have no load "
                "left in this call",
                "%(missing)d more experts needed: the experts without conflict (%(candidates)d) have no load "
                "left in this call",
                missing,
            )
    elif province and field_name:
        text = ngettext(
            "%(missing)d more expert of %(province)s needed: not enough experts of %(province)s in "
            "%(field)s without conflict (%(candidates)d of %(province)s available, %(in_field)d in the field)",
            "%(missing)d more experts of %(province)s needed: not enough experts of %(province)s in "
            "%(field)s without conflict (%(candidates)d of %(province)s available, %(in_field)d in the field)",
            missing,
        )
    elif province:
        text = ngettext(
            "%(missing)d more expert of %(province)s needed: not enough experts of %(province)s without "
            "conflict (%(candidates)d available)",
            "%(missing)d more experts of %(province)s needed: not enough experts of %(province)s without "
            "conflict (%(candidates)d available)",
            missing,
        )
    elif field_name:
        text = ngettext(
            "%(missing)d more expert needed: not enough experts in %(field)s without conflict "
            "(%(candidates)d available, %(in_field)d in the field)",
            "%(missing)d more experts needed: not enough experts in %(field)s without conflict "
            "(%(candidates)d available, %(in_field)d in the field)",
            missing,
        )
    else:
        text = ngettext(
            "%(missing)d more expert needed: not enough experts without conflict (%(candidates)d available)",
            "%(missing)d more experts needed: not enough experts without conflict (%(candidates)d available)",
            missing,
        )
    return text % numbers


@dataclass
class ShortApplication:
    """An application a run left short, with each of its shortfalls in words."""

    application: int
    title: str
    reference: str
    province: str
    field_name: str
    reasons: list[str]


def shortfalls_by_application(shortfalls: list[dict[str, Any]]) -> list[ShortApplication]:
    """A run's stored shortfalls grouped per application, in words (no query)."""
    grouped: dict[int, ShortApplication] = {}
    for row in shortfalls or []:
        pk = int(row.get("application") or 0)
        entry = grouped.get(pk)
        if entry is None:
            entry = grouped[pk] = ShortApplication(
                application=pk,
                title=row.get("title") or "",
                reference=row.get("reference") or str(pk),
                province=_province_name(row.get("application_province") or ""),
                field_name=_field_name(row),
                reasons=[],
            )
        entry.reasons.append(shortfall_text(row))
    return list(grouped.values())


def shortfall_summary(shortfalls: list[dict[str, Any]]) -> str:
    """``2 applications are short: 2021-SC-00012: 1 more expert of Sichuan needed: …``."""
    grouped = shortfalls_by_application(shortfalls)
    if not grouped:
        return _("Every application got its full panel.")
    parts = "; ".join(f"{entry.reference}: {', '.join(entry.reasons)}" for entry in grouped)
    return ngettext(
        "%(count)d application is short: %(parts)s",
        "%(count)d applications are short: %(parts)s",
        len(grouped),
    ) % {"count": len(grouped), "parts": parts}


# --- Runs -----------------------------------------------------------------------------------


def runs_of_call(*, call: FundingCall, limit: int = 10) -> list[AssignmentRun]:
    """The call's latest runs, newest first, each with ``short`` (its shortfalls in words)."""
    runs = list(AssignmentRun.objects.filter(call=call).select_related("created_by", "job")[:limit])
    for run in runs:
        run.short = shortfalls_by_application(run.shortfalls)
    return runs


def run_get(*, call: FundingCall, pk: int) -> AssignmentRun:
    from django.shortcuts import get_object_or_404

    run = get_object_or_404(
        AssignmentRun.objects.select_related("created_by", "job", "call"), call=call, pk=pk
    )
    run.short = shortfalls_by_application(run.shortfalls)
    return run


# --- Progress of the review ---------------------------------------------------------------


@dataclass
class ApplicationProgress:
    application: Application
    assigned: int
    declared: int
    declined: int
    submitted: int
    per_province: dict[str, int]
    k: int
    m: int
    # Experts still missing for k, and per province for the minimum.
    short: int = 0
    short_per_province: dict[str, int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.assigned > 0 and self.submitted >= self.assigned

    @property
    def province_counts(self) -> list[tuple[str, int, int]]:
        """(province label, live experts, still missing for the minimum) in display order."""
        return [
            (_province_name(code), self.per_province.get(code, 0), self.short_per_province.get(code, 0))
            for code in JOINT_PROVINCES
        ]


@dataclass
class ExpertProgress:
    profile: ReviewerProfile
    assigned: int
    declared: int
    declined: int
    submitted: int

    @property
    def load(self) -> str:
        return f"{self.assigned}/{self.profile.max_load}"


@dataclass
class Progress:
    call: FundingCall
    applications: list[ApplicationProgress]
    experts: list[ExpertProgress]
    totals: dict[str, int]
    fields: list[ResearchField]


def _counts(prefix: str) -> dict[str, Count]:
    """The counts of assignments through ``prefix`` (``assignments`` from either side)."""
    return {
        "n_assigned": Count(prefix, filter=Q(**{f"{prefix}__status__in": LIVE_STATUSES})),
        "n_declared": Count(prefix, filter=Q(**{f"{prefix}__status": AssignmentStatus.DECLARED})),
        "n_declined": Count(prefix, filter=Q(**{f"{prefix}__status": AssignmentStatus.DECLINED})),
        "n_submitted": Count(prefix, filter=Q(**{f"{prefix}__review__status": ReviewStatus.SUBMITTED})),
    }


def fields_of_call(call: FundingCall) -> list[ResearchField]:
    return list(ResearchField.objects.filter(pk__in=GuideTask.objects.filter(call=call).values("field")))


def review_progress(*, call: FundingCall, field_code: str = "") -> Progress:
    """The review of the call per application and per expert, with totals; optionally only one
    field (applications of it, experts of it). Four queries whatever the number of rows."""
    k, m = call.reviewers_per_application, call.min_reviewers_per_province
    per_province = {
        f"n_{code}": Count(
            "assignments",
            filter=Q(assignments__status__in=LIVE_STATUSES, assignments__reviewer__province=code),
        )
        for code in JOINT_PROVINCES
    }
    applications = (
        Application.objects.filter(call=call, status__in=FOLLOWED)
        .select_related("guide_task__field", "call")
        .annotate(**_counts("assignments"), **per_province)
        .order_by("guide_task__field__position", "province", "pk")
    )
    if field_code:
        applications = applications.filter(guide_task__field__code=field_code)
    rows = []
    for application in applications:
        counts = {code: getattr(application, f"n_{code}") for code in JOINT_PROVINCES}
        rows.append(
            ApplicationProgress(
                application=application,
                assigned=application.n_assigned,
                declared=application.n_declared,
                declined=application.n_declined,
                submitted=application.n_submitted,
                per_province=counts,
                k=k,
                m=m,
                short=max(0, k - application.n_assigned),
                short_per_province={code: max(0, m - n) for code, n in counts.items() if n < m},
            )
        )

    in_call = Q(assignments__application__call=call)
    experts = (
        ReviewerProfile.objects.select_related("user", "organization")
        .prefetch_related("fields")
        .annotate(
            n_all=Count("assignments", filter=in_call),
            n_assigned=Count("assignments", filter=in_call & Q(assignments__status__in=LIVE_STATUSES)),
            n_declared=Count(
                "assignments", filter=in_call & Q(assignments__status=AssignmentStatus.DECLARED)
            ),
            n_declined=Count(
                "assignments", filter=in_call & Q(assignments__status=AssignmentStatus.DECLINED)
            ),
            n_submitted=Count(
                "assignments", filter=in_call & Q(assignments__review__status=ReviewStatus.SUBMITTED)
            ),
        )
        .filter(Q(active=True) | Q(n_all__gt=0))
        .order_by("province", "user__full_name", "pk")
    )
    if field_code:
        experts = experts.filter(pk__in=ReviewerProfile.objects.filter(fields__code=field_code).values("pk"))
    expert_rows = [
        ExpertProgress(
            profile=profile,
            assigned=profile.n_assigned,
            declared=profile.n_declared,
            declined=profile.n_declined,
            submitted=profile.n_submitted,
        )
        for profile in experts
    ]
    totals = {
        "applications": len(rows),
        "assigned": sum(r.assigned for r in rows),
        "declared": sum(r.declared for r in rows),
        "declined": sum(r.declined for r in rows),
        "submitted": sum(r.submitted for r in rows),
        "short": sum(1 for r in rows if r.short or r.short_per_province),
        "complete": sum(1 for r in rows if r.complete),
        "experts": len(expert_rows),
        "experts_busy": sum(1 for e in expert_rows if e.assigned),
    }
    return Progress(
        call=call, applications=rows, experts=expert_rows, totals=totals, fields=fields_of_call(call)
    )


# --- Calls of the review ------------------------------------------------------------------


def calls_in_review() -> QuerySet[FundingCall]:
    """Calls under review, or with applications accepted or in the review, with their counts."""
    followed = Q(applications__status__in=FOLLOWED)
    return (
        FundingCall.objects.annotate(
            n_accepted=Count("applications", filter=Q(applications__status=ApplicationStatus.ACCEPTED)),
            n_under_review=Count(
                "applications", filter=Q(applications__status=ApplicationStatus.UNDER_REVIEW)
            ),
            n_reviewed=Count("applications", filter=Q(applications__status=ApplicationStatus.REVIEWED)),
            n_endorsed=Count("applications", filter=Q(applications__status=ApplicationStatus.ENDORSED)),
            n_followed=Count("applications", filter=followed),
        )
        .filter(Q(status="review") | Q(n_followed__gt=0))
        .order_by("-year", "-pk")
    )


# --- The panel of one application ---------------------------------------------------------


def panel_of_application(*, application: Application) -> list[Assignment]:
    """The experts of the application's panel (declined ones too), with their review's status."""
    return list(
        Assignment.objects.filter(application=application)
        .select_related("reviewer__user", "reviewer__organization", "review", "run", "created_by")
        .prefetch_related("reviewer__fields")
        .order_by("reviewer__province", "reviewer__user__full_name", "pk")
    )


@dataclass
class Candidate:
    """An expert staff might add to a panel; ``refusal`` says why not, when they may not."""

    profile: ReviewerProfile
    load: int
    in_field: bool
    refusal: str = ""


def panel_candidates(
    *,
    application: Application,
    field_code: str = "",
    province: str = "",
    conflicts: dict[int, list[str]] | None = None,
) -> list[Candidate]:
    """Active experts not yet on the panel (filtered by field of expertise and province), those
    in the field first, each with their load in the call and — when the rules refuse them — why.

    ``conflicts`` maps an expert's profile id to the reasons of their conflicts with the
    application (from the conflicts service); an expert in it is refused."""
    call = application.call
    conflicts = conflicts or {}
    paired = Assignment.objects.filter(application=application).values("reviewer_id")
    experts = (
        ReviewerProfile.objects.filter(active=True)
        .exclude(pk__in=paired)
        .select_related("user", "organization")
        .prefetch_related("fields")
        .annotate(
            n_load=Count(
                "assignments",
                filter=Q(assignments__application__call=call, assignments__status__in=LIVE_STATUSES),
            )
        )
        .order_by("province", "user__full_name", "pk")
    )
    if field_code:
        experts = experts.filter(pk__in=ReviewerProfile.objects.filter(fields__code=field_code).values("pk"))
    if province:
        experts = experts.filter(province=province)
    own_field = application.guide_task.field.code if application.guide_task_id else ""
    candidates = []
    for profile in experts:
        refusal = ""
        if profile.pk in conflicts:
            refusal = _("conflict of interest: %(reasons)s") % {"reasons": "; ".join(conflicts[profile.pk])}
        elif profile.n_load >= profile.max_load:
            refusal = _("load used up (%(load)d of %(max)d)") % {
                "load": profile.n_load,
                "max": profile.max_load,
            }
        candidates.append(
            Candidate(
                profile=profile,
                load=profile.n_load,
                in_field=bool(own_field) and any(f.code == own_field for f in profile.fields.all()),
                refusal=refusal,
            )
        )
    candidates.sort(key=lambda c: (bool(c.refusal), not c.in_field))
    return candidates


# --- The API's list -----------------------------------------------------------------------


def assignments_for_user(*, user: Any) -> QuerySet[Assignment]:
    """Assignments ``user`` may read: review staff all, an expert their own, anyone else none."""
    from reviews.permissions import is_review_staff

    queryset = Assignment.objects.select_related(
        "application__call", "reviewer__user", "reviewer__organization", "review"
    ).order_by("-created_at", "-pk")
    if is_review_staff(user):
        return queryset
    if getattr(user, "is_authenticated", False) and getattr(user, "role", None) == Role.REVIEWER:
        return queryset.filter(reviewer__user=user)
    return queryset.none()
