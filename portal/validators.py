"""Check digits of Chinese identifiers, as pure functions (no Django, no project imports).

- Unified social credit code of a unit (统一社会信用代码), GB 32100-2015.
- Resident identity card number of a person (公民身份号码), GB 11643-1999.

Each ``check_*`` function returns ``None`` when the value is valid and otherwise a
``Problem``: a stable ``code`` (for tests and API clients) and an English ``message``
that names the rule. Django forms and serializers wrap these (see
``portal/fields.py``) and translate the message.
"""

from dataclasses import dataclass
from datetime import date

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_LENGTH = 18

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
ID_LENGTH = 18


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    params: tuple[tuple[str, str], ...] = ()

    def param(self, name: str) -> str:
        return dict(self.params).get(name, "")


def uscc_check_char(first17: str) -> str:
    """The check character for the first 17 characters of a USCC."""
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(value: str) -> str:
    return value.strip().upper()


def check_uscc(value: str) -> Problem | None:
    code = normalize_uscc(value)
    if len(code) != USCC_LENGTH:
        return Problem(
            "length",
            f"must be exactly {USCC_LENGTH} characters (got {len(code)})",
            (("got", str(len(code))),),
        )
    bad = sorted({ch for ch in code if ch not in USCC_ALPHABET})
    if bad:
        return Problem(
            "alphabet",
            "may contain only digits and the capital letters of GB 32100 "
            f"(no I, O, Z, S, V); not allowed: {' '.join(bad)}",
            (("bad", " ".join(bad)),),
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        return Problem(
            "check",
            f"the check character (18th) does not match GB 32100: expected {expected}",
            (("expected", expected),),
        )
    return None


def uscc_region_province(value: str) -> str | None:
    """'CQ' or 'SC' from region digits 3–4 (50, 51): a hint only, never a rule."""
    return {"50": "CQ", "51": "SC"}.get(normalize_uscc(value)[2:4])


def _ascii_digits(text: str) -> bool:
    # str.isdigit() also accepts "²" and full-width "１", which are no part of an ID number.
    return text.isascii() and text.isdigit()


def id_check_char(first17: str) -> str:
    total = sum(int(ch) * w for ch, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def normalize_id_number(value: str) -> str:
    return value.strip().upper()


def id_birth_date(value: str) -> date | None:
    """The birth date encoded in an ID number, or None when it is no real date."""
    digits = normalize_id_number(value)[6:14]
    if len(digits) != 8 or not _ascii_digits(digits):
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


def check_id_number(value: str, *, today: date | None = None) -> Problem | None:
    number = normalize_id_number(value)
    if len(number) != ID_LENGTH:
        return Problem(
            "length",
            f"must be exactly {ID_LENGTH} characters (got {len(number)})",
            (("got", str(len(number))),),
        )
    if not _ascii_digits(number[:17]) or not (_ascii_digits(number[17]) or number[17] == "X"):
        return Problem("alphabet", "must be 17 digits followed by a digit or X")
    born = id_birth_date(number)
    if born is None or born.year < 1900 or (today is not None and born > today):
        return Problem(
            "birth_date",
            f"characters 7–14 are not a real birth date: {number[6:14]}",
            (("digits", number[6:14]),),
        )
    expected = id_check_char(number[:17])
    if number[17] != expected:
        return Problem(
            "check",
            f"the check character (18th) does not match GB 11643: expected {expected}",
            (("expected", expected),),
        )
    return None


def check_passport_number(value: str) -> Problem | None:
    """Passports of other countries vary: 5–20 letters or digits."""
    number = value.strip().upper()
    if not 5 <= len(number) <= 20 or not number.isascii() or not number.isalnum():
        return Problem("passport", "must be 5 to 20 Latin letters or digits")
    return None
