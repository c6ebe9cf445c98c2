"""The unit of work: append-only rows written without the ORM are seen by every read in it and vanish on
rollback; SQLite writers of one process queue on a lock of the process, which every way out releases."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError

from leadpact.store.database import connect
from leadpact.store.tables import OutboxMessage
from leadpact.store.unit_of_work import UnitOfWork, write_lock

AT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _messages(uow: UnitOfWork) -> int:
    return uow.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def test_an_appended_row_is_visible_to_the_next_query_in_the_same_unit_of_work(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        uow.append(OutboxMessage, topic="lead.qualified", payload="{}", created_at=AT, attempts=0)
        uow.append(OutboxMessage, topic="lead.assigned", payload="{}", created_at=AT, attempts=0)
        assert _messages(uow) == 2
        topics = set(uow.session.scalars(select(OutboxMessage.topic)))
    assert topics == {"lead.qualified", "lead.assigned"}
    with UnitOfWork(engine) as uow:
        stored = uow.session.scalars(select(OutboxMessage)).all()
        assert [(m.created_at, m.attempts) for m in stored] == [(AT, 0), (AT, 0)]


def test_appended_rows_land_on_commit_even_when_nothing_reads_them(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        uow.append(OutboxMessage, topic="lead.withdrawn", payload="{}", created_at=AT, attempts=0)
    with UnitOfWork(engine) as uow:
        assert _messages(uow) == 1


def test_appended_rows_are_dropped_when_the_unit_of_work_fails(engine: Engine) -> None:
    def fail_midway() -> None:
        with UnitOfWork(engine) as uow:
            uow.append(OutboxMessage, topic="lead.qualified", payload="{}", created_at=AT, attempts=0)
            assert _messages(uow) == 1
            uow.append(OutboxMessage, topic="lead.assigned", payload="{}", created_at=AT, attempts=0)
            raise RuntimeError("the work failed")

    with pytest.raises(RuntimeError, match="the work failed"):
        fail_midway()
    with UnitOfWork(engine) as uow:
        assert _messages(uow) == 0


def test_serializing_writes_twice_takes_the_process_lock_once_and_every_way_out_releases_it(
    sqlite_engine: Engine,
) -> None:
    lock = write_lock(sqlite_engine)
    with UnitOfWork(sqlite_engine) as uow:
        uow.serialize_writes()
        uow.serialize_writes()  # a second call in the same transaction changes nothing
        assert lock.locked()
        uow.append(OutboxMessage, topic="lead.qualified", payload="{}", created_at=AT, attempts=0)
        uow.commit()  # a chunk landed: the lock is free until the next write begins
        assert not lock.locked()
        uow.serialize_writes()
        assert lock.locked()
    assert not lock.locked()

    def fail_midway() -> None:
        with UnitOfWork(sqlite_engine) as uow:
            uow.serialize_writes()
            raise RuntimeError("the work failed")

    with pytest.raises(RuntimeError, match="the work failed"):
        fail_midway()
    assert not lock.locked()
    with UnitOfWork(sqlite_engine) as uow:
        assert _messages(uow) == 1


def test_a_second_writer_of_the_process_waits_for_the_first_to_commit_and_reads_what_it_wrote(
    sqlite_engine: Engine,
) -> None:
    first_in, second_in, first_may_end = threading.Event(), threading.Event(), threading.Event()
    seen: list[int] = []

    def first() -> None:
        with UnitOfWork(sqlite_engine) as uow:
            uow.serialize_writes()
            uow.append(OutboxMessage, topic="lead.qualified", payload="{}", created_at=AT, attempts=0)
            first_in.set()
            first_may_end.wait(10)

    def second() -> None:
        with UnitOfWork(sqlite_engine) as uow:
            uow.serialize_writes()
            second_in.set()
            seen.append(_messages(uow))

    writers = [threading.Thread(target=first)]
    writers[0].start()
    assert first_in.wait(10)
    writers.append(threading.Thread(target=second))
    writers[1].start()
    assert not second_in.wait(0.3), "the second writer began while the first held the write lock"
    first_may_end.set()
    for writer in writers:
        writer.join(10)
    assert seen == [1]
    assert not write_lock(sqlite_engine).locked()


def test_a_writer_that_cannot_begin_its_transaction_releases_the_process_lock(sqlite_engine: Engine) -> None:
    other = connect(sqlite_engine.url.render_as_string(hide_password=False))  # another process's connection

    def begin_writing() -> None:
        with UnitOfWork(sqlite_engine) as uow:
            uow.session.connection().exec_driver_sql("PRAGMA busy_timeout=50")  # give up soon
            uow.serialize_writes()

    try:
        with other.connect() as holder:
            holder.exec_driver_sql("BEGIN IMMEDIATE")  # it holds SQLite's write lock
            with pytest.raises(OperationalError, match="locked"):
                begin_writing()
            assert not write_lock(sqlite_engine).locked()
            holder.exec_driver_sql("ROLLBACK")
        with UnitOfWork(sqlite_engine) as uow:
            uow.serialize_writes()
            uow.append(OutboxMessage, topic="lead.qualified", payload="{}", created_at=AT, attempts=0)
        with UnitOfWork(sqlite_engine) as uow:
            assert _messages(uow) == 1
    finally:
        other.dispose()
