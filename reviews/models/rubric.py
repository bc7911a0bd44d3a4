"""The call's score rubric: one Criterion per line of the score sheet."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from applications.models import FundingCall, localized


class Criterion(models.Model):
    """One line of a call's score sheet; the weights of a call add up to 100 points."""

    call = models.ForeignKey(
        FundingCall, verbose_name=_("funding call"), on_delete=models.CASCADE, related_name="criteria"
    )
    code = models.SlugField(_("code"), max_length=30)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    weight = models.DecimalField(
        _("weight (points)"), max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    max_points = models.DecimalField(
        _("maximum points"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("100"),
        validators=[MinValueValidator(Decimal("1"))],
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("score criterion")
        verbose_name_plural = _("score criteria")
        ordering = ["call", "position"]
        constraints = [models.UniqueConstraint(fields=["call", "code"], name="criterion_code_unique_in_call")]

    def __str__(self) -> str:
        return f"{self.name} ({self.weight})"

    @property
    def name(self) -> str:
        return localized(self, "name")


# The rubric of DOMAIN.md, 100 points; services copy it into a new call.
DEFAULT_RUBRIC = (
    ("innovation", "创新性", "Innovation", Decimal("20")),
    ("feasibility", "技术路线与可行性", "Technical route and feasibility", Decimal("20")),
    ("foundation", "研究基础与团队", "Foundation and team", Decimal("15")),
    ("cooperation", "川渝合作", "Sichuan–Chongqing cooperation", Decimal("15")),
    ("results", "预期成果与效益", "Expected results and benefits", Decimal("20")),
    ("budget", "经费预算合理性", "Budget reasonableness", Decimal("10")),
)
