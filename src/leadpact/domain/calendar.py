"""The working calendar the SLA is counted on.

Hours count only on the agreement's working days, between its start and end times, in its time zone, and
not on its holidays. ``4h`` given at 16:00 on a Friday with an 08:00-18:00 Monday-to-Friday week is due at
10:00 on Monday. A working day (``1d``) is as long as one working day's hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from leadpact.domain.agreement import Agreement, Duration

_MAX_DAYS = 3660  # a calendar with no working time in ten years is a broken calendar, not a long wait


def working_window(agreement: Agreement, day: date) -> tuple[int, int] | None:
    """The local day's working window [opens, closes) in UTC seconds; None on a day off or a holiday.

    A closing hour that falls into a spring-forward gap may come out before the opening: such a window holds
    no working time.
    """
    hours = agreement.working_hours
    if day.weekday() not in hours.days or day in agreement.holidays:
        return None
    zone = ZoneInfo(agreement.timezone)
    opens = datetime.combine(day, hours.start, tzinfo=zone)
    closes = datetime.combine(day, hours.end, tzinfo=zone)
    return int(opens.timestamp()), int(closes.timestamp())


def _windows(agreement: Agreement, start: date) -> Iterator[tuple[int, int]]:
    """Working windows [from, to) in UTC seconds, day by day from ``start``."""
    for offset in range(_MAX_DAYS):
        window = working_window(agreement, start + timedelta(days=offset))
        if window is not None:
            yield window


def working_seconds(agreement: Agreement, duration: Duration) -> float:
    if duration.unit == "h":
        return duration.amount * 3600
    hours = agreement.working_hours
    day_length = (hours.end.hour * 60 + hours.end.minute) - (hours.start.hour * 60 + hours.start.minute)
    return duration.amount * day_length * 60


def add_working_time(agreement: Agreement, start: int, duration: Duration) -> int:
    """The moment ``duration`` of working time after ``start`` (UTC seconds)."""
    remaining = working_seconds(agreement, duration)
    first_day = datetime.fromtimestamp(start, ZoneInfo(agreement.timezone)).date()
    for opens, closes in _windows(agreement, first_day):
        begin = max(opens, start)
        if begin >= closes:
            continue
        if begin + remaining <= closes:
            return int(begin + remaining)
        remaining -= closes - begin
    raise ValueError("the working calendar has no working time")


def working_seconds_between(agreement: Agreement, start: int, end: int) -> int:
    """Working time from ``start`` to ``end`` (0 when end is not after start)."""
    if end <= start:
        return 0
    total = 0
    first_day = datetime.fromtimestamp(start, ZoneInfo(agreement.timezone)).date()
    for opens, closes in _windows(agreement, first_day):
        if opens >= end:
            break
        total += max(0, min(closes, end) - max(opens, start))
    return total
