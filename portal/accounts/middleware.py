"""Staff and administrators act only after a second factor (TOTP), when the portal requires it.

With ``settings.PORTAL_REQUIRE_2FA`` on, a signed-in user who ``needs_second_factor`` and
whose session is not verified yet reaches only the second-factor pages, sign-out, the
language switch, static files and /healthz. Every other page redirects to /accounts/2fa/;
API paths answer 403 with JSON, since an API client cannot follow a redirect to a form.
"""

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from portal.api_errors import API_PREFIX, error_response


def _exempt_paths() -> tuple[str, ...]:
    # Resolved per request: cheap, and it follows the URLconf if a test overrides it.
    return (
        reverse("accounts:two_factor"),
        reverse("accounts:logout"),
        reverse("shell:set_language"),
        reverse("shell:healthz"),
        settings.STATIC_URL,
    )


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._must_verify(request) and not request.path.startswith(_exempt_paths()):
            return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _must_verify(request: HttpRequest) -> bool:
        if not settings.PORTAL_REQUIRE_2FA:
            return False
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.needs_second_factor:
            return False
        return not user.is_verified()

    @staticmethod
    def _refuse(request: HttpRequest) -> HttpResponse:
        if request.path.startswith(API_PREFIX):
            return error_response(
                _(
                    "Your role needs a second factor: confirm a code from your authenticator "
                    "app at /accounts/2fa/ before using the API."
                ),
                code="second_factor_required",
                status=403,
            )
        target = reverse("accounts:two_factor")
        if request.method == "GET":
            target = f"{target}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request") == "true":
            # htmx would swap the form into a fragment of the page; load it as a whole page.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)
