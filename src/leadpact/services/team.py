"""Reps and teams: who takes leads, how many, and who is away."""

from __future__ import annotations

from sqlalchemy import select

from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.domain.permissions import ROLE_NAMES, SIDES, Role
from leadpact.services.clock import Clock
from leadpact.store.tables import Team, User
from leadpact.store.unit_of_work import UnitOfWork

ROLES = ROLE_NAMES


def team_named(uow: UnitOfWork, name: str, create: bool = False) -> Team:
    team = uow.session.scalars(select(Team).where(Team.name == name)).first()
    if team is None:
        if not create:
            raise NotFound(f"no team named '{name}'")
        team = Team(name=name)
        uow.session.add(team)
        uow.session.flush()
    return team


def user_named(uow: UnitOfWork, name: str) -> User:
    user = uow.session.scalars(select(User).where(User.name == name)).first()
    if user is None:
        raise NotFound(f"no user named '{name}'; see 'leadpact rep list'")
    return user


def add_user(
    uow: UnitOfWork,
    clock: Clock,
    name: str,
    role: str,
    team: str | None = None,
    capacity: int = 0,
    email: str | None = None,
    side: str | None = None,
) -> User:
    """Add a person; a rep joins a team (created when new) with a capacity, their share of new leads.

    A manager may manage for a side of the agreement (marketing or sales), and then signs for it.
    """
    if role not in ROLES:
        raise InvalidInput(f"role: '{role}' is not one of {', '.join(ROLES)}")
    if side is not None and (role != Role.MANAGER or side not in SIDES):
        raise InvalidInput(f"side: only a manager has a side, one of {', '.join(SIDES)}")
    if not name.strip():
        raise InvalidInput("name: a user needs a name")
    if capacity < 0:
        raise InvalidInput("--capacity: must be 0 or more")
    if role == "rep" and not team:
        raise InvalidInput("--team: a rep belongs to a team")
    if uow.session.scalars(select(User).where(User.name == name.strip())).first() is not None:
        raise InvalidInput(f"there is already a user named '{name.strip()}'")
    user = User(
        name=name.strip(),
        role=role,
        email=email,
        team_id=team_named(uow, team, create=True).id if team else None,
        capacity=capacity,
        available=True,
        rr_credit=0.0,
        created_at=clock.now(),
        side=side,
    )
    uow.session.add(user)
    uow.session.flush()
    return user


def set_available(uow: UnitOfWork, name: str, available: bool) -> User:
    user = user_named(uow, name)
    user.available = available
    return user


def set_manager(uow: UnitOfWork, team: str, manager: str) -> Team:
    found = team_named(uow, team)
    found.manager_id = user_named(uow, manager).id
    return found


def reps(uow: UnitOfWork) -> list[tuple[User, Team | None]]:
    rows = uow.session.execute(
        select(User, Team).outerjoin(Team, User.team_id == Team.id).order_by(Team.name.is_(None), Team.name, User.name)
    )
    return list(rows)
