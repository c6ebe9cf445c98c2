"""Signing in: passwords (argon2), browser sessions and API tokens.

Only digests are stored: a password's argon2 hash, and the SHA-256 of each session secret and API token (they
are long random strings, so a fast digest is enough); what the browser or the program holds cannot be read
back from the database.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from leadpact.domain.errors import InvalidInput, NotAuthenticated, NotFound
from leadpact.domain.permissions import ROLE_NAMES, Principal, Role
from leadpact.services import audit, outbox
from leadpact.services.clock import Clock
from leadpact.services.team import user_named
from leadpact.store.tables import ApiToken, SignInFailure, User, WebSession
from leadpact.store.unit_of_work import UnitOfWork

SESSION_DAYS = 14
MIN_PASSWORD = 8
TOKEN_PREFIX = "lpt_"
_hasher = PasswordHasher()
_WRONG = "wrong name or password"
DISABLED = "your access is disabled; an admin can enable it again"
FAILURE_WINDOW = timedelta(minutes=15)
ACCOUNT_LIMIT = 5
"""Wrong passwords for one name within the window before its sign-ins are refused."""
ADDRESS_LIMIT = 20
"""Wrong passwords from one client address (for any names) within the window before its sign-ins are refused."""
log = logging.getLogger("leadpact.security")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def principal_of(user: User) -> Principal:
    return Principal(Role(user.role), user.name, user.id, user.side)


def set_password(uow: UnitOfWork, clock: Clock, name: str, password: str) -> User:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"needs at least {MIN_PASSWORD} characters", "password")
    user = user_named(uow, name)
    user.password_hash = _hasher.hash(password)
    audit.record(uow, clock.now(), "person.password", f"person {user.name}")
    return user


def _checked(uow: UnitOfWork, name: str, password: str) -> User:
    user = uow.session.scalars(select(User).where(User.name == name.strip())).first()
    if user is None or user.password_hash is None:
        _hasher.hash(password)  # as slow as a real check: the answer's timing does not tell which names exist
        raise NotAuthenticated(_WRONG)
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:  # a damaged stored hash refuses like a wrong password
        raise NotAuthenticated(_WRONG) from exc
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


@dataclass(frozen=True)
class SignedIn:
    secret: str  # for the cookie; only its digest is kept
    session: WebSession


@dataclass(frozen=True)
class Refused:
    """A sign-in refused; ``retry_after`` (seconds) when it was throttled rather than wrong."""

    detail: str
    retry_after: int | None = None


def log_in(uow: UnitOfWork, clock: Clock, name: str, password: str, address: str) -> SignedIn | Refused:
    """A new session for the person (with its form token), or the refusal.

    A refusal is an answer, not an error: the unit of work lands it, with the failure it records. Wrong
    passwords are throttled: after ``ACCOUNT_LIMIT`` for one name, or ``ADDRESS_LIMIT`` from one client address,
    within ``FAILURE_WINDOW``, every sign-in for that name or from that address is refused (the right password
    too) until the oldest of them is out of the window. The moment a limit is reached is logged, kept in the
    audit trail and sent to the admins. Attempts for one name or from one address take turns.
    """
    now = clock.now()
    tried = name.strip().lower()[:100]
    uow.serialize_on(f"sign-in name {tried}", f"sign-in address {address}")
    throttled = _throttled(uow, now, tried, address)
    if throttled is not None:
        return throttled
    try:
        user = _checked(uow, name, password)
    except NotAuthenticated as wrong:
        _failed(uow, now, tried, address)
        return Refused(wrong.detail)
    if user.disabled_at is not None:
        return Refused(DISABLED)
    user.last_sign_in_at = now
    uow.session.execute(delete(SignInFailure).where(SignInFailure.name == tried))
    uow.session.execute(delete(WebSession).where(WebSession.expires_at < now))
    secret = secrets.token_urlsafe(32)
    session = WebSession(
        digest=digest(secret),
        user_id=user.id,
        csrf=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(days=SESSION_DAYS),
    )
    uow.session.add(session)
    uow.session.flush()
    return SignedIn(secret, session)


def _recent(uow: UnitOfWork, now: datetime, column: Any, value: str, limit: int) -> list[datetime]:
    """The newest ``limit`` failures of the name or address within the window, newest first."""
    query = (
        select(SignInFailure.at)
        .where(column == value, SignInFailure.at > now - FAILURE_WINDOW)
        .order_by(SignInFailure.at.desc())
        .limit(limit)
    )
    return list(uow.session.scalars(query))


def _throttled(uow: UnitOfWork, now: datetime, name: str, address: str) -> Refused | None:
    for column, value, limit, what in (
        (SignInFailure.name, name, ACCOUNT_LIMIT, "this name"),
        (SignInFailure.address, address, ADDRESS_LIMIT, "this address"),
    ):
        failures = _recent(uow, now, column, value, limit)
        if len(failures) >= limit:
            wait = max(1, math.ceil((failures[-1] + FAILURE_WINDOW - now).total_seconds()))
            return Refused(f"too many wrong passwords for {what}; try again in {_minutes(wait)}", wait)
    return None


def _minutes(seconds: int) -> str:
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _failed(uow: UnitOfWork, now: datetime, name: str, address: str) -> None:
    """Keep the failure; the one that reaches a limit is told to the admins."""
    uow.session.execute(delete(SignInFailure).where(SignInFailure.at <= now - FAILURE_WINDOW))
    uow.session.add(SignInFailure(name=name, address=address, at=now))
    uow.session.flush()
    for column, value, limit, what in (
        (SignInFailure.name, name, ACCOUNT_LIMIT, "name"),
        (SignInFailure.address, address, ADDRESS_LIMIT, "address"),
    ):
        if len(_recent(uow, now, column, value, limit + 1)) == limit:
            log.warning("sign-in throttled by %s: name %r from %s after %d wrong passwords", what, name, address, limit)
            audit.record(uow, now, "sign_in.throttled", f"sign-in by {what}", name=name, address=address)
            outbox.post(uow, "sign_in.throttled", now, name=name, address=address, by=what, failures=limit)


def session_of(uow: UnitOfWork, clock: Clock, secret: str) -> tuple[WebSession, User]:
    row = uow.session.execute(
        select(WebSession, User).join(User, User.id == WebSession.user_id).where(WebSession.digest == digest(secret))
    ).first()
    if row is None or row[0].expires_at <= clock.now():
        raise NotAuthenticated("your session has ended; please sign in again")
    if row[1].disabled_at is not None:
        raise NotAuthenticated(DISABLED)
    return row[0], row[1]


def log_out(uow: UnitOfWork, secret: str) -> None:
    uow.session.execute(delete(WebSession).where(WebSession.digest == digest(secret)))


def create_token(uow: UnitOfWork, clock: Clock, name: str, role: str, user: str | None = None) -> tuple[str, ApiToken]:
    """A new API token; the secret is returned once, only its digest is kept.

    A token acting for a person (``user``) takes that person's role and what is theirs (a rep's leads).
    """
    if not name.strip():
        raise InvalidInput("a token needs a name that says who uses it", "name")
    acting = user_named(uow, user) if user else None
    if acting is not None:
        if acting.disabled_at is not None:
            raise InvalidInput(f"{acting.name}'s access is disabled; enable it first", "user")
        if role and role != acting.role:
            raise InvalidInput(f"the token acts for {acting.name}, whose role is {acting.role}; leave it out", "role")
        role = acting.role
    if not role:
        raise InvalidInput("say what the token may do: give it a role, or a user to act for", "role")
    if role not in ROLE_NAMES:
        raise InvalidInput(f"'{role}' is not one of {', '.join(ROLE_NAMES)}", "role")
    if role == Role.REP and acting is None:
        raise InvalidInput("a rep's token acts for that rep; name them", "user")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name.strip(),
        digest=digest(secret),
        role=role,
        user_id=acting.id if acting else None,
        created_at=clock.now(),
    )
    uow.session.add(token)
    uow.session.flush()
    audit.record(uow, token.created_at, "token.create", f"token {token.id}", name=token.name, role=role, user=user)
    return secret, token


def token_principal(uow: UnitOfWork, secret: str) -> Principal:
    row = uow.session.execute(
        select(ApiToken, User).outerjoin(User, User.id == ApiToken.user_id).where(ApiToken.digest == digest(secret))
    ).first()
    if row is None:
        raise NotAuthenticated("the API token is not known")
    token, user = row
    if token.revoked_at is not None:
        raise NotAuthenticated(f"the API token '{token.name}' was revoked")
    if user is not None and user.disabled_at is not None:
        raise NotAuthenticated(f"the API token '{token.name}' acts for {user.name}, whose access is disabled")
    if user is not None:
        return principal_of(user)
    return Principal(Role(token.role), f"token '{token.name}'")


def revoke_token(uow: UnitOfWork, clock: Clock, token_id: int) -> ApiToken:
    token = uow.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"there is no API token {token_id}; see 'leadpact token list'")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        audit.record(uow, token.revoked_at, "token.revoke", f"token {token.id}", name=token.name)
    return token


def tokens(uow: UnitOfWork) -> list[tuple[ApiToken, str | None]]:
    rows = uow.session.execute(
        select(ApiToken, User.name).outerjoin(User, User.id == ApiToken.user_id).order_by(ApiToken.id)
    )
    return [(token, name) for token, name in rows]
