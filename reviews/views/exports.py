"""Downloads for review staff: the award list and all applications with their aggregates, as
CSV (streamed) or XLSX — ``?format=csv|xlsx``, XLSX when absent. What the files hold and
why: ``reviews/exports.py``."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from applications.selectors import call_get_for_user
from reviews.exports import (
    APPLICATIONS,
    AWARDS,
    UnknownFormat,
    export_response,
    parse_format,
    unknown_format_message,
)
from reviews.permissions import require_review_staff


def _export(request: HttpRequest, call_pk: int, kind: str) -> HttpResponseBase:
    call = call_get_for_user(user=request.user, pk=call_pk)
    require_review_staff(request.user, call)
    try:
        fmt = parse_format(request.GET.get("format"))
    except UnknownFormat as unknown:
        return _bad_format(request, unknown)
    return export_response(kind, call, fmt)


def _bad_format(request: HttpRequest, unknown: UnknownFormat) -> HttpResponse:
    return render(request, "errors/400.html", {"message": unknown_format_message(unknown)}, status=400)


@require_GET
@login_required
def awards_export(request: HttpRequest, call_pk: int) -> HttpResponseBase:
    return _export(request, call_pk, AWARDS)


@require_GET
@login_required
def applications_export(request: HttpRequest, call_pk: int) -> HttpResponseBase:
    return _export(request, call_pk, APPLICATIONS)
