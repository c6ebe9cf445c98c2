"""What every request needs: a unit of work, the clock, the agreement in force, and who is asking.

A dependency that needs no database is ``async def``: a plain ``def`` would cost a trip through the thread pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from leadpact.api.recorder import Recorder
from leadpact.domain.audit import Actor
from leadpact.domain.errors import NotAuthenticated
from leadpact.domain.permissions import Principal
from leadpact.services import agreements, auth
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.unit_of_work import UnitOfWork

_bearer = HTTPBearer(auto_error=False, description="An API token: 'leadpact token create NAME --role ROLE'")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def unit_of_work(request: Request) -> Iterator[UnitOfWork]:
    """The request's one transaction: it lands when the answer is a success, and not at all on an error.

    A request that changes things takes the write lock first, so what it reads cannot change under it; one that
    only reads (GET) never waits for writers.
    """
    with UnitOfWork(request.app.state.engine) as uow:
        if request.method not in SAFE_METHODS:
            uow.serialize_writes()
        yield uow


async def clock(request: Request) -> Clock:
    clock_: Clock = request.app.state.clock
    return clock_


Uow = Annotated[UnitOfWork, Depends(unit_of_work, scope="function")]
Now = Annotated[Clock, Depends(clock)]


def in_force(uow: Uow) -> InForce:
    return agreements.in_force(uow)


Agreement = Annotated[InForce, Depends(in_force)]


NO_TOKEN = "send an API token: 'Authorization: Bearer <token>'"


def client_address(request: Request) -> str | None:
    """Where the request came from, as the server saw it (behind a proxy, as the proxy forwarded it)."""
    return request.client.host if request.client else None


def api_principal(request: Request, uow: Uow, credentials: Credentials) -> Principal:
    """The caller, read in the request's transaction, who the request's changes are recorded as made by."""
    if credentials is None:
        raise NotAuthenticated(NO_TOKEN)
    principal = auth.token_principal(uow, credentials.credentials)
    uow.actor = Actor(principal.name, "api", client_address(request))
    return principal


async def api_principal_queued(request: Request, credentials: Credentials) -> Principal:
    """The caller, as the app's recorder of single events knows them: for an ``async`` route that hands its
    writes to the recorder, which must neither block the event loop on the database nor hold a write lock
    while the recorder writes. The recorder looks a token up the first time it is seen, and checks it again
    in the transaction that records the request's event."""
    if credentials is None:
        raise NotAuthenticated(NO_TOKEN)
    recorder: Recorder = request.app.state.recorder
    return await recorder.principal(credentials.credentials)


Caller = Annotated[Principal, Depends(api_principal)]
QueuedCaller = Annotated[Principal, Depends(api_principal_queued)]
