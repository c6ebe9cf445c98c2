"""Two rep actions on one lead at the same instant: one goes first, the other sees what it did.

Hundreds of pairs race on the same leads, each action in its own transaction as two requests would run, started
together at a barrier. Afterwards every lead's stage history is a valid chain (each change starts where the one
before ended, by a move the lifecycle allows) that ends in the lead's stage, and the lead has an open
assignment exactly while it is with a rep, and no owner once it is back with marketing.
"""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, select

from leadpact.domain.errors import LeadpactError
from leadpact.domain.lifecycle import TRANSITIONS, WITHDRAWABLE, WORKING, Stage
from leadpact.services import handoff, intake, opportunities, sales
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Assignment, Lead, StageChange
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import HOT, add_team, capture, record

Work = Callable[[UnitOfWork, FixedClock, InForce, Lead], object]
ANSWERS = {"budget": "yes", "authority": "decision_maker", "timing": "this_quarter"}

ACTIONS: dict[str, Work] = {
    "accept": lambda uow, clock, inforce, lead: sales.accept(uow, clock, inforce, lead),
    "recycle": lambda uow, clock, inforce, lead: sales.reject(uow, clock, inforce, lead, "not_ready"),
    "disqualify": lambda uow, clock, inforce, lead: sales.reject(uow, clock, inforce, lead, "bad_data"),
    "qualify": lambda uow, clock, inforce, lead: sales.qualify(uow, clock, inforce, lead, ANSWERS),
    "convert": lambda uow, clock, inforce, lead: opportunities.convert(
        uow, clock, inforce, lead, 1000.0, date(2026, 6, 30)
    ),
    "contact": lambda uow, clock, inforce, lead: sales.contact(uow, clock, lead),
}
PAIRS = [
    ("accept", "accept"),
    ("accept", "recycle"),
    ("recycle", "recycle"),
    ("recycle", "disqualify"),
    ("accept", "qualify"),
    ("qualify", "recycle"),
    ("accept", "contact"),
    ("convert", "recycle"),
]
ROUNDS = {"sqlite": 3, "postgresql": 30}
"""Pairs per kind: 24 races on SQLite (which serializes every writer anyway), 240 on PostgreSQL."""

BACK_WITH_MARKETING = frozenset({Stage.INQUIRY, Stage.RECYCLED, Stage.DISQUALIFIED})
"""Stages in which a lead belongs to no rep."""
SYSTEM_MOVES = {(Stage.MQL, origin) for origin in WITHDRAWABLE}
"""The agreement's own correction (late events withdraw a hand-off) is a move too, though no one acts."""


def _leads(engine: Engine, clock: FixedClock, inforce: InForce, count: int, name: str = "race") -> list[str]:
    """``count`` grade A leads, each handed to a rep by a contact form filled in now."""
    emails = [f"{name}{n}@acme.example" for n in range(count)]
    with UnitOfWork(engine) as uow:
        intake.capture_leads(uow, clock, inforce, [intake.LeadInput(email=e, **HOT) for e in emails])
    with UnitOfWork(engine) as uow:
        events = [intake.EventInput(f"form-{e}", e, "contact_form", clock.now()) for e in emails]
        intake.record_events(uow, clock, inforce, events)
    return emails


def _prepare(engine: Engine, clock: FixedClock, inforce: InForce, email: str, first: str) -> None:
    """Bring the lead to where the pair's first action applies: sal before qualify, sql before convert."""
    steps = {"qualify": ["accept"], "convert": ["accept", "qualify"]}.get(first, [])
    for step in steps:
        with UnitOfWork(engine) as uow:
            ACTIONS[step](uow, clock, inforce, intake.lead_for_change(uow, email))


def _together(engine: Engine, *calls: Callable[[UnitOfWork], object]) -> list[str]:
    """The calls at the same instant, each in its own unit of work; how each ended ('done' or the refusal's code)."""
    barrier = threading.Barrier(len(calls))
    outcomes = [""] * len(calls)

    def run(n: int) -> None:
        barrier.wait()
        try:
            with UnitOfWork(engine) as uow:
                calls[n](uow)
            outcomes[n] = "done"
        except LeadpactError as error:  # the one that went second may find its move no longer allowed
            outcomes[n] = error.code
        except BaseException as error:  # anything else fails the test, with what it was
            outcomes[n] = repr(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def _rep(clock: FixedClock, inforce: InForce, email: str, action: str) -> Callable[[UnitOfWork], object]:
    """A rep's action as the edges take it: the lead read for a change, then the service."""
    return lambda uow: ACTIONS[action](uow, clock, inforce, intake.lead_for_change(uow, email))


def _chain_problems(engine: Engine) -> list[str]:
    legal = {(before, after) for (before, _), after in TRANSITIONS.items()} | SYSTEM_MOVES
    problems = []
    with UnitOfWork(engine) as uow:
        changes: dict[int, list[StageChange]] = defaultdict(list)
        for change in uow.session.scalars(select(StageChange).order_by(StageChange.id)):
            changes[change.lead_id].append(change)
        open_assignments: dict[int, int] = defaultdict(int)
        for assignment in uow.session.scalars(select(Assignment).where(Assignment.ended_at.is_(None))):
            open_assignments[assignment.lead_id] += 1
        for lead in uow.session.scalars(select(Lead)):
            steps = changes[lead.id]
            chain = " -> ".join(str(c.to_stage) for c in steps)
            if steps[0].from_stage is not None:
                problems.append(f"{lead.email}: its history does not start with its capture: {chain}")
            for before, after in itertools.pairwise(steps):
                if after.from_stage != before.to_stage:
                    problems.append(f"{lead.email}: a change from {after.from_stage} follows one to {before.to_stage}")
                elif (Stage(after.from_stage), Stage(after.to_stage)) not in legal:
                    problems.append(f"{lead.email}: {after.from_stage} -> {after.to_stage} is not a move: {chain}")
            if steps[-1].to_stage != lead.stage:
                problems.append(f"{lead.email}: in stage {lead.stage}, but its history ends in {steps[-1].to_stage}")
            with_rep = lead.stage in WORKING
            if open_assignments[lead.id] != (1 if with_rep else 0):
                problems.append(f"{lead.email}: {open_assignments[lead.id]} open assignments in stage {lead.stage}")
            if lead.owner_id is not None and lead.stage in BACK_WITH_MARKETING:
                problems.append(f"{lead.email}: owner {lead.owner_id} in stage {lead.stage}")
    return problems


def test_rep_actions_racing_on_the_same_leads_leave_every_history_a_valid_chain(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    rounds = ROUNDS[engine.dialect.name]
    emails = iter(_leads(engine, clock, inforce, rounds * len(PAIRS)))
    outcomes: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for _ in range(rounds):
        for pair in PAIRS:
            email = next(emails)
            _prepare(engine, clock, inforce, email, pair[0])
            first, second = _together(engine, *(_rep(clock, inforce, email, action) for action in pair))
            assert {first, second} <= {"done", "illegal_transition", "not_permitted", "not_found", "invalid_input"}, (
                pair,
                first,
                second,
            )
            outcomes[pair].add((first, second))
    assert _chain_problems(engine) == []
    # two accepts: exactly one of them lands, whichever came first
    assert outcomes["accept", "accept"] <= {("done", "illegal_transition"), ("illegal_transition", "done")}
    assert all("done" in pair for pair in outcomes["recycle", "recycle"])
    assert ("done", "done") not in outcomes["recycle", "recycle"]


@pytest.mark.parametrize("first", ["accept", "recycle"])
def test_an_sla_check_racing_a_rep_leaves_one_open_assignment(engine: Engine, clock: FixedClock, first: str) -> None:
    """The worker reassigns a lead whose accept SLA ran out while its rep acts on it: one of them goes first.

    Each round hands over a new lead; at the moment of the race only that lead's SLA has run out (the leads of
    earlier rounds have a new rep with a new clock, or were accepted or sent back).
    """
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1, "cy": 1})
    late = FixedClock(clock.now() + timedelta(hours=8))  # past the 4 working hours to accept
    for round_ in range(ROUNDS[engine.dialect.name] * 2):
        (email,) = _leads(engine, clock, inforce, 1, name=f"late{round_}-")
        outcome = _together(
            engine, _rep(late, inforce, email, first), lambda uow: handoff.check_sla(uow, late, inforce)
        )
        assert outcome[1] == "done"
        assert outcome[0] in ("done", "not_permitted")  # the lead may have gone to the other rep first
    assert _chain_problems(engine) == []


@pytest.mark.parametrize("by_event", [True, False], ids=["event", "capture"])
def test_what_would_hand_an_inquiry_over_waits_for_a_change_of_it_under_way(
    engine: Engine, clock: FixedClock, by_event: bool
) -> None:
    """Marketing is disqualifying an inquiry (its lead read for the change, the transaction open) when an event or
    a capture with new fields would hand it to sales: that waits, then finds it disqualified, and hands nothing."""
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    email = "inquiry@acme.example"
    capture(engine, clock, inforce, email, **{**HOT, "employees": 50})  # fit 35, grade B
    record(engine, clock, inforce, intake.EventInput("seed", email, "webinar_attended", clock.now()))  # 50 in all
    finished = threading.Event()

    def hand_over() -> None:
        with UnitOfWork(engine) as uow:
            if by_event:  # a contact form: 30 more, 80 in all
                intake.record_events(
                    uow, clock, inforce, [intake.EventInput("form", email, "contact_form", clock.now())]
                )
            else:  # a target size: 15 more fit, 65 in all, grade A
                intake.capture_lead(uow, clock, inforce, intake.LeadInput(email=email, employees=800))
        finished.set()

    with UnitOfWork(engine) as uow:
        lead = intake.lead_for_change(uow, email)
        other = threading.Thread(target=hand_over)
        other.start()
        assert not finished.wait(0.5)  # it waits for the change under way
        sales.disqualify(uow, clock, inforce, lead, "bad_data")
    other.join(timeout=15)
    assert finished.is_set()
    assert _chain_problems(engine) == []
    with UnitOfWork(engine) as uow:
        assert intake.find_lead(uow, email).stage == "disqualified"
