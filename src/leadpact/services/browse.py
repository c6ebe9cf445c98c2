"""Finding leads and campaigns: filtered, paged lists of leads with their scores as of a moment; campaigns with
what they cost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from leadpact.domain.agreement import Agreement
from leadpact.domain.errors import InvalidInput
from leadpact.domain.lifecycle import Stage
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
    campaign: str | None = None  # the name of the campaign that brought the lead (its first touch)


SORTABLE = ("email", "company", "title", "source", "stage", "grade", "priority", "score", "owner")
"""The columns the list sorts by: only these, so a query string names nothing else of the lead."""


@dataclass(frozen=True)
class Order:
    """How the list is sorted: one of ``SORTABLE``, either way. Ties always stay in id order, and a lead with no
    value in the column comes last either way, so every page holds the same leads however often it is asked for."""

    column: str = "score"
    descending: bool = True


def order_of(column: str, direction: str) -> Order:
    """The order a list's query string asks for (``asc`` or ``desc``); the highest score first when it names none."""
    if not column:
        return Order()
    if column not in SORTABLE:
        raise InvalidInput(f"'{column}' is not a column the list sorts by; use one of: {', '.join(SORTABLE)}", "sort")
    if direction not in ("", "asc", "desc"):
        raise InvalidInput(f"'{direction}' is not a direction; use asc or desc", "dir")
    return Order(column, direction == "desc" if direction else column == "score")


@dataclass
class LeadPage:
    rows: list[LeadRow]
    total: int  # how many leads match, on every page


def list_leads(uow: UnitOfWork, inforce: InForce, now: datetime, where: LeadFilter, limit: int = 50) -> list[LeadRow]:
    """Leads matching the filter, highest score first."""
    return page_of_leads(uow, inforce, now, where, limit).rows


def page_of_leads(
    uow: UnitOfWork,
    inforce: InForce,
    now: datetime,
    where: LeadFilter,
    limit: int = 50,
    offset: int = 0,
    order: Order = Order(),
) -> LeadPage:
    """One page of the leads matching the filter, in the order asked for (the highest score first by default)."""
    rows = matching(uow, inforce, now, where, order)
    return LeadPage(rows[offset : offset + limit], len(rows))


def matching(
    uow: UnitOfWork, inforce: InForce, now: datetime, where: LeadFilter, order: Order = Order()
) -> list[LeadRow]:
    """Every lead matching the filter, in order.

    The score decays with time, so it (and the priority band it falls in) is worked out here as of ``now`` for
    every lead the other filters leave, and the rows are sorted here too: one way for every column.
    """
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
    if where.campaign:
        query = query.where(
            Lead.campaign_id == select(Campaign.id).where(Campaign.name == where.campaign).scalar_subquery()
        )
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
    return in_order(rows, order, agreement)


def in_order(rows: list[LeadRow], order: Order, agreement: Agreement) -> list[LeadRow]:
    """The rows (in id order) sorted by the order's column; stage, grade and priority read in their own order
    (inquiry to customer, the agreement's grades and bands best first), text whatever its case.

    Python's sort is stable either way round, so leads of equal value keep their id order.
    """
    ranks: dict[str, dict[str, int]] = {
        "stage": {stage.value: i for i, stage in enumerate(Stage)},
        "grade": {g.grade: i for i, g in enumerate(agreement.grades)},
        "priority": {b.band: i for i, b in enumerate(agreement.priority)},
    }

    def value(row: LeadRow) -> str | float | None:
        found: str | float | None = getattr(row, order.column)
        if not isinstance(found, str):
            return found  # the score, or nothing in the column
        rank = ranks.get(order.column)
        return found.casefold() if rank is None else rank.get(found, len(rank))

    keyed = [(value(row), row) for row in rows]
    present = [(key, row) for key, row in keyed if key is not None]
    present.sort(key=lambda pair: pair[0], reverse=order.descending)
    return [row for _, row in present] + [row for key, row in keyed if key is None]


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
    leads = (
        select(Lead.campaign_id, func.count(Lead.id).label("leads"))
        .where(Lead.merged_into.is_(None))  # as the funnel counts them: a merged duplicate is its survivor
        .group_by(Lead.campaign_id)
        .subquery()
    )
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
