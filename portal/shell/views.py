"""Stub — replaced by the site-shell work."""

from django.http import HttpResponse
from django.views.defaults import bad_request, page_not_found, permission_denied, server_error  # noqa: F401
from django.views.i18n import set_language  # noqa: F401


def home(request):  # noqa: ANN001, ANN201
    return HttpResponse("home")
