"""Serializers of the applications API: the document as it is read and written, the
requests of each action and the shapes of their answers (for the OpenAPI schema)."""

from typing import Any

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from applications import rules, workflow
from applications.models import (
    MONEY,
    Application,
    ApplicationStatus,
    AttachmentKind,
    BudgetCategory,
    BudgetSource,
    IndicatorKind,
    TeamRole,
)
from applications.workflow import applicant_label
from portal.accounts.models import IdType
from portal.choices import Province
from portal.fields import validate_no_control_characters

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


class AvoidedExpertRowSerializer(serializers.Serializer):
    """An expert the applicant asks not to review the application (at most three)."""

    name = serializers.CharField(max_length=100)
    unit = serializers.CharField(
        max_length=200, help_text=gettext_lazy("The expert's unit; the pool is matched on name and unit.")
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)


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
    avoided_experts = AvoidedExpertRowSerializer(
        many=True, help_text=gettext_lazy("Experts the applicant asks to avoid (回避专家), at most three.")
    )
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
        return applicant_label(application.status)


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
    avoided_experts = AvoidedExpertRowSerializer(
        many=True,
        required=False,
        max_length=rules.MAX_AVOIDED_EXPERTS,
        help_text=gettext_lazy("At most three; the list replaces the one stored ([] removes them all)."),
    )


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


class RequestProblemSerializer(serializers.Serializer):
    """One problem of a refused request: a part of the application (with its section), or an
    input outside the sections (a missing version, a body that is not an object…) in the API's
    error shape, without a section."""

    section = serializers.ChoiceField(
        choices=[(s, s) for s in rules.SECTIONS],
        required=False,
        help_text=gettext_lazy("The section of the application; absent for an input outside the sections."),
    )
    field = serializers.CharField(
        allow_null=True,
        help_text=gettext_lazy(
            "The field at fault (rows are named like budget[0].amount); null for the request as a whole."
        ),
    )
    code = serializers.CharField(help_text=gettext_lazy("Stable, untranslated code."))
    message = serializers.CharField(help_text=gettext_lazy("Readable message in the request's language."))


class SaveRefusedSerializer(serializers.Serializer):
    """400 of a change: parts refused (the valid ones saved: version and saved say so), or a
    request refused as a whole before anything was saved (no version, no saved)."""

    detail = serializers.CharField()
    errors = RequestProblemSerializer(
        many=True, help_text=gettext_lazy("The inputs that were not saved, and why.")
    )
    version = serializers.IntegerField(
        required=False,
        help_text=gettext_lazy("The version after saving the valid parts; absent when nothing was saved."),
    )
    saved = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text=gettext_lazy("The fields and sections that were saved; absent when nothing was saved."),
    )


class ProblemsErrorSerializer(serializers.Serializer):
    """400 of a step: every problem of the application by section, or a refusal of the request
    as a whole (past the deadline…) in the API's error shape."""

    detail = serializers.CharField()
    errors = RequestProblemSerializer(many=True)


class SubmitResultSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    status_label = serializers.CharField()
    version = serializers.IntegerField()
    submission = SubmissionRefSerializer()


class PrintJobSerializer(serializers.Serializer):
    job = serializers.IntegerField(help_text=gettext_lazy("Id of the background job printing the PDF."))
    status = serializers.CharField(help_text=gettext_lazy("queued, running, done or failed."))
    status_url = serializers.CharField(help_text=gettext_lazy("Where to watch the job; then ask again."))
