"""The ledger invariant: after any captures, events and field changes, every score is what its ledger gives.

The online path keeps each lead's fit and an O(1) engagement state; the ledger keeps every change of points.
Whatever happened, in whatever order, the two agree to 1e-9, and both agree with a recomputation from the raw
events by the agreement's counting rule.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from leadpact.domain.scoring import EventFact, counted_events, engagement_at, fit_points, ledger_totals, to_seconds
from leadpact.services import intake
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.services.explain import ledger_score
from leadpact.services.facts import facts_of
from leadpact.store.database import empty
from leadpact.store.tables import Event, Lead, LedgerEntry
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import MONDAY_9AM, add_team
from tests.strategies import CAPPED_TYPES, EXAMPLE_TYPES, UNKNOWN_TYPES

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
EMAILS = ("ann@acme.example", "bob@acme.example", "cy@gmail.com", "dee@werk.example")
TITLES = ("VP Sales", "Chief Operating Officer", None, "Plant Manager", "Student intern", "Engineer")
INDUSTRIES = ("manufacturing", None, "Retail", "software")
EMPLOYEES = (200, 4999, None, 50, 5001)
CUSTOM: tuple[dict[str, str], ...] = (
    {},
    {"answers.budget": "yes"},
    {"answers.budget": "no"},
    {"segment": "enterprise"},
)


@dataclass(frozen=True)
class Capture:
    lead: intake.LeadInput


@dataclass(frozen=True)
class Events:
    events: tuple[intake.EventInput, ...]


@dataclass(frozen=True)
class Step:
    wait: timedelta  # how long after the previous step this one happens
    action: Capture | Events


def lead_inputs(emails: tuple[str, ...] = EMAILS) -> st.SearchStrategy[intake.LeadInput]:
    return st.builds(
        intake.LeadInput,
        email=st.sampled_from(emails),
        title=st.sampled_from(TITLES),
        industry=st.sampled_from(INDUSTRIES),
        employees=st.sampled_from(EMPLOYEES),
        country=st.sampled_from((None, "US", "DE")),
        custom=st.sampled_from(CUSTOM).map(dict),
    )


def event_inputs(now: datetime) -> st.SearchStrategy[intake.EventInput]:
    """Events around ``now``: some late (days before), some of the same second, ids from a small pool."""
    return st.builds(
        intake.EventInput,
        event_id=st.integers(0, 30).map(lambda n: f"ev-{n}"),
        email=st.sampled_from(EMAILS),
        type=st.sampled_from((*EXAMPLE_TYPES, *CAPPED_TYPES, *UNKNOWN_TYPES)),
        occurred_at=st.one_of(st.just(0), st.integers(-10 * 86_400, 86_400)).map(lambda s: now + timedelta(seconds=s)),
    )


@st.composite
def histories(draw: st.DrawFn) -> list[Step]:
    steps = [Step(timedelta(0), Capture(draw(lead_inputs((email,))))) for email in EMAILS[:2]]
    now = MONDAY_9AM
    for _ in range(draw(st.integers(2, 8))):
        wait = timedelta(seconds=draw(st.integers(0, 10 * 86_400)))
        now += wait
        if draw(st.integers(0, 2)) == 0:
            action: Capture | Events = Capture(draw(lead_inputs()))
        else:
            action = Events(tuple(draw(st.lists(event_inputs(now), min_size=2, max_size=10))))
        steps.append(Step(wait, action))
    return steps


def play(engine: Engine, inforce: InForce, steps: list[Step]) -> datetime:
    clock = FixedClock(MONDAY_9AM)
    known: set[str] = set()
    for step in steps:
        clock.at += step.wait
        with UnitOfWork(engine) as uow:
            if isinstance(step.action, Capture):
                intake.capture_lead(uow, clock, inforce, step.action.lead)
                known.add(step.action.lead.email)
            else:
                events = [e for e in step.action.events if e.email in known]
                if events:
                    intake.record_events(uow, clock, inforce, events)
    return clock.now()


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@SETTINGS
@given(steps=histories())
def test_every_score_equals_the_decayed_sum_of_its_ledger_rows(engine: Engine, steps: list[Step]) -> None:
    empty(engine)
    inforce = adopt_example(engine, FixedClock(MONDAY_9AM - timedelta(days=1)))
    add_team(engine, FixedClock(MONDAY_9AM), "americas", {"ann": 2, "bob": 1})
    end = play(engine, inforce, steps)
    agreement = inforce.agreement
    half_life = agreement.half_life_days
    h = half_life * 86_400 if half_life else math.inf
    with UnitOfWork(engine) as uow:
        for lead in uow.session.scalars(select(Lead)):
            stored = list(
                uow.session.execute(
                    select(Event.occurred_at, Event.event_id, Event.type, Event.counted).where(Event.lead_id == lead.id)
                )
            )
            # the agreement's counting rule applied to the raw events, from scratch
            counted = counted_events(agreement, [EventFact(at, eid, kind) for at, eid, kind, _ in stored])
            assert {eid for _, eid, _, flag in stored if flag} == {e.event_id for e in counted}
            latest = max([at for at, _, _, _ in stored], default=0)
            for t in {to_seconds(end), max(latest, to_seconds(end)) + 3 * 86_400}:
                if t < lead.engagement_at:
                    continue  # the O(1) state is anchored after t: it tells the score from its anchor on
                ledger_fit, ledger_engagement = ledger_score(uow, lead.id, t, half_life)
                assert close(lead.fit, ledger_fit), (lead.email, lead.fit, ledger_fit)
                online = engagement_at(lead.engagement, lead.engagement_at, t, half_life)
                assert close(online, ledger_engagement), (lead.email, t, online, ledger_engagement)
                direct = sum(agreement.events[e.type].points * 2.0 ** (-(t - e.at) / h) for e in counted if e.at <= t)
                assert close(online, direct), (lead.email, t, online, direct)
            assert lead.grade == agreement.grade_for(lead.fit)
            assert close(lead.fit, sum(fit_points(agreement, facts_of(uow, lead)).values()))
            rows = uow.session.execute(
                select(LedgerEntry.item, LedgerEntry.points).where(
                    LedgerEntry.lead_id == lead.id, LedgerEntry.kind == "event"
                )
            )
            net = ledger_totals((item, float(points)) for item, points in rows)
            assert net.keys() == {e.event_id for e in counted}  # displaced events net to zero
            for e in counted:
                assert close(net[e.event_id], agreement.events[e.type].points)
