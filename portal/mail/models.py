"""Outgoing email: a row per message, written in the request's transaction and sent by a task.

The row makes sending idempotent (a second run finds it sent), retriable and visible to
administrators. Messages that carry a secret (a password-reset link) lose their body once sent.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutgoingEmail(models.Model):
    # A stable code naming why it was sent, e.g. "password_reset".
    kind = models.CharField(_("kind"), max_length=60)
    to = models.EmailField(_("recipient"))
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    sensitive = models.BooleanField(_("carries a secret"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("last error"), blank=True)
    claimed_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # What the message tells about, for messages written by a task from a stored event
    # ("audit:<id>"): one message per event and recipient, however often the task runs.
    reference = models.CharField(_("reference"), max_length=60, blank=True, db_index=True)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["reference", "to"], condition=~models.Q(reference=""), name="one_email_per_reference"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to}"
