"""Nurture sequences under /api/v1/nurture, and the public links of their emails: unsubscribe (``/u/TOKEN``, one
click by RFC 8058's POST, or a page by GET), the open pixel (``/o/TOKEN``) and tracked clicks (``/c/TOKEN?to=URL``).

The public links need no login: the token, unguessable and different in every email, is the key.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import Field

from leadpact.api.routes.common import PREFIX, errors, permitted
from leadpact.api.schemas import Answer, Body
from leadpact.domain.permissions import Action, Principal
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.services import mailer, nurture

router = APIRouter(prefix=f"{PREFIX}/nurture", tags=["nurture"], responses=errors(401, 403, 404, 422))
public_router = APIRouter(tags=["nurture"], include_in_schema=False)
"""The links in the emails, for people and their mail clients, not for programs: errors come as pages."""
Reader = Annotated[Principal, permitted(Action.READ_REPORTS)]
Enroller = Annotated[Principal, permitted(Action.MANAGE_CAMPAIGNS)]
Adopter = Annotated[Principal, permitted(Action.READ_REPORTS)]  # the service admits marketing's side only


class SequenceOut(Answer):
    name: str
    entry: str
    steps: int
    active: int
    enrolled: int


class SequencesOut(Answer):
    version: int
    sequences: list[SequenceOut]


class StepOut(Answer):
    number: int
    wait_days: float
    subject: str
    body: str
    branches: dict[str, int]
    targets: list[str]


class SequenceDetail(Answer):
    name: str
    entry: str
    steps: list[StepOut]


class EnrollIn(Body):
    emails: list[str] = Field(min_length=1, max_length=10_000, description="The leads' email addresses.")


class EnrolledOut(Answer):
    enrolled: list[str]
    already: list[str]


class AdoptIn(Body):
    text: str = Field(min_length=1, max_length=1_000_000, description="The sequence file (YAML).")
    source: str = Field(default="nurture.yaml", max_length=255, description="The file's name, for its problems.")


class AdoptedOut(Answer):
    version: int
    name: str
    adopted_by: str
    adopted_at: datetime


class StepStatsOut(Answer):
    step: int
    subject: str
    written: int
    sent: int
    opened: int
    clicked: int
    unsubscribed: int
    bounced: int
    qualified: int
    waiting: int


class SequenceStatsOut(Answer):
    name: str
    entry: str
    enrolled: int
    active: int
    steps: list[StepStatsOut]


@router.get("", summary="List the nurture sequences in force")
def list_sequences(caller: Reader, uow: Uow) -> SequencesOut:
    """The version of the sequence file in force and its sequences, with the leads in each now and ever."""
    version, rows = nurture.sequences(uow)
    return SequencesOut(version=version, sequences=[SequenceOut.model_validate(r) for r in rows])


@router.post("", status_code=201, summary="Adopt a version of the nurture sequences")
def adopt(caller: Adopter, body: AdoptIn, uow: Uow, clock: Now, inforce: Agreement) -> AdoptedOut:
    """Store the file as the next version, in force from now. Marketing owns nurture: the caller is a marketing
    user or a marketing-side manager. Every problem of the file is named with its line and key (422)."""
    row = nurture.adopt(uow, clock, inforce, body.text, body.source, caller.name)
    return AdoptedOut.model_validate(row)


@router.get("/stats", summary="What each sequence's emails did")
def stats(caller: Reader, uow: Uow) -> list[SequenceStatsOut]:
    """Per sequence and step: emails written, sent, opened, clicked, unsubscribed from, bounced, waiting in the
    outbox, and leads that qualified after that step."""
    return [SequenceStatsOut.model_validate(s) for s in nurture.stats(uow)]


@router.get("/{name}", summary="Show a sequence")
def show(caller: Reader, name: str, uow: Uow) -> SequenceDetail:
    """A sequence's entry and steps: the wait before each, its subject and body, its branches and links."""
    seq = nurture.sequence(uow, name)
    steps = [
        StepOut(
            number=s.number,
            wait_days=s.wait_days,
            subject=s.subject,
            body=s.body,
            branches=dict(s.branches),
            targets=list(s.targets),
        )
        for s in seq.steps
    ]
    return SequenceDetail(name=seq.name, entry=seq.entry, steps=steps)


@router.post("/{name}/enroll", summary="Enrol leads in a sequence")
def enroll(caller: Enroller, name: str, body: EnrollIn, uow: Uow, clock: Now, inforce: Agreement) -> EnrolledOut:
    """Put leads in the sequence by hand; a lead already in it stays where it is. An unknown email refuses the
    whole list (404), naming it."""
    done = nurture.enroll(uow, clock, inforce, name, body.emails)
    return EnrolledOut(enrolled=done.enrolled, already=done.already)


UNSUBSCRIBED = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Unsubscribed</title></head>
<body><main><h1>You are unsubscribed</h1><p>No more of these emails will be sent to {address}.</p></main></body></html>
"""


@public_router.get("/u/{token}", response_class=HTMLResponse, summary="Unsubscribe from a link in an email (public)")
def unsubscribe_page(token: str, uow: Uow, clock: Now) -> HTMLResponse:
    """The visible link in every nurture email: records the unsubscribe and confirms it."""
    address = mailer.unsubscribe(uow, clock, token)
    return HTMLResponse(UNSUBSCRIBED.format(address=html.escape(address)))


@public_router.post("/u/{token}", summary="One-click unsubscribe (RFC 8058, public)")
def unsubscribe_one_click(token: str, uow: Uow, clock: Now) -> Response:
    """What a mail client posts (``List-Unsubscribe=One-Click``) for the ``List-Unsubscribe`` header's link."""
    mailer.unsubscribe(uow, clock, token)
    return Response(status_code=200, content="unsubscribed\n", media_type="text/plain")


@public_router.get("/o/{token}", summary="The open pixel of an email (public)")
def pixel(token: str, uow: Uow, clock: Now) -> Response:
    """A 1x1 image; loading it records the email as opened (once per email)."""
    mailer.opened(uow, clock, token)
    return Response(content=mailer.PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})


@public_router.get("/c/{token}", summary="A tracked link of an email (public)")
def click(
    token: str,
    uow: Uow,
    clock: Now,
    to: Annotated[str, Query(max_length=2000, description="The link of the email to go to.")],
) -> RedirectResponse:
    """Records the click and redirects to the link, which must be one the email's step wrote (else 422)."""
    return RedirectResponse(mailer.clicked(uow, clock, token, to), status_code=302)
