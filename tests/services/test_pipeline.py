"""A rep's pipeline as a board: a column per sales stage with its count, amount and cards a page at a time (the
soonest expected close first), the stages an earlier agreement had in a column of their own, closed deals the
latest first; and an open deal's amount and expected close date revised, with the trail keeping what they were."""

from __future__ import annotations

import json
import math
from datetime import date

import pytest
from sqlalchemy import Engine, select

from leadpact.domain.audit import Actor
from leadpact.domain.errors import IllegalTransition, InvalidInput, NotPermitted
from leadpact.services import agreements, intake, opportunities, pipeline, sales
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.services.team import user_named
from leadpact.store.tables import AuditEntry, Opportunity
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import HOT, add_team, agreement_text, days

ANSWERS = {"budget": "yes", "authority": "decision_maker", "timing": "this_quarter"}
ANN = Actor("ann", "web", "10.0.0.9")


def deals(engine: Engine, clock: FixedClock, inforce: InForce, count: int) -> list[str]:
    """``count`` leads converted by their rep, deal n worth 1,000 times n + 1 and expected to close n days after
    the 1st of June, the last first (so the order of the board is not the order they were made in)."""
    emails = [f"deal{n}@deal{n}.example" for n in range(count)]
    with UnitOfWork(engine) as uow:
        intake.capture_leads(uow, clock, inforce, [intake.LeadInput(email=e, **HOT) for e in emails])
    with UnitOfWork(engine) as uow:
        events = [intake.EventInput(f"demo-{e}", e, "demo_request", clock.now()) for e in emails]
        intake.record_events(uow, clock, inforce, events)
    for n, email in reversed(list(enumerate(emails))):
        with UnitOfWork(engine) as uow:
            lead = intake.lead_for_change(uow, email)
            sales.accept(uow, clock, inforce, lead)
            sales.qualify(uow, clock, inforce, lead, ANSWERS)
            opportunities.convert(uow, clock, inforce, lead, 1000.0 * (n + 1), date(2026, 6, 1) + days(n))
    return emails


def act(engine: Engine, clock: FixedClock, inforce: InForce, email: str, step: str, *args: object) -> None:
    with UnitOfWork(engine, ANN) as uow:
        lead = intake.lead_for_change(uow, email)
        if step == "stage":
            opportunities.move_stage(uow, clock, inforce, lead, str(args[0]))
        elif step == "won":
            opportunities.win(uow, clock, inforce, lead)
        else:
            opportunities.lose(uow, clock, inforce, lead, str(args[0]))


def test_the_board_pages_each_column_by_expected_close_and_counts_all_of_it(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    emails = deals(engine, clock, inforce, 7)
    for email in emails[:2]:
        act(engine, clock, inforce, email, "stage", "proposal")
    for n, email in enumerate(emails[4:]):
        clock.at += days(1)
        act(engine, clock, inforce, email, *(("won",) if n != 1 else ("lost", "no_need")))

    with UnitOfWork(engine) as uow:
        ann = user_named(uow, "ann")
        board = pipeline.board(uow, inforce, ann, size=1)
        more, after_that = pipeline.column(uow, inforce, ann, "discovery", board.columns[0].more, size=1)
        closed, _ = pipeline.closed_deals(uow, inforce, ann, board.more_closed, size=5)

    shown = [(c.stage, c.probability, c.count, c.amount, [d.email for d in c.deals]) for c in board.columns]
    assert shown == [
        ("discovery", 0.10, 2, 7000.0, [emails[2]]),  # deals 2 and 3: the one closing sooner first
        ("proposal", 0.40, 2, 3000.0, [emails[0]]),
        ("negotiation", 0.70, 0, 0.0, []),
    ]
    assert [d.email for d in more] == [emails[3]]
    assert after_that is None
    assert (board.open_count, board.open_amount) == (4, 10000.0)
    assert board.weighted == pytest.approx(700 + 1200)
    assert (board.closed_count, board.won_count) == (3, 2)
    assert [d.email for d in board.closed + closed] == [emails[6], emails[5], emails[4]]  # the latest first
    assert [d.won for d in board.closed + closed] == [True, False, True]


def test_deals_in_stages_the_agreement_no_longer_has_gather_in_a_column_of_their_own(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    emails = deals(engine, clock, inforce, 3)
    for email in emails:
        act(engine, clock, inforce, email, "stage", "proposal")
    act(engine, clock, inforce, emails[0], "stage", "negotiation")
    renamed = agreement_text(
        ("  - {name: negotiation, probability: 0.70}", "  - {name: contract, probability: 0.80}"),
        ("    negotiation: [price, legal, competitor_won]", "    contract: [price, legal]"),
    )
    with UnitOfWork(engine) as uow:
        agreements.adopt(uow, clock, renamed, "agreement.yaml", "Dana Lee", "Sam Ortiz")
        later = agreements.in_force(uow)

    with UnitOfWork(engine) as uow:
        board = pipeline.board(uow, later, user_named(uow, "ann"), size=1)
    assert [(c.stage, c.count, [d.email for d in c.deals], c.more is None) for c in board.columns] == [
        ("discovery", 0, [], True),
        ("proposal", 2, [emails[1]], False),
        ("contract", 0, [], True),
        (None, 1, [emails[0]], True),
    ]
    assert board.columns[-1].deals[0].probability is None


def test_a_revised_amount_and_close_date_are_kept_with_what_they_replaced(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    add_team(engine, clock, "emea", {"bob": 1})
    first, second = deals(engine, clock, inforce, 2)

    with UnitOfWork(engine, ANN) as uow:
        lead = intake.lead_for_change(uow, first)
        opportunities.revise(uow, clock, lead, 0.0, date(2026, 9, 30), "ann")  # nothing agreed yet: 0 is an amount
        opportunities.revise(uow, clock, lead, 0.0, date(2026, 9, 30), "ann")  # the same again changes nothing
    with UnitOfWork(engine) as uow:
        revised = uow.session.scalars(select(Opportunity).where(Opportunity.lead_id == lead.id)).one()
        entries = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "lead.revise")).all()
    assert (revised.amount, revised.close_date) == (0.0, date(2026, 9, 30))
    assert [(e.actor, e.via, e.subject) for e in entries] == [("ann", "web", f"lead {lead.id}")]
    assert json.loads(entries[0].detail) == {
        "rep": "ann",
        "opportunity": revised.id,
        "amount": 0.0,
        "close_date": "2026-09-30",
        "was_amount": 1000.0,
        "was_close_date": "2026-06-01",
    }

    refusals: list[tuple[str, float, str | None, type[Exception], str]] = [
        (first, -1.0, None, InvalidInput, "amount: an opportunity's amount is 0 or more"),
        (first, math.nan, None, InvalidInput, "amount: an opportunity's amount is 0 or more"),
        (first, math.inf, None, InvalidInput, "amount: an opportunity's amount is 0 or more"),
        (first, 5.0, "bob", NotPermitted, "is assigned to ann, not to bob"),
    ]
    with UnitOfWork(engine, ANN) as uow:
        won = opportunities.win(uow, clock, inforce, intake.lead_for_change(uow, second)).id
    refusals.append((second, 5.0, None, IllegalTransition, "is in stage customer"))
    for email, amount, rep, error, words in refusals:
        with pytest.raises(error, match=words), UnitOfWork(engine, ANN) as uow:
            opportunities.revise(uow, clock, intake.lead_for_change(uow, email), amount, date(2026, 7, 1), rep)
    with UnitOfWork(engine) as uow:
        assert uow.session.get_one(Opportunity, won).amount == 2000.0
