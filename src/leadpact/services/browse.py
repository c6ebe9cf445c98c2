"""Finding leads: filtered lists with their scores as of a moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from leadpact.domain.scoring import engagement_at, to_seconds
from leadpact.services.agreements import InForce
from leadpact.store.tables import Lead, User
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


@dataclass(frozen=True)
class LeadFilter:
    stage: str | None = None
    grade: str | None = None
    source: str | None = None
    owner: str | None = None
    search: str | None = None


def list_leads(uow: UnitOfWork, inforce: InForce, now: datetime, where: LeadFilter, limit: int = 50) -> list[LeadRow]:
    """Leads matching the filter, highest score first."""
    agreement = inforce.agreement
    query = select(Lead, User.name).outerjoin(User, Lead.owner_id == User.id)
    if where.stage:
        query = query.where(Lead.stage == where.stage)
    if where.grade:
        query = query.where(Lead.grade == where.grade)
    if where.source:
        query = query.where(Lead.source == where.source)
    if where.owner:
        query = query.where(User.name == where.owner)
    if where.search:
        pattern = f"%{where.search.lower()}%"
        query = query.where(Lead.email.like(pattern) | Lead.company.ilike(pattern))
    at = to_seconds(now)
    rows = []
    for lead, owner in uow.session.execute(query):
        score = lead.fit + engagement_at(lead.engagement, lead.engagement_at, at, agreement.half_life_days)
        rows.append(
            LeadRow(
                lead.id,
                lead.email,
                lead.company,
                lead.title,
                lead.source,
                lead.stage,
                agreement.grade_for(lead.fit),
                agreement.band_for(score),
                score,
                owner,
            )
        )
    return sorted(rows, key=lambda r: -r.score)[:limit]
