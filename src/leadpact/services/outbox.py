"""Side effects wait in the outbox, written in the same transaction as the change that caused them."""

from __future__ import annotations

import json
from datetime import datetime

from leadpact.store.tables import OutboxMessage
from leadpact.store.unit_of_work import UnitOfWork

TOPICS: dict[str, str] = {
    "lead.qualified": "the agreement made a lead an MQL",
    "lead.assigned": "a lead was dealt to a rep, whose SLA clock starts",
    "lead.unassigned": "a qualified lead waits: no team or no available rep",
    "lead.withdrawn": "late events showed a hand-off never met the rule; it was withdrawn",
    "lead.rejected": "a rep sent a lead back, recycled or disqualified",
    "sla.breached": "a rep missed the accept or first-contact SLA",
    "sla.escalated": "a breach was escalated to the team's manager",
    "opportunity.created": "a lead became an opportunity",
    "opportunity.won": "an opportunity was won",
    "opportunity.lost": "an opportunity was lost",
    "sign_in.throttled": "sign-ins were refused after too many wrong passwords",
}
"""Every topic a message may have, with what it tells; webhooks subscribe to them."""


def post(uow: UnitOfWork, topic: str, at: datetime, **payload: object) -> None:
    assert topic in TOPICS, topic
    uow.append(OutboxMessage, topic=topic, payload=json.dumps(payload, default=str), created_at=at, attempts=0)
