"""The decision in the API (review staff): shortlist, the suggested awards, awards and their
joint approval.

* ``POST /api/v1/calls/{id}/shortlist/`` {applications: [ids], shortlisted: bool}
* ``POST /api/v1/calls/{id}/awards/suggest/`` {apply: bool, expected?: [ids]}
* ``GET /api/v1/awards/?call=`` (paginated), ``POST /api/v1/awards/`` {application, amounts?}
* ``GET / PATCH {amounts, version} / DELETE {reason} /api/v1/awards/{id}/``
* ``POST /api/v1/awards/{id}/approve/`` {version?}

Amounts are yuan as decimal strings: ``{"SC": "500000.00", "CQ": "500000.00"}`` (each side
then pays its own units) or per unit ``{"SC": {"<uscc>": "…", "total"?: "…"}, "CQ": {…}}``;
absent or null on creation: the request of the application scaled down to the cap.

Who gets what: anonymous → 401; not review staff → 403 on a call's endpoints (the call is
public) and 404 for an award (as for an unknown id); an unknown call → 404. Refusals of the
services in the API's error shape (``portal/api_errors.py``): 400 bad input naming the field
(``amounts.SC.<uscc>``, ``applications``, ``version`` …), 403 (an administrator approving:
code ``province``), 409 for the state (``quota``, ``budget_sc``, ``budget_cq``, ``state``,
``exists``, ``already_approved``, ``conflict``). See ``reviews/services/award_errors.py``.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from applications.api.applications import Refused
from applications.models import Application
from applications.selectors import call_get_for_user
from portal.api_errors import ApiErrorSerializer
from portal.choices import Province
from reviews.models import Award
from reviews.permissions import can_edit_award, require_review_staff
from reviews.selectors import awards as selectors
from reviews.services import award_suggestions
from reviews.services import awards as services
from reviews.services.award_errors import AwardError, http_status
from reviews.services.award_suggestions import SuggestionResult

MONEY = {"max_digits": 14, "decimal_places": 2}

NOT_SIGNED_IN = {401: ApiErrorSerializer}
NOT_STAFF = {
    403: OpenApiResponse(
        ApiErrorSerializer, description=gettext_lazy("Not bureau staff or an administrator.")
    )
}
NO_CALL = {404: OpenApiResponse(ApiErrorSerializer, description=gettext_lazy("No such call."))}
NO_AWARD = {
    404: OpenApiResponse(
        ApiErrorSerializer,
        description=gettext_lazy("No such award (also for anyone who is not review staff)."),
    )
}
BAD_INPUT = {
    400: OpenApiResponse(ApiErrorSerializer, description=gettext_lazy("Bad input; errors name the fields."))
}
CONFLICT = {
    409: OpenApiResponse(
        ApiErrorSerializer,
        description=gettext_lazy(
            "Not possible in the call's or the award's state: code quota, budget_sc, budget_cq, state, "
            "exists, already_approved or conflict (stale version)."
        ),
    )
}
AMOUNTS_HELP = gettext_lazy(
    'Yuan as decimal strings. Per province totals {"SC": "500000.00", "CQ": "500000.00"} (each side '
    'pays its own units, in proportion to their request) or per unit {"SC": {"<uscc>": "300000.00", '
    '"total": "300000.00"}, "CQ": {…}} ("total" optional, checked against the sum). Null: the request '
    "of the application, scaled down to the cap."
)


def _refused(error: AwardError) -> exceptions.APIException:
    code = http_status(error.code)
    if code == 403:
        return exceptions.PermissionDenied(error.message)
    return Refused(error.message, code=error.code, field=error.field or None, status_code=code)


def _yuan(value: Any) -> str:
    return f"{value:.2f}"


# --- Serializers ---------------------------------------------------------------------------------


class AwardApplicationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True, help_text=gettext_lazy("Status code of the application."))


class AwardShareSerializer(serializers.Serializer):
    province = serializers.ChoiceField(
        choices=Province.choices, read_only=True, help_text=gettext_lazy("Paid by.")
    )
    unit_uscc = serializers.CharField(read_only=True)
    unit_name = serializers.CharField(read_only=True)
    unit_province = serializers.CharField(read_only=True, help_text=gettext_lazy("The unit's own province."))
    amount = serializers.DecimalField(**MONEY, read_only=True)


class ApprovalSerializer(serializers.Serializer):
    province = serializers.CharField(read_only=True)
    approved = serializers.BooleanField(read_only=True)
    by = serializers.CharField(
        read_only=True, allow_null=True, help_text=gettext_lazy("Name of the approver.")
    )
    at = serializers.DateTimeField(read_only=True, allow_null=True)


class AwardSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    call = serializers.IntegerField(read_only=True)
    application = AwardApplicationSerializer(read_only=True)
    field = serializers.CharField(read_only=True, help_text=gettext_lazy("Research field code."))
    # A plain string in the schema (several enums share the name "status"); the codes:
    status = serializers.CharField(
        read_only=True,
        help_text=gettext_lazy(
            "proposed, approved_sc, approved_cq, approved (by both), announced, objected, final or withdrawn."
        ),
    )
    version = serializers.IntegerField(
        read_only=True, help_text=gettext_lazy("Send it back with a change or an approval.")
    )
    score = serializers.DecimalField(max_digits=7, decimal_places=2, read_only=True, allow_null=True)
    suggested = serializers.BooleanField(read_only=True)
    amount_sc = serializers.DecimalField(**MONEY, read_only=True)
    amount_cq = serializers.DecimalField(**MONEY, read_only=True)
    total = serializers.DecimalField(**MONEY, read_only=True)
    shares = AwardShareSerializer(many=True, read_only=True)
    approvals = ApprovalSerializer(many=True, read_only=True)
    withdrawn_reason = serializers.CharField(read_only=True)
    notice_number = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


def award_document(award: Award) -> dict[str, Any]:
    application = award.application
    return {
        "id": award.pk,
        "call": award.call_id,
        "application": {
            "id": application.pk,
            "reference": application.reference,
            "title": application.title,
            "status": application.status,
        },
        "field": award.field.code,
        "status": award.status,
        "version": award.version,
        "score": award.score,
        "suggested": award.suggested,
        "amount_sc": award.amount_sc,
        "amount_cq": award.amount_cq,
        "total": award.total,
        "shares": [
            {
                "province": s.province,
                "unit_uscc": s.unit_uscc,
                "unit_name": s.unit_name,
                "unit_province": s.unit_province,
                "amount": s.amount,
            }
            for s in award.shares.all()
        ],
        "approvals": [
            {
                "province": a["province"],
                "approved": a["by"] is not None,
                "by": (a["by"].full_name or a["by"].email) if a["by"] is not None else None,
                "at": a["at"],
            }
            for a in selectors.approvals_of(award)
        ],
        "withdrawn_reason": award.withdrawn_reason,
        "notice_number": award.notice_number,
        "created_at": award.created_at,
        "updated_at": award.updated_at,
    }


def _reloaded(award: Award, user: Any) -> dict[str, Any]:
    """The award as stored now (shares and approvers included), for the answer."""
    return AwardSerializer(award_document(selectors.award_get_for_user(user=user, pk=award.pk))).data


class AwardCreateSerializer(serializers.Serializer):
    application = serializers.IntegerField(
        min_value=1, help_text=gettext_lazy("Id of a shortlisted application.")
    )
    amounts = serializers.JSONField(required=False, allow_null=True, help_text=AMOUNTS_HELP)


class AwardUpdateSerializer(serializers.Serializer):
    amounts = serializers.JSONField(allow_null=True, help_text=AMOUNTS_HELP)
    version = serializers.IntegerField(min_value=1, help_text=gettext_lazy("The version you read."))


class AwardWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=services.MAX_REASON,
        help_text=gettext_lazy("Why the award is withdrawn (kept in the record)."),
    )


class AwardApproveSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text=gettext_lazy(
            "The version you read; a different one (the amounts changed) is refused with 409."
        ),
    )


class ShortlistRequestSerializer(serializers.Serializer):
    applications = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        max_length=1000,
        help_text=gettext_lazy("Ids of applications of the call."),
    )
    shortlisted = serializers.BooleanField(
        help_text=gettext_lazy("true: put on the shortlist (reviewed ones); false: take off it.")
    )


class ShortlistResponseSerializer(serializers.Serializer):
    moved = serializers.ListField(
        child=serializers.IntegerField(), help_text=gettext_lazy("Ids of the applications that moved.")
    )
    applications = AwardApplicationSerializer(many=True)


class SuggestRequestSerializer(serializers.Serializer):
    apply = serializers.BooleanField(
        required=False,
        default=False,
        help_text=gettext_lazy("true: shortlist the suggested applications and propose their awards."),
    )
    expected = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_null=True,
        max_length=1000,
        help_text=gettext_lazy(
            "With apply: the application ids of the suggestion you read; if the suggestion is now different "
            "nothing is applied (409 conflict)."
        ),
    )


class SuggestedAwardSerializer(serializers.Serializer):
    application = AwardApplicationSerializer()
    field = serializers.CharField()
    rank = serializers.IntegerField(allow_null=True, help_text=gettext_lazy("Rank in the whole call."))
    score = serializers.DecimalField(max_digits=7, decimal_places=2)
    amount_sc = serializers.DecimalField(**MONEY)
    amount_cq = serializers.DecimalField(**MONEY)
    award = serializers.IntegerField(allow_null=True, help_text=gettext_lazy("Id of the award once created."))


class UnfitSerializer(serializers.Serializer):
    application = serializers.IntegerField()
    reason = serializers.CharField(
        help_text=gettext_lazy("quota, budget_sc, budget_cq, cross_funding, no_request or no_score.")
    )


class SuggestionSerializer(serializers.Serializer):
    call = serializers.IntegerField()
    optimal = serializers.BooleanField(help_text=gettext_lazy("The solver proved the set best."))
    applied = serializers.BooleanField()
    chosen = serializers.ListField(
        child=serializers.IntegerField(), help_text=gettext_lazy("Application ids.")
    )
    score = serializers.DecimalField(max_digits=10, decimal_places=2, help_text=gettext_lazy("Total score."))
    amount_sc = serializers.DecimalField(**MONEY)
    amount_cq = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)
    quotas_left = serializers.DictField(
        child=serializers.IntegerField(), help_text=gettext_lazy("Places left per field code, before.")
    )
    budgets_left = serializers.DictField(
        child=serializers.DecimalField(**MONEY), help_text=gettext_lazy("Funding left per province, before.")
    )
    existing_awards = serializers.IntegerField(help_text=gettext_lazy("Live awards already made (kept)."))
    proposed = SuggestedAwardSerializer(many=True)
    unfit = UnfitSerializer(many=True)
    created = serializers.ListField(
        child=serializers.IntegerField(), help_text=gettext_lazy("Award ids created.")
    )


def suggestion_document(result: SuggestionResult) -> dict[str, Any]:
    solution = result.solution
    return {
        "call": result.call.pk,
        "optimal": solution.optimal,
        "applied": result.applied,
        "chosen": list(solution.chosen),
        "score": solution.score,
        "amount_sc": solution.amount_sc,
        "amount_cq": solution.amount_cq,
        "total": solution.total,
        "quotas_left": result.quotas_left,
        "budgets_left": {str(k): v for k, v in result.budgets_left.items()},
        "existing_awards": result.existing_awards,
        "proposed": [
            {
                "application": {
                    "id": item.application.pk,
                    "reference": item.application.reference,
                    "title": item.application.title,
                    "status": item.application.status,
                },
                "field": item.application.guide_task.field.code,
                "rank": item.rank,
                "score": item.score,
                "amount_sc": item.amount_sc,
                "amount_cq": item.amount_cq,
                "award": item.award.pk if item.award is not None else None,
            }
            for item in result.proposed
        ],
        "unfit": [{"application": application.pk, "reason": reason} for application, reason in result.unfit],
        "created": [award.pk for award in result.created],
    }


# --- Views ---------------------------------------------------------------------------------------


def _staff_call(request: Request, pk: Any) -> Any:
    call = call_get_for_user(user=request.user, pk=pk)
    require_review_staff(request.user, call)
    return call


class ShortlistView(APIView):
    """Shortlisting from the ranking."""

    @extend_schema(
        tags=["decision"],
        operation_id="calls_shortlist_create",
        summary=gettext_lazy("Shortlist applications"),
        description=gettext_lazy(
            "Puts reviewed applications of the call on the shortlist (shortlisted: true) or takes "
            "shortlisted ones off it (false; refused while one has an award). All or nothing; one already "
            "where asked is left as it is. Ids not of the call: 400 naming applications; an application "
            "in another state: 409 state."
        ),
        request=ShortlistRequestSerializer,
        responses={
            200: ShortlistResponseSerializer,
            **BAD_INPUT,
            **NOT_SIGNED_IN,
            **NOT_STAFF,
            **NO_CALL,
            **CONFLICT,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        call = _staff_call(request, pk)
        params = ShortlistRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            moved = services.applications_shortlist(
                call=call, applications=data["applications"], shortlisted=data["shortlisted"], by=request.user
            )
        except AwardError as error:
            raise _refused(error) from error
        applications = call.applications.filter(pk__in=data["applications"]).order_by("id")
        body = {
            "moved": [a.pk for a in moved],
            "applications": [
                {"id": a.pk, "reference": a.reference, "title": a.title, "status": a.status}
                for a in applications
            ],
        }
        return Response(ShortlistResponseSerializer(body).data)


class AwardSuggestView(APIView):
    """The suggested awards of a call."""

    @extend_schema(
        tags=["decision"],
        operation_id="calls_awards_suggest_create",
        summary=gettext_lazy("Suggest (and optionally propose) awards"),
        description=gettext_lazy(
            "The set of awards with the highest total score (the ranking's trimmed means) within the places "
            "left per field and the funding left per province, each project at its request scaled to the "
            "cap; ties go to the cheaper set, then to lower application ids. Awards already made stay. "
            "With apply: true the suggested applications are shortlisted and their awards proposed, in one "
            "transaction; expected guards against a suggestion that changed since it was read."
        ),
        request=SuggestRequestSerializer,
        responses={
            200: SuggestionSerializer,
            **BAD_INPUT,
            **NOT_SIGNED_IN,
            **NOT_STAFF,
            **NO_CALL,
            **CONFLICT,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        call = _staff_call(request, pk)
        params = SuggestRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            result = award_suggestions.awards_suggest(
                call=call, by=request.user, apply=data["apply"], expected=data.get("expected")
            )
        except AwardError as error:
            raise _refused(error) from error
        return Response(SuggestionSerializer(suggestion_document(result)).data)


class AwardListView(GenericAPIView):
    """Awards (of a call) and proposing one."""

    serializer_class = AwardSerializer

    @extend_schema(
        tags=["decision"],
        operation_id="awards_list",
        summary=gettext_lazy("List awards"),
        description=gettext_lazy(
            "Every award (live or withdrawn), in field, score and id order; review staff only."
        ),
        parameters=[
            OpenApiParameter(
                "call", OpenApiTypes.INT, description=gettext_lazy("Only the awards of this call.")
            ),
            OpenApiParameter("page", OpenApiTypes.INT, description=gettext_lazy("Page number (50 a page).")),
        ],
        responses={200: AwardSerializer(many=True), **BAD_INPUT, **NOT_SIGNED_IN, **NOT_STAFF, **NO_CALL},
    )
    def get(self, request: Request) -> Response:
        require_review_staff(request.user)
        call = None
        wanted = request.query_params.get("call")
        if wanted is not None:
            if not (wanted.isascii() and wanted.isdigit() and len(wanted) < 19):
                raise Refused(_("The call is given by its id, a whole number."), code="invalid", field="call")
            call = call_get_for_user(user=request.user, pk=wanted)
        awards = selectors.awards_of(call=call)
        page = self.paginate_queryset(awards)
        return self.get_paginated_response([AwardSerializer(award_document(a)).data for a in page])

    @extend_schema(
        tags=["decision"],
        operation_id="awards_create",
        summary=gettext_lazy("Propose an award"),
        description=gettext_lazy(
            "An award for a shortlisted application, checked against the cap, the field's quota and each "
            "province's budget. A withdrawn award of the application is proposed again."
        ),
        request=AwardCreateSerializer,
        responses={201: AwardSerializer, **BAD_INPUT, **NOT_SIGNED_IN, **NOT_STAFF, **CONFLICT},
    )
    def post(self, request: Request) -> Response:
        require_review_staff(request.user)
        params = AwardCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        application = Application.objects.select_related("call").filter(pk=data["application"]).first()
        if application is None:
            raise Refused(
                _("There is no application with this id."), code="does_not_exist", field="application"
            )
        try:
            award = services.award_create(
                application=application, by=request.user, amounts=data.get("amounts")
            )
        except AwardError as error:
            raise _refused(error) from error
        return Response(_reloaded(award, request.user), status=status.HTTP_201_CREATED)


class AwardDetailView(APIView):
    """One award: read, change its amounts, withdraw it."""

    @extend_schema(
        tags=["decision"],
        operation_id="awards_retrieve",
        summary=gettext_lazy("Read an award"),
        responses={200: AwardSerializer, **NOT_SIGNED_IN, **NO_AWARD},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(
            AwardSerializer(award_document(selectors.award_get_for_user(user=request.user, pk=pk))).data
        )

    @extend_schema(
        tags=["decision"],
        operation_id="awards_partial_update",
        summary=gettext_lazy("Change an award's amounts"),
        description=gettext_lazy(
            "New amounts (see amounts) for an award not yet announced; version is the one you read (stale: "
            "409 conflict). A change clears both approvals (status back to proposed, version + 1)."
        ),
        request=AwardUpdateSerializer,
        responses={200: AwardSerializer, **BAD_INPUT, **NOT_SIGNED_IN, **NO_AWARD, **CONFLICT},
    )
    def patch(self, request: Request, pk: int) -> Response:
        award = selectors.award_get_for_user(user=request.user, pk=pk)
        params = AwardUpdateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            award = services.award_update(
                award=award, by=request.user, amounts=data["amounts"], version=data["version"]
            )
        except AwardError as error:
            raise _refused(error) from error
        return Response(_reloaded(award, request.user))

    @extend_schema(
        tags=["decision"],
        operation_id="awards_withdraw",
        summary=gettext_lazy("Withdraw an award"),
        description=gettext_lazy(
            "Withdraws an award not yet announced, with a reason: its quota place and funding are freed. "
            "The application stays shortlisted (take it off the shortlist, or propose an award again). "
            "An announced award is withdrawn only by upholding an objection (409 state)."
        ),
        request=AwardWithdrawSerializer,
        responses={200: AwardSerializer, **BAD_INPUT, **NOT_SIGNED_IN, **NO_AWARD, **CONFLICT},
    )
    def delete(self, request: Request, pk: int) -> Response:
        award = selectors.award_get_for_user(user=request.user, pk=pk)
        params = AwardWithdrawSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        # Staff remove an award before its announcement; once announced only an objection
        # upheld withdraws it (reviews.services.publicity, through the same service).
        allowed, reason = can_edit_award(request.user, award)
        if not allowed:
            raise Refused(reason, code="state", status_code=409)
        try:
            award = services.award_withdraw(
                award=award, by=request.user, reason=params.validated_data["reason"]
            )
        except AwardError as error:
            raise _refused(error) from error
        return Response(_reloaded(award, request.user))


class AwardApproveView(APIView):
    """One bureau's approval of an award."""

    @extend_schema(
        tags=["decision"],
        operation_id="awards_approve_create",
        summary=gettext_lazy("Approve an award for your bureau"),
        description=gettext_lazy(
            "Bureau staff of Sichuan or Chongqing approve for their province; once both have, the award is "
            "approved. The same province twice: 409 already_approved; an administrator (no province): 403."
        ),
        request=AwardApproveSerializer,
        responses={200: AwardSerializer, **BAD_INPUT, **NOT_SIGNED_IN, **NOT_STAFF, **NO_AWARD, **CONFLICT},
    )
    def post(self, request: Request, pk: int) -> Response:
        award = selectors.award_get_for_user(user=request.user, pk=pk)
        params = AwardApproveSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            award = services.award_approve(
                award=award, by=request.user, version=params.validated_data.get("version")
            )
        except AwardError as error:
            raise _refused(error) from error
        return Response(_reloaded(award, request.user))
