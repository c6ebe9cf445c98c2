"""A unit of work: one transaction that either lands whole or not at all."""

from __future__ import annotations

from collections import defaultdict
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, Table, event, insert
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class UnitOfWork:
    """Opens a session on enter; commits on a clean exit, rolls back on an error."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._factory = sessionmaker(engine, expire_on_commit=False, autoflush=True)
        self._session: Session | None = None
        self._appended: dict[tuple[Table, tuple[str, ...]], list[dict[str, Any]]] = defaultdict(list)

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open; use it in a 'with' block")
        return self._session

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def __enter__(self) -> UnitOfWork:
        session = self._session = self._factory()
        for moment in ("do_orm_execute", "before_flush", "before_commit"):
            event.listen(session, moment, self._write_appended)
        return self

    def append(self, model: type[DeclarativeBase], **values: Any) -> None:
        """Add a row to an append-only record (stage history, assignments, the outbox) without the ORM.

        Rows are written in bulk before the session next queries, flushes or commits, so every read in this
        unit of work still sees them; a hand-off in a large import costs a tuple, not an ORM object.
        """
        table = model.__table__
        assert isinstance(table, Table)
        self._appended[table, tuple(values)].append(values)

    def _write_appended(self, *_: object) -> None:
        if not self._appended:
            return
        pending, self._appended = self._appended, defaultdict(list)
        connection = self.session.connection()
        for (table, _columns), rows in pending.items():
            connection.execute(insert(table), rows)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        assert self._session is not None
        try:
            if kind is None:
                self._session.commit()
            else:
                self._appended.clear()
                self._session.rollback()
        finally:
            self._session.close()
            self._session = None

    def serialize_writes(self) -> None:
        """Take the database's write lock now, before reading what the coming writes depend on.

        SQLite starts a transaction only at the first write, so two requests could both read a lead's score and
        then both write their own sum; taking the lock first makes the second wait and read the first's result.
        PostgreSQL locks the rows themselves (``FOR UPDATE`` where a service reads what it will change).
        """
        if self.dialect != "sqlite":
            return
        connection = self.session.connection()
        dbapi = connection.connection.dbapi_connection
        if dbapi is not None and not dbapi.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    def commit(self) -> None:
        """Land the work so far and go on in a new transaction (long imports commit in chunks)."""
        self.session.commit()
