"""Working time between two moments as an Ibis expression: the SLA calendar's hours, on every engine.

The agreement's calendar (``domain.calendar``) counts time only on its working days that are not holidays,
between the day's opening and closing hours, in its time zone. Here that calendar becomes a small table of
the local days over the span of the moments involved, one row per day: the day's number (days since
1970-01-01 on the local calendar), its working window [opens, closes) in UTC seconds (empty on a day off),
and the working seconds of the span's days before it. The working seconds up to a moment t of local day d
are then

    W(t) = before(d) + min(max(t, opens(d)), closes(d)) - opens(d)

and the working time from a start to an end is W(end) - W(start), or 0 when the end is not after the start:
exactly what ``calendar.working_seconds_between`` counts window by window. A moment's local day is found
from the zone's UTC offsets over the span, as ``rescore.local_day`` finds it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import ibis

from leadpact.analytics.backend import Backend
from leadpact.analytics.rescore import Column, Table, local_day, utc_offsets
from leadpact.domain import scoring
from leadpact.domain.agreement import Agreement
from leadpact.domain.calendar import working_window

EPOCH = date(1970, 1, 1)

DAY_SCHEMA = {"day": "int64", "opens": "int64", "closes": "int64", "before": "int64"}


@dataclass(frozen=True)
class WorkingDay:
    """One local day of the calendar: its number, its working window in UTC seconds, the working time before it."""

    day: int
    opens: int
    closes: int
    before: int


def working_days(agreement: Agreement, lo: int, hi: int) -> list[WorkingDay]:
    """The local days from the one holding ``lo`` to the one holding ``hi`` (UTC seconds), in order."""
    first, last = scoring.local_day(agreement, lo), scoring.local_day(agreement, hi)
    out: list[WorkingDay] = []
    before = 0
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        window = working_window(agreement, day)
        if window is None:
            opens = closes = scoring.local_day_bounds(agreement, day)[0]
        else:  # a window swallowed by a spring-forward gap holds no time, as in the calendar
            opens, closes = window[0], max(window)
        out.append(WorkingDay((day - EPOCH).days, opens, closes, before))
        before += closes - opens
    return out


def _days_table(days: list[WorkingDay], prefix: str) -> Table:
    columns = {f"{prefix}{name}": [getattr(d, name) for d in days] for name in DAY_SCHEMA}
    return ibis.memtable(columns, schema={f"{prefix}{name}": kind for name, kind in DAY_SCHEMA.items()})


def _span(con: Backend, table: Table, start: str, end: str) -> tuple[int, int] | None:
    moments = {
        f"{name}_{edge}": getattr(table[name].cast("int64"), edge)() for name in (start, end) for edge in ("min", "max")
    }
    row = con.to_pyarrow(table.aggregate(**moments)).to_pylist()[0]
    lows = [row[f"{name}_min"] for name in (start, end) if row[f"{name}_min"] is not None]
    highs = [row[f"{name}_max"] for name in (start, end) if row[f"{name}_max"] is not None]
    return (int(min(lows)), int(max(highs))) if lows else None


def _worked_until(moment: Column, days: Table, prefix: str) -> Column:
    """W(moment): the working seconds of the span up to the moment, from its day's row joined alongside."""
    opens, closes = days[f"{prefix}opens"], days[f"{prefix}closes"]
    inside = ibis.least(ibis.greatest(moment, opens), closes)
    return days[f"{prefix}before"] + inside - opens


def working_seconds(con: Backend, agreement: Agreement, table: Table, start: str, end: str, name: str) -> Table:
    """The table with a column ``name``: the working seconds from its epoch column ``start`` to ``end``.

    The value is null where either moment is null, and 0 when the end is not after the start. The span of
    the two columns is read first (one small query) to build the calendar table.
    """
    bounds = _span(con, table, start, end)
    if bounds is None:
        return table.mutate(**{name: ibis.null("int64")})
    days = working_days(agreement, *bounds)
    offsets = utc_offsets(agreement.timezone, *bounds)
    from_days, to_days = _days_table(days, "_from_"), _days_table(days, "_to_")
    keyed = table.mutate(_from_key=local_day(table[start], offsets), _to_key=local_day(table[end], offsets))
    joined = keyed.left_join(from_days, keyed._from_key == from_days._from_day).left_join(
        to_days, keyed._to_key == to_days._to_day
    )
    elapsed = _worked_until(keyed[end], to_days, "_to_") - _worked_until(keyed[start], from_days, "_from_")
    return joined.select(*table.columns, **{name: ibis.cases((elapsed < 0, 0), else_=elapsed).cast("int64")})
