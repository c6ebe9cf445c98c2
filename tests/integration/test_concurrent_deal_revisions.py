"""Two revisions of one deal's amount and close date at the same instant: one goes first, the other replaces it.

Pairs race on the same deal, each revision in its own transaction as two requests (two tabs of the board) would
run, started together at a barrier. Afterwards the trail is one chain: each revision names as what it replaced
exactly what the one before it set, the first names what the deal was converted with, and the last is what the
deal holds now; no revision is lost.
"""

from __future__ import annotations

import itertools
import json
import threading
from datetime import date, timedelta

from sqlalchemy import Engine, select

from leadpact.domain.audit import Actor
from leadpact.services import intake, opportunities, sales
from leadpact.services.clock import FixedClock
from leadpact.store.tables import AuditEntry, Opportunity
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import add_team, hand_off

ROUNDS = {"sqlite": 5, "postgresql": 40}
ANSWERS = {"budget": "yes", "authority": "decision_maker", "timing": "this_quarter"}
EMAIL = "kim@bigco.example"


def test_revisions_racing_on_one_deal_leave_the_trail_one_chain(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    hand_off(engine, clock, inforce, EMAIL)
    with UnitOfWork(engine) as uow:
        lead = intake.lead_for_change(uow, EMAIL)
        sales.accept(uow, clock, inforce, lead)
        sales.qualify(uow, clock, inforce, lead, ANSWERS)
        opportunities.convert(uow, clock, inforce, lead, 1000.0, date(2026, 6, 1))

    outcomes: list[str] = []

    def revise(barrier: threading.Barrier, amount: float, close: date) -> None:
        barrier.wait()
        try:
            with UnitOfWork(engine, Actor("ann", "web")) as uow:
                opportunities.revise(uow, clock, intake.lead_for_change(uow, EMAIL), amount, close, "ann")
            outcomes.append("done")
        except BaseException as error:  # anything that is not a revision fails the test, with what it was
            outcomes.append(repr(error))

    for n in range(ROUNDS[engine.dialect.name]):
        barrier = threading.Barrier(2)
        pair = [
            threading.Thread(
                target=revise, args=(barrier, 2000.0 + 10 * n + side, date(2026, 7, 1) + timedelta(days=n))
            )
            for side in (1, 2)
        ]
        for thread in pair:
            thread.start()
        for thread in pair:
            thread.join()

    with UnitOfWork(engine) as uow:
        details = [
            json.loads(detail)
            for detail in uow.session.scalars(
                select(AuditEntry.detail).where(AuditEntry.action == "lead.revise").order_by(AuditEntry.id)
            )
        ]
        deal = uow.session.scalars(select(Opportunity)).one()
        now = (deal.amount, deal.close_date.isoformat())
    assert set(outcomes) == {"done"}
    assert len(details) == 2 * ROUNDS[engine.dialect.name]  # each pair sets two different amounts: none is lost
    assert (details[0]["was_amount"], details[0]["was_close_date"]) == (1000.0, "2026-06-01")
    for before, after in itertools.pairwise(details):
        assert (after["was_amount"], after["was_close_date"]) == (before["amount"], before["close_date"])
    assert (details[-1]["amount"], details[-1]["close_date"]) == now
