"""Webhook subscriptions: which URL receives which outbox messages, and how each delivery is signed.

A subscription names a URL and the topics it takes: exact topics, ``lead.*`` for every topic under ``lead``, or
none for all of them. It receives the messages written after it was added: each becomes its delivery in the
transaction that writes the message (services/outbox), tried until the receiver answers 2xx, after a pause that
grows with each failure; a failing subscription holds back nobody else's deliveries.

Every delivery is signed with the subscription's secret, shown once when it is added: the header
``Leadpact-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`` lets the receiver check the
body came from leadpact and is fresh, and ``Leadpact-Delivery`` stays the same on every retry of one message to
one subscription, so the receiver drops repeats by it (docs/webhooks.md).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import case, func, select

from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.services import audit, outbox
from leadpact.services.clock import Clock
from leadpact.store.tables import Webhook, WebhookDelivery
from leadpact.store.unit_of_work import UnitOfWork

SIGNATURE_HEADER = "Leadpact-Signature"
DELIVERY_HEADER = "Leadpact-Delivery"
SECRET_PREFIX = "whsec_"


def signature(secret: str, body: bytes, at: int) -> str:
    """The ``Leadpact-Signature`` header's value for ``body`` sent at unix second ``at``."""
    digest = hmac.new(secret.encode(), str(at).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def _url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"url: '{url}' is not an http:// or https:// address")
    return url


def _topics(topics: list[str]) -> list[str]:
    """Each topic checked: a topic of the outbox, or ``prefix.*`` covering at least one."""
    checked = []
    for topic in (t.strip() for t in topics):
        if not topic:
            continue
        if not any(outbox.matches(topic, known) for known in outbox.TOPICS):
            raise InvalidInput(f"topic: '{topic}' is not a topic; topics: {', '.join(outbox.TOPICS)} (or e.g. lead.*)")
        checked.append(topic)
    return sorted(set(checked))


def add(uow: UnitOfWork, clock: Clock, url: str, topics: list[str]) -> tuple[Webhook, str]:
    """A new subscription and its secret, which is shown this once (deliveries are signed with it)."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    checked = _topics(topics)
    webhook = Webhook(
        url=_url(url),
        topics="\n".join(checked),
        secret=secret,
        created_at=clock.now(),
        created_by=audit.actor_name(uow),
    )
    uow.session.add(webhook)
    uow.session.flush()
    audit.record(uow, webhook.created_at, "webhook.add", f"webhook {webhook.id}", url=webhook.url, topics=checked)
    return webhook, secret


def remove(uow: UnitOfWork, clock: Clock, webhook_id: int) -> Webhook:
    """The subscription ends: nothing more is sent to it, not even what was waiting; its secret is forgotten."""
    webhook = uow.session.get(Webhook, webhook_id)
    if webhook is None or webhook.removed_at is not None:
        raise NotFound(f"there is no webhook {webhook_id}; see 'leadpact webhook list'")
    webhook.removed_at = clock.now()
    webhook.secret = ""
    audit.record(uow, webhook.removed_at, "webhook.remove", f"webhook {webhook_id}", url=webhook.url)
    return webhook


@dataclass(frozen=True)
class Subscription:
    """A subscription as its admin sees it: what it takes, and how its deliveries go."""

    id: int
    url: str
    topics: list[str]
    created_at: datetime
    created_by: str
    delivered: int
    waiting: int  # deliveries not yet taken by the receiver
    failing: int  # of those, the ones tried and refused or unreachable
    attempts: int  # the most attempts any waiting delivery has had
    last_error: str | None
    last_attempt_at: datetime | None
    retry_at: datetime | None  # after a failure, nothing is sent to it before then

    @property
    def healthy(self) -> bool:
        return self.failing == 0


def subscriptions(uow: UnitOfWork) -> list[Subscription]:
    """Every subscription with its deliveries counted, and the last error of one failing."""
    waiting = WebhookDelivery.delivered_at.is_(None)
    counts = {
        row.webhook_id: row
        for row in uow.session.execute(
            select(
                WebhookDelivery.webhook_id,
                func.count(WebhookDelivery.delivered_at).label("delivered"),
                func.count().label("total"),
                func.sum(case((waiting & (WebhookDelivery.attempts > 0), 1), else_=0)).label("failing"),
                func.max(case((waiting, WebhookDelivery.attempts), else_=0)).label("attempts"),
            ).group_by(WebhookDelivery.webhook_id)
        )
    }
    last_failures = {
        row.webhook_id: row
        for row in uow.session.execute(
            select(WebhookDelivery.webhook_id, WebhookDelivery.last_error, WebhookDelivery.last_attempt_at)
            .where(WebhookDelivery.delivered_at.is_(None), WebhookDelivery.last_error.is_not(None))
            .order_by(WebhookDelivery.last_attempt_at)
        )
    }  # the newest failure of each subscription is the last one kept
    out = []
    for webhook in uow.session.scalars(select(Webhook).where(Webhook.removed_at.is_(None)).order_by(Webhook.id)):
        count = counts.get(webhook.id)
        failure = last_failures.get(webhook.id)
        out.append(
            Subscription(
                id=webhook.id,
                url=webhook.url,
                topics=webhook.topics.split(),
                created_at=webhook.created_at,
                created_by=webhook.created_by,
                delivered=count.delivered if count else 0,
                waiting=count.total - count.delivered if count else 0,
                failing=int(count.failing or 0) if count else 0,
                attempts=int(count.attempts or 0) if count else 0,
                last_error=failure.last_error if failure else None,
                last_attempt_at=failure.last_attempt_at if failure else None,
                retry_at=webhook.retry_at,
            )
        )
    return out
