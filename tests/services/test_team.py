"""Reps and teams: who may take leads, with what capacity, and who manages them."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.services import team
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Team, User
from leadpact.store.unit_of_work import UnitOfWork


def test_a_rep_joins_a_team_created_on_first_mention(engine: Engine, clock: FixedClock) -> None:
    with UnitOfWork(engine) as uow:
        team.add_user(uow, clock, " Ann ", "rep", team="americas", capacity=3)
        team.add_user(uow, clock, "Bob", "rep", team="americas", capacity=1)
        team.add_user(uow, clock, "Maria", "manager")
        team.set_manager(uow, clock, "americas", "Maria")
    with UnitOfWork(engine) as uow:
        (americas,) = uow.session.scalars(select(Team)).all()
        reps = {u.name: (u.capacity, u.available, u.team_id) for u in uow.session.scalars(select(User))}
        assert reps == {"Ann": (3, True, americas.id), "Bob": (1, True, americas.id), "Maria": (0, True, None)}
        assert americas.manager_id == uow.session.scalars(select(User.id).where(User.name == "Maria")).one()
        team.set_available(uow, clock, "Bob", False)
    with UnitOfWork(engine) as uow:
        # by team, people without one (managers) last, on every engine
        assert [(u.name, t.name if t else None, u.available) for u, t in team.reps(uow)] == [
            ("Ann", "americas", True),
            ("Bob", "americas", False),
            ("Maria", None, True),
        ]


@pytest.mark.parametrize(
    ("name", "role", "team_", "capacity", "named"),
    [
        ("Ann", "boss", "americas", 1, "role"),
        ("  ", "rep", "americas", 1, "name"),
        ("Ann", "rep", None, 1, "team"),
        ("Ann", "rep", " ", 1, "team"),
        ("Ann", "rep", "americas", -1, "capacity"),
    ],
)
def test_a_bad_user_is_refused_naming_what_is_wrong(
    engine: Engine, clock: FixedClock, name: str, role: str, team_: str | None, capacity: int, named: str
) -> None:
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInput) as refused:
        team.add_user(uow, clock, name, role, team=team_, capacity=capacity)
    assert refused.value.field == named


def test_a_manager_not_known_yet_is_added_as_a_manager_of_the_team(engine: Engine, clock: FixedClock) -> None:
    with UnitOfWork(engine) as uow:
        team.add_user(uow, clock, "Ann", "rep", team=" americas ", capacity=1)
        team.set_manager(uow, clock, "americas", "Raj")
    with UnitOfWork(engine) as uow:
        (americas,) = uow.session.scalars(select(Team)).all()
        raj = uow.session.scalars(select(User).where(User.name == "Raj")).one()
        assert (americas.name, americas.manager_id, raj.role, raj.team_id) == ("americas", raj.id, "manager", None)


def test_two_users_cannot_share_a_name(engine: Engine, clock: FixedClock) -> None:
    with UnitOfWork(engine) as uow:
        team.add_user(uow, clock, "Ann", "rep", team="americas", capacity=1)
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInput, match="already"):
        team.add_user(uow, clock, "Ann", "marketing")


def test_unknown_people_and_teams_are_not_found(engine: Engine, clock: FixedClock) -> None:
    with UnitOfWork(engine) as uow:
        team.add_user(uow, clock, "Maria", "manager")
        with pytest.raises(NotFound, match="Zed"):
            team.set_available(uow, clock, "Zed", False)
        with pytest.raises(NotFound, match="apac"):
            team.set_manager(uow, clock, "apac", "Maria")
