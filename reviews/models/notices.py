"""Funding notices (立项通知书): one PDF per final award and version, built by a Celery task.

The notice's number lives on the award (given once, without gaps); each version of the notice
has its own verification code and fingerprint. Regenerating makes a new version and keeps the
old ones, marked superseded by ``current`` being false.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.jobs.models import Job
from reviews.models.awards import Award


class NoticeStatus(models.TextChoices):
    PENDING = "pending", _("Being built")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


def notice_path(instance: "FundingNotice", filename: str) -> str:
    return f"notices/{instance.award.call_id}/{instance.award_id}/v{instance.version}-{instance.verification_code}.pdf"


class FundingNotice(models.Model):
    award = models.ForeignKey(
        Award, verbose_name=_("award"), on_delete=models.PROTECT, related_name="notices"
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    current = models.BooleanField(_("current version"), default=True)
    number = models.CharField(_("notice number"), max_length=80)
    verification_code = models.CharField(_("verification code"), max_length=32, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.PENDING
    )
    file = models.FileField(_("file"), upload_to=notice_path, blank=True, max_length=200)
    sha256 = models.CharField(_("fingerprint of the PDF (SHA-256)"), max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    # The batch that asked for it (null for a single regeneration without a batch).
    job = models.ForeignKey(
        Job, verbose_name=_("job"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("project leader emailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("funding notice")
        verbose_name_plural = _("funding notices")
        ordering = ["award", "-version"]
        indexes = [models.Index(fields=["job", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["award", "version"], name="one_notice_per_award_and_version"),
            models.UniqueConstraint(
                fields=["award"], condition=models.Q(current=True), name="one_current_notice_per_award"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} v{self.version}"
