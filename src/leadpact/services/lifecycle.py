"""Moving a lead between stages: the only place a stage changes, so every change is recorded."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from leadpact.domain.lifecycle import Move, Stage, next_stage
from leadpact.store.tables import Lead, StageChange
from leadpact.store.unit_of_work import UnitOfWork


def move(
    uow: UnitOfWork,
    lead: Lead,
    action: Move,
    at: datetime,
    *,
    by_user_id: int | None = None,
    version: int | None = None,
    reason: str | None = None,
    note: str | None = None,
) -> None:
    """Apply a move from the transitions table, or raise ``IllegalTransition``."""
    record(uow, lead, next_stage(Stage(lead.stage), action), at, by_user_id, version, reason, note)


def created(uow: UnitOfWork, lead: Lead, at: datetime, version: int) -> None:
    """The first entry of a lead's history: it arrived as an inquiry."""
    lead.stage = Stage.INQUIRY
    uow.append(
        StageChange,
        lead_id=lead.id,
        from_stage=None,
        to_stage=Stage.INQUIRY,
        at=at,
        by_user_id=None,
        version=version,
        reason=None,
        note=None,
    )


def record(
    uow: UnitOfWork,
    lead: Lead,
    to: StrEnum,
    at: datetime,
    by_user_id: int | None = None,
    version: int | None = None,
    reason: str | None = None,
    note: str | None = None,
) -> None:
    uow.append(
        StageChange,
        lead_id=lead.id,
        from_stage=lead.stage,
        to_stage=str(to),
        at=at,
        by_user_id=by_user_id,
        version=version,
        reason=reason,
        note=note,
    )
    lead.stage = str(to)
