"""Sending the nurture outbox over SMTP (or into a local Maildir), and what comes back: opens, clicks, unsubscribes
and bounces.

Each email waits in ``nurture_messages``, written with the decision to send it. The worker claims a message (a
committed claim, so a second worker passes it by), checks the exits right before sending (the lead qualified,
was assigned or disqualified, the address is suppressed, the consent was withdrawn: the message is then stopped,
not sent), sends it, and records the SMTP outcome. Sending keeps to ``LEADPACT_SMTP_RATE`` messages a minute,
counted over the claims of the last minute in the database, so a restart does not reset it.

A worker that dies after its claim leaves the message claimed and unrecorded; once the claim is older than
``LEASE`` the message is taken again and sent with the same Message-ID. So nothing is lost, and a message that
did reach the server before the crash arrives a second time only with the Message-ID it had, which mail clients
and servers use to drop the duplicate (docs/nurture.md).

A hard bounce (a 5xx answer to the recipient) suppresses the address, ends the lead's sequences and is an
``email_bounce`` event; a temporary failure (4xx, the network) is tried again later. Opens (a 1x1 pixel), clicks
(a redirect, only to the step's own links) and unsubscribes come back through the public links as the events
``email_open``, ``email_click`` and ``unsubscribe``, each with an id made from the message's, so a second open of
the same email counts once. They are scored under the agreement like any event.
"""

from __future__ import annotations

import html
import json
import mailbox
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import func, or_, select, update

from leadpact.config import Settings
from leadpact.domain.errors import InvalidInput, NoAgreement, NotFound
from leadpact.domain.nurture import LINK
from leadpact.services import agreements, intake, nurture, privacy
from leadpact.services.clock import Clock
from leadpact.store.tables import Lead, NurtureEnrolment, NurtureMessage
from leadpact.store.unit_of_work import UnitOfWork

TIMEOUT = 20.0
LEASE = timedelta(minutes=10)
"""How long a claim holds: a message claimed longer ago and not recorded was claimed by a worker that died."""
RETRY = timedelta(minutes=5)
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
"""A transparent 1x1 GIF."""
MAILDIR = "maildir:"


@dataclass
class Sent:
    sent: int = 0
    bounced: int = 0
    stopped: int = 0
    failed: int = 0
    waiting: int = 0
    errors: list[str] = field(default_factory=list)


class Transport(Protocol):
    """Where emails are handed over: an SMTP connection, or a local Maildir."""

    def send_message(
        self, msg: EmailMessage, from_addr: str | None = None, to_addrs: list[str] | None = None
    ) -> object: ...


@dataclass(frozen=True)
class Maildir:
    """A local Maildir (``maildir:PATH``, created when missing) taking the place of a server: each email is
    delivered as a file of its own, for a mail client or a person to open. Nothing leaves the machine."""

    path: str

    def send_message(
        self, msg: EmailMessage, from_addr: str | None = None, to_addrs: list[str] | None = None
    ) -> object:
        return mailbox.Maildir(self.path, create=True).add(msg)


@contextmanager
def smtp_client(url: str) -> Iterator[Transport]:
    """A logged-in connection to the server ``url`` names: ``smtp://user:pass@host:587?starttls=true`` upgrades
    with STARTTLS, ``smtps://`` speaks TLS from the start; ``cafile=PATH`` trusts that certificate authority too.
    ``maildir:PATH`` delivers into that local Maildir instead."""
    if url.startswith(MAILDIR) and url != MAILDIR:
        yield Maildir(url.removeprefix(MAILDIR))
        return
    where = urlsplit(url)
    if where.scheme not in ("smtp", "smtps"):
        raise InvalidInput(
            f"expected smtp://, smtps:// or maildir:PATH, got {where.scheme or 'no scheme'}://", "LEADPACT_SMTP_URL"
        )
    options = {k: v[-1] for k, v in parse_qs(where.query).items()}
    context = ssl.create_default_context(cafile=options.get("cafile"))
    host, port = where.hostname or "127.0.0.1", where.port
    client: smtplib.SMTP
    if where.scheme == "smtps":
        client = smtplib.SMTP_SSL(host, port or 465, timeout=TIMEOUT, context=context)
    else:
        client = smtplib.SMTP(host, port or 25, timeout=TIMEOUT)
    try:
        if where.scheme == "smtp" and options.get("starttls", "").lower() in ("1", "true", "yes"):
            client.starttls(context=context)
        if where.username:
            client.login(unquote(where.username), unquote(where.password or ""))
        yield client
    finally:
        try:
            client.quit()
        except smtplib.SMTPException:
            client.close()


def email_of(message: NurtureMessage, settings: Settings) -> EmailMessage:
    """The email as sent: text and HTML (the same words, its links, the open pixel), the one-click unsubscribe
    headers of RFC 8058, and the Message-ID it keeps on every attempt."""
    base = settings.public_url
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = settings.mail_from, message.to_address, message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(message.created_at)
    email["List-Unsubscribe"] = f"<{base}/u/{message.token}>, <mailto:{settings.mail_from}?subject=unsubscribe>"
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(message.body)
    linked = LINK.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', html.escape(message.body, quote=False))
    pixel = f'<img src="{base}/o/{message.token}" width="1" height="1" alt="">'
    email.add_alternative(f"<html><body><pre>{linked}</pre>{pixel}</body></html>", subtype="html")
    return email


def send_due(uow: UnitOfWork, clock: Clock, settings: Settings) -> Sent:
    """Send what waits, oldest first, as many as the rate allows now; without a server nothing is sent."""
    done = Sent()
    now = clock.now()
    if settings.smtp_url is None:
        done.waiting = _waiting(uow)
        return done
    recent = uow.session.scalar(
        select(func.count()).select_from(NurtureMessage).where(NurtureMessage.claimed_at > now - timedelta(minutes=1))
    )
    allowed = max(settings.smtp_rate - int(recent or 0), 0)
    candidates = list(
        uow.session.scalars(
            select(NurtureMessage.id)
            .where(
                NurtureMessage.outcome.is_(None),
                or_(NurtureMessage.claimed_at.is_(None), NurtureMessage.claimed_at <= now - LEASE),
                or_(NurtureMessage.retry_at.is_(None), NurtureMessage.retry_at <= now),
            )
            .order_by(NurtureMessage.id)
            .limit(allowed)
        )
    )
    uow.commit()
    for message_id in candidates:
        message = _claim(uow, message_id, now)
        if message is None:
            continue  # another worker took it
        lead = uow.session.get_one(Lead, message.lead_id)
        enrolment = uow.session.get_one(NurtureEnrolment, message.enrolment_id)
        reason = nurture.why_stop(uow, lead) or (enrolment.end_reason if enrolment.ended_at else None)
        if reason is not None:
            message.outcome, message.detail = "stopped", reason
            if enrolment.ended_at is None:
                nurture.leave(uow, lead.id, now, reason)
            uow.commit()
            done.stopped += 1
            continue
        email = email_of(message, settings)
        uow.commit()  # the claim lands before the server is spoken to
        try:
            with smtp_client(settings.smtp_url) as client:
                client.send_message(email, settings.mail_from, [message.to_address])
        except smtplib.SMTPRecipientsRefused as exc:
            code, answer = next(iter(exc.recipients.values()))
            if code >= 500:
                _bounced(uow, clock, message, f"{code} {answer.decode(errors='replace')}")
                done.bounced += 1
            else:
                _failed(message, now, f"{code} {answer.decode(errors='replace')}", done)
        except (OSError, smtplib.SMTPException) as exc:
            _failed(message, now, f"{type(exc).__name__}: {exc}", done)
        else:
            message.sent_at, message.outcome, message.detail = now, "sent", "250"
            if enrolment.step is None and enrolment.ended_at is None:
                enrolment.ended_at, enrolment.end_reason = now, "finished"
            done.sent += 1
        uow.commit()
    done.waiting = _waiting(uow)
    return done


def _waiting(uow: UnitOfWork) -> int:
    query = select(func.count()).select_from(NurtureMessage).where(NurtureMessage.outcome.is_(None))
    return int(uow.session.scalar(query) or 0)


def _claim(uow: UnitOfWork, message_id: int, now: datetime) -> NurtureMessage | None:
    """Take the message for this worker; None when another worker holds a live claim on it."""
    uow.serialize_writes()
    taken = uow.session.execute(
        update(NurtureMessage)
        .where(
            NurtureMessage.id == message_id,
            NurtureMessage.outcome.is_(None),
            or_(NurtureMessage.claimed_at.is_(None), NurtureMessage.claimed_at <= now - LEASE),
        )
        .values(claimed_at=now, attempts=NurtureMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if getattr(taken, "rowcount", 0) != 1:
        uow.commit()
        return None
    return uow.session.scalars(
        select(NurtureMessage).where(NurtureMessage.id == message_id).execution_options(populate_existing=True)
    ).one()


def _failed(message: NurtureMessage, now: datetime, why: str, done: Sent) -> None:
    """A temporary failure: the claim is let go and the message waits a while."""
    message.claimed_at, message.retry_at, message.detail = None, now + RETRY, why
    done.failed += 1
    done.errors.append(f"nurture message {message.id} to {message.to_address}: {why}")


def _bounced(uow: UnitOfWork, clock: Clock, message: NurtureMessage, why: str) -> None:
    now = clock.now()
    message.outcome, message.detail = "bounced", why
    nurture.suppress(uow, message.to_address, "bounced", now)
    nurture.leave(uow, message.lead_id, now, "bounced")
    _event(uow, clock, message, "email_bounce", f"email_bounce:{message.message_id}")


def _event(uow: UnitOfWork, clock: Clock, message: NurtureMessage, kind: str, event_id: str) -> None:
    """The event through the normal path: stored once by its id, scored when the agreement counts its type."""
    try:
        inforce = agreements.in_force(uow)
    except NoAgreement:
        return
    lead = uow.session.get_one(Lead, message.lead_id)
    intake.record_events(uow, clock, inforce, [intake.EventInput(event_id, lead.email, kind, clock.now())])


def message_by_token(uow: UnitOfWork, token: str) -> NurtureMessage:
    found = uow.session.scalars(select(NurtureMessage).where(NurtureMessage.token == token)).first()
    if found is None:
        raise NotFound("this link is not one of ours, or it was mistyped")
    return found


def opened(uow: UnitOfWork, clock: Clock, token: str) -> None:
    """The email's pixel was loaded: one ``email_open`` per message, however often."""
    uow.serialize_writes()
    message = message_by_token(uow, token)
    if message.opened_at is None:
        message.opened_at = clock.now()
    _event(uow, clock, message, "email_open", f"email_open:{message.message_id}")
    _branch(uow, clock, message, "email_open")


def clicked(uow: UnitOfWork, clock: Clock, token: str, to: str) -> str:
    """A link of the email was followed: where to send the browser, only ever one of the step's own links.
    One ``email_click`` per message and link."""
    uow.serialize_writes()
    message = message_by_token(uow, token)
    targets: list[str] = json.loads(message.targets)
    if to not in targets:
        raise InvalidInput("this link does not lead anywhere the email pointed to", "to")
    if message.clicked_at is None:
        message.clicked_at = clock.now()
    if message.opened_at is None:  # a click shows the email was opened, pictures shown or not
        message.opened_at = clock.now()
    _event(uow, clock, message, "email_click", f"email_click:{message.message_id}:{targets.index(to) + 1}")
    _branch(uow, clock, message, "email_click")
    return to


def _branch(uow: UnitOfWork, clock: Clock, message: NurtureMessage, event: str) -> None:
    """A step that branches on this event sends its lead to the step it names, if it is still waiting after it."""
    enrolment = uow.session.get_one(NurtureEnrolment, message.enrolment_id)
    found = nurture.in_force(uow)
    if enrolment.ended_at is not None or enrolment.sent_step != message.step or found is None:
        return
    seq = found[1].sequences.get(message.sequence)
    target = seq.next_step(message.step, event) if seq is not None and seq.step(message.step) else None
    step = seq.step(target) if seq is not None and target is not None else None
    if step is None or target == enrolment.step:
        return
    enrolment.step = target
    calendar = agreements.in_force(uow).agreement
    enrolment.due_at = nurture.after_working_days(calendar, clock.now(), step.wait_days)


def unsubscribe(uow: UnitOfWork, clock: Clock, token: str) -> str:
    """The recipient asked for no more email: the address is suppressed, the consent withdrawn, the lead's
    sequences end, and an ``unsubscribe`` event is recorded (once). Returns the address."""
    uow.serialize_writes()
    message = message_by_token(uow, token)
    now = clock.now()
    lead = uow.session.get_one(Lead, message.lead_id)
    if message.unsubscribed_at is None:
        message.unsubscribed_at = now
        privacy.record_consent(uow, lead, False, f"unsubscribe link of nurture message {message.id}", now)
    nurture.suppress(uow, message.to_address, "unsubscribed", now)
    nurture.leave(uow, lead.id, now, "unsubscribed")
    _event(uow, clock, message, "unsubscribe", f"unsubscribe:{message.message_id}")
    return message.to_address
