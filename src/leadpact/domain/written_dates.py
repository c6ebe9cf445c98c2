"""Dates and times as exports write them, read as a calendar day or a moment.

CRMs and marketing tools write dates in the exporting person's locale: ``2026-05-07 08:00:00``,
``5/7/2026 8:00 AM``, ``07.05.2026 08:00``, ``7 May 2026``, ``May 7, 2026``. A date of numbers that does not
start with its four-digit year has its day and month in the order of that locale: ``5/3/2026`` is 5 March in
Germany and May 3 in the United States. The order belongs to the file, not to one value: a value whose first
number is above 12 can only be day first, one whose second number is, month first (``settle``). When the values
do not tell, the order is said (``DateFormat``): DMY, MDY or YMD, or a ``strptime`` pattern every value follows.
Two-digit years are read as ``strptime`` reads them: 69-99 in the 1900s, 00-68 in the 2000s. A time without a
zone (``Z``, ``UTC``, ``GMT``, ``+02:00``) is in the zone the caller gives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from enum import StrEnum

from leadpact.domain.errors import InvalidInput


class Order(StrEnum):
    """The order of day, month and year in a date of numbers that does not start with a four-digit year."""

    DMY = "DMY"
    MDY = "MDY"
    YMD = "YMD"


ORDER_WORDS = {Order.DMY: "day first", Order.MDY: "month first", Order.YMD: "year first"}
SETTLED_BY_VALUES = (Order.DMY, Order.MDY)
"""The orders the values of a file can settle; a two-digit year first (YMD) is only ever said."""
SAMPLE = datetime(2026, 5, 7, 18, 30, 45, tzinfo=UTC)
"""A moment whose day, month, hour, minute and second all differ, to check that a pattern names the date."""


@dataclass(frozen=True)
class DateFormat:
    """How a file writes its dates: with the order of day and month its values settle or ``order`` says, or every
    value as the ``strptime`` ``pattern``."""

    order: Order | None = None
    pattern: str | None = None

    def __str__(self) -> str:
        return self.pattern or (f"{self.order} ({ORDER_WORDS[self.order]})" if self.order else "as written")


AS_WRITTEN = DateFormat()
"""Dates read as written: the order of day and month, where one is needed, settled by the file's values."""


def date_format(text: str) -> DateFormat:
    """A date format as a person gives it: DMY, MDY or YMD (in any case), or a pattern like ``%d.%m.%Y %H:%M``."""
    value = text.strip()
    if value.upper() in Order.__members__:
        return DateFormat(order=Order(value.upper()))
    if "%" in value:
        try:
            read = datetime.strptime(SAMPLE.strftime(value), value)
        except ValueError:
            read = None
        if read is None or read.date() != SAMPLE.date():
            raise InvalidInput(f"'{value}' does not give the day, month and year (like %d.%m.%Y %H:%M)", "date_format")
        return DateFormat(pattern=value)
    raise InvalidInput(
        f"'{value}' is not a date format; use DMY (day first), MDY (month first), YMD, or a pattern like "
        "%d.%m.%Y %H:%M",
        "date_format",
    )


MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTHS = {
    name: number for number, full in enumerate((m.lower() for m in MONTH_NAMES), start=1) for name in (full, full[:3])
} | {"sept": 9}
_WEEKDAY = re.compile(r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,? ", re.IGNORECASE)
_NUMBERS = re.compile(r"(\d{4}|\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{1,2})")
_DAY_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\.?[ -]([a-z]{3,9})\.?,?[ -](\d{4}|\d{2})", re.IGNORECASE)
_MONTH_DAY = re.compile(r"([a-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})", re.IGNORECASE)
_TIME = re.compile(
    r"(?:t|,? )(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?: ?([ap])\.?m\.?)?"
    r"(?: ?(z|utc|gmt|[+-]\d{2}(?::?\d{2})?))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Written:
    """The date at the start of a value: its three numbers, as (year, month, day) when no order is needed, else
    as written; and the text after it."""

    numbers: tuple[str, str, str]
    ordered: bool
    rest: str


def _written(text: str) -> _Written | None:
    value = " ".join(text.split())
    weekday = _WEEKDAY.match(value)
    if weekday:
        value = value[weekday.end() :]
    if match := _NUMBERS.match(value):
        first, _, second, third = match.groups()
        if len(first) == 4:
            return _Written((first, second, third), False, value[match.end() :]) if len(third) <= 2 else None
        return _Written((first, second, third), True, value[match.end() :])
    if match := _DAY_MONTH.match(value):
        day, month, year = match.groups()
        return _of_month_name(year, month, day, value[match.end() :])
    if match := _MONTH_DAY.match(value):
        month, day, year = match.groups()
        return _of_month_name(year, month, day, value[match.end() :])
    return None


def _of_month_name(year: str, month: str, day: str, rest: str) -> _Written | None:
    number = _MONTHS.get(month.lower())
    return _Written((year, str(number), day), False, rest) if number else None


def _year(text: str) -> int:
    number = int(text)
    if len(text) == 4:
        return number
    return number + (1900 if number >= 69 else 2000)


def _day(written: _Written, order: Order | None) -> date | None:
    """The date, reading day and month in ``order``; without one, the only order that gives a date."""
    first, second, third = written.numbers
    if not written.ordered:
        year, month, day = first, second, third
    elif order is None:
        readings = {d for o in SETTLED_BY_VALUES if (d := _day(written, o)) is not None}
        return readings.pop() if len(readings) == 1 else None
    elif order is Order.YMD:
        year, month, day = first, second, third
        if len(day) > 2:
            return None
    else:
        if len(third) not in (2, 4):
            return None
        day, month, year = (first, second, third) if order is Order.DMY else (second, first, third)
    try:
        return date(_year(year), int(month), int(day))
    except ValueError:
        return None


def _clock(rest: str) -> tuple[time, tzinfo | None] | None:
    """The time of day after a date, with its zone when it names one; midnight when there is no time."""
    if not rest:
        return time(), None
    match = _TIME.fullmatch(rest)
    if match is None:
        return None
    hour, minute, second, fraction, half, zone = match.groups()
    hours = int(hour)
    if half:
        if not 1 <= hours <= 12:
            return None
        hours = hours % 12 + (12 if half.lower() == "p" else 0)
    offset = _zone(zone) if zone else None
    if zone and offset is None:
        return None
    try:
        return time(hours, int(minute), int(second or 0), int((fraction or "0")[:6].ljust(6, "0"))), offset
    except ValueError:
        return None


def _zone(text: str) -> tzinfo | None:
    """The zone a time names; None when no zone has that offset."""
    if text.lower() in ("z", "utc", "gmt"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def read_moment(text: str, written_as: DateFormat, zone: tzinfo) -> datetime | None:
    """The moment ``text`` writes, in ``zone`` when it names none; a date alone is its midnight. None when it is
    not one."""
    if written_as.pattern:
        moment = _by_pattern(text, written_as.pattern)
    else:
        moment = read_iso(text, zone) or _as_written(text, written_as.order)
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def read_iso(text: str, zone: tzinfo) -> datetime | None:
    """The moment an ISO 8601 ``text`` writes, in ``zone`` when it names none; None when it is not ISO 8601. The
    usual form, and one that never depends on the order of day and month: read first, and fast."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _by_pattern(text: str, pattern: str) -> datetime | None:
    try:
        return datetime.strptime(text, pattern)
    except ValueError:
        return None


def _as_written(text: str, order: Order | None) -> datetime | None:
    written = _written(text)
    day = _day(written, order) if written else None
    clock = _clock(written.rest) if written and day else None
    return datetime.combine(day, clock[0], clock[1]) if day and clock else None


def read_day(text: str, written_as: DateFormat) -> date | None:
    """The calendar day ``text`` writes (a time after it is left aside); None when it is not one."""
    moment = read_moment(text, written_as, UTC)
    return moment.date() if moment else None


def orders_read(text: str) -> frozenset[Order] | None:
    """The orders of day and month under which ``text`` is a date, when how it reads depends on one; None when it
    does not (a year first, a month by name, the same day and month) or it is not a date."""
    written = _written(text)
    if written is None or not written.ordered or written.numbers[0] == written.numbers[1]:
        return None
    return frozenset(o for o in SETTLED_BY_VALUES if _day(written, o) is not None) or None


@dataclass(frozen=True)
class Settled:
    """What a file's values say about the order of their day and month: the one they allow (None when they
    allow both, or no value depends on it), the first value (with its row) whose reading depends on the order,
    and the first that allows only the order found."""

    order: Order | None
    example: tuple[int, str] | None
    evidence: tuple[int, str] | None

    @property
    def needs_order(self) -> bool:
        return self.example is not None and self.order is None


def settle(values: Iterable[tuple[int, str]]) -> Settled:
    """The order of day and month the values (each with its row) allow. The first value that allows one order
    only settles it; a later value that does not read that way is that value's problem, not the file's."""
    example = None
    for row, text in values:
        if text[:4].isdigit():  # a year first, or no date at all: either way no order is involved
            continue
        orders = orders_read(text)
        if orders is None:
            continue
        example = example or (row, text)
        if len(orders) == 1:
            return Settled(next(iter(orders)), example, (row, text))
    return Settled(None, example, None)


def reading(text: str, order: Order) -> str:
    """How ``text`` reads under ``order``, in words (``5 March 2026``); "not a date" when it does not."""
    day = read_day(text, DateFormat(order=order))
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}" if day else "not a date"


def unreadable(text: str, written_as: DateFormat, with_time: bool) -> str:
    """Why ``text`` is not a date (or moment), in words, with the forms that are."""
    if written_as.pattern:
        return f"'{text}' does not follow the date format {written_as.pattern}"
    if written_as.order:
        return f"'{text}' is not a date written {ORDER_WORDS[written_as.order]} ({written_as.order})"
    if with_time:
        return f"'{text}' is not a date and time like 2026-03-02 15:00, 03/02/2026 3:00 PM or 2 Mar 2026 15:00"
    return f"'{text}' is not a date like 2026-01-31, 31.01.2026 or 31 Jan 2026"
