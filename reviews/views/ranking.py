"""Placeholder; its owner replaces it."""

from django.http import Http404, HttpRequest, HttpResponse


def ranking(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
