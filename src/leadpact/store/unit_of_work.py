"""A unit of work: one transaction that either lands whole or not at all."""

from __future__ import annotations

import threading
from collections import defaultdict
from types import TracebackType
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, Table, event, insert, text
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session

from leadpact.domain.audit import Actor

LOCK_WAIT = 10.0
"""Seconds a writer waits for the process's write lock; as long as SQLite's busy timeout (store/database)."""

_write_locks: WeakKeyDictionary[Engine, threading.Lock] = WeakKeyDictionary()
_guard = threading.Lock()


def write_lock(engine: Engine) -> threading.Lock:
    """The lock this process's SQLite writers on ``engine`` queue on before they take the database's own."""
    with _guard:
        lock = _write_locks.get(engine)
        if lock is None:
            lock = _write_locks[engine] = threading.Lock()
        return lock


class _Session(Session):
    """The unit of work's session; its listeners, registered once for the class, find the unit of work here.

    Listeners registered on each new session would cost more than a short request's query.
    """

    def __init__(self, engine: Engine, uow: UnitOfWork) -> None:
        super().__init__(engine, expire_on_commit=False, autoflush=True)
        self.uow = uow


@event.listens_for(_Session, "do_orm_execute")
def _before_query(state: ORMExecuteState) -> None:
    session = state.session
    assert isinstance(session, _Session)
    session.uow.write_appended()


@event.listens_for(_Session, "before_flush")
@event.listens_for(_Session, "before_commit")
def _before_write(session: Session, *_: object) -> None:
    assert isinstance(session, _Session)
    session.uow.write_appended()


class UnitOfWork:
    """Opens a session on enter; commits on a clean exit, rolls back on an error.

    ``actor`` is who its changes are made by, for the audit trail: the edge that opened it sets it.
    """

    def __init__(self, engine: Engine, actor: Actor | None = None) -> None:
        self.engine = engine
        self.actor = actor
        self._session: _Session | None = None
        self._held: threading.Lock | None = None  # the process's write lock, while this unit of work holds it
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
        self._session = _Session(self.engine, self)
        return self

    def append(self, model: type[DeclarativeBase], **values: Any) -> None:
        """Add a row to an append-only record (stage history, assignments, the outbox) without the ORM.

        Rows are written in bulk before the session next queries, flushes or commits, so every read in this
        unit of work still sees them; a hand-off in a large import costs a tuple, not an ORM object.
        """
        table = model.__table__
        assert isinstance(table, Table)
        self._appended[table, tuple(values)].append(values)

    def write_appended(self) -> None:
        """Write the rows appended so far (called before the session queries, flushes or commits)."""
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
            try:
                self._session.close()
            finally:
                self._session = None
                self._release()

    def serialize_writes(self) -> None:
        """Take the database's write lock now, before reading what the coming writes depend on.

        SQLite starts a transaction only at the first write, so two requests could both read a lead's score and
        then both write their own sum; taking the lock first makes the second wait and read the first's result.
        Threads of one process first queue on a lock of their own, held until the transaction ends: SQLite's
        busy handler would have them sleep and poll, in steps of up to 100 ms, instead of taking turns. Calls
        after the first in one transaction change nothing. PostgreSQL locks the rows themselves (``FOR UPDATE``
        where a service reads what it will change).
        """
        if self.dialect != "sqlite":
            return
        connection = self.session.connection()
        dbapi = connection.connection.dbapi_connection
        if dbapi is None or dbapi.in_transaction:
            return
        if self._held is None:
            lock = write_lock(self.engine)
            # a writer that waited this long (a holder stuck, or one thread holding two units of work) goes on
            # to SQLite's own lock and busy timeout, as without this lock
            self._held = lock if lock.acquire(timeout=LOCK_WAIT) else None
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self._release()
            raise

    def serialize_on(self, *keys: str) -> None:
        """Take turns, until this unit of work ends, with every other one that names any of ``keys``.

        For what is read and then written without a row to lock (failed sign-ins of a name): SQLite takes its
        write lock, as for every writer; PostgreSQL takes a transaction's advisory lock per key, in sorted order,
        so two units of work naming the same keys never wait on each other.
        """
        if self.dialect == "sqlite":
            self.serialize_writes()
            return
        for key in sorted(set(keys)):
            self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})

    def _release(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            held.release()

    def commit(self) -> None:
        """Land the work so far and go on in a new transaction (long imports commit in chunks)."""
        try:
            self.session.commit()
        finally:
            self._release()
