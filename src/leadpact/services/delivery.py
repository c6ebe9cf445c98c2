"""Delivering the outbox: each message to the webhooks that take it, and an email to the people it concerns.

Delivery is at least once. A message is one delivery per webhook subscription that takes its topic, written
with it (services/outbox); each delivery is tried until its receiver answers 2xx, and a subscription that
fails pauses, for longer after each failure, so it holds back no other.
The ``LEADPACT_WEBHOOKS`` shortcut and email go by message: a message is marked delivered once every URL of
the shortcut and the email took it. Every webhook delivery is signed (``Leadpact-Signature``) and carries a
``Leadpact-Delivery`` id that stays the same on each retry; every email carries the message id.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import or_, select

from leadpact.config import Settings
from leadpact.domain.permissions import Role
from leadpact.services import mailer, webhooks
from leadpact.services.clock import Clock
from leadpact.store.tables import OutboxMessage, User, Webhook, WebhookDelivery
from leadpact.store.unit_of_work import UnitOfWork

BATCH = 100
TIMEOUT = 10.0
MAX_PAUSE = timedelta(hours=1)
FAILURES = (OSError, http.client.HTTPException, ValueError)
"""What a delivery can fail with: the network, SMTP, an HTTP status that is not 2xx, a malformed URL."""

SUBJECTS: dict[str, Callable[[dict[str, object]], str]] = {
    "lead.assigned": lambda p: f"New lead for you: {p['email']}",
    "sla.breached": lambda p: f"SLA breached ({p['kind']}): {p['email']}",
    "sla.escalated": lambda p: f"Escalated: {p['rep']} missed the {p['kind']} SLA on {p['email']}",
    "sign_in.throttled": lambda p: (
        f"Sign-ins refused after {p['failures']} wrong passwords for {p['by']} "
        f"{p['name'] if p['by'] == 'name' else p['address']}"
    ),
}
"""The topics that also go to people by email, and the subject line each gets."""


@dataclass
class Delivered:
    delivered: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def pause_after(attempts: int) -> timedelta:
    """The wait before trying a failed delivery again: 30 s, doubling, at most an hour."""
    return min(timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), MAX_PAUSE)


def recipients(uow: UnitOfWork, topic: str, payload: dict[str, object]) -> list[str]:
    """Whom the email goes to: the manager for an escalation, the admins for refused sign-ins, else the rep."""
    if topic not in SUBJECTS:
        return []
    if topic == "sla.escalated":
        return [str(payload["manager_email"])] if payload.get("manager_email") else []
    if topic == "sign_in.throttled":
        admins = select(User.email).where(User.role == Role.ADMIN, User.email.is_not(None)).order_by(User.id)
        return [email for email in uow.session.scalars(admins) if email]
    found = uow.session.scalar(select(User.email).where(User.name == payload.get("rep")))
    return [found] if found else []


def body_of(message: OutboxMessage) -> bytes:
    """What a webhook receives: the message's fields with its id, topic and moment."""
    payload = json.loads(message.payload)
    return json.dumps(
        {**payload, "id": message.id, "topic": message.topic, "at": message.created_at.isoformat()}
    ).encode()


def _post(url: str, body: bytes, delivery_id: str, secret: str | None) -> None:
    headers = {"Content-Type": "application/json", webhooks.DELIVERY_HEADER: delivery_id}
    if secret:
        # the receiver checks the moment against its own clock: the wall clock's, whatever the app's clock shows
        headers[webhooks.SIGNATURE_HEADER] = webhooks.signature(secret, body, int(time.time()))
    request = urllib.request.Request(url, body, headers, method="POST")
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        response.read()


def _mail(settings: Settings, to: list[str], subject: str, body: str, message_id: int) -> None:
    assert settings.smtp_url is not None
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = settings.mail_from, ", ".join(to), subject
    email["X-Leadpact-Message"] = str(message_id)
    email.set_content(body)
    with mailer.smtp_client(settings.smtp_url) as smtp:  # STARTTLS and login as the URL says
        smtp.send_message(email)


def deliver(uow: UnitOfWork, clock: Clock, settings: Settings) -> Delivered:
    """Deliver what is due, oldest first: the webhook subscriptions' deliveries, then the messages' own
    channels (the shortcut's URLs and email). Each outcome lands on its own: a crash later does not resend it."""
    now = clock.now()
    done = Delivered()
    _deliver_to_subscriptions(uow, now, done)
    if settings.webhooks or settings.smtp_url:  # else messages wait, undelivered, until a channel is configured
        _deliver_messages(uow, now, settings, done)
    return done


def _deliver_to_subscriptions(uow: UnitOfWork, now: datetime, done: Delivered) -> None:
    """Each subscription's waiting deliveries in order; one that fails pauses its subscription (the pause grows
    with the attempts of the delivery that failed), so the rest wait with it and no other subscription does."""
    due = uow.session.execute(
        select(WebhookDelivery, Webhook, OutboxMessage)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .join(OutboxMessage, OutboxMessage.id == WebhookDelivery.message_id)
        .where(
            WebhookDelivery.delivered_at.is_(None),
            Webhook.removed_at.is_(None),
            or_(Webhook.retry_at.is_(None), Webhook.retry_at <= now),
        )
        .order_by(WebhookDelivery.id)
        .limit(BATCH)
    ).all()
    failing: set[int] = set()
    for delivery, webhook, message in due:
        if webhook.id in failing:
            continue
        delivery.attempts += 1
        delivery.last_attempt_at = now
        try:
            _post(webhook.url, body_of(message), delivery.delivery_id, webhook.secret)
        except FAILURES as exc:
            failing.add(webhook.id)
            delivery.last_error = f"{type(exc).__name__}: {exc}"
            webhook.retry_at = now + pause_after(delivery.attempts)
            done.failed += 1
            done.errors.append(f"webhook {webhook.id} ({webhook.url}), message {message.id}: {exc}")
        else:
            delivery.delivered_at = now
            delivery.last_error = webhook.retry_at = None
            done.delivered += 1
        uow.commit()


def _deliver_messages(uow: UnitOfWork, now: datetime, settings: Settings, done: Delivered) -> None:
    due = uow.session.scalars(  # messages waiting out a pause do not hold back the ones behind them
        select(OutboxMessage)
        .where(
            OutboxMessage.delivered_at.is_(None), or_(OutboxMessage.retry_at.is_(None), OutboxMessage.retry_at <= now)
        )
        .order_by(OutboxMessage.id)
        .limit(BATCH)
    )
    for message in list(due):
        message.attempts += 1
        try:
            for url in settings.webhooks:
                _post(url, body_of(message), f"message-{message.id}", settings.webhook_secret)
            payload = json.loads(message.payload)
            to = recipients(uow, message.topic, payload) if settings.smtp_url else []
            if to:
                text = "\n".join(f"{key}: {value}" for key, value in payload.items())
                _mail(settings, to, SUBJECTS[message.topic](payload), text, message.id)
        except FAILURES as exc:
            message.last_error = f"{type(exc).__name__}: {exc}"
            message.retry_at = now + pause_after(message.attempts)
            done.failed += 1
            done.errors.append(f"message {message.id} ({message.topic}): {exc}")
        else:
            message.delivered_at = now
            message.last_error = message.retry_at = None
            done.delivered += 1
        uow.commit()
