"""The nurture page: each sequence's funnel (emails sent, opened, clicked, and the leads that qualified) and its
steps, and two forms. Marketing (a marketing user or a marketing-side manager, as for ``leadpact nurture adopt``)
adopts a new version of the sequences, uploaded or pasted: a refused file comes back with every problem under its
line, and nothing is stored. Those who manage campaigns enrol leads in a sequence by their emails and see who was
enrolled, who already was, and who will get nothing (no consent, suppressed, assigned); an email that is no lead's
refuses the whole list, as the service does."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from leadpact.domain.errors import InvalidAgreement, InvalidInput, NotFound
from leadpact.domain.permissions import Action, Role
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.http.errors import status_of
from leadpact.services import nurture
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.web.agreement import listing
from leadpact.web.render import render
from leadpact.web.session import Posting, Viewer, Viewing

router = APIRouter()
PASTED = "nurture.yaml"
"""The name a pasted file goes by: its problems read ``nurture.yaml:LINE: key: message``."""
EMPTY_FORMS: dict[str, Any] = {
    "adopted": None,
    "text": "",
    "listing": None,
    "adopt_refusal": None,
    "chosen": "",
    "emails": "",
    "enrolled": None,
    "held": {},
    "enroll_refusal": None,
}
"""What the two forms show before anything is posted."""


def _may_adopt(viewer: Viewer) -> bool:
    """Whom ``services.nurture.adopt`` admits: marketing's side (the page only offers the form to them)."""
    p = viewer.principal
    return p.role == Role.MARKETING or (p.role == Role.MANAGER and p.side == "marketing")


def _page(request: Request, viewer: Viewer, uow: UnitOfWork, status: int = 200, **forms: Any) -> Response:
    viewer.principal.require(Action.READ_REPORTS)
    found = nurture.in_force(uow)
    version, sequences = (found[0], list(found[1].sequences.values())) if found else (None, [])
    return render(
        request,
        "nurture/index.html",
        status=status,
        version=version,
        sequences=sequences,
        stats={s.name: s for s in nurture.stats(uow)} if found else {},
        smtp=request.app.state.settings.smtp_url is not None,
        may_adopt=_may_adopt(viewer),
        may_enroll=viewer.principal.may(Action.MANAGE_CAMPAIGNS),
        **EMPTY_FORMS | forms,
    )


@router.get("/nurture")
def nurture_page(request: Request, viewer: Viewing, uow: Uow, adopted: int | None = None) -> Response:
    return _page(request, viewer, uow, adopted=adopted)


async def _submitted(text: str, file: UploadFile | None) -> tuple[str, str]:
    """The file's text and the name it goes by: a chosen file wins over pasted text."""
    if file is not None and file.filename:
        try:
            content = (await file.read()).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{file.filename} is not UTF-8 text; save it as UTF-8 and try again", "file") from exc
        return content.replace("\r\n", "\n"), file.filename
    if not text.strip():
        raise InvalidInput("paste the sequences' YAML, or choose a file", "text")
    return text.replace("\r\n", "\n"), PASTED  # browsers end a textarea's lines in CR LF


@router.post("/nurture/adopt")
async def adopt(
    request: Request,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    text: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Adopt the file as the next version; a refused one comes back with each problem under its line."""
    viewer.principal.require(Action.READ_REPORTS)
    try:
        content, source = await _submitted(text, file)
    except InvalidInput as error:
        return _page(request, viewer, uow, status_of(error), adopt_refusal=error.problem)
    try:
        row = nurture.adopt(uow, clock, inforce, content, source, viewer.principal.name)
    except InvalidAgreement as error:
        found = listing(content, source, error.problems)
        return _page(request, viewer, uow, status_of(error), text=content, listing=found)
    return RedirectResponse(f"/nurture?adopted={row.version}", status_code=303)


@router.post("/nurture/enroll")
def enroll(
    request: Request,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    sequence: Annotated[str, Form()] = "",
    emails: Annotated[str, Form()] = "",
) -> Response:
    """Enrol the leads whose emails are given (one per line or separated by commas) and show what happened."""
    viewer.principal.require(Action.MANAGE_CAMPAIGNS)
    wanted = [e for e in re.split(r"[\s,;]+", emails) if e]
    kept: dict[str, Any] = {"chosen": sequence, "emails": emails}
    try:
        done = nurture.enroll(uow, clock, inforce, sequence, wanted)
    except (InvalidInput, NotFound) as error:
        problem = error.problem if isinstance(error, InvalidInput) else error.detail
        return _page(request, viewer, uow, status_of(error), enroll_refusal=problem, **kept)
    held = nurture.held_back(uow, done.enrolled)
    return _page(request, viewer, uow, enrolled=done, held=held, **kept)
