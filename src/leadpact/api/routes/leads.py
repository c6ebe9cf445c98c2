"""Leads: capture one, list them with filters and pages, explain one, its activity timeline; a rep's queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from leadpact.api.deps import Caller
from leadpact.api.routes.common import PREFIX, documented, errors, permitted, require_reader, summarize
from leadpact.api.schemas import ActivityOut, LeadDetail, LeadIn, LeadPage, LeadSummary, QueueItemOut
from leadpact.domain.errors import InvalidInput, NotPermitted
from leadpact.domain.lifecycle import Stage
from leadpact.domain.permissions import Action, Principal, Role
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.services import browse, explain, intake, team, timeline
from leadpact.services.queue import queue as queue_of

router = APIRouter(prefix=PREFIX, tags=["leads"], responses=errors(401, 403, 422))
queue_router = APIRouter(prefix=PREFIX, tags=["sales"], responses=errors(401, 403, 422))


@router.post(
    "/leads",
    status_code=201,
    summary="Capture or update a lead",
    responses={200: documented(LeadSummary, "The lead existed; the fields given updated it."), **errors(409, 422)},
)
def capture_lead(
    caller: Annotated[Principal, permitted(Action.CAPTURE)],
    body: LeadIn,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    response: Response,
) -> LeadSummary:
    """Create the lead when its email is new (201), else update the fields given (200); fields left out keep
    their values. The lead's fit is scored again at once, so the answer shows its grade, score and stage; a
    lead whose fit alone meets the agreement's rule is handed to sales and has an owner.

    Needs a marketing or admin token."""
    lead, created = intake.capture_lead(uow, clock, inforce, body.to_input())
    response.status_code = 201 if created else 200
    return summarize(uow, inforce, lead, clock.now())


@router.get("/leads", summary="List leads", responses=errors(409, 422))
def list_leads(
    caller: Caller,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    stage: Stage | None = None,
    grade: Annotated[str | None, Query(description="A grade of the agreement, e.g. A.")] = None,
    priority: Annotated[str | None, Query(description="A priority band of the agreement, e.g. hot.")] = None,
    source: str | None = None,
    owner: Annotated[str | None, Query(description="The name of the rep the leads are assigned to.")] = None,
    q: Annotated[str | None, Query(description="Text in the email, the name or the company.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> LeadPage:
    """Leads matching every filter given, highest score first, a page at a time: ask again with
    `offset=next_offset` until `next_offset` is null.

    A rep's token lists only the leads assigned to that rep; other roles need to be allowed to read leads."""
    if caller.role is Role.REP:
        if owner not in (None, caller.name):
            raise NotPermitted(f"owner: {caller.name} may list only their own leads, not {owner}'s")
        owner = caller.name
    else:
        caller.require(Action.READ_LEADS)
    agreement = inforce.agreement
    grades = [g.grade for g in agreement.grades]
    if grade is not None and grade not in grades:
        raise InvalidInput(f"grade: '{grade}' is not a grade of the agreement; grades: {', '.join(grades)}")
    bands = [b.band for b in agreement.priority]
    if priority is not None and priority not in bands:
        raise InvalidInput(f"priority: '{priority}' is not a priority band; bands: {', '.join(bands)}")
    where = browse.LeadFilter(stage, grade, source, owner, q, priority)
    page = browse.page_of_leads(uow, inforce, clock.now(), where, limit, offset)
    after = offset + len(page.rows)
    return LeadPage(
        items=page.rows,
        total=page.total,
        limit=limit,
        offset=offset,
        next_offset=after if after < page.total else None,
    )


@router.get("/leads/{ref}", summary="Explain a lead", responses=errors(404, 409))
def lead_detail(ref: str, caller: Caller, uow: Uow, clock: Now, inforce: Agreement) -> LeadDetail:
    """The lead by id or email, with every point of its score explained: the fit rules it meets, each counted
    event with its points and how much of them decay has left, its SLA clock and its stage history; and, once a
    model is trained, ``predicted``: the newest model's chance for the lead, with each feature's effect in log-odds.

    A rep's token sees only the leads assigned to that rep."""
    lead = intake.find_lead(uow, ref)
    require_reader(caller, lead, ref)
    return LeadDetail.model_validate(explain.explain(uow, inforce, lead, clock.now()))


@router.get("/leads/{ref}/activity", summary="A lead's activity timeline", responses=errors(404))
def lead_activity(ref: str, caller: Caller, uow: Uow, clock: Now) -> list[ActivityOut]:
    """Everything that happened to the lead up to now, oldest first: events, hand-offs, contacts, qualification
    answers, stage moves, deal moves and sales feedback. A rep's token sees only the leads assigned to that rep."""
    lead = intake.find_lead(uow, ref)
    require_reader(caller, lead, ref)
    return [ActivityOut.model_validate(item) for item in timeline.timeline(uow, lead, clock.now())]


@queue_router.get("/queue", summary="A rep's queue", responses=errors(404, 409, 422))
def queue(
    caller: Caller,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    rep: Annotated[str | None, Query(description="For a manager or admin: the rep whose queue to show.")] = None,
) -> list[QueueItemOut]:
    """The open leads of the calling rep, hottest first, then by the SLA time that runs out first, each with
    the reasons it scores and what the rep owes next. A manager or an admin names the rep with `rep`."""
    if caller.role is Role.REP:
        if rep not in (None, caller.name):
            raise NotPermitted(f"rep: {caller.name} may see only their own queue, not {rep}'s")
        rep = caller.name
    else:
        caller.require(Action.MANAGE_TEAM)
        if rep is None:
            raise InvalidInput("rep: name the rep whose queue to show, e.g. ?rep=alice")
    user = team.user_named(uow, rep)
    return [QueueItemOut.model_validate(item) for item in queue_of(uow, inforce, user, clock.now())]
