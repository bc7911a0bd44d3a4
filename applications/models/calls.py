"""The call and what applicants apply to: FundingCall, ResearchField, CallField, GuideTask.

Every number of the 2021 call (budgets, cap, quotas, limits) is data of one call, set by
``seed_demo`` or by staff in the admin, never a constant in code.
"""

from decimal import Decimal
from string import Formatter

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from portal.fields import validate_no_control_characters


def validate_notice_number_format(value: str) -> None:
    """Only the placeholders {year} and {number}, plain (no index, attribute or format), and
    {number} present: checked when the call is saved, not when the first notice is issued."""
    message = _("Use only the placeholders {year} and {number}, e.g. 川渝联研〔{year}〕{number}号.")
    try:
        fields = [
            (name, spec, conversion) for _text, name, spec, conversion in Formatter().parse(value) if name
        ]
    except ValueError:  # an unmatched brace
        raise ValidationError(message, code="format") from None
    names = {name for name, _spec, _conversion in fields}
    plain = all(not spec and not conversion for _name, spec, conversion in fields)
    if not plain or not names <= {"year", "number"} or "number" not in names:
        raise ValidationError(message, code="format")


def localized(obj: models.Model, attribute: str) -> str:
    """The English variant of a bilingual attribute when the page is in English."""
    if (get_language() or "").startswith("en"):
        english = getattr(obj, f"{attribute}_en", "")
        if english:
            return english
    return getattr(obj, f"{attribute}_zh")


class ResearchField(models.Model):
    # Stable codes: ai, health, eco, agri.
    code = models.SlugField(_("code"), max_length=20, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("research field")
        verbose_name_plural = _("research fields")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return localized(self, "name")


class CallStatus(models.TextChoices):
    DRAFT = "draft", _("In preparation")
    OPEN = "open", _("Open for applications")
    REVIEW = "review", _("Under review")
    DECISION = "decision", _("Deciding")
    PUBLICITY = "publicity", _("Public announcement")
    CLOSED = "closed", _("Closed")


MONEY = {"max_digits": 14, "decimal_places": 2}
RATIO = {"max_digits": 5, "decimal_places": 4, "validators": [MinValueValidator(0), MaxValueValidator(1)]}


class FundingCall(models.Model):
    year = models.PositiveSmallIntegerField(_("year"))
    title_zh = models.CharField(
        _("title (Chinese)"), max_length=200, validators=[validate_no_control_characters]
    )
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=CallStatus.choices, default=CallStatus.DRAFT
    )

    opens_at = models.DateTimeField(_("opens at"))
    submit_deadline = models.DateTimeField(_("applicants' deadline"))
    endorse_deadline = models.DateTimeField(_("units' endorsement deadline"))
    acceptance_deadline = models.DateTimeField(_("bureaus' acceptance deadline"), null=True, blank=True)
    review_starts = models.DateField(_("review starts"), null=True, blank=True)
    review_ends = models.DateField(_("review ends"), null=True, blank=True)
    publicity_starts = models.DateField(_("public announcement starts"), null=True, blank=True)
    publicity_working_days = models.PositiveSmallIntegerField(
        _("public announcement (working days)"), default=5
    )

    budget_sc = models.DecimalField(_("Sichuan budget (yuan)"), **MONEY, validators=[MinValueValidator(0)])
    budget_cq = models.DecimalField(_("Chongqing budget (yuan)"), **MONEY, validators=[MinValueValidator(0)])
    per_project_cap = models.DecimalField(
        _("government funding cap per project (yuan)"), **MONEY, validators=[MinValueValidator(0)]
    )
    # By default each side funds its own units; a call may allow otherwise.
    cross_funding_allowed = models.BooleanField(
        _("a side may fund units of the other province"), default=False
    )

    pi_limit = models.PositiveSmallIntegerField(
        _("applications a project leader may lead"), default=1, help_text=_("Counting ongoing led projects.")
    )
    member_limit = models.PositiveSmallIntegerField(_("applications a person may join"), default=2)
    pi_born_after = models.DateField(_("project leader born on or after"), null=True, blank=True)
    senior_title_from = models.DecimalField(
        _("senior title or PhD required from (yuan)"), **MONEY, null=True, blank=True
    )
    max_duration_months = models.PositiveSmallIntegerField(_("maximum duration (months)"), default=36)
    min_duration_months = models.PositiveSmallIntegerField(_("minimum duration (months)"), default=12)
    min_self_raised_ratio = models.DecimalField(
        _("minimum self-raised share of the total budget"), **RATIO, default=Decimal("0")
    )
    max_indirect_rate = models.DecimalField(
        _("maximum indirect costs as a share of direct costs"), **RATIO, default=Decimal("0.2")
    )
    reviewers_per_application = models.PositiveSmallIntegerField(
        _("experts per application"), default=5, validators=[MinValueValidator(3)]
    )
    min_reviewers_per_province = models.PositiveSmallIntegerField(
        _("minimum experts of each province"), default=2
    )
    disagreement_threshold = models.DecimalField(
        _("score spread that flags disagreement (points)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("20"),
    )
    notice_number_format = models.CharField(
        _("notice number format"),
        max_length=60,
        default="川渝联研〔{year}〕{number}号",
        validators=[validate_notice_number_format],
        help_text=_("{year} and {number} are replaced; numbers are not zero-padded."),
    )
    # Government funding of the call's live awards per paying province, kept by
    # reviews.services.awards under the call's row lock; the CHECK constraints below make an
    # overspend impossible even for a writer that forgot the lock.
    awarded_sc = models.DecimalField(_("Sichuan funding awarded (yuan)"), **MONEY, default=0, editable=False)
    awarded_cq = models.DecimalField(
        _("Chongqing funding awarded (yuan)"), **MONEY, default=0, editable=False
    )
    # The printable guide (申报指南), built by a Celery task; see applications/services/calls.py.
    guide_pdf = models.FileField(_("guide (PDF)"), upload_to="calls/guides/", blank=True)
    guide_pdf_sha256 = models.CharField(_("guide fingerprint (SHA-256)"), max_length=64, blank=True)
    guide_generated_at = models.DateTimeField(_("guide generated at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("funding call")
        verbose_name_plural = _("funding calls")
        ordering = ["-year", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(submit_deadline__gt=models.F("opens_at")),
                name="call_deadline_after_opening",
                violation_error_message=_("The applicants' deadline must be after the opening."),
            ),
            models.CheckConstraint(
                condition=models.Q(endorse_deadline__gte=models.F("submit_deadline")),
                name="call_endorsement_after_submission",
                violation_error_message=_(
                    "The units' endorsement deadline must not be before the applicants' deadline."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(max_duration_months__gte=models.F("min_duration_months")),
                name="call_duration_range",
                violation_error_message=_("The maximum duration must not be below the minimum."),
            ),
            models.CheckConstraint(
                condition=models.Q(awarded_sc__lte=models.F("budget_sc"))
                & models.Q(awarded_cq__lte=models.F("budget_cq")),
                name="call_awards_within_budgets",
                violation_error_message=_("A province's budget cannot be below the funding already awarded."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def description(self) -> str:
        return localized(self, "description")

    def budget_of(self, province: str) -> Decimal:
        return {"SC": self.budget_sc, "CQ": self.budget_cq}[province]

    def notice_number(self, number: int) -> str:
        return self.notice_number_format.format(year=self.year, number=number)


class CallField(models.Model):
    call = models.ForeignKey(
        FundingCall, verbose_name=_("funding call"), on_delete=models.CASCADE, related_name="call_fields"
    )
    field = models.ForeignKey(
        ResearchField, verbose_name=_("research field"), on_delete=models.PROTECT, related_name="+"
    )
    quota = models.PositiveSmallIntegerField(_("funded projects (quota)"))
    # Live awards of the field, kept by reviews.services.awards (see FundingCall.awarded_sc).
    awarded = models.PositiveSmallIntegerField(_("awards"), default=0, editable=False)

    class Meta:
        verbose_name = _("field of a call")
        verbose_name_plural = _("fields of a call")
        ordering = ["field__position"]
        constraints = [
            models.UniqueConstraint(fields=["call", "field"], name="one_quota_per_field_and_call"),
            models.CheckConstraint(
                condition=models.Q(awarded__lte=models.F("quota")),
                name="call_field_awards_within_quota",
                violation_error_message=_("The quota cannot be below the awards already made in the field."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.field} ({self.quota})"


class GuideTask(models.Model):
    call = models.ForeignKey(
        FundingCall, verbose_name=_("funding call"), on_delete=models.CASCADE, related_name="tasks"
    )
    field = models.ForeignKey(
        ResearchField, verbose_name=_("research field"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("code"), max_length=20)
    title_zh = models.CharField(
        _("title (Chinese)"), max_length=200, validators=[validate_no_control_characters]
    )
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    description_zh = models.TextField(_("research content and targets (Chinese)"), blank=True)
    description_en = models.TextField(_("research content and targets (English)"), blank=True)
    demand_source = models.CharField(_("demand source"), max_length=200, blank=True)
    cap = models.DecimalField(
        _("funding cap (yuan)"),
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Empty: the call's cap per project."),
    )
    quota = models.PositiveSmallIntegerField(_("projects to fund"), default=1)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("guide task")
        verbose_name_plural = _("guide tasks")
        ordering = ["call", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["call", "code"], name="task_code_unique_in_call")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def title(self) -> str:
        return localized(self, "title")

    @property
    def description(self) -> str:
        return localized(self, "description")

    @property
    def effective_cap(self) -> Decimal:
        """The task's own cap, never above the call's cap per project."""
        call_cap = self.call.per_project_cap
        return min(self.cap, call_cap) if self.cap is not None else call_cap
