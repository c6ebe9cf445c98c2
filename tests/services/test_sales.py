"""What reps do with their leads: the happy path from MQL to customer, and every refusal with its code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import Engine, select

from leadpact.domain import errors
from leadpact.domain.scoring import to_seconds
from leadpact.services import intake, opportunities, privacy, sales, timeline
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Lead, Opportunity, OpportunityChange, StageChange, User
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import add_team, assignments, days, hand_off, history, hours, lead, ledger, messages

LEE = "lee@acme.example"
ANSWERS = {"budget": "yes", "authority": "decision_maker", "timing": "this_quarter"}

Action = Callable[[UnitOfWork, FixedClock, InForce, Lead], object]


@pytest.fixture
def inforce(engine: Engine, clock: FixedClock) -> InForce:
    """The example agreement; Lee is an MQL of ann's (americas); bob, of emea, is another rep."""
    adopted = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    add_team(engine, clock, "emea", {"bob": 1})
    hand_off(engine, clock, adopted, LEE)
    return adopted


def act(engine: Engine, clock: FixedClock, inforce: InForce, action: Action, email: str = LEE) -> object:
    with UnitOfWork(engine) as uow:
        return action(uow, clock, inforce, intake.find_lead(uow, email))


def refused(
    engine: Engine, clock: FixedClock, inforce: InForce, action: Action, error: type[errors.LeadpactError]
) -> errors.LeadpactError:
    """The action fails with ``error`` and changes nothing of the lead."""
    before = lead(engine, LEE)
    steps = history(engine, LEE)
    with pytest.raises(error) as caught:
        act(engine, clock, inforce, action)
    after = lead(engine, LEE)
    assert (after.stage, after.owner_id, after.cooldown_until) == (before.stage, before.owner_id, before.cooldown_until)
    assert history(engine, LEE) == steps
    return caught.value


def accept(uow: UnitOfWork, clock: FixedClock, inforce: InForce, lead_: Lead) -> None:
    sales.accept(uow, clock, inforce, lead_)


def answer_questions(uow: UnitOfWork, clock: FixedClock, inforce: InForce, lead_: Lead) -> None:
    sales.qualify(uow, clock, inforce, lead_, ANSWERS)


def convert(uow: UnitOfWork, clock: FixedClock, inforce: InForce, lead_: Lead) -> None:
    opportunities.convert(uow, clock, inforce, lead_, 48_000.0, date(2026, 6, 30))


def to_sql(engine: Engine, clock: FixedClock, inforce: InForce) -> None:
    act(engine, clock, inforce, accept)
    act(engine, clock, inforce, answer_questions)


def to_opportunity(engine: Engine, clock: FixedClock, inforce: InForce) -> None:
    to_sql(engine, clock, inforce)
    act(engine, clock, inforce, convert)


def move(stage: str, rep: str | None = None) -> Action:
    return lambda uow, clock, inforce, lead_: opportunities.move_stage(uow, clock, inforce, lead_, stage, rep)


def opportunity_of(engine: Engine) -> Opportunity:
    with UnitOfWork(engine) as uow:
        found = uow.session.scalars(select(Opportunity)).one()
        uow.session.expunge(found)
        return found


def test_a_lead_goes_from_mql_to_customer_with_every_step_recorded(
    engine: Engine, clock: FixedClock, inforce: InForce
) -> None:
    clock.at += hours(1)
    act(engine, clock, inforce, accept)
    assert lead(engine, LEE).stage == "sal"
    (assignment,) = assignments(engine, LEE)
    assert assignment.accepted_at == clock.now()
    assert act(engine, clock, inforce, lambda u, c, i, lead_: sales.contact(u, c, lead_)) is True
    assert act(engine, clock, inforce, lambda u, c, i, lead_: sales.contact(u, c, lead_)) is False  # not the first
    assert assignments(engine, LEE)[0].contacted_at == clock.now()
    clock.at += days(1)
    act(engine, clock, inforce, answer_questions)
    assert (lead(engine, LEE).stage, lead(engine, LEE).fit) == ("sql", 60.0)  # budget yes: +10
    assert ledger(engine, LEE)[-1] == ("fit", "has-budget", 10.0, inforce.version)
    act(engine, clock, inforce, convert)
    opportunity = opportunity_of(engine)
    assert (opportunity.stage, opportunity.amount, opportunity.close_date) == ("discovery", 48_000.0, date(2026, 6, 30))
    assert assignments(engine, LEE)[0].end_reason == "converted"
    for stage in ("proposal", "discovery", "proposal", "negotiation"):  # forward one, back any, forward again
        act(engine, clock, inforce, move(stage, "ann"))
    assert opportunity_of(engine).stage == "negotiation"
    act(engine, clock, inforce, lambda u, c, i, lead_: opportunities.win(u, c, i, lead_, "ann"))
    won = opportunity_of(engine)
    assert (won.won, won.closed_at) == (True, clock.now())
    assert history(engine, LEE) == [
        (None, "inquiry", None),
        ("inquiry", "mql", None),
        ("mql", "sal", None),
        ("sal", "sql", None),
        ("sql", "opportunity", None),
        ("opportunity", "customer", None),
    ]
    with UnitOfWork(engine) as uow:
        ann = uow.session.scalars(select(User.id).where(User.name == "ann")).one()
        changes = list(uow.session.scalars(select(StageChange).order_by(StageChange.id)))
        assert [c.by_user_id for c in changes] == [None, None, ann, ann, ann, ann]  # the agreement, then the rep
        assert {c.version for c in changes} == {inforce.version}
        stages = [
            (c.from_stage, c.to_stage)
            for c in uow.session.scalars(select(OpportunityChange).order_by(OpportunityChange.id))
        ]
        assert stages == [
            (None, "discovery"),
            ("discovery", "proposal"),
            ("proposal", "discovery"),
            ("discovery", "proposal"),
            ("proposal", "negotiation"),
        ]
    assert messages(engine, "opportunity.won")[0]["amount"] == 48_000.0


def test_only_the_assigned_rep_may_act_on_a_lead(engine: Engine, clock: FixedClock, inforce: InForce) -> None:
    actions: list[Action] = [
        lambda u, c, i, lead_: sales.accept(u, c, i, lead_, "bob"),
        lambda u, c, i, lead_: sales.reject(u, c, i, lead_, "not_ready", "bob"),
        lambda u, c, i, lead_: sales.contact(u, c, lead_, "bob"),
    ]
    for action in actions:
        error = refused(engine, clock, inforce, action, errors.NotPermitted)
        assert error.code == "not_permitted"
        assert "ann" in error.detail
    act(engine, clock, inforce, lambda u, c, i, lead_: sales.accept(u, c, i, lead_, "ann"))
    refused(
        engine,
        clock,
        inforce,
        lambda u, c, i, lead_: sales.qualify(u, c, i, lead_, ANSWERS, "bob"),
        errors.NotPermitted,
    )
    act(engine, clock, inforce, answer_questions)
    refused(
        engine,
        clock,
        inforce,
        lambda u, c, i, lead_: opportunities.convert(u, c, i, lead_, 1.0, date(2026, 6, 1), "bob"),
        errors.NotPermitted,
    )
    act(engine, clock, inforce, convert)
    refused(engine, clock, inforce, move("proposal", "bob"), errors.NotPermitted)
    refused(
        engine, clock, inforce, lambda u, c, i, lead_: opportunities.win(u, c, i, lead_, "bob"), errors.NotPermitted
    )


def test_a_name_that_is_no_user_is_not_found(engine: Engine, clock: FixedClock, inforce: InForce) -> None:
    error = refused(
        engine, clock, inforce, lambda u, c, i, lead_: sales.accept(u, c, i, lead_, "nobody"), errors.NotFound
    )
    assert error.code == "not_found"


def test_a_lead_nobody_owns_cannot_be_worked(engine: Engine, clock: FixedClock, inforce: InForce) -> None:
    intake_only = "ivy@ivy.example"
    with UnitOfWork(engine) as uow:
        intake.capture_lead(uow, clock, inforce, intake.LeadInput(email=intake_only))
    with pytest.raises(errors.NotPermitted, match="not assigned"):
        act(engine, clock, inforce, lambda u, c, i, lead_: sales.contact(u, c, lead_), email=intake_only)
    assert lead(engine, intake_only).stage == "inquiry"


def test_a_lead_cannot_be_accepted_twice(engine: Engine, clock: FixedClock, inforce: InForce) -> None:
    act(engine, clock, inforce, accept)
    error = refused(engine, clock, inforce, accept, errors.IllegalTransition)
    assert error.code == "illegal_transition"
    assert "sal" in error.detail


def test_qualification_answers_need_an_accepted_lead(engine: Engine, clock: FixedClock, inforce: InForce) -> None:
    refused(engine, clock, inforce, answer_questions, errors.IllegalTransition)


def test_an_accepted_lead_cannot_skip_qualification_to_an_opportunity(
    engine: Engine, clock: FixedClock, inforce: InForce
) -> None:
    act(engine, clock, inforce, accept)
    refused(engine, clock, inforce, convert, errors.IllegalTransition)


@pytest.mark.parametrize(
    ("answers", "named"),
    [
        ({"budget": "yes", "authority": "decision_maker"}, "missing: timing"),
        ({**ANSWERS, "budget": "lots"}, "lots"),
        ({**ANSWERS, "mood": "good"}, "mood"),
    ],
)
def test_qualification_answers_must_be_complete_and_from_the_agreement(
    engine: Engine, clock: FixedClock, inforce: InForce, answers: dict[str, str], named: str
) -> None:
    act(engine, clock, inforce, accept)
    error = refused(
        engine, clock, inforce, lambda u, c, i, lead_: sales.qualify(u, c, i, lead_, answers), errors.InvalidInput
    )
    assert named in error.detail


@pytest.mark.parametrize("amount", [0.0, -5.0])
def test_an_opportunity_needs_an_amount_above_zero(
    engine: Engine, clock: FixedClock, inforce: InForce, amount: float
) -> None:
    to_sql(engine, clock, inforce)
    refused(
        engine,
        clock,
        inforce,
        lambda u, c, i, lead_: opportunities.convert(u, c, i, lead_, amount, date(2026, 6, 1)),
        errors.InvalidInput,
    )


def test_an_opportunity_moves_one_stage_forward_or_back_to_any_earlier_one(
    engine: Engine, clock: FixedClock, inforce: InForce
) -> None:
    to_opportunity(engine, clock, inforce)
    error = refused(engine, clock, inforce, move("negotiation"), errors.IllegalTransition)
    assert "proposal" in error.detail  # it names the next stage
    refused(engine, clock, inforce, move("discovery"), errors.IllegalTransition)  # where it is already
    refused(engine, clock, inforce, move("closing"), errors.InvalidInput)  # no such stage
    act(engine, clock, inforce, move("proposal"))
    act(engine, clock, inforce, move("negotiation"))
    refused(engine, clock, inforce, move("negotiation"), errors.IllegalTransition)  # the last stage
    act(engine, clock, inforce, move("discovery"))
    assert opportunity_of(engine).stage == "discovery"


def test_a_reject_reason_that_recycles_sends_the_lead_back_with_a_cooldown(
    engine: Engine, clock: FixedClock, inforce: InForce
) -> None:
    act(engine, clock, inforce, accept)
    act(engine, clock, inforce, lambda u, c, i, lead_: sales.reject(u, c, i, lead_, "not_ready"))
    lee = lead(engine, LEE)
    assert (lee.stage, lee.owner_id) == ("recycled", None)
    assert lee.cooldown_until == to_seconds(clock.now()) + 60 * 86_400
    assert history(engine, LEE)[-1] == ("sal", "recycled", "not_ready")
    assert assignments(engine, LEE)[0].end_reason == "rejected"
    assert messages(engine, "lead.rejected")[0]["reason"] == "not_ready"


def reject_with(reason: str, note: str) -> Action:
    return lambda u, c, i, lead_: sales.reject(u, c, i, lead_, reason, note=note)


def test_a_reject_keeps_the_reps_note_with_the_stage_change_shows_it_and_an_erasure_takes_it(
    engine: Engine, clock: FixedClock, inforce: InForce
) -> None:
    too_long = refused(engine, clock, inforce, reject_with("not_ready", "x" * 2_001), errors.InvalidInput)
    assert str(too_long) == "note: a note is at most 2,000 characters; this one has 2,001"
    nul = refused(engine, clock, inforce, reject_with("not_ready", "a\x00b"), errors.InvalidInput)
    assert str(nul) == "note: a note cannot hold the NUL character"

    note = "  New budget cycle in Q3: call back then.  "
    act(engine, clock, inforce, reject_with("not_ready", note))
    with UnitOfWork(engine) as uow:
        kept = uow.session.scalars(select(StageChange.note).where(StageChange.to_stage == "recycled")).one()
        assert kept == "New budget cycle in Q3: call back then."
        lee = intake.find_lead(uow, LEE)
        (item,) = [i for i in timeline.timeline(uow, lee, clock.now()) if i.what == "mql → recycled"]
        assert (item.by, item.detail) == ("ann", "not ready: New budget cycle in Q3: call back then.")
        assert privacy.export(uow, clock, LEE)["stage_history"][-1]["note"] == kept
        privacy.erase(uow, clock, LEE, "request of 2026-03-02")
    with UnitOfWork(engine) as uow:  # the rep's words about the person go; the reason, a business fact, stays
        rows = uow.session.execute(
            select(StageChange.reason, StageChange.note).where(StageChange.to_stage == "recycled")
        )
        assert rows.all() == [("not_ready", None)]


def test_a_blank_reject_note_is_no_note(engine: Engine, clock: FixedClock, inforce: InForce) -> None:
    act(engine, clock, inforce, reject_with("bad_data", "   "))
    with UnitOfWork(engine) as uow:
        assert uow.session.scalars(select(StageChange.note).where(StageChange.to_stage == "disqualified")).one() is None


@pytest.mark.parametrize("accepted", [False, True])
def test_a_reject_reason_that_disqualifies_ends_the_lead(
    engine: Engine, clock: FixedClock, inforce: InForce, accepted: bool
) -> None:
    if accepted:
        to_sql(engine, clock, inforce)
    act(engine, clock, inforce, lambda u, c, i, lead_: sales.reject(u, c, i, lead_, "bad_data"))
    lee = lead(engine, LEE)
    assert (lee.stage, lee.owner_id, lee.cooldown_until) == ("disqualified", None, None)
    assert history(engine, LEE)[-1][1:] == ("disqualified", "bad_data")


def test_a_reject_reason_not_in_the_agreement_is_refused(engine: Engine, clock: FixedClock, inforce: InForce) -> None:
    error = refused(
        engine, clock, inforce, lambda u, c, i, lead_: sales.reject(u, c, i, lead_, "too_small"), errors.UnknownReason
    )
    assert error.code == "unknown_reason"
    assert "not_ready" in error.detail  # it lists the reasons there are


def test_an_opportunity_cannot_be_rejected_only_lost(engine: Engine, clock: FixedClock, inforce: InForce) -> None:
    to_opportunity(engine, clock, inforce)
    refused(
        engine,
        clock,
        inforce,
        lambda u, c, i, lead_: sales.reject(u, c, i, lead_, "not_ready"),
        errors.IllegalTransition,
    )


def test_a_lost_opportunity_recycles_the_lead_without_cooldown(
    engine: Engine, clock: FixedClock, inforce: InForce
) -> None:
    to_opportunity(engine, clock, inforce)
    act(engine, clock, inforce, move("proposal"))
    act(engine, clock, inforce, lambda u, c, i, lead_: opportunities.lose(u, c, i, lead_, "competitor_won"))
    lee = lead(engine, LEE)
    assert (lee.stage, lee.owner_id, lee.cooldown_until) == ("recycled", None, to_seconds(clock.now()))
    lost = opportunity_of(engine)
    assert (lost.won, lost.lost_reason, lost.closed_at) == (False, "competitor_won", clock.now())
    assert history(engine, LEE)[-1] == ("opportunity", "recycled", "competitor_won")


@pytest.mark.parametrize("reason", ["legal", "price_war"])
def test_a_lost_reason_must_be_one_of_the_current_stage(
    engine: Engine, clock: FixedClock, inforce: InForce, reason: str
) -> None:
    to_opportunity(engine, clock, inforce)  # at discovery; legal is a negotiation reason
    error = refused(
        engine, clock, inforce, lambda u, c, i, lead_: opportunities.lose(u, c, i, lead_, reason), errors.UnknownReason
    )
    assert "no_need" in error.detail  # the reasons of discovery


def test_marketing_disqualifies_an_inquiry_only_with_a_disqualifying_reason(
    engine: Engine, clock: FixedClock, inforce: InForce
) -> None:
    ivy = "ivy@ivy.example"
    with UnitOfWork(engine) as uow:
        intake.capture_lead(uow, clock, inforce, intake.LeadInput(email=ivy))
    with pytest.raises(errors.UnknownReason):
        act(engine, clock, inforce, lambda u, c, i, lead_: sales.disqualify(u, c, i, lead_, "not_ready"), email=ivy)
    act(engine, clock, inforce, lambda u, c, i, lead_: sales.disqualify(u, c, i, lead_, "competitor"), email=ivy)
    assert history(engine, ivy)[-1] == ("inquiry", "disqualified", "competitor")


def test_marketing_cannot_disqualify_a_lead_sales_has(engine: Engine, clock: FixedClock, inforce: InForce) -> None:
    refused(
        engine,
        clock,
        inforce,
        lambda u, c, i, lead_: sales.disqualify(u, c, i, lead_, "bad_data"),
        errors.IllegalTransition,
    )


def test_a_customer_cannot_be_converted_again(engine: Engine, clock: FixedClock, inforce: InForce) -> None:
    to_opportunity(engine, clock, inforce)
    act(engine, clock, inforce, lambda u, c, i, lead_: opportunities.win(u, c, i, lead_))
    refused(engine, clock, inforce, convert, errors.IllegalTransition)
    refused(engine, clock, inforce, accept, errors.IllegalTransition)


@pytest.mark.parametrize("verb", ["win", "lose", "move_stage"])
def test_opportunity_moves_on_a_lead_without_an_opportunity_are_illegal_moves(
    engine: Engine, clock: FixedClock, inforce: InForce, verb: str
) -> None:
    act(engine, clock, inforce, accept)
    actions: dict[str, Action] = {
        "win": lambda u, c, i, lead_: opportunities.win(u, c, i, lead_),
        "lose": lambda u, c, i, lead_: opportunities.lose(u, c, i, lead_, "no_need"),
        "move_stage": move("proposal"),
    }
    refused(engine, clock, inforce, actions[verb], errors.IllegalTransition)


def test_errors_carry_stable_codes() -> None:
    codes: dict[type[errors.LeadpactError], str] = {
        errors.InvalidAgreement: "agreement_invalid",
        errors.NoAgreement: "no_agreement",
        errors.NotFound: "not_found",
        errors.InvalidInput: "invalid_input",
        errors.IllegalTransition: "illegal_transition",
        errors.UnknownReason: "unknown_reason",
        errors.NotPermitted: "not_permitted",
        errors.Conflict: "conflict",
        errors.ImportRejected: "import_rejected",
    }
    for error, code in codes.items():
        assert error.code == code
    assert len(set(codes.values())) == len(codes)
