"""People and their access on both engines: the list an admin reads, disabling and enabling (sign-in, sessions and
tokens end; a rep's queue goes to other reps), roles, new passwords, the last admin kept, and two admins at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import Engine, select

from leadpact.domain.audit import Actor
from leadpact.domain.errors import Conflict, InvalidInput, LeadpactError, NotAuthenticated
from leadpact.services import accounts, auth, handoff, intake, people, sales, team
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.services.handoff import Rerouted
from leadpact.store.tables import AuditEntry, User, WebSession
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import add_team, agreement_text, assignments, capture, hand_off, lead, owner_name
from tests.services.test_auth import PASSWORD, attempt, create_token, log_in, person, principal, session_user

ROOT = Actor("root", "web", "10.0.0.7")


def change(engine: Engine, work: Callable[[UnitOfWork], object]) -> object:
    """The work done as the admin root, in a unit of work of its own."""
    with UnitOfWork(engine, ROOT) as uow:
        return work(uow)


def refusal(engine: Engine, work: Callable[[UnitOfWork], object]) -> LeadpactError:
    """Why the work was refused; nothing of it lands."""
    with pytest.raises(LeadpactError) as caught, UnitOfWork(engine, ROOT) as uow:
        work(uow)
    return caught.value


def listed(engine: Engine) -> dict[str, people.Person]:
    with UnitOfWork(engine) as uow:
        return {p.name: p for p in people.people(uow)}


def accept(engine: Engine, clock: FixedClock, inforce: InForce, email: str) -> None:
    with UnitOfWork(engine) as uow:
        sales.accept(uow, clock, inforce, intake.lead_for_change(uow, email))


def audited(engine: Engine) -> list[tuple[str, str]]:
    with UnitOfWork(engine) as uow:
        return [(e.action, e.subject) for e in uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_everyone_is_listed_with_role_team_last_sign_in_and_access(engine: Engine, clock: FixedClock) -> None:
    person(engine, clock, "alice", "rep")
    person(engine, clock, "root", "admin")
    person(engine, clock, "mia", "marketing", password=None)
    with UnitOfWork(engine) as uow:
        team.add_user(uow, clock, "sam", "manager", email="sam@acme.example", side="sales")
    assert listed(engine)["alice"].last_sign_in_at is None  # not known until they sign in
    log_in(engine, clock, "alice", PASSWORD)
    change(engine, lambda uow: people.disable(uow, clock, "mia"))
    assert list(listed(engine).values()) == [
        people.Person("alice", None, "rep", None, "americas", True, clock.now(), None),
        people.Person("mia", None, "marketing", None, None, False, None, clock.now()),
        people.Person("root", None, "admin", None, None, True, None, None),
        people.Person("sam", "sam@acme.example", "manager", "sales", None, False, None, None),
    ]


def test_a_disabled_person_cannot_sign_in_and_their_sessions_and_tokens_fail_until_enabled(
    engine: Engine, clock: FixedClock
) -> None:
    person(engine, clock, "root", "admin")
    person(engine, clock, "mia", "marketing")
    session = log_in(engine, clock, "mia", PASSWORD)
    token, _ = create_token(engine, clock, "", user="mia")
    own_token, _ = create_token(engine, clock, "marketing")
    disabled = change(engine, lambda uow: people.disable(uow, clock, "mia"))
    assert disabled == people.Disabled("mia")
    with pytest.raises(NotAuthenticated, match="your session has ended"):
        session_user(engine, clock, session)
    with UnitOfWork(engine) as uow:
        assert uow.session.scalars(select(WebSession)).all() == []  # ended, not just refused
        mia = uow.session.scalars(select(User).where(User.name == "mia")).one()
        expires = clock.now() + timedelta(days=1)  # as a sign-in that raced the disabling would leave it
        uow.session.add(
            WebSession(digest=auth.digest("late"), user_id=mia.id, csrf="x", created_at=expires, expires_at=expires)
        )
    with pytest.raises(NotAuthenticated, match="your access is disabled; an admin can enable it again"):
        session_user(engine, clock, "late")
    assert attempt(engine, clock, "mia", PASSWORD) == auth.Refused(auth.DISABLED)
    assert attempt(engine, clock, "mia", "wrong password") == auth.Refused("wrong name or password")
    with pytest.raises(NotAuthenticated, match="the API token 'crm sync' acts for mia, whose access is disabled"):
        principal(engine, token)
    assert principal(engine, own_token).name == "token 'crm sync'"  # a token of its own is not a person's
    with pytest.raises(InvalidInput, match="user: mia's access is disabled; enable it first"):
        create_token(engine, clock, "", user="mia")
    assert change(engine, lambda uow: people.disable(uow, clock, "mia")) == people.Disabled("mia")  # no change

    change(engine, lambda uow: people.enable(uow, clock, "mia"))
    assert principal(engine, token).name == "mia"
    assert session_user(engine, clock, log_in(engine, clock, "mia", PASSWORD)) == "mia"
    assert [a for a in audited(engine) if a[0].startswith("person.") and a[0] != "person.add"] == [
        ("person.disable", "person mia"),
        ("person.enable", "person mia"),
    ]


def test_disabling_a_rep_deals_their_queue_to_other_reps_and_them_no_new_leads(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"alice": 1})
    for email in ("ann@acme.example", "ben@acme.example"):
        hand_off(engine, clock, inforce, email)
    accept(engine, clock, inforce, "ben@acme.example")
    add_team(engine, clock, "americas", {"bob": 1, "carol": 1})
    disabled = change(engine, lambda uow: people.disable(uow, clock, "alice"))
    assert isinstance(disabled, people.Disabled)
    assert [r.email for r in disabled.rerouted] == ["ann@acme.example", "ben@acme.example"]
    assert {r.to for r in disabled.rerouted} == {"bob", "carol"}  # dealt by round robin
    left, now = assignments(engine, "ben@acme.example")
    assert (left.end_reason, now.ended_at, now.accepted_at) == ("rerouted", None, clock.now())  # still accepted
    assert lead(engine, "ben@acme.example").stage == "sal"
    assert lead(engine, "ann@acme.example").stage == "mql"
    new = [f"new{n}@acme.example" for n in range(4)]
    for email in new:
        hand_off(engine, clock, inforce, email)
    assert sorted(owner_name(engine, email) or "" for email in new) == ["bob", "bob", "carol", "carol"]
    with UnitOfWork(engine) as uow:
        assert [m.name for r in team.rosters(uow) for m in r.reps] == ["bob", "carol"]  # off the team page


def test_an_account_owned_by_a_disabled_rep_is_routed_as_if_it_had_no_owner(engine: Engine, clock: FixedClock) -> None:
    always = agreement_text(("account_owner: when_available", "account_owner: always"))
    inforce = adopt_example(engine, clock, always)
    add_team(engine, clock, "americas", {"alice": 1, "bob": 1})
    capture(engine, clock, inforce, "cy@acme.example", company="Acme")  # the account comes with its first person
    change(engine, lambda uow: accounts.set_owner(uow, clock, "acme.example", "alice"))
    hand_off(engine, clock, inforce, "ann@acme.example")
    assert owner_name(engine, "ann@acme.example") == "alice"  # the owner takes it, always
    change(engine, lambda uow: people.disable(uow, clock, "alice"))
    hand_off(engine, clock, inforce, "ben@acme.example")
    assert (owner_name(engine, "ann@acme.example"), owner_name(engine, "ben@acme.example")) == ("bob", "bob")


def test_a_queue_nobody_else_can_take_waits_unless_a_lead_was_accepted(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"alice": 1})
    hand_off(engine, clock, inforce, "ann@acme.example")
    hand_off(engine, clock, inforce, "ben@acme.example")
    accept(engine, clock, inforce, "ben@acme.example")
    stuck = refusal(engine, lambda uow: people.remove_rep(uow, clock, "alice"))
    assert isinstance(stuck, Conflict)
    assert stuck.detail == (
        "nobody else can take ben@acme.example, which alice accepted: no other rep it routes to is available; "
        "mark one back or add one, then try again"
    )
    assert listed(engine)["alice"].disabled_at is None  # nothing landed
    assert owner_name(engine, "ann@acme.example") == "alice"

    with UnitOfWork(engine) as uow:
        sales.reject(uow, clock, inforce, intake.lead_for_change(uow, "ben@acme.example"), "not_ready")
    removed = change(engine, lambda uow: people.remove_rep(uow, clock, "alice"))
    assert isinstance(removed, people.Disabled)
    assert removed.rerouted == (Rerouted("ann@acme.example", None),)
    assert (lead(engine, "ann@acme.example").stage, owner_name(engine, "ann@acme.example")) == ("mql", None)
    add_team(engine, clock, "americas", {"bob": 1})
    with UnitOfWork(engine) as uow:
        assert handoff.check_sla(uow, clock, inforce).assigned == 1  # the waiting MQL goes to the new rep
    assert owner_name(engine, "ann@acme.example") == "bob"


def test_only_a_rep_is_removed_from_a_team(engine: Engine, clock: FixedClock) -> None:
    person(engine, clock, "mia", "marketing")
    not_a_rep = refusal(engine, lambda uow: people.remove_rep(uow, clock, "mia"))
    assert not_a_rep.detail == "name: mia is a marketing, not a rep; an admin disables other people"


def test_the_last_admin_with_access_can_be_neither_disabled_nor_given_another_role(
    engine: Engine, clock: FixedClock
) -> None:
    person(engine, clock, "root", "admin")
    last = "name: root is the last admin whose access is not disabled; make someone else an admin first"
    assert refusal(engine, lambda uow: people.disable(uow, clock, "root")).detail == last
    assert refusal(engine, lambda uow: people.set_role(uow, clock, "root", "marketing")).detail == last
    person(engine, clock, "ada", "marketing")
    change(engine, lambda uow: people.set_role(uow, clock, "ada", "admin"))
    change(engine, lambda uow: people.disable(uow, clock, "root"))
    assert refusal(engine, lambda uow: people.set_role(uow, clock, "ada", "manager")).detail == last.replace(
        "root", "ada"
    )  # a disabled admin does not count
    change(engine, lambda uow: people.set_role(uow, clock, "root", "marketing"))  # nor is kept
    assert {p.name: p.role for p in listed(engine).values()} == {"ada": "admin", "root": "marketing"}


def test_a_role_changes_with_its_side_and_team_and_a_rep_who_leaves_sales_hands_on_their_queue(
    engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"alice": 1, "bob": 1})
    hand_off(engine, clock, inforce, "ann@acme.example")
    first = owner_name(engine, "ann@acme.example")
    assert first is not None
    person(engine, clock, "mia", "marketing")
    change(engine, lambda uow: people.set_role(uow, clock, "mia", "manager", side="sales"))
    assert (listed(engine)["mia"].role, listed(engine)["mia"].side) == ("manager", "sales")
    changed = change(engine, lambda uow: people.set_role(uow, clock, first, "marketing"))
    assert isinstance(changed, tuple)
    other = "bob" if first == "alice" else "alice"
    assert changed[1] == [Rerouted("ann@acme.example", other)]
    assert (listed(engine)[first].role, listed(engine)[first].team) == ("marketing", None)

    typo = refusal(engine, lambda uow: people.set_role(uow, clock, "mia", "rep", team="amercas"))
    assert (
        typo.detail == "team: there is no team 'amercas'; the teams are americas. To start a team, add it as a new team"
    )
    change(engine, lambda uow: people.set_role(uow, clock, "mia", "rep", team="americas"))
    with UnitOfWork(engine) as uow:
        mia = uow.session.scalars(select(User).where(User.name == "mia")).one()
        assert (mia.role, mia.side, mia.capacity) == ("rep", None, 1)  # takes leads from now on
    for role, side, team_, field in (
        ("boss", None, None, "role"),
        ("marketing", "sales", None, "side"),
        ("qualifier", None, None, "team"),
    ):
        wrong = refusal(engine, partial(people.set_role, clock=clock, name=first, role=role, side=side, team=team_))
        assert isinstance(wrong, InvalidInput)
        assert wrong.field == field, (role, wrong)
    assert ("person.role", "person mia") in audited(engine)


def test_a_new_password_is_given_once_and_ends_the_persons_sessions(engine: Engine, clock: FixedClock) -> None:
    person(engine, clock, "mia", "marketing")
    session = log_in(engine, clock, "mia", PASSWORD)
    password = change(engine, lambda uow: people.new_password(uow, clock, "mia"))
    assert isinstance(password, str)
    assert len(password) >= 16
    with pytest.raises(NotAuthenticated):
        session_user(engine, clock, session)
    assert attempt(engine, clock, "mia", PASSWORD) == auth.Refused("wrong name or password")
    assert session_user(engine, clock, log_in(engine, clock, "mia", password)) == "mia"
    with UnitOfWork(engine) as uow:
        assert password not in (uow.session.scalar(select(User.password_hash).where(User.name == "mia")) or "")


def test_a_team_is_joined_as_it_is_named_and_started_only_when_asked_for_as_new(
    engine: Engine, clock: FixedClock
) -> None:
    none_yet = refusal(engine, lambda uow: team.add_user(uow, clock, "ann", "rep", "americas", 1, new_team=False))
    assert (
        none_yet.detail
        == "team: there is no team 'americas'; there is no team yet. To start a team, add it as a new team"
    )
    change(engine, lambda uow: team.add_user(uow, clock, "ann", "rep", "americas", 1, new_team=True))
    change(engine, lambda uow: team.add_user(uow, clock, "bob", "rep", "emea", 1, new_team=True))
    typo = refusal(engine, lambda uow: team.add_user(uow, clock, "cy", "rep", "amercas", 1, new_team=False))
    assert isinstance(typo, InvalidInput)
    assert typo.field == "team"
    assert (
        typo.problem
        == "there is no team 'amercas'; the teams are americas, emea. To start a team, add it as a new team"
    )
    change(engine, lambda uow: team.add_user(uow, clock, "cy", "rep", "americas", 2, new_team=False))
    with UnitOfWork(engine) as uow:
        assert team.team_names(uow) == ["americas", "emea"]
    for capacity in (0, -1):
        zero = refusal(
            engine, partial(team.add_user, clock=clock, name="dee", role="rep", team="americas", capacity=capacity)
        )
        assert zero.detail == f"capacity: must be 1 or more, not {capacity} (a rep who takes no new leads is away)"


def _race(engine: Engine, works: list[Callable[[UnitOfWork], object]]) -> list[str]:
    """The works started together, each in its own unit of work as two requests run; each one's outcome."""
    gate = threading.Barrier(len(works))
    outcomes = [""] * len(works)

    def run(n: int) -> None:
        gate.wait()
        try:
            with UnitOfWork(engine, Actor(f"admin {n}", "web")) as uow:
                works[n](uow)
            outcomes[n] = "done"
        except LeadpactError as error:
            outcomes[n] = error.detail

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_two_admins_at_once_leave_one_admin_and_a_state_their_trail_explains(engine: Engine, clock: FixedClock) -> None:
    person(engine, clock, "root", "admin")
    person(engine, clock, "ada", "admin")
    for _ in range(5):  # each disabling the other: one goes first, and the other is then the last admin
        outcomes = _race(
            engine, [lambda uow: people.disable(uow, clock, "ada"), lambda uow: people.disable(uow, clock, "root")]
        )
        done, last = sorted(outcomes)
        assert (done, "is the last admin" in last) == ("done", True), outcomes
        (kept,) = [p.name for p in listed(engine).values() if p.disabled_at is None]
        change(engine, partial(people.enable, clock=clock, name="root" if kept == "ada" else "ada"))

    person(engine, clock, "mia", "marketing")
    for _ in range(5):  # one disabling, the other enabling the same person: the last to land decides
        log_in(engine, clock, "mia", PASSWORD)
        _race(engine, [lambda uow: people.disable(uow, clock, "mia"), lambda uow: people.enable(uow, clock, "mia")])
        with UnitOfWork(engine) as uow:
            mia = uow.session.scalars(select(User).where(User.name == "mia")).one()
            newest = uow.session.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.subject == "person mia", AuditEntry.action.in_(("person.disable", "person.enable")))
                .order_by(AuditEntry.id.desc())
            ).first()
            sessions = uow.session.scalars(select(WebSession).where(WebSession.user_id == mia.id)).all()
        assert (mia.disabled_at is not None) == (newest == "person.disable")
        if mia.disabled_at is not None:
            assert sessions == []
            change(engine, lambda uow: people.enable(uow, clock, "mia"))
