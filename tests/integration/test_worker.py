"""The background worker: each round records the SLA breaches due by the clock, checks the agreement's health once a
local day, then delivers the outbox."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from leadpact.config import Settings
from leadpact.services.clock import FixedClock
from leadpact.worker import Worker
from tests.conftest import adopt_example
from tests.factories import hand_off, owner_name
from tests.integration.test_delivery import ACCEPT_DUE, LEE, sent, staff
from tests.receivers import Webhook
from tests.services.test_health import BROKEN, sloppy


def eventually(holds: Callable[[], bool], within: float = 10.0) -> None:
    """Wait until ``holds()`` is true, checking often; fail after ``within`` seconds."""
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
