"""Recording changes in the audit trail, in the transaction that makes them, and reading the trail back."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, select

from leadpact.domain.audit import ACTIONS
from leadpact.store.tables import AuditEntry
from leadpact.store.unit_of_work import UnitOfWork


def record(uow: UnitOfWork, at: datetime, action: str, subject: str, **detail: object) -> None:
    """Keep the change in the trail, as made by the unit of work's actor.

    A unit of work with no actor makes changes for nobody in particular (the demo's simulated year, the SLA
    worker): the lead's history records those, the trail does not.
    """
    assert action in ACTIONS, action
    actor = uow.actor
    if actor is None:
        return
    uow.append(
        AuditEntry,
        at=at,
        actor=actor.name,
        via=actor.via,
        address=actor.address,
        action=action,
        subject=subject,
        detail=json.dumps(detail, default=str, sort_keys=True),
    )


def actor_name(uow: UnitOfWork) -> str:
    """Who the unit of work acts for, as the records it writes name them."""
    return uow.actor.name if uow.actor else "leadpact"


def entries(uow: UnitOfWork, since: datetime | None = None, limit: int | None = None) -> list[AuditEntry]:
    """The trail, newest first; from ``since`` on, and at most ``limit`` entries."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if limit is not None:
        query = query.limit(limit)
    return list(uow.session.scalars(query))


def count(uow: UnitOfWork, action: str, since: datetime) -> int:
    """How many times ``action`` was recorded from ``since`` on."""
    query = select(func.count()).where(AuditEntry.action == action, AuditEntry.at >= since)
    return int(uow.session.scalar(query) or 0)


def detail_of(entry: AuditEntry) -> dict[str, object]:
    found: dict[str, object] = json.loads(entry.detail)
    return found
