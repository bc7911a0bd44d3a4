"""The application (申报书) of a joint team and its parts.

An application is written by its project leader (PI) and the teammates who have an account,
section by section, in any order; ``applications/document.py`` reads it as one plain
document, ``applications/rules.py`` says what is still missing or wrong, and
``applications/services/applications.py`` is the only writer. ``status`` is written by
``applications.workflow.transition`` alone; ``version`` rises with every save so that a
stale draft never overwrites a newer one.

Money is stored in yuan (``Decimal``, two places) and shown in 万元.
"""

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from applications.models.calls import MONEY, FundingCall, GuideTask
from portal.choices import Province
from portal.fields import validate_no_control_characters

TEXT = [validate_no_control_characters]


def long_text(limit: int) -> list:
    # TextField's max_length alone only sizes form widgets; the validator enforces it.
    return [validate_no_control_characters, MaxLengthValidator(limit)]


class ApplicationStatus(models.TextChoices):
    """Stable codes; labels are what staff read. Applicants' labels live in the workflow table."""

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted, awaiting the unit")
    RETURNED = "returned", _("Returned for revision")
    ENDORSED = "endorsed", _("Endorsed by the unit")
    ACCEPTED = "accepted", _("Accepted by the bureau")
    INELIGIBLE = "ineligible", _("Ineligible")
    UNDER_REVIEW = "under_review", _("Under expert review")
    REVIEWED = "reviewed", _("Reviewed")
    SHORTLISTED = "shortlisted", _("Shortlisted")
    AWARDED = "awarded", _("Funded")
    NOT_FUNDED = "not_funded", _("Not funded")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Application(models.Model):
    call = models.ForeignKey(
        FundingCall, verbose_name=_("funding call"), on_delete=models.PROTECT, related_name="applications"
    )
    guide_task = models.ForeignKey(
        GuideTask,
        verbose_name=_("guide task"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
    )
    # The bureau the lead unit applies to; the lead unit must be of this province.
    province = models.CharField(_("applies to the bureau of"), max_length=5, choices=Province.choices)
    title = models.CharField(_("project title"), max_length=200, blank=True, validators=TEXT)
    lead_unit = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("lead unit"),
        on_delete=models.PROTECT,
        related_name="led_applications",
    )
    pi = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("project leader"),
        on_delete=models.PROTECT,
        related_name="led_applications",
    )
    start_date = models.DateField(_("start (first day of the month)"), null=True, blank=True)
    duration_months = models.PositiveSmallIntegerField(_("duration (months)"), null=True, blank=True)

    abstract = models.TextField(_("abstract"), blank=True, max_length=3000, validators=long_text(3000))
    aims = models.TextField(
        _("aims and state of the art"), blank=True, max_length=20000, validators=long_text(20000)
    )
    technical_route = models.TextField(
        _("technical route"), blank=True, max_length=20000, validators=long_text(20000)
    )
    foundation = models.TextField(
        _("foundation and conditions"), blank=True, max_length=20000, validators=long_text(20000)
    )

    integrity_committed_at = models.DateTimeField(_("integrity commitment ticked at"), null=True, blank=True)
    integrity_committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("integrity commitment ticked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    status = models.CharField(
        _("status"), max_length=15, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    # The whole document as the services last wrote it (``applications/document.py``).
    document = models.JSONField(_("document"), default=dict, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submission_count = models.PositiveSmallIntegerField(_("submissions"), default=0, editable=False)
    number_sc = models.CharField(_("Sichuan project number"), max_length=40, blank=True)
    number_cq = models.CharField(_("Chongqing project number"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["call", "status"])]

    def __str__(self) -> str:
        return self.title or str(_("Untitled application"))

    @property
    def reference(self) -> str:
        """A short id people can read out on the phone: year, province, number."""
        return f"{self.call.year}-{self.province}-{self.pk:05d}"


class Partner(models.Model):
    """A partner unit (合作单位): a registered Organization, or a named unit whose sealed
    cooperation form is uploaded as an attachment of kind ``partner_form``."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="partners")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("registered unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    name = models.CharField(_("unit name"), max_length=200, validators=TEXT)
    uscc = models.CharField(_("unified social credit code"), max_length=18)
    province = models.CharField(_("province"), max_length=5, choices=Province.choices)

    class Meta:
        verbose_name = _("partner unit")
        verbose_name_plural = _("partner units")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def needs_form(self) -> bool:
        """A named unit, or a registered one its bureau has not verified yet: its sealed
        cooperation form shows that it takes part."""
        return self.organization_id is None or not self.organization.is_verified


class TeamRole(models.TextChoices):
    PI = "pi", _("Project leader")
    CORE = "core", _("Core member")
    MEMBER = "member", _("Member")


class TeamMember(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="team")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # A teammate with an account may read and edit the draft with the PI.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="team_memberships",
    )
    name = models.CharField(_("name"), max_length=100, validators=TEXT)
    id_type = models.CharField(_("ID type"), max_length=20, default="resident_id")
    id_number = models.CharField(_("ID or passport number"), max_length=20)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    unit_name = models.CharField(_("unit"), max_length=200, validators=TEXT)
    title = models.CharField(_("professional title"), max_length=50, blank=True, validators=TEXT)
    role = models.CharField(_("role in the project"), max_length=10, choices=TeamRole.choices)
    time_percent = models.PositiveSmallIntegerField(
        _("working time (%)"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["id_number"])]

    def __str__(self) -> str:
        return self.name


class IndicatorKind(models.TextChoices):
    TECHNICAL = "technical", _("Technical")
    ECONOMIC = "economic", _("Economic")
    SOCIAL = "social", _("Social")


class Indicator(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="indicators")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("type"), max_length=10, choices=IndicatorKind.choices)
    metric = models.CharField(_("metric"), max_length=200, validators=TEXT)
    target = models.DecimalField(_("target"), max_digits=14, decimal_places=2)
    unit = models.CharField(_("unit of measure"), max_length=30, validators=TEXT)
    due_month = models.PositiveSmallIntegerField(_("due (project month)"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("performance indicator")
        verbose_name_plural = _("performance indicators")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.metric


class Milestone(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="milestones")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    from_month = models.PositiveSmallIntegerField(_("from month"), validators=[MinValueValidator(1)])
    to_month = models.PositiveSmallIntegerField(_("to month"), validators=[MinValueValidator(1)])
    content = models.TextField(_("content"), max_length=2000, validators=long_text(2000))

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["position", "from_month", "id"]

    def __str__(self) -> str:
        return f"{self.from_month}–{self.to_month}"


class BudgetCategory(models.TextChoices):
    EQUIPMENT = "equipment", _("Equipment")
    OPERATING = "operating", _("Operating costs")
    LABOUR = "labour", _("Labour")
    INDIRECT = "indirect", _("Indirect costs")


class BudgetSource(models.TextChoices):
    SC_GOV = "sc_gov", _("Sichuan government funds")
    CQ_GOV = "cq_gov", _("Chongqing government funds")
    SELF = "self", _("Self-raised")


class BudgetLine(models.Model):
    """One cell of the budget grid: a unit (by USCC: the lead unit or a partner) × a category
    × a source. The USCC, not a row id, names the unit so that lines survive the partners
    being saved again."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="budget")
    unit_uscc = models.CharField(_("unit (USCC)"), max_length=18)
    category = models.CharField(_("category"), max_length=10, choices=BudgetCategory.choices)
    source = models.CharField(_("source"), max_length=10, choices=BudgetSource.choices)
    amount = models.DecimalField(_("amount (yuan)"), **MONEY, validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "unit_uscc", "category", "source"], name="one_budget_cell"
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="budget_amount_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_uscc} {self.category} {self.source} {self.amount}"


class AttachmentKind(models.TextChoices):
    PROPOSAL = "proposal", _("Project proposal")
    PI_COMMITMENT = "pi_commitment", _("Integrity commitment of the project leader")
    UNIT_COMMITMENT = "unit_commitment", _("Integrity commitment of the lead unit")
    AGREEMENT = "agreement", _("Cooperation agreement")
    PARTNER_FORM = "partner_form", _("Sealed cooperation form of a named partner")


REQUIRED_ATTACHMENTS = (
    AttachmentKind.PROPOSAL,
    AttachmentKind.PI_COMMITMENT,
    AttachmentKind.UNIT_COMMITMENT,
    AttachmentKind.AGREEMENT,
)


def attachment_path(instance: "Attachment", filename: str) -> str:
    # The stored name never comes from the uploader: it is the content's fingerprint.
    return f"applications/{instance.application_id}/{instance.kind}-{instance.sha256[:16]}.pdf"


class Attachment(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=20, choices=AttachmentKind.choices)
    # For ``partner_form``: the partner unit's USCC (stable when partners are saved again).
    partner_uscc = models.CharField(_("partner unit (USCC)"), max_length=18, blank=True)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("fingerprint (SHA-256)"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "kind", "partner_uscc"], name="one_attachment_per_kind"
            )
        ]

    def __str__(self) -> str:
        return self.original_name


class Submission(models.Model):
    """The frozen document of one submission. A returned application submitted again gets a
    new one; the latest is the one the unit and the bureau read."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="submissions")
    number = models.PositiveSmallIntegerField(_("submission number"))
    document = models.JSONField(_("submitted document"))
    sha256 = models.CharField(_("fingerprint (SHA-256)"), max_length=64)
    verification_code = models.CharField(_("verification code"), max_length=32, unique=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"))

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["application", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="submission_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.application_id}#{self.number}"


def print_path(instance: "PrintOut", filename: str) -> str:
    kind = "official" if instance.official else "draft"
    return (
        f"applications/{instance.application_id}/print-v{instance.version}-{kind}-{instance.sha256[:16]}.pdf"
    )


class PrintOut(models.Model):
    """A printed application (PDF) for one version of it: a draft print says DRAFT; the
    official print of a submission carries the snapshot's fingerprint and a QR code. Built
    by a Celery task; the page and the API serve the stored file."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="printouts")
    version = models.PositiveIntegerField(_("version"))
    official = models.BooleanField(_("official print"), default=False)
    submission = models.ForeignKey(
        Submission,
        verbose_name=_("submission"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    file = models.FileField(_("file"), upload_to=print_path, max_length=200)
    sha256 = models.CharField(_("fingerprint of the PDF (SHA-256)"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("printed application")
        verbose_name_plural = _("printed applications")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["application", "version"], name="one_print_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.application_id} v{self.version}"


class AvoidedExpert(models.Model):
    """An expert the applicant asks not to review the application (up to three; names and
    units, matched against the expert pool by the bureau's assignment)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="avoided_experts")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name = models.CharField(_("name"), max_length=100, validators=TEXT)
    unit_name = models.CharField(_("unit"), max_length=200, validators=TEXT)
    reason = models.CharField(_("reason"), max_length=300, blank=True, validators=TEXT)

    class Meta:
        verbose_name = _("expert to avoid")
        verbose_name_plural = _("experts to avoid")
        ordering = ["application", "position"]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit_name})"
