"""The online path's queries find their rows through an index, never by reading a whole large table.

An event recorded on its own (``POST /api/v1/events``) runs a couple of dozen statements; at a million leads, one
that reads all of ``leads`` or ``events`` takes the path from milliseconds to seconds (bench/online_path.py). The
statements are not listed here by hand: they are captured as the database receives them (a ``before_cursor_execute``
listener) while events go through the path as the recorder sends a lone event, among them one that qualifies its lead
(hand-off, round robin to a rep with a cap on open leads, the SLA clock, the outbox), one for a lead whose account has
an owner, and one arriving late, which replays the lead's history. Each captured read, update or delete is then
explained with its own parameters: ``EXPLAIN QUERY PLAN`` on SQLite, ``EXPLAIN`` on PostgreSQL.

SQLite plans from the schema alone (the tables carry no statistics), so a scan in its plan means no index serves
the statement. PostgreSQL weighs the size of the table, and on the few rows of a test a sequential scan is cheaper
than any index; so the plans are asked for with ``SET LOCAL enable_seqscan = off``, which makes every scan the
planner can avoid with an index cost more than the index: a sequential scan left in the plan is one no index serves.

A last test drops an index the path needs, in a transaction rolled back afterwards, and checks that its scan is seen.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event

from leadpact.api.recorder import Recorded, record_all
from leadpact.domain.permissions import Action
from leadpact.services import accounts, agreements, auth, intake, team
from leadpact.services.clock import FixedClock
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example

LARGE = frozenset(
    {
        "leads",
        "events",
        "score_ledger",
        "stage_changes",
        "assignments",
        "lead_fields",
        "accounts",
        "api_tokens",
        "nurture_enrolments",
        "screenings",
        "outbox",
    }
)
"""Tables that grow with the leads, their events or the people calling the API."""
HOT = frozenset({"api_tokens", "leads", "events", "score_ledger", "stage_changes", "assignments", "nurture_enrolments"})
"""Tables the path must be seen reading through an index: the token, the lead by email and by id, the event id's
dedupe check, the capped events counted so far, the ledger and stage history replayed, the SLA clock running."""


@dataclass(frozen=True)
class Statement:
    sql: str
    parameters: Any


@dataclass(frozen=True)
class Plan:
    statement: Statement
    lines: list[str]

    def scanned(self, dialect: str) -> set[str]:
        """The large tables the plan reads whole (a full index scan counts: it reads every row too)."""
        pattern = r"^\s*SCAN (\w+)" if dialect == "sqlite" else r"Seq Scan on (\w+)"
        return {m.group(1) for line in self.lines for m in [re.search(pattern, line)] if m} & LARGE

    def searched(self, dialect: str) -> set[str]:
        """The tables the plan reads through an index."""
        if dialect == "sqlite":
            pattern = r"^\s*SEARCH (\w+) USING"
        else:
            pattern = r"(?:Index Scan|Index Only Scan|Bitmap Heap Scan)(?: Backward)?(?: using \w+)? on (\w+)"
        return {m.group(1) for line in self.lines for m in [re.search(pattern, line)] if m}


@pytest.fixture
def captured(engine: Engine, clock: FixedClock) -> list[Statement]:
    """What the database received while events went through the online path, one transaction each."""
    inforce = adopt_example(engine, clock)
    with UnitOfWork(engine) as uow:
        team.add_user(uow, clock, "ann", "rep", team="americas", capacity=1)
        team.add_user(uow, clock, "bob", "rep", team="americas", capacity=1)
        team.add_user(uow, clock, "gus", "rep", team="emea", capacity=1)
        team.set_max_open(uow, clock, "ann", 50)
        secret, _ = auth.create_token(uow, clock, "website feed", "marketing")
    with UnitOfWork(engine) as uow:
        people = [
            intake.LeadInput(
                f"{name}@{company}.example",
                title="VP Operations",
                company=company.capitalize(),
                industry="manufacturing",
                employees=1200,
                country=country,
            )
            for name, company, country in (
                ("ada", "gearworks", "US"),
                ("max", "hafen", "DE"),
                ("kim", "boltco", "US"),
            )
        ]
        intake.capture_leads(uow, clock, inforce, people)
        accounts.set_owner(uow, clock, "hafen.example", "gus")
    statements: list[Statement] = []

    def listen(_c: Connection, _cursor: Any, sql: str, parameters: Any, _ctx: Any, many: bool) -> None:
        statements.append(Statement(sql, parameters[0] if many and parameters else parameters))

    moment = clock.now()
    feed = [
        ("e1", "ada@gearworks.example", "email_open", moment),  # a capped type: the day's counted events are read
        ("e1", "ada@gearworks.example", "email_open", moment),  # sent again: the event id is known
        ("e2", "ada@gearworks.example", "demo_request", moment + timedelta(minutes=1)),  # qualifies: round robin
        ("e3", "max@hafen.example", "demo_request", moment + timedelta(minutes=2)),  # the account's owner takes it
        ("e4", "ada@gearworks.example", "contact_form", moment - timedelta(days=1)),  # late: the history replayed
        ("e5", "kim@boltco.example", "pricing_page_view", moment + timedelta(minutes=3)),
    ]
    event.listen(engine, "before_cursor_execute", listen)
    try:
        for event_id, email, kind, at in feed:
            clock.at = max(clock.at, at)
            fate = _record_alone(engine, clock, secret, intake.EventInput(event_id, email, kind, at))
            assert isinstance(fate, Recorded)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    with UnitOfWork(engine) as uow:
        ada = intake.find_lead(uow, "ada@gearworks.example")
        max_ = intake.find_lead(uow, "max@hafen.example")
        # the late form, with the fit Ada has from her capture on, qualifies her at the open, before the demo
        assert (ada.stage, ada.qualified_at) == ("mql", int(moment.timestamp()))
        assert (max_.stage, max_.owner_id) == ("mql", team.user_named(uow, "gus").id)
    return statements


def _record_alone(engine: Engine, clock: FixedClock, secret: str, e: intake.EventInput) -> object:
    """As the API's recorder records a lone event: the write lock, the token read again, the agreement, the event."""
    with UnitOfWork(engine) as uow:
        uow.serialize_writes()
        auth.token_principal(uow, secret).require(Action.CAPTURE)
        (fate,) = record_all(uow, clock, agreements.in_force(uow), [e])
    return fate


def explained(connection: Connection, statements: Sequence[Statement]) -> Iterator[Plan]:
    """The plan of each read, update and delete among ``statements``, with its own parameters."""
    sqlite = connection.dialect.name == "sqlite"
    if not sqlite:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    for statement in statements:
        verb = statement.sql.lstrip().split(None, 1)[0].upper()
        if verb not in ("SELECT", "UPDATE", "DELETE") or not re.search(r"\b(FROM|UPDATE)\b", statement.sql):
            continue
        if re.search(r"\b(pg_catalog|sqlite_master|alembic_version)\b", statement.sql):
            continue
        prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        rows = connection.exec_driver_sql(prefix + statement.sql, statement.parameters).all()
        yield Plan(statement, [str(row[-1]) for row in rows])


def test_every_statement_of_a_lone_event_finds_its_rows_through_an_index(
    engine: Engine, captured: list[Statement]
) -> None:
    dialect = engine.dialect.name
    with engine.connect() as connection, connection.begin():
        plans = list(explained(connection, captured))
    scans = [(plan.statement.sql, plan.lines) for plan in plans if plan.scanned(dialect)]
    assert not scans, f"statements of the online path read a whole large table: {scans}"
    searched = set().union(*(plan.searched(dialect) for plan in plans))
    assert searched >= HOT, f"the path was not seen reading {sorted(HOT - searched)} at all"
    assert len(plans) >= 20


def test_a_reps_open_leads_are_counted_from_the_index_on_owner_and_stage(
    engine: Engine, captured: list[Statement]
) -> None:
    """Routing counts a capped rep's open leads at each hand-off: through the owner alone it would read every lead the
    rep ever owned (tens of milliseconds at a million leads); SQLite answers it from the index without the table."""
    with engine.connect() as connection, connection.begin():
        plans = [
            p
            for p in explained(connection, captured)
            if re.search(r"\bcount\(\*\).*\bowner_id IN\b", p.statement.sql, re.S)
        ]
    assert plans
    for plan in plans:
        assert any("ix_leads_owner_id_stage" in line for line in plan.lines), plan.lines
        if engine.dialect.name == "sqlite":
            assert any("COVERING INDEX ix_leads_owner_id_stage" in line for line in plan.lines), plan.lines


@pytest.mark.parametrize(
    ("index", "table"),
    [
        ("ix_events_lead_type_at", "events"),
        ("ix_score_ledger_lead_id", "score_ledger"),
        ("ix_assignments_lead_id", "assignments"),
    ],
)
def test_a_statement_reading_a_whole_table_is_seen_once_its_index_is_gone(
    engine: Engine, captured: list[Statement], index: str, table: str
) -> None:
    dialect = engine.dialect.name
    with engine.connect() as connection, connection.begin() as transaction:
        if dialect == "sqlite":  # the driver begins a transaction before a write, not before a change of schema
            connection.exec_driver_sql("BEGIN")
        connection.exec_driver_sql(f"DROP INDEX {index}")
        scanned = set().union(*(plan.scanned(dialect) for plan in explained(connection, captured)))
        transaction.rollback()
    assert table in scanned
