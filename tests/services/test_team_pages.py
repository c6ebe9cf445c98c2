"""What the team page reads and changes: rosters with open leads, capacity, and people's names."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.services import team
from leadpact.services.clock import FixedClock
from leadpact.services.team import Member, Roster
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import add_team, hand_off, owner_name


def test_rosters_list_each_team_with_its_manager_and_its_reps_open_leads(engine: Engine, clock: FixedClock) -> None:
    inforce = adopt_example(engine, clock)
    ids = add_team(engine, clock, "americas", {"bob": 1, "alice": 1}, manager="raj")
    emea = add_team(engine, clock, "emea", {"eva": 2})
    hand_off(engine, clock, inforce, "ann@factory.example")
    first = owner_name(engine, "ann@factory.example")
    with UnitOfWork(engine) as uow:
        team.set_available(uow, clock, "bob", False)
    with UnitOfWork(engine) as uow:
        rosters = team.rosters(uow)
    opened = {name: int(name == first) for name in ("alice", "bob")}
    assert rosters == [
        Roster(
            "americas",
            "raj",
            (
                Member(ids["alice"], "alice", None, 1, True, opened["alice"]),
                Member(ids["bob"], "bob", None, 1, False, opened["bob"]),
            ),
        ),
        Roster("emea", None, (Member(emea["eva"], "eva", None, 2, True, 0),)),
    ]


def test_a_reps_capacity_changes_and_one_below_1_or_a_non_rep_is_refused(engine: Engine, clock: FixedClock) -> None:
    add_team(engine, clock, "americas", {"alice": 1}, manager="raj")
    with UnitOfWork(engine) as uow:
        assert team.set_capacity(uow, clock, "alice", 4).capacity == 4
    for below in (0, -1):  # a rep who is to take no new leads is marked away: the page shows them so
        with UnitOfWork(engine) as uow, pytest.raises(InvalidInput, match="alice's capacity must be 1 or more"):
            team.set_capacity(uow, clock, "alice", below)
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInput, match="raj is a manager, and only reps take leads"):
        team.set_capacity(uow, clock, "raj", 2)
    with UnitOfWork(engine) as uow, pytest.raises(NotFound, match="no user named 'zoe'"):
        team.set_capacity(uow, clock, "zoe", 2)
    with UnitOfWork(engine) as uow:
        assert [(m.name, m.capacity) for r in team.rosters(uow) for m in r.reps] == [("alice", 4)]


def test_names_of_gives_each_known_id_its_name(engine: Engine, clock: FixedClock) -> None:
    ids = add_team(engine, clock, "americas", {"alice": 1, "bob": 1})
    with UnitOfWork(engine) as uow:
        assert team.names_of(uow, [ids["alice"], None, ids["bob"], ids["alice"]]) == {
            ids["alice"]: "alice",
            ids["bob"]: "bob",
        }
        assert team.names_of(uow, [None]) == {}
