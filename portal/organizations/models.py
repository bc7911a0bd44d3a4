"""Units (单位): independent legal persons identified by their unified social credit code."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.choices import Province
from portal.fields import validate_no_control_characters


class OrganizationType(models.TextChoices):
    UNIVERSITY = "university", _("University")
    INSTITUTE = "institute", _("Research institute")
    HOSPITAL = "hospital", _("Hospital")
    ENTERPRISE = "enterprise", _("Enterprise")
    OTHER = "other", _("Other")


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200, validators=[validate_no_control_characters])
    name_en = models.CharField(
        _("English name"), max_length=200, blank=True, validators=[validate_no_control_characters]
    )
    # Validated by services and forms (GB 32100) unless staff recorded an override below.
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    org_type = models.CharField(_("type"), max_length=20, choices=OrganizationType.choices)
    registered_province = models.CharField(_("registered in"), max_length=5, choices=Province.choices)
    located_province = models.CharField(_("located in"), max_length=5, choices=Province.choices)
    address = models.CharField(
        _("address"), max_length=300, blank=True, validators=[validate_no_control_characters]
    )
    uscc_override_reason = models.TextField(
        _("reason for accepting a failing check"),
        blank=True,
        validators=[validate_no_control_characters],
        help_text=_("Filled in by staff only when a real code fails the GB 32100 check."),
    )
    uscc_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("override recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    uscc_override_at = models.DateTimeField(_("override recorded at"), null=True, blank=True)
    # A unit registered by bureau staff is verified at once; one registered by a person on the
    # website waits until staff of its province check it (its administrator cannot endorse).
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def display_name(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    def is_of_province(self, province: str) -> bool:
        """A unit registered or located in a province counts as one of its units."""
        return province in (self.registered_province, self.located_province)


class MembershipStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class MembershipRequest(models.Model):
    """A researcher asks to belong to a unit; the unit's administrator approves or rejects."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person"),
        on_delete=models.CASCADE,
        related_name="membership_requests",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("unit"),
        on_delete=models.CASCADE,
        related_name="membership_requests",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MembershipStatus.choices, default=MembershipStatus.PENDING
    )
    # Why a request was rejected; the requester reads it in the email and on the unit page.
    reason = models.TextField(_("reason"), blank=True, validators=[validate_no_control_characters])
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("request to join a unit")
        verbose_name_plural = _("requests to join a unit")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status=MembershipStatus.PENDING),
                name="one_pending_membership_request_per_user",
            ),
        ]
        indexes = [models.Index(fields=["organization", "status"], name="membership_org_status")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.organization_id} ({self.status})"
