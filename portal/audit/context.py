"""The client's address: for the audit trail (kept per request, so services need no request)
and for login throttling (django-axes calls ``client_ip_of``), resolved the same way."""

from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest

client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)


def client_ip_of(request: HttpRequest) -> str | None:
    """REMOTE_ADDR, or behind PORTAL_TRUSTED_PROXIES load balancers the address the nearest of
    them saw in X-Forwarded-For. Entries a client wrote itself (further left) are never trusted."""
    proxies = settings.PORTAL_TRUSTED_PROXIES
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None
