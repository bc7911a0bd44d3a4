"""The applications API: a team writes its application section by section, uploads the
attachments, signs the commitment and submits; the lead unit's administrator endorses or
returns it.

Every read goes through ``applications.selectors`` (an application the caller may not read
is a 404, as for an unknown id) and every write through one service of
``applications.services``; this module only parses requests, asks the permission functions
and maps the services' refusals to the API's error shape (``portal/api_errors.py``):

* bad input → 400, each error naming its ``field`` (and, for the rules of the application,
  its ``section``);
* a stale version, an application no longer editable, a move made already → 409;
* something the caller may read but not do → 403 with the reason.

The section data of ``PATCH`` is handed to ``application_save`` as it came: the service checks
every field and row itself, keeps what is valid and names what it refused.
"""

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from applications import inputs, selectors, workflow
from applications.api.application_serializers import (
    ApplicationChangeSerializer,
    ApplicationCreateSerializer,
    ApplicationDetailSerializer,
    ApplicationSummarySerializer,
    AttachmentRowSerializer,
    AttachmentUploadSerializer,
    CommitmentSerializer,
    PrintJobSerializer,
    ProblemsErrorSerializer,
    ReturnSerializer,
    SaveRefusedSerializer,
    SubmitResultSerializer,
    VersionSerializer,
    WithdrawSerializer,
)
from applications.document import document_of
from applications.models import (
    Application,
    GuideTask,
)
from applications.permissions import can_edit_application, is_team_member
from applications.problems import problems_of
from applications.services import (
    ApplicationError,
    NotEditable,
    StaleDraft,
    SubmissionRefused,
    application_commit,
    application_create,
    application_move,
    application_save,
    application_submit,
    attachment_upload,
)
from applications.workflow import TRANSITIONS_BY_ACTION, TransitionConflict, TransitionError, applicant_label
from portal.accounts.roles import Role
from portal.api_errors import ApiErrorSerializer

# --- Refusals -----------------------------------------------------------------------------


class Refused(exceptions.ValidationError):
    """A refusal with its own status code in the API's error shape, naming ``field`` when the
    refusal concerns one input (the exception handler flattens it like any validation error)."""

    def __init__(self, message: str, *, code: str, field: str | None = None, status_code: int = 400) -> None:
        super().__init__({field: [message]} if field else [message], code=code)
        self.status_code = status_code


def _refused_by_service(error: ApplicationError) -> Refused:
    if isinstance(error, StaleDraft | NotEditable):
        return Refused(error.message, code=error.code, field=error.field or None, status_code=409)
    if error.code == "not_allowed":
        return Refused(error.message, code="permission_denied", status_code=403)
    return Refused(error.message, code=error.code, field=error.field or None)


def _refused_by_workflow(error: TransitionError) -> exceptions.APIException:
    if isinstance(error, TransitionConflict) or error.code in ("state", "conflict"):
        return Refused(error.message, code=error.code, status_code=409)
    if error.code == "actor":
        return exceptions.PermissionDenied(error.message)
    if error.code == "reason":
        return Refused(error.message, code="required", field="reason")
    return Refused(error.message, code=error.code)


def _problems_response(message: str, problems: list, **extra: Any) -> Response:
    """400 in the API's error shape, each error also naming the section of the application."""
    return Response(
        {"detail": message, "errors": [problem.as_dict() for problem in problems], **extra},
        status=status.HTTP_400_BAD_REQUEST,
    )


# --- Reading ------------------------------------------------------------------------------

WRITABLE_KEYS = frozenset({"guide_task", *inputs.SCALARS, *inputs.ROW_SECTIONS})
# Keys of the answer that cannot be changed here: a client may send back the document it
# read, and these keys are then ignored.
READ_ONLY_KEYS = frozenset(ApplicationDetailSerializer().fields) - WRITABLE_KEYS - {"version"}

_DATETIME = serializers.DateTimeField()


def _time(value: Any) -> str | None:
    # As every time of the API: ISO 8601 in Asia/Shanghai (+08:00).
    return _DATETIME.to_representation(value) if value is not None else None


def _moves(user: Any, application: Application) -> list[dict[str, Any]]:
    moves = []
    for move in workflow.moves_for(user, application):
        try:
            workflow.check(move, application, user)
        except TransitionError:
            continue  # past its deadline
        deadline = workflow.deadline_of(move, application)
        moves.append(
            {"action": move.action, "reason_required": move.reason_required, "deadline": _time(deadline)}
        )
    return moves


def detail_payload(application: Application, user: Any) -> dict[str, Any]:
    """The document of ``application`` (loaded with its parts) and where it stands for ``user``."""
    return {
        **document_of(application),
        "status": application.status,
        "status_label": applicant_label(application.status),
        "version": application.version,
        "can_edit": can_edit_application(user, application)[0],
        "problems": [problem.as_dict() for problem in problems_of(application)],
        "moves": _moves(user, application),
        "submissions": [
            {
                "number": submission.number,
                "sha256": submission.sha256,
                "verification_code": submission.verification_code,
                "submitted_at": _time(submission.submitted_at),
            }
            for submission in application.submissions.all()
        ],
    }


def _section_data(raw: Any) -> dict[str, Any]:
    """The sections of a PATCH body, as plain data for ``application_save``."""
    if not isinstance(raw, Mapping):
        raise Refused(_("Send a JSON object."), code="parse_error")
    data = raw.dict() if hasattr(raw, "dict") else dict(raw)  # a form body is a QueryDict
    unknown = sorted(set(data) - WRITABLE_KEYS - READ_ONLY_KEYS - {"version"})
    if unknown:
        raise exceptions.ValidationError(
            {
                key: [
                    exceptions.ErrorDetail(
                        _("There is no such field. These can be changed: %(fields)s.")
                        % {"fields": ", ".join(sorted(WRITABLE_KEYS))},
                        code="unknown_field",
                    )
                ]
                for key in unknown
            }
        )
    sections = {key: value for key, value in data.items() if key in WRITABLE_KEYS}
    task = sections.get("guide_task")
    if isinstance(task, Mapping):
        # The document shows the task as an object; sent back as it was read, its id counts.
        sections["guide_task"] = task.get("id")
    return sections


class _AnyAccept(BaseContentNegotiation):
    """The PDF address answers a PDF (or JSON while it is being printed) whatever the client
    says it accepts: ``Accept: application/pdf`` must not end in 406."""

    def select_parser(self, request: Request, parsers: list) -> Any:
        return parsers[0]

    def select_renderer(self, request: Request, renderers: list, format_suffix: str | None = None) -> tuple:
        return renderers[0], renderers[0].media_type


# --- The viewset --------------------------------------------------------------------------

NOT_VISIBLE = {
    404: OpenApiResponse(
        ApiErrorSerializer, description=gettext_lazy("No such application, or not yours to see.")
    )
}
NOT_SIGNED_IN = {401: ApiErrorSerializer}
FORBIDDEN = {
    403: OpenApiResponse(
        ApiErrorSerializer, description=gettext_lazy("You may read it but not do this; the reason is given.")
    )
}
CONFLICT = {
    409: OpenApiResponse(
        ApiErrorSerializer,
        description=gettext_lazy("Changed in the meantime, or not possible in this state."),
    )
}


@extend_schema_view(
    list=extend_schema(
        summary=gettext_lazy("Your applications"),
        description=gettext_lazy(
            "The applications you lead or are a teammate of, newest first. For a unit administrator: "
            "the applications your unit leads that have been submitted."
        ),
        responses={200: ApplicationSummarySerializer(many=True), **NOT_SIGNED_IN},
    ),
    create=extend_schema(
        summary=gettext_lazy("Start an application"),
        description=gettext_lazy(
            "A new draft for an open call, led by you for your unit; you are its project leader. "
            "Refused (400, naming call) when you may not apply to the call."
        ),
        request=ApplicationCreateSerializer,
        responses={201: ApplicationDetailSerializer, 400: ApiErrorSerializer, **NOT_SIGNED_IN},
    ),
    retrieve=extend_schema(
        summary=gettext_lazy("One application"),
        description=gettext_lazy(
            "The whole document with its status, version, what is still missing (problems), the steps "
            "you may take now (moves) and its submissions."
        ),
        responses={200: ApplicationDetailSerializer, **NOT_SIGNED_IN, **NOT_VISIBLE},
    ),
    partial_update=extend_schema(
        summary=gettext_lazy("Change sections of a draft"),
        description=gettext_lazy(
            "Send version (required) and any sections; a list section replaces its rows. Every field is "
            "checked on its own and every list section as a whole: the valid parts ARE saved even when "
            "others are refused. All saved: 200 with the document. Some refused: 400 listing them in "
            "errors (section, field, code, message), with the new version and the parts saved. Keys of "
            "the answer that cannot be changed here (id, reference, status, problems…) are ignored, so a "
            "client may send back what it read; other unknown keys are refused. Only the "
            "project team may change the application, and only while it is a draft or returned."
        ),
        request=ApplicationChangeSerializer,
        responses={
            200: ApplicationDetailSerializer,
            400: SaveRefusedSerializer,
            **NOT_SIGNED_IN,
            **FORBIDDEN,
            **NOT_VISIBLE,
            **CONFLICT,
        },
    ),
)
@extend_schema(tags=["applications"])
class ApplicationViewSet(viewsets.GenericViewSet):
    """Applications: the team writes and submits, the lead unit endorses or returns."""

    serializer_class = ApplicationSummarySerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Application]:
        user = self.request.user
        if getattr(user, "role", None) == Role.UNIT_ADMIN:
            return selectors.applications_of_unit(user)
        return selectors.applications_of_user(user)

    # Moves load the application's parts themselves (under the row lock): the lookup that
    # decides visibility reads only the row, its call, units and team.
    LIGHT_ACTIONS = frozenset({"withdraw", "endorse", "return"})

    def get_object(self) -> Application:
        return selectors.application_get_for_user(
            user=self.request.user, pk=self.kwargs["pk"], parts=self.action not in self.LIGHT_ACTIONS
        )

    # Checks shared by the actions: what a reader may not do is 403 with the reason.

    def _require_team(self, application: Application) -> None:
        allowed, reason = can_edit_application(self.request.user, application)
        if not allowed and not is_team_member(self.request.user, application):
            raise exceptions.PermissionDenied(reason)

    def _require_actor(self, action_name: str, application: Application) -> None:
        move = TRANSITIONS_BY_ACTION[action_name]
        if not workflow.actor_may(move.actor, self.request.user, application):
            raise exceptions.PermissionDenied(_("You may not do this on this application."))

    def _detail(self, application: Application, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.application_with_parts(application.pk)
        return Response(detail_payload(fresh, self.request.user), status=status_code)

    # The application itself.

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def create(self, request: Request) -> Response:
        params = ApplicationCreateSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            call = selectors.call_get_for_user(user=request.user, pk=data["call"])
        except Http404 as missing:
            raise Refused(
                _("There is no call with this id."), code="does_not_exist", field="call"
            ) from missing
        task = None
        if data.get("guide_task") is not None:
            task = GuideTask.objects.filter(pk=data["guide_task"], call=call).first()
            if task is None:
                raise Refused(_("Choose a guide task of this call."), code="invalid", field="guide_task")
        try:
            application = application_create(
                call=call, by=request.user, guide_task=task, title=data.get("title", "")
            )
        except ApplicationError as error:
            # Refusals of can_apply concern applying to this call.
            raise Refused(error.message, code=error.code, field=error.field or "call") from error
        return self._detail(application, status.HTTP_201_CREATED)

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return Response(detail_payload(self.get_object(), request.user))

    def partial_update(self, request: Request, pk: Any = None) -> Response:
        application = self.get_object()
        self._require_team(application)
        sections = _section_data(request.data)
        version = VersionSerializer(
            data={"version": request.data["version"]} if "version" in request.data else {}
        )
        version.is_valid(raise_exception=True)
        try:
            result = application_save(
                application=application,
                data=sections,
                version=version.validated_data["version"],
                by=request.user,
            )
        except ApplicationError as error:
            raise _refused_by_service(error) from error
        if result.errors:
            return _problems_response(
                _("Some parts were not saved (see errors); the others were saved."),
                result.errors,
                version=result.application.version,
                saved=result.saved,
            )
        return self._detail(application)

    # Attachments and the commitment.

    @extend_schema(
        summary=gettext_lazy("Upload an attachment"),
        description=gettext_lazy(
            "A PDF (checked by its content) of at most 20 MB; it replaces the attachment of the same kind "
            "(and partner). Refused with 400 naming file when it is not a PDF, too large or its name "
            "holds a path."
        ),
        request=AttachmentUploadSerializer,
        responses={
            201: AttachmentRowSerializer,
            400: ApiErrorSerializer,
            **NOT_SIGNED_IN,
            **FORBIDDEN,
            **NOT_VISIBLE,
            **CONFLICT,
        },
    )
    @action(detail=True, methods=["post"], url_path="attachments", parser_classes=[MultiPartParser])
    def attachments(self, request: Request, pk: Any = None) -> Response:
        application = self.get_object()
        self._require_team(application)
        params = AttachmentUploadSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        try:
            attachment = attachment_upload(
                application=application,
                kind=data["kind"],
                upload=data["file"],
                by=request.user,
                version=data["version"],
                partner_uscc=data.get("partner_uscc", ""),
            )
        except ApplicationError as error:
            raise _refused_by_service(error) from error
        body = {
            "kind": attachment.kind,
            "partner_uscc": attachment.partner_uscc,
            "name": attachment.original_name,
            "size": attachment.size,
            "sha256": attachment.sha256,
        }
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("Sign the integrity commitment"),
        description=gettext_lazy("The project leader signs (or takes back) the integrity commitment."),
        request=CommitmentSerializer,
        responses={
            200: ApplicationDetailSerializer,
            400: ApiErrorSerializer,
            **NOT_SIGNED_IN,
            **FORBIDDEN,
            **NOT_VISIBLE,
            **CONFLICT,
        },
    )
    @action(detail=True, methods=["post"], url_path="commitment")
    def commitment(self, request: Request, pk: Any = None) -> Response:
        application = self.get_object()
        if application.pi_id != request.user.pk:
            raise exceptions.PermissionDenied(_("Only the project leader can sign the integrity commitment."))
        params = CommitmentSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        try:
            application_commit(
                application=application,
                by=request.user,
                version=params.validated_data["version"],
                committed=params.validated_data["committed"],
            )
        except ApplicationError as error:
            raise _refused_by_service(error) from error
        return self._detail(application)

    # The moves of the workflow.

    @extend_schema(
        summary=gettext_lazy("Submit the application"),
        description=gettext_lazy(
            "The project leader submits: every rule of the call is checked, and a refusal (400) lists "
            "every problem at once. The submitted document is frozen with a fingerprint and a "
            "verification code. 409 when it has been submitted already; 400 after the deadline."
        ),
        request=None,
        responses={
            200: SubmitResultSerializer,
            400: ProblemsErrorSerializer,
            **NOT_SIGNED_IN,
            **FORBIDDEN,
            **NOT_VISIBLE,
            **CONFLICT,
        },
    )
    @action(detail=True, methods=["post"], url_path="submit")
    def submit(self, request: Request, pk: Any = None) -> Response:
        # The hot path of a deadline rush: the service reads (and locks) the row once and
        # checks the submitter first; who was refused is told apart only then (404 for who
        # may not read the application, 403 for the others).
        text = str(pk)
        if not (text.isascii() and text.isdigit()):
            raise Http404(_("There is no application with this id."))
        try:
            application = application_submit(application=Application(pk=int(text)), by=request.user)
        except Application.DoesNotExist as missing:
            raise Http404(_("There is no application with this id.")) from missing
        except SubmissionRefused as refused:
            return _problems_response(refused.message, refused.problems)
        except TransitionError as error:
            if error.code == "actor":
                self._require_actor("submit", self.get_object())
            raise _refused_by_workflow(error) from error
        except ApplicationError as error:
            raise _refused_by_service(error) from error
        submission = application.latest_submission
        return Response(
            {
                "status": application.status,
                "status_label": applicant_label(application.status),
                "version": application.version,
                "submission": {
                    "number": submission.number,
                    "sha256": submission.sha256,
                    "verification_code": submission.verification_code,
                    "submitted_at": _time(submission.submitted_at),
                },
            }
        )

    def _move(self, request: Request, action_name: str, params: serializers.Serializer | None) -> Response:
        application = self.get_object()
        self._require_actor(action_name, application)
        reason = ""
        if params is not None:
            params.is_valid(raise_exception=True)
            reason = params.validated_data.get("reason", "")
        try:
            application_move(application=application, action=action_name, by=request.user, reason=reason)
        except TransitionError as error:
            raise _refused_by_workflow(error) from error
        except ApplicationError as error:
            raise _refused_by_service(error) from error
        return self._detail(application)

    @extend_schema(
        summary=gettext_lazy("Withdraw the application"),
        description=gettext_lazy("The project leader withdraws it, until the bureau has accepted it."),
        request=WithdrawSerializer,
        responses={
            200: ApplicationDetailSerializer,
            400: ApiErrorSerializer,
            **NOT_SIGNED_IN,
            **FORBIDDEN,
            **NOT_VISIBLE,
            **CONFLICT,
        },
    )
    @action(detail=True, methods=["post"], url_path="withdraw")
    def withdraw(self, request: Request, pk: Any = None) -> Response:
        return self._move(request, "withdraw", WithdrawSerializer(data=request.data))

    @extend_schema(
        summary=gettext_lazy("Endorse the application (unit)"),
        description=gettext_lazy(
            "The lead unit's administrator endorses a submitted application, before the unit's deadline."
        ),
        request=None,
        responses={
            200: ApplicationDetailSerializer,
            400: ApiErrorSerializer,
            **NOT_SIGNED_IN,
            **FORBIDDEN,
            **NOT_VISIBLE,
            **CONFLICT,
        },
    )
    @action(detail=True, methods=["post"], url_path="endorse")
    def endorse(self, request: Request, pk: Any = None) -> Response:
        return self._move(request, "endorse", None)

    @extend_schema(
        summary=gettext_lazy("Return the application for revision (unit)"),
        description=gettext_lazy(
            "The lead unit's administrator returns a submitted application to the team, with a reason."
        ),
        request=ReturnSerializer,
        responses={
            200: ApplicationDetailSerializer,
            400: ApiErrorSerializer,
            **NOT_SIGNED_IN,
            **FORBIDDEN,
            **NOT_VISIBLE,
            **CONFLICT,
        },
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk: Any = None) -> Response:
        return self._move(request, "return", ReturnSerializer(data=request.data))

    # The print.

    @extend_schema(
        summary=gettext_lazy("The printed application (PDF)"),
        description=gettext_lazy(
            "The PDF of the current version: a draft print says DRAFT, the print of a submission carries "
            "its fingerprint and a QR code. If it has not been printed yet, printing starts in the "
            "background: 202 with the job to watch; ask again when it is done."
        ),
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description=gettext_lazy("The PDF.")
            ),
            (202, "application/json"): PrintJobSerializer,
            (401, "application/json"): ApiErrorSerializer,
            (404, "application/json"): NOT_VISIBLE[404],
        },
    )
    @action(detail=True, methods=["get"], url_path="pdf", content_negotiation_class=_AnyAccept)
    def pdf(self, request: Request, pk: Any = None) -> Response | FileResponse:
        application = self.get_object()
        # Imported here: printing pulls in the PDF machinery, which nothing else here needs.
        from applications.printing import application_print_get_or_request

        printout, job = application_print_get_or_request(application=application, by=request.user)
        if printout is not None:
            try:
                stored = printout.file.open("rb")
            except OSError as missing:  # the file went missing from storage
                raise Http404(_("The printed application is not available.")) from missing
            return FileResponse(
                stored,
                as_attachment=True,
                filename=f"application-{application.reference}.pdf",
                content_type="application/pdf",
            )
        job.refresh_from_db(fields=["status"])  # an eager run may have ended it already
        return Response(
            {"job": job.pk, "status": job.status, "status_url": reverse("jobs:status", args=[job.pk])},
            status=status.HTTP_202_ACCEPTED,
        )
