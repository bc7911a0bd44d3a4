"""Who may do what in the review: ``can_<verb>(user, obj) -> (allowed, reason)``; views, API
and templates ask these same functions."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from portal.accounts.roles import Role


def is_review_staff(user: Any) -> bool:
    """Bureau staff of either province and administrators organise the (joint) review."""
    return bool(getattr(user, "is_authenticated", False)) and user.role in (Role.BUREAU_STAFF, Role.ADMIN)


def can_manage_review(user: Any, call: Any = None) -> tuple[bool, str]:
    """Import experts, run and fix the assignment, watch progress, read rankings, reopen reviews."""
    if not getattr(user, "is_authenticated", False):
        return False, _("Sign in to organise the review.")
    if not is_review_staff(user):
        return False, _("Only bureau staff and administrators organise the expert review.")
    return True, ""


def require_review_staff(user: Any, call: Any = None) -> None:
    """Raise PermissionDenied with the reason unless ``user`` organises the review (pages answer
    403 with it, the API too: DRF turns Django's PermissionDenied into its own)."""
    allowed, reason = can_manage_review(user, call)
    if not allowed:
        raise PermissionDenied(reason)


def can_formal_check(user: Any, application: Any) -> tuple[bool, str]:
    """The formal check of an application is decided by the bureau of its lead unit's province."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.BUREAU_STAFF:
        return False, _("Only bureau staff make the formal check.")
    if user.province != application.province:
        return False, _(
            "The formal check of this application belongs to the bureau of %(province)s, the province of its lead unit."
        ) % {"province": application.get_province_display()}
    return True, ""


def is_expert(user: Any) -> bool:
    """A signed-in expert with an active profile in the pool."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.REVIEWER:
        return False
    profile = getattr(user, "reviewer_profile", None)
    return profile is not None and profile.active
