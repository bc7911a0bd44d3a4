"""The ranking page of a call (review staff): every application in review with its aggregates
and rank, filterable by field and guide task, sortable by column, with charts of the scores
per expert and per province drawn by static/js/ranking-charts.js from the page's own data
(and text tables beside them).

Reads through ``reviews.selectors.ranking`` — the API uses the same selector, so both show
the same figures. Bad filter or sort values never fail the page: an unknown field or task is
dropped with a note, an unknown sort falls back to the rank.
"""

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from applications.selectors import call_get_for_user
from portal.choices import JOINT_PROVINCES
from reviews.models import Recommendation
from reviews.permissions import require_review_staff
from reviews.selectors.ranking import (
    FLAG_DISAGREEMENT,
    FLAG_FEW,
    FLAG_PENDING,
    CallRanking,
    RankingRow,
    UnknownFilter,
    ranking_of_call,
)

# Columns that sort, with the direction of their first click: figures highest first.
COLUMNS: dict[str, tuple[Any, bool]] = {
    "rank": (gettext_lazy("Rank"), False),
    "task": (gettext_lazy("Guide task"), False),
    "unit": (gettext_lazy("Lead unit"), False),
    "province": (gettext_lazy("Province"), False),
    "n": (gettext_lazy("Reviews"), True),
    "mean": (gettext_lazy("Mean"), True),
    "median": (gettext_lazy("Median"), True),
    "trimmed": (gettext_lazy("Trimmed mean"), True),
    "mean_sc": (gettext_lazy("Mean of Sichuan experts"), True),
    "mean_cq": (gettext_lazy("Mean of Chongqing experts"), True),
    "sd": (gettext_lazy("Standard deviation"), True),
    "spread": (gettext_lazy("Spread"), True),
}

CHART_JS = "vendor/chart.js/chart.umd.min.js"

FLAG_LABELS = {
    FLAG_DISAGREEMENT: gettext_lazy("Experts disagree"),
    FLAG_PENDING: gettext_lazy("Reviews outstanding"),
    FLAG_FEW: gettext_lazy("Fewer reviews than required"),
}


@require_GET
@login_required
def ranking(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = call_get_for_user(user=request.user, pk=call_pk)
    require_review_staff(request.user, call)

    wanted = {"field": request.GET.get("field") or None, "task": request.GET.get("task") or None}
    notes = []
    # At most one retry per filter: each unknown code is dropped with a note.
    for _attempt in range(3):
        try:
            result = ranking_of_call(call=call, sort=request.GET.get("sort"), **wanted)
            break
        except UnknownFilter as unknown:
            notes.append(
                _("There is no %(parameter)s “%(value)s” in this call; showing all instead.")
                % {"parameter": _filter_name(unknown.parameter), "value": unknown.value}
            )
            wanted[unknown.parameter] = None
    context = {
        "call": call,
        "ranking": result,
        "notes": notes,
        # Labels translated once, not once per row.
        "rows": [_row(row, result, {k: str(v) for k, v in FLAG_LABELS.items()}) for row in result.rows],
        "headers": _headers(result, wanted),
        "criteria_legend": [(f"C{i}", c) for i, c in enumerate(result.criteria, start=1)],
        "recommendation_legend": " · ".join(str(label) for label in Recommendation.labels),
        "chart_data": _chart_data(result),
        "chart_library": _chart_library(),
        "band_rows": _band_rows(result),
        "ranked": sum(1 for row in result.rows if row.rank is not None),
        "flagged_experts": [e for e in result.experts if e.standing.flag],
    }
    return render(request, "reviews/ranking.html", context)


def _filter_name(parameter: str) -> str:
    return _("research field") if parameter == "field" else _("guide task")


def _row(row: RankingRow, result: CallRanking, flag_labels: dict[str, str]) -> dict[str, Any]:
    """What one table row shows beyond the row itself: the compact cells as ready strings, in
    the order of the column headers' legends (criteria C1…; fund · changes · reject)."""
    aggregate = row.aggregate
    mins = (aggregate.min_by_criterion.get(c.code) for c in result.criteria)
    return {
        "row": row,
        "mins": " · ".join("—" if low is None else str(low) for low in mins),
        "recommendations": " · ".join(
            str(aggregate.recommendations.get(code, 0)) for code in Recommendation.values
        ),
        "flags": [(flag, flag_labels[flag]) for flag in row.flags],
    }


def _headers(result: CallRanking, wanted: dict[str, str | None]) -> dict[str, dict[str, Any]]:
    """For each sortable column: its label, the link that sorts by it (the other direction when
    it is the current sort) and its aria-sort state."""
    keep = {key: value for key, value in wanted.items() if value}
    current = result.sort
    headers = {}
    for key, (label, highest_first) in COLUMNS.items():
        first = f"-{key}" if highest_first else key
        # A second click on the current column reverses it.
        target = (key if highest_first else f"-{key}") if current == first else first
        state = "none"
        if current.lstrip("-") == key:
            state = "descending" if current.startswith("-") else "ascending"
        headers[key] = {"label": label, "url": "?" + urlencode({**keep, "sort": target}), "state": state}
    return headers


def _band_rows(result: CallRanking) -> list[dict[str, Any]]:
    """The per-province chart as table rows: one per score band, a count per province."""
    provinces = result.charts["provinces"]
    return [
        {"label": band, "counts": [series["counts"][index] for series in provinces["series"]]}
        for index, band in enumerate(provinces["bands"])
    ]


def _chart_library() -> str | None:
    """Chart.js from the npm package (``make`` installs it; STATICFILES_DIRS serves it). Without
    it the page still works: the tables stand in for the charts."""
    try:
        return static(CHART_JS)
    except ValueError:
        # The manifest of production static files lacks it: collectstatic ran without npm.
        return None


def _chart_data(result: CallRanking) -> dict[str, Any]:
    """What static/js/ranking-charts.js draws, with its labels in the page's language."""
    province_labels = {p.value: str(p.label) for p in JOINT_PROVINCES}
    return {
        **result.charts,
        "provinceLabels": province_labels,
        "labels": {
            "experts": _("Weighted totals given by each expert"),
            "range": _("Lowest to highest total"),
            "mean": _("Mean total"),
            "total": _("Weighted total (points)"),
            "provinces": _("Totals by score band and by the experts' province"),
            "band": _("Score band (points)"),
            "count": _("Reviews"),
        },
    }
