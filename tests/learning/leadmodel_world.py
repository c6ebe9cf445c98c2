"""A small world to train the predictive model on: a few hundred leads handed to sales over ten months of 2026,
written through the services, where some leads reach an opportunity and others are sent back or left waiting.

Whether a lead reaches an opportunity is drawn from a hidden chance that its industry, its source and the pricing
pages it read raise or lower, so a model has something to find; the agreement's score sees only part of it. The
world is built once per engine for a test session (a database of its own on PostgreSQL) and a model trained on
it once; ``shared`` gives each test the world without any model.
"""

from __future__ import annotations

import atexit
import math
import os
import random
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, delete, select

from leadpact.domain.lifecycle import Stage
from leadpact.services import agreements, intake, models, opportunities, sales, team
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.database import connect, migrate
from leadpact.store.tables import LeadModel
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import EXAMPLE, PG_ENV, own_postgres

START = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
DAYS = 300
"""Leads arrive over the ten months from ``START``."""
AS_OF = datetime(2026, 12, 1, tzinfo=UTC)
HORIZON = 30
"""The model learns as of ``AS_OF`` with a horizon of 30 days: the world's outcomes come within a week of the
hand-off, and every hand-off up to the start of November has a known outcome."""
LEADS = 250
PER_UNIT = 25
"""Leads written per unit of work: each lead's story at its own moments, a few stories a transaction."""
INDUSTRIES = ("manufacturing", "logistics", "banking", "retail", "education")
TITLES = ("VP Operations", "Director of IT", "Plant Manager", "Head of Supply Chain", "Operations Manager")
SOURCES = ("webinar", "paid_search", "trade_show", "partner")
ANSWERS = {"budget": "yes", "authority": "decision_maker", "timing": "this_quarter"}


@dataclass(frozen=True)
class World:
    engine: Engine
    inforce: InForce
    emails: tuple[str, ...]


def chance(industry: str, source: str, pricing_views: int) -> float:
    """The hidden chance that a hand-off reaches an opportunity."""
    logit = -0.9 + (1.4 if industry in ("logistics", "manufacturing") else 0.0)
    logit += 0.9 * min(pricing_views, 3) - (1.2 if source == "paid_search" else 0.0)
    return 1.0 / (1.0 + math.exp(-logit))


def build(engine: Engine, leads: int = LEADS, seed: int = 12) -> World:
    """The world on a migrated, empty database: each lead's story in one unit of work, at its own moments."""
    rng = random.Random(seed)
    with UnitOfWork(engine) as uow:
        agreements.adopt(uow, FixedClock(START - timedelta(days=30)), EXAMPLE.read_text(), "a.yaml", "Dana", "Sam")
    with UnitOfWork(engine) as uow:
        inforce = agreements.in_force(uow)
        team.add_user(uow, FixedClock(START), "alice", "rep", "americas", 1)
    emails: list[str] = []
    for first in range(0, leads, PER_UNIT):
        with UnitOfWork(engine) as uow:
            for number in range(first, min(first + PER_UNIT, leads)):
                emails.append(_story(uow, inforce, rng, number, leads))
    return World(engine, inforce, tuple(emails))


def _story(uow: UnitOfWork, inforce: InForce, rng: random.Random, number: int, leads: int) -> str:
    """One lead's life: captured, reads pricing pages, asks for a demo (a hand-off), and what sales makes of it."""
    at = START + timedelta(days=DAYS * number / leads, hours=rng.uniform(0, 6))
    industry, source = rng.choice(INDUSTRIES), rng.choice(SOURCES)
    views = rng.choice((0, 0, 1, 2, 3))
    email = f"lead{number}@company{number}.example"
    given = intake.LeadInput(
        email=email,
        first_name=f"Lead{number}",
        title=rng.choice(TITLES),
        company=f"Company {number}",
        industry=industry,
        employees=rng.choice((400, 1500, 3000)),  # with any title: grade C or better, so a demo hands over
        country="US",
        source=source,
        created_at=at,
    )
    events = [
        intake.EventInput(f"{email}-view-{i}", email, "pricing_page_view", at + timedelta(days=i + 1))
        for i in range(views)
    ]
    handed_at = at + timedelta(days=views + 1, hours=1)
    events.append(intake.EventInput(f"{email}-demo", email, "demo_request", handed_at))
    reached = rng.random() < chance(industry, source, views)
    lead, _ = intake.capture_lead(uow, FixedClock(at), inforce, given)
    intake.record_events(uow, FixedClock(handed_at), inforce, events)
    assert lead.stage == Stage.MQL, (email, lead.stage)
    sales.accept(uow, FixedClock(handed_at + timedelta(days=1)), inforce, lead)
    if reached:
        sales.qualify(uow, FixedClock(handed_at + timedelta(days=3)), inforce, lead, ANSWERS)
        close = (handed_at + timedelta(days=60)).date()
        opportunities.convert(uow, FixedClock(handed_at + timedelta(days=6)), inforce, lead, 20_000, close)
    elif rng.random() < 0.5:
        sales.reject(uow, FixedClock(handed_at + timedelta(days=4)), inforce, lead, "not_ready")
    return email


def clear_models(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        uow.session.execute(delete(LeadModel))


def train(world: World, target: str = "opportunity", as_of: datetime = AS_OF, horizon: int = HORIZON) -> models.Version:
    with UnitOfWork(world.engine) as uow:
        return models.train(uow, FixedClock(AS_OF), world.inforce, target, as_of, horizon)


_BUILT: dict[str, World] = {}


def shared(engine_name: str, tmp: Path) -> World:
    """The world on SQLite (a file under ``tmp``) or on PostgreSQL (a database of its own next to the test
    database), built the first time a test of the session asks for it; every test module shares it."""
    if engine_name not in _BUILT:
        if engine_name == "sqlite":
            engine = connect(f"sqlite:///{tmp}/leadworld.db")
            migrate(engine)
        else:
            stack = ExitStack()  # a database of its own, dropped when the session ends
            engine = stack.enter_context(own_postgres(os.environ[PG_ENV], "leadworld"))
            atexit.register(stack.close)
        _BUILT[engine_name] = build(engine)
    world = _BUILT[engine_name]
    clear_models(world.engine)
    return world


@dataclass(frozen=True)
class Stored:
    """A trained version's row, to keep in another database."""

    target: str
    as_of: datetime
    rows: int
    positives: int
    model: bytes
    summary: str


def trained_model(tmp: Path) -> Stored:
    """A model trained on the SQLite world (trained once a session), as its row holds it."""
    if "model" not in _TRAINED:
        world = shared("sqlite", tmp)
        train(world)
        with UnitOfWork(world.engine) as uow:
            row = uow.session.scalars(select(LeadModel)).one()
            _TRAINED["model"] = Stored(row.target, row.as_of, row.rows, row.positives, row.model, row.summary)
        clear_models(world.engine)
    return _TRAINED["model"]


_TRAINED: dict[str, Stored] = {}


def keep_model(engine: Engine, stored: Stored, version: int = 1) -> None:
    """Keep a trained model in this database as its version ``version``."""
    with UnitOfWork(engine) as uow:
        uow.session.add(
            LeadModel(
                version=version,
                target=stored.target,
                as_of=stored.as_of,
                trained_at=stored.as_of,
                trained_by="tests",
                rows=stored.rows,
                positives=stored.positives,
                model=stored.model,
                summary=stored.summary,
            )
        )
