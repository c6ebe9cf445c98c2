"""What sales does with a lead handed to it: accept, reject, contact, qualify, convert, move, win, lose, and the
feedback it records on contact, lost and won; and marketing's disqualification of an inquiry.

A rep acts only on the leads assigned to them; a manager or an admin acts as the lead's owner. Each answer is
the lead as it stands after the action (with its opportunity when the action was on one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter

from leadpact.api.routes.common import PREFIX, acting_rep, errors, permitted, summarize
from leadpact.api.schemas import (
    ConvertIn,
    FeedbackIn,
    FeedbackOut,
    LeadAfter,
    OpportunityOut,
    QualifyIn,
    ReasonIn,
    RejectIn,
    StageIn,
)
from leadpact.domain.feedback import Given
from leadpact.domain.permissions import Action, Principal
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.services import feedback, intake, opportunities, sales
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.tables import Lead, Opportunity
from leadpact.store.unit_of_work import UnitOfWork

router = APIRouter(prefix=f"{PREFIX}/leads/{{ref}}", tags=["sales"], responses=errors(401, 403, 404, 409, 422))
Worker = Annotated[Principal, permitted(Action.WORK_LEADS)]

Act = Callable[[Lead, str | None], Opportunity | bool | None]
"""A service call on the lead, given the acting rep; what it returns (an opportunity, or the first-contact flag)."""


def _act(uow: UnitOfWork, clock: Clock, inforce: InForce, caller: Principal, ref: str, work: Act) -> LeadAfter:
    lead = intake.lead_for_change(uow, ref)
    caller.require_owner(lead.owner_id, f"lead {ref}")
    done = work(lead, acting_rep(caller))
    after = summarize(uow, inforce, lead, clock.now()).model_dump()
    if isinstance(done, Opportunity):
        return LeadAfter(**after, opportunity=OpportunityOut.model_validate(done))
    return LeadAfter(**after, first_contact=done)


@router.post("/accept", summary="Accept a lead")
def accept(ref: str, caller: Worker, uow: Uow, clock: Now, inforce: Agreement) -> LeadAfter:
    """The assigned rep accepts the MQL: it becomes a sales-accepted lead (sal) and the accept SLA stops."""
    return _act(uow, clock, inforce, caller, ref, lambda lead, rep: sales.accept(uow, clock, inforce, lead, rep))


@router.post("/reject", summary="Reject a lead with a reason")
def reject(ref: str, body: RejectIn, caller: Worker, uow: Uow, clock: Now, inforce: Agreement) -> LeadAfter:
    """Send the lead back with one of the agreement's reject reasons: it is recycled to marketing (and may
    come back after the reason's cooldown) or disqualified, as the reason says. An optional note says why in
    the rep's words; the lead's activity shows it with the stage change."""

    def work(lead: Lead, rep: str | None) -> None:
        sales.reject(uow, clock, inforce, lead, body.reason, rep, body.note)

    return _act(uow, clock, inforce, caller, ref, work)


@router.post("/contact", summary="Log a contact")
def contact(ref: str, caller: Worker, uow: Uow, clock: Now, inforce: Agreement) -> LeadAfter:
    """Log a contact with the lead; the first one stops the first-contact SLA clock (`first_contact`)."""
    return _act(uow, clock, inforce, caller, ref, lambda lead, rep: sales.contact(uow, clock, lead, rep))


@router.post("/qualify", summary="Record the qualification answers")
def qualify(ref: str, body: QualifyIn, caller: Worker, uow: Uow, clock: Now, inforce: Agreement) -> LeadAfter:
    """Answer every qualification question of the agreement (see GET /api/v1/agreement): the accepted lead
    becomes sales-qualified (sql); answers that fit rules use (such as budget) rescore its fit."""
    return _act(
        uow,
        clock,
        inforce,
        caller,
        ref,
        lambda lead, rep: sales.qualify(uow, clock, inforce, lead, body.answers, rep),
    )


@router.post("/convert", summary="Convert to an opportunity")
def convert(ref: str, body: ConvertIn, caller: Worker, uow: Uow, clock: Now, inforce: Agreement) -> LeadAfter:
    """The sales-qualified lead becomes an opportunity in the agreement's first sales stage."""
    return _act(
        uow,
        clock,
        inforce,
        caller,
        ref,
        lambda lead, rep: opportunities.convert(uow, clock, inforce, lead, body.amount, body.close_date, rep),
    )


@router.post("/stage", summary="Move the opportunity to another sales stage")
def stage(ref: str, body: StageIn, caller: Worker, uow: Uow, clock: Now, inforce: Agreement) -> LeadAfter:
    """To the next sales stage, or back to any earlier one."""
    return _act(
        uow,
        clock,
        inforce,
        caller,
        ref,
        lambda lead, rep: opportunities.move_stage(uow, clock, inforce, lead, body.stage, rep),
    )


@router.post("/won", summary="Close the opportunity as won")
def won(ref: str, caller: Worker, uow: Uow, clock: Now, inforce: Agreement) -> LeadAfter:
    """The opportunity is won: the lead becomes a customer."""
    return _act(uow, clock, inforce, caller, ref, lambda lead, rep: opportunities.win(uow, clock, inforce, lead, rep))


@router.post("/lost", summary="Close the opportunity as lost")
def lost(ref: str, body: ReasonIn, caller: Worker, uow: Uow, clock: Now, inforce: Agreement) -> LeadAfter:
    """Lost, with a lost reason of the opportunity's current stage; the lead goes back to nurturing."""
    return _act(
        uow,
        clock,
        inforce,
        caller,
        ref,
        lambda lead, rep: opportunities.lose(uow, clock, inforce, lead, body.reason, rep),
    )


@router.post("/disqualify", summary="Disqualify an inquiry")
def disqualify(
    ref: str,
    body: ReasonIn,
    caller: Annotated[Principal, permitted(Action.CAPTURE)],
    uow: Uow,
    clock: Now,
    inforce: Agreement,
) -> LeadAfter:
    """Marketing takes an inquiry out for good (spam, bad data, a competitor) with one of the agreement's
    reject reasons that disqualify. Needs a marketing or admin token: an inquiry is marketing's, not a rep's."""
    lead = intake.lead_for_change(uow, ref)
    sales.disqualify(uow, clock, inforce, lead, body.reason, caller.name if caller.user_id is not None else None)
    return LeadAfter(**summarize(uow, inforce, lead, clock.now()).model_dump())


@router.post("/feedback", summary="Record sales feedback")
def record_feedback(
    ref: str, body: FeedbackIn, caller: Worker, uow: Uow, clock: Now, inforce: Agreement
) -> FeedbackOut:
    """What the rep learned on the lead's contact, lost or won deal: the competitor met, product requests, the
    message or campaign that opened the door (each from the agreement's ``feedback`` lists) and a note. It belongs
    to the rep of the contact or the deal's owner; a value outside the lists is refused, naming those allowed."""
    lead = intake.lead_for_change(uow, ref)
    caller.require_owner(feedback.subject(uow, lead, body.moment).owner_id, f"the {body.moment} of lead {ref}")
    given = Given(body.competitor, tuple(body.requests), body.message, body.note)
    row = feedback.record(uow, clock, inforce, lead, body.moment, given, acting_rep(caller))
    return FeedbackOut(
        id=row.id,
        lead_id=row.lead_id,
        opportunity_id=row.opportunity_id,
        moment=row.moment,
        competitor=row.competitor,
        requests=feedback.requests_of(uow, row),
        message=row.message,
        note=row.note,
        at=row.at,
    )
