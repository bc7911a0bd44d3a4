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


def can_apply(user: Any, call: Any) -> tuple[bool, str]:
    """Applying is for researchers (applicants) who belong to a unit of Sichuan or Chongqing,
    while the call is open and before its deadline."""
    from django.utils import timezone

    from applications.models import CallStatus
    from portal.accounts.roles import Role

    if not getattr(user, "is_authenticated", False) or user.role != Role.APPLICANT:
        return False, _("Only researchers with an applicant account can apply.")
    unit = user.organization
    if unit is None:
        return False, _("Join your unit first (My unit): an application is led by a unit.")
    if not ({unit.registered_province, unit.located_province} & {"SC", "CQ"}):
        return False, _("Your unit is neither in Sichuan nor in Chongqing; it can be a partner but not lead.")
    if call.status != CallStatus.OPEN or timezone.now() > call.submit_deadline:
        return False, _("This call is not open for applications.")
    return True, ""


def is_team_member(user: Any, application: Any) -> bool:
    """The PI or a teammate whose row is linked to their account."""
    if not getattr(user, "is_authenticated", False):
        return False
    if application.pi_id == user.pk:
        return True
    return any(member.user_id == user.pk for member in application.team.all())


def can_read_application(user: Any, application: Any) -> tuple[bool, str]:
    """The team reads its application in every state; the lead unit's administrator once it is
    submitted; bureau staff and administrators once it is submitted."""
    from portal.accounts.roles import Role

    if not getattr(user, "is_authenticated", False):
        return False, _("Sign in to see applications.")
    if is_team_member(user, application):
        return True, ""
    # Once submitted (a draft withdrawn before that stays the team's own).
    if application.submission_count > 0:
        if user.role == Role.UNIT_ADMIN and user.organization_id == application.lead_unit_id:
            return True, ""
        if has_manager_role(user):
            return True, ""
    return False, _("There is no application with this id.")


def can_edit_application(user: Any, application: Any) -> tuple[bool, str]:
    from applications.workflow import EDITABLE_STATES

    if not is_team_member(user, application):
        return False, _("Only the project team may change the application.")
    if application.status not in EDITABLE_STATES:
        return False, _("The application has been submitted and can no longer be changed.")
    return True, ""
