"""The qualifier's page: the screening queue, with a form per lead for the call, the answers, a note and the decision.

One form records what the qualifier did with a lead: a call's outcome, the answers given, and a decision (pass,
not yet, disqualify), in one transaction, through the services the CLI calls. An HTMX post gets back the lead's
row (nothing once the lead has left the queue) with the confirmation in the message area; a plain post is sent
back to the page (303), which shows it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from leadpact.domain.errors import InvalidInput
from leadpact.domain.permissions import Action
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.services import intake, screening
from leadpact.services.agreements import InForce
from leadpact.web.queue import form_answers
from leadpact.web.render import render
from leadpact.web.session import Posting, Viewer, Viewing

router = APIRouter()

DONE = {
    "call": "call logged.",
    "answer": "answers recorded.",
    "pass": "passed to sales: it is an MQL, dealt to a rep, who sees your answers and note.",
    "not_yet": "sent back to nurture; it may come back after the cooldown.",
    "disqualify": "disqualified.",
}
"""What the form did, in words, for the message area."""


def _by(viewer: Viewer) -> str | None:
    return viewer.principal.name if viewer.principal.user_id is not None else None


def _terms(inforce: InForce) -> dict[str, Any]:
    return {
        "terms": inforce.agreement,
        "screening_terms": inforce.agreement.screening,
        "outcomes": screening.OUTCOMES,
        "reasons": screening.reasons(inforce),
    }


@router.get("/screening")
def screening_page(
    request: Request, viewer: Viewing, uow: Uow, clock: Now, inforce: Agreement, done: str | None = None
) -> Response:
    viewer.principal.require(Action.SCREEN)
    items = screening.queue(uow, inforce, clock.now()) if inforce.agreement.screening else []
    return render(request, "screening/queue.html", items=items, done=DONE.get(done or ""), **_terms(inforce))


@router.post("/screening/{lead_id:int}")
def work(
    request: Request,
    lead_id: int,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    answers: Annotated[dict[str, str], Depends(form_answers)],
    outcome: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    viewer.principal.require(Action.SCREEN)
    by = _by(viewer)
    lead = intake.lead_for_change(uow, str(lead_id))
    done: list[str] = []
    if outcome:
        screening.call(uow, clock, inforce, lead, outcome, note if not decision else None, by)
        done.append("call")
    changed = {k: v for k, v in answers.items() if screening.answers_of(uow, lead.id).get(k) != v}
    if changed:
        screening.answer(uow, clock, inforce, lead, changed, by)
        done.append("answer")
    if decision == "pass":
        screening.pass_to_sales(uow, clock, inforce, lead, note, by)
    elif decision == "not_yet":
        screening.not_yet(uow, clock, inforce, lead, note, by)
    elif decision == "disqualify":
        if not reason:
            raise InvalidInput("choose the reason to disqualify", "reason")
        screening.disqualify(uow, clock, inforce, lead, reason, note, by)
    elif decision:
        raise InvalidInput(f"'{decision}' is not a decision; use pass, not_yet or disqualify", "decision")
    if decision:
        done.append(decision)
    if not done:
        raise InvalidInput("choose a call outcome, an answer or a decision", "decision")
    if not request.headers.get("HX-Request"):
        return RedirectResponse(f"/screening?done={done[-1]}", status_code=303)
    message = f"{lead.email}: " + " ".join(DONE[d] for d in done)
    items = [i for i in screening.queue(uow, inforce, clock.now()) if i.lead_id == lead.id]
    return render(request, "screening/row.html", item=items[0] if items else None, message=message, **_terms(inforce))
