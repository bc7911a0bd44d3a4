"""The assignment API: review staff run the solver for a call and change panels by hand; an
expert lists their own assignments.

* ``POST /api/v1/calls/{id}/assignments/run/`` {seed?, dry_run?} → 202 with the run (without
  a broker the run is computed before the answer, which then carries its counts, objective
  and shortfalls); ``GET`` on the same address lists the call's latest runs (to follow one).
* ``GET /api/v1/assignments/`` — an expert's own; staff all, filtered by ``call``,
  ``application``, ``reviewer``, ``status``. ``GET …/{id}/``: another expert's is a 404.
* ``POST /api/v1/assignments/`` {application, reviewer, reason?} — staff, by hand, under the
  solver's rules (400 naming the rule: conflict, load, duplicate…).
* ``DELETE /api/v1/assignments/{id}/`` {reason} — staff; refused (409) once the review is
  submitted.

Reads go through ``reviews.selectors.assignments``, writes through
``reviews.services.assignments``; errors have the API's shape (``portal/api_errors.py``).
"""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from applications.models import Application, FundingCall
from portal.api_errors import ApiErrorSerializer
from reviews.models import Assignment, AssignmentRun, AssignmentStatus, ReviewerProfile
from reviews.permissions import require_review_staff
from reviews.selectors.assignments import assignments_for_user, runs_of_call, shortfall_text
from reviews.services.assignments import (
    MAX_REASON,
    MAX_SEED,
    AssignmentError,
    assignment_add,
    assignment_remove,
    assignment_run_start,
)

# --- Serializers --------------------------------------------------------------------------


class RunRequestSerializer(serializers.Serializer):
    seed = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=MAX_SEED,
        help_text=gettext_lazy(
            "The random seed; omit it for a new draw, give an earlier run's seed to replay it."
        ),
    )
    dry_run = serializers.BooleanField(
        required=False, default=False, help_text=gettext_lazy("Compute and report, save no assignment.")
    )


class ShortfallSerializer(serializers.Serializer):
    application = serializers.IntegerField()
    reference = serializers.CharField(required=False)
    title = serializers.CharField(required=False)
    field = serializers.CharField(required=False, help_text=gettext_lazy("Research field code."))
    province = serializers.CharField(
        allow_null=True,
        help_text=gettext_lazy("SC or CQ: the province minimum not met; null: the panel size."),
    )
    missing = serializers.IntegerField(help_text=gettext_lazy("Experts missing."))
    reason = serializers.CharField(help_text=gettext_lazy("province, total or capacity."))
    candidates = serializers.IntegerField(help_text=gettext_lazy("Experts without conflict with load left."))
    in_field = serializers.IntegerField(help_text=gettext_lazy("Of those, in the application's field."))
    message = serializers.CharField(
        help_text=gettext_lazy("The shortfall in words, in the request's language.")
    )


class RunSerializer(serializers.ModelSerializer):
    shortfalls = serializers.SerializerMethodField()
    job = serializers.IntegerField(source="job_id", allow_null=True, read_only=True)

    class Meta:
        model = AssignmentRun
        fields = [
            "id",
            "call",
            "job",
            "status",
            "seed",
            "dry_run",
            "experts_per_application",
            "min_per_province",
            "applications",
            "assigned",
            "objective",
            "optimal",
            "shortfalls",
            "error",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ShortfallSerializer(many=True))
    def get_shortfalls(self, run: AssignmentRun) -> list[dict[str, Any]]:
        return [
            {
                "application": row.get("application"),
                "reference": row.get("reference", ""),
                "title": row.get("title", ""),
                "field": row.get("field", ""),
                "province": row.get("province"),
                "missing": row.get("missing", 0),
                "reason": row.get("reason", ""),
                "candidates": row.get("candidates", 0),
                "in_field": row.get("in_field", 0),
                "message": shortfall_text(row),
            }
            for row in run.shortfalls or []
        ]


class AssignmentSerializer(serializers.ModelSerializer):
    application_title = serializers.CharField(source="application.title", read_only=True)
    application_reference = serializers.CharField(source="application.reference", read_only=True)
    call = serializers.IntegerField(source="application.call_id", read_only=True)
    reviewer_name = serializers.CharField(source="reviewer.user.full_name", read_only=True)
    reviewer_province = serializers.CharField(source="reviewer.province", read_only=True)
    reviewer_unit = serializers.CharField(source="reviewer.organization.name", read_only=True)
    review_status = serializers.SerializerMethodField(
        help_text=gettext_lazy("null (not started), draft or submitted.")
    )

    class Meta:
        model = Assignment
        fields = [
            "id",
            "application",
            "application_title",
            "application_reference",
            "call",
            "reviewer",
            "reviewer_name",
            "reviewer_province",
            "reviewer_unit",
            "status",
            "declared_at",
            "review_status",
            "source",
            "run",
            "created_at",
        ]
        read_only_fields = fields

    def get_review_status(self, assignment: Assignment) -> str | None:
        review = getattr(assignment, "review", None)
        return review.status if review is not None else None


class AssignmentCreateSerializer(serializers.Serializer):
    application = serializers.IntegerField(help_text=gettext_lazy("Id of the application."))
    reviewer = serializers.IntegerField(help_text=gettext_lazy("Id of the expert's profile."))
    reason = serializers.CharField(required=False, allow_blank=True, max_length=MAX_REASON)


class AssignmentRemoveSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=MAX_REASON, help_text=gettext_lazy("Why the expert is removed.")
    )


# --- Views --------------------------------------------------------------------------------

NOT_SIGNED_IN = {401: ApiErrorSerializer}
FORBIDDEN = {
    403: OpenApiResponse(ApiErrorSerializer, description=gettext_lazy("Only review staff may do this."))
}


def _refused(error: AssignmentError) -> exceptions.APIException:
    """A service's refusal in the API's shape: not allowed → 403, a submitted review or a
    panel changed meanwhile → 409, every other rule → 400 naming the input at fault."""
    if error.code == "not_allowed":
        return exceptions.PermissionDenied(error.message)
    detail = {error.field: [error.message]} if error.field else [error.message]
    refusal = exceptions.ValidationError(detail, code=error.code)
    if error.code in ("submitted", "gone", "changed"):
        refusal.status_code = status.HTTP_409_CONFLICT
    return refusal


def _call_or_404(pk: int) -> FundingCall:
    # Not get_object_or_404, whose message names the model in English: errors of the API are in
    # the request's language.
    call = FundingCall.objects.filter(pk=pk).first()
    if call is None:
        raise Http404(_("There is no call with this id."))
    return call


@extend_schema(tags=["review"])
class AssignmentRunView(APIView):
    """Run the assignment of a call (review staff)."""

    @extend_schema(
        summary=gettext_lazy("Run the assignment of a call"),
        description=gettext_lazy(
            "Draws the experts of every application of the call in review: k experts each (the call's "
            "setting), at least m of each province, no conflict, no expert over their load, same field "
            "first, ties drawn from the seed. Experts already assigned count; a run fills the gaps. "
            "Answers 202 with the run; when it was computed at once (no task queue), the run is done "
            "and carries its counts, objective, optimality and shortfalls (each in words). Otherwise "
            "follow it with GET on this address. 400 when the call's settings cannot be met or the "
            "seed is out of range."
        ),
        request=RunRequestSerializer,
        responses={
            202: RunSerializer,
            400: ApiErrorSerializer,
            **NOT_SIGNED_IN,
            **FORBIDDEN,
            404: ApiErrorSerializer,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        require_review_staff(request.user)
        call = _call_or_404(pk)
        params = RunRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            run = assignment_run_start(
                call=call,
                by=request.user,
                seed=params.validated_data.get("seed"),
                dry_run=params.validated_data.get("dry_run", False),
            )
        except AssignmentError as error:
            raise _refused(error) from error
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary=gettext_lazy("The latest runs of a call"),
        description=gettext_lazy(
            "The call's last 20 assignment runs, newest first (to follow a run under way)."
        ),
        responses={200: RunSerializer(many=True), **NOT_SIGNED_IN, **FORBIDDEN, 404: ApiErrorSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        require_review_staff(request.user)
        call = _call_or_404(pk)
        return Response(RunSerializer(runs_of_call(call=call, limit=20), many=True).data)


def _positive_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    # An id is a positive 64-bit integer: beyond, SQLite overflows instead of finding nothing.
    if not 1 <= value < 2**63:
        raise exceptions.ValidationError(
            {name: [exceptions.ErrorDetail(_("Give a whole number (an id)."), code="invalid")]}
        )
    return value


FILTERS = [
    OpenApiParameter("call", OpenApiTypes.INT, description=gettext_lazy("Only this call's (staff).")),
    OpenApiParameter(
        "application", OpenApiTypes.INT, description=gettext_lazy("Only this application's (staff).")
    ),
    OpenApiParameter("reviewer", OpenApiTypes.INT, description=gettext_lazy("Only this expert's (staff).")),
    OpenApiParameter(
        "status",
        OpenApiTypes.STR,
        enum=list(AssignmentStatus.values),
        description=gettext_lazy("assigned, declared or declined."),
    ),
]


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("Assignments"),
        description=gettext_lazy(
            "An expert: their own assignments. Review staff: every assignment, filtered by call, "
            "application, reviewer and status. Others: none."
        ),
        parameters=FILTERS,
        responses={200: AssignmentSerializer(many=True), 400: ApiErrorSerializer, **NOT_SIGNED_IN},
    ),
    retrieve=extend_schema(
        summary=gettext_lazy("One assignment"),
        responses={200: AssignmentSerializer, **NOT_SIGNED_IN, 404: ApiErrorSerializer},
    ),
    create=extend_schema(
        summary=gettext_lazy("Add an expert to a panel by hand"),
        description=gettext_lazy(
            "Review staff. The same rules as the solver: the application is accepted or under review, "
            "the expert is active, not already on the panel (nor declined), without conflict of "
            "interest and below their maximum load in the call. A refusal is 400 naming the input "
            "(code conflict, load, duplicate, declined, inactive, state)."
        ),
        request=AssignmentCreateSerializer,
        responses={201: AssignmentSerializer, 400: ApiErrorSerializer, **NOT_SIGNED_IN, **FORBIDDEN},
    ),
    destroy=extend_schema(
        summary=gettext_lazy("Remove an expert from a panel"),
        description=gettext_lazy(
            "Review staff, with a reason (in the body, or ?reason=). The expert's draft review goes with "
            "it. Refused with 409 once the review is submitted: reopen it or keep it."
        ),
        request=AssignmentRemoveSerializer,
        parameters=[
            OpenApiParameter("reason", OpenApiTypes.STR, description=gettext_lazy("Why, if not in the body."))
        ],
        responses={
            204: OpenApiResponse(description=gettext_lazy("Removed.")),
            400: ApiErrorSerializer,
            **NOT_SIGNED_IN,
            **FORBIDDEN,
            404: ApiErrorSerializer,
            409: ApiErrorSerializer,
        },
    ),
)
@extend_schema(tags=["review"])
class AssignmentViewSet(viewsets.GenericViewSet):
    """Who reviews what: an expert's own assignments; staff's view and changes of every panel."""

    serializer_class = AssignmentSerializer
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Assignment]:
        return assignments_for_user(user=self.request.user)

    def get_object(self) -> Assignment:
        # Not DRF's lookup, whose 404 names the model in English: errors of the API are in the
        # request's language. Only plain digits: the router's pattern takes any text.
        text = str(self.kwargs["pk"])
        assignment = None
        if text.isascii() and text.isdigit():
            assignment = self.get_queryset().filter(pk=int(text)).first()
        if assignment is None:
            raise Http404(_("There is no assignment with this id."))
        self.check_object_permissions(self.request, assignment)
        return assignment

    def list(self, request: Request) -> Response:
        queryset = self.get_queryset()
        for name, lookup in (
            ("call", "application__call_id"),
            ("application", "application_id"),
            ("reviewer", "reviewer_id"),
        ):
            value = _positive_int(request, name)
            if value is not None:
                queryset = queryset.filter(**{lookup: value})
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in AssignmentStatus.values:
                raise exceptions.ValidationError(
                    {
                        "status": [
                            exceptions.ErrorDetail(
                                _("Choose one of: %(codes)s.")
                                % {"codes": ", ".join(AssignmentStatus.values)},
                                code="invalid_choice",
                            )
                        ]
                    }
                )
            queryset = queryset.filter(status=wanted)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(self.get_serializer(self.get_object()).data)

    def create(self, request: Request) -> Response:
        require_review_staff(request.user)
        params = AssignmentCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        application = Application.objects.select_related("call").filter(pk=data["application"]).first()
        if application is None:
            raise exceptions.ValidationError(
                {
                    "application": [
                        exceptions.ErrorDetail(
                            _("There is no application with this id."), code="does_not_exist"
                        )
                    ]
                }
            )
        reviewer = ReviewerProfile.objects.filter(pk=data["reviewer"]).first()
        if reviewer is None:
            raise exceptions.ValidationError(
                {
                    "reviewer": [
                        exceptions.ErrorDetail(_("There is no expert with this id."), code="does_not_exist")
                    ]
                }
            )
        try:
            assignment = assignment_add(
                application=application, reviewer=reviewer, by=request.user, reason=data.get("reason", "")
            )
        except AssignmentError as error:
            raise _refused(error) from error
        fresh = self.get_queryset().get(pk=assignment.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: Any = None) -> Response:
        assignment = self.get_object()
        require_review_staff(request.user)
        body = request.data if hasattr(request.data, "get") else {}
        reason = body.get("reason") or request.query_params.get("reason") or ""
        params = AssignmentRemoveSerializer(data={"reason": reason})
        params.is_valid(raise_exception=True)
        try:
            assignment_remove(assignment=assignment, by=request.user, reason=params.validated_data["reason"])
        except AssignmentError as error:
            raise _refused(error) from error
        return Response(status=status.HTTP_204_NO_CONTENT)
