"""Working time as an Ibis expression counts what the SLA calendar counts, on every engine.

The expression joins each moment to its local day in a small calendar table; it must give, second for
second, what ``calendar.working_seconds_between`` gives, across daylight-saving changes, holidays, weekends,
odd working hours and zones.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import ibis
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from leadpact.analytics import engines
from leadpact.analytics.backend import Backend
from leadpact.analytics.working_time import working_days, working_seconds
from leadpact.domain.agreement import Agreement
from leadpact.domain.calendar import working_seconds_between
from leadpact.domain.scoring import to_seconds
from tests.factories import parsed
from tests.strategies import near_edges

EXAMPLE = parsed()  # Mon-Fri 08:00-18:00 in America/Chicago; 1 January, 25 May, 26 November... are holidays
CHICAGO = ZoneInfo("America/Chicago")
HOUR = 3600

Pair = tuple[int | None, int | None]


def computed(con: Backend, agreement: Agreement, pairs: list[Pair]) -> dict[int, int | None]:
    """The expression's working seconds for each pair, by its index."""
    table = ibis.memtable(
        {"i": list(range(len(pairs))), "start": [p[0] for p in pairs], "end": [p[1] for p in pairs]},
        schema={"i": "int64", "start": "int64", "end": "int64"},
    )
    rows = con.to_pyarrow(working_seconds(con, agreement, table, "start", "end", "worked")).to_pylist()
    return {row["i"]: row["worked"] for row in rows}


def expected(agreement: Agreement, pairs: list[Pair]) -> dict[int, int | None]:
    return {
        i: None if start is None or end is None else working_seconds_between(agreement, start, end)
        for i, (start, end) in enumerate(pairs)
    }


def local(text: str) -> int:
    return to_seconds(datetime.fromisoformat(text).replace(tzinfo=CHICAGO))


ZONES = ("America/Chicago", "Europe/Berlin", "Australia/Lord_Howe", "America/St_Johns", "Asia/Kolkata", "UTC")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
YEAR = (to_seconds(datetime(2026, 1, 1, tzinfo=UTC)), to_seconds(datetime(2026, 12, 31, tzinfo=UTC)))


@st.composite
def calendars(draw: st.DrawFn) -> Agreement:
    """Any zone, any non-empty set of working days, any hours to the quarter, and some holidays in 2026."""
    zone = draw(st.sampled_from(ZONES))
    days = draw(st.sets(st.sampled_from(DAY_NAMES), min_size=1))
    start = draw(st.integers(0, 22 * 4))
    end = draw(st.integers(start + 1, 24 * 4 - 1))
    clock = [time(q // 4, 15 * (q % 4)) for q in (start, end)]
    holidays = draw(st.lists(st.dates(date(2026, 1, 1), date(2026, 12, 31)), max_size=8))
    return parsed(
        ("timezone: America/Chicago", f"timezone: {zone}"),
        ("days: [mon, tue, wed, thu, fri]", f"days: [{', '.join(sorted(days))}]"),
        ('start: "08:00", end: "18:00"', f'start: "{clock[0]:%H:%M}", end: "{clock[1]:%H:%M}"'),
        (
            "holidays: [2026-01-01,",
            f"holidays: [{', '.join(str(d) for d in holidays)}{', ' if holidays else ''}2026-01-01,",
        ),
    )


MOMENTS = st.one_of(near_edges(), st.integers(*YEAR))


@st.composite
def pairs(draw: st.DrawFn) -> list[Pair]:
    """Starts and ends: some an hour apart, some weeks, some reversed, a few missing."""
    out: list[Pair] = []
    for start in draw(st.lists(MOMENTS, min_size=1, max_size=40)):
        gap = draw(st.one_of(st.integers(-2 * HOUR, 2 * HOUR), st.integers(0, 40 * 24 * HOUR)))
        out.append((start, start + gap))
    out += draw(st.lists(st.sampled_from([(None, YEAR[0]), (YEAR[0], None), (None, None)]), max_size=2))
    return out


@settings(max_examples=40, deadline=None)
@given(agreement=calendars(), given_pairs=pairs())
def test_the_expression_counts_the_working_seconds_the_calendar_counts(
    agreement: Agreement, given_pairs: list[Pair]
) -> None:
    for con in (ibis.sqlite.connect(), ibis.duckdb.connect()):
        try:
            assert computed(con, agreement, given_pairs) == expected(agreement, given_pairs), con.name
        finally:
            con.disconnect()


GRID: list[tuple[Pair, float | None]] = [
    ((local("2026-03-06T16:00"), local("2026-03-09T10:00")), 2 + 2),  # Friday to Monday across the spring change
    ((local("2026-03-08T01:00"), local("2026-03-08T05:00")), 0),  # within the 23-hour Sunday
    ((local("2026-10-30T17:00"), local("2026-11-02T09:00")), 1 + 1),  # Friday to Monday across the autumn change
    ((local("2026-11-25T17:00"), local("2026-11-27T09:00")), 1 + 1),  # across Thanksgiving, a holiday
    ((local("2025-12-31T17:30"), local("2026-01-02T08:30")), 0.5 + 0.5),  # across New Year's Day
    ((local("2026-05-22T12:00"), local("2026-05-26T12:00")), 6 + 4),  # a weekend and Memorial Day between
    ((local("2026-03-02T07:00"), local("2026-03-02T07:30")), 0),  # before opening
    ((local("2026-03-02T09:00"), local("2026-03-02T08:00")), 0),  # an end before its start
    ((local("2026-03-02T09:00"), local("2026-03-02T09:00")), 0),  # no time at all
    # 5 January to 31 December: 261 weekdays in 2026, less 1 and 2 January, less 5 weekday holidays
    ((local("2026-01-05T08:00"), local("2026-12-31T18:00")), (261 - 2 - 5) * 10),
    ((None, local("2026-03-02T09:00")), None),  # not contacted: no value, not zero
]


def hours(worked: dict[int, int | None]) -> list[float | None]:
    return [None if w is None else w / HOUR for _, w in sorted(worked.items())]


def test_the_expression_follows_the_calendar_across_clock_changes_and_holidays(engine: Engine) -> None:
    con = engines.connect_app(engine.url)
    try:
        worked = computed(con, EXAMPLE, [pair for pair, _ in GRID])
    finally:
        con.disconnect()
    assert hours(worked) == [h for _, h in GRID]


def test_the_expression_gives_the_same_numbers_on_duckdb() -> None:
    con = ibis.duckdb.connect()
    try:
        assert hours(computed(con, EXAMPLE, [pair for pair, _ in GRID])) == [h for _, h in GRID]
    finally:
        con.disconnect()


def test_the_calendar_table_has_a_row_per_local_day_with_the_working_time_before_it() -> None:
    days = working_days(EXAMPLE, local("2026-03-06T12:00"), local("2026-03-09T12:00"))
    assert [d.day for d in days] == [(date(2026, 3, n) - date(1970, 1, 1)).days for n in (6, 7, 8, 9)]
    friday, saturday, sunday, monday = days
    assert (friday.opens, friday.closes, friday.before) == (local("2026-03-06T08:00"), local("2026-03-06T18:00"), 0)
    assert saturday.opens == saturday.closes  # a day off has an empty window
    assert sunday.opens == sunday.closes
    assert (saturday.before, sunday.before, monday.before) == (10 * HOUR, 10 * HOUR, 10 * HOUR)
    assert monday.opens == to_seconds(datetime(2026, 3, 9, 13, 0, tzinfo=UTC))  # 08:00 CDT, an hour earlier in UTC
    assert monday.closes - monday.opens == 10 * HOUR


def test_a_working_window_swallowed_by_the_spring_change_counts_no_time() -> None:
    # 02:45 to 03:00 every day: on 8 March 02:45 does not exist and reads as 03:45 CDT, after 03:00 CDT.
    night = parsed(
        ("days: [mon, tue, wed, thu, fri]", "days: [mon, tue, wed, thu, fri, sat, sun]"),
        ('start: "08:00", end: "18:00"', 'start: "02:45", end: "03:00"'),
    )
    weekend: list[Pair] = [
        (local("2026-03-07T00:00"), local("2026-03-09T00:00"))
    ]  # Saturday's quarter hour, none on Sunday
    con = ibis.sqlite.connect()
    try:
        assert hours(computed(con, night, weekend)) == [0.25]
    finally:
        con.disconnect()
    assert expected(night, weekend) == {0: 15 * 60}
