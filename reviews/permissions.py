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


# --- Public announcement (立项公示) ----------------------------------------------------------


def can_run_publicity(user: Any, call: Any = None) -> tuple[bool, str]:
    """Start and close a call's public announcement: review staff of either bureau."""
    if not getattr(user, "is_authenticated", False):
        return False, _("Sign in to run the public announcement.")
    if not is_review_staff(user):
        return False, _("Only bureau staff and administrators run the public announcement.")
    return True, ""


def can_resolve_objection(user: Any, objection: Any = None) -> tuple[bool, str]:
    """Read objections (with the objector's contact details and attachment) and decide them:
    review staff of either bureau."""
    if not getattr(user, "is_authenticated", False):
        return False, _("Sign in to read objections.")
    if not is_review_staff(user):
        return False, _("Only bureau staff and administrators read and decide objections.")
    return True, ""


# --- Awards (the joint decision) ---------------------------------------------------------------


def can_edit_award(user: Any, award: Any) -> tuple[bool, str]:
    """Change an award's amounts (which clears its approvals), or withdraw it: review staff,
    until the award is announced."""
    from reviews.models import EDITABLE_AWARD_STATUSES

    allowed, reason = can_manage_review(user)
    if not allowed:
        return False, reason
    if award.status not in EDITABLE_AWARD_STATUSES:
        return False, _("This award is “%(status)s”: it can no longer be changed.") % {
            "status": award.get_status_display()
        }
    return True, ""


def can_approve_award(user: Any, award: Any) -> tuple[bool, str]:
    """Approve an award for one's bureau: a staff member of Sichuan or Chongqing whose province
    has not approved it yet (administrators have no province)."""
    from portal.choices import JOINT_PROVINCES
    from reviews.models import AwardStatus

    if not getattr(user, "is_authenticated", False):
        return False, _("Sign in to approve awards.")
    if user.role == Role.ADMIN:
        return False, _(
            "Administrators have no province: an award is approved by one staff member of the Sichuan "
            "bureau and one of the Chongqing bureau."
        )
    if user.role != Role.BUREAU_STAFF or user.province not in {p.value for p in JOINT_PROVINCES}:
        return False, _("Only bureau staff of Sichuan or Chongqing approve awards.")
    approver = getattr(award, f"approved_{user.province.lower()}_by", None)
    if approver is not None and award.status != AwardStatus.WITHDRAWN:
        return False, _("Already approved by %(province)s (%(name)s).") % {
            "province": user.get_province_display(),
            "name": approver.full_name or approver.email,
        }
    if award.status not in (AwardStatus.PROPOSED, AwardStatus.APPROVED_SC, AwardStatus.APPROVED_CQ):
        return False, _("This award is “%(status)s”: there is nothing to approve.") % {
            "status": award.get_status_display()
        }
    return True, ""


# --- Funding notices (立项通知书) -------------------------------------------------------------


def can_manage_notices(user: Any, call: Any = None) -> tuple[bool, str]:
    """Start a call's notice batch, retry a failed notice, make a new version: review staff."""
    if not getattr(user, "is_authenticated", False):
        return False, _("Sign in to manage funding notices.")
    if not is_review_staff(user):
        return False, _("Only bureau staff and administrators manage funding notices.")
    return True, ""


def can_view_notice(user: Any, notice: Any) -> tuple[bool, str]:
    """Read a notice and download its PDF: review staff, the project's leader, and the
    administrator of its lead unit. Anyone else is told nothing (pages answer 404)."""
    if not getattr(user, "is_authenticated", False):
        return False, _("Sign in to see funding notices.")
    if is_review_staff(user):
        return True, ""
    application = notice.award.application
    if application.pi_id == user.pk:
        return True, ""
    if (
        user.role == Role.UNIT_ADMIN
        and user.organization_id
        and user.organization_id == application.lead_unit_id
    ):
        return True, ""
    return False, _("There is no funding notice with this id.")
