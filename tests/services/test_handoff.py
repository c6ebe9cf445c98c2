"""Hand-off: routing to a team, weighted round robin within it, the SLA clock in working hours, breaches."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from leadpact.services import handoff, intake, sales, team
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import (
    HOT,
    MONDAY_9AM,
    add_team,
    agreement_text,
    assignments,
    capture,
    event,
    hand_off,
    hours,
    lead,
    messages,
    owner_name,
    record,
    rep_of,
)

ACCEPT_DUE = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)  # Monday 09:00 CST + 4 working hours
CONTACT_DUE = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)  # + one working day of 10 hours: Tuesday 09:00


def check(engine: Engine, clock: FixedClock, inforce: InForce) -> handoff.SlaReport:
    with UnitOfWork(engine) as uow:
        return handoff.check_sla(uow, clock, inforce)


def set_available(engine: Engine, name: str, available: bool) -> None:
    with UnitOfWork(engine) as uow:
        team.set_available(uow, FixedClock(MONDAY_9AM), name, available)


def test_an_mql_goes_to_the_team_its_first_matching_routing_rule_names(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "emea", {"eva": 1})
    add_team(engine, clock, "americas", {"ann": 1})
    hand_off(engine, clock, inforce, "klaus@werk.example", country="DE")
    hand_off(engine, clock, inforce, "lee@acme.example", country="US")
    hand_off(engine, clock, inforce, "ana@nocountry.example", country=None)
    assert owner_name(engine, "klaus@werk.example") == "eva"
    assert owner_name(engine, "lee@acme.example") == "ann"
    assert owner_name(engine, "ana@nocountry.example") == "ann"  # no country: the catch-all rule


def test_leads_are_dealt_in_proportion_to_capacity(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 2, "bob": 1})
    for n in range(6):
        hand_off(engine, clock, inforce, f"lead{n}@co{n}.example")
    owners = [owner_name(engine, f"lead{n}@co{n}.example") for n in range(6)]
    assert Counter(owners) == {"ann": 4, "bob": 2}
    assert owners[:3].count("bob") == 1  # bob once in every three, not twice in a row at the end


def test_leads_qualifying_in_one_batch_are_dealt_as_if_one_by_one(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 2, "bob": 1})
    emails = [f"lead{n}@co{n}.example" for n in range(6)]
    for email in emails:
        capture(engine, clock, inforce, email, **HOT)
    report = record(
        engine, clock, inforce, *(event(f"f-{n}", email, "contact_form", clock.now()) for n, email in enumerate(emails))
    )
    assert report.qualified == 6
    assert Counter(owner_name(engine, email) for email in emails) == {"ann": 4, "bob": 2}


def test_the_sla_clock_counts_working_hours_from_the_hand_off(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    hand_off(engine, clock, inforce, "lee@acme.example")
    (assignment,) = assignments(engine, "lee@acme.example")
    assert (assignment.assigned_at, assignment.accept_due, assignment.contact_due) == (
        clock.now(),
        ACCEPT_DUE,
        CONTACT_DUE,
    )
    assert assignment.version == inforce.version


def test_a_hand_off_on_friday_afternoon_is_due_on_monday_across_the_clock_change(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    clock.at = datetime(2026, 3, 6, 22, 0, tzinfo=UTC)  # Friday 16:00 CST; Sunday the clocks go forward
    hand_off(engine, clock, inforce, "lee@acme.example")
    (assignment,) = assignments(engine, "lee@acme.example")
    assert assignment.accept_due == datetime(2026, 3, 9, 15, 0, tzinfo=UTC)  # Monday 10:00 CDT
    assert assignment.contact_due == datetime(2026, 3, 9, 21, 0, tzinfo=UTC)  # 2 h Friday + 8 h Monday: 16:00 CDT


def test_nothing_is_breached_before_the_due_moment(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1, "bob": 1})
    hand_off(engine, clock, inforce, "lee@acme.example")
    owner = owner_name(engine, "lee@acme.example")
    clock.at = ACCEPT_DUE - timedelta(seconds=1)
    report = check(engine, clock, inforce)
    assert (report.accept_breaches, report.contact_breaches, report.reassigned) == (0, 0, 0)
    assert owner_name(engine, "lee@acme.example") == owner
    assert messages(engine, "sla.breached") == []
    clock.at = ACCEPT_DUE  # due at that moment: breached from it on
    assert check(engine, clock, inforce).accept_breaches == 1


def test_an_accept_breach_is_recorded_and_the_lead_goes_to_the_next_member_with_a_fresh_clock(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1, "bob": 1})
    hand_off(engine, clock, inforce, "lee@acme.example")
    first_owner = owner_name(engine, "lee@acme.example")
    clock.at = ACCEPT_DUE + hours(1)  # Monday 14:00 CST
    report = check(engine, clock, inforce)
    assert (report.accept_breaches, report.reassigned) == (1, 1)
    old, new = assignments(engine, "lee@acme.example")
    assert old.accept_breached_at == ACCEPT_DUE  # recorded at its due moment, not when the check ran
    assert (old.ended_at, old.end_reason) == (clock.now(), "accept_breach")
    assert rep_of(engine, old) == first_owner
    assert rep_of(engine, new) != first_owner
    assert owner_name(engine, "lee@acme.example") == rep_of(engine, new)
    assert new.assigned_at == clock.now()
    assert new.accept_due == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # 14:00 + 4 working hours = 18:00 CST
    assert new.ended_at is None
    assert lead(engine, "lee@acme.example").stage == "mql"
    (breach,) = messages(engine, "sla.breached")
    assert (breach["rep"], breach["kind"], breach["email"]) == (first_owner, "accept", "lee@acme.example")
    again = check(engine, clock, inforce)  # the breach is recorded once
    assert (again.accept_breaches, again.reassigned) == (0, 0)
    assert len(assignments(engine, "lee@acme.example")) == 2


def test_a_contact_breach_after_acceptance_reassigns_the_lead_still_accepted(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1, "bob": 1})
    hand_off(engine, clock, inforce, "lee@acme.example")
    with UnitOfWork(engine) as uow:
        sales.accept(uow, clock, inforce, intake.find_lead(uow, "lee@acme.example"))
    clock.at = CONTACT_DUE
    report = check(engine, clock, inforce)
    assert (report.accept_breaches, report.contact_breaches, report.reassigned) == (0, 1, 1)
    old, new = assignments(engine, "lee@acme.example")
    assert (old.contact_breached_at, old.end_reason) == (CONTACT_DUE, "contact_breach")
    assert old.accept_breached_at is None
    assert new.accepted_at == clock.now()
    assert rep_of(engine, new) != rep_of(engine, old)
    assert lead(engine, "lee@acme.example").stage == "sal"


def test_on_breach_escalate_notifies_the_team_manager_and_leaves_the_lead_with_the_rep(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock, agreement_text(("on_breach: reassign", "on_breach: escalate")))
    add_team(engine, clock, "americas", {"ann": 1, "bob": 1}, manager="Maria")
    hand_off(engine, clock, inforce, "lee@acme.example")
    owner = owner_name(engine, "lee@acme.example")
    clock.at = ACCEPT_DUE + hours(2)
    report = check(engine, clock, inforce)
    assert (report.accept_breaches, report.escalated, report.reassigned) == (1, 1, 0)
    (escalation,) = messages(engine, "sla.escalated")
    assert escalation["manager"] == "Maria"
    assert escalation["manager_email"] == "maria@acme.example"
    assert (escalation["rep"], escalation["kind"], escalation["email"]) == (owner, "accept", "lee@acme.example")
    (assignment,) = assignments(engine, "lee@acme.example")
    assert (assignment.accept_breached_at, assignment.ended_at) == (ACCEPT_DUE, None)
    assert owner_name(engine, "lee@acme.example") == owner
    check(engine, clock, inforce)
    assert len(messages(engine, "sla.escalated")) == 1  # escalated once, not at every check


def test_reps_who_are_away_get_no_leads_until_they_are_back(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1, "bob": 1})
    set_available(engine, "bob", False)
    for n in range(3):
        hand_off(engine, clock, inforce, f"lead{n}@co{n}.example")
    assert [owner_name(engine, f"lead{n}@co{n}.example") for n in range(3)] == ["ann"] * 3
    set_available(engine, "bob", True)
    for n in range(3, 5):
        hand_off(engine, clock, inforce, f"lead{n}@co{n}.example")
    assert "bob" in {owner_name(engine, f"lead{n}@co{n}.example") for n in range(3, 5)}


def test_an_mql_with_nobody_available_waits_and_is_assigned_by_a_later_check(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    set_available(engine, "ann", False)
    hand_off(engine, clock, inforce, "lee@acme.example")
    lee = lead(engine, "lee@acme.example")
    assert (lee.stage, lee.owner_id) == ("mql", None)
    assert assignments(engine, "lee@acme.example") == []
    assert messages(engine, "lead.unassigned")[-1]["why"] == "no available rep"
    clock.at += hours(1)
    assert check(engine, clock, inforce).assigned == 0
    set_available(engine, "ann", True)
    clock.at += hours(1)  # Monday 11:00 CST
    report = check(engine, clock, inforce)
    assert report.assigned == 1
    assert owner_name(engine, "lee@acme.example") == "ann"
    (assignment,) = assignments(engine, "lee@acme.example")
    assert assignment.assigned_at == clock.now()
    assert assignment.accept_due == datetime(2026, 3, 2, 21, 0, tzinfo=UTC)  # the clock starts when assigned


def test_an_mql_routed_to_a_team_that_does_not_exist_waits(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    hand_off(engine, clock, inforce, "klaus@werk.example", country="DE")
    assert lead(engine, "klaus@werk.example").owner_id is None
    assert messages(engine, "lead.unassigned")[-1] == {
        "lead_id": lead(engine, "klaus@werk.example").id,
        "team": "emea",
        "why": "no such team",
    }
    add_team(engine, clock, "emea", {"eva": 1})
    assert check(engine, clock, inforce).assigned == 1
    assert owner_name(engine, "klaus@werk.example") == "eva"


def test_a_breach_with_no_other_rep_leaves_the_lead_with_its_rep_and_tells_the_manager(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    hand_off(engine, clock, inforce, "lee@acme.example")
    clock.at = ACCEPT_DUE + hours(1)
    report = check(engine, clock, inforce)
    assert (report.accept_breaches, report.reassigned, report.escalated, report.assigned) == (1, 0, 1, 0)
    assert owner_name(engine, "lee@acme.example") == "ann"
    (only,) = assignments(engine, "lee@acme.example")
    assert (only.ended_at, only.accept_breached_at) == (None, ACCEPT_DUE)
    assert messages(engine, "sla.escalated")[-1]["rep"] == "ann"
    clock.at = ACCEPT_DUE + hours(2)
    again = check(engine, clock, inforce)
    assert (again.accept_breaches, again.escalated, again.assigned) == (0, 0, 0)
