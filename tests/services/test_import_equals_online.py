"""An import of events ends in the state that recording the same rows online ends in.

The import counts and scores a file lead by lead, a column at a time; recording its rows through
``intake.record_events``, in the file's order, must leave the same events counted, the same ledger, the same scores,
stages and qualification moments, whatever the store held before: events already recorded (capped ones, later
ones, the same event ids), leads already handed off, and retried deliveries in the file itself.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from leadpact.domain.scoring import engagement_at, to_seconds
from leadpact.services import dedupe, imports, intake
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.services.explain import ledger_score
from leadpact.store.database import empty
from leadpact.store.tables import Campaign, Event, Lead, LedgerEntry
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import HOT, MONDAY_9AM, add_team, capture, days, record
from tests.services.test_order_independence import LEADS  # one lead of each grade
from tests.strategies import CAPPED_TYPES, CHICAGO_EDGES, EXAMPLE_TYPES, UNKNOWN_TYPES

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
START = MONDAY_9AM
END = START + days(300)
AT = to_seconds(END) + 86_400
CAMPAIGNS = ("", "", "Spring webinar", "Trade show")


def moments() -> st.SearchStrategy[datetime]:
    """Times over the months, often near a local midnight or a daylight-saving change."""
    spread = st.builds(lambda s: START + timedelta(seconds=s), st.integers(0, 280 * 86_400))
    edge = st.builds(lambda e, s: e + timedelta(seconds=s), st.sampled_from(CHICAGO_EDGES), st.integers(-7200, 7200))
    return st.one_of(spread, edge)


def rows(max_size: int) -> st.SearchStrategy[list[tuple[str, str, str, datetime, str]]]:
    """Rows (event id, email, type, time, campaign); ids from a small pool, so some repeat, with other content."""
    row = st.tuples(
        st.integers(0, 60).map(lambda n: f"ev-{n:02d}"),
        st.sampled_from(sorted(LEADS)),
        st.sampled_from((*EXAMPLE_TYPES, *CAPPED_TYPES, *CAPPED_TYPES, *UNKNOWN_TYPES)),
        moments(),
        st.sampled_from(CAMPAIGNS),
    )
    return st.lists(row, max_size=max_size)


def setup(engine: Engine, before: list[tuple[str, str, str, datetime, str]]) -> InForce:
    empty(engine)
    clock = FixedClock(START)
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1, "bob": 1})
    for email, fields in LEADS.items():
        capture(engine, clock, inforce, email, **fields)
    if before:
        record(engine, FixedClock(END - days(1)), inforce, *online(before))
    return inforce


def online(items: list[tuple[str, str, str, datetime, str]]) -> list[intake.EventInput]:
    return [
        intake.EventInput(event_id, email, kind, at, campaign or None) for event_id, email, kind, at, campaign in items
    ]


def csv_file(path: Path, items: list[tuple[str, str, str, datetime, str]]) -> Path:
    lines = ["event_id,email,type,occurred_at,campaign"]
    lines += [f"{i},{email},{kind},{at.isoformat().replace('+00:00', 'Z')},{c}" for i, email, kind, at, c in items]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def state(engine: Engine, inforce: InForce) -> dict[str, tuple[Any, ...]]:
    """Each lead's stage, qualification moment, whether it has an owner, its events, the counted ones (with their
    campaign's name: new campaigns may be made in another order), its ledger rows and its score."""
    half_life = inforce.agreement.half_life_days
    out: dict[str, tuple[Any, ...]] = {}
    with UnitOfWork(engine) as uow:
        for found in uow.session.scalars(select(Lead)):
            counted = frozenset(
                uow.session.execute(
                    select(Event.event_id, Event.type, Event.occurred_at, Campaign.name)
                    .outerjoin(Campaign, Campaign.id == Event.campaign_id)
                    .where(Event.lead_id == found.id, Event.counted.is_(True))
                )
            )
            rows = Counter(
                uow.session.execute(
                    select(LedgerEntry.at, LedgerEntry.kind, LedgerEntry.item, LedgerEntry.points).where(
                        LedgerEntry.lead_id == found.id
                    )
                )
            )
            stored = frozenset(uow.session.scalars(select(Event.event_id).where(Event.lead_id == found.id)))
            fit, engagement = ledger_score(uow, found.id, AT, half_life)
            now = engagement_at(found.engagement, found.engagement_at, AT, half_life)
            assert math.isclose(now, engagement, rel_tol=1e-9, abs_tol=1e-9)  # the score is its ledger's
            owned = found.owner_id is not None
            out[found.email] = (found.stage, found.qualified_at, owned, stored, counted, rows, fit, engagement)
    return out


def assert_same(imported: dict[str, tuple[Any, ...]], recorded: dict[str, tuple[Any, ...]]) -> None:
    assert imported.keys() == recorded.keys()
    for email, expected in recorded.items():
        got = imported[email]
        assert got[:6] == expected[:6], email
        assert math.isclose(got[6], expected[6], rel_tol=1e-9, abs_tol=1e-9), email
        assert math.isclose(got[7], expected[7], rel_tol=1e-9, abs_tol=1e-9), email


@SETTINGS
@given(before=rows(12), file=rows(40))
def test_an_imported_file_ends_as_its_rows_recorded_online_end(
    engine: Engine, tmp_path: Path, before: list[tuple[str, str, str, datetime, str]], file: list[Any]
) -> None:
    clock = FixedClock(END)
    inforce = setup(engine, before)
    record(engine, clock, inforce, *online(file))
    recorded = state(engine, inforce)

    inforce = setup(engine, before)
    with UnitOfWork(engine) as uow:
        report = imports.import_events(uow, clock, inforce, csv_file(tmp_path / "events.csv", file), {})
    assert report.rows == len(file)
    assert report.created + report.duplicates == len(file)
    assert_same(state(engine, inforce), recorded)


def test_a_file_of_many_leads_imports_as_recorded_online(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hundreds of leads in one file, so the import takes them in several batches, each ending with a lead. A few of
    the last leads' events are stored before: the first batches are taken as new and written without looking their
    event ids up, the batch that meets a stored one is undone and ingested again, looked up, as are those after it."""
    types = (*EXAMPLE_TYPES, *CAPPED_TYPES, *UNKNOWN_TYPES)
    emails = [f"lead{n:03d}@acme{n % 7}.example" for n in range(300)]
    file = [
        (f"ev-{n}", emails[(n * 7919) % len(emails)], types[n % len(types)], START + timedelta(minutes=n * 83), "")
        for n in range(3000)
    ]
    stored = [row for row in file if row[1] >= emails[250]][10:15]

    def store(clock: FixedClock) -> InForce:
        empty(engine)
        inforce = adopt_example(engine, clock)
        add_team(engine, clock, "americas", {"ann": 1, "bob": 1})
        for n, email in enumerate(emails):
            capture(engine, clock, inforce, email, **(HOT if n % 3 == 0 else LEADS["cy@cyco.example"]))
        record(engine, FixedClock(END - days(1)), inforce, *online(stored))
        return inforce

    inforce = store(FixedClock(START))
    monkeypatch.setattr(imports, "CHUNK", 500)
    with UnitOfWork(engine) as uow:
        report = imports.import_events(uow, FixedClock(END), inforce, csv_file(tmp_path / "events.csv", file), {})
    assert (report.created, report.duplicates) == (len(file) - len(stored), len(stored))
    imported = state(engine, inforce)

    inforce = store(FixedClock(START))
    record(engine, FixedClock(END), inforce, *online(file))
    assert_same(imported, state(engine, inforce))


def test_the_events_of_a_merged_duplicate_are_imported_to_its_survivor(engine: Engine, tmp_path: Path) -> None:
    file = [
        ("w1", "ann+news@acme.example", "webinar_attended", START + days(2), ""),
        ("w2", "ann@acme.example", "email_open", START + days(3), ""),
    ]

    def merged() -> InForce:
        inforce = setup(engine, [])
        capture(engine, FixedClock(START), inforce, "ann+news@acme.example", **HOT)
        with UnitOfWork(engine) as uow:
            dedupe.merge_leads(uow, FixedClock(START), inforce, "ann@acme.example", "ann+news@acme.example")
        return inforce

    inforce = merged()
    record(engine, FixedClock(END), inforce, *online(file))
    recorded = state(engine, inforce)
    assert recorded["ann@acme.example"][3] == {"w1", "w2"}

    inforce = merged()
    with UnitOfWork(engine) as uow:
        imports.import_events(uow, FixedClock(END), inforce, csv_file(tmp_path / "events.csv", file), {})
    assert_same(state(engine, inforce), recorded)
