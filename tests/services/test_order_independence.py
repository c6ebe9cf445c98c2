"""Arrival order never matters: the same events in any order, batches and repeats end in the same state.

Which events count, the scores, the stage and the moment a lead qualified are decided by when things happened,
not when they arrived. A late event may show that a lead handed to sales never met the rule: while nobody in
sales has acted on it, the hand-off is withdrawn.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from leadpact.domain.scoring import engagement_at, to_seconds
from leadpact.services import intake, sales
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.services.explain import ledger_score
from leadpact.store.database import empty
from leadpact.store.tables import Event, Lead
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import (
    HOT,
    MONDAY_9AM,
    add_team,
    assignments,
    capture,
    days,
    event,
    history,
    hours,
    lead,
    messages,
    owner_name,
    record,
)
from tests.strategies import CAPPED_TYPES, EXAMPLE_TYPES

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LEADS: dict[str, dict[str, Any]] = {
    "ann@acme.example": HOT,  # fit 50: A
    "bob@bolt.example": {"title": "VP Sales", "industry": "retail", "employees": 300},  # 20 + 5 + 15 = 40: B
    "cy@cyco.example": {"title": "Plant Manager", "employees": 300},  # 8 + 15 = 23: C
    "dee@gmail.com": {"title": "VP Sales"},  # 20 - 20 = 0: D
}
START = MONDAY_9AM
END = START + days(40)
AT = to_seconds(END) + 86_400


def events() -> st.SearchStrategy[list[intake.EventInput]]:
    one = st.builds(
        lambda email, kind, seconds: (email, kind, START + timedelta(seconds=seconds)),
        st.sampled_from(sorted(LEADS)),
        st.sampled_from((*EXAMPLE_TYPES, *CAPPED_TYPES, "unsubscribe", "unsubscribe")),
        st.integers(0, 35 * 86_400),
    )
    return st.lists(one, min_size=1, max_size=30).map(
        lambda items: [event(f"ev-{n:02d}", email, kind, at) for n, (email, kind, at) in enumerate(items)]
    )


def setup(engine: Engine) -> InForce:
    empty(engine)
    clock = FixedClock(START)
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1, "bob": 1})
    for email, fields in LEADS.items():
        capture(engine, clock, inforce, email, **fields)
    return inforce


def state(engine: Engine, inforce: InForce) -> dict[str, tuple[Any, ...]]:
    half_life = inforce.agreement.half_life_days
    out: dict[str, tuple[Any, ...]] = {}
    with UnitOfWork(engine) as uow:
        for found in uow.session.scalars(select(Lead)):
            counted = frozenset(
                uow.session.scalars(select(Event.event_id).where(Event.lead_id == found.id, Event.counted.is_(True)))
            )
            fit, engagement = ledger_score(uow, found.id, AT, half_life)
            online = engagement_at(found.engagement, found.engagement_at, AT, half_life)
            assert math.isclose(online, engagement, rel_tol=1e-9, abs_tol=1e-9)
            out[found.email] = (found.stage, found.qualified_at, counted, fit, engagement)
    return out


def assert_same(actual: dict[str, tuple[Any, ...]], expected: dict[str, tuple[Any, ...]]) -> None:
    assert actual.keys() == expected.keys()
    for email, (stage, qualified_at, counted, fit, engagement) in expected.items():
        got = actual[email]
        assert got[:3] == (stage, qualified_at, counted), email
        assert math.isclose(got[3], fit, rel_tol=1e-9, abs_tol=1e-9), email
        assert math.isclose(got[4], engagement, rel_tol=1e-9, abs_tol=1e-9), email


@SETTINGS
@given(data=st.data())
def test_the_same_events_in_any_order_and_batches_end_in_the_same_state(engine: Engine, data: st.DataObject) -> None:
    sent = data.draw(events())
    inforce = setup(engine)
    record(engine, FixedClock(END), inforce, *sorted(sent, key=lambda e: (e.occurred_at, e.event_id)))
    expected = state(engine, inforce)

    newest_first = sorted(sent, key=lambda e: (e.occurred_at, e.event_id), reverse=True)  # every event late
    arrival = data.draw(st.one_of(st.permutations(sent), st.just(newest_first)))
    repeats = data.draw(st.lists(st.sampled_from(sent), max_size=5))  # sent again, in later batches
    cuts = sorted(data.draw(st.lists(st.integers(0, len(arrival)), max_size=4)))
    batches = [arrival[lo:hi] for lo, hi in zip([0, *cuts], [*cuts, len(arrival)], strict=True)]
    batches = [b for b in batches if b] + [[r] for r in repeats]
    inforce = setup(engine)
    clock = FixedClock(START)
    for batch in batches:
        clock.at += hours(data.draw(st.integers(0, 200)))
        record(engine, clock, inforce, *batch)
    assert_same(state(engine, inforce), expected)


def test_a_late_event_that_shows_the_rule_was_never_met_withdraws_the_hand_off(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    capture(engine, clock, inforce, "lee@acme.example", **HOT)  # fit 50
    webinar = clock.now() + days(2)
    record(engine, clock, inforce, event("webinar", "lee@acme.example", "webinar_attended", webinar))  # 65
    assert (lead(engine, "lee@acme.example").stage, owner_name(engine, "lee@acme.example")) == ("mql", "ann")
    clock.at += days(3)
    # an unsubscribe the day before the webinar: 50 + 15 - 25 * 2^(-1/30) = 40.6 at the webinar
    report = record(engine, clock, inforce, event("unsub", "lee@acme.example", "unsubscribe", webinar - days(1)))
    assert report.counted == 1
    lee = lead(engine, "lee@acme.example")
    assert (lee.stage, lee.qualified_at, lee.owner_id) == ("inquiry", None, None)
    assert history(engine, "lee@acme.example")[-1] == ("mql", "inquiry", "late_events")
    (assignment,) = assignments(engine, "lee@acme.example")
    assert (assignment.ended_at, assignment.end_reason) == (clock.now(), "withdrawn")
    assert messages(engine, "lead.withdrawn") == [{"lead_id": lee.id, "email": "lee@acme.example"}]
    clock.at += hours(1)
    record(engine, clock, inforce, event("form", "lee@acme.example", "contact_form", clock.now()))
    assert lead(engine, "lee@acme.example").qualified_at == to_seconds(clock.now())  # qualified again, later


def test_a_late_event_that_qualified_the_lead_earlier_moves_its_qualification_moment(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    capture(engine, clock, inforce, "lee@acme.example", **HOT)
    form = clock.now() + days(5)
    record(engine, clock, inforce, event("form", "lee@acme.example", "contact_form", form))
    assert lead(engine, "lee@acme.example").qualified_at == to_seconds(form)
    webinar = clock.now() + days(1)  # 50 + 15: the rule was met four days earlier
    record(engine, clock, inforce, event("webinar", "lee@acme.example", "webinar_attended", webinar))
    lee = lead(engine, "lee@acme.example")
    assert (lee.stage, lee.qualified_at) == ("mql", to_seconds(webinar))
    assert history(engine, "lee@acme.example") == [(None, "inquiry", None), ("inquiry", "mql", None)]
    assert len(assignments(engine, "lee@acme.example")) == 1  # the same hand-off, not a second one


def test_a_hand_off_a_rep_has_accepted_is_not_withdrawn(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    capture(engine, clock, inforce, "lee@acme.example", **HOT)
    webinar = clock.now() + days(2)
    record(engine, clock, inforce, event("webinar", "lee@acme.example", "webinar_attended", webinar))
    clock.at = webinar + hours(1)
    with UnitOfWork(engine) as uow:
        sales.accept(uow, clock, inforce, intake.find_lead(uow, "lee@acme.example"))
    record(engine, clock, inforce, event("unsub", "lee@acme.example", "unsubscribe", webinar - days(1)))
    assert lead(engine, "lee@acme.example").stage == "sal"


def test_a_withdrawn_requalification_returns_the_lead_to_recycled(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    capture(engine, clock, inforce, "lee@acme.example", **{**HOT, "title": "Engineer"})  # fit 30: B
    record(engine, clock, inforce, event("form", "lee@acme.example", "contact_form", clock.now()))  # 60
    clock.at += hours(1)
    with UnitOfWork(engine) as uow:
        sales.reject(uow, clock, inforce, intake.find_lead(uow, "lee@acme.example"), "wrong_contact")
    webinar = clock.now() + hours(1)
    record(engine, clock, inforce, event("webinar", "lee@acme.example", "webinar_attended", webinar))  # 75
    assert lead(engine, "lee@acme.example").stage == "mql"
    clock.at = webinar + hours(1)
    # an unsubscribe half an hour before the webinar: 30 + 30 + 15 - 25 = 50 there, never 60 after the cooldown
    record(engine, clock, inforce, event("unsub", "lee@acme.example", "unsubscribe", webinar - hours(0.5)))
    lee = lead(engine, "lee@acme.example")
    assert (lee.stage, lee.owner_id, lee.qualified_at) == ("recycled", None, None)
    assert history(engine, "lee@acme.example")[-2:] == [("recycled", "mql", None), ("mql", "recycled", "late_events")]


@pytest.mark.parametrize(
    "together",
    [
        pytest.param(True, id="one-batch"),
        pytest.param(
            False,
            id="two-batches",
        ),
    ],
)
def test_events_of_the_same_second_are_weighed_together_whatever_their_arrival(
    engine: Engine, clock: FixedClock, together: bool
) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    capture(engine, clock, inforce, "lee@acme.example", **HOT)  # 50
    t = clock.now() + hours(1)
    form = event("a-form", "lee@acme.example", "contact_form", t)
    unsubscribe = event("b-unsub", "lee@acme.example", "unsubscribe", t)  # 50 + 30 - 25 = 55 at t
    if together:
        record(engine, clock, inforce, form, unsubscribe)
    else:
        record(engine, clock, inforce, form)
        record(engine, clock, inforce, unsubscribe)
    assert (lead(engine, "lee@acme.example").stage, lead(engine, "lee@acme.example").qualified_at) == ("inquiry", None)
