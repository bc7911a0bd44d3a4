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
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from applications import inputs, rules, selectors, workflow
from applications.document import document_of, status_label
from applications.models import (
    MONEY,
    Application,
    ApplicationStatus,
    AttachmentKind,
    BudgetCategory,
    BudgetSource,
    GuideTask,
    IndicatorKind,
    TeamRole,
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
from applications.workflow import TRANSITIONS_BY_ACTION, TransitionConflict, TransitionError
from portal.accounts.models import IdType
from portal.accounts.roles import Role
from portal.api_errors import ApiErrorSerializer
from portal.choices import Province
from portal.fields import validate_no_control_characters

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


# --- Serializers: what the API returns ----------------------------------------------------


class CallRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    year = serializers.IntegerField()
    title = serializers.CharField(help_text=gettext_lazy("The call's Chinese title."))


class GuideTaskRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField(help_text=gettext_lazy("The task's Chinese title."))


class LeadUnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    uscc = serializers.CharField(help_text=gettext_lazy("Unified social credit code."))
    province = serializers.ChoiceField(choices=Province.choices)


class PersonRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()


class PartnerRowSerializer(serializers.Serializer):
    """A partner unit: a registered unit by ``organization`` id, or a named one by name, USCC
    and province (its sealed cooperation form is then an attachment of kind partner_form)."""

    organization = serializers.IntegerField(
        required=False, allow_null=True, help_text=gettext_lazy("Id of a registered unit.")
    )
    name = serializers.CharField(required=False, allow_blank=True)
    uscc = serializers.CharField(required=False, allow_blank=True)
    province = serializers.ChoiceField(choices=Province.choices, required=False)


class TeamRowSerializer(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=gettext_lazy(
            "Email of the member's account: a teammate with an account may edit the draft."
        ),
    )
    id_type = serializers.ChoiceField(choices=IdType.choices, required=False)
    id_number = serializers.CharField(help_text=gettext_lazy("Resident ID number or passport number."))
    birth_date = serializers.DateField(
        required=False,
        allow_null=True,
        help_text=gettext_lazy("Passport holders only; from a resident ID number it is read off the number."),
    )
    unit = serializers.CharField()
    title = serializers.CharField(required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=TeamRole.choices)
    time_percent = serializers.IntegerField(help_text=gettext_lazy("Share of working time, 1–100."))


class IndicatorRowSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=IndicatorKind.choices)
    metric = serializers.CharField()
    target = serializers.DecimalField(max_digits=14, decimal_places=2)
    unit = serializers.CharField(help_text=gettext_lazy("Unit of measure."))
    due_month = serializers.IntegerField(help_text=gettext_lazy("Project month by which it is reached."))


class MilestoneRowSerializer(serializers.Serializer):
    from_month = serializers.IntegerField()
    to_month = serializers.IntegerField()
    content = serializers.CharField()


class BudgetRowSerializer(serializers.Serializer):
    unit_uscc = serializers.CharField(help_text=gettext_lazy("USCC of the lead unit or of a partner."))
    category = serializers.ChoiceField(choices=BudgetCategory.choices)
    source = serializers.ChoiceField(choices=BudgetSource.choices)
    amount = serializers.DecimalField(**MONEY, help_text=gettext_lazy("Amount in yuan."))


class AttachmentRowSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AttachmentKind.choices)
    partner_uscc = serializers.CharField(help_text=gettext_lazy("For partner_form: the partner unit's USCC."))
    name = serializers.CharField(help_text=gettext_lazy("The file's name as uploaded."))
    size = serializers.IntegerField(help_text=gettext_lazy("Size in bytes."))
    sha256 = serializers.CharField(help_text=gettext_lazy("SHA-256 fingerprint of the file."))


class ProblemSerializer(serializers.Serializer):
    """One thing missing or wrong in the application, or one input that was not saved."""

    section = serializers.ChoiceField(choices=[(s, s) for s in rules.SECTIONS])
    field = serializers.CharField(
        help_text=gettext_lazy("The field at fault; rows are named like budget[0].amount.")
    )
    code = serializers.CharField(help_text=gettext_lazy("Stable, untranslated code."))
    message = serializers.CharField(help_text=gettext_lazy("Readable message in the request's language."))


class MoveSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[(t.action, t.action) for t in workflow.TRANSITIONS])
    reason_required = serializers.BooleanField()
    deadline = serializers.DateTimeField(
        allow_null=True, help_text=gettext_lazy("The call's deadline for this step, if it has one.")
    )


class SubmissionRefSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text=gettext_lazy("1 for the first submission, 2 after a return…"))
    sha256 = serializers.CharField(help_text=gettext_lazy("Fingerprint of the submitted document."))
    verification_code = serializers.CharField()
    submitted_at = serializers.DateTimeField()


class ApplicationDocumentSerializer(serializers.Serializer):
    """The whole application as one document (amounts are decimal strings in yuan)."""

    id = serializers.IntegerField()
    reference = serializers.CharField(
        help_text=gettext_lazy("Year, province and number, e.g. 2021-CQ-00012.")
    )
    call = CallRefSerializer()
    guide_task = GuideTaskRefSerializer(allow_null=True)
    province = serializers.ChoiceField(
        choices=Province.choices, help_text=gettext_lazy("The bureau the application goes to.")
    )
    title = serializers.CharField()
    lead_unit = LeadUnitRefSerializer()
    pi = PersonRefSerializer(help_text=gettext_lazy("The project leader."))
    start_date = serializers.DateField(allow_null=True)
    duration_months = serializers.IntegerField(allow_null=True)
    abstract = serializers.CharField()
    aims = serializers.CharField()
    technical_route = serializers.CharField()
    foundation = serializers.CharField()
    partners = PartnerRowSerializer(many=True)
    team = TeamRowSerializer(many=True)
    indicators = IndicatorRowSerializer(many=True)
    milestones = MilestoneRowSerializer(many=True)
    budget = BudgetRowSerializer(many=True)
    attachments = AttachmentRowSerializer(many=True)
    integrity_committed_at = serializers.DateTimeField(allow_null=True)


class ApplicationDetailSerializer(ApplicationDocumentSerializer):
    """The document with where it stands: status, what is still missing, what the caller may do."""

    status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    status_label = serializers.CharField(help_text=gettext_lazy("The status as applicants read it."))
    version = serializers.IntegerField(help_text=gettext_lazy("Send it back with every change."))
    can_edit = serializers.BooleanField(help_text=gettext_lazy("Whether the caller may change it now."))
    problems = ProblemSerializer(
        many=True, help_text=gettext_lazy("What is still missing or wrong before it can be submitted.")
    )
    moves = MoveSerializer(many=True, help_text=gettext_lazy("The steps the caller may take now."))
    submissions = SubmissionRefSerializer(many=True, help_text=gettext_lazy("Newest first."))


class ApplicationSummarySerializer(serializers.ModelSerializer):
    """One row of the list of applications."""

    reference = serializers.CharField(read_only=True)
    call = serializers.SerializerMethodField()
    guide_task = serializers.SerializerMethodField()
    lead_unit = serializers.SerializerMethodField()
    pi = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=ApplicationStatus.choices, read_only=True)
    status_label = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = [
            "id",
            "reference",
            "call",
            "guide_task",
            "title",
            "province",
            "lead_unit",
            "pi",
            "status",
            "status_label",
            "version",
            "updated_at",
            "submitted_at",
        ]
        read_only_fields = fields

    @extend_schema_field(CallRefSerializer)
    def get_call(self, application: Application) -> dict[str, Any]:
        call = application.call
        return {"id": call.pk, "year": call.year, "title": call.title_zh}

    @extend_schema_field(GuideTaskRefSerializer(allow_null=True))
    def get_guide_task(self, application: Application) -> dict[str, Any] | None:
        task = application.guide_task
        return {"id": task.pk, "code": task.code, "title": task.title_zh} if task else None

    @extend_schema_field(LeadUnitRefSerializer)
    def get_lead_unit(self, application: Application) -> dict[str, Any]:
        unit = application.lead_unit
        return {"id": unit.pk, "name": unit.name, "uscc": unit.uscc, "province": unit.located_province}

    @extend_schema_field(PersonRefSerializer)
    def get_pi(self, application: Application) -> dict[str, Any]:
        return {"id": application.pi_id, "name": application.pi.full_name, "email": application.pi.email}

    def get_status_label(self, application: Application) -> str:
        return status_label(application)


# --- Serializers: what the API takes ------------------------------------------------------


class ApplicationCreateSerializer(serializers.Serializer):
    call = serializers.IntegerField(help_text=gettext_lazy("Id of an open call."))
    guide_task = serializers.IntegerField(
        required=False, allow_null=True, help_text=gettext_lazy("Id of a guide task of the call.")
    )
    # application_create stores the title as given: checked here as the model field would.
    title = serializers.CharField(
        required=False, allow_blank=True, max_length=200, validators=[validate_no_control_characters]
    )


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1,
        help_text=gettext_lazy(
            "Required: the version the change was made from (from the last read or save). A change "
            "made from an older version is refused with 409, so that it never overwrites a newer save."
        ),
    )


class ApplicationChangeSerializer(VersionSerializer):
    """Any sections of the document; each list replaces the rows that were there."""

    guide_task = serializers.IntegerField(required=False, allow_null=True)
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    start_date = serializers.CharField(
        required=False,
        allow_null=True,
        help_text=gettext_lazy("YYYY-MM-DD or YYYY-MM; the first of the month."),
    )
    duration_months = serializers.IntegerField(required=False, allow_null=True)
    abstract = serializers.CharField(required=False, allow_blank=True, max_length=3000)
    aims = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    technical_route = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    foundation = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    partners = PartnerRowSerializer(many=True, required=False)
    team = TeamRowSerializer(many=True, required=False)
    indicators = IndicatorRowSerializer(many=True, required=False)
    milestones = MilestoneRowSerializer(many=True, required=False)
    budget = BudgetRowSerializer(many=True, required=False)


class AttachmentUploadSerializer(VersionSerializer):
    kind = serializers.ChoiceField(choices=AttachmentKind.choices)
    file = serializers.FileField(help_text=gettext_lazy("A PDF of at most 20 MB."))
    partner_uscc = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text=gettext_lazy("For partner_form: the USCC of the named partner unit."),
    )


class CommitmentSerializer(VersionSerializer):
    committed = serializers.BooleanField(
        help_text=gettext_lazy("true to sign the integrity commitment, false to take the signature back.")
    )


REASON = {"max_length": 2000, "validators": [validate_no_control_characters]}


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, **REASON)


class ReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(
        help_text=gettext_lazy("What the team must revise; emailed to them."), **REASON
    )


# --- Serializers: answers other than the document -----------------------------------------


class SaveRefusedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = ProblemSerializer(many=True, help_text=gettext_lazy("The inputs that were not saved, and why."))
    version = serializers.IntegerField(help_text=gettext_lazy("The version after saving the valid parts."))
    saved = serializers.ListField(
        child=serializers.CharField(), help_text=gettext_lazy("The fields and sections that were saved.")
    )


class ProblemsErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = ProblemSerializer(many=True)


class SubmitResultSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    status_label = serializers.CharField()
    version = serializers.IntegerField()
    submission = SubmissionRefSerializer()


class PrintJobSerializer(serializers.Serializer):
    job = serializers.IntegerField(help_text=gettext_lazy("Id of the background job printing the PDF."))
    status = serializers.CharField(help_text=gettext_lazy("queued, running, done or failed."))
    status_url = serializers.CharField(help_text=gettext_lazy("Where to watch the job; then ask again."))


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
        "status_label": status_label(application),
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
                "status_label": status_label(application),
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
