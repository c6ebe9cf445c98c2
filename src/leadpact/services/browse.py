"""Finding leads and campaigns: filtered, paged lists of leads with their scores as of a moment; campaigns with
what they cost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from leadpact.domain.scoring import engagement_at, to_seconds
from leadpact.services.agreements import InForce
from leadpact.store.tables import Account, Campaign, CampaignCost, Lead, User
from leadpact.store.unit_of_work import UnitOfWork


@dataclass
class LeadRow:
    id: int
    email: str
    company: str | None
    title: str | None
    source: str | None
    stage: str
    grade: str
    priority: str
    score: float
    owner: str | None
    account: str | None = None  # the domain of the lead's account, whose page the list links to


@dataclass(frozen=True)
class LeadFilter:
    stage: str | None = None
    grade: str | None = None
    source: str | None = None
    owner: str | None = None
    search: str | None = None  # text in the email, the name or the company
    priority: str | None = None  # the band as of the moment asked about


@dataclass
class LeadPage:
    rows: list[LeadRow]
    total: int  # how many leads match, on every page


def list_leads(uow: UnitOfWork, inforce: InForce, now: datetime, where: LeadFilter, limit: int = 50) -> list[LeadRow]:
    """Leads matching the filter, highest score first."""
    return page_of_leads(uow, inforce, now, where, limit).rows


def page_of_leads(
    uow: UnitOfWork, inforce: InForce, now: datetime, where: LeadFilter, limit: int = 50, offset: int = 0
) -> LeadPage:
    """One page of the leads matching the filter, highest score first (ties by id, so pages never overlap)."""
    agreement = inforce.agreement
    query = (
        select(Lead, User.name, Account.domain)
        .outerjoin(User, Lead.owner_id == User.id)
        .outerjoin(Account, Lead.account_id == Account.id)
        .where(Lead.merged_into.is_(None))  # a merged duplicate is read through its survivor
        .order_by(Lead.id)
    )
    if where.stage:
        query = query.where(Lead.stage == where.stage)
    if where.grade:
        query = query.where(Lead.grade == where.grade)
    if where.source:
        query = query.where(Lead.source == where.source)
    if where.owner:
        query = query.where(User.name == where.owner)
    if where.search:
        text = where.search.lower()  # % and _ are searched for as themselves, never as wildcards
        name = func.coalesce(Lead.first_name, "") + " " + func.coalesce(Lead.last_name, "")
        query = query.where(
            Lead.email.contains(text, autoescape=True)
            | Lead.company.icontains(text, autoescape=True)
            | name.icontains(text, autoescape=True)
        )
    at = to_seconds(now)
    rows = []
    for lead, owner, account in uow.session.execute(query):
        score = lead.fit + engagement_at(lead.engagement, lead.engagement_at, at, agreement.half_life_days)
        band = agreement.band_for(score)
        if where.priority and band != where.priority:
            continue
        rows.append(
            LeadRow(
                lead.id,
                lead.email,
                lead.company,
                lead.title,
                lead.source,
                lead.stage,
                agreement.grade_for(lead.fit),
                band,
                score,
                owner,
                account,
            )
        )
    rows.sort(key=lambda r: -r.score)  # stable: equal scores stay in id order
    return LeadPage(rows[offset : offset + limit], len(rows))


@dataclass
class CampaignRow:
    id: int
    name: str
    channel: str | None
    started_on: date | None
    ended_on: date | None
    cost: float | None  # None when no cost was ever recorded: unknown, not free
    cost_days: int
    leads: int


def campaigns(uow: UnitOfWork, name: str | None = None) -> list[CampaignRow]:
    """Every campaign (or the one named) with its total recorded cost and the leads it brought, by name."""
    costs = (
        select(
            CampaignCost.campaign_id,
            func.sum(CampaignCost.amount).label("cost"),
            func.count(CampaignCost.id).label("days"),
        )
        .group_by(CampaignCost.campaign_id)
        .subquery()
    )
    leads = select(Lead.campaign_id, func.count(Lead.id).label("leads")).group_by(Lead.campaign_id).subquery()
    query = (
        select(Campaign, costs.c.cost, costs.c.days, leads.c.leads)
        .outerjoin(costs, costs.c.campaign_id == Campaign.id)
        .outerjoin(leads, leads.c.campaign_id == Campaign.id)
        .order_by(Campaign.name)
    )
    if name is not None:
        query = query.where(Campaign.name == name)
    return [
        CampaignRow(
            c.id,
            c.name,
            c.channel,
            c.started_on,
            c.ended_on,
            float(cost) if cost is not None else None,
            days or 0,
            count or 0,
        )
        for c, cost, days, count in uow.session.execute(query)
    ]


def lead_sources(uow: UnitOfWork) -> list[str]:
    """Every source a lead was recorded with, by name: what the source filter offers."""
    query = select(Lead.source).where(Lead.source.is_not(None)).distinct().order_by(Lead.source)
    return [source for source in uow.session.scalars(query) if source is not None]
