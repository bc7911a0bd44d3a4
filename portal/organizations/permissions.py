"""Who may do what to units: ``can_<verb>(user, obj) -> (allowed, reason)``."""

from typing import Any

from django.utils.translation import gettext as _

from portal.accounts.roles import Role, has_manager_role


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


def can_manage_members(user: Any) -> tuple[bool, str]:
    """The members page of a unit is for its unit administrator."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "role", None) != Role.UNIT_ADMIN:
        return False, _("Only a unit administrator may manage the members of a unit.")
    if getattr(user, "organization_id", None) is None:
        return False, _("Your account is not linked to a unit yet.")
    return True, ""


def can_decide_membership(user: Any, membership_request: Any) -> tuple[bool, str]:
    """Only the administrator of the unit that a person asks to join approves or rejects."""
    allowed, reason = can_manage_members(user)
    if not allowed:
        return False, reason
    if user.organization_id != membership_request.organization_id:
        return False, _("Only the administrator of the unit asked may decide this request.")
    return True, ""


def can_request_membership(user: Any) -> tuple[bool, str]:
    """Researchers (applicants and experts) without a unit may ask to join one."""
    if not getattr(user, "is_authenticated", False):
        return False, _("Please sign in to ask to join a unit.")
    if getattr(user, "organization_id", None) is not None:
        return False, _("Your account already belongs to a unit.")
    if getattr(user, "role", None) not in (Role.APPLICANT, Role.REVIEWER):
        return False, _("Only researchers ask to join a unit; your role is set by an administrator.")
    return True, ""


def can_verify_organization(user: Any, organization: Any) -> tuple[bool, str]:
    """Checking a unit registered on the website is for bureau staff of its province (where it
    is registered or located) and administrators."""
    from portal.accounts.roles import Role

    if getattr(user, "is_authenticated", False):
        if user.role == Role.ADMIN:
            return True, ""
        if user.role == Role.BUREAU_STAFF and organization.is_of_province(user.province):
            return True, ""
    return False, _("Only bureau staff of the unit's province or an administrator may verify a unit.")
