"""Where services get "now" from: the real clock, a fixed moment for reproducible results (``--at``), or real time
running on from a chosen moment (the store's clock, ``services.store_clock``); and how a moment or a date given as
text is read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol

from leadpact.domain.errors import InvalidInput


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that shows ``at`` until moved; simulations move it forward."""

    at: datetime

    def now(self) -> datetime:
        return self.at


def parse_moment(text: str, field: str | None) -> datetime:
    """An ISO 8601 moment given for ``field`` (None: a command's argument, which its error need not name); one without
    a zone is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"'{text}' is not an ISO 8601 time like 2026-11-23T14:30:00Z", field) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_date(text: str, field: str) -> date:
    """A calendar date given for ``field``, as YYYY-MM-DD."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput(f"'{text}' is not a date like 2026-01-31", field) from exc


@dataclass(frozen=True)
class RunningClock:
    """Real time running on from ``starts_at``, which the clock read at the real moment ``set_at``: a world built up
    to a past moment is worked on as if it were now."""

    starts_at: datetime
    set_at: datetime
    real: Clock

    def now(self) -> datetime:
        return self.starts_at + (self.real.now() - self.set_at)
