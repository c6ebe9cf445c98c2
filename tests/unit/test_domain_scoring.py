"""Moments in seconds: naive times are UTC, and the local day is right also where an offset changes oddly."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np

from leadpact.domain.scoring import local_day, local_day_number, local_day_numbers, to_seconds
from tests.factories import parsed

AMSTERDAM = replace(parsed(), timezone="Europe/Amsterdam")


def test_a_naive_moment_is_taken_as_utc() -> None:
    aware = datetime(2026, 3, 2, 15, 0, 30, tzinfo=UTC)
    assert to_seconds(aware.replace(tzinfo=None)) == to_seconds(aware) == 1_772_463_630


def test_the_local_day_is_exact_in_a_quarter_hour_where_the_zone_changes_its_offset() -> None:
    # At 22:40:28 UTC on 30 June 1937 Amsterdam moved from +1:19:32 to +1:20, from 23:59:59 to 00:00:28.
    start = int(datetime(1937, 6, 30, 22, 30, tzinfo=UTC).timestamp())
    zone = ZoneInfo("Europe/Amsterdam")
    days = {at: local_day(AMSTERDAM, at) for at in range(start, start + 900)}
    assert days == {at: datetime.fromtimestamp(at, zone).date() for at in range(start, start + 900)}
    assert {d.isoformat() for d in days.values()} == {"1937-06-30", "1937-07-01"}


def test_many_local_days_at_once_are_each_moments_own_even_where_the_offset_changes() -> None:
    odd = int(datetime(1937, 6, 30, 22, 30, tzinfo=UTC).timestamp())  # the quarter hour of Amsterdam's odd change
    spring = int(datetime(2026, 3, 29, 0, 50, tzinfo=UTC).timestamp())  # 02:00 CET becomes 03:00 CEST at 01:00 UTC
    moments = np.array([*range(odd, odd + 900, 7), *range(spring, spring + 3600, 61), 0, 86_399], dtype=np.int64)
    days = local_day_numbers(AMSTERDAM, moments)
    assert days.tolist() == [local_day_number(AMSTERDAM, int(at)) for at in moments]
    assert len(set(days.tolist())) == 5  # both sides of the 1937 midnight, the spring day, 1 and 2 January 1970
