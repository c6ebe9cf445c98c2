"""Recycled leads come back only through a counted event after their cooldown; disqualified leads never do."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Engine

from leadpact.domain.scoring import to_seconds
from leadpact.services import intake, opportunities, sales
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import HOT, add_team, assignments, capture, days, event, hand_off, history, hours, lead, record

LEE = "lee@acme.example"


def reject(engine: Engine, clock: FixedClock, inforce: InForce, reason: str) -> None:
    with UnitOfWork(engine) as uow:
        sales.reject(uow, clock, inforce, intake.find_lead(uow, LEE), reason)


def handed_over(engine: Engine, clock: FixedClock) -> InForce:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    hand_off(engine, clock, inforce, LEE)
    return inforce


def test_rejected_lead_requalifies_only_after_cooldown(engine: Engine, clock: FixedClock) -> None:
    inforce = handed_over(engine, clock)
    clock.at += hours(1)
    reject(engine, clock, inforce, "not_ready")  # 60 days
    cooldown_until = to_seconds(clock.now()) + 60 * 86_400
    assert lead(engine, LEE).cooldown_until == cooldown_until
    rejected_at = clock.now()

    clock.at = rejected_at + days(30)
    report = record(engine, clock, inforce, event("form-2", LEE, "contact_form", clock.now()))
    assert report.counted == 1  # it counts for the score (50 + 30 + decayed 30 > 60)...
    assert lead(engine, LEE).stage == "recycled"  # ...but the lead is cooling down

    clock.at = rejected_at + days(61)
    capture(engine, clock, inforce, LEE, custom={"answers.budget": "yes"})  # a better fit is not an event
    assert lead(engine, LEE).stage == "recycled"

    back_at = clock.now() + hours(2)
    record(engine, clock, inforce, event("open-1", LEE, "email_open", back_at))
    lee = lead(engine, LEE)
    assert (lee.stage, lee.qualified_at, lee.owner_id is not None) == ("mql", to_seconds(back_at), True)
    assert history(engine, LEE)[-2:] == [("mql", "recycled", "not_ready"), ("recycled", "mql", None)]
    assert len(assignments(engine, LEE)) == 2  # dealt again, with a new SLA clock


def test_an_event_at_the_very_end_of_the_cooldown_requalifies(engine: Engine, clock: FixedClock) -> None:
    inforce = handed_over(engine, clock)
    reject(engine, clock, inforce, "not_ready")
    end = clock.now() + days(60)
    clock.at = end + days(1)
    record(engine, clock, inforce, event("early", LEE, "webinar_attended", end - timedelta(seconds=1)))
    assert lead(engine, LEE).stage == "recycled"
    record(engine, clock, inforce, event("on-time", LEE, "webinar_attended", end))
    assert (lead(engine, LEE).stage, lead(engine, LEE).qualified_at) == ("mql", to_seconds(end))


def test_an_event_after_the_cooldown_that_does_not_count_does_not_requalify(engine: Engine, clock: FixedClock) -> None:
    inforce = handed_over(engine, clock)
    reject(engine, clock, inforce, "not_ready")
    end = clock.now() + days(60)  # Friday 1 May 2026, 09:00 CDT
    clock.at = end + hours(6)
    record(engine, clock, inforce, event("view-am", LEE, "pricing_page_view", end - hours(1)))  # counted, too early
    assert lead(engine, LEE).stage == "recycled"
    report = record(
        engine,
        clock,
        inforce,
        event("view-pm", LEE, "pricing_page_view", end + hours(5)),  # the day's one view is taken
        event("scroll", LEE, "page_scroll", end + hours(5)),  # not in the agreement
        event("view-am", LEE, "contact_form", end + hours(5)),  # an id recorded before
    )
    assert report.counted == 0
    assert lead(engine, LEE).stage == "recycled"


def test_a_late_event_from_during_the_cooldown_does_not_requalify(engine: Engine, clock: FixedClock) -> None:
    inforce = handed_over(engine, clock)
    reject(engine, clock, inforce, "not_ready")
    clock.at += days(90)  # well after the cooldown, an event from its middle arrives
    report = record(engine, clock, inforce, event("late", LEE, "demo_request", clock.now() - days(50)))
    assert report.counted == 1
    assert lead(engine, LEE).stage == "recycled"


def test_a_recycled_lead_below_the_rule_stays_recycled_after_its_cooldown(engine: Engine, clock: FixedClock) -> None:
    inforce = handed_over(engine, clock)
    reject(engine, clock, inforce, "wrong_contact")  # no cooldown
    capture(engine, clock, inforce, LEE, title="Intern")  # fit 50 - 20 - 30 = 0: grade D
    clock.at += hours(1)
    record(engine, clock, inforce, event("demo", LEE, "demo_request", clock.now()))
    assert lead(engine, LEE).stage == "recycled"


def test_a_lead_rejected_without_cooldown_requalifies_at_its_next_counted_event(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = handed_over(engine, clock)
    reject(engine, clock, inforce, "wrong_contact")  # recycle_after_days: 0
    assert lead(engine, LEE).cooldown_until == to_seconds(clock.now())
    clock.at += hours(1)
    record(engine, clock, inforce, event("open", LEE, "email_open", clock.now()))
    assert lead(engine, LEE).stage == "mql"


def test_a_lost_deal_comes_back_through_its_next_counted_event(engine: Engine, clock: FixedClock) -> None:
    inforce = handed_over(engine, clock)
    with UnitOfWork(engine) as uow:
        lee = intake.find_lead(uow, LEE)
        sales.accept(uow, clock, inforce, lee)
        sales.qualify(uow, clock, inforce, lee, {"budget": "no", "authority": "user", "timing": "later"})
        opportunities.convert(uow, clock, inforce, lee, 10_000.0, date(2026, 9, 1))
        opportunities.lose(uow, clock, inforce, lee, "no_decision")
    assert lead(engine, LEE).stage == "recycled"
    clock.at += days(3)
    record(engine, clock, inforce, event("webinar", LEE, "webinar_attended", clock.now()))
    assert lead(engine, LEE).stage == "mql"
    assert history(engine, LEE)[-1] == ("recycled", "mql", None)


def test_a_disqualified_lead_never_returns(engine: Engine, clock: FixedClock) -> None:
    inforce = handed_over(engine, clock)
    reject(engine, clock, inforce, "bad_data")
    for n in range(1, 4):
        clock.at += days(100)
        capture(engine, clock, inforce, LEE, custom={"answers.budget": "yes"}, **HOT)
        record(
            engine,
            clock,
            inforce,
            event(f"demo-{n}", LEE, "demo_request", clock.now()),
            event(f"form-{n}", LEE, "contact_form", clock.now()),
        )
        assert lead(engine, LEE).stage == "disqualified"
    assert history(engine, LEE)[-1] == ("mql", "disqualified", "bad_data")


def test_an_inquiry_marketing_disqualified_never_qualifies(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    capture(engine, clock, inforce, LEE, **HOT)
    with UnitOfWork(engine) as uow:
        sales.disqualify(uow, clock, inforce, intake.find_lead(uow, LEE), "competitor")
    record(engine, clock, inforce, event("demo", LEE, "demo_request", clock.now() + hours(1)))
    assert lead(engine, LEE).stage == "disqualified"
