"""The formal check (形式审查): the bureau's decision on an endorsed application, with the
checklist as it stood when the decision was made."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from applications.models import Application


class FormalDecision(models.TextChoices):
    ACCEPT = "accept", _("Accepted")
    RETURN = "return", _("Returned for revision")
    REJECT = "reject", _("Ineligible")


class FormalCheck(models.Model):
    application = models.ForeignKey(
        Application, verbose_name=_("application"), on_delete=models.CASCADE, related_name="formal_checks"
    )
    decision = models.CharField(_("decision"), max_length=10, choices=FormalDecision.choices)
    reason = models.TextField(_("reason"), blank=True, max_length=2000)
    # [{"rule": code, "passed": bool, "details": [message, …]}, …] in the checklist's order.
    checklist = models.JSONField(_("checklist"), default=list)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)

    class Meta:
        verbose_name = _("formal check")
        verbose_name_plural = _("formal checks")
        ordering = ["application", "-decided_at"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.decision}"
