"""Remembers the client address of the current request for the audit trail."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from portal.audit.context import client_ip, client_ip_of


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = client_ip.set(client_ip_of(request))
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)
