"""What every request needs, on the API and the pages alike: a unit of work, the clock, the agreement in force,
and where the request came from.

A dependency that needs no database is ``async def``: a plain ``def`` would cost a trip through the thread pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request

from leadpact.services import agreements
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.unit_of_work import UnitOfWork

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


def client_address(request: Request) -> str | None:
    """Where the request came from, as the server saw it (behind a proxy, as the proxy forwarded it)."""
    return request.client.host if request.client else None
