"""'leadpact user': a person's password set from standard input or asked for twice and kept as a hash; everyone
listed with their access; a person disabled, enabled, given another role or a new password printed once."""

from __future__ import annotations

import json

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


def test_people_are_listed_disabled_enabled_given_a_role_and_a_new_password(
    url: str, sqlite_engine: Engine, clock: FixedClock
) -> None:
    add_team(sqlite_engine, clock, "americas", {"alice": 1})
    run(url, "user", "add", "root", "--role", "admin", "--password-stdin", stdin="long enough root\n")
    run(
        url,
        "user",
        "add",
        "mia",
        "--role",
        "marketing",
        "--email",
        "mia@acme.example",
        "--password-stdin",
        stdin="long mia secret\n",
    )
    assert signs_in(sqlite_engine, clock, "mia", "long mia secret")
    table = run(url, "user", "list")
    for words in ("alice", "americas", "no password", "signs in", "2026-03-02 15:00"):
        assert words in table, words
    assert "mia@acme.example" not in table  # where notifications go: --wide shows it
    assert "mia@acme.example" in run(url, "user", "list", "--wide")
    everyone = {p["name"]: p for p in json.loads(run(url, "user", "list", "--json"))}
    assert everyone["mia"] | {"last_sign_in_at": None} == {
        "name": "mia",
        "email": "mia@acme.example",
        "role": "marketing",
        "side": None,
        "team": None,
        "signs_in": True,
        "last_sign_in_at": None,
        "disabled_at": None,
    }
    assert everyone["mia"]["last_sign_in_at"] == "2026-03-02T15:00:00+00:00"

    assert "mia's access is disabled and they are signed out." in run(url, "user", "disable", "mia")
    assert not signs_in(sqlite_engine, clock, "mia", "long mia secret")
    assert "disabled" in run(url, "user", "list")
    assert "mia has access again." in run(url, "user", "enable", "mia")
    assert signs_in(sqlite_engine, clock, "mia", "long mia secret")
    last = "NAME: root is the last admin whose access is not disabled; make someone else an admin first"
    assert refused(url, "user", "disable", "root") == last

    assert "mia is now manager (sales)." in run(url, "user", "role", "mia", "--role", "manager", "--side", "sales")
    assert refused(url, "user", "role", "root", "--role", "marketing") == last
    assert refused(url, "user", "role", "mia", "--role", "rep", "--team", "amercas").startswith(
        "--team: there is no team 'amercas'"
    )
    assert (
        refused(url, "user", "role", "mia", "--role", "boss")
        == "--role: 'boss' is not one of admin, marketing, manager, rep, qualifier"
    )

    printed = run(url, "user", "reset-password", "mia")
    assert "mia's new password, shown only now (they are signed out everywhere):" in printed
    new = printed.strip().splitlines()[-1]
    assert not signs_in(sqlite_engine, clock, "mia", "long mia secret")
    assert signs_in(sqlite_engine, clock, "mia", new)
