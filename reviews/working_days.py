"""Working days on a holiday calendar: the window of a public announcement (立项公示).

Pure (no Django), so that it can be property-tested. A day is a working day when it is a
weekday (Monday–Friday) or a weekend day listed in ``workdays`` (调休, an adjusted holiday's
worked weekend), and it is not listed in ``days_off`` (a public holiday). A date in both sets
is off: the calendar stores one row per date, so this only matters for hand-made sets.

The 2021 National Day holiday: 1–7 October off, Sunday 26 September and Saturday 9 October
worked. An announcement of 5 working days that starts on Tuesday 28 September runs on 28,
29 and 30 September, then 8 and 9 October, and ends on Saturday 9 October::

    >>> from datetime import date, timedelta
    >>> off = {date(2021, 10, 1) + timedelta(days=i) for i in range(7)}
    >>> worked = {date(2021, 9, 26), date(2021, 10, 9)}
    >>> add_working_days(date(2021, 9, 28), 5, off, worked)
    datetime.date(2021, 10, 9)
    >>> add_working_days(date(2021, 9, 28), 5, set(), set())  # without the holiday
    datetime.date(2021, 10, 4)
    >>> working_days_between(date(2021, 9, 26), date(2021, 10, 9), off, worked)
    7
"""

from collections.abc import Collection
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)
SATURDAY = 5


def is_working_day(day: date, days_off: Collection[date] = (), workdays: Collection[date] = ()) -> bool:
    """Whether ``day`` is worked: a weekday or a worked weekend day, and not a day off."""
    if day in days_off:
        return False
    return day.weekday() < SATURDAY or day in workdays


def next_working_day(day: date, days_off: Collection[date] = (), workdays: Collection[date] = ()) -> date:
    """``day`` itself when it is a working day, otherwise the first working day after it."""
    while not is_working_day(day, days_off, workdays):
        day += ONE_DAY
    return day


def add_working_days(
    start: date, n: int, days_off: Collection[date] = (), workdays: Collection[date] = ()
) -> date:
    """The last day of a window of ``n`` working days that starts on ``start`` (counted from the
    first working day on or after ``start``): with ``start`` a working day and ``n`` 1, ``start``.

    Raises ValueError for ``n`` below 1 (a window without any working day has no last day)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"a window has at least one working day, not {n!r}")
    day = next_working_day(start, days_off, workdays)
    left = n - 1
    while left:
        day += ONE_DAY
        if is_working_day(day, days_off, workdays):
            left -= 1
    return day


def working_days_between(
    start: date, end: date, days_off: Collection[date] = (), workdays: Collection[date] = ()
) -> int:
    """How many working days lie from ``start`` to ``end``, both included (0 when ``end`` is
    before ``start``)."""
    count = 0
    day = start
    while day <= end:
        if is_working_day(day, days_off, workdays):
            count += 1
        day += ONE_DAY
    return count
