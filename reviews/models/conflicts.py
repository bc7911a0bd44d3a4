"""Conflicts of interest (回避): a pair of application and expert that may never be assigned."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from applications.models import Application
from reviews.models.pool import ReviewerProfile


class ConflictSource(models.TextChoices):
    # Computed: the expert's unit is the lead or a partner unit; the expert is on the team.
    UNIT = "unit", _("Same unit as the lead or a partner")
    TEAM = "team", _("Member of the team")
    # Declared by the expert (at the declaration), asked by the applicant, entered by staff.
    DECLARED = "declared", _("Declared by the expert")
    APPLICANT = "applicant", _("Asked to avoid by the applicant")
    STAFF = "staff", _("Entered by staff")


class Conflict(models.Model):
    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="conflicts"
    )
    reviewer = models.ForeignKey(
        ReviewerProfile, verbose_name=_("expert"), on_delete=models.CASCADE, related_name="conflicts"
    )
    source = models.CharField(_("source"), max_length=10, choices=ConflictSource.choices)
    reason = models.TextField(_("reason"), blank=True, max_length=1000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        ordering = ["application", "reviewer"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer", "source"], name="conflict_unique_per_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id} × {self.reviewer_id} ({self.source})"
