"""Scoring: who the lead is (fit) plus what the lead did (engagement), fading with time.

Fit is the sum of the points of the fit rules that hold on the lead's current fields. Each counted event
adds its points, halving every ``half_life_days``. An event counts unless the agreement does not know its
type, it goes beyond ``max_per_day`` for its type on the lead's local calendar day, or it repeats a
``once`` type. Which events count is decided in order of occurrence (time, then event id), never in order
of arrival, so a late event can take the place of one that arrived before it.

A lead qualifies at the first moment its grade is one the agreement hands over and its score reaches the
threshold, or at an ``immediate`` event when its grade allows; a recycled lead qualifies again only through a
counted event after its cooldown. With a screening section, the same moments are asked the screening rule
first: a lead that meets it then goes to screening rather than to sales. Times here are whole seconds since
the epoch, UTC.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import groupby
from typing import NamedTuple, TypeVar
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from leadpact.domain.agreement import Agreement
from leadpact.domain.conditions import holds
from leadpact.domain.fields import Facts
from leadpact.domain.lifecycle import Stage
from leadpact.domain.screening import screens_now

T = TypeVar("T")
DAY_SECONDS = 86_400
LN2 = math.log(2.0)


class EventFact(NamedTuple):
    """An event as the rules see it; tuples order by occurrence: time, then event id."""

    at: int
    event_id: str
    type: str


def fit_points(agreement: Agreement, facts: Facts) -> dict[str, float]:
    """The fit rules that hold on the lead, by rule id, with their points."""
    return {
        rule.id: rule.points for rule in agreement.fit_rules if holds(rule.condition, facts.get(rule.condition.field))
    }


def decay(points: float, elapsed_seconds: float, half_life_days: float | None) -> float:
    """Points worth ``elapsed_seconds`` after they were earned."""
    if half_life_days is None or elapsed_seconds == 0:
        return points
    return points * math.exp(-LN2 * elapsed_seconds / (half_life_days * DAY_SECONDS))


def advance(value: float, value_at: int, points: float, at: int, half_life_days: float | None) -> tuple[float, int]:
    """Add ``points`` earned at ``at`` to an engagement ``value`` known at ``value_at``: O(1), any order.

    The result is anchored at the later of the two moments, so events arriving late cost the same as
    events arriving in order.
    """
    if at >= value_at:
        return decay(value, at - value_at, half_life_days) + points, at
    return value + decay(points, value_at - at, half_life_days), value_at


def engagement_at(value: float, value_at: int, at: int, half_life_days: float | None) -> float:
    """The engagement known as ``value`` at ``value_at``, seen at a later moment ``at``."""
    return decay(value, max(at - value_at, 0), half_life_days)


QUARTER_HOUR = 900
UNIX_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@lru_cache(maxsize=1 << 16)
def _steady_offset(timezone: str, quarter_hour: int) -> int | None:
    """The zone's UTC offset in seconds throughout this quarter hour; None when it changes within it."""
    zone = ZoneInfo(timezone)
    start = quarter_hour * QUARTER_HOUR
    first = datetime.fromtimestamp(start, zone).utcoffset()
    last = datetime.fromtimestamp(start + QUARTER_HOUR - 1, zone).utcoffset()
    return int(first.total_seconds()) if first is not None and first == last else None


def local_day_number(agreement: Agreement, at: int) -> int:
    """The calendar day in the agreement's time zone that the moment falls on, as days since 1970-01-01.

    Offsets are looked up once per quarter hour (large imports ask millions of times); where the offset
    changes within the quarter hour, the moment itself is looked up.
    """
    offset = _steady_offset(agreement.timezone, at // QUARTER_HOUR)
    if offset is None:
        exact = datetime.fromtimestamp(at, ZoneInfo(agreement.timezone)).utcoffset()
        offset = int(exact.total_seconds()) if exact is not None else 0
    return (at + offset) // DAY_SECONDS


def local_day_numbers(agreement: Agreement, moments: NDArray[np.int64]) -> NDArray[np.int64]:
    """``local_day_number`` of many moments at once (an import's): each quarter hour's offset looked up once."""
    quarters, where = np.unique(moments // QUARTER_HOUR, return_inverse=True)
    steady = [_steady_offset(agreement.timezone, int(q)) for q in quarters]
    offsets = np.array([0 if offset is None else offset for offset in steady], dtype=np.int64)[where]
    days = (moments + offsets) // DAY_SECONDS
    for i in np.flatnonzero(np.array([offset is None for offset in steady])[where]):  # the offset changes there
        days[i] = local_day_number(agreement, int(moments[i]))
    return days


def local_day(agreement: Agreement, at: int) -> date:
    return date.fromordinal(UNIX_EPOCH_ORDINAL + local_day_number(agreement, at))


def local_day_bounds(agreement: Agreement, day: date) -> tuple[int, int]:
    """The UTC seconds [start, end) of a calendar day in the agreement's time zone."""
    zone = ZoneInfo(agreement.timezone)
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    end = start.replace(tzinfo=None) + timedelta(days=1)
    return int(start.timestamp()), int(end.replace(tzinfo=zone).timestamp())


def counted_events(agreement: Agreement, events: Iterable[EventFact]) -> list[EventFact]:
    """The events that count, in occurrence order (the canonical rule the online path maintains)."""
    out: list[EventFact] = []
    seen_once: set[str] = set()
    per_day: dict[tuple[str, int], int] = {}
    for event in sorted(events):
        rule = agreement.events.get(event.type)
        if rule is None:
            continue
        if rule.once:
            if event.type in seen_once:
                continue
            seen_once.add(event.type)
        if rule.max_per_day is not None:
            key = (event.type, local_day_number(agreement, event.at))
            if per_day.get(key, 0) >= rule.max_per_day:
                continue
            per_day[key] = per_day.get(key, 0) + 1
        out.append(event)
    return out


def by_moment(items: Iterable[T], moment: Callable[[T], int]) -> Iterator[tuple[int, list[T]]]:
    """Items already in time order, grouped by the second they happened in."""
    for at, group in groupby(items, key=moment):
        yield at, list(group)


@dataclass(frozen=True)
class Cycle:
    """Where a lead stands in its nurture cycle: fresh, or recycled with a cooldown end."""

    cooldown_until: int | None = None


def qualifies_now(agreement: Agreement, fit: float, score: float, immediate: bool) -> bool:
    """The qualification rule at one moment, given fit, score and whether an immediate event happened."""
    grade = agreement.grade_for(fit)
    rule = agreement.qualified
    return (grade in rule.grades and score >= rule.score_at_least) or (immediate and grade in rule.immediate_grades)


def entry_now(agreement: Agreement, fit: float, score: float, immediate: bool, source: str | None) -> Stage | None:
    """Where the agreement takes an inquiry at one moment: to screening, to sales (an MQL), or nowhere yet."""
    if screens_now(agreement, score, agreement.grade_for(fit), source):
        return Stage.SCREENING
    return Stage.MQL if qualifies_now(agreement, fit, score, immediate) else None


def qualification_moment(
    agreement: Agreement,
    fit_changes: Sequence[tuple[int, float]],
    counted: Sequence[EventFact],
    cycle: Cycle,
    source: str | None = None,
) -> int | None:
    """The first moment the lead qualifies (or goes to screening) in this cycle, or None."""
    entry = entry_moment(agreement, fit_changes, counted, cycle, source)
    return entry[0] if entry is not None else None


def entry_moment(
    agreement: Agreement,
    fit_changes: Sequence[tuple[int, float]],
    counted: Sequence[EventFact],
    cycle: Cycle,
    source: str | None = None,
) -> tuple[int, Stage] | None:
    """The first moment the agreement takes the lead in this cycle, and where to (screening or mql), or None.

    Candidates are event times, and for a fresh lead also the moments its fit changed; a recycled lead
    qualifies only at a counted event after its cooldown.
    """
    half_life = agreement.half_life_days
    # (at, fit delta, event points, is an event, is an immediate event)
    moments: list[tuple[int, float, float, bool, bool]] = [(at, delta, 0.0, False, False) for at, delta in fit_changes]
    for e in counted:
        rule = agreement.events[e.type]
        moments.append((e.at, 0.0, rule.points, True, rule.immediate))
    fit = engagement = 0.0
    last = None
    for at, items in by_moment(sorted(moments, key=lambda m: m[0]), lambda m: m[0]):
        if last is not None:
            engagement = decay(engagement, at - last, half_life)
        last = at
        fit += sum(m[1] for m in items)
        engagement += sum(m[2] for m in items)
        has_event = any(m[3] for m in items)
        immediate = any(m[4] for m in items)
        if cycle.cooldown_until is not None and (not has_event or at < cycle.cooldown_until):
            continue
        stage = entry_now(agreement, fit, fit + engagement, immediate, source)
        if stage is not None:
            return at, stage
    return None


def to_seconds(moment: datetime) -> int:
    """A moment as whole UTC seconds; naive datetimes are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return math.floor(moment.timestamp())


def from_seconds(at: int) -> datetime:
    return datetime.fromtimestamp(at, UTC)


def ledger_totals(rows: Iterable[tuple[str, float]]) -> Mapping[str, float]:
    """Net points per ledger item (fit rule or event id), dropping items that net to zero."""
    totals: dict[str, float] = {}
    for item, points in rows:
        totals[item] = totals.get(item, 0.0) + points
    return {k: v for k, v in totals.items() if abs(v) > 1e-12}
