"""Rules the call's own fields enforce, whatever page or service writes them."""

import pytest
from django.core.exceptions import ValidationError

from applications.models import validate_notice_number_format


@pytest.mark.parametrize(
    "value", ["川渝联研〔{year}〕{number}号", "渝科局发〔{year}〕{number}号", "{number}"]
)
def test_a_notice_number_format_with_year_and_number_is_accepted(value):
    validate_notice_number_format(value)


@pytest.mark.parametrize(
    "value",
    [
        "{year}",
        "{year[0]}{number}",
        "{year.real}{number}",
        "{number:05d}",
        "{number!r}",
        "{foo}{number}",
        "〔{year}",
    ],
)
def test_a_notice_number_format_that_would_fail_or_pad_is_refused(value):
    with pytest.raises(ValidationError):
        validate_notice_number_format(value)
