"""Who is calling the API: the bearer token of a program, read in the request's transaction or by the recorder."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from leadpact.api.recorder import Recorder
from leadpact.domain.audit import Actor
from leadpact.domain.errors import NotAuthenticated
from leadpact.domain.permissions import Principal
from leadpact.http.deps import Uow, client_address
from leadpact.services import auth

_bearer = HTTPBearer(auto_error=False, description="An API token: 'leadpact token create NAME --role ROLE'")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]

NO_TOKEN = "send an API token: 'Authorization: Bearer <token>'"


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
