"""The decision dashboard of a call (review staff and administrators): budget use per province
and quota use per field — from the counters the award services keep and check against
(``FundingCall.awarded_sc`` / ``awarded_cq``, ``CallField.awarded``) — and the applications
and awards per status. Each chart is drawn by static/js/dashboard-charts.js with Chart.js
from the page's own data (``json_script``, as the ranking page does) and has a table with the
same figures beside it; links lead to the exports and to the decision's pages.

Reads through ``reviews.selectors.exports.dashboard_of_call`` (two queries beyond the call).
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from applications.selectors import call_get_for_user
from reviews.exports import wan
from reviews.permissions import require_review_staff
from reviews.selectors.exports import Dashboard, dashboard_of_call
from reviews.views.ranking import CHART_JS


@require_GET
@login_required
def dashboard(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = call_get_for_user(user=request.user, pk=call_pk)
    require_review_staff(request.user, call)
    figures = dashboard_of_call(call=call)
    context = {
        "call": call,
        "dashboard": figures,
        "chart_data": _chart_data(figures),
        "chart_library": _chart_library(),
    }
    return render(request, "reviews/dashboard.html", context)


def _chart_library() -> str | None:
    """Chart.js from the npm package, as on the ranking page; without it the tables stand in."""
    try:
        return static(CHART_JS)
    except ValueError:
        # The manifest of production static files lacks it: collectstatic ran without npm.
        return None


def _chart_data(figures: Dashboard) -> dict[str, Any]:
    """What static/js/dashboard-charts.js draws (money in 万元 as decimal strings), with its
    labels in the page's language."""
    return {
        "budgets": {
            "labels": [row.label for row in figures.budgets],
            "provinces": [row.province for row in figures.budgets],
            "used": [wan(row.used) for row in figures.budgets],
            "left": [wan(row.left) for row in figures.budgets],
        },
        "quotas": {
            "labels": [row.label for row in figures.quotas],
            "used": [row.used for row in figures.quotas],
            "left": [row.left for row in figures.quotas],
        },
        "applications": {
            "labels": [row.label for row in figures.applications],
            "counts": [row.count for row in figures.applications],
        },
        "awards": {
            "codes": [row.code for row in figures.awards],
            "labels": [row.label for row in figures.awards],
            "counts": [row.count for row in figures.awards],
        },
        "text": {
            "budgets": _("Government funding per province (10,000 yuan)"),
            "quotas": _("Awards per field against the quota"),
            "applications": _("Applications by status"),
            "awards": _("Awards by status"),
            "used": _("Awarded"),
            "left": _("Left"),
            "wan": _("10,000 yuan"),
            "count": _("Number"),
        },
    }
