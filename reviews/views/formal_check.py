"""Placeholder; its owner replaces it."""

from django.http import Http404, HttpRequest, HttpResponse


def formal_check_list(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def formal_check_detail(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
