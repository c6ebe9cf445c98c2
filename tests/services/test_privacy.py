"""A person's data: everything held given on request, and erased on request, every report's totals unchanged.

The erasure runs on a demo world (a year of leads, deals, SLA clocks and messages): every report reads the same
before and after, a rescore finds nothing to change, and on SQLite, after the command's VACUUM, the person's
email, name, phone and event ids are nowhere in the database's files.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from leadpact.demo.simulation import run_demo
from leadpact.domain.audit import Actor
from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.services import agreements, audit, intake, opportunities, privacy, reports, rescore, sales
from leadpact.services.clock import FixedClock
from leadpact.store.database import connect
from leadpact.store.tables import AuditEntry, Erasure, Event, Lead, LedgerEntry, OutboxMessage
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import HOT, add_team, capture, event, hand_off, record

ADMIN = Actor("root", "cli", "laptop")
OPTIONS: dict[str, dict[str, str | None]] = {"costs": {"by": "campaign"}, "reasons": {"by": "source"}}
"""Every report of the catalog, some with other options than their defaults."""
PHONE = {"phone": "+1-555-0199-4242"}


def _person(engine: Engine, clock: FixedClock, email: str) -> int:
    """A grade A lead with a name, a phone, events whose ids carry the email, an MQL handed to a rep and won."""
    with UnitOfWork(engine) as uow:
        inforce = agreements.in_force(uow)
        lead, _ = intake.capture_lead(
            uow,
            clock,
            inforce,
            intake.LeadInput(email=email, first_name="Zebediah", last_name="Quillfeather", custom=PHONE, **HOT),
        )
        privacy.record_consent(uow, lead, True, "form 'contact us'", clock.now())
        lead_id = lead.id
    sent = [event(f"{email}/visit-{n}", email, "pricing_page_view", clock.now() - timedelta(days=n)) for n in (1, 2)]
    record(engine, clock, inforce, *sent, event(f"{email}/demo", email, "demo_request", clock.now()))
    with UnitOfWork(engine) as uow:
        found = intake.lead_for_change(uow, email)
        sales.accept(uow, clock, inforce, found)
        sales.qualify(uow, clock, inforce, found, {"budget": "yes", "authority": "user", "timing": "later"})
        opportunities.convert(uow, clock, inforce, found, 12_000.0, date(2026, 6, 1))
        opportunities.win(uow, clock, inforce, found)
    return lead_id


def test_an_export_holds_everything_kept_about_the_person(engine: Engine, clock: FixedClock) -> None:
    adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    lead_id = _person(engine, clock, "zeb@acme.example")
    with UnitOfWork(engine) as uow:
        assert rescore.rescore(uow, clock, agreements.in_force(uow)).replays_kept == 1
    with UnitOfWork(engine, ADMIN) as uow:
        data = privacy.export(uow, clock, "Zeb@Acme.example ")
    assert data["lead"]["id"] == lead_id
    assert (data["lead"]["first_name"], data["lead"]["title"], data["lead"]["stage"]) == (
        "Zebediah",
        "VP Operations",
        "customer",
    )
    assert data["custom_fields"] == {
        "phone": "+1-555-0199-4242",
        "answers.budget": "yes",
        "answers.authority": "user",
        "answers.timing": "later",
    }
    assert [(c["granted"], c["source"]) for c in data["consents"]] == [(True, "form 'contact us'")]
    assert sorted(e["event_id"] for e in data["events"]) == [
        "zeb@acme.example/demo",
        "zeb@acme.example/visit-1",
        "zeb@acme.example/visit-2",
    ]
    [replay] = data["kept_replay"]  # the replay the rescore kept: a grade A lead qualifies at its first visit
    assert (replay["first"], replay["latest"]) == (clock.now() - timedelta(days=2), clock.now())
    assert [s["to_stage"] for s in data["stage_history"]] == ["inquiry", "mql", "sal", "sql", "opportunity", "customer"]
    assert [a["rep"] for a in data["assignments"]] == ["ann"]
    assert [(o["amount"], o["won"]) for o in data["opportunities"]] == [(12_000.0, True)]
    assert {m["topic"] for m in data["messages"]} >= {"lead.assigned", "opportunity.won"}
    assert {a["action"] for a in data["audit"]} == set()  # the services acted for no one in particular
    json.dumps(data, default=str)  # plain data, as the CLI and the API give it
    with UnitOfWork(engine) as uow:
        entry = uow.session.scalars(select(AuditEntry)).one()
    assert (entry.actor, entry.action, entry.subject) == ("root", "lead.export", f"lead {lead_id}")


def test_an_erasure_needs_a_reason_and_a_known_person(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    capture(engine, clock, inforce, "zeb@acme.example")
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInput, match=r"^reason: "):
        privacy.erase(uow, clock, "zeb@acme.example", " ")
    with UnitOfWork(engine) as uow, pytest.raises(NotFound, match=r"no lead with email 'nobody@acme\.example'"):
        privacy.erase(uow, clock, "nobody@acme.example", "asked")
    with UnitOfWork(engine, ADMIN) as uow:
        privacy.erase(uow, clock, "zeb@acme.example", "asked by email")
    for step in (privacy.export, lambda uow, clock_, email: privacy.erase(uow, clock_, email, "again")):
        with UnitOfWork(engine) as uow, pytest.raises(NotFound, match="that person's data was erased on 2026-03-02"):
            step(uow, clock, "zeb@acme.example")


@pytest.fixture
def world(engine: Engine) -> tuple[Engine, FixedClock, str]:
    """A demo year (300 leads) on the engine, with Zebediah added as a won customer; the clock at the year's end."""
    year = run_demo(engine, 300, 11, lambda done, total: None)
    clock = FixedClock(year.ended_at)
    _person(engine, clock, "zeb@acme.example")
    return engine, clock, year.example_customer or ""


def _reports(engine: Engine, clock: FixedClock) -> dict[str, dict[str, Any]]:
    with UnitOfWork(engine) as uow:
        inforce = agreements.in_force(uow)
        return {name: reports.run(uow, clock, inforce, name, OPTIONS.get(name)).as_dict() for name in reports.CATALOG}


def test_an_erasure_leaves_every_report_as_it_was_and_a_rescore_changes_nothing(
    world: tuple[Engine, FixedClock, str],
) -> None:
    engine, clock, customer = world
    before = _reports(engine, clock)
    with UnitOfWork(engine) as uow:
        ledger_before = uow.session.scalar(select(func.sum(LedgerEntry.points)))
    erased = []
    for email in ("zeb@acme.example", customer):
        with UnitOfWork(engine, ADMIN) as uow:
            erased.append(privacy.erase(uow, clock, email, "erasure request"))
    assert _reports(engine, clock) == before
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(func.sum(LedgerEntry.points))) == ledger_before
        report = rescore.rescore(uow, clock, agreements.in_force(uow))
    assert (report.leads_changed, report.ledger_rows, report.verdicts_changed) == (0, 0, 0)
    zeb = erased[0]
    assert zeb.placeholder == f"erased-{zeb.lead_id}@acme.example"
    assert zeb.kept == ["answers.budget", "title"]  # what the example agreement's rules read
    assert zeb.events == 3
    with UnitOfWork(engine) as uow:
        lead = uow.session.get_one(Lead, zeb.lead_id)
        assert (lead.email, lead.first_name, lead.last_name, lead.title) == (
            zeb.placeholder,
            None,
            None,
            "VP Operations",
        )
        assert sorted(uow.session.scalars(select(Event.event_id).where(Event.lead_id == zeb.lead_id))) == [
            f"erased-{zeb.lead_id}-00000{n}" for n in range(3)
        ]
        payloads = uow.session.scalars(select(OutboxMessage.payload)).all()
        assert not [p for p in payloads if "zeb@acme.example" in p or customer in p]
        assert any(zeb.placeholder in p for p in payloads)
        kept = uow.session.scalars(select(Erasure).order_by(Erasure.id)).all()
        assert [(e.lead_id, e.email_digest, e.by) for e in kept] == [
            (zeb.lead_id, privacy.digest("zeb@acme.example"), "root"),
            (erased[1].lead_id, privacy.digest(customer), "root"),
        ]
        assert [e.action for e in audit.entries(uow)] == ["lead.erase", "lead.erase"]


def test_after_an_erasure_by_the_command_line_the_person_is_nowhere_in_the_sqlite_files(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    year = run_demo(sqlite_engine, 300, 11, lambda done, total: None)
    _person(sqlite_engine, FixedClock(year.ended_at), "zeb@acme.example")
    sqlite_engine.dispose()
    path = Path(str(sqlite_engine.url.database))
    traces = [b"zeb@acme.example", b"Zebediah", b"Quillfeather", b"555-0199-4242"]
    assert all(trace in _files(path) for trace in traces)  # the test can see them before
    command = [str(Path(sys.executable).parent / "leadpact"), "--db", f"sqlite:///{path}", "lead", "erase"]
    done = subprocess.run(
        [*command, "zeb@acme.example", "--reason", "erasure request of 2026-12-01"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Erased zeb@acme.example: lead" in done.stdout
    assert [trace for trace in traces if trace in _files(path)] == []
    copy = tmp_path / "copy.db"  # the file still opens and holds the lead, anonymous
    shutil.copy(path, copy)
    with connect(f"sqlite:///{copy}").connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM leads WHERE email LIKE 'erased-%'").scalar() == 1


def _files(path: Path) -> bytes:
    """Every byte of the database: the file and, when present, its write-ahead log and shared memory."""
    found = [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]
    return b"".join(p.read_bytes() for p in found)


def test_the_messages_of_a_person_are_told_apart_from_those_of_an_address_that_ends_with_theirs(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    for email in ("a@acme.example", "ba@acme.example", "josé@acme.example"):
        hand_off(engine, clock, inforce, email)  # each handed to ann: lead.qualified and lead.assigned name them
    with UnitOfWork(engine, ADMIN) as uow:
        exported = privacy.export(uow, clock, "a@acme.example")
        assert len(exported["messages"]) == 2
        assert all('"a@acme.example"' in m["payload"] for m in exported["messages"])
        erased = [privacy.erase(uow, clock, email, "asked") for email in ("a@acme.example", "josé@acme.example")]
    assert [e.messages for e in erased] == [2, 2]  # "josé" is escaped in the messages' JSON, and found there
    with UnitOfWork(engine) as uow:
        emails = {json.loads(payload)["email"] for payload in uow.session.scalars(select(OutboxMessage.payload))}
    assert emails == {"ba@acme.example", *(e.placeholder for e in erased)}
