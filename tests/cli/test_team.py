"""'leadpact rep' and 'leadpact sla check': the reps, their teams and managers, and the SLA kept on their leads."""

from __future__ import annotations

import json

from sqlalchemy import Engine, select

from leadpact.services.clock import FixedClock
from leadpact.store.tables import Team, User
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import add_team, assignments, hand_off, owner_name
from tests.test_cli_access import refused, run


def person(engine: Engine, name: str) -> tuple[str, str | None, int, bool, str | None]:
    """(role, team, capacity, available, email) of the person named."""
    with UnitOfWork(engine) as uow:
        user = uow.session.scalars(select(User).where(User.name == name)).one()
        team = uow.session.get(Team, user.team_id) if user.team_id else None
        return user.role, team.name if team else None, user.capacity, user.available, user.email


def manager_of(engine: Engine, team: str) -> str | None:
    with UnitOfWork(engine) as uow:
        return uow.session.scalar(select(User.name).join(Team, Team.manager_id == User.id).where(Team.name == team))


def test_reps_are_added_to_teams_marked_away_and_back_and_listed(url: str, sqlite_engine: Engine) -> None:
    alice = ("alice", "--team", "americas", "--capacity", "2", "--email", "alice@acme.example")
    assert refused(url, "rep", "add", *alice) == (
        "--team: there is no team 'americas'; there is no team yet. To start a team, add it as a new team"
    )
    printed = run(url, "rep", "add", *alice, "--new-team")
    assert "alice joined team americas with capacity 2." in printed
    assert person(sqlite_engine, "alice") == ("rep", "americas", 2, True, "alice@acme.example")
    assert "already a user named 'alice'" in refused(url, "rep", "add", "alice", "--team", "americas")
    assert refused(url, "rep", "add", "carol", "--team", " ") == "--team: a rep belongs to a team"
    assert refused(url, "rep", "add", "carol", "--team", "amercas") == (
        "--team: there is no team 'amercas'; the teams are americas. To start a team, add it as a new team"
    )
    assert refused(url, "rep", "add", "carol", "--team", "americas", "--capacity", "0") == (
        "--capacity: must be 1 or more, not 0 (a rep who takes no new leads is away)"
    )

    assert "alice is away and gets no new leads." in run(url, "rep", "away", "alice")
    assert person(sqlite_engine, "alice")[3] is False
    assert "alice is back and gets new leads again." in run(url, "rep", "back", "alice")
    assert person(sqlite_engine, "alice")[3] is True
    assert "no user named 'zoe'" in refused(url, "rep", "away", "zoe")

    run(url, "rep", "add", "bob", "--team", "emea", "--new-team")
    listed = json.loads(run(url, "rep", "list", "--json"))
    assert [(p["name"], p["role"], p["team"], p["capacity"], p["available"]) for p in listed] == [
        ("alice", "rep", "americas", 2, True),
        ("bob", "rep", "emea", 1, True),
    ]
    assert "americas" in run(url, "rep", "list")


def test_a_teams_manager_is_named_and_added_as_a_user_when_new(url: str, sqlite_engine: Engine) -> None:
    run(url, "rep", "add", "alice", "--team", "americas", "--new-team")
    assert "raj manages team americas." in run(url, "rep", "manager", "americas", "raj")
    assert manager_of(sqlite_engine, "americas") == "raj"
    assert person(sqlite_engine, "raj")[0] == "manager"
    assert "alice manages team americas." in run(url, "rep", "manager", "americas", "alice")  # a rep stays a rep
    assert manager_of(sqlite_engine, "americas") == "alice"
    assert person(sqlite_engine, "alice")[0] == "rep"


def test_the_sla_check_records_a_late_accept_and_reassigns_the_lead(
    url: str, sqlite_engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(sqlite_engine, clock)
    add_team(sqlite_engine, clock, "americas", {"alice": 1, "bob": 1})
    hand_off(sqlite_engine, clock, inforce, "ann@acme.example")
    first = owner_name(sqlite_engine, "ann@acme.example")
    before = run(url, "sla", "check", "--at", "2026-03-02T18:00:00Z")  # accept is due at 19:00 UTC
    assert "0 accept, 0 contact and 0 screening first-call breaches; 0 reassigned, 0 escalated" in before
    printed = run(url, "sla", "check", "--at", "2026-03-02T20:00:00Z")
    second = owner_name(sqlite_engine, "ann@acme.example")
    assert {first, second} == {"alice", "bob"}
    assert f"lead ann@acme.example: accept SLA breached by {first}; reassigned to {second}" in printed
    assert "1 accept, 0 contact and 0 screening first-call breaches; 1 reassigned, 0 escalated" in printed
    late, current = assignments(sqlite_engine, "ann@acme.example")
    assert late.accept_breached_at is not None
    assert late.ended_at is not None
    assert current.ended_at is None


def test_a_removed_rep_hands_their_queue_on_is_disabled_and_is_still_listed(
    url: str, sqlite_engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(sqlite_engine, clock)
    add_team(sqlite_engine, clock, "americas", {"alice": 1})
    hand_off(sqlite_engine, clock, inforce, "ann@acme.example")
    run(url, "rep", "add", "bob", "--team", "americas")
    printed = run(url, "rep", "remove", "alice")
    assert "lead ann@acme.example: now bob" in printed
    assert "alice's access is disabled and they are signed out." in printed
    assert owner_name(sqlite_engine, "ann@acme.example") == "bob"
    listed = {p["name"]: p for p in json.loads(run(url, "rep", "list", "--json"))}
    assert (listed["alice"]["disabled"], listed["bob"]["disabled"]) == (True, False)
    assert "removed" in run(url, "rep", "list")
    assert refused(url, "rep", "remove", "zoe") == "no user named 'zoe'; see 'leadpact user list'"
