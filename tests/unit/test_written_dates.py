"""Dates and times as exports write them: every usual form read, day and month settled by the file, never guessed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadpact.domain.errors import InvalidInput
from leadpact.domain.written_dates import (
    AS_WRITTEN,
    DateFormat,
    Order,
    date_format,
    orders_read,
    read_day,
    read_moment,
    reading,
    settle,
    unreadable,
)

CHICAGO = ZoneInfo("America/Chicago")
DMY, MDY, YMD = DateFormat(order=Order.DMY), DateFormat(order=Order.MDY), DateFormat(order=Order.YMD)


def chicago(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHICAGO)


@pytest.mark.parametrize(
    ("text", "written_as", "moment"),
    [
        ("2026-05-07T08:00:00Z", AS_WRITTEN, datetime(2026, 5, 7, 8, tzinfo=UTC)),
        ("2026-05-07T08:00:00.000+02:00", AS_WRITTEN, datetime(2026, 5, 7, 6, tzinfo=UTC)),
        ("2026-05-07 08:00:00", AS_WRITTEN, chicago(2026, 5, 7, 8)),  # no zone: the one given
        ("2026-05-07T08:00", AS_WRITTEN, chicago(2026, 5, 7, 8)),
        ("2026-05-07", AS_WRITTEN, chicago(2026, 5, 7)),
        ("2026/05/07", AS_WRITTEN, chicago(2026, 5, 7)),
        ("2026.5.7 8:05", AS_WRITTEN, chicago(2026, 5, 7, 8, 5)),
        ("2026-05-07 08:00:00 UTC", AS_WRITTEN, datetime(2026, 5, 7, 8, tzinfo=UTC)),
        ("2026-05-07 08:00 GMT", AS_WRITTEN, datetime(2026, 5, 7, 8, tzinfo=UTC)),
        ("2026-05-07T08:00:00.123456789Z", AS_WRITTEN, datetime(2026, 5, 7, 8, 0, 0, 123456, tzinfo=UTC)),
        ("2026-05-07 08:00 -0530", AS_WRITTEN, datetime(2026, 5, 7, 13, 30, tzinfo=UTC)),
        ("2026-05-07 08:00 +01", AS_WRITTEN, datetime(2026, 5, 7, 7, tzinfo=UTC)),
        ("25/3/2026", AS_WRITTEN, chicago(2026, 3, 25)),  # day first: no month 25
        ("3/25/2026 2:20 PM", AS_WRITTEN, chicago(2026, 3, 25, 14, 20)),
        ("5/5/2026", AS_WRITTEN, chicago(2026, 5, 5)),  # either order, the same day
        ("5/3/2026", DMY, chicago(2026, 3, 5)),
        ("5/3/2026", MDY, chicago(2026, 5, 3)),
        ("05/03/2026 14:20", DMY, chicago(2026, 3, 5, 14, 20)),
        ("03.05.2026 14:20", DMY, chicago(2026, 5, 3, 14, 20)),
        ("5/3/2026, 2:20 PM", MDY, chicago(2026, 5, 3, 14, 20)),
        ("5/3/2026 12:05 am", MDY, chicago(2026, 5, 3, 0, 5)),
        ("5/3/2026 12:05 P.M.", MDY, chicago(2026, 5, 3, 12, 5)),
        ("5/3/26", MDY, chicago(2026, 5, 3)),
        ("5/3/99", MDY, chicago(1999, 5, 3)),
        ("26/05/07", YMD, chicago(2026, 5, 7)),
        ("7 May 2026", AS_WRITTEN, chicago(2026, 5, 7)),
        ("7th May 2026 08:00", AS_WRITTEN, chicago(2026, 5, 7, 8)),
        ("07-May-26", AS_WRITTEN, chicago(2026, 5, 7)),
        ("7 Sept. 2026", AS_WRITTEN, chicago(2026, 9, 7)),
        ("May 7, 2026 2:20 PM", AS_WRITTEN, chicago(2026, 5, 7, 14, 20)),
        ("December 31 2026", AS_WRITTEN, chicago(2026, 12, 31)),
        ("Thu, 7 May 2026 08:00:00 +0200", AS_WRITTEN, datetime(2026, 5, 7, 6, tzinfo=UTC)),
        ("  2026-05-07   08:00  ", AS_WRITTEN, chicago(2026, 5, 7, 8)),
        ("07.05.2026 08:00", date_format("%d.%m.%Y %H:%M"), chicago(2026, 5, 7, 8)),
        ("2026-05-07 08:00 +0000", date_format("%Y-%m-%d %H:%M %z"), datetime(2026, 5, 7, 8, tzinfo=UTC)),
    ],
)
def test_the_usual_forms_read_as_the_moment_they_write(text: str, written_as: DateFormat, moment: datetime) -> None:
    assert read_moment(text, written_as, CHICAGO) == moment


@pytest.mark.parametrize(
    ("text", "written_as"),
    [
        ("yesterday", AS_WRITTEN),
        ("5/3/2026", AS_WRITTEN),  # 5 March or May 3: not read without an order
        ("13/13/2026", AS_WRITTEN),
        ("31/04/2026", DMY),
        ("3/25/2026", DMY),
        ("5/3/6", DMY),  # a one-digit year
        ("5/3/2026", YMD),  # the year is the last number
        ("2026-05-071", AS_WRITTEN),
        ("2026/05/07 25:00", AS_WRITTEN),
        ("2026/05/07 13:00 PM", AS_WRITTEN),
        ("2026/05/07 0:30 AM", AS_WRITTEN),
        ("2026/05/07 08:00 +25:00", AS_WRITTEN),
        ("2026/05/07 08:00 +02:75", AS_WRITTEN),
        ("2026/05/07 at noon", AS_WRITTEN),
        ("7 Mai 2026", AS_WRITTEN),  # months by their English names only
        ("Smarch 7, 2026", AS_WRITTEN),
        ("2026-05-07", date_format("%d.%m.%Y")),  # a pattern is followed, not one form among others
    ],
)
def test_what_is_no_date_or_reads_no_way_under_the_order_given_is_none(text: str, written_as: DateFormat) -> None:
    assert read_moment(text, written_as, CHICAGO) is None


def test_a_day_is_the_date_as_written_whatever_time_or_zone_follows() -> None:
    assert read_day("2026-03-02T23:30:00-05:00", AS_WRITTEN) == date(2026, 3, 2)
    assert read_day("02.03.2026 23:30", DMY) == date(2026, 3, 2)
    assert read_day("someday", AS_WRITTEN) is None


@pytest.mark.parametrize(
    ("text", "orders"),
    [
        ("5/3/2026", {Order.DMY, Order.MDY}),
        ("25/3/2026", {Order.DMY}),
        ("3/25/2026 14:00", {Order.MDY}),
        ("5/5/2026", None),  # the same day either way
        ("2026-05-03", None),
        ("3 May 2026", None),
        ("13/13/2026", None),
        ("not a date", None),
    ],
)
def test_orders_read_says_which_orders_give_a_date_when_one_matters(text: str, orders: set[Order] | None) -> None:
    assert orders_read(text) == (frozenset(orders) if orders else None)


def test_the_first_value_that_reads_one_way_only_settles_the_file() -> None:
    values = [(2, "2026-01-05"), (3, "5/3/2026"), (4, "7 May 2026"), (5, "25/3/2026"), (6, "3/25/2026")]
    settled = settle(values)
    assert (settled.order, settled.example, settled.evidence) == (Order.DMY, (3, "5/3/2026"), (5, "25/3/2026"))
    assert not settled.needs_order


def test_values_that_read_both_ways_leave_the_order_open_and_name_the_first() -> None:
    settled = settle([(2, "5/3/2026"), (3, "6/4/2026 10:00"), (4, "5/5/2026")])
    assert (settled.order, settled.example, settled.evidence) == (None, (2, "5/3/2026"), None)
    assert settled.needs_order


def test_a_file_whose_dates_need_no_order_needs_none() -> None:
    settled = settle([(2, "2026-03-05"), (3, "May 3, 2026"), (4, "1/1/2026"), (5, "")])
    assert (settled.order, settled.example, settled.needs_order) == (None, None, False)


days = st.dates(min_value=date(1970, 1, 1), max_value=date(2068, 12, 31))
moments = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2068, 12, 30)).map(
    lambda m: m.replace(microsecond=0)
)
FORMS = [
    ("%Y-%m-%dT%H:%M:%S", AS_WRITTEN),
    ("%Y-%m-%d %H:%M:%S", AS_WRITTEN),
    ("%Y/%m/%d %H:%M:%S", AS_WRITTEN),
    ("%m/%d/%Y %I:%M:%S %p", MDY),
    ("%d.%m.%Y %H:%M:%S", DMY),
    ("%d/%m/%Y %H:%M:%S", DMY),
    ("%d %B %Y %H:%M:%S", AS_WRITTEN),
    ("%a, %d %b %Y %H:%M:%S", AS_WRITTEN),
    ("%B %d, %Y %I:%M:%S %p", AS_WRITTEN),
    ("%d-%b-%y %H:%M:%S", AS_WRITTEN),
]


@given(moments, st.sampled_from(FORMS))
def test_a_moment_written_in_any_usual_form_reads_back_as_itself(
    moment: datetime, form: tuple[str, DateFormat]
) -> None:
    pattern, written_as = form
    assert read_moment(moment.strftime(pattern), written_as, CHICAGO) == moment.replace(tzinfo=CHICAGO)


@given(moments, st.integers(min_value=-14 * 60, max_value=14 * 60))
def test_a_zone_written_after_the_time_is_the_moments_own(moment: datetime, minutes: int) -> None:
    aware = moment.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    assert read_moment(aware.strftime("%d/%m/%Y %H:%M:%S %z"), DMY, CHICAGO) == aware


@given(st.lists(days, min_size=1, max_size=20), st.sampled_from([(Order.DMY, "%d/%m/%Y"), (Order.MDY, "%m/%d/%Y")]))
def test_the_order_settled_is_the_files_own_or_none_and_never_the_other(
    written: list[date], order_and_pattern: tuple[Order, str]
) -> None:
    order, pattern = order_and_pattern
    settled = settle((row, day.strftime(pattern)) for row, day in enumerate(written, start=2))
    tells = any(day.day > 12 for day in written)
    open_question = any(day.day != day.month for day in written)
    assert settled.order == (order if tells else None)
    assert settled.needs_order == (open_question and not tells)
    if settled.order:
        assert [read_day(d.strftime(pattern), DateFormat(order=settled.order)) for d in written] == written


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DMY", DateFormat(order=Order.DMY)),
        (" mdy ", DateFormat(order=Order.MDY)),
        ("Ymd", DateFormat(order=Order.YMD)),
        ("%d.%m.%Y %H:%M", DateFormat(pattern="%d.%m.%Y %H:%M")),
        ("%m/%d/%y", DateFormat(pattern="%m/%d/%y")),
    ],
)
def test_a_date_format_is_an_order_or_a_pattern(text: str, expected: DateFormat) -> None:
    assert date_format(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("DM", "'DM' is not a date format; use DMY (day first), MDY (month first), YMD, or a pattern like %d.%m.%Y"),
        ("%d.%m", "'%d.%m' does not give the day, month and year"),
        ("%Q", "'%Q' does not give the day, month and year"),
    ],
)
def test_a_date_format_that_is_neither_is_refused_naming_the_option(text: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        date_format(text)
    assert refused.value.field == "date_format"
    assert refused.value.problem.startswith(problem)


def test_formats_readings_and_refusals_are_said_in_words() -> None:
    assert [str(f) for f in (AS_WRITTEN, DMY, date_format("%d.%m.%Y"))] == ["as written", "DMY (day first)", "%d.%m.%Y"]
    assert (reading("5/3/2026", Order.DMY), reading("5/3/2026", Order.MDY)) == ("5 March 2026", "3 May 2026")
    assert reading("5/13/2026", Order.DMY) == "not a date"
    assert unreadable("x", date_format("%d.%m.%Y"), with_time=True) == "'x' does not follow the date format %d.%m.%Y"
    assert unreadable("3/25/2026", DMY, with_time=False) == "'3/25/2026' is not a date written day first (DMY)"
    assert (
        unreadable("x", AS_WRITTEN, with_time=False) == "'x' is not a date like 2026-01-31, 31.01.2026 or 31 Jan 2026"
    )
    assert unreadable("x", AS_WRITTEN, with_time=True).startswith("'x' is not a date and time like 2026-03-02 15:00")
