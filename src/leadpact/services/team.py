"""Reps and teams: who takes leads, how many, and who is away."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.domain.permissions import ROLE_NAMES, SIDES, Role
from leadpact.services import audit
from leadpact.services.clock import Clock
from leadpact.store.tables import Assignment, Lead, Team, User
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


def team_names(uow: UnitOfWork) -> list[str]:
    return list(uow.session.scalars(select(Team.name).order_by(Team.name)))


def joined_team(uow: UnitOfWork, name: str, new_team: bool) -> Team:
    """The team a person joins: one that exists, or a new one only when asked for as new (a typo starts none)."""
    if new_team:
        return team_named(uow, name, create=True)
    team = uow.session.scalars(select(Team).where(Team.name == name)).first()
    if team is None:
        known = team_names(uow)
        teams = f"the teams are {', '.join(known)}" if known else "there is no team yet"
        raise InvalidInput(f"there is no team '{name}'; {teams}. To start a team, add it as a new team", "team")
    return team


def user_named(uow: UnitOfWork, name: str) -> User:
    user = uow.session.scalars(select(User).where(User.name == name)).first()
    if user is None:
        raise NotFound(f"no user named '{name}'; see 'leadpact user list'")
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
    new_team: bool = True,
) -> User:
    """Add a person; a rep joins a team with a capacity (1 or more), their share of new leads.

    A team not known yet is started when ``new_team`` (set-up scripts, the demo); otherwise it is refused with
    the teams there are, as a person typing a team's name asks. A manager may manage for a side of the agreement
    (marketing or sales), and then signs for it.
    """
    team = team.strip() if team else None
    if role not in ROLES:
        raise InvalidInput(f"'{role}' is not one of {', '.join(ROLES)}", "role")
    if side is not None and (role != Role.MANAGER or side not in SIDES):
        raise InvalidInput(f"only a manager has a side, one of {', '.join(SIDES)}", "side")
    if not name.strip():
        raise InvalidInput("a user needs a name", "name")
    if role == Role.REP and capacity < 1:
        raise InvalidInput(f"must be 1 or more, not {capacity} (a rep who takes no new leads is away)", "capacity")
    if role in (Role.REP, Role.QUALIFIER) and not team:
        raise InvalidInput(f"a {role} belongs to a team", "team")
    if uow.session.scalars(select(User).where(User.name == name.strip())).first() is not None:
        raise InvalidInput(f"there is already a user named '{name.strip()}'")
    user = User(
        name=name.strip(),
        role=role,
        email=email,
        team_id=joined_team(uow, team, new_team).id if team else None,
        capacity=capacity,
        available=True,
        rr_credit=0.0,
        created_at=clock.now(),
        side=side,
    )
    uow.session.add(user)
    uow.session.flush()
    audit.record(uow, user.created_at, "person.add", f"person {user.name}", role=role, team=team, side=side)
    return user


def set_available(uow: UnitOfWork, clock: Clock, name: str, available: bool) -> User:
    user = user_named(uow, name)
    user.available = available
    audit.record(uow, clock.now(), "team.back" if available else "team.away", f"person {user.name}")
    return user


def set_manager(uow: UnitOfWork, clock: Clock, team: str, manager: str) -> Team:
    """Name the manager of a team, to whom its escalated SLA breaches go; a name not known yet is added as a
    manager."""
    found = team_named(uow, team)
    known = uow.session.scalars(select(User).where(User.name == manager)).first()
    found.manager_id = (known or add_user(uow, clock, manager, Role.MANAGER)).id
    audit.record(uow, clock.now(), "team.manager", f"team {found.name}", manager=manager)
    return found


def reps(uow: UnitOfWork) -> list[tuple[User, Team | None]]:
    rows = uow.session.execute(
        select(User, Team).outerjoin(Team, User.team_id == Team.id).order_by(Team.name.is_(None), Team.name, User.name)
    )
    return list(rows)


def set_capacity(uow: UnitOfWork, clock: Clock, name: str, capacity: int) -> User:
    """A rep's share of their team's new leads from now on (2 gets twice as many as 1); a rep who is to get none
    is marked away."""
    if capacity < 1:
        raise InvalidInput(
            f"{name}'s capacity must be 1 or more, not {capacity} (a rep who takes no new leads is away)", "capacity"
        )
    user = user_named(uow, name)
    if user.role != Role.REP:
        raise InvalidInput(f"{name} is a {user.role}, and only reps take leads", "capacity")
    user.capacity = capacity
    audit.record(uow, clock.now(), "team.capacity", f"person {user.name}", capacity=capacity)
    return user


OPEN_STAGES = ("mql", "sal", "sql")
"""The stages in which a lead assigned to a rep counts against the rep's cap on open leads."""


def set_max_open(uow: UnitOfWork, clock: Clock, name: str, max_open: int | None) -> User:
    """Cap the leads a rep holds open (mql, sal, sql assigned to them): at the cap, assignment skips them as it
    skips a rep who is away, until one of their leads moves on. None lifts the cap."""
    if max_open is not None and max_open < 1:
        raise InvalidInput(f"{name}'s cap on open leads must be 1 or more, not {max_open}", "max_open")
    user = user_named(uow, name)
    if user.role != Role.REP:
        raise InvalidInput(f"{name} is a {user.role}, and only reps take leads", "max_open")
    user.max_open = max_open
    audit.record(uow, clock.now(), "team.max_open", f"person {user.name}", max_open=max_open)
    return user


def open_lead_counts(uow: UnitOfWork, user_ids: Iterable[int]) -> dict[int, int]:
    """How many leads in mql, sal or sql each of these reps owns, by user id; a rep with none is absent."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    rows = uow.session.execute(
        select(Lead.owner_id, func.count())
        .where(Lead.owner_id.in_(wanted), Lead.stage.in_(OPEN_STAGES))
        .group_by(Lead.owner_id)
    )
    return {int(user_id): int(count) for user_id, count in rows if user_id is not None}


@dataclass(frozen=True)
class Member:
    """A rep as the team page shows them: open leads are the leads assigned to them and not yet ended."""

    id: int
    name: str
    email: str | None
    capacity: int
    available: bool
    open_leads: int
    max_open: int | None = None  # the cap on open leads (mql, sal, sql); None: no cap


@dataclass(frozen=True)
class Roster:
    team: str
    manager: str | None
    reps: tuple[Member, ...]


def open_leads(uow: UnitOfWork) -> dict[int, int]:
    """Each rep's open assignments (the leads in their queue), by user id; a rep with none is absent."""
    rows = uow.session.execute(
        select(Assignment.user_id, func.count()).where(Assignment.ended_at.is_(None)).group_by(Assignment.user_id)
    )
    return {user_id: int(count) for user_id, count in rows}


def rosters(uow: UnitOfWork) -> list[Roster]:
    """Every team by name, with its manager and its reps by name (not those removed: their access is disabled)."""
    counts = open_leads(uow)
    managers = aliased(User)
    teams = uow.session.execute(
        select(Team, managers.name).outerjoin(managers, Team.manager_id == managers.id).order_by(Team.name)
    )
    reps_by_team: dict[int, list[Member]] = {}
    active_reps = select(User).where(User.role == Role.REP.value, User.disabled_at.is_(None)).order_by(User.name)
    for user in uow.session.scalars(active_reps):
        if user.team_id is not None:
            member = Member(
                user.id, user.name, user.email, user.capacity, user.available, counts.get(user.id, 0), user.max_open
            )
            reps_by_team.setdefault(user.team_id, []).append(member)
    return [Roster(t.name, manager, tuple(reps_by_team.get(t.id, ()))) for t, manager in teams]


def names_of(uow: UnitOfWork, ids: Iterable[int | None]) -> dict[int, str]:
    """People's names by user id, for pages that show who did something."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = uow.session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return {row.id: row.name for row in rows}
