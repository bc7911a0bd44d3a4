"""Placeholder; its owner replaces it."""

from django.http import Http404, HttpRequest, HttpResponse


def assignment_overview(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def assignment_run_detail(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def panel_detail(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def review_progress(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def review_home(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
