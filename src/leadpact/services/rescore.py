"""Rescoring every lead in one batch, and bringing the store in line with the result.

After the agreement changes (other points, caps or rules), or to check the online path, the whole history is
rescored in one pass (``analytics.rescore``) on the application database, on DuckDB or on Spark. The store is then
brought in line without rewriting history: the ledger gets an adjustment row only where an item's net points
differ from what the batch credits (a fit rule at the rescore moment, an event at its own time), events get
the batch's verdict, and each lead's fit, grade and engagement state are set from the batch. Stages are left
alone: whether a lead qualified was decided when it happened. The leads' kept replays are brought in line too
(``kept_replays``: what the grade calibration and the backtest read instead of replaying every event). A rescore
that changes nothing writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, update

from leadpact.analytics import engines
from leadpact.analytics.history import fetch
from leadpact.analytics.rescore import Batch, batch
from leadpact.domain.scoring import to_seconds
from leadpact.services import audit, kept_replays, parquet_export, predictions
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.services.store_changes import hold_still
from leadpact.store.tables import Base, LedgerEntry
from leadpact.store.unit_of_work import UnitOfWork

Row = dict[str, Any]


@dataclass(frozen=True)
class RescoreReport:
    engine: str
    at: datetime  # the moment fit rules were rescored at
    version: int
    leads: int  # leads rescored
    leads_changed: int  # leads whose fit, grade or engagement was set
    ledger_rows: int  # adjustment rows appended to the ledger
    verdicts_changed: int  # events whose counted flag flipped
    replays_kept: int  # leads whose replay was kept anew
    seconds: float


@dataclass(frozen=True)
class Changes:
    """What the batch found out of line: ledger adjustments, event verdicts, lead states."""

    leads: int
    adjustments: list[Row]
    verdicts: list[Row]
    states: list[Row]


def find_changes(work: Batch, at: int) -> Changes:
    leads = int(work.con.table("leads").count().execute())
    return Changes(leads, fetch(work.adjustments(at)), fetch(work.verdict_changes()), fetch(work.lead_changes()))


def _apply(uow: UnitOfWork, changes: Changes, version: int) -> None:
    """Append the adjustments, flip the verdicts, set the lead states: bulk statements, no per-lead queries."""
    session = uow.session
    if changes.adjustments:
        session.execute(insert(LedgerEntry), [{**row, "version": version} for row in changes.adjustments])
    events = Base.metadata.tables["events"]
    leads = Base.metadata.tables["leads"]
    if changes.verdicts:
        flip = update(events).where(events.c.id == bindparam("b_id")).values(counted=bindparam("b_counted"))
        session.execute(flip, [{"b_id": r["id"], "b_counted": r["counted"]} for r in changes.verdicts])
    if changes.states:
        state = (
            update(leads)
            .where(leads.c.id == bindparam("b_id"))
            .values(
                fit=bindparam("b_fit"),
                grade=bindparam("b_grade"),
                engagement=bindparam("b_engagement"),
                engagement_at=bindparam("b_engagement_at"),
            )
        )
        names = ("fit", "grade", "engagement", "engagement_at")
        session.execute(state, [{"b_id": r["lead_id"], **{f"b_{n}": r[n] for n in names}} for r in changes.states])
    latest = _latest_by_lead(changes.adjustments)
    if latest:
        bump = (
            update(leads)
            .where(leads.c.id == bindparam("b_id"), leads.c.latest_at < bindparam("b_at"))
            .values(latest_at=bindparam("b_at"))
        )
        session.execute(bump, [{"b_id": lead_id, "b_at": at} for lead_id, at in latest.items()])


def _latest_by_lead(adjustments: Sequence[Row]) -> dict[int, int]:
    """The latest moment each lead's ledger moves to: the online path keeps it to spot late arrivals."""
    latest: dict[int, int] = {}
    for row in adjustments:
        latest[row["lead_id"]] = max(latest.get(row["lead_id"], row["at"]), row["at"])
    return latest


def rescore(
    uow: UnitOfWork, clock: Clock, inforce: InForce, engine_name: str = "app", parquet: Path | None = None
) -> RescoreReport:
    """Rescore every lead under the agreement in force on ``engine_name`` ("app", "duckdb" or "spark"), reading
    the store or its current export in ``parquet``; amend the store."""
    started = time.perf_counter()
    now = clock.now()
    at = to_seconds(now)
    predictions.fill_for(uow.engine, [inforce.agreement])
    hold_still(uow)
    con = parquet_export.connect(uow, engine_name, engines.ANALYTICS_COLUMNS, parquet)
    try:
        changes = find_changes(batch(con, inforce.agreement).keeping_verdicts(), at)
        replays = kept_replays.bring_in_line(uow, con, inforce.agreement, now)
    finally:
        con.disconnect()
    _apply(uow, changes, inforce.version)
    if changes.states or changes.adjustments or changes.verdicts:
        audit.record(
            uow,
            now,
            "scores.rescore",
            f"agreement version {inforce.version}",
            leads_changed=len(changes.states),
            ledger_rows=len(changes.adjustments),
            verdicts_changed=len(changes.verdicts),
        )
    return RescoreReport(
        engine=engine_name,
        at=now,
        version=inforce.version,
        leads=changes.leads,
        leads_changed=len(changes.states),
        ledger_rows=len(changes.adjustments),
        verdicts_changed=len(changes.verdicts),
        replays_kept=replays,
        seconds=time.perf_counter() - started,
    )
