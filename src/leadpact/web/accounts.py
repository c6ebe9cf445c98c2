"""The accounts pages: the most engaged accounts, and one account with its people, engagement and owner.

An account's page shows its fields, owner and stage, its engagement (the sum of its people's decayed engagement)
against the agreement's account rule, and its people with their roles, each linking to their lead page. A
manager (or an admin) sets or clears the account's owner there.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from leadpact.domain.permissions import Action, Role
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.services import accounts, team
from leadpact.web.render import render
from leadpact.web.session import Posting, Viewing

router = APIRouter()


@router.get("/accounts")
def account_list(request: Request, viewer: Viewing, uow: Uow, clock: Now, inforce: Agreement) -> Response:
    viewer.principal.require(Action.READ_LEADS)
    rows = accounts.top(uow, inforce, clock.now(), 50)
    return render(request, "accounts/list.html", rows=rows, rule=inforce.agreement.accounts)


@router.get("/accounts/{domain}")
def account_page(
    request: Request, domain: str, viewer: Viewing, uow: Uow, clock: Now, inforce: Agreement, done: str = ""
) -> Response:
    viewer.principal.require(Action.READ_LEADS)
    view = accounts.show(uow, inforce, clock.now(), domain)
    reps = [user.name for user, _ in team.reps(uow) if user.role == Role.REP]
    return render(
        request,
        "accounts/show.html",
        a=view,
        reps=reps,
        mode=inforce.agreement.handoff.account_owner,
        done=done == "owner",
    )


@router.post("/accounts/{domain}/owner")
def change_owner(domain: str, viewer: Posting, uow: Uow, clock: Now, owner: Annotated[str, Form()] = "") -> Response:
    """Set the owner (a rep's name), or clear it (empty)."""
    viewer.principal.require(Action.MANAGE_TEAM)
    account = accounts.set_owner(uow, clock, domain, owner.strip() or None)
    return RedirectResponse(f"/accounts/{quote(account.domain or domain)}?done=owner", status_code=303)
