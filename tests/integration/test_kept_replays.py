"""Kept replays make a replay faster, never different: whatever happened since the rescore kept them.

Generated histories (those of the rescore's differential test) are fed through the online path in two parts
with a rescore between, which keeps each lead's replay; then, perhaps, two leads are merged. A replay that
reads the kept replays must then find what a replay of every event finds, up to the end and up to an earlier
moment, on the application's engine and on DuckDB. A hand-built lead shows each reason a kept replay stops
holding: a kept replay altered by hand is read while it holds and no longer once it does not.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, func, select, update

from leadpact.analytics import engines, kept_replays
from leadpact.analytics.history import fetch, keep
from leadpact.analytics.replay import fits, qualifications
from leadpact.domain.scoring import to_seconds
from leadpact.services import dedupe, intake
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.services.rescore import rescore
from leadpact.store.tables import KeptReplay, Lead, ReplayMark
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.integration.test_rescore_differential import (
    AT,
    END,
    SETTINGS,
    START,
    History,
    Step,
    changed_agreement,
    close,
    feed,
    histories,
    moments,
    replay,
)

Found = dict[int, dict[str, Any]]


def found(engine: Engine, inforce: InForce, at: int, engine_name: str) -> Found:
    """What ``qualifications`` finds of each lead, by lead id."""
    con = engines.connect(engine.url, engine_name, engines.REPORT_TABLES)
    try:
        return {row["lead_id"]: row for row in fetch(qualifications(con, inforce.agreement, at))}
    finally:
        con.disconnect()


def holding(engine: Engine, inforce: InForce, at: int | None, engine_name: str) -> int:
    """How many kept replays still hold for a replay up to ``at``."""
    con = engines.connect(engine.url, engine_name, engines.REPORT_TABLES)
    try:
        checked = kept_replays.checked(con, inforce.agreement, at, keep(con, fits(con, inforce.agreement)))
        return 0 if checked is None else int(checked.holds.sum().to_pyarrow().as_py())
    finally:
        con.disconnect()


def forget_kept(engine: Engine) -> None:
    with UnitOfWork(engine) as uow:
        uow.session.execute(delete(ReplayMark))


def assert_same(actual: Found, expected: Found) -> None:
    assert actual.keys() == expected.keys()
    for lead_id, want in expected.items():
        got = actual[lead_id]
        assert (got["grade"], got["qualified_at"], got["screened"]) == (
            want["grade"],
            want["qualified_at"],
            want["screened"],
        ), lead_id
        assert close(got["fit"], want["fit"]), (lead_id, got, want)
        assert close(got["peak"], want["peak"]), (lead_id, got, want)


def rescore_at_end(engine: Engine, inforce: InForce, engine_name: str) -> int:
    with UnitOfWork(engine) as uow:
        return rescore(uow, FixedClock(END), inforce, engine_name).replays_kept


@settings(SETTINGS, max_examples=20)
@given(data=st.data())
def test_a_replay_reading_kept_replays_finds_what_replaying_every_event_finds(
    engine: Engine, data: st.DataObject
) -> None:
    history = data.draw(histories())
    cut = data.draw(st.integers(1, len(history.steps)))
    inforce = replay(engine, History(history.steps[:cut]))
    name = history.engine_name
    with UnitOfWork(engine) as uow:
        leads = uow.session.scalar(select(func.count()).select_from(Lead)) or 0
    assert rescore_at_end(engine, inforce, name) == leads  # every lead's replay kept
    assert holding(engine, inforce, None, name) == leads  # and each holds until something happens
    feed(engine, inforce, history.steps[cut:])
    with UnitOfWork(engine) as uow:
        emails = list(uow.session.scalars(select(Lead.email).where(Lead.merged_into.is_(None))))
    if len(emails) > 1 and data.draw(st.booleans()):
        pair = data.draw(st.permutations(emails)).copy()
        with UnitOfWork(engine) as uow:
            dedupe.merge_leads(uow, FixedClock(END), inforce, pair[0], pair[1])
    earlier = to_seconds(data.draw(moments()))
    for at in (AT, earlier):
        with_kept = found(engine, inforce, at, name)
        forget_kept(engine)
        assert_same(with_kept, found(engine, inforce, at, name))
        rescore_at_end(engine, inforce, name)  # kept anew for the next moment


def test_a_kept_replay_is_read_while_it_holds_and_replayed_once_it_does_not(engine: Engine) -> None:
    inforce = adopt_example(engine, FixedClock(START - timedelta(days=1)))
    ann, bob = "ann@acme.example", "bob@beta.example"
    day = datetime(2026, 3, 2, 15, tzinfo=START.tzinfo)
    feed(
        engine,
        inforce,
        (
            Step(START, lead=intake.LeadInput(email=ann, title="VP of Sales", employees=500)),
            Step(START, lead=intake.LeadInput(email=bob)),
            Step(day, events=(intake.EventInput("e1", ann, "contact_form", day),)),
            Step(day, events=(intake.EventInput("e2", bob, "pricing_page_view", day),)),
        ),
    )
    with UnitOfWork(engine) as uow:
        ann_id = uow.session.scalar(select(Lead.id).where(Lead.email == ann))
    assert ann_id is not None
    true_peak = found(engine, inforce, AT, "app")[ann_id]["peak"]

    def altered() -> bool:
        """Whether ann's replay read her kept row, whose top was set to 999 by hand."""
        peaks = {name: float(found(engine, inforce, AT, name)[ann_id]["peak"]) for name in ("app", "duckdb")}
        assert peaks["app"] == peaks["duckdb"]
        assert peaks["app"] in (999.0, true_peak)
        return peaks["app"] == 999.0

    def keep_and_alter() -> None:
        rescore_at_end(engine, inforce, "app")
        with UnitOfWork(engine) as uow:
            uow.session.execute(update(KeptReplay).where(KeptReplay.lead_id == ann_id).values(top=999.0))

    keep_and_alter()
    assert altered()  # read from the store while it holds
    assert found(engine, inforce, to_seconds(day) - 1, "app")[ann_id]["peak"] < 999  # before her latest event
    feed(engine, inforce, (Step(END, events=(intake.EventInput("e3", ann, "email_open", END),)),))
    assert not altered()  # an event since
    keep_and_alter()
    feed(engine, inforce, (Step(END, lead=intake.LeadInput(email=ann, title="Student intern")),))
    true_peak = found(engine, inforce, AT, "duckdb")[ann_id]["peak"]
    assert not altered()  # her fit changed
    keep_and_alter()
    with UnitOfWork(engine) as uow:
        dedupe.merge_leads(uow, FixedClock(END), inforce, ann, bob)
    true_peak = found(engine, inforce, AT, "duckdb")[ann_id]["peak"]
    assert not altered()  # a merge moved bob's events to her
    keep_and_alter()
    assert altered()
    stricter = adopt_example(engine, FixedClock(END), changed_agreement())
    assert kept_replays.fingerprint(stricter.agreement) != kept_replays.fingerprint(inforce.agreement)
    assert holding(engine, stricter, AT, "app") == 0  # kept under other rules: none holds
    assert holding(engine, inforce, AT, "app") == 2
