"""The site shell's context processor: what base.html needs on every page."""

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from portal.shell.navigation import nav_links


def role_label(user: object) -> str:
    """The role's translated label; bureau staff also name their province (四川/重庆)."""
    label = str(user.get_role_display())
    if getattr(user, "province", ""):
        return _("%(role)s · %(province)s") % {"role": label, "province": user.get_province_display()}
    return label


def shell(request: HttpRequest) -> dict[str, object]:
    # Error handlers may render before authentication ran; then the page is anonymous.
    user = getattr(request, "user", None)
    signed_in = bool(user is not None and user.is_authenticated)
    current = get_language() or settings.LANGUAGE_CODE
    return {
        "nav_links": nav_links(user, request.path),
        "role_label": role_label(user) if signed_in else "",
        "portal_languages": [
            {"code": code, "name": name, "current": code == current} for code, name in settings.LANGUAGES
        ],
    }
