"""The team page: reps by team with their capacity, who is away, their open leads and the team's manager.

A manager (or an admin) marks a rep away and back, changes a rep's capacity (their share of the team's new
leads) or their cap on open leads (at the cap, assignment skips them) and adds reps. In the browser each change
redraws the rep's row in place; without script, a change is a plain form post and the page is drawn again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.domain.permissions import Action
from leadpact.http.deps import Now, Uow
from leadpact.services import team
from leadpact.services.team import Member
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.web.render import render
from leadpact.web.session import Posting, Viewing

router = APIRouter()


@router.get("/team")
def team_page(request: Request, viewer: Viewing, uow: Uow) -> Response:
    viewer.principal.require(Action.MANAGE_TEAM)
    return render(request, "team/index.html", rosters=team.rosters(uow))


def _member(uow: UnitOfWork, name: str) -> Member:
    for roster in team.rosters(uow):
        for member in roster.reps:
            if member.name == name:
                return member
    raise NotFound(f"{name} is not a rep of any team")


def _changed(request: Request, uow: UnitOfWork, name: str, message: str) -> Response:
    """The rep's row drawn again for an HTMX request (with the message in the page's message area)."""
    if request.headers.get("HX-Request"):
        return render(request, "team/row.html", member=_member(uow, name), message=message)
    return RedirectResponse("/team", status_code=303)


@router.post("/team/away")
def mark_away(request: Request, viewer: Posting, uow: Uow, clock: Now, name: Annotated[str, Form()]) -> Response:
    viewer.principal.require(Action.MANAGE_TEAM)
    team.set_available(uow, clock, name, False)
    return _changed(request, uow, name, f"{name} is away and gets no new leads.")


@router.post("/team/back")
def mark_back(request: Request, viewer: Posting, uow: Uow, clock: Now, name: Annotated[str, Form()]) -> Response:
    viewer.principal.require(Action.MANAGE_TEAM)
    team.set_available(uow, clock, name, True)
    return _changed(request, uow, name, f"{name} is back and gets new leads again.")


@router.post("/team/capacity")
def change_capacity(
    request: Request,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    name: Annotated[str, Form()],
    capacity: Annotated[int, Form()],
) -> Response:
    viewer.principal.require(Action.MANAGE_TEAM)
    team.set_capacity(uow, clock, name, capacity)
    return _changed(request, uow, name, f"{name}'s capacity is now {capacity}.")


@router.post("/team/max-open")
def change_max_open(
    request: Request,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    name: Annotated[str, Form()],
    max_open: Annotated[str, Form()] = "",
) -> Response:
    """Cap the rep's open leads; an empty cap lifts it."""
    viewer.principal.require(Action.MANAGE_TEAM)
    text = max_open.strip()
    if text and not text.isdigit():
        raise InvalidInput(f"{name}'s cap on open leads must be a whole number, not '{text}'", "max_open")
    cap = int(text) if text else None
    team.set_max_open(uow, clock, name, cap)
    said = f"{name} holds at most {cap} open leads." if cap is not None else f"{name} has no cap on open leads."
    return _changed(request, uow, name, said)


@router.post("/team/reps")
def add_rep(
    viewer: Posting,
    uow: Uow,
    clock: Now,
    name: Annotated[str, Form()],
    team_name: Annotated[str, Form(alias="team")],
    capacity: Annotated[int, Form()] = 1,
    email: Annotated[str, Form()] = "",
) -> Response:
    viewer.principal.require(Action.MANAGE_TEAM)
    team.add_user(uow, clock, name, "rep", team_name, capacity, email.strip() or None)
    return RedirectResponse("/team", status_code=303)
