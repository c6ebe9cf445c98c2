"""What the API's route modules share: permission checks as dependencies, the lead summary, error documentation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Path
from pydantic import ValidationError

from leadpact.api.deps import Caller, QueuedCaller
from leadpact.api.schemas import ErrorOut, LeadSummary
from leadpact.domain.permissions import Action, Principal, Role
from leadpact.domain.scoring import engagement_at, to_seconds
from leadpact.services.agreements import InForce
from leadpact.store.tables import Lead, User
from leadpact.store.unit_of_work import UnitOfWork

PREFIX = "/api/v1"


def permitted(action: Action, queued: bool = False) -> Any:
    """A dependency giving the caller once they may take ``action``: refused (403) before the body is checked.

    The caller is read in the request's transaction, or with ``queued`` by the recorder (``QueuedCaller``).
    The check itself needs no database, so it runs on the event loop.
    """

    async def check(caller: Caller) -> Principal:
        caller.require(action)
        return caller

    async def check_queued(caller: QueuedCaller) -> Principal:
        caller.require(action)
        return caller

    return Depends(check_queued if queued else check)


def acting_rep(caller: Principal) -> str | None:
    """The rep a service acts as: the caller when they are a rep, else None (the lead's owner)."""
    return caller.name if caller.role is Role.REP else None


def require_reader(caller: Principal, lead: Lead, ref: str) -> None:
    """Who may look at a lead: a rep only at their own, a qualifier at those in screening, others when they may
    read leads.

    A refusal names the lead as the caller did (``ref``), never by what only a reader of it may see.
    """
    if caller.role is Role.REP:
        caller.require_owner(lead.owner_id, f"lead {ref}")
    elif caller.role is Role.QUALIFIER and lead.stage == "screening":
        caller.require(Action.SCREEN)
    else:
        caller.require(Action.READ_LEADS)


def summarize(uow: UnitOfWork, inforce: InForce, lead: Lead, now: datetime) -> LeadSummary:
    """The lead as of ``now``: its engagement decayed to now, and the grade and priority that follow."""
    agreement = inforce.agreement
    engagement = engagement_at(lead.engagement, lead.engagement_at, to_seconds(now), agreement.half_life_days)
    score = lead.fit + engagement
    owner = uow.session.get(User, lead.owner_id) if lead.owner_id is not None else None
    return LeadSummary(
        id=lead.id,
        email=lead.email,
        name=" ".join(p for p in (lead.first_name, lead.last_name) if p),
        company=lead.company,
        stage=lead.stage,
        score=score,
        fit=lead.fit,
        engagement=engagement,
        grade=agreement.grade_for(lead.fit),
        priority=agreement.band_for(score),
        owner=owner.name if owner else None,
        source=lead.source,
    )


MAX_KEY = 2**31 - 1
"""The largest number a table's key can hold on every engine."""
Key = Annotated[int, Path(ge=1, le=MAX_KEY, description="A number, as listed by the API.")]


def problems_of(error: ValidationError) -> list[str]:
    """A validation error's problems as the API words them everywhere: 'field: what is wrong'."""
    return [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors()]


def documented(model: type | None, description: str) -> dict[str, Any]:
    """OpenAPI documentation of a further answer a route gives (a 200 beside its 201, a redirect)."""
    return {"model": model, "description": description} if model else {"description": description}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the error answers a route gives."""
    return {status: {"model": ErrorOut, "description": WHAT[status]} for status in statuses}


WHAT = {
    401: "No API token, or one unknown or revoked: not_authenticated.",
    403: "The token's role may not do this, or not to this lead: not_permitted.",
    404: "Not found: not_found.",
    409: "Not possible now: illegal_transition, conflict or no_agreement.",
    422: "A field is wrong: invalid_input, unknown_reason or agreement_invalid; the detail names it.",
    429: "Too many requests in a short time: too_many_requests; the Retry-After header says when to try again.",
}
