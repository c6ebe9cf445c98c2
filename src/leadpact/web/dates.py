"""The dates a page covers: today in the agreement's time zone, a range of local dates, and dates typed in forms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from leadpact.domain.errors import InvalidInput
from leadpact.domain.scoring import local_day, to_seconds
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock, parse_date


@dataclass(frozen=True)
class Range:
    """The local dates the dashboard covers (either end open) and the words that say so."""

    first: date | None
    last: date | None

    def describe(self) -> str:
        if self.first is None and self.last is None:
            return "all history"
        return f"{self.first or 'the beginning'} to {self.last or 'now'}"


def today(inforce: InForce, clock: Clock) -> date:
    """Today's date in the agreement's time zone."""
    return local_day(inforce.agreement, to_seconds(clock.now()))


def last_twelve_months(day: date) -> Range:
    """The year up to and including ``day``: from the day after the same date a year before."""
    try:
        year_before = day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        year_before = date(day.year - 1, 2, 28)
    return Range(year_before + timedelta(days=1), day)


def parse_day(text: str | None, name: str) -> date | None:
    """A date from a form or the address; empty means the range is open at that end."""
    if text is None or not text.strip():
        return None
    return parse_date(text, name)


def chosen_range(first: str | None, last: str | None, default: Range) -> Range:
    """The range asked for; with neither end given at all, ``default``."""
    if first is None and last is None:
        return default
    chosen = Range(parse_day(first, "from"), parse_day(last, "to"))
    if chosen.first and chosen.last and chosen.last < chosen.first:
        raise InvalidInput(f"to: {chosen.last} is before from: {chosen.first}; choose an end after the start")
    return chosen
