"""Accounts and routing, on every engine: an account's engagement and its rule, its owner taking its leads as the
agreement says, hot leads to a team of their own, and reps at their cap on open leads skipped until one moves on."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import Engine

from leadpact.domain.audit import Actor
from leadpact.domain.errors import InvalidInput
from leadpact.domain.scoring import engagement_at, to_seconds
from leadpact.services import accounts, audit, handoff, intake, sales, team
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import (
    HOT,
    MONDAY_9AM,
    add_team,
    agreement_text,
    capture,
    days,
    event,
    hand_off,
    lead,
    owner_name,
    record,
)

ROUTING = (
    "    - {when: {field: account.country, in: [DE, FR, GB, NL, ES, IT, SE]}, team: emea}\n    - {team: americas}\n"
)
RULE = "accounts:\n  qualify: {engagement_at_least: 25, people_engaged_at_least: 2}\n"


def agreement(owner: str = "never", routing: str = ROUTING, rule: str = "") -> str:
    return agreement_text((ROUTING, routing), ("account_owner: when_available", f"account_owner: {owner}")) + rule


def set_owner(engine: Engine, clock: FixedClock, domain: str, rep: str | None) -> None:
    with UnitOfWork(engine, actor=Actor("Mia", "cli")) as uow:
        accounts.set_owner(uow, clock, domain, rep)


def show(engine: Engine, inforce: InForce, clock: FixedClock, domain: str) -> accounts.AccountView:
    with UnitOfWork(engine) as uow:
        return accounts.show(uow, inforce, clock.now(), domain)


def test_an_accounts_engagement_is_the_sum_of_its_peoples_decayed_engagement(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock, agreement(rule=RULE))
    for email in ("ann@acme.example", "bob@acme.example", "cy@acme.example"):
        capture(engine, clock, inforce, email, title="Engineer", company="Acme", industry="retail")
    record(
        engine,
        clock,
        inforce,
        event("w1", "ann@acme.example", "webinar_attended", MONDAY_9AM - days(20)),
        event("p1", "ann@acme.example", "pricing_page_view", MONDAY_9AM - days(3)),
        event("w2", "bob@acme.example", "whitepaper_download", MONDAY_9AM - days(7)),
        event("u1", "cy@acme.example", "unsubscribe", MONDAY_9AM - days(1)),
    )
    later = FixedClock(MONDAY_9AM + days(10))
    view = show(engine, inforce, later, "acme.example")
    at = to_seconds(later.now())
    expected = sum(
        engagement_at(points, to_seconds(MONDAY_9AM - days(ago)), at, 30.0)
        for points, ago in ((15, 20), (10, 3), (8, 7), (-25, 1))
    )
    assert math.isclose(view.engagement, expected, rel_tol=0, abs_tol=1e-9)
    assert view.people_engaged == 2  # cy's unsubscribe leaves them below zero
    assert [p.email for p in view.people] == ["ann@acme.example", "bob@acme.example", "cy@acme.example"]
    assert (view.name, view.stage, view.owner) == ("Acme", "inquiry", None)
    assert view.meets_rule is False  # about 1 point: below 25
    record(engine, later, inforce, event("d1", "bob@acme.example", "contact_form", later.now()))
    assert show(engine, inforce, later, "acme.example").meets_rule is True
    with UnitOfWork(engine) as uow:
        top = accounts.top(uow, inforce, later.now())
    assert [(t.domain, t.people, t.people_engaged, t.meets_rule) for t in top] == [("acme.example", 3, 2, True)]


def test_the_owner_gets_the_accounts_leads_as_the_agreement_says(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock, agreement("when_available"))
    add_team(engine, clock, "americas", {"ann": 1, "bob": 1})
    add_team(engine, clock, "emea", {"eva": 1})
    capture(engine, clock, inforce, "first@werk.example", **HOT)
    set_owner(engine, clock, "werk.example", "eva")
    for i in range(3):
        hand_off(engine, clock, inforce, f"p{i}@werk.example")
    assert {owner_name(engine, f"p{i}@werk.example") for i in range(3)} == {"eva"}
    with UnitOfWork(engine) as uow:
        team.set_available(uow, clock, "eva", False)
    hand_off(engine, clock, inforce, "away@werk.example")
    assert owner_name(engine, "away@werk.example") in ("ann", "bob")  # when_available: the routing rules decide
    with UnitOfWork(engine) as uow:
        entries = audit.entries(uow)
    assert [(e.action, e.subject, audit.detail_of(e)) for e in entries if e.action == "account.owner"] == [
        ("account.owner", "account werk.example", {"owner": "eva"})
    ]


def test_always_gives_the_owner_the_lead_even_while_away_and_never_ignores_the_owner(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock, agreement("always"))
    add_team(engine, clock, "americas", {"ann": 1})
    add_team(engine, clock, "emea", {"eva": 1})
    capture(engine, clock, inforce, "first@werk.example", **HOT)
    set_owner(engine, clock, "werk.example", "eva")
    with UnitOfWork(engine) as uow:
        team.set_available(uow, clock, "eva", False)
    hand_off(engine, clock, inforce, "p1@werk.example")
    assert owner_name(engine, "p1@werk.example") == "eva"
    never = adopt_example(engine, clock, agreement("never"))
    hand_off(engine, clock, never, "p2@werk.example")
    assert owner_name(engine, "p2@werk.example") == "ann"
    set_owner(engine, clock, "werk.example", None)
    assert show(engine, never, clock, "werk.example").owner is None


def test_only_a_rep_owns_an_account(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    capture(engine, clock, inforce, "first@werk.example", **HOT)
    with UnitOfWork(engine) as uow:
        team.add_user(uow, clock, "Nora", "manager")
    with pytest.raises(InvalidInput, match="only a rep can own an account"):
        set_owner(engine, clock, "werk.example", "Nora")


def test_a_hot_lead_goes_to_the_team_its_band_names(engine: Engine, clock: FixedClock) -> None:
    bands = "    - {when: {field: priority, in: [hot]}, team: hot-desk}\n    - {team: americas}\n"
    inforce = adopt_example(engine, clock, agreement(routing=bands))
    add_team(engine, clock, "hot-desk", {"hal": 1})
    add_team(engine, clock, "americas", {"ann": 1})
    hand_off(engine, clock, inforce, "warm@acme.example")  # fit 50 + form 30 = 80: hot
    capture(engine, clock, inforce, "b@bolt.example", title="VP Sales", industry="retail", employees=300)  # 40: B
    record(engine, clock, inforce, event("f-b", "b@bolt.example", "contact_form", clock.now()))  # 70: warm
    assert owner_name(engine, "warm@acme.example") == "hal"
    assert owner_name(engine, "b@bolt.example") == "ann"


def test_a_rep_at_their_cap_is_skipped_and_a_waiting_lead_is_assigned_once_one_moves_on(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1, "bob": 1})
    with UnitOfWork(engine, actor=Actor("Mia", "cli")) as uow:
        team.set_max_open(uow, clock, "ann", 1)
        team.set_max_open(uow, clock, "bob", 1)
    hand_off(engine, clock, inforce, "l1@one.example")
    hand_off(engine, clock, inforce, "l2@two.example")
    assert {owner_name(engine, "l1@one.example"), owner_name(engine, "l2@two.example")} == {"ann", "bob"}
    hand_off(engine, clock, inforce, "l3@three.example")
    assert owner_name(engine, "l3@three.example") is None  # everyone at the cap: it waits, as for nobody available
    assert lead(engine, "l3@three.example").stage == "mql"
    with UnitOfWork(engine) as uow:
        assert handoff.check_sla(uow, clock, inforce).assigned == 0
    freed = owner_name(engine, "l1@one.example")
    with UnitOfWork(engine) as uow:
        sales.reject(uow, clock, inforce, intake.lead_for_change(uow, "l1@one.example"), "not_ready", rep=freed)
    with UnitOfWork(engine) as uow:
        assert handoff.check_sla(uow, clock, inforce).assigned == 1
    assert owner_name(engine, "l3@three.example") == freed
    with UnitOfWork(engine, actor=Actor("Mia", "cli")) as uow:
        team.set_max_open(uow, clock, "ann", None)
        assert {e.action for e in audit.entries(uow)} == {"team.max_open"}
        with pytest.raises(InvalidInput, match="1 or more"):
            team.set_max_open(uow, clock, "ann", 0)


def test_reps_dealt_leads_in_one_batch_count_against_their_cap(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"ann": 1})
    with UnitOfWork(engine) as uow:
        team.set_max_open(uow, clock, "ann", 2)
    emails = [f"l{i}@c{i}.example" for i in range(4)]
    for email in emails:
        capture(engine, clock, inforce, email, **HOT)
    record(engine, clock, inforce, *(event(f"f{i}", e, "contact_form", clock.now()) for i, e in enumerate(emails)))
    assert [owner_name(engine, e) for e in emails].count("ann") == 2


def test_a_lead_at_a_buying_group_goes_to_the_team_the_rule_names(engine: Engine, clock: FixedClock) -> None:
    groups = "    - {when: {field: account.buying_group, equals: true}, team: abm}\n    - {team: americas}\n"
    inforce = adopt_example(engine, clock, agreement(routing=groups, rule=RULE))
    add_team(engine, clock, "abm", {"abe": 1})
    add_team(engine, clock, "americas", {"ann": 1})
    hand_off(engine, clock, inforce, "solo@lone.example")  # one person engaged: not a group
    capture(engine, clock, inforce, "cy@acme.example", title="Engineer")
    record(engine, clock, inforce, event("w-cy", "cy@acme.example", "webinar_attended", clock.now()))
    hand_off(engine, clock, inforce, "vp@acme.example")  # 30 + 15 engagement from two people: a buying group
    assert owner_name(engine, "solo@lone.example") == "ann"
    assert owner_name(engine, "vp@acme.example") == "abe"
