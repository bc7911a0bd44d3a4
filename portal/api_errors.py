"""Stub — replaced by the API work."""

from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):  # noqa: ANN001, ANN201
    return drf_exception_handler(exc, context)
