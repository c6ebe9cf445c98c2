"""Deals: a rep's pipeline of opportunities, and a lead's opportunities with their stage moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from leadpact.services.agreements import InForce
from leadpact.services.explain import StageLine
from leadpact.store.tables import Lead, Opportunity, OpportunityChange, User
from leadpact.store.unit_of_work import UnitOfWork


@dataclass
class Deal:
    """An opportunity as the rep's pipeline and the lead page show it."""

    id: int
    lead_id: int
    email: str
    name: str
    company: str | None
    owner: str | None
    amount: float
    close_date: date
    stage: str
    probability: float | None  # None: a stage the agreement in force no longer has
    created_at: datetime
    closed_at: datetime | None
    won: bool | None
    lost_reason: str | None
    moves: list[StageLine] = field(default_factory=list)


def pipeline(uow: UnitOfWork, inforce: InForce, rep: User) -> list[Deal]:
    """The rep's opportunities: the open ones by sales stage, then expected close; then the closed, latest first."""
    rows = uow.session.execute(
        select(Opportunity, Lead).join(Lead, Lead.id == Opportunity.lead_id).where(Opportunity.owner_id == rep.id)
    )
    deals = [_deal(uow, inforce, opportunity, lead) for opportunity, lead in rows]
    names = inforce.agreement.stage_names()
    open_ = sorted(
        (d for d in deals if d.closed_at is None),
        key=lambda d: (names.index(d.stage) if d.stage in names else len(names), d.close_date, d.id),
    )
    closed = sorted((d for d in deals if d.closed_at is not None), key=lambda d: (d.closed_at, d.id), reverse=True)
    return open_ + closed


def deals_of(uow: UnitOfWork, inforce: InForce, lead: Lead) -> list[Deal]:
    """The lead's opportunities, newest first (a lead lost and qualified again may have had several)."""
    found = uow.session.scalars(
        select(Opportunity).where(Opportunity.lead_id == lead.id).order_by(Opportunity.created_at, Opportunity.id)
    )
    return [_deal(uow, inforce, opportunity, lead) for opportunity in found][::-1]


def _deal(uow: UnitOfWork, inforce: InForce, opportunity: Opportunity, lead: Lead) -> Deal:
    probabilities = {s.name: s.probability for s in inforce.agreement.sales_stages}
    owner = uow.session.get(User, opportunity.owner_id) if opportunity.owner_id else None
    moves = [
        StageLine(c.at, c.from_stage, c.to_stage, _user_name(uow, c.by_user_id), None)
        for c in uow.session.scalars(
            select(OpportunityChange)
            .where(OpportunityChange.opportunity_id == opportunity.id)
            .order_by(OpportunityChange.at, OpportunityChange.id)
        )
    ]
    return Deal(
        id=opportunity.id,
        lead_id=lead.id,
        email=lead.email,
        name=" ".join(p for p in (lead.first_name, lead.last_name) if p),
        company=lead.company,
        owner=owner.name if owner else None,
        amount=opportunity.amount,
        close_date=opportunity.close_date,
        stage=opportunity.stage,
        probability=probabilities.get(opportunity.stage),
        created_at=opportunity.created_at,
        closed_at=opportunity.closed_at,
        won=opportunity.won,
        lost_reason=opportunity.lost_reason,
        moves=moves,
    )


def _user_name(uow: UnitOfWork, user_id: int | None) -> str:
    return uow.session.get_one(User, user_id).name if user_id is not None else "system"
