"""Connecting to the database and migrating it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from leadpact.domain.errors import InvalidInput
from leadpact.store.tables import Base

MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_URL = "sqlite:///leadpact.db"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


BULK_CACHE_KIB = 262_144
"""The page cache a bulk load may fill, 256 MiB: the tables and indexes it writes stay in memory."""
_USUAL_CACHE = "leadpact.usual_cache_size"
"""Set in a connection's ``info`` while it loads in bulk: the page cache it goes back to."""


def load_in_bulk(connection: Connection) -> None:
    """Make a large import's writes on SQLite cheaper until the connection goes back to the pool: foreign keys not
    checked row by row (each key of each row is looked up in its parent table) and a page cache
    of ``BULK_CACHE_KIB``. For a writer that takes the write lock before it reads the rows its writes refer to,
    so they stay there until it commits. SQLite changes neither setting within a transaction: called after the
    first write, or on PostgreSQL, it changes nothing."""
    dbapi = connection.connection.dbapi_connection
    if connection.dialect.name != "sqlite" or dbapi is None or dbapi.in_transaction or _USUAL_CACHE in connection.info:
        return
    connection.info[_USUAL_CACHE] = int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    connection.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")


def _back_from_bulk(dbapi_connection: Any, record: Any) -> None:
    """A connection that loaded in bulk checks foreign keys again, with its usual page cache, once it is back in the
    pool (after its transaction's rollback or commit)."""
    cache = record.info.pop(_USUAL_CACHE, None)
    if cache is not None and dbapi_connection is not None:
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        dbapi_connection.execute(f"PRAGMA cache_size={cache}")


def connect(url: str) -> Engine:
    """An engine for ``url``; plain ``postgresql://`` URLs use psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InvalidInput(f"'{url}' is not a database URL (e.g. sqlite:///leadpact.db)", "database_url") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise InvalidInput(f"{parsed.get_backend_name()} is not supported; use SQLite or PostgreSQL", "database_url")
    engine = create_engine(parsed)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "checkin", _back_from_bulk)
    return engine


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; returns (revision before, revision after)."""
    config = _alembic_config(engine)
    before = current_revision(engine)
    command.upgrade(config, "head")
    return before, ScriptDirectory.from_config(config).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def empty(engine: Engine) -> None:
    """Delete every row of every leadpact table there is, in one transaction; the schema stays."""
    present = set(inspect(engine).get_table_names())
    names = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name in present]
    if not names:
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
            return
        # teams and users name each other (a team's manager is a user): check the keys once all rows are gone
        connection.execute(text("PRAGMA defer_foreign_keys = ON"))
        for name in names:
            connection.execute(text(f"DELETE FROM {name}"))
