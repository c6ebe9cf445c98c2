"""Settings, passed explicitly into the CLI and the app; nothing is read at import time."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from leadpact.domain.errors import InvalidInput
from leadpact.store.database import DEFAULT_URL

DATABASE_ENV = "LEADPACT_DATABASE_URL"
SMTP_ENV = "LEADPACT_SMTP_URL"
MAIL_FROM_ENV = "LEADPACT_MAIL_FROM"
WEBHOOKS_ENV = "LEADPACT_WEBHOOKS"
WEBHOOK_SECRET_ENV = "LEADPACT_WEBHOOK_SECRET"
SECURE_COOKIES_ENV = "LEADPACT_SECURE_COOKIES"
SMTP_RATE_ENV = "LEADPACT_SMTP_RATE"
PUBLIC_URL_ENV = "LEADPACT_PUBLIC_URL"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_URL
    smtp_url: str | None = None  # smtp[s]://[user:pass@]host:port[?starttls=true] or maildir:PATH; None: emails wait
    smtp_rate: int = 60  # nurture emails sent per minute at most
    public_url: str = "http://127.0.0.1:8000"  # where a recipient's unsubscribe, pixel and click links go
    mail_from: str = "leadpact@localhost"
    webhooks: tuple[str, ...] = ()  # the shortcut: every outbox message is POSTed as JSON to each
    webhook_secret: str | None = None  # signs the shortcut's deliveries
    secure_cookies: bool = False  # always set the cookies' Secure flag (they have it anyway on HTTPS requests)

    @classmethod
    def resolve(cls, db: str | None, environ: Mapping[str, str] = os.environ) -> Settings:
        """``--db`` wins, then ``LEADPACT_DATABASE_URL``, then the SQLite file ``leadpact.db`` here.

        Delivery comes from the environment: ``LEADPACT_SMTP_URL`` (smtp://host:port, or maildir:PATH to deliver
        into a local Maildir), ``LEADPACT_MAIL_FROM`` and ``LEADPACT_WEBHOOKS`` (URLs separated by spaces or
        commas; a shortcut for webhook subscriptions that take every topic, signed with
        ``LEADPACT_WEBHOOK_SECRET``). ``LEADPACT_SECURE_COOKIES=1`` marks the session cookie Secure even when a
        proxy in front ends HTTPS and forwards plain HTTP.
        Nurture email: ``LEADPACT_SMTP_RATE`` (messages per minute, default 60) and ``LEADPACT_PUBLIC_URL`` (the
        app's address as recipients reach it, for the links in the emails).
        """
        rate = environ.get(SMTP_RATE_ENV) or str(cls.smtp_rate)
        if not rate.isdigit() or int(rate) < 1:
            raise InvalidInput(f"{SMTP_RATE_ENV}: expected a whole number of messages per minute, got {rate!r}")
        return cls(
            database_url=db or environ.get(DATABASE_ENV) or DEFAULT_URL,
            smtp_url=environ.get(SMTP_ENV) or None,
            mail_from=environ.get(MAIL_FROM_ENV) or cls.mail_from,
            webhooks=tuple(environ.get(WEBHOOKS_ENV, "").replace(",", " ").split()),
            webhook_secret=environ.get(WEBHOOK_SECRET_ENV) or None,
            secure_cookies=environ.get(SECURE_COOKIES_ENV, "").lower() in ("1", "true", "yes"),
            smtp_rate=int(rate),
            public_url=(environ.get(PUBLIC_URL_ENV) or cls.public_url).rstrip("/"),
        )
