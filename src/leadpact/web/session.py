"""Who is looking at the page: the session cookie, and the form token every change must carry (CSRF)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from leadpact.domain.audit import Actor
from leadpact.domain.errors import CsrfFailed, NotAuthenticated
from leadpact.domain.permissions import Action, Principal
from leadpact.http.deps import Now, Uow, client_address
from leadpact.services import audit, auth

COOKIE = "leadpact_session"
ALERT_WINDOW = timedelta(days=1)
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, as plain values: pages drawn after the transaction ended can still show them.

    ``throttled`` is, for those who read the audit trail, how many times sign-ins were throttled in the last
    day: the page header tells them.
    """

    principal: Principal
    csrf: str
    throttled: int = 0

    def may(self, action: str) -> bool:
        return self.principal.may(Action(action))


def signed_in(request: Request, uow: Uow, clock: Now) -> Viewer:
    secret = request.cookies.get(COOKIE)
    if not secret:
        raise NotAuthenticated("please sign in")
    session, user = auth.session_of(uow, clock, secret)
    principal = auth.principal_of(user)
    throttled = (
        audit.count(uow, "sign_in.throttled", clock.now() - ALERT_WINDOW) if principal.may(Action.READ_AUDIT) else 0
    )
    viewer = Viewer(principal, session.csrf, throttled)
    uow.actor = Actor(user.name, "web", client_address(request))
    request.state.viewer = viewer
    return viewer


def same_token(sent: object, expected: str) -> bool:
    return isinstance(sent, str) and hmac.compare_digest(sent.encode(), expected.encode())


async def posting(request: Request, viewer: Annotated[Viewer, Depends(signed_in)]) -> Viewer:
    """A change from a form or an HTMX request: it must carry the session's form token."""
    sent = request.headers.get(CSRF_HEADER) or (await request.form()).get(CSRF_FIELD)
    if not same_token(sent, viewer.csrf):
        raise CsrfFailed("the form is out of date or did not come from leadpact; reload the page and try again")
    return viewer


Viewing = Annotated[Viewer, Depends(signed_in)]
Posting = Annotated[Viewer, Depends(posting)]
