"""Append-only rows written without the ORM are seen by every read in the unit of work and vanish on rollback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, func, select

from leadpact.store.tables import OutboxMessage
from leadpact.store.unit_of_work import UnitOfWork

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
