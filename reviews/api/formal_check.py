"""The formal check in the API: an application's eligibility checklist, and the bureau's
decision (accept, return for revision, reject as ineligible).

Who sees what: the checklist is for bureau staff of either province and administrators (the
same readers as the staff pages); for anyone else — the team included — the address answers
404, as for an unknown id: the team reads the bureau's outcome and reason on its application,
not the staff's working checklist. The decision is for bureau staff of the lead unit's
province; staff of the other province and administrators, who may read the application, get
403 with the reason.

Refusals in the API's error shape (``portal/api_errors.py``), as the applications API maps
the workflow's refusals: bad input 400 naming ``decision`` or ``reason``; a decision made
meanwhile or an application not waiting for the check 409; a return after the units'
deadline 400 with code ``deadline`` and the deadline in the message.
"""

from typing import Any

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from applications.api.applications import Refused
from applications.models import Application
from applications.workflow import STATES
from portal.api_errors import ApiErrorSerializer
from portal.fields import validate_no_control_characters
from reviews import eligibility
from reviews.models import FormalCheck, FormalDecision
from reviews.permissions import can_formal_check
from reviews.selectors.formal_check import application_for_formal_check
from reviews.services.formal_check import REASON_MAX_LENGTH, FormalCheckError, formal_check_decide

# --- Serializers --------------------------------------------------------------------------


class EligibilityItemSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=gettext_lazy("Stable code of the rule."))
    label = serializers.CharField(help_text=gettext_lazy("The rule, in the request's language."))
    passed = serializers.BooleanField()
    details = serializers.ListField(
        child=serializers.CharField(),
        help_text=gettext_lazy("What fails (or, for some rules that pass, the figures checked)."),
    )


class EligibilitySerializer(serializers.Serializer):
    application = serializers.IntegerField(help_text=gettext_lazy("Id of the application."))
    submission = serializers.IntegerField(
        allow_null=True, help_text=gettext_lazy("Number of the submission whose document was checked.")
    )
    all_passed = serializers.BooleanField()
    items = EligibilityItemSerializer(many=True)


class FormalCheckDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=FormalDecision.choices,
        error_messages={
            "required": gettext_lazy("Choose a decision: accept, return or reject."),
            "invalid_choice": gettext_lazy("“{input}” is not a decision: choose accept, return or reject."),
        },
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=REASON_MAX_LENGTH,
        validators=[validate_no_control_characters],
        help_text=gettext_lazy(
            "Required to return or reject, and to accept when a rule of the checklist fails (a staff "
            "override). The project leader reads it."
        ),
    )


class FormalCheckRowSerializer(serializers.ModelSerializer):
    decided_by_name = serializers.CharField(source="decided_by.full_name", read_only=True)
    checklist = serializers.ListField(
        child=serializers.DictField(),
        help_text=gettext_lazy("The checklist when the decision was made: rule, label, passed, details."),
    )

    class Meta:
        model = FormalCheck
        fields = ["id", "decision", "reason", "decided_by", "decided_by_name", "decided_at", "checklist"]


class FormalCheckResultSerializer(serializers.Serializer):
    application = serializers.IntegerField()
    status = serializers.CharField(help_text=gettext_lazy("The application's new status code."))
    status_label = serializers.CharField()
    formal_check = FormalCheckRowSerializer()


NOT_VISIBLE = {
    404: OpenApiResponse(
        ApiErrorSerializer,
        description=gettext_lazy("No such application, not submitted, or not review staff."),
    )
}
FORBIDDEN = {
    403: OpenApiResponse(
        ApiErrorSerializer,
        description=gettext_lazy("Not yours to decide (staff of the other province, administrators)."),
    )
}
CONFLICT = {
    409: OpenApiResponse(
        ApiErrorSerializer,
        description=gettext_lazy("Decided meanwhile, or not waiting for the formal check."),
    )
}


def _refused(error: FormalCheckError) -> exceptions.APIException:
    if error.code in ("permission", "actor"):
        return exceptions.PermissionDenied(error.message)
    if error.code in ("state", "conflict"):
        return Refused(error.message, code=error.code, status_code=409)
    return Refused(error.message, code=error.code, field=error.field)


# --- Views --------------------------------------------------------------------------------


@extend_schema(tags=["formal check"])
class EligibilityView(APIView):
    """The eligibility checklist of an application."""

    @extend_schema(
        summary=gettext_lazy("Eligibility checklist (formal check)"),
        description=gettext_lazy(
            "Each rule of the formal check — lead unit's province, partner of the other province, guide "
            "task, cap, indirect rate, self-raised share, project limits, attachments and commitments, "
            "deadline, other rules — passed or failed with its details, computed on the document as "
            "submitted. For bureau staff and administrators; 404 for anyone else."
        ),
        responses={200: EligibilitySerializer, 401: ApiErrorSerializer, **NOT_VISIBLE},
    )
    def get(self, request: Request, pk: int) -> Response:
        application = application_for_formal_check(user=request.user, pk=pk)
        submission = eligibility.latest_submission(application)
        items = eligibility.checklist(application, submission=submission)
        payload = {
            "application": application.pk,
            "submission": submission.number if submission else None,
            "all_passed": eligibility.all_passed(items),
            "items": [item.as_dict() for item in items],
        }
        return Response(EligibilitySerializer(payload).data)


@extend_schema(tags=["formal check"])
class FormalCheckView(APIView):
    """The bureau's decision of the formal check."""

    @extend_schema(
        summary=gettext_lazy("Decide the formal check"),
        description=gettext_lazy(
            "Bureau staff of the lead unit's province accept an endorsed application for expert review, "
            "return it to the project leader for revision (until the units' deadline) or reject it as "
            "ineligible. The checklist is stored with the decision; the team is told by email."
        ),
        request=FormalCheckDecisionSerializer,
        responses={
            200: FormalCheckResultSerializer,
            400: ApiErrorSerializer,
            401: ApiErrorSerializer,
            **FORBIDDEN,
            **NOT_VISIBLE,
            **CONFLICT,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        application = application_for_formal_check(user=request.user, pk=pk)
        # Who asks comes first: someone who may not decide learns nothing about the input.
        allowed, why_not = can_formal_check(request.user, application)
        if not allowed:
            raise exceptions.PermissionDenied(why_not)
        params = FormalCheckDecisionSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            formal_check = formal_check_decide(
                application=application,
                decision=params.validated_data["decision"],
                reason=params.validated_data.get("reason", ""),
                by=request.user,
            )
        except FormalCheckError as error:
            raise _refused(error) from error
        return Response(FormalCheckResultSerializer(_result(application, formal_check)).data)


def _result(application: Application, formal_check: FormalCheck) -> dict[str, Any]:
    return {
        "application": application.pk,
        "status": application.status,
        "status_label": str(STATES[application.status].staff_label),
        "formal_check": formal_check,
    }
