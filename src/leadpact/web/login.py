"""Signing in and out, and the home page that sends each role where its work is."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from leadpact.domain.audit import Actor
from leadpact.domain.errors import CsrfFailed
from leadpact.domain.permissions import Role
from leadpact.http.deps import Now, Uow, client_address
from leadpact.services import auth
from leadpact.web.render import render
from leadpact.web.session import COOKIE, Posting, Viewing, same_token

router = APIRouter()
LOGIN_COOKIE = "leadpact_login"  # the sign-in form's own token (double submit): no session exists yet
HOME = {Role.REP: "/queue", Role.QUALIFIER: "/screening"}
"""Where each role starts; the others start on the dashboard."""


def _safe(next_: str | None) -> str:
    """Only a path on this site: never send a person on to another one after signing in."""
    # browsers read "//host" and "/\\host" as another site
    return next_ if next_ and next_.startswith("/") and not next_.startswith(("//", "/\\")) else "/"


@router.get("/")
def home(viewer: Viewing) -> RedirectResponse:
    return RedirectResponse(HOME.get(viewer.principal.role, "/dashboard"), status_code=303)


@router.get("/login")
def login_page(request: Request, next: str | None = None, failed: str | None = None) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", next=_safe(next), token=token, failed=failed)
    response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request))
    return response


@router.post("/login")
def login(
    request: Request,
    uow: Uow,
    clock: Now,
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    if not same_token(csrf, request.cookies.get(LOGIN_COOKIE, "")):
        raise CsrfFailed("the sign-in form is out of date; reload the page and sign in again")
    address = client_address(request) or "unknown"
    uow.actor = Actor(name.strip()[:100] or "(no name)", "web", address)  # who the attempt claims to be
    attempt = auth.log_in(uow, clock, name, password, address)
    if isinstance(attempt, auth.Refused):
        status = 401 if attempt.retry_after is None else 429
        page = render(
            request, "login.html", status=status, next=_safe(next), token=csrf, failed=attempt.detail, name=name
        )
        if attempt.retry_after is not None:
            page.headers["Retry-After"] = str(attempt.retry_after)
        return page
    session = attempt.session
    response = RedirectResponse(_safe(next), status_code=303)
    response.set_cookie(
        COOKIE,
        attempt.secret,
        max_age=int((session.expires_at - session.created_at).total_seconds()),
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, viewer: Posting, uow: Uow) -> Response:
    auth.log_out(uow, request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


def _secure(request: Request) -> bool:
    return bool(request.app.state.settings.secure_cookies) or request.url.scheme == "https"
