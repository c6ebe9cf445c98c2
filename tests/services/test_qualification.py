"""Qualification through the services: the moment is when it happened, immediate events, explained scores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select

from leadpact.domain.scoring import to_seconds
from leadpact.services import explain, handoff, intake, queue, sales
from leadpact.services.clock import FixedClock
from leadpact.store.tables import StageChange, User
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import HOT, add_team, assignments, capture, counted_ids, days, event, hand_off, hours, lead, record

LEE = "lee@acme.example"


@pytest.mark.parametrize(
    ("fields", "stage"),
    [
        ({"title": "Plant Manager", "employees": 300}, "mql"),  # fit 23: C, an immediate grade
        ({"title": "Plant Manager"}, "inquiry"),  # fit 8: D
    ],
)
def test_a_demo_request_hands_over_at_once_only_leads_of_an_immediate_grade(
    engine: Engine, clock: FixedClock, fields: dict[str, object], stage: str
) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    capture(engine, clock, inforce, LEE, **fields)
    record(engine, clock, inforce, event("demo", LEE, "demo_request", clock.now()))
    assert lead(engine, LEE).stage == stage


def test_a_grade_c_lead_is_not_handed_over_by_score_alone(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    capture(engine, clock, inforce, LEE, title="Plant Manager", employees=300)  # 23: C
    record(
        engine,
        clock,
        inforce,
        event("form", LEE, "contact_form", clock.now()),
        event("webinar", LEE, "webinar_attended", clock.now()),
        event("booth", LEE, "tradeshow_booth_visit", clock.now()),
    )
    assert lead(engine, LEE).stage == "inquiry"  # 23 + 57 = 80, but C qualifies only by an immediate event


def test_a_lead_qualifies_as_of_the_event_not_its_arrival_and_the_sla_starts_at_the_hand_off(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    capture(engine, clock, inforce, LEE, **HOT)
    happened = clock.now() + hours(1)
    clock.at += days(2)  # it arrives two days later, Wednesday 09:00 CST
    record(engine, clock, inforce, event("form", LEE, "contact_form", happened))
    assert lead(engine, LEE).qualified_at == to_seconds(happened)
    with UnitOfWork(engine) as uow:
        change = uow.session.scalars(select(StageChange).where(StageChange.to_stage == "mql")).one()
        assert change.at == happened
    (assignment,) = assignments(engine, LEE)
    assert (assignment.assigned_at, assignment.accept_due) == (clock.now(), clock.now() + hours(4))


def test_a_lead_qualifies_at_the_first_event_that_meets_the_rule_within_one_batch(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    capture(engine, clock, inforce, LEE, **HOT)  # 50
    t = clock.now()
    record(
        engine,
        clock,
        inforce,
        event("c", LEE, "contact_form", t + hours(3)),
        event("a", LEE, "whitepaper_download", t + hours(1)),  # 58
        event("b", LEE, "email_click", t + hours(2)),  # 61: this one
    )
    assert lead(engine, LEE).qualified_at == to_seconds(t + hours(2))


def test_page_views_on_either_side_of_local_midnight_both_count(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    capture(engine, clock, inforce, LEE)
    record(
        engine,
        clock,
        inforce,
        event("sat", LEE, "pricing_page_view", datetime(2026, 3, 8, 5, 59, 59, tzinfo=UTC)),  # 23:59:59 CST Sat
        event("sun", LEE, "pricing_page_view", datetime(2026, 3, 8, 6, 0, 0, tzinfo=UTC)),  # 00:00 CST Sunday
        event("sun-2", LEE, "pricing_page_view", datetime(2026, 3, 9, 4, 59, 59, tzinfo=UTC)),  # 23:59:59 CDT Sun
        event("mon", LEE, "pricing_page_view", datetime(2026, 3, 9, 5, 0, 0, tzinfo=UTC)),  # 00:00 CDT Monday
    )
    assert counted_ids(engine) == {"sat", "sun", "mon"}


def test_explain_traces_every_point_and_the_score_fades_with_the_half_life(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    hand_off(engine, clock, inforce, LEE, event_id="form")  # 50 + 30
    with UnitOfWork(engine) as uow:
        lee = intake.find_lead(uow, LEE)
        now = explain.explain(uow, inforce, lee, clock.now())
        later = explain.explain(uow, inforce, lee, clock.now() + days(30))
        much_later = explain.explain(uow, inforce, lee, clock.now() + days(90))
    assert (now.fit, now.engagement, now.score, now.grade, now.priority) == (50.0, 30.0, 80.0, "A", "hot")
    assert sorted((f.rule, f.points) for f in now.fit_rules) == [
        ("senior-title", 20.0),
        ("target-industry", 15.0),
        ("target-size", 15.0),
    ]
    assert [(e.event_id, e.type, e.points, e.factor) for e in now.events] == [("form", "contact_form", 30.0, 1.0)]
    assert later.engagement == pytest.approx(15.0)
    assert later.score == pytest.approx(65.0)
    assert later.priority == "warm"
    assert later.events[0].factor == pytest.approx(0.5)
    assert much_later.score == pytest.approx(53.75)  # three half-lives: 30 / 8 = 3.75
    assert much_later.priority == "warm"
    assert [(h.from_stage, h.to_stage, h.by) for h in now.history] == [
        (None, "inquiry", "agreement v1"),
        ("inquiry", "mql", "agreement v1"),
    ]
    assert now.owner == "ann"
    assert now.sla is not None
    assert now.sla.state.startswith("accept due")


def test_a_reps_queue_is_hottest_first(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    capture(engine, clock, inforce, "warm@warm.example", **HOT)
    record(engine, clock, inforce, event("w", "warm@warm.example", "webinar_attended", clock.now()))  # 65: warm
    clock.at += hours(1)
    hand_off(engine, clock, inforce, "hot@hot.example")  # 80: hot, handed over later
    with UnitOfWork(engine) as uow:
        ann = uow.session.scalars(select(User).where(User.name == "ann")).one()
        items = queue.queue(uow, inforce, ann, clock.now())
        assert [(i.email, i.priority) for i in items] == [("hot@hot.example", "hot"), ("warm@warm.example", "warm")]
        sales.accept(uow, clock, inforce, intake.find_lead(uow, "hot@hot.example"))
        sales.reject(uow, clock, inforce, intake.find_lead(uow, "warm@warm.example"), "not_ready")
    with UnitOfWork(engine) as uow:
        ann = uow.session.scalars(select(User).where(User.name == "ann")).one()
        assert [i.email for i in queue.queue(uow, inforce, ann, clock.now())] == ["hot@hot.example"]


def test_an_acceptance_after_its_due_moment_is_recorded_as_a_breach(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    hand_off(engine, clock, inforce, LEE)
    due = assignments(engine, LEE)[0].accept_due
    clock.at = due + hours(1)
    with UnitOfWork(engine) as uow:
        sales.accept(uow, clock, inforce, intake.find_lead(uow, LEE))
    with UnitOfWork(engine) as uow:
        handoff.check_sla(uow, clock, inforce)
    assert assignments(engine, LEE)[0].accept_breached_at == due
