"""Who may do what to units: ``can_<verb>(user, obj) -> (allowed, reason)``."""

from typing import Any

from django.utils.translation import gettext as _

from portal.accounts.roles import has_manager_role


def can_override_uscc(user: Any, organization: Any = None) -> tuple[bool, str]:
    """Accepting a code that fails the GB 32100 check is for bureau staff and administrators
    (by role: the admin-site flag alone does not give it)."""
    if has_manager_role(user):
        return True, ""
    return False, _("Only bureau staff or an administrator may accept a code that fails the check.")


def can_register_organization(user: Any) -> tuple[bool, str]:
    """Registering units is for bureau staff and administrators (unit administrators follow
    with the applicants' milestone)."""
    if has_manager_role(user):
        return True, ""
    return False, _("Only bureau staff or an administrator may register a unit here.")
