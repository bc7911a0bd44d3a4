"""``GET /api/v1/calls/{id}/ranking/?field=&task=&sort=``: the ranking of a call for review
staff, from the same selector as the ranking page (``reviews.selectors.ranking``), so the
figures are the page's.

Who gets what: anonymous → 401; a call the caller may not see (a draft for non-staff) or an
unknown id → 404; a signed-in user who is not bureau staff or an administrator → 403 with the
reason (the call itself is public, so refusing it hides nothing); an unknown ``field``,
``task`` or ``sort`` → 400 naming the parameter and the allowed values.

The ranking is one document, not paginated: rows in ranking order (or ``sort``), every
decimal as a string with 2 decimals (half-up, see ``reviews/scoring.py``), codes for flags,
provinces and recommendations.
"""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from applications.selectors import call_get_for_user
from portal.api_errors import ApiErrorSerializer
from reviews.permissions import require_review_staff
from reviews.selectors.ranking import SORT_CHOICES, CallRanking, RankingRow, UnknownFilter, ranking_of_call

POINTS = {"max_digits": 7, "decimal_places": 2}


def _points(**extra: Any) -> serializers.DecimalField:
    return serializers.DecimalField(**POINTS, read_only=True, **extra)


class RankingCallSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True, help_text=gettext_lazy("Title in the request's language."))


class RankingCriterionSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True, help_text=gettext_lazy("Name in the request's language."))
    weight = _points()
    max_points = _points()


class RankingApplicationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True, help_text=gettext_lazy("Status code of the application."))


class RankingUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class RankingRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text=gettext_lazy("1, 2, … in tie-break order; null without any submitted review."),
    )
    application = RankingApplicationSerializer(read_only=True)
    field = serializers.CharField(
        read_only=True, allow_null=True, help_text=gettext_lazy("Research field code.")
    )
    task = serializers.CharField(read_only=True, allow_null=True, help_text=gettext_lazy("Guide task code."))
    lead_unit = RankingUnitSerializer(read_only=True)
    pi = serializers.CharField(read_only=True, help_text=gettext_lazy("Project leader's name."))
    province = serializers.CharField(read_only=True, help_text=gettext_lazy("Province of the lead unit."))
    assigned = serializers.IntegerField(
        read_only=True, help_text=gettext_lazy("Experts assigned (declared conflicts not counted).")
    )
    submitted = serializers.IntegerField(read_only=True, help_text=gettext_lazy("Reviews submitted."))
    mean = _points(allow_null=True)
    median = _points(allow_null=True)
    trimmed_mean = _points(
        allow_null=True,
        help_text=gettext_lazy("Mean without the highest and the lowest total when 5 or more reviews."),
    )
    sd = _points(allow_null=True, help_text=gettext_lazy("Population standard deviation of the totals."))
    spread = _points(allow_null=True, help_text=gettext_lazy("Highest minus lowest total."))
    low = _points(allow_null=True)
    high = _points(allow_null=True)
    disagreement = serializers.BooleanField(
        read_only=True, help_text=gettext_lazy("The spread is above the call's disagreement threshold.")
    )
    mean_by_province = serializers.DictField(
        child=_points(), read_only=True, help_text=gettext_lazy("Mean total by the experts' province.")
    )
    n_by_province = serializers.DictField(child=serializers.IntegerField(), read_only=True)
    min_by_criterion = serializers.DictField(
        child=_points(), read_only=True, help_text=gettext_lazy("Lowest points per criterion code.")
    )
    mean_by_criterion = serializers.DictField(child=_points(), read_only=True)
    recommendations = serializers.DictField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text=gettext_lazy("Count per recommendation code (fund, changes, reject)."),
    )
    flags = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text=gettext_lazy(
            "disagreement (spread above the threshold), pending (reviews outstanding), "
            "few (fewer reviews than the call's experts per application)."
        ),
    )


class RankingExpertSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True, help_text=gettext_lazy("Id of the expert's profile."))
    name = serializers.CharField(read_only=True)
    unit = serializers.CharField(read_only=True)
    province = serializers.CharField(read_only=True)
    n = serializers.IntegerField(read_only=True, help_text=gettext_lazy("Reviews submitted in the call."))
    mean = _points()
    compared = serializers.IntegerField(
        read_only=True, help_text=gettext_lazy("Reviews on panels of two or more, behind the z-score.")
    )
    z = _points(
        allow_null=True, help_text=gettext_lazy("Mean deviation from the panels' means, standardised.")
    )
    flag = serializers.CharField(read_only=True, help_text=gettext_lazy("harsh, lenient or empty."))


class RankingChartExpertSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    province = serializers.CharField(read_only=True)
    n = serializers.IntegerField(read_only=True)
    min = _points()
    max = _points()
    mean = _points()
    totals = serializers.ListField(child=_points(), read_only=True)


class RankingChartSeriesSerializer(serializers.Serializer):
    province = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)
    counts = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    n = serializers.IntegerField(read_only=True)
    mean = _points(allow_null=True)


class RankingChartProvincesSerializer(serializers.Serializer):
    bands = serializers.ListField(child=serializers.CharField(), read_only=True)
    series = RankingChartSeriesSerializer(many=True, read_only=True)


class RankingChartsSerializer(serializers.Serializer):
    experts = RankingChartExpertSerializer(many=True, read_only=True)
    provinces = RankingChartProvincesSerializer(read_only=True)


class RankingSerializer(serializers.Serializer):
    call = RankingCallSerializer(read_only=True)
    field = serializers.CharField(read_only=True, allow_null=True)
    task = serializers.CharField(read_only=True, allow_null=True)
    sort = serializers.CharField(read_only=True)
    threshold = _points(help_text=gettext_lazy("Spread (points) above which experts disagree."))
    criteria = RankingCriterionSerializer(many=True, read_only=True)
    count = serializers.IntegerField(read_only=True)
    results = RankingRowSerializer(many=True, read_only=True)
    experts = RankingExpertSerializer(many=True, read_only=True)
    charts = RankingChartsSerializer(read_only=True)


def _row(row: RankingRow) -> dict[str, Any]:
    application, aggregate = row.application, row.aggregate
    return {
        "rank": row.rank,
        "application": {
            "id": application.pk,
            "reference": application.reference,
            "title": application.title,
            "status": application.status,
        },
        "field": row.field.code if row.field else None,
        "task": row.task.code if row.task else None,
        "lead_unit": {"id": application.lead_unit_id, "name": application.lead_unit.name},
        "pi": application.pi.full_name,
        "province": application.province,
        "assigned": row.assigned,
        "submitted": row.submitted,
        "mean": aggregate.mean,
        "median": aggregate.median,
        "trimmed_mean": aggregate.trimmed_mean,
        "sd": aggregate.sd,
        "spread": aggregate.spread,
        "low": aggregate.low,
        "high": aggregate.high,
        "disagreement": aggregate.disagreement,
        "mean_by_province": aggregate.mean_by_province,
        "n_by_province": aggregate.n_by_province,
        "min_by_criterion": aggregate.min_by_criterion,
        "mean_by_criterion": aggregate.mean_by_criterion,
        "recommendations": aggregate.recommendations,
        "flags": list(row.flags),
    }


def ranking_document(result: CallRanking) -> dict[str, Any]:
    """The ranking as the API returns it (also usable by exports)."""
    return {
        "call": {"id": result.call.pk, "title": result.call.title},
        "field": result.field.code if result.field else None,
        "task": result.task.code if result.task else None,
        "sort": result.sort,
        "threshold": result.threshold,
        "criteria": [
            {"code": c.code, "name": c.name, "weight": c.weight, "max_points": c.max_points}
            for c in result.criteria
        ],
        "count": len(result.rows),
        "results": [_row(row) for row in result.rows],
        "experts": [
            {
                "id": e.expert.id,
                "name": e.expert.name,
                "unit": e.expert.unit,
                "province": e.standing.province,
                "n": e.standing.n,
                "mean": e.standing.mean,
                "compared": e.standing.compared,
                "z": e.standing.z,
                "flag": e.standing.flag,
            }
            for e in result.experts
        ],
        "charts": result.charts,
    }


class RankingView(APIView):
    """The ranking of a call (review staff)."""

    @extend_schema(
        tags=["review"],
        operation_id="calls_ranking_retrieve",
        summary=gettext_lazy("Ranking of a call"),
        description=gettext_lazy(
            "Every application of the call in expert review with its aggregates (n, mean, median, "
            "trimmed mean, mean per province of the experts, standard deviation, spread and the "
            "disagreement flag, lowest points per criterion, recommendations) and its rank: trimmed "
            "mean, then mean, then the innovation criterion's mean (all highest first), then the "
            "earliest submission, then the lowest id. With field or task, the rank is within that "
            "selection. Also the experts' z-scores over the whole call and the charts' data. Bureau "
            "staff of either province and administrators only."
        ),
        parameters=[
            OpenApiParameter(
                "field",
                OpenApiTypes.STR,
                description=gettext_lazy("Only this research field (code such as ai)."),
            ),
            OpenApiParameter(
                "task", OpenApiTypes.STR, description=gettext_lazy("Only this guide task (its code).")
            ),
            OpenApiParameter(
                "sort",
                OpenApiTypes.STR,
                enum=SORT_CHOICES,
                description=gettext_lazy("Order of the rows (default rank); a leading minus reverses it."),
            ),
        ],
        responses={
            200: RankingSerializer,
            400: ApiErrorSerializer,
            401: ApiErrorSerializer,
            403: ApiErrorSerializer,
            404: ApiErrorSerializer,
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        call = call_get_for_user(user=request.user, pk=pk)
        require_review_staff(request.user, call)
        params = request.query_params
        try:
            result = ranking_of_call(
                call=call,
                field=params.get("field") or None,
                task=params.get("task") or None,
                sort=params.get("sort") or None,
                strict=True,
            )
        except UnknownFilter as unknown:
            raise serializers.ValidationError(
                {
                    unknown.parameter: [
                        _("“%(value)s” is not a %(parameter)s of this call; allowed: %(allowed)s.")
                        % {
                            "value": unknown.value,
                            "parameter": unknown.parameter,
                            "allowed": ", ".join(unknown.allowed) or _("none"),
                        }
                    ]
                },
                code="unknown_" + unknown.parameter,
            ) from unknown
        return Response(RankingSerializer(ranking_document(result)).data)
