"""Guessing passwords: after a few wrong ones, sign-ins for that name (or from that address) are refused with 429
and a Retry-After, the right password too, until the window has passed; the admins are told."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from leadpact.app import create_app
from leadpact.config import Settings
from leadpact.services import auth
from leadpact.services.clock import FixedClock
from leadpact.store.database import connect
from leadpact.store.tables import AuditEntry, OutboxMessage
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.people import PASSWORD, seed_people
from tests.web.test_login import sign_in


@pytest.fixture
def site(engine: Engine, clock: FixedClock) -> Iterator[tuple[TestClient, str]]:
    """The people of tests.people, with passwords, on each engine; the app's client and the database's URL."""
    adopt_example(engine, clock)
    seed_people(engine, clock)
    url = engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(Settings(database_url=url), clock)) as client:
        yield client, url


def _status(answer: object) -> int:
    code: int = answer.status_code  # type: ignore[attr-defined]
    return code


def test_wrong_passwords_for_one_name_throttle_it_even_for_the_right_one(
    site: tuple[TestClient, str], clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    client, url = site
    answers = [sign_in(client, "alice", f"guess {n}") for n in range(auth.ACCOUNT_LIMIT)]
    assert [_status(a) for a in answers] == [401] * auth.ACCOUNT_LIMIT
    for password in ("guess again", PASSWORD):
        refused = sign_in(client, "alice", password)
        assert _status(refused) == 429
        assert refused.headers["retry-after"] == str(15 * 60)  # type: ignore[attr-defined]
        assert "too many wrong passwords for this name; try again in 15 minutes" in refused.text  # type: ignore[attr-defined]
    assert "leadpact_session" not in client.cookies
    assert [r.getMessage() for r in caplog.records if r.name == "leadpact.security"] == [
        "sign-in throttled by name: name 'alice' from testclient after 5 wrong passwords"
    ]
    assert _status(sign_in(client, "bob")) == 303  # another name signs in as usual
    clock.at += timedelta(minutes=14)
    assert sign_in(client, "alice").headers["retry-after"] == "60"  # type: ignore[attr-defined]
    clock.at += timedelta(minutes=1)  # the window has passed over the first wrong password
    assert _status(sign_in(client, "alice")) == 303
    engine = connect(url)
    with UnitOfWork(engine) as uow:
        told = uow.session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "sign_in.throttled")).all()
        kept = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "sign_in.throttled")).all()
    engine.dispose()
    assert [json.loads(m.payload) for m in told] == [
        {"name": "alice", "address": "testclient", "by": "name", "failures": auth.ACCOUNT_LIMIT}
    ]
    assert [(e.actor, e.via, e.address, e.subject) for e in kept] == [("alice", "web", "testclient", "sign-in by name")]


def test_wrong_passwords_from_one_address_throttle_every_name_from_it(site: tuple[TestClient, str]) -> None:
    client, _ = site
    for n in range(auth.ADDRESS_LIMIT):  # a few per name, so no name reaches its own limit
        assert _status(sign_in(client, f"user{n % 5}", "guess")) == 401
    refused = sign_in(client, "bob")
    assert _status(refused) == 429
    assert "for this address" in refused.text  # type: ignore[attr-defined]


def test_the_admin_sees_throttled_sign_ins_on_their_pages(site: tuple[TestClient, str]) -> None:
    client, _ = site
    for _ in range(auth.ACCOUNT_LIMIT):
        sign_in(client, "alice", "guess")
    admin, rep = TestClient(client.app), TestClient(client.app)  # their own cookies, the same app
    assert _status(sign_in(admin, "root")) == 303
    page = admin.get("/admin/audit")
    assert page.status_code == 200
    assert 'title="sign-ins throttled in the last day">1</span>' in page.text
    assert "Sign-ins were throttled 1 time in the last day" in page.text
    assert "was throttled after wrong passwords" in page.text
    sign_in(rep, "bob")
    assert rep.get("/admin/audit").status_code == 403
    assert "sign-ins throttled" not in rep.get("/queue").text
