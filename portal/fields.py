"""Django validators around the pure checks of ``portal.validators``, with translated messages
that name the field's rule. Forms, serializers and models all use these."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portal import validators

USCC_MESSAGES = {
    "length": _("The unified social credit code must be exactly 18 characters (got %(got)s)."),
    "alphabet": _(
        "The unified social credit code may contain only digits and the capital letters of "
        "GB 32100 (no I, O, Z, S or V); not allowed: %(bad)s."
    ),
    "check": _(
        "The unified social credit code fails the GB 32100 check: the 18th character should "
        "be %(expected)s. Please check the code on the business licence."
    ),
}
ID_MESSAGES = {
    "length": _("The resident ID number must be exactly 18 characters (got %(got)s)."),
    "alphabet": _("The resident ID number must be 17 digits followed by a digit or X."),
    "birth_date": _("The resident ID number holds no real birth date in characters 7–14 (%(digits)s)."),
    "check": _("The resident ID number fails the GB 11643 check: the 18th character should be %(expected)s."),
    "passport": _("A passport number must be 5 to 20 Latin letters or digits."),
}


def _raise(problem: validators.Problem | None, messages: dict) -> None:
    if problem is not None:
        raise ValidationError(messages[problem.code], code=problem.code, params=dict(problem.params))


def validate_uscc(value: str) -> None:
    _raise(validators.check_uscc(value), USCC_MESSAGES)


def validate_id_number(value: str) -> None:
    from django.utils import timezone

    _raise(validators.check_id_number(value, today=timezone.localdate()), ID_MESSAGES)


def validate_passport_number(value: str) -> None:
    _raise(validators.check_passport_number(value), ID_MESSAGES)


def clean_text(value: object, *, max_length: int) -> str:
    """Free text as a person typed it (a reason, a comment): stripped, line breaks as ``\\n``,
    at most ``max_length`` characters, no control characters. Raises ValidationError naming
    the rule (codes ``invalid``, ``max_length``, ``control``); None is empty text."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(_("Write text here."), code="invalid")
    text = value.replace("\r\n", "\n").strip()
    if len(text) > max_length:
        raise ValidationError(
            _("At most %(max)d characters (this has %(count)d).") % {"max": max_length, "count": len(text)},
            code="max_length",
        )
    validate_no_control_characters(text)
    return text


def validate_no_control_characters(value: str) -> None:
    """PostgreSQL refuses NUL, and no person types other control characters."""
    if any((ord(ch) < 32 and ch not in "\n\r\t") or ord(ch) == 127 for ch in value):
        raise ValidationError(
            _("This text contains control characters, which are not allowed."), code="control"
        )
