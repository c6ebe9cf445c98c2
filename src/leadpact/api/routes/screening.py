"""The qualifiers' routes: the screening queue, a call, the answers, and the decision on a lead in screening.

A qualifier, a manager or an admin works the queue; a token acting for a person acts as that person, so the
record names who called and decided. Each answer is the lead as it stands after the action.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from leadpact.api.routes.common import PREFIX, errors, permitted, summarize
from leadpact.api.schemas import AnswersIn, CallIn, DecisionIn, ScreeningAfter, ScreeningItemOut
from leadpact.domain.errors import InvalidInput
from leadpact.domain.permissions import Action, Principal
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.services import intake, screening

router = APIRouter(prefix=f"{PREFIX}/screening", tags=["screening"], responses=errors(401, 403, 404, 409, 422))
Screener = Annotated[Principal, permitted(Action.SCREEN)]


def _by(caller: Principal) -> str | None:
    """The person acting, when the caller is one (a token with no person acts for nobody in particular)."""
    return caller.name if caller.user_id is not None else None


@router.get("/queue", summary="The screening queue")
def queue(caller: Screener, uow: Uow, clock: Now, inforce: Agreement) -> list[ScreeningItemOut]:
    """The leads in screening, hottest first, then by the first call that is due first, each with its calls
    and the answers recorded so far."""
    return [ScreeningItemOut.model_validate(i) for i in screening.queue(uow, inforce, clock.now())]


@router.post("/{ref}/calls", summary="Log a screening call")
def call(ref: str, body: CallIn, caller: Screener, uow: Uow, clock: Now, inforce: Agreement) -> ScreeningAfter:
    """Log a call to a lead in screening and how it went; the first one stops the first-call clock."""
    lead = intake.lead_for_change(uow, ref)
    first = screening.call(uow, clock, inforce, lead, body.outcome, body.note, _by(caller))
    return ScreeningAfter(**summarize(uow, inforce, lead, clock.now()).model_dump(), first_call=first)


@router.post("/{ref}/answers", summary="Record answers in screening")
def answers(ref: str, body: AnswersIn, caller: Screener, uow: Uow, clock: Now, inforce: Agreement) -> ScreeningAfter:
    """Record answers to the agreement's questions for a lead in screening; fit rules on answers rescore it."""
    lead = intake.lead_for_change(uow, ref)
    screening.answer(uow, clock, inforce, lead, body.answers, _by(caller))
    return ScreeningAfter(**summarize(uow, inforce, lead, clock.now()).model_dump())


@router.post("/{ref}/decision", summary="Pass, not yet, or disqualify")
def decide(ref: str, body: DecisionIn, caller: Screener, uow: Uow, clock: Now, inforce: Agreement) -> ScreeningAfter:
    """`pass`: the answers must be ready for sales; the lead becomes an MQL, routed and dealt to a rep, who sees
    the answers and the note. `not_yet`: recycled, back in screening only after the agreement's cooldown.
    `disqualify`: ended, with a `reason` of the agreement."""
    by = _by(caller)
    lead = intake.lead_for_change(uow, ref)
    if body.decision == "pass":
        screening.pass_to_sales(uow, clock, inforce, lead, body.note, by, body.answers)
    else:
        if body.answers:
            screening.answer(uow, clock, inforce, lead, body.answers, by)
        if body.decision == "not_yet":
            screening.not_yet(uow, clock, inforce, lead, body.note, by)
        elif not body.reason:
            raise InvalidInput("give the reason to disqualify", "reason")
        else:
            screening.disqualify(uow, clock, inforce, lead, body.reason, body.note, by)
    return ScreeningAfter(**summarize(uow, inforce, lead, clock.now()).model_dump())
