"""The working-day window of the public announcement (reviews/working_days.py)."""

import doctest
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviews import working_days
from reviews.working_days import add_working_days, is_working_day, next_working_day, working_days_between

NATIONAL_DAY_2021 = {date(2021, 10, 1) + timedelta(days=i) for i in range(7)}
WORKED_2021 = {date(2021, 9, 26), date(2021, 10, 9)}

# Dates of a few years around the calls, and calendars over the same span.
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2023, 12, 31))
calendars = st.tuples(st.sets(days, max_size=60), st.sets(days, max_size=30))
lengths = st.integers(min_value=1, max_value=30)


def test_the_2021_national_day_window_ends_on_the_worked_saturday():
    assert add_working_days(date(2021, 9, 28), 5, NATIONAL_DAY_2021, WORKED_2021) == date(2021, 10, 9)


def test_without_the_holiday_the_same_window_ends_on_the_monday():
    assert add_working_days(date(2021, 9, 28), 5, set(), set()) == date(2021, 10, 4)


def test_a_window_starting_on_a_holiday_begins_on_the_next_working_day():
    # 1 October is a day off: the window is 8, 9 (worked Saturday), 11, 12, 13 October.
    assert add_working_days(date(2021, 10, 1), 5, NATIONAL_DAY_2021, WORKED_2021) == date(2021, 10, 13)


def test_a_worked_sunday_counts_and_holidays_do_not():
    assert is_working_day(date(2021, 9, 26), NATIONAL_DAY_2021, WORKED_2021)
    assert not is_working_day(date(2021, 9, 26), set(), set())
    assert not is_working_day(date(2021, 10, 4), NATIONAL_DAY_2021, WORKED_2021)
    assert is_working_day(date(2021, 10, 4), set(), set())
    assert working_days_between(date(2021, 9, 26), date(2021, 10, 9), NATIONAL_DAY_2021, WORKED_2021) == 7


def test_a_date_listed_both_off_and_worked_is_off():
    saturday = date(2021, 10, 9)
    assert not is_working_day(saturday, {saturday}, {saturday})


@pytest.mark.parametrize("n", [0, -1, True, 2.0, "5"])
def test_it_refuses_a_window_without_working_days(n):
    with pytest.raises(ValueError):
        add_working_days(date(2021, 9, 28), n, set(), set())


def test_the_module_docstring_example_holds():
    result = doctest.testmod(working_days)
    assert result.attempted >= 3
    assert result.failed == 0


@settings(max_examples=300, deadline=None)
@given(start=days, n=lengths, calendar=calendars)
def test_the_window_holds_exactly_n_working_days_and_ends_on_one(start, n, calendar):
    off, worked = calendar
    end = add_working_days(start, n, off, worked)
    assert end >= start
    assert working_days_between(start, end, off, worked) == n
    assert is_working_day(end, off, worked)


@settings(max_examples=300, deadline=None)
@given(start=days, n=lengths, calendar=calendars)
def test_one_more_working_day_ends_strictly_later(start, n, calendar):
    off, worked = calendar
    shorter = add_working_days(start, n, off, worked)
    longer = add_working_days(start, n + 1, off, worked)
    assert longer > shorter
    assert working_days_between(shorter + timedelta(days=1), longer, off, worked) == 1


@settings(max_examples=300, deadline=None)
@given(start=days, n=lengths, calendar=calendars, pick=st.integers(min_value=0))
def test_a_holiday_inside_the_window_pushes_the_end_by_one_working_day(start, n, calendar, pick):
    off, worked = calendar
    end = add_working_days(start, n, off, worked)
    inside = [
        day
        for day in (start + timedelta(days=i) for i in range((end - start).days + 1))
        if is_working_day(day, off, worked)
    ]
    holiday = inside[pick % len(inside)]
    pushed = add_working_days(start, n, off | {holiday}, worked)
    # The old end is kept unless it became the holiday itself; one more working day follows.
    assert pushed == next_working_day(end + timedelta(days=1), off | {holiday}, worked)
    assert working_days_between(end + timedelta(days=1), pushed, off | {holiday}, worked) == 1


@settings(max_examples=200, deadline=None)
@given(start=days, calendar=calendars)
def test_a_window_of_one_is_the_first_working_day(start, calendar):
    off, worked = calendar
    first = add_working_days(start, 1, off, worked)
    assert first == next_working_day(start, off, worked)
    assert working_days_between(start, first - timedelta(days=1), off, worked) == 0
