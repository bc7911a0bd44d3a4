"""The expert's workspace in the API: the declaration for an assignment, and the expert's
own review of it (read, save as a draft, submit).

Only the assigned expert: an assignment that is not the caller's own answers 404, as for an
unknown id (staff too: staff read reviews elsewhere). Refusals in the API's error shape
(``portal/api_errors.py``):

* bad input → 400, each error naming its field: ``no_conflict`` / ``conflict`` for the
  declaration; ``scores.<criterion code>`` (code ``out_of_range``, ``not_a_number``,
  ``too_precise``, ``unknown_criterion``, or ``required`` on a submission — one error per
  missing criterion), ``comments.<code>``, ``comment``, ``recommendation``;
* a step not possible in the assignment's state → 409: ``not_declared`` (review before the
  declaration), ``declined``, ``already_declared``, ``locked`` (a second submission),
  ``stale`` (the review was saved meanwhile; send the version read), ``closed`` (the
  application is no longer under review).
"""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from applications.api.applications import Refused
from portal.api_errors import ApiErrorSerializer
from reviews.models import Assignment, Review, ReviewStatus
from reviews.selectors import workspace as selectors
from reviews.services import reviewing as service
from reviews.services.reviewing import DECLARATION_CODE, DECLARATION_TEXT, ReviewError, ReviewInvalid

# Refusals of a state (409) rather than of the input (400).
STATE_CODES = frozenset({"not_declared", "declined", "already_declared", "locked", "stale", "closed"})

NOT_YOURS = {
    404: OpenApiResponse(
        ApiErrorSerializer, description=gettext_lazy("No such assignment among yours (also for staff).")
    )
}
NOT_SIGNED_IN = {401: ApiErrorSerializer}
BAD_INPUT = {
    400: OpenApiResponse(ApiErrorSerializer, description=gettext_lazy("Bad input; errors name the fields."))
}
CONFLICT = {
    409: OpenApiResponse(
        ApiErrorSerializer,
        description=gettext_lazy(
            "Not possible in this state: code not_declared, declined, already_declared, locked, stale or closed."
        ),
    )
}


def _refused(error: ReviewError) -> exceptions.APIException:
    if isinstance(error, ReviewInvalid):
        detail: dict[str, list] = {}
        for item in error.errors:
            detail.setdefault(item.field or "non_field_errors", []).append(
                exceptions.ErrorDetail(item.message, code=item.code)
            )
        return exceptions.ValidationError(detail)
    if error.code == "not_yours":
        return exceptions.NotFound(_("There is no assignment with this id among yours."))
    status_code = 409 if error.code in STATE_CODES else 400
    return Refused(error.message, code=error.code, field=error.field, status_code=status_code)


# --- The declaration --------------------------------------------------------------------------


class DeclareRequestSerializer(serializers.Serializer):
    no_conflict = serializers.BooleanField(
        required=False,
        help_text=gettext_lazy(
            "true: you declare no conflict of interest with the application's units and team, and "
            "confidentiality. Send this or conflict, not both."
        ),
    )
    conflict = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=True,
        max_length=service.MAX_REASON,
        help_text=gettext_lazy(
            "The conflict of interest you declare, in words; you will not review the application."
        ),
    )


class AssignmentDeclaredSerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id", read_only=True)
    declaration = serializers.SerializerMethodField(help_text=gettext_lazy("Code of the declaration signed."))
    declaration_text = serializers.SerializerMethodField()
    # A plain string in the schema: the assignments API names the enum of these codes.
    status = serializers.CharField(read_only=True, help_text=gettext_lazy("declared or declined."))

    class Meta:
        model = Assignment
        fields = ["id", "application", "status", "declared_at", "declaration", "declaration_text"]
        read_only_fields = fields

    def get_declaration(self, obj: Assignment) -> str:
        return DECLARATION_CODE

    def get_declaration_text(self, obj: Assignment) -> str:
        return str(DECLARATION_TEXT)


def _own_assignment(request: Request, pk: Any) -> Assignment:
    return selectors.assignment_get_for_user(user=request.user, pk=pk)


class DeclareView(APIView):
    """The expert's declaration for one assigned application, before reading it."""

    @extend_schema(
        tags=["review"],
        summary=gettext_lazy("Declare for an assignment"),
        description=gettext_lazy(
            "Send exactly one of {no_conflict: true} (no conflict of interest, confidentiality: the "
            'application opens for your review) or {conflict: "reason"} (you will not review it; the '
            "conflict is recorded). Both or none: 400 naming the fields. Only once: a second, different "
            "declaration is 409 already_declared; the same one again changes nothing."
        ),
        request=DeclareRequestSerializer,
        responses={200: AssignmentDeclaredSerializer, **BAD_INPUT, **NOT_SIGNED_IN, **NOT_YOURS, **CONFLICT},
    )
    def post(self, request: Request, pk: Any) -> Response:
        assignment = _own_assignment(request, pk)
        params = DeclareRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        has_flag, has_conflict = "no_conflict" in data, "conflict" in data
        if has_flag == has_conflict:
            message = _('Send exactly one of "no_conflict": true or "conflict": "the reason".')
            raise exceptions.ValidationError(
                {
                    "no_conflict": [exceptions.ErrorDetail(message, code="one_of")],
                    "conflict": [exceptions.ErrorDetail(message, code="one_of")],
                }
            )
        if has_flag and data["no_conflict"] is not True:
            raise Refused(
                _('To declare no conflict of interest send "no_conflict": true; otherwise send "conflict".'),
                code="invalid",
                field="no_conflict",
            )
        if has_conflict and not data["conflict"]:
            raise Refused(_("Please describe the conflict of interest."), code="required", field="conflict")
        try:
            assignment = service.assignment_declare(
                assignment=assignment,
                by=request.user,
                no_conflict=has_flag,
                conflict_reason=data.get("conflict", ""),
            )
        except ReviewError as error:
            if error.field == "conflict_reason":
                error.field = "conflict"
            raise _refused(error) from error
        return Response(AssignmentDeclaredSerializer(assignment).data)


# --- The review -------------------------------------------------------------------------------


class CriterionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(help_text=gettext_lazy("In the request's language."))
    weight = serializers.DecimalField(max_digits=5, decimal_places=2)
    max_points = serializers.DecimalField(max_digits=5, decimal_places=2)


class ReviewReadSerializer(serializers.Serializer):
    """The expert's own review; ``status`` is not_started before the first save."""

    assignment = serializers.IntegerField()
    assignment_status = serializers.CharField(help_text=gettext_lazy("assigned, declared or declined."))
    status = serializers.ChoiceField(choices=["not_started", *ReviewStatus.values])
    version = serializers.IntegerField(
        help_text=gettext_lazy("Send it back with the next save; 0 before the first.")
    )
    scores = serializers.DictField(
        child=serializers.DecimalField(max_digits=5, decimal_places=2),
        help_text=gettext_lazy("Points by criterion code."),
    )
    comments = serializers.DictField(
        child=serializers.CharField(), help_text=gettext_lazy("Comments by criterion code.")
    )
    comment = serializers.CharField(allow_blank=True)
    recommendation = serializers.CharField(
        allow_blank=True, help_text=gettext_lazy("fund, changes or reject.")
    )
    total = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        allow_null=True,
        help_text=gettext_lazy(
            "Weighted total (reviews/scoring.py): final once submitted; on a draft, of the criteria scored so far."
        ),
    )
    submitted_at = serializers.DateTimeField(allow_null=True)
    criteria = CriterionSerializer(many=True, help_text=gettext_lazy("The call's rubric, in order."))


class ReviewWriteSerializer(serializers.Serializer):
    scores = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text=gettext_lazy(
            "Points by criterion code: a number or a decimal string, 0 to the criterion's maximum, at most "
            "2 decimals; null or absent = not scored (a draft may be partial; a submission needs all)."
        ),
    )
    comments = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        help_text=gettext_lazy("Optional comment by criterion code."),
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, help_text=gettext_lazy("Required to submit.")
    )
    recommendation = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("fund, changes (fund with changes) or reject; required to submit."),
    )
    submit = serializers.BooleanField(
        required=False,
        default=False,
        help_text=gettext_lazy("true: submit (then locked); false: save a draft."),
    )
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=gettext_lazy(
            "The version you read (0 before the first save); a save from another version is refused "
            "(409 stale). Absent or null: not checked."
        ),
    )


WRITABLE = frozenset(ReviewWriteSerializer().fields)
# Keys of the answer a client may send back as read: ignored.
READ_ONLY = frozenset(ReviewReadSerializer().fields) - WRITABLE


def review_payload(assignment: Assignment) -> dict[str, Any]:
    criteria = selectors.criteria_of(assignment.application.call_id)
    review: Review | None = selectors.review_with_scores(assignment)
    points = selectors.points_of(review)
    total = None
    if review is not None and review.status == ReviewStatus.SUBMITTED:
        total = review.total
    elif points:
        total = service.total_of(points, criteria)
    return {
        "assignment": assignment.pk,
        "assignment_status": assignment.status,
        "status": review.status if review is not None else "not_started",
        "version": review.version if review is not None else 0,
        "scores": points,
        "comments": selectors.comments_of(review),
        "comment": review.comment if review is not None else "",
        "recommendation": review.recommendation if review is not None else "",
        "total": total,
        "submitted_at": review.submitted_at if review is not None else None,
        "criteria": [
            {"code": c.code, "name": c.name, "weight": c.weight, "max_points": c.max_points} for c in criteria
        ],
    }


class ReviewView(APIView):
    """The expert's own review of one assigned application."""

    @extend_schema(
        tags=["review"],
        summary=gettext_lazy("Your review of an assignment"),
        description=gettext_lazy(
            "Your review with its scores, the call's rubric and the version to send back; status "
            "not_started before the first save. Never another expert's review."
        ),
        responses={200: ReviewReadSerializer, **NOT_SIGNED_IN, **NOT_YOURS},
    )
    def get(self, request: Request, pk: Any) -> Response:
        assignment = _own_assignment(request, pk)
        return Response(ReviewReadSerializer(review_payload(assignment)).data)

    @extend_schema(
        tags=["review"],
        summary=gettext_lazy("Save or submit your review"),
        description=gettext_lazy(
            "The whole review: scores and comments not sent are removed. submit false saves a draft "
            "(may be partial); submit true checks that every criterion has points and that the overall "
            "comment and the recommendation are given, stores the weighted total and locks the review. "
            "All or nothing: on any error nothing is saved. Only after the declaration (409 not_declared); "
            "a second submission is 409 locked. Keys of the answer that cannot be written are ignored."
        ),
        request=ReviewWriteSerializer,
        responses={200: ReviewReadSerializer, **BAD_INPUT, **NOT_SIGNED_IN, **NOT_YOURS, **CONFLICT},
    )
    def put(self, request: Request, pk: Any) -> Response:
        assignment = _own_assignment(request, pk)
        if not isinstance(request.data, Mapping):
            raise Refused(_("Send a JSON object."), code="parse_error")
        unknown = sorted(set(request.data) - WRITABLE - READ_ONLY)
        if unknown:
            message = _("There is no such field. These can be written: %(fields)s.") % {
                "fields": ", ".join(sorted(WRITABLE))
            }
            raise exceptions.ValidationError(
                {key: [exceptions.ErrorDetail(message, code="unknown_field")] for key in unknown}
            )
        params = ReviewWriteSerializer(data={k: v for k, v in request.data.items() if k in WRITABLE})
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            service.review_save(
                assignment=assignment,
                by=request.user,
                points=data.get("scores") or {},
                comments=data.get("comments") or {},
                comment=data.get("comment", ""),
                recommendation=data.get("recommendation", ""),
                submit=data.get("submit", False),
                version=data.get("version"),
            )
        except ReviewError as error:
            raise _refused(error) from error
        assignment.refresh_from_db()
        return Response(ReviewReadSerializer(review_payload(assignment)).data)
