"""Reads of the award list, the applications export and the decision dashboard of a call,
shared by the pages, the API and ``manage.py export_awards``.

The award list is read in chunks (``.iterator(chunk_size=CHUNK)`` over plain values, the
partners of each chunk in one query): the CSV download never holds more than one chunk of
awards in memory, whatever the number of rows. Labels that depend on the language (fields, guide tasks, statuses,
provinces) are read once, when the export is built, so that rows produced later — while a
streamed response is sent — need neither a query nor an active language.

Which awards are in the award list: every *live* award (every status but withdrawn), with
its status in a column. Before the announcement the list is the working list of the two
bureaus' meetings; after it the same list holds only announced / final awards. A withdrawn
award released its quota and budget and is no longer a decision of the call, so it is left
out (the awards page and the audit trail keep it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice

from django.db.models import Count, F, Prefetch, Sum, prefetch_related_objects

from applications.models import (
    Application,
    ApplicationStatus,
    BudgetLine,
    BudgetSource,
    CallField,
    FundingCall,
    GuideTask,
    Partner,
)
from applications.workflow import STATES
from portal.choices import JOINT_PROVINCES, Province
from reviews.models import Award, AwardStatus
from reviews.selectors.ranking import RankingRow, ranking_of_call

# Awards per database round trip (and the most held in memory at once by a streamed export).
CHUNK = 500
ZERO = Decimal(0)


# --- Labels -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallLabels:
    """Every label the rows of a call's exports show, in the language active when built."""

    fields: dict[int, str]  # ResearchField id → name
    tasks: dict[int, str]  # GuideTask id → "code title"
    task_fields: dict[int, int]  # GuideTask id → ResearchField id
    award_statuses: dict[str, str]
    application_statuses: dict[str, str]  # staff labels of applications.workflow.STATES
    provinces: dict[str, str]


def call_labels(call: FundingCall) -> CallLabels:
    tasks = list(GuideTask.objects.filter(call=call).select_related("field"))
    return CallLabels(
        fields={task.field_id: task.field.name for task in tasks},
        tasks={task.pk: f"{task.code} {task.title}".strip() for task in tasks},
        task_fields={task.pk: task.field_id for task in tasks},
        award_statuses={code: str(label) for code, label in AwardStatus.choices},
        application_statuses={code: str(state.staff_label) for code, state in STATES.items()},
        provinces={code: str(label) for code, label in Province.choices},
    )


# --- The award list -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AwardExportRow:
    """One award of the list as plain values (no model instances: see ``awards_for_export``)."""

    field_id: int
    status: str
    score: Decimal | None
    amount_sc: Decimal
    amount_cq: Decimal
    notice_number: str
    application_id: int
    title: str
    guide_task_id: int | None
    lead_unit: str
    lead_uscc: str
    pi: str
    partners: tuple[str, ...]


_AWARD_VALUES = (
    "field_id",
    "status",
    "score",
    "amount_sc",
    "amount_cq",
    "notice_number",
    "application_id",
    "application__title",
    "application__guide_task_id",
    "application__lead_unit__name",
    "application__lead_unit__uscc",
    "application__pi__full_name",
)


def awards_for_export(*, call: FundingCall) -> Iterator[AwardExportRow]:
    """The call's live awards in the order of the notices (field, score highest first, id),
    with the application's title, lead unit, project leader and partners, read ``CHUNK`` at a
    time: one query for the awards, read through a cursor in chunks, and one for the
    partners of each chunk.

    Plain values, not model instances: an award, its application and the application's
    partners point at each other, and such cycles wait for the garbage collector's rare full
    pass — memory would grow with the rows. Reading values is also several times faster."""
    awards = (
        Award.objects.filter(call=call)
        .exclude(status=AwardStatus.WITHDRAWN)
        .order_by("field__position", F("score").desc(nulls_last=True), "id")
        .values_list(*_AWARD_VALUES)
        .iterator(chunk_size=CHUNK)
    )
    while chunk := list(islice(awards, CHUNK)):
        partners: dict[int, list[str]] = defaultdict(list)
        for application_id, name in (
            Partner.objects.filter(application_id__in=[row[6] for row in chunk])
            .order_by("application_id", "position", "id")
            .values_list("application_id", "name")
        ):
            partners[application_id].append(name)
        for row in chunk:
            yield AwardExportRow(*row, partners=tuple(partners.get(row[6], ())))


# --- All applications with their aggregates ------------------------------------------------------


@dataclass(frozen=True)
class ApplicationExportRow:
    application: Application
    requested_sc: Decimal  # government funds asked of Sichuan (yuan)
    requested_cq: Decimal
    ranking: RankingRow | None  # None: never in the expert review


def applications_for_export(*, call: FundingCall) -> list[ApplicationExportRow]:
    """Every application of the call past submission (submitted at least once, whatever its
    status now), with the requested government funds per province from its budget lines and,
    for those in the expert review, the ranking's row (``ranking_of_call``: the same
    aggregates and rank as the ranking page and API). Rows in rank order, then the
    applications without a rank (no submitted review, or never reviewed) by id."""
    applications = list(
        Application.objects.filter(call=call, submitted_at__isnull=False)
        .exclude(status=ApplicationStatus.DRAFT)
        .select_related("lead_unit", "pi")
        .only(
            "id",
            "call_id",
            "province",
            "title",
            "status",
            "guide_task_id",
            "lead_unit__name",
            "pi__full_name",
        )
        .order_by("id")
    )
    requested: dict[int, dict[str, Decimal]] = defaultdict(dict)
    sums = (
        BudgetLine.objects.filter(
            application__call=call,
            application__submitted_at__isnull=False,
            source__in=(BudgetSource.SC_GOV, BudgetSource.CQ_GOV),
        )
        .values("application_id", "source")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for line in sums:
        requested[line["application_id"]][line["source"]] = line["total"] or ZERO
    ranking = {row.application.pk: row for row in ranking_of_call(call=call).rows}
    position = {pk: index for index, pk in enumerate(ranking)}
    for application in applications:
        # The reference reads the call's year: the one instance already here, no query per row.
        application.call = call
    applications.sort(key=lambda a: (position.get(a.pk, len(position)), a.pk))
    return [
        ApplicationExportRow(
            application=application,
            requested_sc=requested[application.pk].get(BudgetSource.SC_GOV, ZERO),
            requested_cq=requested[application.pk].get(BudgetSource.CQ_GOV, ZERO),
            ranking=ranking.get(application.pk),
        )
        for application in applications
    ]


# --- The decision dashboard ---------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetUse:
    province: str
    label: str
    budget: Decimal
    used: Decimal

    @property
    def left(self) -> Decimal:
        return max(self.budget - self.used, ZERO)

    @property
    def percent(self) -> int | None:
        return round(self.used * 100 / self.budget) if self.budget else None


@dataclass(frozen=True)
class QuotaUse:
    code: str
    label: str
    quota: int
    used: int

    @property
    def left(self) -> int:
        return max(self.quota - self.used, 0)


@dataclass(frozen=True)
class StatusCount:
    code: str
    label: str
    count: int
    amount_sc: Decimal = ZERO
    amount_cq: Decimal = ZERO


@dataclass(frozen=True)
class Dashboard:
    call: FundingCall
    budgets: list[BudgetUse]
    quotas: list[QuotaUse]
    applications: list[StatusCount]
    awards: list[StatusCount]

    @property
    def live_awards(self) -> int:
        return sum(row.count for row in self.awards if row.code != AwardStatus.WITHDRAWN)

    @property
    def submitted(self) -> int:
        return sum(row.count for row in self.applications)


def dashboard_of_call(*, call: FundingCall) -> Dashboard:
    """The figures of the decision dashboard in two queries (three when the call's fields are
    not prefetched yet): the counters the award
    services keep (``FundingCall.awarded_sc`` / ``awarded_cq``, ``CallField.awarded``, read
    as they are: they are what the services check against), the applications per status
    (drafts left out: they are the applicants' own) and the awards per status with their
    funding."""
    budgets = [
        BudgetUse(p.value, str(p.label), call.budget_sc, call.awarded_sc)
        if p == Province.SC
        else BudgetUse(p.value, str(p.label), call.budget_cq, call.awarded_cq)
        for p in JOINT_PROVINCES
    ]
    # ``call_get_for_user`` has them already (no second query); a call read otherwise gets them here.
    prefetch_related_objects(
        [call],
        Prefetch(
            "call_fields",
            queryset=CallField.objects.select_related("field").order_by("field__position", "field__code"),
        ),
    )
    quotas = [
        QuotaUse(row.field.code, row.field.name, row.quota, row.awarded) for row in call.call_fields.all()
    ]
    by_status = dict(
        Application.objects.filter(call=call)
        .exclude(status=ApplicationStatus.DRAFT)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    applications = [
        StatusCount(code, str(state.staff_label), by_status.get(code, 0))
        for code, state in STATES.items()
        if code != ApplicationStatus.DRAFT
    ]
    award_rows = {
        row["status"]: row
        for row in Award.objects.filter(call=call)
        .values("status")
        .annotate(n=Count("id"), sc=Sum("amount_sc"), cq=Sum("amount_cq"))
        .order_by()
    }
    awards = [
        StatusCount(
            code,
            str(label),
            award_rows.get(code, {}).get("n", 0),
            award_rows.get(code, {}).get("sc") or ZERO,
            award_rows.get(code, {}).get("cq") or ZERO,
        )
        for code, label in AwardStatus.choices
    ]
    return Dashboard(call=call, budgets=budgets, quotas=quotas, applications=applications, awards=awards)
