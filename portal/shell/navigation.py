"""The site navigation of each role, as data.

Each role code maps to the items its members see, in order. An item names a URL by its
name, never by its path, and an item may be kept for users who may use the admin site.
Later issues add items here (applications, endorsements, formal check, reviews …); only
pages that exist are listed, so a link never leads to a 404.
"""

from dataclasses import dataclass
from typing import NamedTuple

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portal.accounts.roles import Role


class NavItem(NamedTuple):
    label: Promise
    url_name: str
    # The Django admin answers only users with is_staff; others would meet its login page.
    needs_admin_site: bool = False


@dataclass(frozen=True)
class NavLink:
    """One item, resolved for a request: what the template renders."""

    label: str
    url: str
    current: bool


HOME = NavItem(_("Home"), "shell:home")
CALLS = NavItem(_("Calls"), "calls:list")
API_DOCS = NavItem(_("API"), "api-docs")
ADMIN_SITE = NavItem(_("Administration"), "admin:index", needs_admin_site=True)
SECURITY = NavItem(_("Account security"), "accounts:security")
PROFILE = NavItem(_("My profile"), "accounts:profile")
UNIT_MEMBERS = NavItem(_("Unit members"), "units:members")
REGISTER = NavItem(_("Register"), "accounts:register")
MY_APPLICATIONS = NavItem(_("My applications"), "applications:list")
UNIT_APPLICATIONS = NavItem(_("Endorsements"), "applications:unit_list")
FORMAL_CHECK = NavItem(_("Formal check"), "reviews:formal_check_list")
REVIEW = NavItem(_("Expert review"), "reviews:home")
EXPERTS = NavItem(_("Experts"), "reviews:expert_list")
MY_REVIEWS = NavItem(_("My reviews"), "reviews:my_assignments")
ANNOUNCEMENTS = NavItem(_("Announcements"), "public:announcements")
MY_NOTICES = NavItem(_("Funding notices"), "reviews:my_notices")

ANONYMOUS_NAVIGATION: tuple[NavItem, ...] = (HOME, CALLS, ANNOUNCEMENTS, REGISTER)

NAVIGATION: dict[str, tuple[NavItem, ...]] = {
    Role.APPLICANT: (HOME, MY_APPLICATIONS, MY_NOTICES, CALLS, ANNOUNCEMENTS, PROFILE, SECURITY),
    Role.UNIT_ADMIN: (
        HOME,
        UNIT_APPLICATIONS,
        MY_NOTICES,
        UNIT_MEMBERS,
        CALLS,
        ANNOUNCEMENTS,
        PROFILE,
        SECURITY,
    ),
    Role.BUREAU_STAFF: (HOME, FORMAL_CHECK, REVIEW, EXPERTS, CALLS, ADMIN_SITE, API_DOCS, PROFILE, SECURITY),
    Role.REVIEWER: (HOME, MY_REVIEWS, CALLS, PROFILE, SECURITY),
    Role.ADMIN: (HOME, REVIEW, EXPERTS, CALLS, ADMIN_SITE, API_DOCS, PROFILE, SECURITY),
}


def optional_url(url_name: str, *args: object) -> str | None:
    """The URL of a page that another part of the portal may or may not provide yet
    (an admin registration, say); None when it does not exist, so no dead link is shown."""
    try:
        return reverse(url_name, args=args)
    except NoReverseMatch:
        return None


def items_for(user: object) -> tuple[NavItem, ...]:
    """The items a user sees: the anonymous ones, or those of the user's role."""
    if not getattr(user, "is_authenticated", False):
        return ANONYMOUS_NAVIGATION
    items = NAVIGATION.get(getattr(user, "role", ""), (HOME, CALLS, SECURITY))
    may_use_admin_site = bool(getattr(user, "is_staff", False))
    return tuple(item for item in items if may_use_admin_site or not item.needs_admin_site)


def nav_links(user: object, path: str) -> list[NavLink]:
    """The user's items with their URLs; the one whose section holds ``path`` is current."""
    resolved = [(item, url) for item in items_for(user) if (url := optional_url(item.url_name)) is not None]
    # The home page is current only on itself; other items own their whole section, and of
    # nested sections (/review/ and /review/experts/) the innermost one is current.
    owners = [url for _item, url in resolved if (path == url if url == "/" else path.startswith(url))]
    current = max(owners, key=len, default=None)
    return [NavLink(label=str(item.label), url=url, current=url == current) for item, url in resolved]
