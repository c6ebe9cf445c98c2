"""Delivering the outbox: every message to each webhook, and an email to the person it concerns.

Delivery is at least once: a message is marked delivered only after every channel took it; a failure is
recorded on the message and tried again later, after a pause that grows with each attempt. Receivers tell
repeats apart by the message id, which every webhook body and email carries.
"""

from __future__ import annotations

import http.client
import json
import smtplib
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

from sqlalchemy import or_, select

from leadpact.config import Settings
from leadpact.services.clock import Clock
from leadpact.store.tables import OutboxMessage, User
from leadpact.store.unit_of_work import UnitOfWork

BATCH = 100
TIMEOUT = 10.0
MAX_PAUSE = timedelta(hours=1)

SUBJECTS: dict[str, Callable[[dict[str, object]], str]] = {
    "lead.assigned": lambda p: f"New lead for you: {p['email']}",
    "sla.breached": lambda p: f"SLA breached ({p['kind']}): {p['email']}",
    "sla.escalated": lambda p: f"Escalated: {p['rep']} missed the {p['kind']} SLA on {p['email']}",
}
"""The topics that also go to a person by email, and the subject line each gets."""


@dataclass
class Delivered:
    delivered: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def pause_after(attempts: int) -> timedelta:
    """The wait before trying a failed message again: 30 s, doubling, at most an hour."""
    return min(timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), MAX_PAUSE)


def recipient(uow: UnitOfWork, topic: str, payload: dict[str, object]) -> str | None:
    """Whom the email goes to: the manager for an escalation, otherwise the rep."""
    if topic not in SUBJECTS:
        return None
    if topic == "sla.escalated":
        return str(payload["manager_email"]) if payload.get("manager_email") else None
    return uow.session.scalar(select(User.email).where(User.name == payload.get("rep")))


def _post(url: str, body: bytes) -> None:
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        response.read()


def _mail(settings: Settings, to: str, subject: str, body: str, message_id: int) -> None:
    assert settings.smtp_url is not None
    where = urlsplit(settings.smtp_url)
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = settings.mail_from, to, subject
    email["X-Leadpact-Message"] = str(message_id)
    email.set_content(body)
    with smtplib.SMTP(where.hostname or "127.0.0.1", where.port or 25, timeout=TIMEOUT) as smtp:
        smtp.send_message(email)


def _deliver(uow: UnitOfWork, settings: Settings, message: OutboxMessage) -> None:
    payload = json.loads(message.payload)
    body = {**payload, "id": message.id, "topic": message.topic, "at": message.created_at.isoformat()}
    for url in settings.webhooks:
        _post(url, json.dumps(body).encode())
    to = recipient(uow, message.topic, payload) if settings.smtp_url else None
    if to:
        text = "\n".join(f"{key}: {value}" for key, value in payload.items())
        _mail(settings, to, SUBJECTS[message.topic](payload), text, message.id)


def deliver(uow: UnitOfWork, clock: Clock, settings: Settings) -> Delivered:
    """Deliver the messages that are due, oldest first, each on its own."""
    now = clock.now()
    done = Delivered()
    if not settings.webhooks and not settings.smtp_url:
        return done  # nowhere to deliver to: messages wait, undelivered, until a channel is configured
    due = uow.session.scalars(  # messages waiting out a pause do not hold back the ones behind them
        select(OutboxMessage)
        .where(
            OutboxMessage.delivered_at.is_(None), or_(OutboxMessage.retry_at.is_(None), OutboxMessage.retry_at <= now)
        )
        .order_by(OutboxMessage.id)
        .limit(BATCH)
    )
    for message in list(due):
        try:
            _deliver(uow, settings, message)
        except (OSError, http.client.HTTPException, ValueError) as exc:  # network, SMTP, HTTP, a malformed URL
            message.attempts += 1
            message.last_error = f"{type(exc).__name__}: {exc}"
            message.retry_at = now + pause_after(message.attempts)
            done.failed += 1
            done.errors.append(f"message {message.id} ({message.topic}): {exc}")
        else:
            message.attempts += 1
            message.delivered_at = now
            message.last_error = message.retry_at = None
            done.delivered += 1
        uow.commit()  # each message's outcome lands on its own: a crash later does not resend earlier ones
    return done
