"""The team page: reps by team with their capacity, who is away, their open leads and the team's manager.

A manager (or an admin) marks a rep away and back, changes a rep's capacity (their share of the team's new
leads) or their cap on open leads (at the cap, assignment skips them), adds reps and removes them. In the browser
each change redraws the rep's row in place; without script, a change is a plain form post and the page is drawn
again. A rep joins a team chosen from those there are, or one named as new: a typo starts no team. Removing a rep
asks first, then deals their queue to other reps and lists where each lead went.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.domain.permissions import Action
from leadpact.http.deps import Now, Uow
from leadpact.services import people, team
from leadpact.services.handoff import Rerouted
from leadpact.services.team import Member
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.web.render import render
from leadpact.web.session import Posting, Viewing

router = APIRouter()


def _team_page(
    request: Request,
    uow: UnitOfWork,
    status: int = 200,
    done: str | None = None,
    error: str | None = None,
    rerouted: tuple[Rerouted, ...] = (),
) -> Response:
    return render(
        request, "team/index.html", status=status, rosters=team.rosters(uow), done=done, error=error, rerouted=rerouted
    )


@router.get("/team")
def team_page(request: Request, viewer: Viewing, uow: Uow) -> Response:
    viewer.principal.require(Action.MANAGE_TEAM)
    return _team_page(request, uow)


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
    request: Request,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    name: Annotated[str, Form()],
    team_name: Annotated[str, Form(alias="team")] = "",
    new_team: Annotated[str, Form()] = "",
    capacity: Annotated[int, Form()] = 1,
    email: Annotated[str, Form()] = "",
) -> Response:
    """Add a rep to a team there is, or to a new team named in its own field (not both)."""
    viewer.principal.require(Action.MANAGE_TEAM)
    if new_team.strip() and team_name.strip():
        return _team_page(request, uow, 422, error="team: choose a team there is or name a new one, not both")
    joined = new_team.strip() or team_name
    try:
        team.add_user(uow, clock, name, "rep", joined, capacity, email.strip() or None, new_team=bool(new_team.strip()))
    except (InvalidInput, NotFound) as refused:  # raised before anything is changed
        return _team_page(request, uow, 422, error=refused.detail)
    return RedirectResponse("/team", status_code=303)


@router.post("/team/remove")
def remove_rep(request: Request, viewer: Posting, uow: Uow, clock: Now, name: Annotated[str, Form()]) -> Response:
    """Take the rep off their team: disabled, kept with their history, their queue dealt to other reps."""
    viewer.principal.require(Action.MANAGE_TEAM)
    removed = people.remove_rep(uow, clock, name)
    return _team_page(request, uow, done=removed.said, rerouted=removed.rerouted)
