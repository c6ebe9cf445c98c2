"""What the report tests share: a history written by hand through the services, and a demo world per engine.

A hand-built ``History`` runs every step through the real services at a moment the test chooses, so each
number a report shows can be worked out by hand from the test itself. The demo world is a seeded year of the
demo, built once per engine (a SQLite file, and a PostgreSQL database of its own next to the test database),
against which reports are checked with counts written in plain SQL on the raw tables.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from leadpact.analytics.history import Context
from leadpact.demo.simulation import run_demo
from leadpact.domain.agreement import Agreement
from leadpact.domain.lifecycle import Stage
from leadpact.domain.report import Report, Row
from leadpact.domain.scoring import (
    Cycle,
    EventFact,
    by_moment,
    counted_events,
    decay,
    entry_moment,
    fit_points,
    to_seconds,
)
from leadpact.services import agreements, campaigns, intake, opportunities, reports, sales, team
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.services.facts import facts_of_many
from leadpact.store.database import connect, migrate
from leadpact.store.tables import Event, Lead
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import ENGINES, EXAMPLE, PG_ENV, own_postgres

HOT: dict[str, Any] = {"title": "VP Operations", "industry": "manufacturing", "employees": 1000, "country": "US"}
"""Fit 50, grade A under the example agreement (senior title 20, target size 15, target industry 15)."""

WARM: dict[str, Any] = {"title": "Plant Manager", "industry": "manufacturing", "employees": 1000, "country": "US"}
"""Fit 38, grade B (manager title 8, target size 15, target industry 15)."""

COLD: dict[str, Any] = {"title": "Engineer", "industry": "banking", "employees": 10, "country": "US"}
"""Fit 0, grade D."""

ANSWERS = {"budget": "yes", "authority": "decision_maker", "timing": "this_quarter"}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass
class History:
    """A store written step by step through the services, each step at the moment given."""

    engine: Engine
    inforce: InForce

    def _run(self, at: datetime, work: Callable[[UnitOfWork, FixedClock], Any]) -> Any:
        with UnitOfWork(self.engine) as uow:
            return work(uow, FixedClock(at))

    def _act(self, email: str, at: datetime, work: Callable[[UnitOfWork, FixedClock, Any], Any]) -> Any:
        return self._run(at, lambda uow, clock: work(uow, clock, intake.find_lead(uow, email)))

    def rep(self, name: str, team_name: str, capacity: int = 1) -> None:
        self._run(utc(2026, 1, 1), lambda uow, clock: team.add_user(uow, clock, name, "rep", team_name, capacity))

    def campaign(self, name: str, channel: str) -> None:
        self._run(
            utc(2026, 1, 1),
            lambda uow, clock: campaigns.record_campaigns(uow, clock, [campaigns.CampaignInput(name, channel)]),
        )

    def cost(self, name: str, day: date, amount: float) -> None:
        def work(uow: UnitOfWork, clock: FixedClock) -> None:
            campaigns.record_costs(uow, clock, [(intake.campaign_id(uow, name), day, amount)])

        self._run(utc(2026, 1, 1), work)

    def capture(
        self, email: str, at: datetime, *, source: str | None = None, campaign: str | None = None, **fields: Any
    ) -> int:
        data = intake.LeadInput(email=email, source=source, campaign=campaign, created_at=at, **fields)
        lead = self._run(at, lambda uow, clock: intake.capture_lead(uow, clock, self.inforce, data)[0])
        return int(lead.id)

    def event(self, email: str, type_: str, at: datetime, campaign: str | None = None, event_id: str = "") -> None:
        given = intake.EventInput(event_id or f"{email}-{type_}-{at.isoformat()}", email, type_, at, campaign)
        self._run(at, lambda uow, clock: intake.record_events(uow, clock, self.inforce, [given]))

    def accept(self, email: str, at: datetime) -> None:
        self._act(email, at, lambda uow, clock, lead: sales.accept(uow, clock, self.inforce, lead))

    def contact(self, email: str, at: datetime) -> None:
        self._act(email, at, lambda uow, clock, lead: sales.contact(uow, clock, lead))

    def qualify(self, email: str, at: datetime, answers: dict[str, str] | None = None) -> None:
        given = answers or ANSWERS
        self._act(email, at, lambda uow, clock, lead: sales.qualify(uow, clock, self.inforce, lead, given))

    def reject(self, email: str, at: datetime, reason: str) -> None:
        self._act(email, at, lambda uow, clock, lead: sales.reject(uow, clock, self.inforce, lead, reason))

    def convert(self, email: str, at: datetime, amount: float, close: date) -> None:
        self._act(
            email, at, lambda uow, clock, lead: opportunities.convert(uow, clock, self.inforce, lead, amount, close)
        )

    def stage(self, email: str, at: datetime, stage: str) -> None:
        self._act(email, at, lambda uow, clock, lead: opportunities.move_stage(uow, clock, self.inforce, lead, stage))

    def win(self, email: str, at: datetime) -> None:
        self._act(email, at, lambda uow, clock, lead: opportunities.win(uow, clock, self.inforce, lead))

    def lose(self, email: str, at: datetime, reason: str) -> None:
        self._act(email, at, lambda uow, clock, lead: opportunities.lose(uow, clock, self.inforce, lead, reason))

    def handed_over(self, email: str, at: datetime, **fields: Any) -> int:
        """A grade A lead captured at ``at`` that asks for a demo then: an MQL at once."""
        lead_id = self.capture(email, at, **{**HOT, **fields})
        self.event(email, "demo_request", at)
        return lead_id


@pytest.fixture
def history(engine: Engine) -> History:
    """An empty store with the example agreement in force since 1 January 2026."""
    with UnitOfWork(engine) as uow:
        agreements.adopt(uow, FixedClock(utc(2026, 1, 1)), EXAMPLE.read_text(), "agreement.yaml", "Dana", "Sam")
    with UnitOfWork(engine) as uow:
        return History(engine, agreements.in_force(uow))


def run_report(
    engine: Engine,
    compute: Callable[[Context], Report],
    at: datetime,
    first: date | None = None,
    last: date | None = None,
    engine_name: str = "app",
) -> Report:
    with UnitOfWork(engine) as uow:
        inforce = agreements.in_force(uow)
        with reports.context(uow, FixedClock(at), inforce, first, last, engine_name) as ctx:
            return compute(ctx)


def rows_by(report: Report, key: str = "group") -> dict[str, Row]:
    return {str(row[key]): row for row in report.rows}


def scalar(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def grouped(engine: Engine, sql: str, **params: Any) -> dict[Any, Any]:
    """``SELECT key, value ...`` as a dict."""
    with engine.connect() as connection:
        return dict(connection.execute(text(sql), params).all())


@dataclass(frozen=True)
class Replayed:
    fit: float
    moment: int | None  # the first qualification
    screened: bool  # whether the agreement then took it to the qualifiers, not straight to sales
    peak: float  # the highest score at any second with counted events, or the fit if higher


def python_replay(engine: Engine, agreement: Agreement, at: int) -> dict[int, Replayed]:
    """Each lead's fit before answers, first qualification and peak score by the domain's own rules, in Python."""
    with UnitOfWork(engine) as uow:
        leads = list(uow.session.scalars(select(Lead)))
        facts = facts_of_many(uow, leads)
        events: dict[int, list[EventFact]] = defaultdict(list)
        rows = uow.session.execute(select(Event.lead_id, Event.occurred_at, Event.event_id, Event.type))
        for lead_id, occurred_at, event_id, type_ in rows:
            if occurred_at <= at:
                events[lead_id].append(EventFact(occurred_at, event_id, type_))
    out: dict[int, Replayed] = {}
    for lead in leads:
        created = to_seconds(lead.created_at)
        if created > at:
            continue
        before_sales = {k: v for k, v in facts[lead.id].items() if not k.startswith("answers.")}
        fit = sum(fit_points(agreement, before_sales).values())
        counted = counted_events(agreement, events[lead.id])
        entry = entry_moment(agreement, [(created, fit)], counted, Cycle(), lead.source)
        moment, to = entry if entry is not None else (None, None)
        out[lead.id] = Replayed(fit, moment, to == Stage.SCREENING, _peak(agreement, fit, counted))
    return out


def _peak(agreement: Agreement, fit: float, counted: list[EventFact]) -> float:
    """The highest fit + engagement at the seconds with counted events, stepping the decay event by event."""
    peak, engagement, last = fit, 0.0, None
    for second, items in by_moment(counted, lambda e: e.at):
        if last is not None:
            engagement = decay(engagement, second - last, agreement.half_life_days)
        engagement += sum(agreement.events[e.type].points for e in items)
        last = second
        peak = max(peak, fit + engagement)
    return peak


def python_moments(engine: Engine, agreement: Agreement, at: int) -> dict[int, int | None]:
    return {lead_id: r.moment for lead_id, r in python_replay(engine, agreement, at).items()}


DEMO_AT = utc(2026, 12, 1)
"""After the demo year's last day: every report on the demo world looks from here."""


@dataclass(frozen=True)
class DemoWorld:
    engine: Engine


@pytest.fixture(scope="session", params=ENGINES)
def demo_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoWorld]:
    """A 500-lead demo year (seed 7) on each engine, built once for all report tests."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("demo") / "leadpact.db"
        engine = connect(f"sqlite:///{path}")
        migrate(engine)
        run_demo(engine, leads=500, seed=7)
        yield DemoWorld(engine)
        engine.dispose()
        return
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    with own_postgres(url, "reports") as engine:
        run_demo(engine, leads=500, seed=7)
        yield DemoWorld(engine)
