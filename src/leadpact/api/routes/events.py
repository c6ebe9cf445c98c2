"""Events: what leads did, one at a time or in batches; recording is idempotent by event id."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import ValidationError

from leadpact.api.deps import Agreement, Now, Uow
from leadpact.api.routes.common import PREFIX, documented, errors, permitted, problems_of
from leadpact.api.schemas import BatchFailed, BatchIn, BatchOk, BatchOut, EventIn, EventOut, ItemError
from leadpact.domain.errors import InvalidInput, LeadpactError, NotFound
from leadpact.domain.permissions import Action, Principal
from leadpact.services import intake
from leadpact.store.bulk import lookup
from leadpact.store.tables import Lead

router = APIRouter(prefix=PREFIX, tags=["events"], responses=errors(401, 403, 409, 422))
Capturer = Annotated[Principal, permitted(Action.CAPTURE)]
DUPLICATE = "duplicate"


@router.post(
    "/events",
    status_code=201,
    summary="Record one event",
    responses={200: documented(EventOut, "The event id was already recorded: nothing changed."), **errors(404)},
)
def record_event(
    caller: Capturer, body: EventIn, uow: Uow, clock: Now, inforce: Agreement, response: Response
) -> EventOut:
    """Record what a lead did, by the lead's email. The answer says what the agreement made of it: `counted`
    toward the score, `not counted` (over a daily cap, or a repeat of a once-only type) or `not in agreement`
    (a type the agreement gives no points). Sending the same event id again answers 200 with outcome
    `duplicate` and changes nothing, so a client may retry freely. An unknown email is 404: capture the lead
    first. Needs a marketing or admin token."""
    lead = intake.find_lead(uow, intake.normalize_email(body.email))
    report = intake.record_events(uow, clock, inforce, [body.to_input()])
    outcome = report.outcomes[body.event_id]
    if outcome == DUPLICATE:
        response.status_code = 200
    return EventOut(event_id=body.event_id, lead_id=lead.id, outcome=outcome)


def _checked(index: int, item: Any) -> EventIn | BatchFailed:
    """The item as an event, or its refusal."""
    event_id = item.get("event_id") if isinstance(item, dict) else None
    shown = event_id if isinstance(event_id, str) else None
    try:
        event = EventIn.model_validate(item)
        intake.normalize_email(event.email)
    except ValidationError as exc:
        error = ItemError(code=InvalidInput.code, detail="; ".join(problems_of(exc)))
        return BatchFailed(index=index, event_id=shown, error=error)
    except LeadpactError as exc:
        return BatchFailed(index=index, event_id=shown, error=ItemError(code=exc.code, detail=exc.detail))
    return event


def _result(
    index: int, item: EventIn | BatchFailed, known: set[str], outcomes: dict[str, str], seen: set[str]
) -> BatchOk | BatchFailed:
    if isinstance(item, BatchFailed):
        return item
    if intake.normalize_email(item.email) not in known:
        detail = f"email: no lead with email '{item.email}'; capture the lead first"
        return BatchFailed(index=index, event_id=item.event_id, error=ItemError(code=NotFound.code, detail=detail))
    outcome = DUPLICATE if item.event_id in seen else outcomes[item.event_id]  # a repeat within the batch
    seen.add(item.event_id)
    return BatchOk(index=index, event_id=item.event_id, outcome=outcome)


@router.post("/events/batch", summary="Record up to 1000 events")
def record_batch(caller: Capturer, body: BatchIn, uow: Uow, clock: Now, inforce: Agreement) -> BatchOut:
    """Record many events at once, each judged on its own: the good ones are recorded even when others are
    refused, and each result says what became of its event (`outcome`, as for one event) or why it was
    refused (`error`, with the code and the field at fault: a missing field, a bad time, an unknown email).
    Idempotent by event id: the same batch sent again records nothing and reports every event a `duplicate`.
    Needs a marketing or admin token."""
    checked = [_checked(i, item) for i, item in enumerate(body.events)]
    emails = sorted({intake.normalize_email(e.email) for e in checked if isinstance(e, EventIn)})
    known = set(lookup(uow, Lead.__tablename__, "email", "id", emails))
    ready = [e.to_input() for e in checked if isinstance(e, EventIn) and intake.normalize_email(e.email) in known]
    report = intake.record_events(uow, clock, inforce, ready)
    seen: set[str] = set()
    results = [_result(index, item, known, report.outcomes, seen) for index, item in enumerate(checked)]
    return BatchOut(
        results=results,
        recorded=report.recorded,
        duplicates=sum(isinstance(r, BatchOk) and r.outcome == DUPLICATE for r in results),
        failed=sum(isinstance(r, BatchFailed) for r in results),
    )
