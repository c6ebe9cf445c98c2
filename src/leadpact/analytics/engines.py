"""Where the batch computations run: on the application database itself, or on DuckDB.

``app`` runs the Ibis expressions on the database the application writes to (a SQLite file or PostgreSQL).
``duckdb`` copies the tables the analytics read into an in-memory DuckDB first, for histories too large for
the application database to crunch quickly; the copy is read in one go, so it is a consistent snapshot when
the caller holds the tables still (see ``services.rescore``). DuckDB cannot attach SQLite or PostgreSQL
itself here: its scanner extensions would have to be downloaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis
from sqlalchemy.engine import URL, make_url

from leadpact.domain.errors import InvalidInput
from leadpact.domain.fields import ACCOUNT_FIELDS, LEAD_FIELDS

Backend = Any
"""An Ibis backend connection (Ibis ships no type information)."""

ENGINES = ("app", "duckdb")

ANALYTICS_COLUMNS: dict[str, tuple[str, ...]] = {
    "leads": (
        "id",
        *(name for name in LEAD_FIELDS if name != "campaign"),  # fit rules name the campaign; it is stored by id
        "campaign_id",
        "account_id",
        "fit",
        "engagement",
        "engagement_at",
        "latest_at",
        "grade",
    ),
    "accounts": ("id", *ACCOUNT_FIELDS),
    "campaigns": ("id", "name"),
    "lead_fields": ("lead_id", "name", "value"),
    "events": ("id", "event_id", "lead_id", "type", "occurred_at", "counted", "recorded_for"),
    "score_ledger": ("lead_id", "at", "kind", "item", "points"),
    "predictions": ("lead_id", "model_version", "probability"),
}
"""The tables and columns the rescore reads; its DuckDB copy holds exactly these."""

REPORT_TABLES: dict[str, tuple[str, ...] | None] = {
    **ANALYTICS_COLUMNS,
    "events": (*ANALYTICS_COLUMNS["events"], "campaign_id"),
    "leads": None,
    "campaigns": None,
    "campaign_costs": None,
    "stage_changes": None,
    "assignments": None,
    "opportunities": None,
    "opportunity_changes": None,
    "users": None,
    "teams": None,
    "screenings": None,
    "feedback": None,
    "feedback_requests": None,
}
"""The tables the reports and the backtest read (None: every column)."""


def connect_app(url: str | URL) -> Backend:
    """An Ibis connection to the application database named by a SQLAlchemy URL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise InvalidInput("analytics need a database file or server; an in-memory SQLite cannot be shared")
        return ibis.sqlite.connect(parsed.database)
    if backend == "postgresql":
        options = {key: value for key, value in parsed.query.items() if isinstance(value, str)}
        return ibis.postgres.connect(
            host=parsed.host,
            port=parsed.port,
            user=parsed.username,
            password=parsed.password,
            database=parsed.database,
            **options,
        )
    raise InvalidInput(f"analytics run on SQLite or PostgreSQL application databases, not {backend}")


Tables = Mapping[str, tuple[str, ...] | None]


def copy_to_duckdb(app: Backend, tables: Tables = ANALYTICS_COLUMNS) -> Backend:
    """An in-memory DuckDB holding ``tables`` (name: columns, None for all) read from ``app``."""
    duck = ibis.duckdb.connect()
    for name, columns in tables.items():
        table = app.table(name)
        # Passed as a memtable expression: Ibis 12 fails to drop the view it makes for a bare Arrow table.
        duck.create_table(name, ibis.memtable((table.select(*columns) if columns else table).to_pyarrow()))
    return duck


def connect(url: str | URL, engine: str = "app", tables: Tables = ANALYTICS_COLUMNS) -> Backend:
    """An Ibis connection holding the store's tables on ``engine`` ("app" or "duckdb"); disconnect it after use.

    On DuckDB it holds a copy of ``tables`` only.
    """
    if engine not in ENGINES:
        raise InvalidInput(f"'{engine}' is not one of {', '.join(ENGINES)}", "engine")
    app = connect_app(url)
    if engine == "app":
        return app
    try:
        return copy_to_duckdb(app, tables)
    finally:
        app.disconnect()
