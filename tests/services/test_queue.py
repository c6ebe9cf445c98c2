"""A rep's queue a page at a time: the pages put together are the agreement's order (hottest band first, then the
SLA clock that runs out first, then the higher score) as the lead page explains each lead; later pages keep the
order of the first while time passes; news since the queue was drawn (new leads, clocks that ran out) and the
navigation's count come apart."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from leadpact.domain.errors import InvalidInput
from leadpact.services import explain, intake, queue, sales
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.services.queue import Cursor
from leadpact.services.team import user_named
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import HOT, add_team, days, hours

ANSWERS = {"budget": "yes", "authority": "decision_maker", "timing": "this_quarter"}
FITS = [HOT, {**HOT, "employees": 50}, {**HOT, "employees": 50, "industry": "software"}]
"""Fit 50 (grade A), 35 (B) and 20 (C): a demo request hands each over at once."""


def _hand_off(engine: Engine, clock: FixedClock, inforce: InForce, names: list[str], country: str = "US") -> None:
    """Leads of every grade (each at a company of its own), handed over by a demo request at the clock's moment,
    some with a webinar attended days before that adds to the score."""
    with UnitOfWork(engine) as uow:
        inputs = [
            intake.LeadInput(email=f"{n}@{n}.example", **{**FITS[i % 3], "country": country})
            for i, n in enumerate(names)
        ]
        intake.capture_leads(uow, clock, inforce, inputs)
    with UnitOfWork(engine) as uow:
        events = [intake.EventInput(f"demo-{n}", f"{n}@{n}.example", "demo_request", clock.now()) for n in names]
        events += [
            intake.EventInput(f"webinar-{n}", f"{n}@{n}.example", "webinar_attended", clock.now() - days(i % 4))
            for i, n in enumerate(names)
            if i % 4
        ]
        intake.record_events(uow, clock, inforce, events)


def _world(engine: Engine, clock: FixedClock) -> InForce:
    """36 leads with ann: 9 handed over two months ago (their scores have decayed since), then 9 an hour for three
    hours; of the first hour's, three accepted and one of them contacted (so the clock that runs is the first
    contact's, or none). Bob, of another team, holds a lead of his own."""
    start = clock.now()
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    clock.at = start - days(59)
    _hand_off(engine, clock, inforce, [f"old-{n}" for n in range(9)])
    clock.at = start
    for hour in range(3):
        _hand_off(engine, clock, inforce, [f"hour{hour}-{n}" for n in range(9)])
        clock.at += hours(1)
    with UnitOfWork(engine) as uow:
        for n in (0, 4, 8):
            sales.accept(uow, clock, inforce, intake.lead_for_change(uow, f"hour0-{n}@hour0-{n}.example"))
        sales.contact(uow, clock, intake.lead_for_change(uow, "hour0-4@hour0-4.example"))
    add_team(engine, clock, "emea", {"bob": 1})
    _hand_off(engine, clock, inforce, ["bobs"], country="DE")
    return inforce


def _by_explanation(engine: Engine, inforce: InForce, ids: list[int], now: datetime) -> list[int]:
    """The leads in the agreement's order, from what the lead page says of each: band, SLA due, score."""
    bands = [b.band for b in inforce.agreement.priority]
    far = datetime.max.replace(tzinfo=UTC)
    keys = []
    with UnitOfWork(engine) as uow:
        for lead_id in ids:
            x = explain.explain(uow, inforce, intake.find_lead(uow, str(lead_id)), now, predicted=False)
            assert x.sla is not None
            due = (
                x.sla.accept_due
                if x.sla.accepted_at is None
                else x.sla.contact_due
                if x.sla.contacted_at is None
                else None
            )
            keys.append((bands.index(x.priority), due or far, -x.score, lead_id))
    return [lead_id for *_, lead_id in sorted(keys)]


def _pages(engine: Engine, inforce: InForce, now: datetime, size: int) -> list[queue.QueuePage]:
    pages = []
    cursor = None
    with UnitOfWork(engine) as uow:
        ann = user_named(uow, "ann")
        while True:
            pages.append(queue.page(uow, inforce, ann, now, cursor, size))
            cursor = pages[-1].next
            if cursor is None:
                return pages


def test_the_pages_of_the_queue_put_together_are_the_agreements_order(engine: Engine, clock: FixedClock) -> None:
    inforce = _world(engine, clock)
    pages = _pages(engine, inforce, clock.now(), size=4)

    shown = [i.lead_id for p in pages for i in p.items]
    assert [len(p.items) for p in pages] == [4] * 9
    assert [(p.first, p.total) for p in pages] == [(1 + 4 * n, 36) for n in range(9)]
    assert shown == _by_explanation(engine, inforce, shown, clock.now())
    assert len(set(shown)) == 36
    with UnitOfWork(engine) as uow:
        whole = queue.queue(uow, inforce, user_named(uow, "ann"), clock.now())
        one = queue.item(uow, inforce, user_named(uow, "ann"), shown[5], clock.now())
    assert [i.lead_id for i in whole] == shown
    assert {i.priority for i in whole} == {"hot", "warm", "future"}
    assert [i.due is None for i in whole].count(True) == 1  # accepted and contacted: no clock runs
    assert one == pages[1].items[1]


def test_each_row_shows_what_the_lead_page_explains(engine: Engine, clock: FixedClock) -> None:
    inforce = _world(engine, clock)
    with UnitOfWork(engine) as uow:
        items = queue.page(uow, inforce, user_named(uow, "ann"), clock.now(), size=36).items
        for item in items:
            x = explain.explain(uow, inforce, intake.find_lead(uow, str(item.lead_id)), clock.now())
            assert (item.email, item.stage, item.grade, item.priority) == (x.email, x.stage, x.grade, x.priority)
            assert item.score == pytest.approx(x.score)
            fit = [f"{f.title} {f.points:+g}" for f in x.fit_rules[:2]]
            events = [f"{e.type} {e.value:+.1f}" for e in sorted(x.events, key=lambda e: -e.value)[:2]]
            assert item.top_reasons == fit + events
            assert x.sla is not None
            assert item.sla == x.sla.state


def test_later_pages_keep_the_order_the_first_was_drawn_in_while_time_passes(engine: Engine, clock: FixedClock) -> None:
    inforce = _world(engine, clock)
    drawn = clock.now()
    expected = [i.lead_id for p in _pages(engine, inforce, drawn, size=5) for i in p.items]
    with UnitOfWork(engine) as uow:
        first = queue.page(uow, inforce, user_named(uow, "ann"), drawn, size=5)
    assert first.next is not None

    clock.at += days(12)  # scores decay; a new lead comes in; the rep sends one of a later page back
    _hand_off(engine, clock, inforce, ["late"])
    gone = expected[7]
    with UnitOfWork(engine) as uow:
        sales.reject(uow, clock, inforce, intake.lead_for_change(uow, str(gone)), "not_ready")
    cursor: Cursor | None = Cursor.parse(first.next.token)
    rest: list[int] = []
    with UnitOfWork(engine) as uow:
        ann = user_named(uow, "ann")
        while cursor is not None:
            page = queue.page(uow, inforce, ann, clock.now(), cursor, 5)
            assert page.at == drawn
            rest += [i.lead_id for i in page.items]
            cursor = page.next
        late = queue.arrivals(uow, inforce, ann, drawn, clock.now())
        fresh = queue.page(uow, inforce, ann, clock.now(), size=40)

    assert [i.lead_id for i in first.items] + rest == [n for n in expected if n != gone]
    assert [i.email for i in late] == ["late@late.example"]
    assert fresh.total == 36  # one in, one out
    assert [i.lead_id for i in fresh.items] != [n for n in expected if n != gone] + [late[0].lead_id]


def test_clocks_that_ran_out_since_the_queue_was_drawn_and_the_count_to_accept(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = _world(engine, clock)
    drawn = clock.now()
    with UnitOfWork(engine) as uow:
        ann = user_named(uow, "ann")
        assert queue.waiting(uow, ann, drawn) == queue.Waiting(33, 9)  # the old ones' time to accept has passed
        assert queue.lapsed(uow, ann, drawn, drawn, 10) == ([], 0)
        due = sorted({i.due for i in queue.queue(uow, inforce, ann, drawn) if i.due and i.due > drawn})
    assert len(due) == 4  # the time to accept of each hour's leads, and the first contact of two accepted

    clock.at = due[1]  # the first two hours' clocks have run out
    with UnitOfWork(engine) as uow:
        ann = user_named(uow, "ann")
        shown, count = queue.lapsed(uow, ann, drawn, clock.now(), 10)
        waiting = queue.waiting(uow, ann, clock.now())
        none_before = queue.lapsed(uow, ann, due[1], clock.now(), 10)
    assert count == 6 + 9
    assert [lapse.due for lapse in shown] == [due[1]] * 9 + [due[0]]  # the latest first, ten of them
    assert {lapse.what for lapse in shown} == {"accept"}
    assert waiting == queue.Waiting(33, 9 + 15)
    assert none_before == ([], 0)


def test_a_place_in_the_queue_that_is_not_one_is_refused(engine: Engine, clock: FixedClock) -> None:
    for token in ("", "1~2~3", "x~0~~-80.5~7", "99999999999999999999999~0~~1.0~7"):
        with pytest.raises(InvalidInput, match="not a place in the queue"):
            Cursor.parse(token)
    for due in (datetime(2026, 3, 2, 19, 0, 0, 250), queue.FAR):  # naive UTC, as the store holds it
        cursor = Cursor(clock.now(), (1, due, -61.25000000000001, 42))
        assert Cursor.parse(cursor.token) == cursor
