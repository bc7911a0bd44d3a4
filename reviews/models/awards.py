"""Awards (立项): the funding the two bureaus decide for a shortlisted application, split per
paying province and per unit, and the joint approval by one staff member of each bureau.

An award counts against its field's quota and each province's budget from the moment it is
proposed until it is withdrawn: ``FundingCall.awarded_sc`` / ``awarded_cq`` and
``CallField.awarded`` are counters kept by ``reviews.services.awards`` under the call's row
lock, and CHECK constraints on them make overspending impossible in the database even if
a writer forgot the lock.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from applications.models import Application, FundingCall, ResearchField
from applications.models.calls import MONEY
from portal.choices import Province


class AwardStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED_SC = "approved_sc", _("Approved by Sichuan")
    APPROVED_CQ = "approved_cq", _("Approved by Chongqing")
    APPROVED = "approved", _("Approved by both bureaus")
    ANNOUNCED = "announced", _("Announced")
    OBJECTED = "objected", _("Objection pending")
    FINAL = "final", _("Final")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Awards that use quota and budget (every one but a withdrawn award).
LIVE_AWARD_STATUSES = (
    AwardStatus.PROPOSED,
    AwardStatus.APPROVED_SC,
    AwardStatus.APPROVED_CQ,
    AwardStatus.APPROVED,
    AwardStatus.ANNOUNCED,
    AwardStatus.OBJECTED,
    AwardStatus.FINAL,
)
# Awards that may still be edited (an edit clears the approvals).
EDITABLE_AWARD_STATUSES = (
    AwardStatus.PROPOSED,
    AwardStatus.APPROVED_SC,
    AwardStatus.APPROVED_CQ,
    AwardStatus.APPROVED,
)


class Award(models.Model):
    call = models.ForeignKey(
        FundingCall, verbose_name=_("funding call"), on_delete=models.PROTECT, related_name="awards"
    )
    application = models.OneToOneField(
        Application, verbose_name=_("application"), on_delete=models.PROTECT, related_name="award"
    )
    # The application's field, kept here so that quotas are counted without a join.
    field = models.ForeignKey(
        ResearchField, verbose_name=_("research field"), on_delete=models.PROTECT, related_name="+"
    )
    amount_sc = models.DecimalField(_("Sichuan funding (yuan)"), **MONEY, default=0)
    amount_cq = models.DecimalField(_("Chongqing funding (yuan)"), **MONEY, default=0)
    status = models.CharField(
        _("status"), max_length=12, choices=AwardStatus.choices, default=AwardStatus.PROPOSED
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    # The ranking's score when the award was proposed (trimmed mean), for the lists.
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2, null=True, blank=True)
    suggested = models.BooleanField(_("from the suggestion"), default=False)
    approved_sc_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved for Sichuan by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_sc_at = models.DateTimeField(_("approved for Sichuan at"), null=True, blank=True)
    approved_cq_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved for Chongqing by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_cq_at = models.DateTimeField(_("approved for Chongqing at"), null=True, blank=True)
    # The funding notice's number (发文字号), given once the award is final: serial 1, 2, 3 …
    # per call without gaps; ``notice_number`` is the call's format applied to it.
    notice_serial = models.PositiveIntegerField(_("notice serial"), null=True, blank=True)
    notice_number = models.CharField(_("notice number"), max_length=80, blank=True)
    final_at = models.DateTimeField(_("final at"), null=True, blank=True)
    withdrawn_reason = models.TextField(_("reason for withdrawal"), blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("award")
        verbose_name_plural = _("awards")
        ordering = ["call", "field__position", "-score", "id"]
        indexes = [models.Index(fields=["call", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_sc__gte=0) & models.Q(amount_cq__gte=0),
                name="award_amounts_not_negative",
            ),
            models.UniqueConstraint(
                fields=["call", "notice_serial"], name="award_notice_serial_unique_in_call"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} ({self.get_status_display()})"

    @property
    def total(self):  # noqa: ANN201 — Decimal
        return self.amount_sc + self.amount_cq

    def amount_of(self, province: str):  # noqa: ANN201 — Decimal
        return {Province.SC: self.amount_sc, Province.CQ: self.amount_cq}[province]


class AwardShare(models.Model):
    """What one province pays to one unit of the project (the lead unit or a partner, named by
    USCC as the budget lines are: a partner may be a named, unregistered unit). The shares of
    a province add up to the award's amount of that province."""

    award = models.ForeignKey(Award, verbose_name=_("award"), on_delete=models.CASCADE, related_name="shares")
    province = models.CharField(_("paid by"), max_length=5, choices=Province.choices)
    unit_uscc = models.CharField(_("unit (USCC)"), max_length=18)
    unit_name = models.CharField(_("unit"), max_length=200)
    # The unit's own province (SC, CQ or OTHER): by default each side funds its own units.
    unit_province = models.CharField(_("unit's province"), max_length=5, choices=Province.choices)
    amount = models.DecimalField(_("amount (yuan)"), **MONEY)

    class Meta:
        verbose_name = _("award share")
        verbose_name_plural = _("award shares")
        ordering = ["award", "province", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["award", "province", "unit_uscc"], name="one_share_per_unit_and_side"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="award_share_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.unit_name} {self.province} {self.amount}"
