"""Sending one case to the portal and checking its answer, for the fuzz and for the explicit
examples of tests/fuzz/test_found_defects.py: the same checks for both.

Every answer is checked for: no server error; a status code, a content type and a body that
the schema documents for the operation; and, for a hostile (negative) case, a refusal (4xx) —
unless the API reads it as valid by one of its stated conventions (``read_leniently``).
A case runs in a savepoint rolled back after its answer; its on-commit work (emails, PDFs,
the assignment solver) runs first, eagerly, so a crash there fails the case too.
"""

import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import schemathesis
from django.core.signals import got_request_exception
from django.db import transaction
from django.test import TestCase
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.core.mutations import OperatorKind
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# For a hostile case the API reads leniently, by convention (see read_leniently): every check
# but the refusal.
LENIENT_CHECKS = [check for check in CHECKS if check is not negative_data_rejection]


def read_leniently(case: schemathesis.Case) -> bool:
    """Whether the API reads this hostile case as valid input, by a convention of its own or of
    DRF, so that accepting it is right:

    - an empty query parameter (``?sort=``) counts as absent (stated in the schema's
      description);
    - a JSON number sent for a text field is read as its digits (DRF's CharField);
    - a form or multipart body that is not an object (``false``) cannot be carried by a form:
      it arrives as an empty form.
    """
    meta = case.meta
    if meta is None or not meta.generation.mode.is_negative:
        return False
    if any(value in ("", [], None) for value in (case.query or {}).values()):
        return True
    form = (case.media_type or "").startswith(("multipart/", "application/x-www-form-urlencoded"))
    if form and case.body is not NOT_SET and not isinstance(case.body, dict):
        return True
    mutations = getattr(meta.phase.data, "mutations", None) or ()
    return bool(mutations) and all(
        mutation.operator == OperatorKind.CHANGE_TYPE
        and mutation.parameter_location == ParameterLocation.BODY
        and mutation.original_value == "string"
        and mutation.new_value in ("integer", "number")
        for mutation in mutations
    )


@contextmanager
def server_exceptions() -> Iterator[list[str]]:
    """Tracebacks of the exceptions the portal turned into 500s, for the failure message."""
    caught: list[str] = []

    def receiver(sender: object, request: object = None, **kwargs: object) -> None:
        caught.append("".join(traceback.format_exception(*sys.exc_info())))

    got_request_exception.connect(receiver)
    try:
        yield caught
    finally:
        got_request_exception.disconnect(receiver)


def send(
    case: schemathesis.Case,
    *,
    app: object,
    headers: dict[str, str],
    answered: Callable[[schemathesis.Case, schemathesis.Response], None] | None = None,
    **kwargs: object,
) -> schemathesis.Response:
    """Send ``case`` in a savepoint rolled back after the answer (given to ``answered``, if
    any, before it is checked); check the answer."""
    with server_exceptions() as caught:
        with transaction.atomic():
            with TestCase.captureOnCommitCallbacks(execute=True):
                response = case.call(headers=headers, app=app, **kwargs)
            transaction.set_rollback(True)
        if answered is not None:
            answered(case, response)
        try:
            case.validate_response(response, checks=LENIENT_CHECKS if read_leniently(case) else CHECKS)
        except BaseException as failure:  # schemathesis' FailureGroup is a BaseExceptionGroup
            failure.add_note(f"Case: {describe(case)}")
            for text in caught:
                failure.add_note(text)
            raise
    return response


def describe(case: schemathesis.Case) -> str:
    """The case as sent (for a failure message: the curl line cannot show every body)."""
    meta = case.meta
    mutations = getattr(meta.phase.data, "mutations", None) if meta is not None else None
    return (
        f"mode={meta.generation.mode.value if meta else '?'} media_type={case.media_type} "
        f"path={case.path_parameters} query={case.query} body={case.body!r:.800} "
        f"mutations={[m.to_dict() for m in mutations or ()]!r:.800}"
    )


def token_header(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Token {token}"} if token else {}
