"""Where the batch computations run: on the application database itself, on DuckDB, or on Spark.

``app`` runs the Ibis expressions on the database the application writes to (a SQLite file or PostgreSQL).
``duckdb`` copies the tables the analytics read into an in-memory DuckDB first, for histories too large for
the application database to crunch quickly; the copy is read in one go, so it is a consistent snapshot when
the caller holds the tables still (see ``services.rescore``). DuckDB cannot attach SQLite or PostgreSQL
itself here: its scanner extensions would have to be downloaded. ``spark`` writes the same tables as Parquet
and reads them into Spark (``analytics.spark``), for histories beyond one machine.

DuckDB and Spark can instead read an export of the store's tables as Parquet (``leadpact export parquet``),
leaving the store alone.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import ibis
from sqlalchemy.engine import URL, make_url

from leadpact.analytics import kept_replays, parquet
from leadpact.analytics.backend import Backend, Tables
from leadpact.domain.errors import InvalidInput
from leadpact.domain.fields import ACCOUNT_FIELDS, LEAD_FIELDS

ENGINES = ("app", "duckdb", "spark")

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
        "created_at",  # a lead's replay starts when it was captured (kept_replays)
        "merged_into",  # a replay's fit table says which leads are merged duplicates (grades leaves them out)
    ),
    "accounts": ("id", *ACCOUNT_FIELDS),
    "campaigns": ("id", "name"),
    "lead_fields": ("lead_id", "name", "value"),
    "events": ("id", "event_id", "lead_id", "type", "occurred_at", "counted", "recorded_for"),
    "score_ledger": ("lead_id", "at", "kind", "item", "points"),
    "predictions": ("lead_id", "model_version", "probability"),
    **kept_replays.COLUMNS,
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
    "users": ("id", "name", "role", "team_id", "capacity"),  # never a password's hash
    "teams": None,
    "screenings": None,
    "feedback": None,
    "feedback_requests": None,
}
"""The tables the reports and the backtest read (None: every column); they hold what the rescore reads too, so an
export of them (``leadpact export parquet``) serves every batch computation."""


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


def copy_to_duckdb(app: Backend, tables: Tables = ANALYTICS_COLUMNS) -> Backend:
    """An in-memory DuckDB holding ``tables`` (name: columns, None for all) read from ``app``."""
    duck = ibis.duckdb.connect()
    for name, columns in tables.items():
        table = app.table(name)
        duck.create_table(name, (table.select(*columns) if columns else table).to_pyarrow())
    return duck


def _spark() -> ModuleType:
    """``analytics.spark``, imported when Spark is asked for: PySpark is an optional extra."""
    try:
        from leadpact.analytics import spark
    except ImportError as error:  # pragma: no cover - the test suite installs the spark extra
        raise InvalidInput(
            "the spark engine needs PySpark: pip install 'leadpact[spark]' (and Java 17 or newer)", "engine"
        ) from error
    return spark


def read_parquet(engine: str, directory: Path, tables: Tables) -> Backend:
    """An Ibis connection on ``engine`` ("duckdb" or "spark") holding ``tables`` from the Parquet files in
    ``directory``, as ``parquet.write_tables`` writes them."""
    found = parquet.paths(directory, tables)
    if engine == "spark":
        return _spark().connect(found)
    if engine != "duckdb":
        raise InvalidInput(f"a Parquet export is read by duckdb or spark, not '{engine}'", "engine")
    duck = ibis.duckdb.connect()
    for name, path in found:
        duck.read_parquet(path, table_name=name)
    return duck


def connect(url: str | URL, engine: str = "app", tables: Tables = ANALYTICS_COLUMNS) -> Backend:
    """An Ibis connection holding the store's tables on ``engine`` ("app", "duckdb" or "spark"); disconnect it
    after use.

    On DuckDB it holds a copy of ``tables`` only; on Spark, ``tables`` written as Parquet for this connection.
    """
    if engine not in ENGINES:
        raise InvalidInput(f"'{engine}' is not one of {', '.join(ENGINES)}", "engine")
    app = connect_app(url)
    if engine == "app":
        return app
    try:
        if engine == "duckdb":
            return copy_to_duckdb(app, tables)
        spark = _spark()
        staging = spark.staging_directory()
        parquet.write_tables(app, staging, tables)
    finally:
        app.disconnect()
    con = spark.connect(parquet.paths(staging, tables))
    con.keep_until_disconnect(staging)
    return con
