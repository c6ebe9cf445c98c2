"""When the database last saw something happen: a world recorded up to a past moment can be resumed from it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from leadpact.domain.scoring import from_seconds
from leadpact.store.tables import Event, Lead, OpportunityChange, StageChange
from leadpact.store.unit_of_work import UnitOfWork


def latest(uow: UnitOfWork) -> datetime | None:
    """The last moment a lead arrived, did something, or moved (in the funnel or the pipeline)."""
    moments = [
        uow.session.scalar(select(func.max(Lead.created_at))),
        uow.session.scalar(select(func.max(StageChange.at))),
        uow.session.scalar(select(func.max(OpportunityChange.at))),
    ]
    last_event = uow.session.scalar(select(func.max(Event.occurred_at)))
    if last_event is not None:
        moments.append(from_seconds(last_event))
    known = [m for m in moments if m is not None]
    return max(known) if known else None
