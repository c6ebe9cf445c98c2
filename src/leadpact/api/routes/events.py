"""Events: what leads did, one at a time or in batches; recording is idempotent by event id.

Single events go through the app's ``Recorder``, which records the events of concurrent requests together in
one transaction; a batch is recorded in its request's own. Both judge each event with ``recorder.record_all``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from leadpact.api.deps import Credentials
from leadpact.api.recorder import DUPLICATE, Fate, Recorded, Recorder, record_all
from leadpact.api.routes.common import PREFIX, documented, errors, permitted, problems_of
from leadpact.api.schemas import BatchFailed, BatchIn, BatchOk, BatchOut, EventIn, EventOut, ItemError
from leadpact.domain.errors import InvalidInput, LeadpactError
from leadpact.domain.permissions import Action, Principal
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.services import intake

router = APIRouter(prefix=PREFIX, tags=["events"], responses=errors(401, 403, 409, 422))
Capturer = Annotated[Principal, permitted(Action.CAPTURE)]
QueuedCapturer = Annotated[Principal, permitted(Action.CAPTURE, queued=True)]


@router.post(
    "/events",
    status_code=201,
    summary="Record one event",
    responses={200: documented(EventOut, "The event id was already recorded: nothing changed."), **errors(404)},
)
async def record_event(
    caller: QueuedCapturer, credentials: Credentials, body: EventIn, request: Request, response: Response
) -> EventOut:
    """Record what a lead did, by the lead's email. The answer says what the agreement made of it: `counted`
    toward the score, `not counted` (over a daily cap, or a repeat of a once-only type) or `not in agreement`
    (a type the agreement gives no points). Sending the same event id again answers 200 with outcome
    `duplicate` and changes nothing, so a client may retry freely. An unknown email is 404: capture the lead
    first. The answer comes once the event is stored. Needs a marketing or admin token."""
    intake.normalize_email(body.email)  # a malformed address is refused here, never in a shared transaction
    recorder: Recorder = request.app.state.recorder
    assert credentials is not None  # a request without a token was refused by QueuedCapturer
    recorded = await recorder.record(credentials.credentials, body.to_input())
    if recorded.outcome == DUPLICATE:
        response.status_code = 200
    return EventOut(event_id=recorded.event_id, lead_id=recorded.lead_id, outcome=recorded.outcome)


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


def _result(index: int, event_id: str, fate: Fate) -> BatchOk | BatchFailed:
    if isinstance(fate, Recorded):
        return BatchOk(index=index, event_id=event_id, outcome=fate.outcome)
    return BatchFailed(index=index, event_id=event_id, error=ItemError(code=fate.code, detail=fate.detail))


@router.post("/events/batch", summary="Record up to 1000 events")
def record_batch(caller: Capturer, body: BatchIn, uow: Uow, clock: Now, inforce: Agreement) -> BatchOut:
    """Record many events at once, each judged on its own: the good ones are recorded even when others are
    refused, and each result says what became of its event (`outcome`, as for one event) or why it was
    refused (`error`, with the code and the field at fault: a missing field, a bad time, an unknown email).
    Idempotent by event id: the same batch sent again records nothing and reports every event a `duplicate`.
    Needs a marketing or admin token."""
    checked = [_checked(i, item) for i, item in enumerate(body.events)]
    events = [e for e in checked if isinstance(e, EventIn)]
    fates = iter(record_all(uow, clock, inforce, [e.to_input() for e in events]))
    results = [
        item if isinstance(item, BatchFailed) else _result(index, item.event_id, next(fates))
        for index, item in enumerate(checked)
    ]
    return BatchOut(
        results=results,
        recorded=sum(isinstance(r, BatchOk) and r.outcome != DUPLICATE for r in results),
        duplicates=sum(isinstance(r, BatchOk) and r.outcome == DUPLICATE for r in results),
        failed=sum(isinstance(r, BatchFailed) for r in results),
    )
