"""Screening through the services, on every engine: which inquiries go to the qualifiers, and what they decide.

An inquiry that meets the screening rule waits for a qualifier instead of going to sales; one that does not
qualifies as today. A pass hands the lead to sales as any hand-off, with the answers and the note for the rep;
not yet recycles it with the screening's cooldown; disqualify ends it with a reason. Answers that are not ready
are refused at a pass and, unless the agreement says otherwise, when a rep qualifies the lead. Late events may
show the lead never met the rule, and the agreement corrects itself as for a hand-off. A rescore afterwards
finds nothing out of line.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from leadpact.domain.audit import Actor
from leadpact.domain.errors import InvalidInput, LeadpactError, NotPermitted, NotReady, UnknownReason
from leadpact.domain.lifecycle import TRANSITIONS, WITHDRAWABLE, Stage
from leadpact.domain.scoring import to_seconds
from leadpact.services import explain, intake, privacy, sales, screening, team
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.services.rescore import rescore
from leadpact.store.database import empty
from leadpact.store.tables import AuditEntry, Lead, ScreeningCall, ScreeningEntry
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import HOT, add_team, capture, days, event, history, hours, lead, messages, owner_name, record
from tests.screening import SECTION, with_screening
from tests.services import test_order_independence as order

ANN = "ann@acme.example"  # grade A from a webinar: screened as captured
CY = "cy@cyco.example"  # grade C from a webinar: screened at its webinar
WEB = "web@site.example"  # grade A from the website: not screened, qualifies as today
READY = {"budget": "yes", "authority": "influencer", "timing": "this_year"}
Work = Callable[[UnitOfWork, Lead], object]


def world(engine: Engine, clock: FixedClock, section: str = SECTION) -> InForce:
    inforce = adopt_example(engine, clock, with_screening(section))
    add_team(engine, clock, "americas", {"alice": 1})
    with UnitOfWork(engine) as uow:
        team.add_user(uow, clock, "quinn", "qualifier", team="sdr")
        team.add_user(uow, clock, "quentin", "qualifier", team="sdr")
        team.add_user(uow, clock, "olga", "qualifier", team="other")
    return inforce


def act(engine: Engine, email: str, work: Work) -> object:
    with UnitOfWork(engine, Actor("quinn", "cli")) as uow:
        return work(uow, intake.lead_for_change(uow, email))


def entries(engine: Engine, email: str) -> list[ScreeningEntry]:
    with UnitOfWork(engine) as uow:
        rows = list(
            uow.session.scalars(
                select(ScreeningEntry)
                .where(ScreeningEntry.lead_id == lead(engine, email).id)
                .order_by(ScreeningEntry.id)
            )
        )
        for row in rows:
            uow.session.expunge(row)
        return rows


def test_an_inquiry_that_meets_the_rule_waits_for_a_qualifier_and_the_others_qualify_as_today(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = world(engine, clock)
    capture(engine, clock, inforce, ANN, **HOT, source="Webinar")  # fit 50 >= 25, grade A, source webinar
    capture(engine, clock, inforce, CY, title="Plant Manager", employees=300, source="webinar")  # fit 23: C
    webinar = clock.now() + hours(2)
    record(engine, clock, inforce, event("w1", CY, "webinar_attended", webinar))  # 38
    capture(engine, clock, inforce, WEB, **HOT, source="website")
    record(engine, clock, inforce, event("f1", WEB, "contact_form", clock.now()))  # 80: an MQL, as today
    assert [lead(engine, e).stage for e in (ANN, CY, WEB)] == ["screening", "screening", "mql"]
    assert (owner_name(engine, ANN), owner_name(engine, WEB)) == (None, "alice")
    (cy,) = entries(engine, CY)
    assert (cy.entered_at, cy.origin, cy.call_due) == (webinar, "inquiry", clock.now() + hours(4))
    assert history(engine, CY) == [(None, "inquiry", None), ("inquiry", "screening", None)]
    record(engine, clock, inforce, event("f2", ANN, "contact_form", clock.now()))  # 80: stays with the qualifiers
    assert lead(engine, ANN).stage == "screening"
    assert [m["email"] for m in messages(engine, "lead.screening")] == [ANN, CY]
    with UnitOfWork(engine) as uow:
        queue = screening.queue(uow, inforce, clock.now() + hours(5))
    assert [(i.email, i.priority, i.overdue) for i in queue] == [(ANN, "warm", True), (CY, "future", True)]


def test_a_pass_needs_ready_answers_and_hands_the_lead_to_sales_with_the_note(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = world(engine, clock)
    capture(engine, clock, inforce, ANN, **HOT, source="webinar")
    clock.at += hours(1)
    assert act(engine, ANN, lambda uow, lead: screening.call(uow, clock, inforce, lead, "no_answer", by="quinn"))
    clock.at += hours(5)  # past the first-call time, but the first call was in time
    assert not act(engine, ANN, lambda uow, lead: screening.call(uow, clock, inforce, lead, "reached", "ok", "quinn"))
    with pytest.raises(NotReady, match="budget: no answer is not ready for sales; the agreement wants yes"):
        act(engine, ANN, lambda uow, lead: screening.pass_to_sales(uow, clock, inforce, lead, by="quinn"))
    with pytest.raises(NotReady, match="authority: 'user' is not ready"):
        act(
            engine,
            ANN,
            lambda uow, lead: screening.pass_to_sales(
                uow, clock, inforce, lead, None, "quinn", {**READY, "authority": "user"}
            ),
        )
    assert lead(engine, ANN).stage == "screening"  # nothing of a refused pass was kept
    act(engine, ANN, lambda uow, lead: screening.answer(uow, clock, inforce, lead, READY, "quinn"))
    assert lead(engine, ANN).fit == 60  # has-budget: the answers count as when a rep records them
    with pytest.raises(NotPermitted, match="olga is not in the screening team 'sdr'"):
        act(engine, ANN, lambda uow, lead: screening.pass_to_sales(uow, clock, inforce, lead, by="olga"))
    with pytest.raises(NotPermitted, match=r"alice \(rep\) does not work the screening queue"):
        act(engine, ANN, lambda uow, lead: screening.pass_to_sales(uow, clock, inforce, lead, by="alice"))
    rep = act(
        engine, ANN, lambda uow, lead: screening.pass_to_sales(uow, clock, inforce, lead, "call Tuesday", "quinn")
    )
    assert getattr(rep, "name", None) == "alice"
    ann = lead(engine, ANN)
    assert (ann.stage, ann.owner_id is not None, ann.qualified_at, ann.qualified_from) == (
        "mql",
        True,
        to_seconds(clock.now()),
        "screening",
    )
    (entry,) = entries(engine, ANN)
    assert (entry.decision, entry.note, entry.decided_at) == ("pass", "call Tuesday", clock.now())
    with UnitOfWork(engine) as uow:
        found = intake.find_lead(uow, ANN)
        x = explain.explain(uow, inforce, found, clock.now(), predicted=False)
        calls = uow.session.scalars(select(ScreeningCall.outcome).order_by(ScreeningCall.id)).all()
        trail = uow.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert x.screening == screening.Handover("quinn", clock.now(), "call Tuesday", READY, 2)
    assert calls == ["no_answer", "reached"]
    assert [a for a in trail if a.startswith("screening.")] == [
        "screening.call",
        "screening.call",
        "screening.answer",
        "screening.pass",
    ]
    with pytest.raises(InvalidInput, match="is in stage mql, not in screening"):
        act(engine, ANN, lambda uow, lead: screening.not_yet(uow, clock, inforce, lead, by="quentin"))
    with pytest.raises(InvalidInput, match="'busy' is not a call outcome"):
        act(engine, ANN, lambda uow, lead: screening.call(uow, clock, inforce, lead, "busy"))
    # a late event never withdraws what a qualifier decided
    record(engine, clock, inforce, event("u1", ANN, "unsubscribe", clock.now() - days(30)))
    assert lead(engine, ANN).stage == "mql"
    with UnitOfWork(engine) as uow:
        report = rescore(uow, clock, inforce)
    assert (report.leads_changed, report.ledger_rows, report.verdicts_changed) == (0, 0, 0)


def test_not_yet_recycles_with_the_cooldown_and_the_lead_comes_back_to_screening_only_after_it(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = world(engine, clock)
    capture(engine, clock, inforce, ANN, **HOT, source="webinar")
    act(engine, ANN, lambda uow, lead: screening.not_yet(uow, clock, inforce, lead, "next year", "quinn"))
    ann = lead(engine, ANN)
    assert (ann.stage, ann.cooldown_until) == ("recycled", to_seconds(clock.now() + days(30)))
    record(engine, clock, inforce, event("d1", ANN, "demo_request", clock.now() + days(29)))
    assert lead(engine, ANN).stage == "recycled"
    record(engine, clock, inforce, event("w1", ANN, "webinar_attended", clock.now() + days(31)))
    assert lead(engine, ANN).stage == "screening"
    first, second = entries(engine, ANN)
    assert (first.decision, first.note, second.origin, second.decision) == ("not_yet", "next year", "recycled", None)
    assert history(engine, ANN)[-2:] == [("screening", "recycled", "not_yet"), ("recycled", "screening", None)]


def test_a_qualifier_disqualifies_with_a_reason_of_the_agreement(engine: Engine, clock: FixedClock) -> None:
    inforce = world(engine, clock)
    capture(engine, clock, inforce, ANN, **HOT, source="webinar")
    with pytest.raises(UnknownReason, match="'not_ready' is not a reason to disqualify in screening"):
        act(engine, ANN, lambda uow, lead: screening.disqualify(uow, clock, inforce, lead, "not_ready", by="quinn"))
    act(engine, ANN, lambda uow, lead: screening.disqualify(uow, clock, inforce, lead, "competitor", "uses X", "quinn"))
    assert history(engine, ANN)[-1] == ("screening", "disqualified", "competitor")
    (entry,) = entries(engine, ANN)
    assert (entry.decision, entry.reason, entry.note) == ("disqualify", "competitor", "uses X")
    with UnitOfWork(engine) as uow:
        assert screening.queue(uow, inforce, clock.now()) == []


def test_answers_that_are_not_ready_are_refused_at_sql_unless_the_agreement_says_otherwise(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = world(engine, clock)
    capture(engine, clock, inforce, WEB, **HOT, source="website")
    record(engine, clock, inforce, event("f1", WEB, "contact_form", clock.now()))
    act(engine, WEB, lambda uow, lead: sales.accept(uow, clock, inforce, lead))
    unready = {**READY, "budget": "no"}
    with pytest.raises(NotReady) as caught:
        act(engine, WEB, lambda uow, lead: sales.qualify(uow, clock, inforce, lead, unready))
    assert caught.value.detail == "budget: 'no' is not ready for sales; the agreement wants yes"
    assert lead(engine, WEB).stage == "sal"
    act(engine, WEB, lambda uow, lead: sales.qualify(uow, clock, inforce, lead, READY))
    assert lead(engine, WEB).stage == "sql"
    ungated = adopt_example(engine, clock, with_screening(SECTION + "  gate_sql: false\n"))
    capture(engine, clock, ungated, "two@site.example", **HOT)
    record(engine, clock, ungated, event("f2", "two@site.example", "contact_form", clock.now()))
    act(engine, "two@site.example", lambda uow, lead: sales.accept(uow, clock, ungated, lead))
    act(engine, "two@site.example", lambda uow, lead: sales.qualify(uow, clock, ungated, lead, unready))
    assert lead(engine, "two@site.example").stage == "sql"


def test_late_events_move_or_withdraw_a_screening_the_qualifiers_have_not_decided(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = world(engine, clock)
    capture(engine, clock, inforce, CY, title="Plant Manager", employees=300, source="webinar")  # 23
    webinar = clock.now() + days(2)
    record(engine, clock, inforce, event("w1", CY, "webinar_attended", webinar))  # 38: screening
    record(engine, clock, inforce, event("w0", CY, "webinar_registered", clock.now() + days(1)))  # 28 a day earlier
    assert [e.entered_at for e in entries(engine, CY)] == [clock.now() + days(1)]
    assert lead(engine, CY).stage == "screening"
    # an unsubscribe before both: 23 - 25 + ... never reaches 25 again
    record(engine, clock, inforce, event("u1", CY, "unsubscribe", clock.now() + hours(1)))
    assert lead(engine, CY).stage == "inquiry"
    assert history(engine, CY)[-1] == ("screening", "inquiry", "late_events")
    assert [e.decision for e in entries(engine, CY)] == ["withdrawn"]
    # without screening the same events end as they always did
    plain = adopt_example(engine, clock)
    capture(engine, clock, plain, "dee@dee.example", title="Plant Manager", employees=300, source="webinar")
    assert lead(engine, "dee@dee.example").stage == "inquiry"


def test_a_late_immediate_event_turns_a_screening_into_a_hand_off_when_only_the_hand_off_rule_held(
    engine: Engine, clock: FixedClock
) -> None:
    section = SECTION.replace("score_at_least: 25, grades: [A, B, C]", "score_at_least: 75, grades: [C]")
    inforce = world(engine, clock, section)
    capture(engine, clock, inforce, CY, title="Plant Manager", employees=300, source="webinar")  # 23: C
    later = clock.now() + days(2)
    kinds = ("contact_form", "webinar_attended", "pricing_page_view")
    record(engine, clock, inforce, *(event(k, CY, k, later) for k in kinds))  # 78: screening
    assert lead(engine, CY).stage == "screening"
    demo = clock.now() + days(1)
    record(engine, clock, inforce, event("d1", CY, "demo_request", demo))  # 73 a day earlier: an immediate hand-off
    cy = lead(engine, CY)
    assert (cy.stage, cy.qualified_at, owner_name(engine, CY)) == ("mql", to_seconds(demo), "alice")
    assert history(engine, CY)[1:] == [
        ("inquiry", "screening", None),
        ("screening", "inquiry", "late_events"),
        ("inquiry", "mql", None),
    ]
    assert [e.decision for e in entries(engine, CY)] == ["withdrawn"]


def test_two_qualifiers_passing_one_lead_at_once_leave_one_decision(engine: Engine, clock: FixedClock) -> None:
    inforce = world(engine, clock)
    capture(engine, clock, inforce, ANN, **HOT, source="webinar")
    act(engine, ANN, lambda uow, lead: screening.answer(uow, clock, inforce, lead, READY, "quinn"))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def pass_as(name: str) -> None:
        try:
            with UnitOfWork(engine) as uow:
                barrier.wait()
                found = intake.lead_for_change(uow, ANN)
                screening.pass_to_sales(uow, clock, inforce, found, f"by {name}", name)
            outcomes.append("passed")
        except LeadpactError as error:
            outcomes.append(error.detail)

    threads = [threading.Thread(target=pass_as, args=(name,)) for name in ("quinn", "quentin")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [f"lead: lead {ANN} is in stage mql, not in screening", "passed"]
    assert history(engine, ANN) == [(None, "inquiry", None), ("inquiry", "screening", None), ("screening", "mql", None)]
    assert [e.decision for e in entries(engine, ANN)] == ["pass"]


ORDER_SECTION = SECTION.replace(
    "score_at_least: 25, grades: [A, B, C], sources: [webinar, Tradeshow]", "score_at_least: 45, grades: [B, C]"
)
"""Grade A leads go to sales, B and C leads to the qualifiers once they reach 45: both paths in one history."""


@order.SETTINGS
@given(data=st.data())
def test_with_screening_the_same_events_in_any_order_and_batches_end_in_the_same_state(
    engine: Engine, data: st.DataObject
) -> None:
    sent = data.draw(order.events())

    def setup() -> InForce:
        empty(engine)
        clock = FixedClock(order.START)
        inforce = world(engine, clock, ORDER_SECTION)
        for email, fields in order.LEADS.items():
            capture(engine, clock, inforce, email, **fields)
        return inforce

    def state(inforce: InForce) -> tuple[dict[str, tuple[Any, ...]], set[tuple[int, Any]]]:
        with UnitOfWork(engine) as uow:
            screened = {
                (e.lead_id, e.entered_at)
                for e in uow.session.scalars(select(ScreeningEntry).where(ScreeningEntry.decided_at.is_(None)))
            }
        return order.state(engine, inforce), screened

    inforce = setup()
    record(engine, FixedClock(order.END), inforce, *sorted(sent, key=lambda e: (e.occurred_at, e.event_id)))
    expected, screened = state(inforce)
    newest_first = sorted(sent, key=lambda e: (e.occurred_at, e.event_id), reverse=True)
    arrival = data.draw(st.one_of(st.permutations(sent), st.just(newest_first)))
    cuts = sorted(data.draw(st.lists(st.integers(0, len(arrival)), max_size=4)))
    batches = [arrival[lo:hi] for lo, hi in zip([0, *cuts], [*cuts, len(arrival)], strict=True)]
    inforce = setup()
    clock = FixedClock(order.START)
    for batch in (b for b in batches if b):
        clock.at += hours(data.draw(st.integers(0, 200)))
        record(engine, clock, inforce, *batch)
    actual, screened_now = state(inforce)
    order.assert_same(actual, expected)
    assert screened_now == screened


def test_a_persons_export_holds_their_screening_and_an_erasure_removes_the_qualifiers_notes(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = world(engine, clock)
    capture(engine, clock, inforce, ANN, **HOT, source="webinar")
    act(engine, ANN, lambda uow, lead: screening.call(uow, clock, inforce, lead, "reached", "lives in Austin", "quinn"))
    act(engine, ANN, lambda uow, lead: screening.not_yet(uow, clock, inforce, lead, "divorce, call later", "quinn"))
    with UnitOfWork(engine) as uow:
        data = privacy.export(uow, clock, ANN)
    assert [(s["decision"], s["note"], s["qualifier"]) for s in data["screenings"]] == [
        ("not_yet", "divorce, call later", "quinn")
    ]
    assert [(c["outcome"], c["note"]) for c in data["screening_calls"]] == [("reached", "lives in Austin")]
    with UnitOfWork(engine) as uow:
        privacy.erase(uow, clock, ANN, "request of 2026-03-02")
    with UnitOfWork(engine) as uow:
        notes = [*uow.session.scalars(select(ScreeningEntry.note)), *uow.session.scalars(select(ScreeningCall.note))]
    assert notes == [None, None]


WALK = ("event", "call", "answer", "pass", "pass_ready", "not_yet", "disqualify", "accept", "reject", "qualify", "wait")
ALLOWED_MOVES = {(a.value, b.value) for (a, _), b in TRANSITIONS.items()} | {(None, "inquiry")}
ALLOWED_MOVES |= {(s.value, origin.value) for s in (Stage.MQL, Stage.SCREENING) for origin in WITHDRAWABLE}


def step(
    engine: Engine, clock: FixedClock, inforce: InForce, verb: str, reason: str, answers: dict[str, str], n: int
) -> None:
    """One verb of the walk on ann, as the qualifiers, the reps and the events do it."""
    if verb == "event":
        record(engine, clock, inforce, event(f"e{n}", ANN, "webinar_attended", clock.now()))
        return
    work: dict[str, Work] = {
        "call": lambda uow, lead: screening.call(uow, clock, inforce, lead, "reached", None, "quinn"),
        "answer": lambda uow, lead: screening.answer(uow, clock, inforce, lead, answers, "quinn"),
        "pass": lambda uow, lead: screening.pass_to_sales(uow, clock, inforce, lead, None, "quinn"),
        "pass_ready": lambda uow, lead: screening.pass_to_sales(uow, clock, inforce, lead, None, "quinn", READY),
        "not_yet": lambda uow, lead: screening.not_yet(uow, clock, inforce, lead, None, "quentin"),
        "disqualify": lambda uow, lead: screening.disqualify(uow, clock, inforce, lead, reason, None, "quinn"),
        "accept": lambda uow, lead: sales.accept(uow, clock, inforce, lead),
        "reject": lambda uow, lead: sales.reject(uow, clock, inforce, lead, reason),
        "qualify": lambda uow, lead: sales.qualify(uow, clock, inforce, lead, answers),
    }
    act(engine, ANN, work[verb])


@order.SETTINGS
@given(data=st.data())
def test_with_screening_no_sequence_of_actions_makes_a_move_outside_the_table(
    engine: Engine, data: st.DataObject
) -> None:
    empty(engine)
    clock = FixedClock(order.START)
    inforce = world(engine, clock)
    capture(engine, clock, inforce, ANN, **HOT, source="webinar")  # in screening at once
    for n in range(data.draw(st.integers(5, 20), label="steps")):
        verb = data.draw(st.sampled_from(WALK), label="verb")
        reason = data.draw(st.sampled_from(("competitor", "not_ready", "bogus")), label="reason")
        answers = data.draw(st.sampled_from((READY, {**READY, "budget": "no"})), label="answers")
        if verb == "wait":
            clock.at += days(data.draw(st.integers(0, 40), label="days"))
            continue
        clock.at += hours(1)
        before = history(engine, ANN)
        try:
            step(engine, clock, inforce, verb, reason, answers, n)
        except LeadpactError:
            assert history(engine, ANN) == before, verb  # a refusal changes nothing
            continue
        stage = lead(engine, ANN).stage
        assert {(a, b) for a, b, _ in history(engine, ANN)} <= ALLOWED_MOVES
        assert (len(entries(engine, ANN)) and entries(engine, ANN)[-1].decided_at is None) == (stage == "screening")
