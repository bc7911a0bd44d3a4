"""The notices API: start a call's batch, list its notices, download a notice, make a new version.

* ``GET /api/v1/calls/{id}/notices/`` — review staff: the current notice of every final award
  of the call, in number order.
* ``POST /api/v1/calls/{id}/notices/`` — review staff: start the batch (or send again the one
  under way) → 202 ``{job, status, status_url}``; follow ``GET /api/v1/jobs/{job}/``. With the
  broker down the answer is still 202 with status ``queued``: the job is sent again later.
  409 when the call has no final award.
* ``GET /api/v1/notices/{id}/pdf/`` — staff, the project leader, the lead unit's
  administrator: the PDF of that version; 409 ``not_built`` while it is being built or
  after it failed; 404 for anyone else, as for an unknown id.
* ``POST /api/v1/notices/{id}/regenerate/`` {reason} — staff: a new version (same number, new
  verification code), built in the background → 202 with the new notice; 400 without a
  reason; 409 while the current version is still being built.
"""

from typing import Any

from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from applications.models import FundingCall
from portal.api_errors import ApiErrorSerializer
from reviews.models import FundingNotice, NoticeStatus
from reviews.permissions import can_manage_notices, require_review_staff
from reviews.selectors.notices import notice_get_for_user, notices_of_call
from reviews.services.notices import MAX_REASON, NoticeError, notice_regenerate, notices_batch_start

# --- Serializers -----------------------------------------------------------------------------


class NoticeSerializer(serializers.ModelSerializer):
    call = serializers.IntegerField(source="award.call_id", read_only=True)
    application = serializers.IntegerField(source="award.application_id", read_only=True)
    application_title = serializers.CharField(source="award.application.title", read_only=True)
    lead_unit = serializers.CharField(source="award.application.lead_unit.name", read_only=True)
    project_leader = serializers.CharField(source="award.application.pi.full_name", read_only=True)
    serial = serializers.IntegerField(source="award.notice_serial", read_only=True)
    amount_sc = serializers.DecimalField(
        source="award.amount_sc",
        max_digits=14,
        decimal_places=2,
        read_only=True,
        help_text=gettext_lazy("Sichuan government funding (yuan)."),
    )
    amount_cq = serializers.DecimalField(
        source="award.amount_cq",
        max_digits=14,
        decimal_places=2,
        read_only=True,
        help_text=gettext_lazy("Chongqing government funding (yuan)."),
    )
    status = serializers.ChoiceField(
        choices=NoticeStatus.choices, read_only=True, help_text=gettext_lazy("pending, done or failed.")
    )
    pdf_url = serializers.SerializerMethodField(help_text=gettext_lazy("Where the PDF is, once done."))

    class Meta:
        model = FundingNotice
        fields = [
            "id",
            "call",
            "award",
            "application",
            "application_title",
            "lead_unit",
            "project_leader",
            "number",
            "serial",
            "version",
            "current",
            "status",
            "amount_sc",
            "amount_cq",
            "verification_code",
            "sha256",
            "attempts",
            "error",
            "created_at",
            "generated_at",
            "emailed_at",
            "pdf_url",
        ]
        read_only_fields = fields

    def get_pdf_url(self, notice: FundingNotice) -> str | None:
        if notice.status != NoticeStatus.DONE:
            return None
        return reverse("api-notice-pdf", args=[notice.pk])


class BatchStartedSerializer(serializers.Serializer):
    job = serializers.IntegerField(help_text=gettext_lazy("Id of the job: GET /api/v1/jobs/{job}/."))
    status = serializers.CharField(help_text=gettext_lazy("queued, running, done or failed."))
    status_url = serializers.CharField()


class RegenerateSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=MAX_REASON, help_text=gettext_lazy("Why a new version is made (audited).")
    )


# --- Helpers ---------------------------------------------------------------------------------

NOT_SIGNED_IN = {401: ApiErrorSerializer}
FORBIDDEN = {
    403: OpenApiResponse(ApiErrorSerializer, description=gettext_lazy("Only review staff may do this."))
}


def _refused(error: NoticeError) -> exceptions.APIException:
    if error.code == "not_allowed":
        return exceptions.PermissionDenied(error.message)
    detail = {error.field: [error.message]} if error.field else [error.message]
    refusal = exceptions.ValidationError(detail, code=error.code)
    if error.code == "state":
        refusal.status_code = status.HTTP_409_CONFLICT
    return refusal


class _AnyAccept(BaseContentNegotiation):
    """The PDF address answers a PDF (or a JSON error) whatever the client accepts."""

    def select_parser(self, request: Request, parsers: list) -> Any:
        return parsers[0]

    def select_renderer(self, request: Request, renderers: list, format_suffix: str | None = None) -> tuple:
        return renderers[0], renderers[0].media_type


# --- Views -----------------------------------------------------------------------------------


def _call_or_404(pk: int) -> FundingCall:
    # Not get_object_or_404, whose message names the model in English: errors of the API are in
    # the request's language.
    call = FundingCall.objects.filter(pk=pk).first()
    if call is None:
        raise Http404(_("There is no call with this id."))
    return call


@extend_schema(tags=["notices"])
class NoticeBatchView(APIView):
    """A call's funding notices (review staff)."""

    @extend_schema(
        summary=gettext_lazy("The funding notices of a call"),
        description=gettext_lazy(
            "The current notice of every final award of the call, in number order, with its status "
            "(pending, done, failed), fingerprint and the address of its PDF."
        ),
        responses={200: NoticeSerializer(many=True), **NOT_SIGNED_IN, **FORBIDDEN, 404: ApiErrorSerializer},
    )
    def get(self, request: Request, pk: int) -> Response:
        require_review_staff(request.user)
        call = _call_or_404(pk)
        return Response(NoticeSerializer(notices_of_call(call), many=True).data)

    @extend_schema(
        summary=gettext_lazy("Build the funding notices of a call"),
        description=gettext_lazy(
            "Numbers every final award (without gaps) and builds one notice per award in the background; "
            "a batch already under way is sent again rather than doubled, and a new run builds only what "
            "is missing or failed. Answers 202 with the job to follow at /api/v1/jobs/{job}/ — also when "
            "the task queue is down: the job then stays queued and is sent again automatically. 409 when "
            "the call has no final award."
        ),
        request=None,
        responses={
            202: BatchStartedSerializer,
            **NOT_SIGNED_IN,
            **FORBIDDEN,
            404: ApiErrorSerializer,
            409: ApiErrorSerializer,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        require_review_staff(request.user)
        call = _call_or_404(pk)
        try:
            job = notices_batch_start(call=call, by=request.user)
        except NoticeError as error:
            raise _refused(error) from error
        return Response(
            {"job": job.pk, "status": job.status, "status_url": reverse("api-job", args=[job.pk])},
            status=status.HTTP_202_ACCEPTED,
        )


@extend_schema(tags=["notices"])
class NoticePdfView(APIView):
    """One notice version's PDF."""

    content_negotiation_class = _AnyAccept

    @extend_schema(
        summary=gettext_lazy("The PDF of a funding notice"),
        description=gettext_lazy(
            "For review staff, the project leader and the administrator of the lead unit. 409 (code "
            "not_built) while the notice is being built or after it failed."
        ),
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description=gettext_lazy("The PDF.")
            ),
            (401, "application/json"): ApiErrorSerializer,
            (404, "application/json"): OpenApiResponse(
                ApiErrorSerializer, description=gettext_lazy("No such notice, or not yours to see.")
            ),
            (409, "application/json"): ApiErrorSerializer,
        },
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        notice = notice_get_for_user(user=request.user, pk=pk)
        if notice.status != NoticeStatus.DONE or not notice.file:
            refusal = exceptions.ValidationError(
                [_("This notice is not built yet (status: %(status)s).") % {"status": notice.status}],
                code="not_built",
            )
            refusal.status_code = status.HTTP_409_CONFLICT
            raise refusal
        try:
            handle = notice.file.open("rb")
        except OSError as error:
            raise Http404(_("The notice's file is missing; staff can make a new version.")) from error
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"notice-{notice.award.call.year}-{notice.award.notice_serial}-v{notice.version}.pdf",
            content_type="application/pdf",
        )


@extend_schema(tags=["notices"])
class NoticeRegenerateView(APIView):
    """A new version of a funding notice (review staff)."""

    @extend_schema(
        summary=gettext_lazy("Make a new version of a funding notice"),
        description=gettext_lazy(
            "The new version keeps the notice number, gets a new verification code and is built in the "
            "background (202 with it; poll GET on the list or the PDF). The replaced version stays "
            "readable and verifiable, marked as no longer current. 400 without a reason; 409 while the "
            "current version is still being built."
        ),
        request=RegenerateSerializer,
        responses={
            202: NoticeSerializer,
            400: ApiErrorSerializer,
            **NOT_SIGNED_IN,
            **FORBIDDEN,
            404: ApiErrorSerializer,
            409: ApiErrorSerializer,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        notice = notice_get_for_user(user=request.user, pk=pk)
        allowed, reason = can_manage_notices(request.user)
        if not allowed:
            raise exceptions.PermissionDenied(reason)
        params = RegenerateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            new = notice_regenerate(
                award=notice.award, by=request.user, reason=params.validated_data["reason"]
            )
        except NoticeError as error:
            raise _refused(error) from error
        new = notice_get_for_user(user=request.user, pk=new.pk)
        return Response(NoticeSerializer(new).data, status=status.HTTP_202_ACCEPTED)
