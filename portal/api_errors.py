"""One shape for every error the API returns, in the request's language.

DRF calls ``exception_handler`` (``REST_FRAMEWORK["EXCEPTION_HANDLER"]``) for every exception a
view raises. Whatever went wrong, the client receives::

    {"detail": "<readable summary>",
     "errors": [{"field": "<dotted path or null>", "code": "<stable code>", "message": "<text>"}]}

``field`` names the input that is wrong (nested serializer errors become dotted paths such as
``team.0.id_number``) and is null when the error concerns the request as a whole. ``code`` is
DRF's stable error code, so clients can branch on it without parsing translated text.

``page_not_found`` gives the same shape for addresses under ``/api/`` that match no URL at all.
"""

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

API_PREFIX = "/api/"


class ApiErrorItemSerializer(serializers.Serializer):
    """One problem of a failed request (documents the error shape in the schema)."""

    field = serializers.CharField(
        allow_null=True,
        help_text=gettext_lazy("Dotted path of the input at fault; null for the request as a whole."),
    )
    code = serializers.CharField(help_text=gettext_lazy("Stable, untranslated error code."))
    message = serializers.CharField(help_text=gettext_lazy("Readable message in the request's language."))


class ApiErrorSerializer(serializers.Serializer):
    """The body of every error response of the API."""

    detail = serializers.CharField(help_text=gettext_lazy("Readable summary in the request's language."))
    errors = ApiErrorItemSerializer(many=True)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        # Services and model validation raise Django's ValidationError: for the API that is
        # bad input (400), not a crash.
        exc = exceptions.ValidationError(serializers.as_serializer_error(exc))
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent | RequestDataTooBig):
        # Django refuses a body past its limits while DRF reads it: without this, Django's own
        # 400 page (HTML) would answer an API client.
        exc = _body_over_limit(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        # Not an error of the request but a bug: Django logs it and answers 500.
        return None
    response.data = error_body(exc, response.data)
    return response


def _body_over_limit(exc: Exception) -> exceptions.ParseError:
    if isinstance(exc, TooManyFieldsSent):
        message = _("The body has more than %(limit)d fields.") % {
            "limit": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        }
        return exceptions.ParseError(message, code="too_many_fields")
    if isinstance(exc, TooManyFilesSent):
        message = _("The body has more than %(limit)d files.") % {
            "limit": settings.DATA_UPLOAD_MAX_NUMBER_FILES
        }
        return exceptions.ParseError(message, code="too_many_files")
    message = _("The body is larger than %(limit)d bytes.") % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
    return exceptions.ParseError(message, code="too_large")


def error_body(exc: Exception, data: Any) -> dict[str, Any]:
    """The API's error shape for what DRF's own handler produced from ``exc``."""
    if not isinstance(exc, exceptions.ValidationError) and isinstance(data, dict) and set(data) == {"detail"}:
        # Every other APIException (and Http404/PermissionDenied, which DRF converted)
        # carries one message about the request as a whole.
        detail = data["detail"]
        message = str(detail)
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        return {"detail": message, "errors": [{"field": None, "code": code, "message": message}]}

    errors = [
        {"field": field, "code": code, "message": message} for field, code, message in _flatten(data, ())
    ]
    if not errors:
        errors = [{"field": None, "code": "invalid", "message": _("The request is not valid.")}]
    if len(errors) == 1:
        # Field paths are stable codes, not translated labels, but they tell the reader where.
        [error] = errors
        summary = f"{error['field']}: {error['message']}" if error["field"] else error["message"]
    else:
        summary = ngettext(
            "The request has %(count)d problem; see errors.",
            "The request has %(count)d problems; see errors.",
            len(errors),
        ) % {"count": len(errors)}
    return {"detail": summary, "errors": errors}


def _flatten(detail: Any, path: tuple[str, ...]) -> Iterator[tuple[str | None, str, str]]:
    """(dotted field path, code, message) for each message of DRF's nested error structure."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            # Errors of an object as a whole belong to the object's own path: a client marks
            # that object, not a field called "non_field_errors".
            sub_path = path if key == api_settings.NON_FIELD_ERRORS_KEY else (*path, str(key))
            yield from _flatten(value, sub_path)
    elif isinstance(detail, list):
        for index, item in enumerate(detail):
            if isinstance(item, dict | list):
                # Errors of a list of nested objects: one entry per item, empty for valid items.
                yield from _flatten(item, (*path, str(index)))
            else:
                yield from _flatten(item, path)
    else:
        yield ".".join(path) or None, getattr(detail, "code", None) or "invalid", str(detail)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 handler (``handler404`` in portal/urls.py): JSON in the API's shape under
    /api/, the site's page elsewhere."""
    if not request.path_info.startswith(API_PREFIX):
        # Imported here: the site shell imports the apps, whose API modules import this one.
        from portal.shell import views as shell_views

        return shell_views.page_not_found(request, exception)
    return error_response(_("There is no API endpoint at this address."), code="not_found", status=404)


def error_response(message: str, *, code: str, status: int, field: str | None = None) -> JsonResponse:
    """An error in the API's shape from plain Django code (middleware, handlers) outside DRF."""
    return JsonResponse(
        {"detail": message, "errors": [{"field": field, "code": code, "message": message}]},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )
