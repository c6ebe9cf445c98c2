"""The batch's local calendar days are the agreement zone's, on every engine, across offset changes.

``max_per_day`` counts per local day; the batch finds the day of a UTC second from the zone's offsets over
the span of the events, as a SQL expression. It must name the day Python's ``zoneinfo`` names, in zones with
daylight saving time in either hemisphere, half-hour offsets and half-hour shifts.
"""

from __future__ import annotations

import bisect
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import ibis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadpact.analytics import engines
from leadpact.analytics.rescore import local_day, utc_offsets
from leadpact.domain.errors import InvalidInput

ZONES = (
    "America/Chicago",
    "Europe/Berlin",
    "Australia/Lord_Howe",  # shifts by half an hour
    "America/St_Johns",  # a half-hour offset with daylight saving time
    "Asia/Kolkata",
    "Pacific/Chatham",
    "UTC",
)
EPOCH = date(1970, 1, 1)
LO = int(datetime(1995, 1, 1, tzinfo=UTC).timestamp())
HI = int(datetime(2040, 1, 1, tzinfo=UTC).timestamp())


def python_day(zone: str, at: int) -> int:
    return (datetime.fromtimestamp(at, ZoneInfo(zone)).date() - EPOCH).days


@st.composite
def spans(draw: st.DrawFn) -> tuple[str, list[int]]:
    zone = draw(st.sampled_from(ZONES))
    lo = draw(st.integers(LO, HI))
    hi = lo + draw(st.integers(0, 3 * 365 * 86_400))
    moments = draw(st.lists(st.integers(lo, hi), min_size=1, max_size=30))
    return zone, [lo, hi, *moments]


@settings(max_examples=200, deadline=None)
@given(spans())
def test_the_offsets_are_the_zones_offsets_at_every_second_of_the_span(case: tuple[str, list[int]]) -> None:
    zone, moments = case
    offsets = utc_offsets(zone, min(moments), max(moments))
    starts = [start for start, _ in offsets]
    for at in moments:
        offset = offsets[bisect.bisect_right(starts, at) - 1][1]
        expected = datetime.fromtimestamp(at, ZoneInfo(zone)).utcoffset()
        assert expected is not None
        assert offset == expected.total_seconds(), (zone, at)


@pytest.mark.parametrize("backend", ["sqlite", "duckdb"])
@settings(max_examples=25, deadline=None)
@given(case=spans())
def test_the_local_day_expression_names_the_day_python_names(backend: str, case: tuple[str, list[int]]) -> None:
    zone, moments = case
    con = ibis.sqlite.connect() if backend == "sqlite" else ibis.duckdb.connect()
    try:
        table = ibis.memtable({"at": moments}, schema={"at": "int64"})
        days = table.select("at", day=local_day(table.at, utc_offsets(zone, min(moments), max(moments))))
        got = {row["at"]: row["day"] for row in con.to_pyarrow(days).to_pylist()}
    finally:
        con.disconnect()
    assert got == {at: python_day(zone, at) for at in moments}


def test_the_analytics_engines_are_named_and_need_a_shared_database() -> None:
    with pytest.raises(InvalidInput, match="'bigquery' is not one of app, duckdb, spark"):
        engines.connect("sqlite:///leadpact.db", "bigquery")
    with pytest.raises(InvalidInput, match="in-memory"):
        engines.connect("sqlite://", "app")
