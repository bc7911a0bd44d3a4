"""Users: people who sign in with their email address, each with one role code."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.accounts.roles import MANAGER_ROLES, Role
from portal.choices import Province
from portal.fields import validate_no_control_characters


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("role", Role.APPLICANT)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self._create(email, password, **extra)


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident ID card")
    PASSPORT = "passport", _("Passport")


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=100, validators=[validate_no_control_characters])
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.APPLICANT)
    # Bureau staff act for one province; for other roles it stays empty.
    province = models.CharField(_("province"), max_length=5, choices=Province.choices, blank=True)
    organization = models.ForeignKey(
        "organizations.Organization",
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        help_text=_("The unit the person works for; a unit administrator endorses for it."),
    )
    id_type = models.CharField(
        _("ID type"), max_length=20, choices=IdType.choices, default=IdType.RESIDENT_ID
    )
    id_number = models.CharField(_("ID or passport number"), max_length=20, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    title = models.CharField(_("professional title"), max_length=50, blank=True)
    degree = models.CharField(_("degree"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("may use the admin site"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role=Role.BUREAU_STAFF) | models.Q(province__in=["SC", "CQ"]),
                name="bureau_staff_has_province",
                violation_error_message=_("Bureau staff must belong to the Sichuan or the Chongqing bureau."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>" if self.full_name else self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.email.strip().lower()
        if self.role == Role.BUREAU_STAFF and self.province not in (Province.SC, Province.CQ):
            raise ValidationError(
                {"province": _("Bureau staff must belong to the Sichuan or the Chongqing bureau.")}
            )
        if self.id_number:
            self._clean_id_number()

    def _clean_id_number(self) -> None:
        """The number passes its check; a resident ID also fixes the birth date it encodes."""
        from portal.fields import validate_id_number, validate_passport_number
        from portal.validators import id_birth_date, normalize_id_number

        self.id_number = normalize_id_number(self.id_number)
        check = validate_id_number if self.id_type == IdType.RESIDENT_ID else validate_passport_number
        try:
            check(self.id_number)
        except ValidationError as error:
            raise ValidationError({"id_number": error.messages}) from error
        if self.id_type == IdType.RESIDENT_ID:
            # The number is the authority: a birth date typed (or left from an old number) yields.
            self.birth_date = id_birth_date(self.id_number)

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name or self.email

    @property
    def needs_second_factor(self) -> bool:
        return self.role in MANAGER_ROLES or self.is_staff or self.is_superuser

    @property
    def is_bureau_staff(self) -> bool:
        return self.role == Role.BUREAU_STAFF
