"""Side effects wait in the outbox, written in the same transaction as the change that caused them.

A message a webhook subscription takes becomes that subscription's delivery in the same transaction too, so a
message is never missed by a subscription, however the transactions that write messages end and in whatever
order they commit.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from weakref import WeakKeyDictionary

from sqlalchemy import insert, select

from leadpact.store.tables import OutboxMessage, Webhook, WebhookDelivery
from leadpact.store.unit_of_work import UnitOfWork

TOPICS: dict[str, str] = {
    "lead.qualified": "the agreement made a lead an MQL",
    "agreement.health": "the daily check found a health bound of the agreement broken",
    "lead.assigned": "a lead was dealt to a rep, whose SLA clock starts",
    "lead.unassigned": "a qualified lead waits: no team or no available rep",
    "lead.withdrawn": "late events showed a hand-off never met the rule; it was withdrawn",
    "lead.screening": "the agreement sent an inquiry to the qualifiers, whose first-call clock starts",
    "lead.rejected": "a rep sent a lead back, recycled or disqualified",
    "sla.breached": "a rep missed the accept or first-contact SLA, or screening its first call",
    "sla.escalated": "a breach was escalated to the team's manager",
    "opportunity.created": "a lead became an opportunity",
    "opportunity.won": "an opportunity was won",
    "opportunity.lost": "an opportunity was lost",
    "sign_in.throttled": "sign-ins were refused after too many wrong passwords",
}
"""Every topic a message may have, with what it tells; webhooks subscribe to them."""

_subscriptions: WeakKeyDictionary[UnitOfWork, list[tuple[int, list[str]]]] = WeakKeyDictionary()
"""The webhooks in force as a unit of work first posts a message: (id, topic patterns), read once."""


def matches(pattern: str, topic: str) -> bool:
    """Whether a subscription's topic pattern (``lead.assigned``, or ``lead.*`` for every lead topic) takes
    messages of ``topic``."""
    if pattern.endswith(".*"):
        return topic.startswith(pattern[:-1])
    return pattern == topic


def takes(patterns: list[str], topic: str) -> bool:
    """Whether a subscription with these patterns takes ``topic``: none means every topic."""
    return not patterns or any(matches(p, topic) for p in patterns)


def post(uow: UnitOfWork, topic: str, at: datetime, **payload: object) -> None:
    assert topic in TOPICS, topic
    row = {"topic": topic, "payload": json.dumps(payload, default=str), "created_at": at, "attempts": 0}
    subscribers = [webhook_id for webhook_id, patterns in _subscribers(uow) if takes(patterns, topic)]
    if not subscribers:
        uow.append(OutboxMessage, **row)
        return
    message_id = uow.session.execute(insert(OutboxMessage).values(**row).returning(OutboxMessage.id)).scalar_one()
    for webhook_id in subscribers:
        uow.append(
            WebhookDelivery, webhook_id=webhook_id, message_id=message_id, delivery_id=str(uuid.uuid4()), attempts=0
        )


def _subscribers(uow: UnitOfWork) -> list[tuple[int, list[str]]]:
    found = _subscriptions.get(uow)
    if found is None:
        query = select(Webhook.id, Webhook.topics).where(Webhook.removed_at.is_(None))
        found = _subscriptions[uow] = [
            (webhook_id, topics.split()) for webhook_id, topics in uow.session.execute(query)
        ]
    return found
