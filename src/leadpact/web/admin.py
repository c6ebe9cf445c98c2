"""The admin's pages: people and their access, API tokens, capture forms, webhook subscriptions (with the failing
ones and why), and the audit trail.

A secret (a person's new password, a token, a webhook's signing secret) is shown once, on the page that follows
its making; disabling a person, revoking a token and removing a webhook ask first. Capture forms are marketing's
too: the page shows each form's HTML to paste on the company's site.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from leadpact.domain.audit import ACTIONS
from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.domain.permissions import ROLE_NAMES, SIDES, Action, Role
from leadpact.http.deps import Now, Uow
from leadpact.services import audit, auth, forms, imports, people, team, webhooks
from leadpact.services.clock import Clock
from leadpact.services.handoff import Rerouted
from leadpact.services.outbox import TOPICS
from leadpact.store.tables import CaptureForm
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.web.dates import parse_day
from leadpact.web.render import render
from leadpact.web.session import Posting, Viewing

router = APIRouter()
SHOWN = 200
"""Audit entries a page shows, newest first."""
TOKEN_ROLES = tuple(role.value for role in Role if role not in (Role.REP, Role.QUALIFIER))
"""The roles a token may have of its own; a rep's or a qualifier's token acts for that person."""
REFUSED = (InvalidInput, NotFound)
"""Refusals a page shows above its forms instead of the error page: the services raise them before they change
anything, so the rest of the request's work may land."""


def _webhooks_page(
    request: Request,
    uow: UnitOfWork,
    status: int = 200,
    error: str | None = None,
    created: dict[str, object] | None = None,
) -> Response:
    return render(
        request,
        "admin/webhooks.html",
        status=status,
        subscriptions=webhooks.subscriptions(uow),
        topics=TOPICS,
        error=error,
        created=created,
    )


@router.get("/admin/webhooks")
def webhooks_page(request: Request, viewer: Viewing, uow: Uow) -> Response:
    viewer.principal.require(Action.MANAGE_ACCESS)
    return _webhooks_page(request, uow)


@router.post("/admin/webhooks")
def add_webhook(
    request: Request,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    url: Annotated[str, Form()],
    topic: Annotated[list[str] | None, Form()] = None,
) -> Response:
    viewer.principal.require(Action.MANAGE_ACCESS)
    try:
        webhook, secret = webhooks.add(uow, clock, url, topic or [])
    except InvalidInput as error:
        return _webhooks_page(request, uow, 422, error=error.detail)
    created = {"id": webhook.id, "url": webhook.url, "secret": secret}
    return _webhooks_page(request, uow, 201, created=created)


@router.post("/admin/webhooks/{webhook_id:int}/remove")
def remove_webhook(viewer: Posting, uow: Uow, clock: Now, webhook_id: int) -> Response:
    viewer.principal.require(Action.MANAGE_ACCESS)
    webhooks.remove(uow, clock, webhook_id)
    return RedirectResponse("/admin/webhooks", status_code=303)


@router.get("/admin/audit")
def audit_page(request: Request, viewer: Viewing, uow: Uow, clock: Now, since: str | None = None) -> Response:
    viewer.principal.require(Action.READ_AUDIT)
    start = _day(since, clock)
    entries = [(e, ACTIONS.get(e.action, e.action), audit.detail_of(e)) for e in audit.entries(uow, start, SHOWN)]
    return render(request, "admin/audit.html", entries=entries, since=start.date(), shown=SHOWN)


def _day(text: str | None, clock: Clock) -> datetime:
    """The start of a UTC day given as YYYY-MM-DD; by default 30 days ago."""
    day = parse_day(text, "since") or clock.now().date() - timedelta(days=30)
    return datetime.combine(day, time(), UTC)


def _people_page(
    request: Request,
    uow: UnitOfWork,
    status: int = 200,
    done: str | None = None,
    error: str | None = None,
    password: tuple[str, str] | None = None,
    rerouted: Sequence[Rerouted] = (),
) -> Response:
    return render(
        request,
        "admin/people.html",
        status=status,
        people=people.people(uow),
        teams=team.team_names(uow),
        roles=ROLE_NAMES,
        sides=SIDES,
        done=done,
        error=error,
        password=password,
        rerouted=rerouted,
    )


@router.get("/admin/people")
def people_page(request: Request, viewer: Viewing, uow: Uow) -> Response:
    viewer.principal.require(Action.MANAGE_ACCESS)
    return _people_page(request, uow)


@router.post("/admin/people")
def add_person(
    request: Request,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    name: Annotated[str, Form()],
    role: Annotated[str, Form()],
    email: Annotated[str, Form()] = "",
    side: Annotated[str, Form()] = "",
    team_name: Annotated[str, Form(alias="team")] = "",
    capacity: Annotated[int, Form()] = 1,
) -> Response:
    """Add a person with a password made for them, shown once: they sign in with it."""
    viewer.principal.require(Action.MANAGE_ACCESS)
    share = capacity if role == Role.REP else 0  # the form's capacity field counts only for a rep
    try:
        user = team.add_user(
            uow, clock, name, role, team_name or None, share, email.strip() or None, side or None, new_team=False
        )
    except REFUSED as refused:
        return _people_page(request, uow, 422, error=refused.detail)
    password = people.new_password(uow, clock, user.name)
    return _people_page(request, uow, 201, done=f"{user.name} ({user.role}) is added.", password=(user.name, password))


@router.post("/admin/people/disable")
def disable_person(request: Request, viewer: Posting, uow: Uow, clock: Now, name: Annotated[str, Form()]) -> Response:
    """End the person's access; a rep's queue goes to other reps, as the page then lists."""
    viewer.principal.require(Action.MANAGE_ACCESS)
    try:
        disabled = people.disable(uow, clock, name)
    except REFUSED as refused:
        return _people_page(request, uow, 422, error=refused.detail)
    return _people_page(request, uow, done=disabled.said, rerouted=disabled.rerouted)


@router.post("/admin/people/enable")
def enable_person(request: Request, viewer: Posting, uow: Uow, clock: Now, name: Annotated[str, Form()]) -> Response:
    viewer.principal.require(Action.MANAGE_ACCESS)
    try:
        user = people.enable(uow, clock, name)
    except REFUSED as refused:
        return _people_page(request, uow, 422, error=refused.detail)
    return _people_page(request, uow, done=f"{user.name} has access again.")


@router.post("/admin/people/role")
def change_role(
    request: Request,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    name: Annotated[str, Form()],
    role: Annotated[str, Form()],
    side: Annotated[str, Form()] = "",
    team_name: Annotated[str, Form(alias="team")] = "",
) -> Response:
    viewer.principal.require(Action.MANAGE_ACCESS)
    try:
        user, rerouted = people.set_role(uow, clock, name, role, side or None, team_name or None)
    except REFUSED as refused:
        return _people_page(request, uow, 422, error=refused.detail)
    said = f"{user.name}'s role is now {user.role}{f' ({user.side})' if user.side else ''}."
    return _people_page(request, uow, done=said, rerouted=tuple(rerouted))


@router.post("/admin/people/password")
def reset_password(request: Request, viewer: Posting, uow: Uow, clock: Now, name: Annotated[str, Form()]) -> Response:
    """A new password for the person, shown once; their old one stops working and they are signed out."""
    viewer.principal.require(Action.MANAGE_ACCESS)
    try:
        password = people.new_password(uow, clock, name)
    except REFUSED as refused:
        return _people_page(request, uow, 422, error=refused.detail)
    said = f"{name} has a new password and is signed out everywhere."
    return _people_page(request, uow, done=said, password=(name, password))


def _tokens_page(
    request: Request, uow: UnitOfWork, status: int = 200, error: str | None = None, created: str | None = None
) -> Response:
    return render(
        request,
        "admin/tokens.html",
        status=status,
        tokens=auth.tokens(uow),
        roles=TOKEN_ROLES,
        people=[person for person in people.people(uow) if person.disabled_at is None],
        error=error,
        created=created,
    )


@router.get("/admin/tokens")
def tokens_page(request: Request, viewer: Viewing, uow: Uow) -> Response:
    viewer.principal.require(Action.MANAGE_ACCESS)
    return _tokens_page(request, uow)


@router.post("/admin/tokens")
def create_token(
    request: Request,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    name: Annotated[str, Form()],
    role: Annotated[str, Form()] = "",
    user: Annotated[str, Form()] = "",
) -> Response:
    """A new token; its secret is on this answer only."""
    viewer.principal.require(Action.MANAGE_ACCESS)
    try:
        secret, _ = auth.create_token(uow, clock, name, role, user or None)
    except REFUSED as refused:
        return _tokens_page(request, uow, 422, error=refused.detail)
    return _tokens_page(request, uow, 201, created=secret)


@router.post("/admin/tokens/{token_id:int}/revoke")
def revoke_token(viewer: Posting, uow: Uow, clock: Now, token_id: int) -> Response:
    viewer.principal.require(Action.MANAGE_ACCESS)
    auth.revoke_token(uow, clock, token_id)
    return RedirectResponse("/admin/tokens", status_code=303)


def _forms_page(
    request: Request, uow: UnitOfWork, status: int = 200, error: str | None = None, added: str | None = None
) -> Response:
    shown = [(form, _capture_url(request, form)) for form in forms.forms(uow)]
    return render(
        request,
        "admin/forms.html",
        status=status,
        forms=[(form, url, forms.snippet(form, url), forms.allowed_origins(form)) for form, url in shown],
        default_event=forms.DEFAULT_EVENT,
        error=error,
        added=added,
    )


def _capture_url(request: Request, form: CaptureForm) -> str:
    """Where the form posts, as the API gives it: this site's address as the request reached it."""
    return str(request.url_for("capture", form_key=form.key))


@router.get("/admin/forms")
def forms_page(request: Request, viewer: Viewing, uow: Uow) -> Response:
    viewer.principal.require(Action.MANAGE_CAMPAIGNS)
    return _forms_page(request, uow)


@router.post("/admin/forms")
def add_form(
    request: Request,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    name: Annotated[str, Form()],
    source: Annotated[str, Form()] = "website",
    origins: Annotated[str, Form()] = "",
    field_map: Annotated[str, Form()] = "",
    campaign: Annotated[str, Form()] = "",
    event_type: Annotated[str, Form()] = forms.DEFAULT_EVENT,
) -> Response:
    """A new capture form: one origin a line, one ``form field=lead field`` a line."""
    viewer.principal.require(Action.MANAGE_CAMPAIGNS)
    try:
        mapping = imports.map_pairs([line for line in field_map.splitlines() if line.strip()])
        form = forms.add_form(uow, clock, name, source, origins.split(), mapping, campaign.strip() or None, event_type)
    except REFUSED as refused:
        return _forms_page(request, uow, 422, error=refused.detail)
    return _forms_page(request, uow, 201, added=form.name)
