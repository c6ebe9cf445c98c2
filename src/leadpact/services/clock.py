"""Where services get "now" from: the real clock, or a fixed moment for reproducible results (``--at``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
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


def parse_moment(text: str, what: str = "time") -> datetime:
    """An ISO 8601 moment; one without a zone is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidInput(f"{what}: '{text}' is not an ISO 8601 time like 2026-11-23T14:30:00Z") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class RunningClock:
    """Real time flowing from a chosen start: a world built up to a past moment is served as if it were now."""

    def __init__(self, start: datetime) -> None:
        self._offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset
