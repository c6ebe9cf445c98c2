"""What every request needs: a unit of work, the clock, the agreement in force, and who is asking."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from leadpact.domain.errors import NotAuthenticated
from leadpact.domain.permissions import Principal
from leadpact.services import agreements, auth
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.unit_of_work import UnitOfWork

_bearer = HTTPBearer(auto_error=False, description="An API token: 'leadpact token create NAME --role ROLE'")


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


def clock(request: Request) -> Clock:
    clock_: Clock = request.app.state.clock
    return clock_


Uow = Annotated[UnitOfWork, Depends(unit_of_work, scope="function")]
Now = Annotated[Clock, Depends(clock)]


def in_force(uow: Uow) -> InForce:
    return agreements.in_force(uow)


Agreement = Annotated[InForce, Depends(in_force)]


def api_principal(uow: Uow, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    if credentials is None:
        raise NotAuthenticated("send an API token: 'Authorization: Bearer <token>'")
    return auth.token_principal(uow, credentials.credentials)


Caller = Annotated[Principal, Depends(api_principal)]
