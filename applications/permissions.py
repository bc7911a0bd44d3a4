"""Who may do what on calls: ``can_<verb>(user, obj) -> (allowed, reason)``."""

from typing import Any

from django.utils.translation import gettext as _

from portal.accounts.roles import has_manager_role


def can_read_draft_calls(user: Any) -> tuple[bool, str]:
    """Calls in preparation are for those who prepare them; for anyone else they do not exist."""
    if has_manager_role(user) or getattr(user, "is_staff", False):
        return True, ""
    return False, _("This call is not published yet.")


def can_print_guide(user: Any, call: Any) -> tuple[bool, str]:
    """Printing the guide again is for those who prepare calls: bureau staff and administrators."""
    if can_read_draft_calls(user)[0]:
        return True, ""
    return False, _("Only bureau staff or an administrator may print the guide of a call.")
