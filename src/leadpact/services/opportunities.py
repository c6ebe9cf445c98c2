"""Opportunities: a qualified lead converted to a deal, moved through the sales stages, won or lost."""

from __future__ import annotations

import math
from datetime import date

from sqlalchemy import select

from leadpact.domain.errors import IllegalTransition, InvalidInput, NotFound, UnknownReason
from leadpact.domain.lifecycle import Move, Stage, next_stage
from leadpact.domain.scoring import to_seconds
from leadpact.services import audit, handoff, lifecycle, outbox
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.services.sales import acting_rep
from leadpact.store.tables import Lead, Opportunity, OpportunityChange
from leadpact.store.unit_of_work import UnitOfWork


def open_opportunity(uow: UnitOfWork, lead: Lead) -> Opportunity:
    found = uow.session.scalars(
        select(Opportunity).where(Opportunity.lead_id == lead.id, Opportunity.closed_at.is_(None))
    ).first()
    if found is None:
        raise NotFound(f"lead {lead.email} has no open opportunity (stage {lead.stage})")
    return found


def convert(
    uow: UnitOfWork,
    clock: Clock,
    inforce: InForce,
    lead: Lead,
    amount: float,
    close_date: date,
    rep: str | None = None,
) -> Opportunity:
    """The SQL becomes an opportunity in the first sales stage."""
    if amount <= 0:
        raise InvalidInput("an opportunity's amount is above 0", "amount")
    user = acting_rep(uow, lead, rep)
    now = clock.now()
    lifecycle.move(uow, lead, Move.CONVERT, now, by_user_id=user.id, version=inforce.version)
    first = inforce.agreement.sales_stages[0].name
    opportunity = Opportunity(
        lead_id=lead.id, owner_id=user.id, amount=amount, close_date=close_date, stage=first, created_at=now
    )
    uow.session.add(opportunity)
    uow.session.flush()
    uow.session.add(OpportunityChange(opportunity_id=opportunity.id, to_stage=first, at=now, by_user_id=user.id))
    audit.record(uow, now, "lead.convert", f"lead {lead.id}", rep=user.name, amount=amount, close_date=close_date)
    handoff.end_assignment(uow, lead, now, "converted")
    outbox.post(uow, "opportunity.created", now, lead_id=lead.id, email=lead.email, amount=amount)
    return opportunity


def move_stage(
    uow: UnitOfWork, clock: Clock, inforce: InForce, lead: Lead, stage: str, rep: str | None = None
) -> Opportunity:
    """To the next sales stage, or back to any earlier one."""
    names = inforce.agreement.stage_names()
    if stage not in names:
        raise InvalidInput(f"'{stage}' is not a sales stage; stages: {', '.join(names)}")
    if lead.stage != Stage.OPPORTUNITY:
        raise IllegalTransition(f"lead {lead.email} is in stage {lead.stage}; only an opportunity moves between stages")
    user = acting_rep(uow, lead, rep)
    opportunity = open_opportunity(uow, lead)
    current = names.index(opportunity.stage) if opportunity.stage in names else 0
    target = names.index(stage)
    if target == current or target > current + 1:
        nxt = names[current + 1] if current + 1 < len(names) else None
        allowed = (f"the next stage is {nxt}" if nxt else "it is in the last stage") + (
            f", or back to {', '.join(names[:current])}" if current else ""
        )
        raise IllegalTransition(f"the opportunity is in {opportunity.stage}; {allowed}")
    uow.session.add(
        OpportunityChange(
            opportunity_id=opportunity.id,
            from_stage=opportunity.stage,
            to_stage=stage,
            at=clock.now(),
            by_user_id=user.id,
        )
    )
    opportunity.stage = stage
    audit.record(uow, clock.now(), "lead.stage", f"lead {lead.id}", rep=user.name, stage=stage)
    return opportunity


def revise(
    uow: UnitOfWork, clock: Clock, lead: Lead, amount: float, close_date: date, rep: str | None = None
) -> Opportunity:
    """The open opportunity's amount and expected close date, as the rep now expects them.

    The trail keeps each change with what it replaced: the lead's row is locked first (``lead_for_change``), so two
    changes at the same moment come one after the other, and each one's old values are the other's new ones.
    """
    if not math.isfinite(amount) or amount < 0:
        raise InvalidInput("an opportunity's amount is 0 or more", "amount")
    if lead.stage != Stage.OPPORTUNITY:
        raise IllegalTransition(f"lead {lead.email} is in stage {lead.stage}; only an open opportunity is revised")
    user = acting_rep(uow, lead, rep)
    opportunity = open_opportunity(uow, lead)
    if (opportunity.amount, opportunity.close_date) == (amount, close_date):
        return opportunity
    audit.record(
        uow,
        clock.now(),
        "lead.revise",
        f"lead {lead.id}",
        rep=user.name,
        opportunity=opportunity.id,
        amount=amount,
        close_date=close_date,
        was_amount=opportunity.amount,
        was_close_date=opportunity.close_date,
    )
    opportunity.amount = amount
    opportunity.close_date = close_date
    return opportunity


def win(uow: UnitOfWork, clock: Clock, inforce: InForce, lead: Lead, rep: str | None = None) -> Opportunity:
    next_stage(Stage(lead.stage), Move.WIN)
    user = acting_rep(uow, lead, rep)
    opportunity = open_opportunity(uow, lead)
    now = clock.now()
    lifecycle.move(uow, lead, Move.WIN, now, by_user_id=user.id, version=inforce.version)
    audit.record(uow, now, "lead.won", f"lead {lead.id}", rep=user.name, amount=opportunity.amount)
    opportunity.closed_at = now
    opportunity.won = True
    outbox.post(uow, "opportunity.won", now, lead_id=lead.id, email=lead.email, amount=opportunity.amount)
    return opportunity


def lose(
    uow: UnitOfWork, clock: Clock, inforce: InForce, lead: Lead, reason: str, rep: str | None = None
) -> Opportunity:
    """Lost, with a reason from its current stage's list; the lead goes back to nurturing."""
    next_stage(Stage(lead.stage), Move.LOSE)
    user = acting_rep(uow, lead, rep)
    opportunity = open_opportunity(uow, lead)
    allowed = inforce.agreement.lost_reasons.get(opportunity.stage, ())
    if reason not in allowed:
        raise UnknownReason(
            f"'{reason}' is not a lost reason at stage {opportunity.stage}; use one of: {', '.join(allowed)}"
        )
    now = clock.now()
    lifecycle.move(uow, lead, Move.LOSE, now, by_user_id=user.id, version=inforce.version, reason=reason)
    audit.record(uow, now, "lead.lost", f"lead {lead.id}", rep=user.name, reason=reason)
    opportunity.closed_at = now
    opportunity.won = False
    opportunity.lost_reason = reason
    lead.owner_id = None
    lead.cooldown_until = to_seconds(now)
    outbox.post(uow, "opportunity.lost", now, lead_id=lead.id, email=lead.email, reason=reason)
    return opportunity
