"""The expert pool: one ReviewerProfile per expert, who signs in with their own account."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from applications.models import ResearchField
from portal.choices import Province
from portal.organizations.models import Organization


class ReviewerProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        related_name="reviewer_profile",
    )
    # The province whose pool the expert belongs to (Sichuan or Chongqing).
    province = models.CharField(
        _("province"), max_length=5, choices=[(p.value, p.label) for p in (Province.SC, Province.CQ)]
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="reviewers"
    )
    fields = models.ManyToManyField(ResearchField, verbose_name=_("fields of expertise"), related_name="+")
    title = models.CharField(_("professional title"), max_length=50, blank=True)
    # Most applications the expert reviews in one call.
    max_load = models.PositiveSmallIntegerField(
        _("maximum applications per call"), default=10, validators=[MinValueValidator(1)]
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        ordering = ["province", "user__full_name"]
        indexes = [models.Index(fields=["active", "province"])]

    def __str__(self) -> str:
        return f"{self.user.full_name} ({self.organization.name})"
