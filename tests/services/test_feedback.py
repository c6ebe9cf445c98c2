"""Sales feedback on contact, lost and won, from the agreement's lists; and a lead's activity timeline."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import Engine, select

from leadpact.domain.audit import Actor
from leadpact.domain.errors import InvalidInput, LeadpactError, NotPermitted
from leadpact.domain.feedback import Given
from leadpact.services import campaigns, feedback, intake, opportunities, privacy, sales, timeline
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.tables import AuditEntry, Feedback, Lead
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import EXAMPLE, adopt_example
from tests.factories import add_team, hand_off, hours

ANN = "ann@acme.example"
ANSWERS = {"budget": "yes", "authority": "decision_maker", "timing": "this_quarter"}

Action = Callable[[UnitOfWork, FixedClock, InForce, Lead], object]


def act(engine: Engine, clock: FixedClock, inforce: InForce, action: Action) -> object:
    with UnitOfWork(engine, Actor("alice", "cli")) as uow:
        return action(uow, clock, inforce, intake.find_lead(uow, ANN))


@pytest.fixture
def inforce(engine: Engine, clock: FixedClock) -> InForce:
    """The example agreement (with its feedback lists); Ann is an MQL of alice's, bob is another team's rep."""
    adopted = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"alice": 1})
    add_team(engine, clock, "emea", {"bob": 1})
    hand_off(engine, clock, adopted, ANN)
    with UnitOfWork(engine) as uow:
        campaigns.record_campaigns(uow, clock, [campaigns.CampaignInput(name="spring-webinar")])
    return adopted


def test_a_rep_records_feedback_on_contact_and_won_and_the_timeline_lists_everything_in_order(
    engine: Engine, clock: FixedClock, inforce: InForce
) -> None:
    clock.at += hours(1)
    act(engine, clock, inforce, lambda uow, c, i, lead: sales.accept(uow, c, i, lead))
    clock.at += hours(1)

    def contact(uow: UnitOfWork, c: FixedClock, i: InForce, lead: Lead) -> None:
        sales.contact(uow, c, lead)
        given = Given("roboworks", ("sap_connector", "mobile_app", "sap_connector"), "roi_calculator", "  Uses SAP.  ")
        feedback.record(uow, c, i, lead, "contact", given, "alice")

    act(engine, clock, inforce, contact)
    clock.at += hours(1)
    act(engine, clock, inforce, lambda uow, c, i, lead: sales.contact(uow, c, lead))
    clock.at += hours(1)
    act(engine, clock, inforce, lambda uow, c, i, lead: sales.qualify(uow, c, i, lead, ANSWERS))
    clock.at += hours(1)
    act(
        engine, clock, inforce, lambda uow, c, i, lead: opportunities.convert(uow, c, i, lead, 40_000, date(2026, 6, 1))
    )
    act(engine, clock, inforce, lambda uow, c, i, lead: opportunities.move_stage(uow, c, i, lead, "proposal"))
    clock.at += hours(1)

    def win(uow: UnitOfWork, c: FixedClock, i: InForce, lead: Lead) -> None:
        opportunities.win(uow, c, i, lead)
        feedback.record(uow, c, i, lead, "won", Given(competitor="automata", message="spring-webinar"))

    act(engine, clock, inforce, win)

    with UnitOfWork(engine) as uow:
        rows = list(uow.session.scalars(select(Feedback).order_by(Feedback.id)))
        assert [(f.moment, f.competitor, f.message, f.note) for f in rows] == [
            ("contact", "roboworks", "roi_calculator", "Uses SAP."),
            ("won", "automata", "spring-webinar", None),  # a campaign the store knows is a message too
        ]
        assert feedback.requests_of(uow, rows[0]) == ["mobile_app", "sap_connector"]
        assert rows[0].opportunity_id is None
        assert rows[1].opportunity_id is not None
        trail = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "feedback.record")).all()
        assert [json.loads(e.detail)["moment"] for e in trail] == ["contact", "won"]
        items = timeline.timeline(uow, intake.find_lead(uow, ANN), clock.now())
    assert [(i.kind, i.what) for i in items] == [
        ("event", "contact form"),
        ("stage", "captured as inquiry"),
        ("stage", "inquiry → mql"),
        ("handoff", "handed to alice"),
        ("stage", "mql → sal"),
        ("contact", "first contact"),
        (
            "feedback",
            "feedback on contact: competitor roboworks; requests mobile app, sap connector; message roi calculator",
        ),
        ("contact", "contact"),
        ("stage", "sal → sql"),
        ("answers", "qualification answers"),
        ("stage", "sql → opportunity"),
        ("deal", f"opportunity {rows[1].opportunity_id} opened in discovery"),
        ("deal", f"opportunity {rows[1].opportunity_id}: discovery → proposal"),
        ("stage", "opportunity → customer"),
        ("deal", f"opportunity {rows[1].opportunity_id} won"),
        ("feedback", "feedback on won: competitor automata; message spring-webinar"),
    ]
    assert items[6].detail == "Uses SAP."
    assert items[6].by == "alice"
    assert items[9].detail == "authority: decision maker, budget: yes, timing: this quarter"
    with UnitOfWork(engine) as uow:  # nothing after the moment looked from
        earlier = timeline.timeline(uow, intake.find_lead(uow, ANN), clock.now() - hours(5))
    assert [i.kind for i in earlier] == ["event", "stage", "stage", "handoff", "stage"]


def refusal(engine: Engine, clock: FixedClock, inforce: InForce, action: Action, error: type[LeadpactError]) -> str:
    """The action fails with ``error`` and keeps no feedback."""
    with pytest.raises(error) as caught:
        act(engine, clock, inforce, action)
    with UnitOfWork(engine) as uow:
        assert uow.session.scalars(select(Feedback)).all() == []
    return caught.value.detail


def record(moment: str, given: Given, rep: str | None = None) -> Action:
    return lambda uow, c, i, lead: feedback.record(uow, c, i, lead, moment, given, rep)


def test_feedback_outside_the_lists_or_with_nothing_to_give_it_on_is_refused_with_what_is_allowed(
    engine: Engine, clock: FixedClock, inforce: InForce
) -> None:
    bad = Given(competitor="acme")
    assert refusal(engine, clock, inforce, record("contact", bad), InvalidInput) == (
        "competitor: 'acme' is not a competitor the agreement lists; use one of: roboworks, automata, in_house"
    )
    assert "requests: 'crm' is not a product request" in refusal(
        engine, clock, inforce, record("contact", Given(requests=("crm",))), InvalidInput
    )
    assert "use one of: roi_calculator, case_study_auto, webinar_series" in refusal(
        engine, clock, inforce, record("contact", Given(message="billboard")), InvalidInput
    )
    good = Given(competitor="roboworks")
    assert "has no contact logged by a rep" in refusal(engine, clock, inforce, record("contact", good), InvalidInput)
    assert "has no deal closed as lost" in refusal(engine, clock, inforce, record("lost", good), InvalidInput)
    assert (
        refusal(engine, clock, inforce, record("call", good), InvalidInput)
        == "moment: 'call' is not one of contact, lost, won"
    )
    act(engine, clock, inforce, lambda uow, c, i, lead: sales.accept(uow, c, i, lead))
    act(engine, clock, inforce, lambda uow, c, i, lead: sales.contact(uow, c, lead))
    assert "is not bob's" in refusal(engine, clock, inforce, record("contact", good, "bob"), NotPermitted)
    act(engine, clock, inforce, record("contact", Given("roboworks", note="Ann's mobile: 555-0100"), "alice"))
    with UnitOfWork(engine) as uow:  # an erasure takes the rep's words about the person, not the business facts
        assert privacy.export(uow, clock, ANN)["feedback"][0]["note"] == "Ann's mobile: 555-0100"
        privacy.erase(uow, clock, ANN, "request of 2026-03-02")
    with UnitOfWork(engine) as uow:
        assert [(f.competitor, f.note) for f in uow.session.scalars(select(Feedback))] == [("roboworks", None)]


def test_without_a_feedback_section_there_is_nothing_to_record(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock, re.sub(r"\nfeedback:.*?(?=\n\S)", "", EXAMPLE.read_text(), flags=re.S))
    add_team(engine, clock, "americas", {"alice": 1})
    hand_off(engine, clock, inforce, ANN)
    act(engine, clock, inforce, lambda uow, c, i, lead: sales.accept(uow, c, i, lead))
    act(engine, clock, inforce, lambda uow, c, i, lead: sales.contact(uow, c, lead))
    assert "has no feedback section" in refusal(
        engine, clock, inforce, record("contact", Given(note="keen")), InvalidInput
    )
