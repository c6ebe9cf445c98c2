"""The audit trail: every change a person or a token makes is kept, with who, when and from where; the changes
the agreement makes by itself are not, and nothing in leadpact edits the trail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from leadpact.domain.audit import ACTIONS, Actor
from leadpact.domain.feedback import Given
from leadpact.domain.permissions import Principal, Role
from leadpact.services import (
    accounts,
    agreements,
    audit,
    auth,
    bulk_actions,
    campaigns,
    dedupe,
    feedback,
    forms,
    imports,
    intake,
    models,
    nurture,
    opportunities,
    people,
    privacy,
    profiles,
    rescore,
    sales,
    screening,
    signoff,
    store_clock,
    team,
    webhooks,
    workshops,
)
from leadpact.services.clock import FixedClock
from leadpact.store.tables import AuditEntry, Lead, WorkshopLead
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import HOT, add_team, agreement_text, capture, hand_off
from tests.learning.leadmodel_world import AS_OF, HORIZON, clear_models, shared
from tests.learning.test_profile import customers
from tests.screening import with_screening

ROOT = Actor("root", "api", "10.0.0.7")
EXAMPLES = Path(__file__).parents[2] / "src" / "leadpact" / "examples"
EVIDENCE = {"profile.learn", "model.train", "workshop.start", "workshop.grade", "workshop.label"}
"""Kept by the test of the evidence: learning a profile, training a model, a workshop's sample and grades."""


def _trail(engine: Engine, after: int = 0) -> list[tuple[str, str, str, str | None, str]]:
    """(actor, via, action, address, subject) of the entries after the id ``after``, oldest first."""
    with UnitOfWork(engine) as uow:
        rows = uow.session.scalars(select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id))
        return [(e.actor, e.via, e.action, e.address, e.subject) for e in rows]


def test_every_kind_of_change_made_by_someone_is_kept_with_who_and_from_where(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    ids = {email: hand_off(engine, clock, inforce, email) for email in ("won@acme.example", "lost@acme.example")}
    capture(engine, clock, inforce, "spam@acme.example")
    costs_file = tmp_path / "costs.csv"
    costs_file.write_text("campaign,date,amount\nSpring,2026-03-01,100\n")
    answers = {"budget": "yes", "authority": "user", "timing": "later"}

    def act(email: str, *steps: str) -> None:
        with UnitOfWork(engine, ROOT) as uow:
            lead = intake.lead_for_change(uow, email)
            work: dict[str, Callable[[], object]] = {
                "accept": lambda: sales.accept(uow, clock, inforce, lead),
                "contact": lambda: sales.contact(uow, clock, lead),
                "feedback": lambda: feedback.record(uow, clock, inforce, lead, "contact", Given("roboworks")),
                "qualify": lambda: sales.qualify(uow, clock, inforce, lead, answers),
                "convert": lambda: opportunities.convert(uow, clock, inforce, lead, 5.0, date(2026, 6, 1)),
                "stage": lambda: opportunities.move_stage(uow, clock, inforce, lead, "proposal"),
                "revise": lambda: opportunities.revise(uow, clock, lead, 7.0, date(2026, 7, 1)),
                "won": lambda: opportunities.win(uow, clock, inforce, lead),
                "lost": lambda: opportunities.lose(uow, clock, inforce, lead, "price"),
                "reject": lambda: sales.reject(uow, clock, inforce, lead, "not_ready"),
                "disqualify": lambda: sales.disqualify(uow, clock, inforce, lead, "bad_data"),
            }
            for step in steps:
                work[step]()

    act("won@acme.example", "accept", "contact", "feedback", "qualify", "convert", "stage", "won")
    act("lost@acme.example", "accept", "qualify", "convert", "stage", "revise", "lost")
    act("spam@acme.example", "disqualify")
    hand_off(engine, clock, inforce, "back@acme.example")
    act("back@acme.example", "reject")
    moved = hand_off(engine, clock, inforce, "moved@acme.example")
    with UnitOfWork(engine, ROOT) as uow:
        team.add_user(uow, clock, "dana", "manager", side="marketing")
        team.add_user(uow, clock, "sam", "manager", side="sales")
        auth.set_password(uow, clock, "dana", "long enough secret")
        team.add_user(uow, clock, "kit", "marketing")
        people.set_role(uow, clock, "kit", "manager", side="sales")
        people.disable(uow, clock, "kit")
        people.enable(uow, clock, "kit")
        team.set_available(uow, clock, "ann", False)
        team.set_available(uow, clock, "ann", True)
        team.set_capacity(uow, clock, "ann", 2)
        team.set_max_open(uow, clock, "ann", 20)
        accounts.set_owner(uow, clock, "acme.example", "ann")
        team.set_manager(uow, clock, "americas", "dana")
        team.add_user(uow, clock, "bob", "rep", team="americas", capacity=1)
        bulk_actions.reassign(uow, clock, inforce, Principal(Role.ADMIN, "root"), [moved], "bob")
        _, token = auth.create_token(uow, clock, "crm", "marketing")
        auth.revoke_token(uow, clock, token.id)
        hook, _ = webhooks.add(uow, clock, "https://crm.acme.example/hook", [])
        webhooks.remove(uow, clock, hook.id)
        forms.add_form(uow, clock, "contact us", "website", [], {})
        twins = [intake.LeadInput("twin@acme.example"), intake.LeadInput("twin+news@acme.example")]
        intake.capture_leads(uow, clock, inforce, twins)
        dedupe.merge_leads(uow, clock, inforce, "twin@acme.example", "twin+news@acme.example")
        campaigns.record_campaigns(uow, clock, [campaigns.CampaignInput("Spring", "events")])
        imports.run(uow, clock, "costs", costs_file, {})
        privacy.export(uow, clock, "spam@acme.example")
        privacy.erase(uow, clock, "spam@acme.example", "asked")
        nurture.adopt(uow, clock, inforce, (EXAMPLES / "nurture.yaml").read_text(), "nurture.yaml", "dana")
        nurture.enroll(uow, clock, inforce, "not-ready", ["back@acme.example"])
        store_clock.set_to(uow, clock, clock.now())
        store_clock.clear(uow, clock)
    with UnitOfWork(engine, ROOT) as uow:
        users = {u.name: u.id for u, _ in team.reps(uow)}
        dana = Principal(Role.MANAGER, "dana", users["dana"], "marketing")
        sam = Principal(Role.MANAGER, "sam", users["sam"], "sales")
        more = agreement_text(("contact_form:          {points: 30}", "contact_form:          {points: 35}"))
        candidate = signoff.upload(uow, clock, dana, more, "v2")
        signoff.sign(uow, clock, dana, candidate.id)
        signoff.sign(uow, clock, sam, candidate.id)
    with UnitOfWork(engine, ROOT) as uow:
        assert rescore.rescore(uow, clock, agreements.in_force(uow)).ledger_rows > 0  # the forms count 5 more
    with UnitOfWork(engine) as uow:  # a version with screening: the qualifiers' work is audited too
        agreements.adopt(uow, clock, with_screening(), "agreement.yaml", "Dana", "Sam")
    with UnitOfWork(engine, ROOT) as uow:
        inforce = agreements.in_force(uow)
        for email in ("call@acme.example", "later@acme.example", "gone@acme.example"):
            intake.capture_lead(uow, clock, inforce, intake.LeadInput(email, source="webinar", **HOT))
        called = intake.lead_for_change(uow, "call@acme.example")
        screening.call(uow, clock, inforce, called, "reached")
        screening.pass_to_sales(uow, clock, inforce, called, answers={"budget": "yes", "authority": "influencer"})
        screening.not_yet(uow, clock, inforce, intake.lead_for_change(uow, "later@acme.example"))
        screening.disqualify(uow, clock, inforce, intake.lead_for_change(uow, "gone@acme.example"), "competitor")
    trail = _trail(engine)
    assert {(actor, via, address) for actor, via, _, address, _ in trail} == {("root", "api", "10.0.0.7")}
    done = {action for _, _, action, _, _ in trail}
    assert done == set(ACTIONS) - {"sign_in.throttled"} - EVIDENCE  # throttling: the sign-in tests
    assert ("lead.won", f"lead {ids['won@acme.example']}") in {(a, s) for _, _, a, _, s in trail}
    assert [e for e in trail if "@" in e[4]] == []  # entries name leads by id: an erasure leaves the trail alone


def test_the_agreement_acting_by_itself_is_not_in_the_trail(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    hand_off(engine, clock, inforce, "lee@acme.example")  # scored, handed over, dealt: the agreement's doing
    with UnitOfWork(engine) as uow:
        assert audit.entries(uow) == []


def test_the_trail_reads_newest_first_from_a_moment(engine: Engine, clock: FixedClock) -> None:
    with UnitOfWork(engine, ROOT) as uow:
        team.add_user(uow, clock, "ann", "rep", team="americas", capacity=1)
    later = FixedClock(clock.now() + timedelta(hours=1))
    with UnitOfWork(engine, ROOT) as uow:
        team.set_available(uow, later, "ann", False)
    with UnitOfWork(engine) as uow:
        assert [e.action for e in audit.entries(uow)] == ["team.away", "person.add"]
        assert [e.action for e in audit.entries(uow, later.now())] == ["team.away"]
        assert [e.action for e in audit.entries(uow, limit=1)] == ["team.away"]
        assert audit.count(uow, "team.away", clock.now()) == 1


def test_learning_training_and_the_workshops_are_kept_in_the_trail(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    world = shared("sqlite", tmp_path_factory.getbasetemp())
    clock = FixedClock(AS_OF)
    path = tmp_path / "customers.csv"
    customers(300).to_csv(path, index=False)
    with UnitOfWork(world.engine, ROOT) as uow:
        before = uow.session.scalar(select(func.max(AuditEntry.id))) or 0
        profiles.learn_file(uow, clock, path, "customers.csv", "bought", id_column="customer_no", name="crm")
    with UnitOfWork(world.engine, ROOT) as uow:
        models.train(uow, clock, world.inforce, "opportunity", AS_OF, HORIZON)
    with UnitOfWork(world.engine, ROOT) as uow:
        workshops.start(uow, clock, "audited", sample=4, seed=1)
    with UnitOfWork(world.engine) as uow:
        drawn = uow.session.execute(
            select(Lead.email, Lead.id).join(WorkshopLead).order_by(WorkshopLead.position)
        ).all()
    with UnitOfWork(world.engine, ROOT) as uow:
        workshops.label(uow, clock, "audited", f"email,side,grade\n{drawn[0].email},sales,B\n", "grades.csv")
    with UnitOfWork(world.engine, ROOT) as uow:
        workshops.grade(uow, clock, "audited", drawn[1].id, "marketing", "A")
    trail = _trail(world.engine, after=before)
    assert [(action, subject) for _, _, action, _, subject in trail] == [
        ("profile.learn", "profile crm v1"),
        ("model.train", "model v1"),
        ("workshop.start", "workshop audited"),
        ("workshop.label", "workshop audited"),
        ("workshop.grade", f"lead {drawn[1].id}"),
    ]
    clear_models(world.engine)
