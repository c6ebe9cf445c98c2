"""Deals: a rep's pipeline as a board of opportunities by sales stage, and a lead's opportunities with their stage
moves.

The board reads a column at a time: each sales stage's count and amount come from one aggregate, its cards a page
at a time (the soonest expected close first), so a rep with hundreds of open deals gets the board as fast as one
with ten. Closed deals come after, the latest first, paged the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TypeVar

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from leadpact.domain.errors import InvalidInput
from leadpact.services.agreements import InForce
from leadpact.services.explain import StageLine
from leadpact.store.tables import Lead, Opportunity, OpportunityChange, User
from leadpact.store.unit_of_work import UnitOfWork

COLUMN = 20
"""Cards a column shows at first, and how many more each time the rep asks."""
EPOCH, MICROSECOND = datetime(1970, 1, 1, tzinfo=UTC), datetime.resolution
T = TypeVar("T")


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


@dataclass
class Column:
    """A sales stage's open deals: how many, their amount, and the first cards; ``stage`` None gathers the stages
    an earlier agreement version had."""

    stage: str | None
    probability: float | None
    count: int
    amount: float
    deals: list[Deal]
    more: str | None  # where the column's next cards start (a ``Page`` token); None: every card is shown


@dataclass
class Board:
    columns: list[Column]
    closed: list[Deal]  # the latest closed deals
    closed_count: int
    won_count: int
    more_closed: str | None

    @property
    def open_count(self) -> int:
        return sum(c.count for c in self.columns)

    @property
    def open_amount(self) -> float:
        return sum(c.amount for c in self.columns)

    @property
    def weighted(self) -> float:
        """The open amount weighted by each stage's probability: what the forecast expects to win."""
        return sum(c.amount * (c.probability or 0.0) for c in self.columns)


def board(uow: UnitOfWork, inforce: InForce, rep: User, size: int = COLUMN) -> Board:
    """The rep's open deals by sales stage, in the agreement's order, then the closed ones."""
    names = inforce.agreement.stage_names()
    totals = {
        stage: (int(count), float(amount))
        for stage, count, amount in uow.session.execute(
            select(Opportunity.stage, func.count(), func.sum(Opportunity.amount))
            .where(Opportunity.owner_id == rep.id, Opportunity.closed_at.is_(None))
            .group_by(Opportunity.stage)
        )
    }
    columns = []
    for s in inforce.agreement.sales_stages:
        count, amount = totals.get(s.name, (0, 0.0))
        deals, more = column(uow, inforce, rep, s.name, None, size) if count else ([], None)
        columns.append(Column(s.name, s.probability, count, amount, deals, more))
    retired = [totals[stage] for stage in totals if stage not in names]
    if retired:
        deals, more = column(uow, inforce, rep, None, None, size)
        columns.append(Column(None, None, sum(c for c, _ in retired), sum(a for _, a in retired), deals, more))
    count, won = uow.session.execute(
        select(func.count(), func.coalesce(func.sum(case((Opportunity.won.is_(True), 1), else_=0)), 0)).where(
            Opportunity.owner_id == rep.id, Opportunity.closed_at.is_not(None)
        )
    ).one()
    closed, more_closed = closed_deals(uow, inforce, rep, None, size) if count else ([], None)
    return Board(columns, closed, int(count), int(won), more_closed)


def column(
    uow: UnitOfWork, inforce: InForce, rep: User, stage: str | None, after: str | None, size: int = COLUMN
) -> tuple[list[Deal], str | None]:
    """Open deals of one stage (None: of the stages the agreement no longer has), the soonest expected close first,
    after the card ``after`` (a token this function gave); with the token of the last one when more follow."""
    names = inforce.agreement.stage_names()
    where: list[ColumnElement[bool]] = [
        Opportunity.owner_id == rep.id,
        Opportunity.closed_at.is_(None),
        Opportunity.stage == stage if stage is not None else Opportunity.stage.not_in(names),
    ]
    if after is not None:
        day, deal_id = _parse(after, date.fromisoformat)
        where.append(or_(Opportunity.close_date > day, and_(Opportunity.close_date == day, Opportunity.id > deal_id)))
    rows = uow.session.execute(
        select(Opportunity, Lead)
        .join(Lead, Lead.id == Opportunity.lead_id)
        .where(*where)
        .order_by(Opportunity.close_date, Opportunity.id)
        .limit(size + 1)
    )
    deals = [_deal(inforce, opportunity, lead, rep.name) for opportunity, lead in rows]
    last = deals[size - 1] if len(deals) > size else None
    return deals[:size], f"{last.close_date.isoformat()}~{last.id}" if last else None


def closed_deals(
    uow: UnitOfWork, inforce: InForce, rep: User, after: str | None, size: int = COLUMN
) -> tuple[list[Deal], str | None]:
    """Closed deals, the latest first, after the one ``after`` (a token this function gave)."""
    where: list[ColumnElement[bool]] = [Opportunity.owner_id == rep.id, Opportunity.closed_at.is_not(None)]
    if after is not None:
        at, deal_id = _parse(after, lambda text: EPOCH + int(text) * MICROSECOND)
        where.append(or_(Opportunity.closed_at < at, and_(Opportunity.closed_at == at, Opportunity.id < deal_id)))
    rows = uow.session.execute(
        select(Opportunity, Lead)
        .join(Lead, Lead.id == Opportunity.lead_id)
        .where(*where)
        .order_by(Opportunity.closed_at.desc(), Opportunity.id.desc())
        .limit(size + 1)
    )
    deals = [_deal(inforce, opportunity, lead, rep.name) for opportunity, lead in rows]
    last = deals[size - 1] if len(deals) > size else None
    return deals[:size], f"{(last.closed_at - EPOCH) // MICROSECOND}~{last.id}" if last and last.closed_at else None


def deals_of(uow: UnitOfWork, inforce: InForce, lead: Lead) -> list[Deal]:
    """The lead's opportunities, newest first (a lead lost and qualified again may have had several), each with
    its stage moves."""
    found = uow.session.scalars(
        select(Opportunity).where(Opportunity.lead_id == lead.id).order_by(Opportunity.created_at, Opportunity.id)
    )
    deals = []
    for opportunity in found:
        owner = uow.session.get(User, opportunity.owner_id) if opportunity.owner_id else None
        deal = _deal(inforce, opportunity, lead, owner.name if owner else None)
        deal.moves = [
            StageLine(c.at, c.from_stage, c.to_stage, _user_name(uow, c.by_user_id), None)
            for c in uow.session.scalars(
                select(OpportunityChange)
                .where(OpportunityChange.opportunity_id == opportunity.id)
                .order_by(OpportunityChange.at, OpportunityChange.id)
            )
        ]
        deals.append(deal)
    return deals[::-1]


def _deal(inforce: InForce, opportunity: Opportunity, lead: Lead, owner: str | None) -> Deal:
    probabilities = {s.name: s.probability for s in inforce.agreement.sales_stages}
    return Deal(
        id=opportunity.id,
        lead_id=lead.id,
        email=lead.email,
        name=" ".join(p for p in (lead.first_name, lead.last_name) if p),
        company=lead.company,
        owner=owner,
        amount=opportunity.amount,
        close_date=opportunity.close_date,
        stage=opportunity.stage,
        probability=probabilities.get(opportunity.stage),
        created_at=opportunity.created_at,
        closed_at=opportunity.closed_at,
        won=opportunity.won,
        lost_reason=opportunity.lost_reason,
    )


def _parse(token: str, key: Callable[[str], T]) -> tuple[T, int]:
    try:
        first, deal_id = token.split("~")
        return key(first), int(deal_id)
    except (ValueError, OverflowError) as exc:
        raise InvalidInput(f"'{token}' is not a place on the board; open the pipeline again", "after") from exc


def _user_name(uow: UnitOfWork, user_id: int | None) -> str:
    return uow.session.get_one(User, user_id).name if user_id is not None else "system"
