"""Reads of the expert pool for staff: the filtered list, one expert, and the pool's size per
province and field (how many experts, how many applications they may take)."""

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from applications.models import ResearchField
from portal.choices import JOINT_PROVINCES
from reviews.models import ReviewerProfile


def experts_search(
    *, province: str = "", field_code: str = "", active: bool | None = None, query: str = ""
) -> QuerySet[ReviewerProfile]:
    """The pool filtered as the list page asks, by province then name, with account, unit and
    fields loaded (a constant number of queries for any page)."""
    experts = ReviewerProfile.objects.select_related("user", "organization").prefetch_related(
        Prefetch("fields", queryset=ResearchField.objects.order_by("position", "code"))
    )
    if province:
        experts = experts.filter(province=province)
    if field_code:
        experts = experts.filter(fields__code=field_code)
    if active is not None:
        experts = experts.filter(active=active)
    query = query.strip()
    if query:
        experts = experts.filter(
            Q(user__full_name__icontains=query)
            | Q(user__email__icontains=query)
            | Q(organization__name__icontains=query)
            | Q(organization__uscc=query.upper())
        )
    return experts.order_by("province", "user__full_name", "pk")


def expert_get_for_staff(*, pk: object) -> ReviewerProfile:
    """One expert of the pool (the caller has checked that the user is review staff)."""
    text = str(pk)
    expert = None
    if text.isascii() and text.isdigit() and len(text) < 19:
        expert = ReviewerProfile.objects.select_related("user", "organization").filter(pk=int(text)).first()
    if expert is None:
        raise Http404(_("There is no such expert."))
    return expert


@dataclass
class PoolCell:
    experts: int = 0
    # The most applications these experts may take in one call, added up.
    capacity: int = 0


@dataclass
class PoolLine:
    label: str
    code: str
    cells: dict[str, PoolCell] = field(default_factory=dict)

    @property
    def by_province(self) -> list[PoolCell]:
        return [self.cells.get(p, PoolCell()) for p in [*JOINT_PROVINCES, "all"]]


@dataclass
class PoolCounts:
    """Active experts per field (an expert of two fields counts in both) and per province."""

    lines: list[PoolLine]
    total: PoolLine
    inactive: int


def pool_counts(fields: list[ResearchField]) -> PoolCounts:
    """Two queries, whatever the size of the pool."""
    through = ReviewerProfile.fields.through
    lines = {f.code: PoolLine(label=f.name, code=f.code) for f in fields}
    per_field = (
        through.objects.filter(reviewerprofile__active=True)
        .values_list("researchfield__code", "reviewerprofile__province")
        .annotate(experts=Count("pk"), capacity=Sum("reviewerprofile__max_load"))
        .order_by()
    )
    for code, province, experts, capacity in per_field:
        line = lines.get(code)
        if line is None:
            continue
        line.cells[province] = PoolCell(experts, capacity or 0)
        whole = line.cells.setdefault("all", PoolCell())
        whole.experts += experts
        whole.capacity += capacity or 0

    total = PoolLine(label=_("All fields"), code="")
    inactive = 0
    per_province = (
        ReviewerProfile.objects.values_list("province", "active")
        .annotate(experts=Count("pk"), capacity=Sum("max_load"))
        .order_by()
    )
    for province, active, experts, capacity in per_province:
        if not active:
            inactive += experts
            continue
        total.cells[province] = PoolCell(experts, capacity or 0)
        whole = total.cells.setdefault("all", PoolCell())
        whole.experts += experts
        whole.capacity += capacity or 0
    return PoolCounts(lines=list(lines.values()), total=total, inactive=inactive)
