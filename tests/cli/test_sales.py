"""A rep's queue and what is done with a lead from the command line: each command's words and what it stored."""

from __future__ import annotations

import json

from sqlalchemy import Engine, select

from leadpact.services.clock import FixedClock
from leadpact.store.tables import LeadField, Opportunity, StageChange
from leadpact.store.unit_of_work import UnitOfWork
from tests.cli.conftest import AT, Handed
from tests.conftest import adopt_example
from tests.factories import add_team, assignments, capture, hand_off, history, lead
from tests.test_cli_access import refused, run

ANN = "ann@acme.example"


def opportunity(engine: Engine, email: str) -> Opportunity:
    with UnitOfWork(engine) as uow:
        found = uow.session.scalars(select(Opportunity).where(Opportunity.lead_id == lead(engine, email).id)).one()
        uow.session.expunge(found)
        return found


def answers(engine: Engine, email: str) -> dict[str, str]:
    with UnitOfWork(engine) as uow:
        found = select(LeadField.name, LeadField.value).where(LeadField.lead_id == lead(engine, email).id)
        return dict(uow.session.execute(found).all())


def test_the_queue_lists_a_reps_open_leads_with_their_sla(handed: Handed) -> None:
    table = run(handed.url, "queue", "alice", "--at", AT)
    assert ANN in table
    assert "accept due 2026-03-02 19:00 UTC" in table
    (item,) = json.loads(run(handed.url, "queue", "alice", "--at", AT, "--json"))
    assert (item["lead_id"], item["email"], item["stage"], item["grade"]) == (
        lead(handed.engine, ANN).id,
        ANN,
        "mql",
        "A",
    )
    run(handed.url, "rep", "add", "bob", "--team", "americas")
    assert "bob has no open leads." in run(handed.url, "queue", "bob", "--at", AT)


def test_a_lead_goes_from_accepted_to_won_one_command_at_a_time(handed: Handed) -> None:
    url, engine = handed.url, handed.engine
    assert f"{ANN} accepted." in run(url, "accept", ANN, "--at", AT)
    assert lead(engine, ANN).stage == "sal"
    assert assignments(engine, ANN)[-1].accepted_at is not None

    assert f"Contact with {ANN} logged (first contact)." in run(url, "contact", ANN, "--at", AT)
    assert f"Contact with {ANN} logged." in run(url, "contact", ANN, "--rep", "alice", "--at", AT)
    assert assignments(engine, ANN)[-1].contacted_at is not None

    assert "--answer: 'budget' is not KEY=VALUE" in refused(url, "qualify", ANN, "--answer", "budget")
    printed = run(
        url,
        "qualify",
        ANN,
        "--budget",
        "yes",
        "--authority",
        "decision_maker",
        "--timing",
        "this_quarter",
        "--at",
        AT,
    )
    assert f"{ANN} is sales-qualified." in printed
    assert lead(engine, ANN).stage == "sql"
    assert answers(engine, ANN) == {
        "answers.budget": "yes",
        "answers.authority": "decision_maker",
        "answers.timing": "this_quarter",
    }

    bad_date = refused(url, "convert", ANN, "--amount", "5000", "--close-date", "soon")
    nothing = refused(url, "convert", ANN, "--amount", "0", "--close-date", "2026-06-30", "--at", AT)
    assert nothing == "--amount: an opportunity's amount is above 0"
    assert "--close-date: 'soon' is not a date like 2026-01-31" in bad_date
    printed = run(url, "convert", ANN, "--amount", "5000", "--close-date", "2026-06-30", "--at", AT)
    made = opportunity(engine, ANN)
    assert f"{ANN} is now opportunity {made.id} in stage discovery." in printed
    assert (made.amount, f"{made.close_date}", lead(engine, ANN).stage) == (5000, "2026-06-30", "opportunity")

    assert f"{ANN}: opportunity moved to proposal." in run(url, "stage", ANN, "proposal", "--at", AT)
    assert opportunity(engine, ANN).stage == "proposal"

    assert f"{ANN}: won." in run(url, "won", ANN, "--at", AT)
    assert opportunity(engine, ANN).won is True
    assert lead(engine, ANN).stage == "customer"


def test_an_opportunity_is_lost_with_a_reason_of_its_stage_and_the_lead_is_recycled(handed: Handed) -> None:
    url, engine = handed.url, handed.engine
    for command in (
        ["accept"],
        ["qualify", "--answer", "budget = no", "--answer", "authority=user", "--answer", "timing=later"],
        ["convert", "--amount", "800", "--close-date", "2026-05-01"],
    ):
        run(url, command[0], ANN, *command[1:], "--at", AT)
    wrong_stage = refused(url, "lost", ANN, "--reason", "price", "--at", AT)  # a proposal's reason, not discovery's
    assert "'price' is not a lost reason at stage discovery" in wrong_stage
    assert f"{ANN}: lost (no_need)." in run(url, "lost", ANN, "--reason", "no_need", "--at", AT)
    closed = opportunity(engine, ANN)
    assert (closed.won, closed.lost_reason) == (False, "no_need")
    assert lead(engine, ANN).stage == "recycled"


def test_a_rejected_lead_goes_back_to_marketing_with_its_reason(handed: Handed) -> None:
    assert "'bored' is not a reject reason" in refused(handed.url, "reject", ANN, "--reason", "bored", "--at", AT)
    assert f"{ANN} rejected: not_ready." in run(handed.url, "reject", ANN, "--reason", "not_ready", "--at", AT)
    assert history(handed.engine, ANN)[-1] == ("mql", "recycled", "not_ready")
    assert assignments(handed.engine, ANN)[-1].ended_at is not None


def test_a_reject_may_carry_a_note_in_the_reps_words(engine: Engine, clock: FixedClock) -> None:
    """On each engine: the note goes where the reject is recorded, and the lead's activity shows it."""
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"alice": 1})
    hand_off(engine, clock, inforce, ANN)
    handed = Handed(engine, inforce)
    note = "New budget cycle in Q3: call back then."
    refusal = refused(handed.url, "reject", ANN, "--reason", "not_ready", "--note", "x" * 2_001, "--at", AT)
    assert "--note: a note is at most 2,000 characters" in refusal
    printed = run(handed.url, "reject", ANN, "--reason", "not_ready", "--note", note, "--at", AT)
    assert f"{ANN} rejected: not_ready, with your note." in printed
    with UnitOfWork(handed.engine) as uow:
        rejected = uow.session.scalars(select(StageChange).where(StageChange.to_stage == "recycled")).one()
        assert (rejected.reason, rejected.note) == ("not_ready", note)
    assert f"not ready: {note}" in run(handed.url, "lead", "show", ANN, "--at", AT)


def test_marketing_disqualifies_an_inquiry_for_good(handed: Handed, clock: FixedClock) -> None:
    capture(handed.engine, clock, handed.inforce, "spam@junk.example")
    printed = run(handed.url, "disqualify", "spam@junk.example", "--reason", "bad_data", "--at", AT)
    assert "spam@junk.example disqualified: bad_data." in printed
    assert history(handed.engine, "spam@junk.example")[-1] == ("inquiry", "disqualified", "bad_data")
