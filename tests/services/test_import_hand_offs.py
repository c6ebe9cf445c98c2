"""An import hands off the leads that qualify in it a batch at a time, and leaves the rows that handing them off one
at a time leaves: stage history, assignments with their SLA clocks, outbox messages, nurture ends, in the same order.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from leadpact.services import imports
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.database import empty
from leadpact.store.tables import Assignment, Event, Lead, NurtureEnrolment, OutboxMessage, StageChange, User
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import HOT, MONDAY_9AM, add_team, capture, days, event, hours, record
from tests.services.test_order_independence import LEADS

END = MONDAY_9AM + days(60)
Row = tuple[str, str, str, datetime, str]


def world(engine: Engine) -> tuple[InForce, list[str]]:
    """Two reps of unequal capacity and two dozen leads, three in four of them hot enough for a contact form."""
    empty(engine)
    clock = FixedClock(MONDAY_9AM)
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1, "bob": 2})
    emails = [f"lead{n:02d}@acme{n % 3}.example" if n % 4 else f"lead{n:02d}@gmail.com" for n in range(24)]
    for n, email in enumerate(emails):
        capture(engine, clock, inforce, email, **(HOT if n % 4 else LEADS["dee@gmail.com"]))
    return inforce, emails


def lead_by_lead(emails: list[str]) -> list[Row]:
    """A webinar, then an hour later a contact form (the hot leads) or an email opened (the others), for each lead in
    turn (the order of their ids)."""
    rows: list[Row] = []
    for n, email in enumerate(emails):
        at = MONDAY_9AM + days(1) + hours(n)
        then = "contact_form" if n % 4 else "email_open"
        rows += [(f"w-{n}", email, "webinar_attended", at, ""), (f"f-{n}", email, then, at + hours(1), "")]
    return rows


def csv_file(path: Path, rows: list[Row]) -> Path:
    lines = ["event_id,email,type,occurred_at,campaign"]
    lines += [f"{i},{email},{kind},{at.isoformat()},{c}" for i, email, kind, at, c in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def handed_over(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """What hand-offs write, each table in the order of its ids."""
    with UnitOfWork(engine) as uow:
        email = dict(uow.session.execute(select(Lead.id, Lead.email)).all())
        rep = dict(uow.session.execute(select(User.id, User.name)).all())
        s = uow.session
        return {
            "leads": [
                (lead.email, lead.stage, lead.owner_id and rep[lead.owner_id], lead.qualified_at, lead.qualified_from)
                for lead in s.scalars(select(Lead).order_by(Lead.id))
            ],
            "stage_changes": [
                (email[c.lead_id], c.from_stage, c.to_stage, c.at, c.version, c.reason)
                for c in s.scalars(select(StageChange).order_by(StageChange.id))
            ],
            "assignments": [
                (email[a.lead_id], rep[a.user_id], a.assigned_at, a.accept_due, a.contact_due, a.ended_at)
                for a in s.scalars(select(Assignment).order_by(Assignment.id))
            ],
            "outbox": [(m.topic, m.payload) for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))],
            "nurture": [
                (email[e.lead_id], e.ended_at, e.end_reason)
                for e in s.scalars(select(NurtureEnrolment).order_by(NurtureEnrolment.id))
            ],
            "reps": [(u.name, u.rr_credit, u.last_assigned_at) for u in s.scalars(select(User).order_by(User.id))],
        }


def test_an_import_hands_off_as_the_events_recorded_one_at_a_time_do(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FixedClock(END)
    inforce, emails = world(engine)
    rows = lead_by_lead(emails)
    for event_id, email, kind, at, _ in rows:
        record(engine, clock, inforce, event(event_id, email, kind, at))
    one_at_a_time = handed_over(engine)
    assert sum(topic == "lead.qualified" for topic, _ in one_at_a_time["outbox"]) == 18

    inforce, emails = world(engine)
    monkeypatch.setattr(imports, "CHUNK", 10)  # batches of five leads: hand-offs in several batches
    with UnitOfWork(engine) as uow:
        report = imports.import_events(uow, clock, inforce, csv_file(tmp_path / "events.csv", rows), {})
    assert report.qualified == 18
    assert handed_over(engine) == one_at_a_time


def test_events_of_a_lead_at_the_same_second_are_stored_in_event_id_order(engine: Engine, tmp_path: Path) -> None:
    inforce, emails = world(engine)
    at = MONDAY_9AM + days(1)
    rows: list[Row] = [
        ("c", emails[1], "webinar_attended", at, ""),
        ("b", emails[0], "email_open", at + timedelta(seconds=5), ""),
        ("a", emails[1], "email_open", at, ""),
        ("B", emails[1], "email_open", at, ""),
        ("d", emails[0], "email_open", at, ""),
    ]
    with UnitOfWork(engine) as uow:
        imports.import_events(uow, FixedClock(END), inforce, csv_file(tmp_path / "events.csv", rows), {})
    with UnitOfWork(engine) as uow:
        stored = list(uow.session.scalars(select(Event.event_id).order_by(Event.id)))
    assert stored == ["d", "b", "B", "a", "c"]  # lead by lead, in time order, then by event id
