"""A rep's queue: the leads with them, hottest first, each with the reasons for its score and its SLA clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from leadpact.services.agreements import InForce
from leadpact.services.explain import explain, sla_state
from leadpact.store.tables import Assignment, Lead, User
from leadpact.store.unit_of_work import UnitOfWork


@dataclass
class QueueItem:
    lead_id: int
    email: str
    name: str
    company: str | None
    stage: str
    score: float
    grade: str
    priority: str
    source: str | None
    top_reasons: list[str]
    due: datetime | None
    sla: str


def queue(uow: UnitOfWork, inforce: InForce, rep: User, now: datetime) -> list[QueueItem]:
    """The rep's open leads, hottest first, then by the SLA time that runs out first."""
    agreement = inforce.agreement
    rows = uow.session.execute(
        select(Lead, Assignment)
        .join(Assignment, Assignment.lead_id == Lead.id)
        .where(Assignment.user_id == rep.id, Assignment.ended_at.is_(None))
    )
    bands = [b.band for b in agreement.priority]
    items: list[QueueItem] = []
    for lead, assignment in rows:
        explanation = explain(uow, inforce, lead, now, predicted=False)  # the queue shows no chance
        due = (
            assignment.accept_due
            if assignment.accepted_at is None
            else assignment.contact_due
            if assignment.contacted_at is None
            else None
        )
        reasons = [f"{f.rule} {f.points:+g}" for f in explanation.fit_rules[:2]]
        reasons += [f"{e.type} {e.value:+.1f}" for e in sorted(explanation.events, key=lambda e: -e.value)[:2]]
        items.append(
            QueueItem(
                lead.id,
                lead.email,
                explanation.name,
                lead.company,
                lead.stage,
                explanation.score,
                explanation.grade,
                explanation.priority,
                lead.source,
                reasons,
                due,
                sla_state(assignment, now),
            )
        )
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(items, key=lambda i: (bands.index(i.priority), i.due or far, -i.score))
