"""Where services get "now" from: the real clock, or a fixed moment for reproducible results (``--at``); and how a
moment or a date given as text is read."""

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


def parse_moment(text: str, field: str) -> datetime:
    """An ISO 8601 moment given for ``field``; one without a zone is taken as UTC."""
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


class RunningClock:
    """Real time flowing from a chosen start: a world built up to a past moment is served as if it were now."""

    def __init__(self, start: datetime) -> None:
        self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset
