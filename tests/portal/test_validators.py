"""The check-character rules of GB 32100 (USCC) and GB 11643 (resident ID), as properties."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.validators import (
    USCC_ALPHABET,
    check_id_number,
    check_passport_number,
    check_uscc,
    id_birth_date,
    id_check_char,
    uscc_check_char,
    uscc_region_province,
)

uscc_bodies = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31))
id_bodies = st.builds(
    lambda region, born, seq: f"{region:06d}{born:%Y%m%d}{seq:03d}",
    st.integers(110000, 659999),
    births,
    st.integers(0, 999),
)


@pytest.mark.parametrize("code", ["91110000600037341L", "91350200MA2YJ1XR9G", "913502000728319549"])
def test_it_accepts_the_published_examples_of_uscc(code):
    assert check_uscc(code) is None


def test_it_accepts_the_published_example_of_an_id_number():
    assert check_id_number("11010519491231002X") is None
    assert id_birth_date("11010519491231002X") == date(1949, 12, 31)


@given(uscc_bodies)
def test_every_uscc_built_with_its_check_character_passes(body):
    assert check_uscc(body + uscc_check_char(body)) is None


@given(uscc_bodies, st.data())
def test_every_single_character_change_of_a_uscc_fails(body, data):
    code = body + uscc_check_char(body)
    position = data.draw(st.integers(0, 17))
    replacement = data.draw(st.sampled_from(USCC_ALPHABET).filter(lambda ch: ch != code[position]))
    changed = code[:position] + replacement + code[position + 1 :]
    problem = check_uscc(changed)
    assert problem is not None and problem.code == "check"


@given(id_bodies)
def test_every_id_number_built_with_its_check_character_passes(body):
    assert check_id_number(body + id_check_char(body)) is None


@given(id_bodies, st.data())
def test_every_single_character_change_of_an_id_number_fails(body, data):
    number = body + id_check_char(body)
    position = data.draw(st.integers(0, 17))
    alphabet = "0123456789X" if position == 17 else "0123456789"
    replacement = data.draw(st.sampled_from(alphabet).filter(lambda ch: ch != number[position]))
    changed = number[:position] + replacement + number[position + 1 :]
    assert check_id_number(changed) is not None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("91110000600037341", "length"),
        ("91110000600037341LX", "length"),
        ("", "length"),
        ("9111000060003734IL", "alphabet"),
        ("91110000600O37341L", "alphabet"),
        ("91110000600037341M", "check"),
    ],
)
def test_it_names_the_rule_a_bad_uscc_breaks(value, code):
    assert check_uscc(value).code == code


def test_it_reads_lowercase_and_spaces_around_a_uscc():
    assert check_uscc("  91350200ma2yj1xr9g ") is None


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("11010519491231002", "length"),
        ("1101051949123100ZX", "alphabet"),
        ("110105194913310026", "birth_date"),  # month 13
        ("110105190002290023", "birth_date"),  # 1900 was no leap year
        ("11010519491231002Y", "alphabet"),
        ("110105194912310021", "check"),
    ],
)
def test_it_names_the_rule_a_bad_id_number_breaks(value, code):
    assert check_id_number(value).code == code


def test_it_refuses_a_birth_date_in_the_future():
    body = "11010520990101001"
    problem = check_id_number(body + id_check_char(body), today=date(2026, 1, 1))
    assert problem.code == "birth_date"


def test_region_digits_hint_at_the_province():
    assert uscc_region_province("12500000" + "0" * 10) == "CQ"
    assert uscc_region_province("12510000" + "0" * 10) == "SC"
    assert uscc_region_province("91110000600037341L") is None


@pytest.mark.parametrize(
    ("value", "ok"), [("E12345678", True), ("AB1", False), ("E1234-5678", False), ("护照12345", False)]
)
def test_passport_numbers_are_5_to_20_latin_letters_or_digits(value, ok):
    assert (check_passport_number(value) is None) is ok


@given(id_bodies, st.data())
def test_digits_of_other_scripts_are_refused_never_crash(body, data):
    number = body + id_check_char(body)
    position = data.draw(st.integers(0, 17))
    foreign = data.draw(st.characters(categories=["Nd", "No"]).filter(lambda ch: not ch.isascii()))
    problem = check_id_number(number[:position] + foreign + number[position + 1 :])
    assert problem is not None and problem.code in {"alphabet", "birth_date"}


@pytest.mark.parametrize("value", ["１１０１０５１９４９１２３１００２X", "11010519491231²02X"])
def test_full_width_and_superscript_digits_are_refused(value):
    assert check_id_number(value).code == "alphabet"


def test_free_text_is_stripped_and_checked_for_length_and_control_characters():
    from django.core.exceptions import ValidationError

    from portal.fields import clean_text

    assert clean_text("  理由\r\n第二行 ", max_length=10) == "理由\n第二行"
    assert clean_text(None, max_length=10) == ""
    for value, code in (("x" * 11, "max_length"), ("a\x00b", "control"), (42, "invalid")):
        with pytest.raises(ValidationError) as refused:
            clean_text(value, max_length=10)
        assert refused.value.code == code
