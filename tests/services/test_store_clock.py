"""The store's clock: set, it runs on in real time from its start for whoever reads the database; cleared, real time
is back; both are kept in the audit trail. The served app's clock follows it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select, text

from leadpact.domain.audit import Actor
from leadpact.domain.errors import InvalidInput
from leadpact.services import store_clock
from leadpact.services.clock import FixedClock
from leadpact.services.store_clock import Setting, StoreTime
from leadpact.store.tables import AuditEntry
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import capture

ADMIN = Actor("root", "cli", "ops-host")
DEMO_END = datetime(2026, 11, 20, 14, 3, tzinfo=UTC)


def trail(engine: Engine) -> list[tuple[str, str, str]]:
    with UnitOfWork(engine) as uow:
        rows = uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(e.actor, e.action, e.subject) for e in rows]


def test_a_clock_set_reads_its_start_and_runs_on_in_real_time_until_cleared(engine: Engine, clock: FixedClock) -> None:
    with UnitOfWork(engine, ADMIN) as uow:
        assert store_clock.current(uow) is None
        set_ = store_clock.set_to(uow, clock, DEMO_END)
    assert set_ == Setting(DEMO_END, clock.now(), "root")
    assert store_clock.read(engine) == set_
    clock.at += timedelta(hours=1, minutes=2)
    assert set_.clock(clock).now() == DEMO_END + timedelta(hours=1, minutes=2)

    with UnitOfWork(engine, ADMIN) as uow:
        store_clock.set_to(uow, clock, DEMO_END - timedelta(days=1))  # set again: the new start replaces the old
    again = store_clock.read(engine)
    assert again == Setting(DEMO_END - timedelta(days=1), clock.now(), "root")

    with UnitOfWork(engine, ADMIN) as uow:
        assert store_clock.clear(uow, clock) == again
    with UnitOfWork(engine, ADMIN) as uow:
        assert store_clock.clear(uow, clock) is None  # already on real time: nothing to record
    assert store_clock.read(engine) is None
    the_clock = "the store's clock"
    assert trail(engine) == [
        ("root", "clock.set", the_clock),
        ("root", "clock.set", the_clock),
        ("root", "clock.clear", the_clock),
    ]


def test_a_clock_starts_from_a_moment_given_or_from_the_latest_activity(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    with UnitOfWork(engine) as uow:
        with pytest.raises(InvalidInput, match="'latest': the database records no activity yet"):
            store_clock.start_of(uow, "latest", "clock_start")
        assert store_clock.start_of(uow, "2026-11-20T14:03:00Z") == DEMO_END
        with pytest.raises(InvalidInput, match="is not an ISO 8601 time") as caught:
            store_clock.start_of(uow, "yesterday")
        assert caught.value.field is None
    clock.at = DEMO_END
    capture(engine, clock, inforce, "ann@acme.example")
    with UnitOfWork(engine) as uow:
        assert store_clock.start_of(uow, " latest ") == DEMO_END


def test_the_served_apps_clock_follows_the_store_clock_and_reads_the_agreement_in_force(
    engine: Engine, clock: FixedClock
) -> None:
    following = StoreTime(engine, clock, fresh_for=0)
    assert following.now() == clock.now()
    assert following.reading() == store_clock.Reading(None, None)
    inforce = adopt_example(engine, clock)
    with UnitOfWork(engine) as uow:
        store_clock.set_to(uow, clock, DEMO_END)
    assert following.now() == DEMO_END
    assert following.reading().agreement == inforce.agreement
    clock.at += timedelta(minutes=5)
    assert following.now() == DEMO_END + timedelta(minutes=5)
    with UnitOfWork(engine) as uow:
        store_clock.clear(uow, clock)
    assert following.now() == clock.now()


def test_the_served_apps_clock_trusts_what_it_read_for_a_while(engine: Engine, clock: FixedClock) -> None:
    trusting = StoreTime(engine, clock, fresh_for=3600)
    assert trusting.now() == clock.now()
    with UnitOfWork(engine) as uow:
        store_clock.set_to(uow, clock, DEMO_END)
    assert trusting.now() == clock.now()  # read again only once the hour is up
    assert StoreTime(engine, clock).now() == DEMO_END


def test_a_database_from_before_the_store_clock_runs_on_real_time(sqlite_engine: Engine, clock: FixedClock) -> None:
    with sqlite_engine.begin() as connection:
        connection.execute(text("DROP TABLE store_clock"))
    assert store_clock.read(sqlite_engine) is None
    assert StoreTime(sqlite_engine, clock).now() == clock.now()
