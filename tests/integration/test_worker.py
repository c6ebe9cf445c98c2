"""The background worker: each round records the SLA breaches due by the clock, checks the agreement's health once a
local day, then delivers the outbox."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from leadpact.analytics.screening import screening as screening_report
from leadpact.config import Settings
from leadpact.services import intake, screening
from leadpact.services.clock import FixedClock
from leadpact.store.tables import ScreeningEntry
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.worker import Worker
from tests.conftest import adopt_example
from tests.factories import HOT, capture, hand_off, messages, owner_name
from tests.integration.test_delivery import ACCEPT_DUE, LEE, sent, staff
from tests.receivers import Webhook
from tests.reports.conftest import run_report
from tests.services.test_health import BROKEN, sloppy
from tests.services.test_screening import world


def eventually(holds: Callable[[], bool], within: float = 60.0) -> None:
    """Wait until ``holds()`` is true, checking often; fail after ``within`` seconds (a loaded machine is slow)."""
    deadline = time.monotonic() + within
    while not holds():
        assert time.monotonic() < deadline, "the worker did not get there in time"
        time.sleep(0.02)


def worker_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "leadpact-worker"]


def test_a_round_records_the_breaches_due_by_the_clock_then_delivers(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    staff(engine, clock)
    hand_off(engine, clock, inforce, LEE)
    first = owner_name(engine, LEE)
    with Webhook() as crm:
        worker = Worker(engine, clock, Settings(webhooks=(crm.url,)), every=60)
        sla, delivered = worker.run_once()
        assert sla is not None
        assert (sla.accept_breaches, delivered.delivered) == (0, len(sent(engine)))
        clock.at = ACCEPT_DUE
        sla, delivered = worker.run_once()
    assert sla is not None
    assert (sla.accept_breaches, sla.reassigned) == (1, 1)
    assert owner_name(engine, LEE) != first
    assert [topic for _, topic in crm.received()][-2:] == ["sla.breached", "lead.assigned"]
    assert crm.received() == sent(engine)


def test_a_round_before_any_agreement_only_delivers(engine: Engine, clock: FixedClock) -> None:
    with Webhook() as crm:
        sla, delivered = Worker(engine, clock, Settings(webhooks=(crm.url,)), every=60).run_once()
    assert sla is None
    assert (delivered.delivered, delivered.failed) == (0, 0)


def test_the_worker_runs_rounds_in_the_background_until_stopped(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    staff(engine, clock)
    with Webhook() as crm:
        worker = Worker(engine, clock, Settings(webhooks=(crm.url,)), every=0.05)
        worker.start()
        try:
            hand_off(engine, clock, inforce, LEE)
            eventually(lambda: len(crm.bodies) == len(sent(engine)) > 0)
            clock.at = ACCEPT_DUE  # the next round finds the breach without being asked
            eventually(lambda: any(body["topic"] == "sla.breached" for body in crm.bodies))
        finally:
            began = time.monotonic()
            worker.stop()
        assert time.monotonic() - began < 5
        assert worker_threads() == []
        assert crm.received() == sent(engine)  # stopping let the round in progress finish


def test_a_worker_that_never_started_stops_at_once(engine: Engine, clock: FixedClock) -> None:
    Worker(engine, clock, Settings(), every=5.0).stop()
    assert worker_threads() == []


def test_a_round_checks_the_agreements_health_once_a_local_day_and_delivers_each_bound_broken(
    engine: Engine, clock: FixedClock
) -> None:
    sloppy(engine)
    with Webhook() as crm:
        worker = Worker(engine, clock, Settings(webhooks=(crm.url,)), every=60)
        worker.run_once()
        worker.run_once()
    health_messages = [body for body in crm.bodies if body["topic"] == "agreement.health"]
    assert [(body["bound"], body["day"]) for body in health_messages] == [(b, "2026-03-02") for b in BROKEN]
    assert crm.received() == sent(engine)


def test_a_failing_health_check_is_logged_and_the_round_still_delivers(
    sqlite_engine: Engine, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    sloppy(sqlite_engine)
    with sqlite_engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE health_checks")
    with Webhook() as crm:
        sla, delivered = Worker(sqlite_engine, clock, Settings(webhooks=(crm.url,)), every=60).run_once()
    assert sla is not None
    assert delivered.delivered == len(sent(sqlite_engine)) > 0
    assert "health check failed" in caplog.text


SCREENED = datetime(2026, 3, 2, 22, 0, tzinfo=UTC)  # Monday 16:00 in Chicago: two working hours left that day
CALL_DUE = datetime(2026, 3, 3, 16, 0, tzinfo=UTC)  # first_call_within 4h of working time: Tuesday 10:00 there


def breaches(engine: Engine) -> dict[str, datetime | None]:
    """Each screened lead's first-call breach, as recorded."""
    with UnitOfWork(engine) as uow:
        rows = uow.session.execute(select(ScreeningEntry.lead_id, ScreeningEntry.call_breached_at)).all()
        return {intake.find_lead(uow, str(lead_id)).email: at for lead_id, at in rows}


def call_breaches(worker: Worker) -> int:
    """Run a round; the first-call breaches of screening it recorded."""
    sla, _ = worker.run_once()
    assert sla is not None
    return sla.call_breaches


def test_a_round_records_a_first_call_missed_in_screening_once_and_the_report_counts_it(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = world(engine, clock)
    clock.at = SCREENED
    for email in ("ann@acme.example", "bo@acme.example"):
        capture(engine, clock, inforce, email, **HOT, source="webinar")
    worker = Worker(engine, clock, Settings(), every=60)
    clock.at = SCREENED + (CALL_DUE - SCREENED) / 2  # eight hours later, but Monday night: no working time passed
    assert call_breaches(worker) == 0
    clock.at = CALL_DUE.replace(hour=15)
    with UnitOfWork(engine) as uow:
        screening.call(uow, clock, inforce, intake.lead_for_change(uow, "bo@acme.example"), "reached", by="quinn")

    clock.at = CALL_DUE.replace(minute=1)
    assert call_breaches(worker) == 1
    assert call_breaches(worker) == 0  # the next round finds it recorded already
    assert owner_name(engine, "ann@acme.example") is None  # still in the screening team's queue
    with UnitOfWork(engine) as uow:  # a late call now leaves the breach as it was
        screening.call(uow, clock, inforce, intake.lead_for_change(uow, "ann@acme.example"), "no_answer", by="quinn")
    assert breaches(engine) == {"ann@acme.example": CALL_DUE, "bo@acme.example": None}
    assert [(m["email"], m["kind"], m["team"], m["rep"]) for m in messages(engine, "sla.breached")] == [
        ("ann@acme.example", "first_call", "sdr", None)
    ]
    report = run_report(engine, lambda ctx: screening_report(ctx, "qualifier"), clock.now())
    assert [(r["group"], r["screened"], r["called_in_sla"], r["call_breaches"]) for r in report.rows] == [
        ("(waiting)", 2, 1, 1),
        ("all", 2, 1, 1),
    ]
