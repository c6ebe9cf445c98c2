"""Side effects wait in the outbox, written in the same transaction as the change that caused them."""

from __future__ import annotations

import json
from datetime import datetime

from leadpact.store.tables import OutboxMessage
from leadpact.store.unit_of_work import UnitOfWork


def post(uow: UnitOfWork, topic: str, at: datetime, **payload: object) -> None:
    uow.append(OutboxMessage, topic=topic, payload=json.dumps(payload, default=str), created_at=at, attempts=0)
