"""The SLA calendar: working time counts only on working days, in working hours, off holidays, in the zone."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadpact.domain.agreement import Agreement, Duration
from leadpact.domain.calendar import add_working_time, working_seconds_between
from leadpact.domain.scoring import to_seconds
from tests.factories import parsed

EXAMPLE = parsed()  # Mon-Fri 08:00-18:00 in America/Chicago; 26 Nov and 25 Dec 2026 are holidays
CHICAGO = ZoneInfo("America/Chicago")
HOUR = 3600


def local(text: str, zone: ZoneInfo = CHICAGO) -> int:
    """A wall-clock time in the zone, as UTC seconds."""
    return to_seconds(datetime.fromisoformat(text).replace(tzinfo=zone))


def due(start: str, amount: float, unit: str = "h", agreement: Agreement = EXAMPLE) -> str:
    """The due moment as local wall-clock time, for reading the tests like a calendar."""
    at = add_working_time(agreement, local(start, ZoneInfo(agreement.timezone)), Duration(amount, unit))
    return datetime.fromtimestamp(at, ZoneInfo(agreement.timezone)).strftime("%a %Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("start", "amount", "unit", "expected"),
    [
        ("2026-03-02T09:00", 4, "h", "Mon 2026-03-02 13:00"),  # inside one working day
        ("2026-03-02T14:00", 4, "h", "Mon 2026-03-02 18:00"),  # to the minute the day ends
        ("2026-03-02T06:00", 4, "h", "Mon 2026-03-02 12:00"),  # before opening: from 08:00
        ("2026-03-02T19:00", 4, "h", "Tue 2026-03-03 12:00"),  # after closing: from 08:00 next day
        ("2026-03-02T09:00", 1, "d", "Tue 2026-03-03 09:00"),  # a working day is ten working hours
        ("2026-03-02T09:00", 1.5, "h", "Mon 2026-03-02 10:30"),
        ("2026-03-02T09:00", 0.5, "d", "Mon 2026-03-02 14:00"),
        ("2026-03-07T11:00", 4, "h", "Mon 2026-03-09 12:00"),  # Saturday: from Monday 08:00
        ("2026-03-04T09:00", 3, "d", "Mon 2026-03-09 09:00"),  # Wed, Thu, Fri, over the weekend
    ],
)
def test_working_time_is_added_on_the_working_calendar(start: str, amount: float, unit: str, expected: str) -> None:
    assert due(start, amount, unit) == expected


def test_four_hours_from_friday_afternoon_are_due_monday_morning_across_the_spring_change() -> None:
    # Friday 6 March 16:00 CST; Sunday 8 March the clocks go forward; Monday 10:00 CDT is 15:00 UTC
    at = add_working_time(EXAMPLE, local("2026-03-06T16:00"), Duration(4, "h"))
    assert at == to_seconds(datetime(2026, 3, 9, 15, 0, tzinfo=UTC))


def test_four_hours_from_friday_afternoon_are_due_monday_morning_across_the_autumn_change() -> None:
    # Friday 30 October 17:00 CDT; Sunday 1 November the clocks go back; Monday 11:00 CST is 17:00 UTC
    at = add_working_time(EXAMPLE, local("2026-10-30T17:00"), Duration(4, "h"))
    assert at == to_seconds(datetime(2026, 11, 2, 17, 0, tzinfo=UTC))


def test_holidays_are_not_working_days() -> None:
    assert due("2026-11-25T16:00", 4) == "Fri 2026-11-27 10:00"  # Thanksgiving, 26 November
    assert due("2026-12-24T17:00", 4) == "Mon 2026-12-28 11:00"  # Christmas on a Friday
    assert due("2026-11-26T09:00", 1) == "Fri 2026-11-27 09:00"  # starting on the holiday itself


def test_the_agreements_time_zone_decides_the_working_hours() -> None:
    berlin = parsed(("timezone: America/Chicago", "timezone: Europe/Berlin"))
    start = to_seconds(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))  # 09:00 in Chicago, 16:00 in Berlin
    assert add_working_time(EXAMPLE, start, Duration(4, "h")) == start + 4 * HOUR
    # Berlin: two hours Monday until 18:00, then 08:00-10:00 Tuesday (CET, UTC+1)
    assert add_working_time(berlin, start, Duration(4, "h")) == to_seconds(datetime(2026, 3, 3, 9, 0, tzinfo=UTC))


def test_a_weekend_working_week_is_respected() -> None:
    weekend = parsed(("days: [mon, tue, wed, thu, fri]", "days: [sat, sun]"))
    assert due("2026-03-02T09:00", 4, agreement=weekend) == "Sat 2026-03-07 12:00"
    assert due("2026-03-08T16:00", 4, agreement=weekend) == "Sat 2026-03-14 10:00"


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        ("2026-03-02T09:00", "2026-03-02T13:00", 4),
        ("2026-03-06T16:00", "2026-03-09T10:00", 4),  # over the weekend and the spring change
        ("2026-03-07T00:00", "2026-03-09T00:00", 0),  # a weekend only
        ("2026-03-02T00:00", "2026-03-07T00:00", 50),  # a full working week
        ("2026-03-06T00:00", "2026-03-09T23:59", 20),  # Friday and Monday, whatever the Sunday's length
        ("2026-11-25T00:00", "2026-11-28T00:00", 20),  # Wednesday, Thanksgiving, Friday
        ("2026-03-02T13:00", "2026-03-02T09:00", 0),  # the end before the start
        ("2026-03-02T19:00", "2026-03-02T22:00", 0),  # after hours
    ],
)
def test_working_seconds_between_two_moments(start: str, end: str, hours: float) -> None:
    assert working_seconds_between(EXAMPLE, local(start), local(end)) == hours * HOUR


ZONES = ("America/Chicago", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe", "America/St_Johns", "UTC")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@st.composite
def calendars(draw: st.DrawFn) -> Agreement:
    """A working calendar of any zone, any non-empty set of days, any hours (to the quarter) and some holidays."""
    zone = draw(st.sampled_from(ZONES))
    days = draw(st.sets(st.sampled_from(DAY_NAMES), min_size=1))
    start = draw(st.integers(0, 22 * 4))
    end = draw(st.integers(start + 1, 24 * 4 - 1))
    clock = [time(q // 4, 15 * (q % 4)) for q in (start, end)]
    holidays = draw(st.lists(st.dates(datetime(2026, 1, 1).date(), datetime(2026, 12, 31).date()), max_size=5))
    return parsed(
        ("timezone: America/Chicago", f"timezone: {zone}"),
        ("days: [mon, tue, wed, thu, fri]", f"days: [{', '.join(sorted(days))}]"),
        ('start: "08:00", end: "18:00"', f'start: "{clock[0]:%H:%M}", end: "{clock[1]:%H:%M}"'),
        (
            "holidays: [2026-01-01,",
            f"holidays: [{', '.join(str(d) for d in holidays)}{', ' if holidays else ''}2026-01-01,",
        ),
    )


MOMENTS = st.integers(to_seconds(datetime(2026, 1, 1, tzinfo=UTC)), to_seconds(datetime(2026, 12, 31, tzinfo=UTC)))
DURATIONS = st.one_of(
    st.integers(1, 4 * 60).map(lambda q: Duration(q / 4, "h")),  # up to 60 hours, to the quarter hour
    st.integers(1, 12).map(lambda q: Duration(q / 4, "d")),
)


@given(agreement=calendars(), start=MOMENTS, duration=DURATIONS)
def test_the_working_time_between_a_start_and_its_due_moment_is_the_duration(
    agreement: Agreement, start: int, duration: Duration
) -> None:
    end = add_working_time(agreement, start, duration)
    hours = agreement.working_hours
    day_length = (hours.end.hour * 60 + hours.end.minute - hours.start.hour * 60 - hours.start.minute) * 60
    expected = duration.amount * (HOUR if duration.unit == "h" else day_length)
    assert working_seconds_between(agreement, start, end) == expected


@given(agreement=calendars(), start=MOMENTS, duration=DURATIONS)
def test_a_due_moment_falls_inside_working_hours_of_a_working_day(
    agreement: Agreement, start: int, duration: Duration
) -> None:
    end = add_working_time(agreement, start, duration)
    assert end > start
    wall = datetime.fromtimestamp(end, ZoneInfo(agreement.timezone))
    hours = agreement.working_hours
    assert wall.weekday() in hours.days
    assert wall.date() not in agreement.holidays
    assert hours.start < wall.time() <= hours.end


@given(agreement=calendars(), start=MOMENTS, duration=DURATIONS, quarters=st.integers(0, 40))
def test_more_working_time_is_never_due_earlier(
    agreement: Agreement, start: int, duration: Duration, quarters: int
) -> None:
    longer = Duration(duration.amount + quarters / 4, duration.unit)
    assert add_working_time(agreement, start, duration) <= add_working_time(agreement, start, longer)
