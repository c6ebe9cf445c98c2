"""Webhook subscriptions: the topics each takes, signed deliveries verified by a real receiver, retries that keep
their delivery id, and a failing receiver that holds back no other."""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from leadpact.config import Settings
from leadpact.domain.audit import Actor
from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.services import delivery, webhooks
from leadpact.services.clock import FixedClock
from leadpact.store.unit_of_work import UnitOfWork
from tests.integration.test_delivery import assigned_lead, sent
from tests.receivers import Webhook

TOLERANCE = 300
"""Seconds a receiver accepts between a delivery's signing and its arrival (docs/webhooks.md)."""


def verified(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check, as docs/webhooks.md writes it: the HMAC of "<t>.<raw body>", and a fresh t."""
    parts = dict(item.split("=", 1) for item in headers["Leadpact-Signature"].split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) <= TOLERANCE


def subscribe(engine: Engine, clock: FixedClock, url: str, *topics: str) -> tuple[int, str]:
    with UnitOfWork(engine, Actor("root", "cli", "laptop")) as uow:
        webhook, secret = webhooks.add(uow, clock, url, list(topics))
        return webhook.id, secret


def deliver(engine: Engine, clock: FixedClock) -> delivery.Delivered:
    with UnitOfWork(engine) as uow:
        return delivery.deliver(uow, clock, Settings())


def status(engine: Engine, webhook_id: int) -> webhooks.Subscription:
    with UnitOfWork(engine) as uow:
        return next(s for s in webhooks.subscriptions(uow) if s.id == webhook_id)


def test_each_subscription_gets_the_topics_it_takes_signed_with_its_own_secret(
    engine: Engine, clock: FixedClock
) -> None:
    with Webhook() as crm, Webhook() as chat, Webhook() as finance:
        crm_id, crm_secret = subscribe(engine, clock, crm.url)  # every topic
        _, chat_secret = subscribe(engine, clock, chat.url, "lead.*")
        subscribe(engine, clock, finance.url, "opportunity.won")
        assigned_lead(engine, clock)
        done = deliver(engine, clock)
    messages = sent(engine)
    assert (done.delivered, done.failed) == (len(messages) + 2, 0)  # crm and chat take both lead messages
    assert crm.received() == messages
    assert chat.received() == [m for m in messages if m[1].startswith("lead.")]
    assert finance.requests == []
    for secret, receiver in ((crm_secret, crm), (chat_secret, chat)):
        assert all(verified(secret, headers, body) for headers, body in receiver.requests)
        assert not any(verified(crm_secret + "x", headers, body) for headers, body in receiver.requests)
    ids = [headers["Leadpact-Delivery"] for headers, _ in crm.requests + chat.requests]
    assert len(set(ids)) == len(ids)
    assert status(engine, crm_id).delivered == len(messages)


def test_a_subscription_receives_only_what_was_written_after_it_was_added(engine: Engine, clock: FixedClock) -> None:
    assigned_lead(engine, clock)
    with Webhook() as late:
        subscribe(engine, clock, late.url)
        assert deliver(engine, clock).delivered == 0
    assert late.requests == []


def test_a_failing_receiver_is_retried_with_the_same_delivery_id_and_holds_back_no_other(
    engine: Engine, clock: FixedClock
) -> None:
    with Webhook() as down, Webhook() as up:
        down_id, down_secret = subscribe(engine, clock, down.url)
        subscribe(engine, clock, up.url)
        assigned_lead(engine, clock)
        count = len(sent(engine))
        down.failing = True
        failed_at = clock.now()
        first = deliver(engine, clock)
        assert (first.delivered, first.failed) == (count, 1)  # the first failure skips the rest of its deliveries
        assert up.received() == sent(engine)
        failing = status(engine, down_id)
        assert (failing.waiting, failing.failing, failing.attempts) == (count, 1, 1)
        assert failing.last_error == "HTTPError: HTTP Error 500: the receiver is down"
        assert failing.last_attempt_at == failed_at
        assert failing.retry_at == failed_at + timedelta(seconds=30)
        assert not failing.healthy
        clock.at = failed_at + timedelta(seconds=29)  # still pausing: nothing is tried
        deliver(engine, clock)
        assert len(down.requests) == 1
        down.failing = False
        clock.at = failed_at + timedelta(seconds=30)
        retried = deliver(engine, clock)
    assert (retried.delivered, retried.failed) == (count, 0)
    assert down.received() == sent(engine)
    first_try, *tries = down.requests
    assert first_try[0]["Leadpact-Delivery"] == tries[0][0]["Leadpact-Delivery"]  # the repeat is recognisable
    assert all(verified(down_secret, headers, body) for headers, body in down.requests)
    assert status(engine, down_id).healthy


def test_a_removed_subscription_gets_nothing_more(engine: Engine, clock: FixedClock) -> None:
    with Webhook() as crm:
        crm_id, _ = subscribe(engine, clock, crm.url)
        with UnitOfWork(engine, Actor("root", "cli")) as uow:
            assert webhooks.remove(uow, clock, crm_id).url == crm.url
        assigned_lead(engine, clock)
        deliver(engine, clock)
    assert crm.requests == []
    with UnitOfWork(engine) as uow, pytest.raises(NotFound, match="no webhook 99"):
        webhooks.remove(uow, clock, 99)


@pytest.mark.parametrize(
    ("url", "topics", "field"),
    [("ftp://x.example/hook", [], "url"), ("not a url", [], "url"), ("https://x.example", ["lead.eaten"], "topic")],
)
def test_a_bad_url_or_topic_is_refused(
    engine: Engine, clock: FixedClock, url: str, topics: list[str], field: str
) -> None:
    with UnitOfWork(engine) as uow, pytest.raises(InvalidInput, match=f"^{field}: "):
        webhooks.add(uow, clock, url, topics)
