"""Who may do what on calls: ``can_<verb>(user, obj) -> (allowed, reason)``."""

from typing import Any

from django.utils.translation import gettext as _

from applications.models import FundingCall
from applications.selectors import sees_draft_calls


def can_print_guide(user: Any, call: FundingCall) -> tuple[bool, str]:
    """Printing the guide again is for those who prepare calls: bureau staff and administrators."""
    if sees_draft_calls(user):
        return True, ""
    return False, _("Only bureau staff or an administrator may print the guide of a call.")
