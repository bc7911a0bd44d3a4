"""What people type in an objection to an announcement (立项公示), checked before anything is
stored: a real name (no placeholder such as 匿名 or 张某), a unit, a Chinese mobile or fixed
phone number, an email address, the text, an optional PDF attachment of at most 10 MB (checked
by its content), and the address the objection came from. ``clean_objection`` checks them all;
``reviews.services.publicity.objection_file`` files the objection.
"""

import ipaddress
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from applications.services.applications import _is_pdf
from portal.fields import clean_text

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_NAME = 100
MAX_UNIT = 200
MAX_TEXT = 5000

# Placeholders people type instead of a name. Compared after dropping spaces, punctuation and
# case; names containing 匿名 or 某 (张某, 某某) or starting with "anonym" are refused too.
PLACEHOLDER_NAMES = frozenset(
    {
        "匿名",
        "无名",
        "无名氏",
        "佚名",
        "不详",
        "未知",
        "保密",
        "无",
        "略",
        "群众",
        "知情人",
        "知情者",
        "举报人",
        "网友",
        "anonymous",
        "anon",
        "anonym",
        "unknown",
        "none",
        "null",
        "na",
        "nobody",
        "noname",
        "secret",
        "private",
        "test",
        "xxx",
        "xx",
        "x",
    }
)
_NOT_LETTERS = re.compile(r"[\W_]+", re.UNICODE)
MOBILE = re.compile(r"1[3-9][0-9]{9}")
# A fixed line's local number after its area code: 7 or 8 digits, not starting with 0.
LOCAL_NUMBER = re.compile(r"[1-9][0-9]{6,7}")
# ASCII digits only (a full-width ０ is not stored), spaces, dashes, brackets, a leading +.
PHONE_CHARACTERS = re.compile(r"\+?[0-9 \-()]+")


def is_placeholder_name(name: str) -> bool:
    folded = _NOT_LETTERS.sub("", name).casefold()
    return (
        not folded
        or folded in PLACEHOLDER_NAMES
        or "匿名" in folded
        or "某" in folded
        or folded.startswith("anonym")
        or folded.isdigit()
    )


def clean_phone(value: object) -> str:
    """A Chinese mobile (1[3-9] and 9 digits) or a fixed line with its area code, written with
    digits, spaces, dashes, brackets and an optional +86; returned as 13812345678 or
    028-12345678. Raises ValidationError."""
    text = value.strip() if isinstance(value, str) else ""
    message = _(
        "Give a mobile number (11 digits, such as 13812345678) or a fixed line with its area code "
        "(such as 028-12345678)."
    )
    if not text or len(text) > 30 or not PHONE_CHARACTERS.fullmatch(text):
        raise ValidationError(message, code="phone")
    digits = re.sub(r"[^0-9]", "", text)
    international = False
    if text.startswith("+"):
        # Only China's country code; abroad the number has no area code of ours to check.
        if not digits.startswith("86"):
            raise ValidationError(message, code="phone")
        digits, international = digits[2:], True
    elif digits.startswith("0086"):
        digits, international = digits[4:], True
    elif digits.startswith("86") and len(digits) == 13:
        digits, international = digits[2:], True
    if international and digits[:1] not in ("", "0", "1"):
        # +86 28 1234 5678: the international form drops the area code's leading 0.
        digits = "0" + digits
    if MOBILE.fullmatch(digits):
        return digits
    if digits.startswith("0") and len(digits) > 2:
        # Area codes are 010 and 020–029 (three digits) or 0 and three digits (0831, 0812 …).
        area_length = 3 if digits[1] in "12" else 4
        area, local = digits[:area_length], digits[area_length:]
        if LOCAL_NUMBER.fullmatch(local):
            return f"{area}-{local}"
    raise ValidationError(message, code="phone")


def _check_attachment(upload: Any) -> None:
    """A PDF (by its content) of at most 10 MB, with a plain file name."""
    name = str(getattr(upload, "name", "") or "")
    if not name or name in (".", "..") or any(ch in name for ch in "/\\") or any(ord(ch) < 32 for ch in name):
        raise ValidationError(_("The file name may not contain a path, “..” or control characters."))
    size = upload.size
    if size > MAX_ATTACHMENT_BYTES:
        raise ValidationError(
            _("The file is %(size)s MB; the attachment may be at most 10 MB.")
            % {"size": f"{size / 1048576:.1f}"},
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(max(size - 2048, 0))
    tail = upload.read()
    upload.seek(0)
    if not _is_pdf(head, tail):
        raise ValidationError(
            _("The file is not a PDF (checked by its content, not its name). Please attach a PDF."),
            code="not_pdf",
        )


def clean_objection(
    *, name: Any, unit: Any, phone: Any, email: Any, text: Any, attachment: Any = None
) -> dict[str, Any]:
    """The objection's input, cleaned; ObjectionInvalid names every field at fault."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}

    def take(field: str, check: Any) -> None:
        try:
            cleaned[field] = check()
        except ValidationError as error:
            errors[field] = error.messages[0]

    def real_name() -> str:
        value = clean_text(name, max_length=MAX_NAME)
        if not value:
            raise ValidationError(_("Give your real name: anonymous objections are not accepted."))
        if is_placeholder_name(value):
            raise ValidationError(
                _("“%(name)s” is not a real name: anonymous objections are not accepted.") % {"name": value}
            )
        return value

    def required(value: Any, limit: int, message: str) -> str:
        cleaned_value = clean_text(value, max_length=limit)
        if not cleaned_value:
            raise ValidationError(message)
        return cleaned_value

    def email_address() -> str:
        value = clean_text(email, max_length=254)
        if not value:
            raise ValidationError(_("Give your email address: the decision is sent there."))
        validate_email(value)
        return value

    take("name", real_name)
    take(
        "unit",
        lambda: required(unit, MAX_UNIT, _("Give your unit (or “individual” if you object in person).")),
    )
    take("phone", lambda: clean_phone(phone))
    take("email", email_address)
    take("text", lambda: required(text, MAX_TEXT, _("Write the objection and the facts it rests on.")))
    if attachment:
        take("attachment", lambda: _check_attachment(attachment))
    if errors:
        # Here, not at the top: ObjectionInvalid is a PublicityError, and the publicity
        # services import this module.
        from reviews.services.publicity import ObjectionInvalid

        raise ObjectionInvalid(errors)
    return cleaned


def _valid_ip(ip: str | None) -> str | None:
    """The address as PostgreSQL's inet column takes it; anything else (a forwarded header
    written by hand behind a proxy) is not stored."""
    try:
        return str(ipaddress.ip_address(str(ip).strip())) if ip else None
    except ValueError:
        return None
