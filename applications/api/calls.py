"""The public calls API: funding calls and their guide tasks, readable without signing in.

Titles and names follow the request's language (``Accept-Language`` or the language
cookie); amounts are decimal strings in yuan; times carry the +08:00 offset of Asia/Shanghai.
Reads go through ``applications.selectors``, which hides draft calls from all but bureau
staff and administrators.
"""

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from applications import selectors
from applications.models import MONEY, CallField, FundingCall, GuideTask
from portal.api_errors import ApiErrorSerializer


class CallBudgetsSerializer(serializers.Serializer):
    """Each province's budget for the call, keyed by province code."""

    SC = serializers.DecimalField(
        source="budget_sc", **MONEY, read_only=True, help_text=gettext_lazy("Sichuan budget (yuan).")
    )
    CQ = serializers.DecimalField(
        source="budget_cq", **MONEY, read_only=True, help_text=gettext_lazy("Chongqing budget (yuan).")
    )


class CallRulesSerializer(serializers.ModelSerializer):
    class Meta:
        model = FundingCall
        fields = [
            "pi_limit",
            "member_limit",
            "max_duration_months",
            "min_duration_months",
            "min_self_raised_ratio",
            "max_indirect_rate",
            "reviewers_per_application",
            "min_reviewers_per_province",
        ]
        read_only_fields = fields


class CallFieldSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="field.code", read_only=True, help_text=gettext_lazy("Stable code."))
    name = serializers.CharField(
        source="field.name", read_only=True, help_text=gettext_lazy("Name in the request's language.")
    )

    class Meta:
        model = CallField
        fields = ["code", "name", "quota"]
        read_only_fields = fields


class CallSerializer(serializers.ModelSerializer):
    title = serializers.CharField(read_only=True, help_text=gettext_lazy("Title in the request's language."))
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    budgets = CallBudgetsSerializer(source="*", read_only=True)
    rules = CallRulesSerializer(source="*", read_only=True)
    fields = CallFieldSerializer(source="call_fields", many=True, read_only=True)
    task_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = FundingCall
        fields = [
            "id",
            "year",
            "title",
            "title_zh",
            "title_en",
            "status",
            "status_label",
            "opens_at",
            "submit_deadline",
            "endorse_deadline",
            "acceptance_deadline",
            "review_starts",
            "review_ends",
            "publicity_starts",
            "publicity_working_days",
            "per_project_cap",
            "budgets",
            "cross_funding_allowed",
            "rules",
            "fields",
            "task_count",
        ]
        read_only_fields = fields


class GuideTaskSerializer(serializers.ModelSerializer):
    field = serializers.CharField(
        source="field.code", read_only=True, help_text=gettext_lazy("Code of the research field.")
    )
    title = serializers.CharField(read_only=True, help_text=gettext_lazy("Title in the request's language."))
    description = serializers.CharField(
        read_only=True, help_text=gettext_lazy("Research content and targets in the request's language.")
    )
    cap = serializers.DecimalField(
        source="effective_cap",
        **MONEY,
        read_only=True,
        help_text=gettext_lazy("Funding cap (yuan): the task's own, else the call's cap per project."),
    )

    class Meta:
        model = GuideTask
        fields = [
            "id",
            "code",
            "field",
            "title",
            "title_zh",
            "title_en",
            "description",
            "demand_source",
            "cap",
            "quota",
        ]
        read_only_fields = fields


NOT_FOUND = {404: ApiErrorSerializer}


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("Funding calls"),
        description=gettext_lazy("Published calls, newest first. Draft calls only for bureau staff."),
    ),
    retrieve=extend_schema(
        summary=gettext_lazy("One funding call"),
        description=gettext_lazy("A call with its deadlines, budgets, rules and fields."),
        responses={200: CallSerializer, **NOT_FOUND},
    ),
)
@extend_schema(tags=["calls"])
class CallViewSet(viewsets.ReadOnlyModelViewSet):
    """Funding calls and their guide tasks: public information."""

    serializer_class = CallSerializer
    permission_classes = [AllowAny]

    def get_queryset(self) -> QuerySet[FundingCall]:
        return selectors.calls_visible_to(self.request.user)

    def get_object(self) -> FundingCall:
        return selectors.call_get_for_user(user=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(
        summary=gettext_lazy("Guide tasks of a call"),
        description=gettext_lazy("The call's guide tasks in guide order, optionally of one research field."),
        parameters=[
            OpenApiParameter(
                "field",
                OpenApiTypes.STR,
                description=gettext_lazy("Only the tasks of this research field (code such as ai)."),
            )
        ],
        responses={200: GuideTaskSerializer(many=True), 400: ApiErrorSerializer, **NOT_FOUND},
    )
    @action(
        detail=True, methods=["get"], url_path="tasks", url_name="tasks", serializer_class=GuideTaskSerializer
    )
    def tasks(self, request: Request, pk: Any = None) -> Response:
        call = self.get_object()
        field_code = request.query_params.get("field") or None
        if field_code is not None:
            codes = [call_field.field.code for call_field in call.call_fields.all()]
            if field_code not in codes:
                raise serializers.ValidationError(
                    {
                        "field": [
                            _("This call has no research field “%(code)s”; its fields are: %(codes)s.")
                            % {"code": field_code, "codes": ", ".join(codes)}
                        ]
                    },
                    code="unknown_field",
                )
        page = self.paginate_queryset(selectors.tasks_of_call(call, field_code=field_code))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
