"""'leadpact user password': a person's password set from standard input or asked for twice, kept as a hash."""

from __future__ import annotations

from sqlalchemy import Engine, select

from leadpact.services import auth
from leadpact.services.auth import SignedIn
from leadpact.services.clock import FixedClock
from leadpact.store.tables import User
from leadpact.store.unit_of_work import UnitOfWork
from tests.factories import add_team
from tests.test_cli_access import refused, run


def signs_in(engine: Engine, clock: FixedClock, name: str, password: str) -> bool:
    with UnitOfWork(engine) as uow:
        return isinstance(auth.log_in(uow, clock, name, password, "127.0.0.1"), SignedIn)


def password_hash(engine: Engine, name: str) -> str | None:
    with UnitOfWork(engine) as uow:
        return uow.session.scalar(select(User.password_hash).where(User.name == name))


def test_a_reps_password_is_set_then_reset_and_only_its_hash_is_kept(
    url: str, sqlite_engine: Engine, clock: FixedClock
) -> None:
    add_team(sqlite_engine, clock, "americas", {"alice": 1})
    assert password_hash(sqlite_engine, "alice") is None
    printed = run(url, "user", "password", "alice", "--password-stdin", stdin="first long secret\n")
    assert "alice's password is set." in printed
    stored = password_hash(sqlite_engine, "alice")
    assert stored is not None
    assert "first long secret" not in stored
    assert signs_in(sqlite_engine, clock, "alice", "first long secret")

    asked = run(url, "user", "password", "alice", stdin="second long secret\nsecond long secret\n")
    assert "Password for alice" in asked
    assert not signs_in(sqlite_engine, clock, "alice", "first long secret")
    assert signs_in(sqlite_engine, clock, "alice", "second long secret")
    assert "no user named 'zoe'" in refused(url, "user", "password", "zoe", "--password-stdin", stdin="long secret\n")
