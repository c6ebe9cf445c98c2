"""The people of the API and web tests: one of each role, with passwords and API tokens."""

from __future__ import annotations

from sqlalchemy import Engine

from leadpact.services import auth, team
from leadpact.services.clock import FixedClock
from leadpact.store.unit_of_work import UnitOfWork
from tests.factories import add_team

PASSWORD = "correct horse battery"
REPS = {"alice": 3, "bob": 3}
"""The americas team (every non-European lead routes there); its manager is Raj."""
PEOPLE: dict[str, tuple[str, str | None]] = {
    "root": ("admin", None),
    "mia": ("marketing", None),
    "dana": ("manager", "marketing"),
    "sam": ("manager", "sales"),
}


def seed_people(engine: Engine, clock: FixedClock, passwords: bool = True) -> dict[str, str]:
    """Reps alice and bob (team americas, manager raj), admin root, marketing mia, managers dana (marketing side)
    and sam (sales side), all with ``PASSWORD`` (unless ``passwords`` is False: hashing them takes a while, and
    API tests sign in with tokens only); returns an API token for each, by name."""
    add_team(engine, clock, "americas", REPS, manager="raj")
    tokens: dict[str, str] = {}
    with UnitOfWork(engine) as uow:
        for name, (role, side) in PEOPLE.items():
            team.add_user(uow, clock, name, role, email=f"{name}@acme.example", side=side)
        for name in [*REPS, "raj", *PEOPLE]:
            if passwords:
                auth.set_password(uow, clock, name, PASSWORD)
            tokens[name] = auth.create_token(uow, clock, f"{name}'s script", "", user=name)[0]
    return tokens
