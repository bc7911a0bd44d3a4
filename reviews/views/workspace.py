"""Placeholder; its owner replaces it."""

from django.http import Http404, HttpRequest, HttpResponse


def my_assignments(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def assignment_detail(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def assignment_declare(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def assignment_review(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def assignment_pdf(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def review_reopen(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
