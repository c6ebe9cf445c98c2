"""Building blocks for the service tests: agreement variants, teams, leads, events, and reading state back.

Every helper runs in its own unit of work, as the CLI and the API do, so a test sees what was committed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from leadpact.domain.agreement import Agreement
from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.lifecycle import Move, Stage
from leadpact.services import engagement, intake, team
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Assignment, Event, Lead, LedgerEntry, OutboxMessage, StageChange, User
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import EXAMPLE

MONDAY_9AM = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
"""The ``clock`` fixture's moment: Monday 2 March 2026, 09:00 in Chicago (CST, UTC-6)."""

S, M = Stage, Move
DESIGN_TABLE: dict[tuple[Stage, Move], Stage] = {
    (S.INQUIRY, M.HAND_OFF): S.MQL,  # the agreement (score, or an immediate event)
    (S.INQUIRY, M.DISQUALIFY): S.DISQUALIFIED,  # marketing, with a reason
    (S.MQL, M.ACCEPT): S.SAL,  # the assigned rep accepts
    (S.MQL, M.RECYCLE): S.RECYCLED,  # the rep rejects with a reason that recycles
    (S.SAL, M.RECYCLE): S.RECYCLED,
    (S.SQL, M.RECYCLE): S.RECYCLED,
    (S.MQL, M.REJECT): S.DISQUALIFIED,  # the rep rejects with a reason that disqualifies
    (S.SAL, M.REJECT): S.DISQUALIFIED,
    (S.SQL, M.REJECT): S.DISQUALIFIED,
    (S.SAL, M.QUALIFY): S.SQL,  # the rep records the qualification answers
    (S.SQL, M.CONVERT): S.OPPORTUNITY,  # amount, expected close, first sales stage
    (S.OPPORTUNITY, M.WIN): S.CUSTOMER,
    (S.OPPORTUNITY, M.LOSE): S.RECYCLED,  # lost, with a lost reason of its current stage
    (S.RECYCLED, M.HAND_OFF): S.MQL,  # the agreement, after the cooldown
    (S.INQUIRY, M.SCREEN): S.SCREENING,  # the agreement's screening rule (issue 13)
    (S.RECYCLED, M.SCREEN): S.SCREENING,  # the same, after the cooldown
    (S.SCREENING, M.PASS): S.MQL,  # the qualifier passes it to sales
    (S.SCREENING, M.NOT_YET): S.RECYCLED,  # the qualifier sends it back to nurture, with the cooldown
    (S.SCREENING, M.DISQUALIFY): S.DISQUALIFIED,  # the qualifier, with a reason
}
"""DESIGN section 5, row by row, written out independently of ``domain.lifecycle``.

(``opportunity -> opportunity`` is a sales-stage move of the opportunity, not of the lead; withdrawing a
hand-off that late events disproved is the agreement's correction, ``mql -> inquiry | recycled``.)
"""

HOT: dict[str, Any] = {"title": "VP Operations", "industry": "manufacturing", "employees": 1000, "country": "US"}
"""Fit 50, grade A: senior title 20 + target size 15 + target industry 15 (account fields from the company domain)."""


def agreement_text(*changes: tuple[str, str]) -> str:
    """The example agreement with each ``old`` text replaced by ``new``; each ``old`` must occur exactly once."""
    text = EXAMPLE.read_text()
    for old, new in changes:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in the example"
        text = text.replace(old, new)
    return text


def parsed(*changes: tuple[str, str]) -> Agreement:
    return parse_agreement(agreement_text(*changes), "agreement.yaml")


def add_team(
    engine: Engine, clock: FixedClock, name: str, reps: dict[str, int], manager: str | None = None
) -> dict[str, int]:
    """A team of reps with their capacities (and a manager); returns the reps' ids by name."""
    ids: dict[str, int] = {}
    with UnitOfWork(engine) as uow:
        for rep, capacity in reps.items():
            ids[rep] = team.add_user(uow, clock, rep, "rep", team=name, capacity=capacity).id
        if manager is not None:
            team.add_user(uow, clock, manager, "manager", email=f"{manager.lower()}@acme.example")
            team.set_manager(uow, clock, name, manager)
    return ids


def capture(engine: Engine, clock: FixedClock, inforce: InForce, email: str, **fields: Any) -> int:
    with UnitOfWork(engine) as uow:
        lead, _ = intake.capture_lead(uow, clock, inforce, intake.LeadInput(email=email, **fields))
        return lead.id


def event(event_id: str, email: str, type_: str, at: datetime) -> intake.EventInput:
    return intake.EventInput(event_id=event_id, email=email, type=type_, occurred_at=at)


def record(engine: Engine, clock: FixedClock, inforce: InForce, *events: intake.EventInput) -> engagement.IngestReport:
    with UnitOfWork(engine) as uow:
        return intake.record_events(uow, clock, inforce, list(events))


def hand_off(
    engine: Engine, clock: FixedClock, inforce: InForce, email: str, event_id: str | None = None, **fields: Any
) -> int:
    """A grade A lead (or the fields given) with a contact form filled in now: fit 50 + 30 reaches the 60 rule."""
    lead_id = capture(engine, clock, inforce, email, **{**HOT, **fields})
    record(engine, clock, inforce, event(event_id or f"form-{email}", email, "contact_form", clock.now()))
    return lead_id


def lead(engine: Engine, email: str) -> Lead:
    with UnitOfWork(engine) as uow:
        found = uow.session.scalars(select(Lead).where(Lead.email == email)).one()
        uow.session.expunge(found)
        return found


def owner_name(engine: Engine, email: str) -> str | None:
    with UnitOfWork(engine) as uow:
        return uow.session.scalar(select(User.name).join(Lead, Lead.owner_id == User.id).where(Lead.email == email))


def assignments(engine: Engine, email: str) -> list[Assignment]:
    """Every assignment of the lead, oldest first."""
    with UnitOfWork(engine) as uow:
        rows = list(
            uow.session.scalars(
                select(Assignment).join(Lead, Lead.id == Assignment.lead_id).where(Lead.email == email)
            ).all()
        )
        rows.sort(key=lambda a: a.id)
        for row in rows:
            uow.session.expunge(row)
        return rows


def rep_of(engine: Engine, assignment: Assignment) -> str:
    with UnitOfWork(engine) as uow:
        return uow.session.get_one(User, assignment.user_id).name


def history(engine: Engine, email: str) -> list[tuple[str | None, str, str | None]]:
    """The lead's stage changes as (from, to, reason), in the order they were recorded."""
    with UnitOfWork(engine) as uow:
        rows = uow.session.execute(
            select(StageChange.from_stage, StageChange.to_stage, StageChange.reason)
            .join(Lead, Lead.id == StageChange.lead_id)
            .where(Lead.email == email)
            .order_by(StageChange.id)
        )
        return [(a, b, c) for a, b, c in rows]


def messages(engine: Engine, topic: str) -> list[dict[str, Any]]:
    with UnitOfWork(engine) as uow:
        payloads = uow.session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.topic == topic).order_by(OutboxMessage.id)
        )
        return [json.loads(p) for p in payloads]


def counted_ids(engine: Engine) -> set[str]:
    with UnitOfWork(engine) as uow:
        return set(uow.session.scalars(select(Event.event_id).where(Event.counted.is_(True))))


def ledger(engine: Engine, email: str) -> list[tuple[str, str, float, int]]:
    """The lead's ledger rows as (kind, item, points, version), in the order they were written."""
    with UnitOfWork(engine) as uow:
        rows = uow.session.execute(
            select(LedgerEntry.kind, LedgerEntry.item, LedgerEntry.points, LedgerEntry.version)
            .join(Lead, Lead.id == LedgerEntry.lead_id)
            .where(Lead.email == email)
            .order_by(LedgerEntry.id)
        )
        return [(k, i, float(p), v) for k, i, p, v in rows]


def days(n: float) -> timedelta:
    return timedelta(days=n)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)
