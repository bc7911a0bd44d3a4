"""Roles are stable codes; their labels are translated and never compared."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    UNIT_ADMIN = "unit_admin", _("Unit administrator")
    BUREAU_STAFF = "bureau_staff", _("Bureau staff")
    REVIEWER = "reviewer", _("Expert reviewer")
    ADMIN = "admin", _("Administrator")


# Roles that act for a bureau or for the whole portal: they prepare calls, register units,
# watch background work, and a second factor protects them.
MANAGER_ROLES = frozenset({Role.BUREAU_STAFF, Role.ADMIN})


def has_manager_role(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "role", None) in MANAGER_ROLES
