"""The error answers every API operation can give, declared in the OpenAPI schema.

Each view documents the errors of its own rules (a 409 for a stale version, a 403 with the
reason, …). Some errors come from the framework around every view instead, whatever the view
is, and ``declare_error_responses`` (a drf-spectacular postprocessing hook, see
``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``) adds them where a view did not, all in the
shape of portal/api_errors.py (``ApiError``):

- 401 on every operation: a token or session that is not (or no longer) valid is refused,
  even where signing in is optional;
- 403 where a signed-in user is needed (a role or an object may not allow it) and on every
  writing method (a session without its CSRF token);
- 404 on every operation with a path id (no such object, or not one the caller may see) and on
  the paginated lists (a page past the end);
- 400 and 415 on every operation that reads a body (a body that does not parse, or of a media
  type the operation does not read), 400 on every operation that reads query parameters.

The fuzz of tests/fuzz/ checks that every answer of the API is one the schema documents.
"""

from typing import Any

from django.utils.translation import gettext as _

ERROR_REF = {"$ref": "#/components/schemas/ApiError"}
SAFE_METHODS = {"get", "head", "options"}


def _descriptions() -> dict[int, str]:
    # Built per call: the schema is rendered in the language of the request.
    return {
        400: _("The request is not valid; errors name each field at fault and the rule."),
        401: _("Not signed in, or the token or session is not valid."),
        403: _("Signed in, but not allowed to do this (role, object or missing CSRF token)."),
        404: _("No such object, or not one you may see; or a page past the end of the list."),
        415: _("The body is of a media type this operation does not read."),
    }


def declare_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    descriptions = _descriptions()
    for methods in result.get("paths", {}).values():
        for method, operation in methods.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status in sorted(_framework_errors(method, operation)):
                operation["responses"].setdefault(
                    str(status),
                    {
                        "description": descriptions[status],
                        "content": {"application/json": {"schema": ERROR_REF}},
                    },
                )
    return result


def _framework_errors(method: str, operation: dict[str, Any]) -> set[int]:
    parameters = operation.get("parameters", [])
    anonymous = {} in operation.get("security", [{}])
    errors = {401}
    if not anonymous or method not in SAFE_METHODS:
        errors.add(403)
    if any(parameter.get("in") == "path" for parameter in parameters):
        errors.add(404)
    if any(parameter.get("in") == "query" and parameter.get("name") == "page" for parameter in parameters):
        errors.add(404)
    if any(parameter.get("in") == "query" for parameter in parameters):
        errors.add(400)
    if "requestBody" in operation:
        errors.update({400, 415})
    return errors
