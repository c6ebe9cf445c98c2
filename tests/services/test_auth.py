"""Signing in: argon2 password hashes, browser sessions and API tokens, of which only digests are stored."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from leadpact.domain.errors import InvalidInput, NotAuthenticated
from leadpact.domain.permissions import Principal, Role
from leadpact.services import auth, team
from leadpact.services.clock import FixedClock
from leadpact.store.tables import ApiToken, SignInFailure, User, WebSession
from leadpact.store.unit_of_work import UnitOfWork

PASSWORD = "correct horse battery"
GUESSES = 12
"""Wrong passwords sent at once for one name, more than its limit."""


def person(engine: Engine, clock: FixedClock, name: str, role: str, password: str | None = PASSWORD) -> None:
    """A person of the role (a rep in team americas), with a password unless ``password`` is None."""
    with UnitOfWork(engine) as uow:
        team.add_user(uow, clock, name, role, team="americas" if role == "rep" else None, capacity=1)
        if password is not None:
            auth.set_password(uow, clock, name, password)


def attempt(engine: Engine, clock: FixedClock, name: str, password: str) -> auth.SignedIn | auth.Refused:
    with UnitOfWork(engine) as uow:
        return auth.log_in(uow, clock, name, password, "127.0.0.1")


def log_in(engine: Engine, clock: FixedClock, name: str, password: str) -> str:
    """The new session's secret."""
    signed = attempt(engine, clock, name, password)
    assert isinstance(signed, auth.SignedIn), signed
    return signed.secret


def session_user(engine: Engine, clock: FixedClock, secret: str) -> str:
    with UnitOfWork(engine) as uow:
        return auth.session_of(uow, clock, secret)[1].name


def create_token(engine: Engine, clock: FixedClock, role: str, user: str | None = None) -> tuple[str, int]:
    with UnitOfWork(engine) as uow:
        secret, token = auth.create_token(uow, clock, "crm sync", role, user)
        return secret, token.id


def principal(engine: Engine, secret: str) -> Principal:
    with UnitOfWork(engine) as uow:
        return auth.token_principal(uow, secret)


def sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def test_a_password_is_stored_as_an_argon2_hash_that_verifies(engine: Engine, clock: FixedClock) -> None:
    person(engine, clock, "mia", "marketing")
    with UnitOfWork(engine) as uow:
        stored = uow.session.scalars(select(User.password_hash).where(User.name == "mia")).one()
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert session_user(engine, clock, log_in(engine, clock, "mia", PASSWORD)) == "mia"


def test_a_wrong_password_and_an_unknown_name_are_refused_alike(engine: Engine, clock: FixedClock) -> None:
    person(engine, clock, "mia", "marketing")
    person(engine, clock, "noah", "marketing", password=None)  # no password yet: cannot sign in
    refusals = []
    for name, password in [("mia", "wrong horse battery"), ("nobody", PASSWORD), ("noah", PASSWORD)]:
        refusals.append(attempt(engine, clock, name, password))
    assert refusals == [auth.Refused("wrong name or password")] * 3


def test_a_password_shorter_than_eight_characters_is_refused(engine: Engine, clock: FixedClock) -> None:
    person(engine, clock, "mia", "marketing")
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInput, match="password: needs at least 8 characters"):
        auth.set_password(uow, clock, "mia", "short")
    assert session_user(engine, clock, log_in(engine, clock, "mia", PASSWORD)) == "mia"  # the old one still works


def test_a_session_stores_the_sha256_of_its_secret_and_not_the_secret(engine: Engine, clock: FixedClock) -> None:
    person(engine, clock, "mia", "marketing")
    secret = log_in(engine, clock, "mia", PASSWORD)
    with UnitOfWork(engine) as uow:
        rows = uow.session.execute(select(WebSession.digest, WebSession.csrf)).all()
    assert [digest for digest, _ in rows] == [sha256(secret)]
    assert all(secret not in (digest, csrf) for digest, csrf in rows)
    assert len(secret) >= 40


def test_a_session_finds_its_person_until_it_expires(engine: Engine, clock: FixedClock) -> None:
    person(engine, clock, "mia", "marketing")
    secret = log_in(engine, clock, "mia", PASSWORD)
    clock.at += timedelta(days=auth.SESSION_DAYS) - timedelta(seconds=1)
    assert session_user(engine, clock, secret) == "mia"
    clock.at += timedelta(seconds=1)
    with pytest.raises(NotAuthenticated, match="your session has ended"):
        session_user(engine, clock, secret)


def test_logging_out_ends_the_session_and_only_that_session(engine: Engine, clock: FixedClock) -> None:
    person(engine, clock, "mia", "marketing")
    laptop, phone = log_in(engine, clock, "mia", PASSWORD), log_in(engine, clock, "mia", PASSWORD)
    with UnitOfWork(engine) as uow:
        auth.log_out(uow, laptop)
    with pytest.raises(NotAuthenticated):
        session_user(engine, clock, laptop)
    assert session_user(engine, clock, phone) == "mia"


def test_a_made_up_session_secret_is_refused(engine: Engine, clock: FixedClock) -> None:
    person(engine, clock, "mia", "marketing")
    log_in(engine, clock, "mia", PASSWORD)
    with pytest.raises(NotAuthenticated):
        session_user(engine, clock, "not-a-session")


def test_a_token_secret_is_returned_once_and_only_its_digest_is_stored(engine: Engine, clock: FixedClock) -> None:
    secret, token_id = create_token(engine, clock, "marketing")
    with UnitOfWork(engine) as uow:
        stored = uow.session.get_one(ApiToken, token_id)
        assert stored.digest == sha256(secret)
        assert secret not in (stored.digest, stored.name)
    assert secret.startswith(auth.TOKEN_PREFIX)
    assert principal(engine, secret) == Principal(Role.MARKETING, "token 'crm sync'")


def test_a_token_acting_for_a_person_takes_their_role_and_name(engine: Engine, clock: FixedClock) -> None:
    person(engine, clock, "alice", "rep")
    secret, _ = create_token(engine, clock, "", user="alice")
    acting = principal(engine, secret)
    assert (acting.role, acting.name) == (Role.REP, "alice")
    with UnitOfWork(engine) as uow:
        assert acting.user_id == team.user_named(uow, "alice").id


def test_a_token_for_a_person_cannot_claim_another_role(engine: Engine, clock: FixedClock) -> None:
    person(engine, clock, "alice", "rep")
    with pytest.raises(InvalidInput, match="acts for alice, whose role is rep"):
        create_token(engine, clock, "admin", user="alice")


def test_a_revoked_token_is_refused(engine: Engine, clock: FixedClock) -> None:
    secret, token_id = create_token(engine, clock, "admin")
    kept, _ = create_token(engine, clock, "admin")
    with UnitOfWork(engine) as uow:
        auth.revoke_token(uow, clock, token_id)
    with pytest.raises(NotAuthenticated, match="'crm sync' was revoked"):
        principal(engine, secret)
    assert principal(engine, kept).role is Role.ADMIN


def test_an_unknown_token_is_refused(engine: Engine, clock: FixedClock) -> None:
    create_token(engine, clock, "admin")
    with pytest.raises(NotAuthenticated, match="not known"):
        principal(engine, auth.TOKEN_PREFIX + "made-up")


def test_a_rep_token_must_act_for_a_rep(engine: Engine, clock: FixedClock) -> None:
    with pytest.raises(InvalidInput, match="a rep's token acts for that rep") as refused:
        create_token(engine, clock, "rep")
    assert refused.value.field == "user"
    with UnitOfWork(engine) as uow:
        assert auth.tokens(uow) == []


@pytest.mark.parametrize("role", ["superuser", "Admin"])
def test_a_token_role_must_be_one_of_the_roles(engine: Engine, clock: FixedClock, role: str) -> None:
    with pytest.raises(InvalidInput, match="is not one of admin, marketing, manager, rep"):
        create_token(engine, clock, role)


def test_a_token_with_neither_a_role_nor_a_person_is_refused(engine: Engine, clock: FixedClock) -> None:
    with pytest.raises(InvalidInput, match="say what the token may do") as refused:
        create_token(engine, clock, "")
    assert refused.value.field == "role"


def test_guesses_sent_at_the_same_moment_take_turns_so_the_limit_holds(engine: Engine, clock: FixedClock) -> None:
    person(engine, clock, "mia", "marketing")
    barrier = threading.Barrier(GUESSES)
    outcomes: list[str] = []

    def guess(n: int) -> None:
        barrier.wait()
        refused = attempt(engine, clock, "mia", f"guess {n}")
        assert isinstance(refused, auth.Refused)
        outcomes.append("throttled" if refused.retry_after else "wrong")

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(GUESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["throttled"] * (GUESSES - auth.ACCOUNT_LIMIT) + ["wrong"] * auth.ACCOUNT_LIMIT
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(func.count(SignInFailure.id))) == auth.ACCOUNT_LIMIT
    assert attempt(engine, clock, "mia", PASSWORD) == auth.Refused(
        "too many wrong passwords for this name; try again in 15 minutes", 900
    )
