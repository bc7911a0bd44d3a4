"""Placeholder; its owner replaces it."""

from django.http import Http404, HttpRequest, HttpResponse


def expert_list(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def expert_import(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
