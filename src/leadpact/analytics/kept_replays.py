"""Replays kept in the store: which of them still hold, so a report replays only the other leads.

Replaying qualification (``replay``) groups every counted event by lead and second and runs a window over them:
seconds of work at millions of events, for the grade calibration and the backtest alike. The rescore keeps each
lead's replay under the agreement in force (``services.kept_replays``): the first second at which the rule held,
the first at which screening took the lead, the top score at an event second, and what they were computed
from. A lead's kept replay still holds for a replay up to ``at`` when

- it was computed under the same rules: the fingerprint of what a replay reads of the agreement (the time zone,
  the grades, the half-life, the event rules, the qualification and screening rules) is the one marked;
- the lead's fit and whether screening takes its source are the ones it was computed from (fields edited,
  answers, a prediction: the fit is recomputed and compared);
- no event was recorded for the lead since (by event id, past the marked ``through``), and its latest event is
  not after ``at``: the kept replay saw exactly the events a replay up to ``at`` counts, since an event's
  verdict depends only on the events before it;
- a merge has not moved events to it (a merge deletes the survivor's kept replay).

Any other lead is replayed from its events, so the kept replays make a report faster, never different.
"""

from __future__ import annotations

import hashlib

from leadpact.analytics.backend import Backend
from leadpact.analytics.rescore import Table
from leadpact.domain.agreement import Agreement

REPLAYS = "replays"
MARKS = "replay_marks"
COLUMNS: dict[str, tuple[str, ...]] = {
    REPLAYS: ("lead_id", "fit", "screened_source", "latest", "first", "first_screened", "top"),
    MARKS: ("id", "agreement", "through"),
}
"""The kept replays' tables and the columns a report reads."""


def fingerprint(agreement: Agreement) -> str:
    """The SHA-256 of what a replay reads of the agreement; equal for agreements that replay alike."""
    read = (
        agreement.timezone,
        agreement.grades,
        agreement.half_life_days,
        sorted(agreement.events.items()),
        agreement.qualified,
        agreement.screening,
    )
    return hashlib.sha256(repr(read).encode()).hexdigest()


def mark(con: Backend) -> tuple[str, int] | None:
    """The marked fingerprint and last event id, or None when nothing is kept (or the tables are not there)."""
    if MARKS not in con.list_tables():
        return None
    rows = con.table(MARKS).select("agreement", "through").to_pyarrow().to_pylist()
    return (str(rows[0]["agreement"]), int(rows[0]["through"])) if rows else None


def checked(con: Backend, agreement: Agreement, at: int | None, fit: Table) -> Table | None:
    """The leads of ``fit`` (``replay.fits``) with their kept replay where it still holds for a replay up to ``at``
    (None: every event) under ``agreement``: fit's columns, holds, first, first_screened, top (null where it does
    not hold). None when nothing is kept under these rules."""
    marked = mark(con)
    if marked is None or marked[0] != fingerprint(agreement):
        return None
    kept = con.table(REPLAYS)
    events = con.table("events")
    since = events.filter(events.id > marked[1]).select("lead_id").distinct()
    valid = kept.anti_join(since, "lead_id")
    if at is not None:
        valid = valid.filter(valid.latest.isnull() | (valid.latest <= at))
    valid = valid.select(
        kept_lead=valid.lead_id,
        kept_fit=valid.fit,
        kept_source=valid.screened_source,
        first=valid.first.cast("int64"),
        first_screened=valid.first_screened.cast("int64"),
        top=valid.top.cast("float64"),
    )
    same = [fit.lead_id == valid.kept_lead, fit.fit == valid.kept_fit, fit.screened_source == valid.kept_source]
    t = fit.left_join(valid, same)
    return t.select(
        *(fit[c] for c in fit.columns),
        holds=valid.kept_lead.notnull(),
        first=valid.first,
        first_screened=valid.first_screened,
        top=valid.top,
    )
