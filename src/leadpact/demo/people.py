"""The demo's people who sign in: one of each role, the agreement's two owners, and every rep and manager.

They work there from the year's first day (marketing adopts the nurture sequences then); at its end they share one
password, printed by ``leadpact demo``: this is a demo world, not a place for real accounts.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadpact.services import auth, team
from leadpact.services.clock import Clock
from leadpact.store.unit_of_work import UnitOfWork

PASSWORD = "leadpact-demo"
NEW = (
    ("admin", "admin", None),
    ("Maya Brooks", "marketing", None),
    ("Dana Lee", "manager", "marketing"),  # the agreement's marketing owner
    ("Sam Ortiz", "manager", "sales"),  # the agreement's sales owner
)
"""Added to the demo's reps and team managers: (name, role, side)."""


@dataclass(frozen=True)
class Login:
    name: str
    role: str
    side: str | None
    team: str | None


def add_staff(uow: UnitOfWork, clock: Clock) -> None:
    """The people of ``NEW``, at work from now."""
    for name, role, side in NEW:
        team.add_user(uow, clock, name, role, email=f"{name.split()[0].lower()}@acme-robotics.example", side=side)


def add_logins(uow: UnitOfWork, clock: Clock) -> list[Login]:
    """Everyone can sign in with ``PASSWORD``; returns the logins, the people of ``NEW`` first."""
    logins = []
    for user, group in team.reps(uow):
        auth.set_password(uow, clock, user.name, PASSWORD)
        logins.append(Login(user.name, user.role, user.side, group.name if group else None))
    order = {name: i for i, (name, _, _) in enumerate(NEW)}
    return sorted(logins, key=lambda login: (order.get(login.name, len(order)), login.role, login.name))
