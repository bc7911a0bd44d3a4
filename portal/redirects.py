"""Where to send a person after a form: the first candidate address that is on this site."""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, *candidates: str | None, fallback: str) -> str:
    """The first candidate on this host (never another site: no open redirect), else ``fallback``."""
    for candidate in candidates:
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return fallback
