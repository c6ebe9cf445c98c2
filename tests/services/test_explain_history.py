"""What the lead page and the pipeline read: the score over time from the ledger, and a rep's deals."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from leadpact.domain.scoring import to_seconds
from leadpact.services import explain, intake, opportunities, pipeline, sales
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.services.team import user_named
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import add_team, capture, days, event, hand_off, record

ANSWERS = {"budget": "yes", "authority": "decision_maker", "timing": "this_quarter"}


def history(engine: Engine, clock: FixedClock, inforce: InForce, email: str, samples: int) -> list[tuple[int, float]]:
    """The lead's score history as (UTC seconds, score)."""
    with UnitOfWork(engine) as uow:
        found = intake.find_lead(uow, email)
        points = explain.score_history(uow, inforce, found, clock.now(), samples)
    return [(to_seconds(p.at), p.score) for p in points]


def test_the_score_steps_at_each_change_and_decays_between_them(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    now = clock.at
    clock.at = now - days(40)
    capture(engine, clock, inforce, "vp@plain.example", title="VP Operations")  # fit 20, grade C: stays an inquiry
    clock.at = now - days(30)
    record(engine, clock, inforce, event("web-1", "vp@plain.example", "webinar_attended", clock.at))  # 15 points
    clock.at = now

    points = history(engine, clock, inforce, "vp@plain.example", samples=4)

    start, webinar, end = to_seconds(now - days(40)), to_seconds(now - days(30)), to_seconds(now)
    assert points[:2] == [(start, 0.0), (start, 20.0)]  # captured: from nothing to its fit
    at_webinar = [score for at, score in points if at == webinar]
    assert at_webinar == [20.0, 35.0]  # just before the event, then with its 15 points
    assert [at for at, _ in points] == sorted(at for at, _ in points)
    assert points[-1][0] == end
    assert points[-1][1] == pytest.approx(20 + 15 / 2)  # one half-life after the webinar
    after = [score for at, score in points if at > webinar]
    assert after == sorted(after, reverse=True)  # between events engagement only decays
    grid = [start + round(i * (end - start) / 4) for i in range(5)]
    assert {at for at, _ in points} == set(grid) | {webinar}


def test_the_score_history_ends_at_the_score_the_lead_page_explains(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    hand_off(engine, clock, inforce, "kim@bigco.example")
    record(engine, clock, inforce, event("web-2", "kim@bigco.example", "webinar_attended", clock.now() - days(12)))

    points = history(engine, clock, inforce, "kim@bigco.example", samples=48)

    last: dict[int, float] = {}
    for at, score in points:
        last[at] = score  # where a moment shows twice, the second is the score with its own rows
    with UnitOfWork(engine) as uow:
        found = intake.find_lead(uow, "kim@bigco.example")
        explained = explain.explain(uow, inforce, found, clock.now())
        for at, score in last.items():
            assert score == pytest.approx(sum(explain.ledger_score(uow, found.id, at, 30)))
    assert len(last) == 49  # the grid's 49 moments, which include the first row's and now
    assert points[-1][1] == pytest.approx(explained.score)


def test_a_lead_without_points_has_a_flat_history(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    capture(engine, clock, inforce, "nobody@plain.example")

    assert history(engine, clock, inforce, "nobody@plain.example", samples=10) == [(to_seconds(clock.now()), 0.0)]


def test_a_reps_pipeline_lists_open_deals_by_stage_then_the_closed_ones(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    emails = ["a@one.example", "b@two.example", "c@three.example"]
    for email in emails:
        hand_off(engine, clock, inforce, email)
        with UnitOfWork(engine) as uow:
            found = intake.find_lead(uow, email)
            sales.accept(uow, clock, inforce, found)
            sales.qualify(uow, clock, inforce, found, ANSWERS)
            opportunities.convert(uow, clock, inforce, found, 1000.0 * len(email), date(2026, 6, 30))
    with UnitOfWork(engine) as uow:
        opportunities.move_stage(uow, clock, inforce, intake.find_lead(uow, "a@one.example"), "proposal")
        opportunities.win(uow, clock, inforce, intake.find_lead(uow, "c@three.example"))

    with UnitOfWork(engine) as uow:
        board = pipeline.board(uow, inforce, user_named(uow, "ann"))
        of_a = pipeline.deals_of(uow, inforce, intake.find_lead(uow, "a@one.example"))

    assert [(c.stage, c.probability, c.count, c.amount, [d.email for d in c.deals]) for c in board.columns] == [
        ("discovery", 0.10, 1, 13000.0, ["b@two.example"]),
        ("proposal", 0.40, 1, 13000.0, ["a@one.example"]),
        ("negotiation", 0.70, 0, 0.0, []),
    ]
    assert [(d.email, d.stage, d.won, d.probability) for d in board.closed] == [
        ("c@three.example", "discovery", True, 0.10)
    ]
    assert (board.open_count, board.open_amount, board.closed_count, board.won_count) == (2, 26000.0, 1, 1)
    assert board.weighted == pytest.approx(13000 * 0.1 + 13000 * 0.4)
    assert [(d.amount, d.owner) for d in of_a] == [(13000.0, "ann")]
    assert [(m.from_stage, m.to_stage, m.by) for m in of_a[0].moves] == [
        (None, "discovery", "ann"),
        ("discovery", "proposal", "ann"),
    ]
