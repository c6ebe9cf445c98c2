"""Capture forms: managed under /api/v1/forms; posted publicly (no token) to /capture/{key} from the company's site.

A browser may post a form only from one of the form's origins: the answer then carries that origin in
``Access-Control-Allow-Origin`` (errors included, so the page can show them), and a preflight is answered for
it. A post from another browser origin is refused; a post without an ``Origin`` (a server) is taken.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from starlette.datastructures import MutableHeaders, UploadFile
from starlette.types import Message, Receive, Scope, Send

from leadpact.api.limits import Window
from leadpact.api.routes.common import PREFIX, documented, errors, permitted
from leadpact.api.schemas import CaptureOut, FormIn, FormOut
from leadpact.domain.errors import InvalidInput, NotPermitted, Throttled
from leadpact.domain.permissions import Action, Principal
from leadpact.http.deps import Now, Uow, client_address
from leadpact.services import agreements, forms
from leadpact.store.tables import Campaign, CaptureForm
from leadpact.store.unit_of_work import UnitOfWork

router = APIRouter(prefix=PREFIX, tags=["forms"], responses=errors(401, 403, 422))
Manager = Annotated[Principal, permitted(Action.MANAGE_CAMPAIGNS)]
ALLOWED = "leadpact.allowed_origin"
"""Where the capture routes note, in the request's scope, the origin they found allowed."""
PREFLIGHT_SECONDS = "600"


def _out(uow: UnitOfWork, request: Request, form: CaptureForm) -> FormOut:
    campaign = uow.session.get(Campaign, form.campaign_id) if form.campaign_id is not None else None
    capture_url = str(request.url_for("capture", form_key=form.key))
    return FormOut(
        id=form.id,
        name=form.name,
        key=form.key,
        capture_url=capture_url,
        snippet=forms.snippet(form, capture_url),
        source=form.source,
        campaign=campaign.name if campaign else None,
        event_type=form.event_type,
        origins=forms.allowed_origins(form),
        field_map=json.loads(form.field_map),
        created_at=form.created_at,
    )


@router.get("/forms", summary="List capture forms")
def list_forms(caller: Manager, uow: Uow, request: Request) -> list[FormOut]:
    """Every capture form with its key, capture URL, source, event and allowed origins."""
    return [_out(uow, request, form) for form in forms.forms(uow)]


@router.post("/forms", status_code=201, summary="Create a capture form", responses=errors(422))
def add_form(caller: Manager, body: FormIn, uow: Uow, clock: Now, request: Request) -> FormOut:
    """A form for the company's own site: put `capture_url` in the form's `action` (or post JSON to it from
    the page's script). Each submission creates or updates the lead, with the form's source and campaign,
    and records one event of `event_type` for it. `field_map` renames the form's fields to the lead's
    (`{"work_email": "email"}`); fields named like the lead's need none, others become custom fields.
    Browsers may post it only from `origins`. Needs a marketing or admin token."""
    form = forms.add_form(
        uow, clock, body.name, body.source, body.origins, body.field_map, body.campaign or None, body.event_type
    )
    return _out(uow, request, form)


class CorsRoute(APIRoute):
    """A capture route whose every answer varies by ``Origin`` and, once the origin is found allowed, says so.

    The headers are added as the answer starts, so they reach the error answers too (drawn by the app's one
    error table), and the page posting the form can read what was wrong.
    """

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.add_vary_header("Origin")
                if origin := scope.get(ALLOWED):
                    headers["Access-Control-Allow-Origin"] = origin
            await send(message)

        await super().handle(scope, receive, sending)


capture_router = APIRouter(tags=["forms"], route_class=CorsRoute, responses=errors(403, 404, 422, 429))
CAPTURE_LIMIT = 20
CAPTURE_WINDOW = 600.0
"""Posts of one form from one client address within the window, before the next is refused (429)."""
log = logging.getLogger("leadpact.capture")


def _form(form_key: str, uow: Uow, request: Request) -> CaptureForm:
    """The form of the key, once the browser's origin (if any) is one the form allows."""
    form = forms.form_by_key(uow, form_key)
    origin = request.headers.get("origin")
    if origin is not None:
        if origin.rstrip("/") not in forms.allowed_origins(form):
            raise NotPermitted(f"Origin: {origin} may not post this form; its site must be one of the form's origins")
        request.scope[ALLOWED] = origin
    return form


Form = Annotated[CaptureForm, Depends(_form)]


def _not_too_often(form: Form, request: Request) -> CaptureForm:
    """The form, once this client has not posted it too often (``CAPTURE_LIMIT`` per ``CAPTURE_WINDOW`` seconds;
    preflights do not count)."""
    limit: Window = request.app.state.capture_limit
    wait = limit.hit((form.id, client_address(request)))
    if wait is not None:
        raise Throttled(f"this form was posted too often from here; try again in {wait} seconds", retry_after=wait)
    return form


async def _posted(request: Request) -> dict[str, str]:
    """The submitted fields, form-encoded, multipart or a JSON object, as text."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
        async with request.form() as data:
            return _texts(list(data.multi_items()))
    if kind == "application/json" or kind.endswith("+json"):
        try:
            value = await request.json()
        except ValueError as exc:
            raise InvalidInput("body: not valid JSON") from exc
        if not isinstance(value, dict):
            raise InvalidInput('body: a JSON submission is an object of fields, like {"email": "ann@acme.example"}')
        return _texts(list(value.items()))
    raise InvalidInput(
        f"Content-Type: '{kind or 'none'}' is not a form; post application/x-www-form-urlencoded, "
        "multipart/form-data or JSON"
    )


def _texts(items: list[tuple[str, Any]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for name, value in items:
        if isinstance(value, UploadFile):
            raise InvalidInput(f"{name}: files are not taken")
        if isinstance(value, dict | list):
            raise InvalidInput(f"{name}: a field's value is text or a number, not a list or an object")
        if isinstance(value, str) and "\ufffd" in value:  # what bytes that are not UTF-8 decode to
            raise InvalidInput(f"{name}: holds bytes that are not UTF-8 text")
        if value is not None:
            fields[name] = value if isinstance(value, str) else json.dumps(value)
    return fields


def _thanks(form: CaptureForm, redirect: str | None) -> str | None:
    """Where to send the browser after a classic form post: a page on one of the form's own sites."""
    if redirect is None:
        return None
    parts = urlsplit(redirect)
    if f"{parts.scheme}://{parts.netloc}" not in forms.allowed_origins(form):
        raise InvalidInput(f"redirect: {redirect} is not on one of the form's sites")
    return redirect


CAPTURE_BODY = {
    "required": True,
    "content": {
        kind: {"schema": {"type": "object", "additionalProperties": {"type": "string"}, "example": example}}
        for kind, example in (
            ("application/x-www-form-urlencoded", {"email": "ann@acme.example", "title": "VP Operations"}),
            ("multipart/form-data", {"email": "ann@acme.example", "title": "VP Operations"}),
            ("application/json", {"email": "ann@acme.example", "company": "Acme Robotics", "employees": 800}),
        )
    },
}


@capture_router.post(
    "/capture/{form_key}",
    name="capture",
    status_code=201,
    summary="Post a capture form (public)",
    response_model=CaptureOut,
    responses={
        200: documented(CaptureOut, "The lead existed; the submission updated it."),
        303: documented(None, "With `redirect`: the browser is sent there."),
        **errors(403, 404, 422),
    },
    openapi_extra={"requestBody": CAPTURE_BODY},
)
def capture(
    form: Annotated[CaptureForm, Depends(_not_too_often)],
    fields: Annotated[Mapping[str, str], Depends(_posted)],
    uow: Uow,
    clock: Now,
    response: Response,
    redirect: Annotated[
        str | None, Query(description="After a classic form post, send the browser to this page of the form's site.")
    ] = None,
) -> CaptureOut | Response:
    """The public end of a capture form: no token, the form's key is enough. Takes the fields form-encoded
    (a plain HTML form), multipart or as a JSON object, renames them as the form says, and creates (201) or
    updates (200) the lead, then records the form's event. Nothing is stored when a field is wrong (422
    names it). A browser may post only from one of the form's origins (else 403)."""
    thanks = _thanks(form, redirect)
    if forms.caught(fields):  # a program filled the hidden field: it is answered as a person would be, no more
        log.info("capture form %s: a submission filled the hidden field and was ignored", form.id)
        created, outcome = True, "counted"
    else:
        submission = forms.submit(uow, clock, agreements.in_force(uow), form, fields)
        created, outcome = submission.created, submission.outcome
    if thanks is not None:
        return RedirectResponse(thanks, status_code=303)
    response.status_code = 201 if created else 200
    return CaptureOut(created=created, outcome=outcome)


@capture_router.options(
    "/capture/{form_key}",
    status_code=204,
    summary="Preflight a capture form (public)",
    response_class=Response,
    responses={204: documented(None, "The origin may post the form."), **errors(403, 404)},
)
def preflight(form: Form, request: Request) -> Response:
    """What a browser asks before posting JSON from another site: answered for the form's own origins."""
    if ALLOWED not in request.scope:
        return Response(status_code=204, headers={"Allow": "OPTIONS, POST"})
    asked = request.headers.get("access-control-request-headers")
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Methods": "POST, OPTIONS",
            "Access-Control-Allow-Headers": asked or "Content-Type",
            "Access-Control-Max-Age": PREFLIGHT_SECONDS,
        },
    )
