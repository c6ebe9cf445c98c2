"""People and their access: who signs in with which role, who is disabled, and the last admin kept.

Disabling a person ends their access at once: their sign-in is refused, their browser sessions end and their API
tokens are refused. They are kept, with their name on everything they did, and can be enabled again. A disabled
rep gets no new leads, and the leads in their queue go to other reps as the agreement routes them: removing a rep
from their team is disabling them. A rep given another role hands their queue on the same way. The last admin
whose access is not disabled can be neither disabled nor given another role, so someone can always run the
system. Changes to people take turns, and each is kept in the audit trail.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from leadpact.domain.errors import InvalidInput
from leadpact.domain.lifecycle import Stage
from leadpact.domain.permissions import ROLE_NAMES, SIDES, Role
from leadpact.services import agreements, audit, auth, handoff
from leadpact.services.clock import Clock
from leadpact.services.handoff import Rerouted
from leadpact.services.team import joined_team, user_named
from leadpact.store.tables import Assignment, Lead, Team, User, WebSession
from leadpact.store.unit_of_work import UnitOfWork

PEOPLE_LOCK = "people"
"""What every change of a person's role or access takes turns on: two admins never both remove the last one."""


@dataclass(frozen=True)
class Person:
    """A person as the admin sees them; ``signs_in``: a password is set."""

    name: str
    email: str | None
    role: str
    side: str | None
    team: str | None
    signs_in: bool
    last_sign_in_at: datetime | None
    disabled_at: datetime | None


def people(uow: UnitOfWork) -> list[Person]:
    """Everyone, by name, the disabled too."""
    rows = uow.session.execute(select(User, Team.name).outerjoin(Team, User.team_id == Team.id).order_by(User.name))
    return [
        Person(
            user.name,
            user.email,
            user.role,
            user.side,
            team,
            user.password_hash is not None,
            user.last_sign_in_at,
            user.disabled_at,
        )
        for user, team in rows
    ]


@dataclass(frozen=True)
class Disabled:
    """What disabling a person did: the leads of their queue handed on, and how many open opportunities still
    carry their name (routing deals only new leads)."""

    name: str
    rerouted: tuple[Rerouted, ...] = ()
    opportunities: int = 0

    @property
    def said(self) -> str:
        """What was done, in a sentence (the leads rerouted are listed apart)."""
        said = f"{self.name}'s access is disabled and they are signed out"
        if self.opportunities == 1:
            return f"{said}; 1 open opportunity still carries their name."
        if self.opportunities:
            return f"{said}; {self.opportunities} open opportunities still carry their name."
        return f"{said}."


def disable(uow: UnitOfWork, clock: Clock, name: str) -> Disabled:
    """End the person's access; a rep's queue goes to other reps. Disabling a disabled person changes nothing."""
    uow.serialize_on(PEOPLE_LOCK)
    user = user_named(uow, name)
    if user.disabled_at is not None:
        return Disabled(user.name)
    _keep_an_admin(uow, user)
    user.disabled_at = clock.now()
    rerouted = _hand_on_queue(uow, clock, user)
    _end_sessions(uow, user)
    audit.record(uow, user.disabled_at, "person.disable", f"person {user.name}", rerouted=len(rerouted))
    return Disabled(user.name, tuple(rerouted), _open_opportunities(uow, user))


def remove_rep(uow: UnitOfWork, clock: Clock, name: str) -> Disabled:
    """Take a rep off their team: they are disabled (kept, with their history) and their queue rerouted."""
    uow.serialize_on(PEOPLE_LOCK)
    user = user_named(uow, name)
    if user.role != Role.REP:
        raise InvalidInput(f"{user.name} is a {user.role}, not a rep; an admin disables other people", "name")
    return disable(uow, clock, name)


def enable(uow: UnitOfWork, clock: Clock, name: str) -> User:
    """Give a disabled person their access back (a rep takes new leads again); their old sessions stay ended."""
    uow.serialize_on(PEOPLE_LOCK)
    user = user_named(uow, name)
    if user.disabled_at is not None:
        user.disabled_at = None
        audit.record(uow, clock.now(), "person.enable", f"person {user.name}")
    return user


def set_role(
    uow: UnitOfWork, clock: Clock, name: str, role: str, side: str | None = None, team: str | None = None
) -> tuple[User, list[Rerouted]]:
    """Give the person another role (a manager's side with it; a rep's or a qualifier's team, which must exist).

    A rep who becomes something else hands their queue on; one who becomes a rep takes new leads with capacity 1
    unless they had one. Returns the person and the leads rerouted. Every refusal but the rerouting's comes before
    anything is changed.
    """
    uow.serialize_on(PEOPLE_LOCK)
    user = user_named(uow, name)
    team = team.strip() if team else None
    if role not in ROLE_NAMES:
        raise InvalidInput(f"'{role}' is not one of {', '.join(ROLE_NAMES)}", "role")
    if side is not None and (role != Role.MANAGER or side not in SIDES):
        raise InvalidInput(f"only a manager has a side, one of {', '.join(SIDES)}", "side")
    if role in (Role.REP, Role.QUALIFIER) and not team and user.team_id is None:
        raise InvalidInput(f"a {role} belongs to a team", "team")
    if role != Role.ADMIN:
        _keep_an_admin(uow, user)
    team_id = joined_team(uow, team, new_team=False).id if team else user.team_id
    was = (user.role, user.side, user.team_id)
    rerouted = _hand_on_queue(uow, clock, user) if user.role == Role.REP and role != Role.REP else []
    user.role, user.side = role, side
    user.team_id = team_id if team or role in (Role.REP, Role.QUALIFIER) else None
    if role == Role.REP:
        user.capacity = max(user.capacity, 1)
    if (user.role, user.side, user.team_id) != was:
        audit.record(uow, clock.now(), "person.role", f"person {user.name}", role=role, side=side, team=team)
    return user, rerouted


def new_password(uow: UnitOfWork, clock: Clock, name: str) -> str:
    """A fresh password for the person, returned once (only its hash is kept); their browser sessions end."""
    password = secrets.token_urlsafe(12)
    _end_sessions(uow, auth.set_password(uow, clock, name, password))
    return password


def _end_sessions(uow: UnitOfWork, user: User) -> None:
    uow.session.execute(delete(WebSession).where(WebSession.user_id == user.id))


def _keep_an_admin(uow: UnitOfWork, user: User) -> None:
    """Refuse to take away the access or the role of the last admin whose access is not disabled."""
    if user.role != Role.ADMIN or user.disabled_at is not None:
        return
    others = uow.session.scalar(
        select(func.count()).where(User.role == Role.ADMIN.value, User.disabled_at.is_(None), User.id != user.id)
    )
    if not others:
        raise InvalidInput(
            f"{user.name} is the last admin whose access is not disabled; make someone else an admin first", "name"
        )


def _hand_on_queue(uow: UnitOfWork, clock: Clock, rep: User) -> list[Rerouted]:
    """The rep's queue dealt to other reps by the agreement in force (a rep with an empty queue needs none)."""
    queued = select(Assignment.id).where(Assignment.user_id == rep.id, Assignment.ended_at.is_(None)).limit(1)
    if rep.role != Role.REP or uow.session.scalar(queued) is None:
        return []
    return handoff.reroute(uow, clock, agreements.in_force(uow), rep)


def _open_opportunities(uow: UnitOfWork, user: User) -> int:
    query = select(func.count()).where(Lead.owner_id == user.id, Lead.stage == Stage.OPPORTUNITY.value)
    return int(uow.session.scalar(query) or 0)
