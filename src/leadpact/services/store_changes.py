"""The store's last change, and holding the scoring tables still: what tells a computation that it is current.

``last_change`` is one query: the newest row of every table the batch computations read, of the audit trail and
of the outbox. Rows are inserted there by every change that can move a report or a score. What the agreement does
by itself (a hand-off, a breach the SLA worker records, a late event) writes history rows or an outbox message,
and what a person or a token changes in place (a cost recorded again for a day, a contact logged, a merge, an
erasure, a rescore) is kept in the audit trail. On SQLite writers take turns, so ids grow in commit order.
PostgreSQL draws ids before a transaction commits: one still open may commit an id lower than the newest seen, so
there the last change also names the transactions open at that moment.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from sqlalchemy import String, func, literal_column, select, text
from sqlalchemy.sql.elements import ColumnClause, ColumnElement, KeyedColumnElement

from leadpact.analytics import kept_replays
from leadpact.analytics.engines import REPORT_TABLES
from leadpact.store.tables import AgreementVersion, AuditEntry, Base, OutboxMessage
from leadpact.store.unit_of_work import UnitOfWork

LOCKED_TABLES = ("leads", "lead_fields", "accounts", "campaigns", "events", "score_ledger")
"""The tables a rescore reads and amends."""

Change = tuple[Hashable, ...]
"""The store's last change: equal twice only if nothing a report reads was written in between."""


def _newest() -> list[KeyedColumnElement[Any]]:
    """The id column of each table the reports read that has one, of the audit trail and of the outbox.

    The kept replays are left out: a report checks each against the history before reading it, so keeping them
    anew changes no report's figures.
    """
    tables = [Base.metadata.tables[name] for name in REPORT_TABLES if name not in kept_replays.COLUMNS]
    ids = [table.c.id for table in tables if "id" in table.c]
    return [*ids, AuditEntry.__table__.c.id, OutboxMessage.__table__.c.id, AgreementVersion.__table__.c.version]


NEWEST = _newest()

OPEN_TRANSACTIONS: ColumnClause[str] = literal_column(
    "(SELECT coalesce(string_agg(x::text, ',' ORDER BY x), '') FROM pg_snapshot_xip(pg_current_snapshot()) AS x)",
    String,
)
"""PostgreSQL: the transactions open (holding ids, perhaps not committed yet) at the moment of the query."""


def last_change(uow: UnitOfWork) -> Change:
    """The store's last change, in one query; read it before computing, so a write after it shows next time."""
    columns: list[ColumnElement[Any]] = [select(func.max(column)).scalar_subquery() for column in NEWEST]
    if uow.dialect == "postgresql":
        columns.append(OPEN_TRANSACTIONS)
    return tuple(uow.session.execute(select(*columns)).one())


def hold_still(uow: UnitOfWork) -> None:
    """Keep other writers off the scoring tables until the unit of work ends, so the batch reads what it amends.

    The batch reads through its own connection; readers still see the committed state meanwhile.
    """
    if uow.dialect == "postgresql":
        uow.session.execute(text(f"LOCK TABLE {', '.join(LOCKED_TABLES)} IN SHARE ROW EXCLUSIVE MODE"))
    elif uow.dialect == "sqlite":
        raw = uow.session.connection().connection.driver_connection
        if raw is not None and not raw.in_transaction:
            raw.execute("BEGIN IMMEDIATE")
