"""The public announcement (立项公示) of a call's approved awards, the holiday calendar that
its window of working days is counted on, and the real-name objections filed against it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from applications.models import FundingCall
from reviews.models.awards import Award


class Holiday(models.Model):
    """A day of the calendar that is not what its weekday says: a public holiday on a weekday
    (``workday`` false) or a working weekend day of an adjusted holiday (调休, ``workday`` true).
    Without rows, Saturdays and Sundays are off and every other day is a working day."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    workday = models.BooleanField(
        _("working day"), default=False, help_text=_("Tick for a weekend day that is worked (调休).")
    )

    class Meta:
        verbose_name = _("holiday or working weekend day")
        verbose_name_plural = _("holiday calendar")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class PublicityStatus(models.TextChoices):
    OPEN = "open", _("Open for objections")
    CLOSED = "closed", _("Closed")


class Publicity(models.Model):
    """One announcement per call: the awards approved by both bureaus, shown publicly from
    ``starts_on`` to ``ends_on`` (the last of ``working_days`` working days, inclusive)."""

    call = models.OneToOneField(
        FundingCall, verbose_name=_("funding call"), on_delete=models.PROTECT, related_name="publicity"
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    working_days = models.PositiveSmallIntegerField(_("working days"))
    status = models.CharField(
        _("status"), max_length=10, choices=PublicityStatus.choices, default=PublicityStatus.OPEN
    )
    contact = models.CharField(_("contact for objections"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("public announcement")
        verbose_name_plural = _("public announcements")
        ordering = ["-starts_on"]

    def __str__(self) -> str:
        return f"{self.call} {self.starts_on}–{self.ends_on}"


class ObjectionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld (award withdrawn)")
    DISMISSED = "dismissed", _("Dismissed")


def objection_path(instance: "Objection", filename: str) -> str:
    return f"objections/{instance.publicity_id}/{instance.token}.pdf"


class Objection(models.Model):
    """A written, real-name objection (异议) to one announced award; anonymous ones are refused."""

    publicity = models.ForeignKey(
        Publicity, verbose_name=_("public announcement"), on_delete=models.PROTECT, related_name="objections"
    )
    award = models.ForeignKey(
        Award, verbose_name=_("award"), on_delete=models.PROTECT, related_name="objections"
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100)
    unit = models.CharField(_("unit"), max_length=200)
    phone = models.CharField(_("phone"), max_length=30)
    email = models.EmailField(_("email"))
    text = models.TextField(_("objection"), max_length=5000)
    attachment = models.FileField(_("attachment (PDF)"), upload_to=objection_path, blank=True, max_length=200)
    # A random reference given to the person who filed it (the attachment's storage key too).
    token = models.CharField(pgettext_lazy("objection", "reference"), max_length=32, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN
    )
    resolution = models.TextField(_("reason of the decision"), blank=True, max_length=2000)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("filed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["publicity", "status"])]

    def __str__(self) -> str:
        return f"{self.token} ({self.get_status_display()})"
