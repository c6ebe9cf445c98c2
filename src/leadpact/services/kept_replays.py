"""Keeping each lead's replay in the store, so reports on a long history replay only what changed since.

The rescore brings the kept replays in line (``analytics.kept_replays`` says when one still holds): the leads
whose kept replay no longer holds, or that have none, are replayed from every event they have, and their rows
replaced; the mark names the agreement's fingerprint and the last event included. Under another agreement every
lead is replayed. When every kept replay holds and no event came since, nothing is written.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert

from leadpact.analytics import kept_replays
from leadpact.analytics.backend import Backend
from leadpact.analytics.history import keep
from leadpact.analytics.replay import fits, replayed
from leadpact.domain.agreement import Agreement
from leadpact.store.tables import KeptReplay, ReplayMark
from leadpact.store.unit_of_work import UnitOfWork

CHUNK = 500
"""Lead ids per statement when rows are replaced: within every engine's limit on bound parameters."""


def bring_in_line(uow: UnitOfWork, con: Backend, agreement: Agreement, now: datetime) -> int:
    """Replay the leads whose kept replay no longer holds and keep the results; the number of leads replayed.

    ``con`` reads the store (or its current export) as it stands in ``uow``; the caller holds the store still.
    """
    f = keep(con, fits(con, agreement))
    checked = kept_replays.checked(con, agreement, None, f)
    stale = keep(con, f if checked is None else checked.filter(~checked.holds).select(*f.columns))
    events = con.table("events")
    through = int(events.id.max().fill_null(0).to_pyarrow().as_py())
    marked = kept_replays.mark(con)
    sign = kept_replays.fingerprint(agreement)
    if int(stale.count().to_pyarrow().as_py()) == 0 and marked == (sign, through):
        return 0
    found = replayed(con, agreement, None, stale, stale.select("lead_id"))
    latest = events.semi_join(stale, "lead_id").group_by("lead_id").aggregate(latest=events.occurred_at.max())
    t = stale.left_join(found, "lead_id").left_join(latest, "lead_id")
    rows = t.select(
        stale.lead_id, stale.fit, stale.screened_source, latest.latest, found.first, found.first_screened, found.top
    ).to_pyarrow()
    session = uow.session
    ids = rows.column("lead_id").to_pylist()
    if checked is None:
        session.execute(delete(KeptReplay))
    else:
        for start in range(0, len(ids), CHUNK):
            session.execute(delete(KeptReplay).where(KeptReplay.lead_id.in_(ids[start : start + CHUNK])))
    if ids:
        session.execute(insert(KeptReplay), rows.to_pylist())
    session.merge(ReplayMark(id=1, agreement=sign, through=through, at=now))
    return len(ids)
