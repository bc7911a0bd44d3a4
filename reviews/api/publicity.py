"""The public announcement API: start it, read it; decide objections.

``GET /api/v1/calls/{id}/publicity/``: the call's announcement (null before it starts), its
awards with their status and the objections with the objectors' details — staff only.
``POST`` the same address with ``{start_date, contact?}`` starts it (201).
``POST /api/v1/objections/{id}/resolve/`` with ``{decision: upheld|dismissed, reason}``.

Who gets what: anonymous → 401; an unknown call → 404; a signed-in user who is not bureau
staff or an administrator → 403 with the reason on the call, 404 on an objection (it holds
personal data, as for an unknown id). Bad input → 400 naming the field (``start_date`` in the
past or not a date, ``decision``, ``reason``); a state that forbids the step → 409 (``already``
announced, ``unapproved`` awards — named —, ``no_awards``, an objection already ``decided``).
"""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from applications.api.applications import Refused
from applications.models import FundingCall
from applications.selectors import call_get_for_user
from portal.api_errors import ApiErrorSerializer
from reviews.models import Objection, ObjectionStatus, Publicity
from reviews.permissions import can_run_publicity
from reviews.selectors.publicity import (
    awards_for_publicity,
    objection_get_for_user,
    objections_of_publicity,
    publicity_of_call,
)
from reviews.services.publicity import (
    MAX_CONTACT,
    MAX_REASON,
    STATE_CODES,
    PublicityError,
    objection_resolve,
    publicity_start,
)

MONEY = {"max_digits": 14, "decimal_places": 2}


def _refused(error: PublicityError) -> exceptions.APIException:
    if error.code == "not_allowed":
        return exceptions.PermissionDenied(error.message)
    status_code = 409 if error.code in STATE_CODES else 400
    return Refused(error.message, code=error.code, field=error.field or None, status_code=status_code)


# --- Serializers (documents, read-only) -------------------------------------------------------


class PublicityWindowSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    starts_on = serializers.DateField(read_only=True)
    ends_on = serializers.DateField(
        read_only=True, help_text=gettext_lazy("Last day for objections (inclusive, Beijing date).")
    )
    working_days = serializers.IntegerField(read_only=True)
    status = serializers.CharField(read_only=True, help_text=gettext_lazy("open or closed."))
    contact = serializers.CharField(read_only=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)


class PublicityAwardSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    application = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    lead_unit = serializers.CharField(read_only=True)
    partners = serializers.ListField(child=serializers.CharField(), read_only=True)
    pi = serializers.CharField(read_only=True, help_text=gettext_lazy("Project leader's name."))
    field = serializers.CharField(read_only=True, help_text=gettext_lazy("Research field code."))
    task = serializers.CharField(read_only=True, allow_null=True, help_text=gettext_lazy("Guide task code."))
    amount_sc = serializers.DecimalField(**MONEY, read_only=True, help_text=gettext_lazy("Yuan."))
    amount_cq = serializers.DecimalField(**MONEY, read_only=True, help_text=gettext_lazy("Yuan."))
    total = serializers.DecimalField(**MONEY, read_only=True, help_text=gettext_lazy("Yuan."))
    status = serializers.CharField(read_only=True, help_text=gettext_lazy("Award status code."))
    open_objections = serializers.IntegerField(read_only=True)


class ObjectionSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    token = serializers.CharField(read_only=True, help_text=gettext_lazy("Reference given to the objector."))
    award = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    unit = serializers.CharField(read_only=True)
    phone = serializers.CharField(read_only=True)
    email = serializers.CharField(read_only=True)
    text = serializers.CharField(read_only=True)
    attachment = serializers.BooleanField(read_only=True, help_text=gettext_lazy("A PDF is attached."))
    status = serializers.CharField(read_only=True, help_text=gettext_lazy("open, upheld or dismissed."))
    resolution = serializers.CharField(read_only=True)
    resolved_by = serializers.CharField(read_only=True, allow_null=True)
    resolved_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)


class PublicityDocumentSerializer(serializers.Serializer):
    call = serializers.IntegerField(read_only=True)
    publicity = PublicityWindowSerializer(read_only=True, allow_null=True)
    awards = PublicityAwardSerializer(many=True, read_only=True)
    objections = ObjectionSerializer(many=True, read_only=True)


class PublicityStartSerializer(serializers.Serializer):
    start_date = serializers.DateField(
        help_text=gettext_lazy("First day of the announcement (YYYY-MM-DD), today or later (Beijing).")
    )
    contact = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_CONTACT,
        help_text=gettext_lazy("Contact for objections, shown publicly."),
    )


DECISIONS = (ObjectionStatus.UPHELD.value, ObjectionStatus.DISMISSED.value)


class ObjectionResolveSerializer(serializers.Serializer):
    # A string checked here rather than a ChoiceField: the schema's enum component would be
    # named after the field and collide with the formal check's "decision".
    decision = serializers.CharField(help_text=gettext_lazy("upheld or dismissed."))
    reason = serializers.CharField(
        max_length=MAX_REASON, help_text=gettext_lazy("Sent to the objector by email; required.")
    )

    def validate_decision(self, value: str) -> str:
        if value not in DECISIONS:
            raise serializers.ValidationError(_("Choose upheld or dismissed."), code="invalid_choice")
        return value


def objection_document(objection: Objection) -> dict[str, Any]:
    resolver = objection.resolved_by
    return {
        "id": objection.pk,
        "token": objection.token,
        "award": objection.award_id,
        "name": objection.name,
        "unit": objection.unit,
        "phone": objection.phone,
        "email": objection.email,
        "text": objection.text,
        "attachment": bool(objection.attachment),
        "status": objection.status,
        "resolution": objection.resolution,
        "resolved_by": (resolver.full_name or resolver.email) if resolver else None,
        "resolved_at": objection.resolved_at,
        "created_at": objection.created_at,
    }


def publicity_document(call: FundingCall, publicity: Publicity | None) -> dict[str, Any]:
    awards = []
    for award in awards_for_publicity(call):
        application = award.application
        awards.append(
            {
                "id": award.pk,
                "application": application.pk,
                "reference": application.reference,
                "title": application.title,
                "lead_unit": application.lead_unit.name,
                "partners": [partner.name for partner in application.partners.all()],
                "pi": application.pi.full_name,
                "field": award.field.code,
                "task": application.guide_task.code if application.guide_task else None,
                "amount_sc": award.amount_sc,
                "amount_cq": award.amount_cq,
                "total": award.amount_sc + award.amount_cq,
                "status": award.status,
                "open_objections": award.open_objections,
            }
        )
    window = None
    objections: list[dict[str, Any]] = []
    if publicity is not None:
        window = {
            "id": publicity.pk,
            "starts_on": publicity.starts_on,
            "ends_on": publicity.ends_on,
            "working_days": publicity.working_days,
            "status": publicity.status,
            "contact": publicity.contact,
            "closed_at": publicity.closed_at,
        }
        objections = [objection_document(o) for o in objections_of_publicity(publicity)]
    return {"call": call.pk, "publicity": window, "awards": awards, "objections": objections}


BAD_INPUT = {
    400: OpenApiResponse(ApiErrorSerializer, description=gettext_lazy("Bad input; errors name the fields."))
}
STAFF_ONLY = {401: ApiErrorSerializer, 403: ApiErrorSerializer, 404: ApiErrorSerializer}


class PublicityView(APIView):
    """The call's public announcement (review staff)."""

    def _call(self, request: Request, pk: Any) -> FundingCall:
        call = call_get_for_user(user=request.user, pk=pk)
        allowed, reason = can_run_publicity(request.user, call)
        if not allowed:
            raise exceptions.PermissionDenied(reason)
        return call

    @extend_schema(
        tags=["decision"],
        operation_id="calls_publicity_retrieve",
        summary=gettext_lazy("Public announcement of a call"),
        description=gettext_lazy(
            "The window (null before the announcement starts), every award of the call with its "
            "status and open objections, and the objections with the objectors' details. Bureau "
            "staff of either province and administrators only."
        ),
        responses={200: PublicityDocumentSerializer, **STAFF_ONLY},
    )
    def get(self, request: Request, pk: Any) -> Response:
        call = self._call(request, pk)
        document = publicity_document(call, publicity_of_call(call))
        return Response(PublicityDocumentSerializer(document).data)

    @extend_schema(
        tags=["decision"],
        operation_id="calls_publicity_create",
        summary=gettext_lazy("Start the public announcement"),
        description=gettext_lazy(
            "Announces every award of the call, which must all be approved by both bureaus, from "
            "start_date (today or later) for the call's number of working days on the holiday "
            "calendar. 409: already announced, unapproved awards (named) or no approved award."
        ),
        request=PublicityStartSerializer,
        responses={
            201: PublicityDocumentSerializer,
            **BAD_INPUT,
            **STAFF_ONLY,
            409: OpenApiResponse(
                ApiErrorSerializer, description=gettext_lazy("Code already, unapproved or no_awards.")
            ),
        },
    )
    def post(self, request: Request, pk: Any) -> Response:
        call = self._call(request, pk)
        params = PublicityStartSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            publicity = publicity_start(
                call=call,
                start_date=params.validated_data["start_date"],
                contact=params.validated_data.get("contact", ""),
                by=request.user,
            )
        except PublicityError as error:
            raise _refused(error) from error
        document = publicity_document(call, publicity)
        return Response(PublicityDocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class ObjectionResolveView(APIView):
    """Decide one objection (review staff)."""

    @extend_schema(
        tags=["decision"],
        operation_id="objections_resolve_create",
        summary=gettext_lazy("Decide an objection"),
        description=gettext_lazy(
            "upheld: the award is withdrawn (quota and budget released) and the application not "
            "funded; dismissed: the award is announced again once no other objection to it is open. "
            "The reason is required and emailed to the objector. 409 decided: already decided."
        ),
        request=ObjectionResolveSerializer,
        responses={
            200: ObjectionSerializer,
            **BAD_INPUT,
            401: ApiErrorSerializer,
            404: OpenApiResponse(
                ApiErrorSerializer, description=gettext_lazy("No such objection (also for non-staff).")
            ),
            409: OpenApiResponse(ApiErrorSerializer, description=gettext_lazy("Code decided or conflict.")),
        },
    )
    def post(self, request: Request, pk: Any) -> Response:
        objection = objection_get_for_user(user=request.user, pk=pk)
        params = ObjectionResolveSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            objection = objection_resolve(
                objection=objection,
                decision=params.validated_data["decision"],
                reason=params.validated_data["reason"],
                by=request.user,
            )
        except PublicityError as error:
            raise _refused(error) from error
        return Response(ObjectionSerializer(objection_document(objection)).data)
