"""Single events recorded together: concurrent requests to a real server, each answered with its own outcome once
stored; events that queue while the recorder works share one transaction; a failed transaction fails each of
its requests, and sending them again records them once; the recorder ends with the app."""

from __future__ import annotations

import asyncio
import math
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import IntegrityError

from leadpact.api.recorder import Recorded, Recorder
from leadpact.app import create_app
from leadpact.config import Settings
from leadpact.domain.scoring import engagement_at, to_seconds
from leadpact.services import auth
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.services.explain import ledger_score
from leadpact.services.intake import EventInput
from leadpact.store.tables import ApiToken, Event, Lead
from leadpact.store.unit_of_work import UnitOfWork, write_lock
from tests.api.conftest import V1, seed_api_people
from tests.conftest import adopt_example
from tests.factories import HOT, capture
from tests.factories import event as event_input

LEADS = 6
THREADS = 8
AT = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)


@dataclass
class Served:
    url: str
    app: FastAPI
    tokens: dict[str, str]
    inforce: InForce


@pytest.fixture
def served(engine: Engine, clock: FixedClock) -> Iterator[Served]:
    """The app under uvicorn on 127.0.0.1, over the test's database, until the test ends; its recorder ends with it."""
    inforce = adopt_example(engine, clock)
    tokens = seed_api_people(engine, clock)
    app = create_app(Settings(database_url=engine.url.render_as_string(hide_password=False)), clock)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "the server did not start"
        assert time.monotonic() < deadline, "the server did not start within 10 s"
        time.sleep(0.02)
    try:
        yield Served(f"http://127.0.0.1:{port}", app, tokens, inforce)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert not app.state.recorder.running, "the recorder outlived the server"


def _body(event_id: str, email: str, type_: str, minutes: int) -> dict[str, Any]:
    """An event body, ``minutes`` after two hours before the test clock's moment."""
    at = AT + timedelta(minutes=minutes)
    return {"event_id": event_id, "email": email, "type": type_, "occurred_at": at.isoformat()}


def _email(n: int) -> str:
    return f"lead{n}@acme.example"


def _post_all(url: str, token: str, bodies: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int, Any]]:
    """POST each body once from ``THREADS`` threads at once, each on its own keep-alive connection."""
    answers: list[tuple[dict[str, Any], int, Any]] = []
    shares = [bodies[i::THREADS] for i in range(THREADS)]
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def post(share: list[dict[str, Any]]) -> None:
        try:
            with httpx2.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
                start.wait()
                for body in share:
                    response = client.post(f"{V1}/events", json=body)
                    answers.append((body, response.status_code, response.json()))
        except BaseException as error:  # a failure in a thread is reported by the test
            failures.append(error)

    threads = [threading.Thread(target=post, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    return answers


def test_concurrent_single_events_are_stored_once_and_each_answered_with_its_own_outcome(
    served: Served, engine: Engine, clock: FixedClock
) -> None:
    leads = {
        _email(n): capture(engine, clock, served.inforce, _email(n), **(HOT if n < 2 else {})) for n in range(LEADS)
    }
    token = served.tokens["mia"]
    with httpx2.Client(base_url=served.url, headers={"Authorization": f"Bearer {token}"}) as client:
        assert client.post(f"{V1}/events", json=_body("seen-1", _email(5), "email_click", 0)).status_code == 201
    webinars = [_body(f"w-{n}-{k}", _email(n), "webinar_attended", k) for n in range(LEADS) for k in range(4)]
    views = [_body(f"view-{k}", _email(2), "pricing_page_view", 10 + k) for k in range(2)]  # one a day counts
    bodies = [
        *webinars,
        *views,
        *[_body(f"odd-{n}", _email(n), "podcast_listened", 20) for n in range(LEADS)],
        _body("forms-0", _email(0), "contact_form", 30),  # with fit 50, the lead qualifies and is handed off
        _body("ghost-1", "nobody@acme.example", "demo_request", 30),
        _body("seen-1", _email(5), "email_click", 0),
        _body("twin", _email(3), "whitepaper_download", 40),
        _body("twin", _email(3), "whitepaper_download", 40),
    ]
    answers = _post_all(served.url, token, bodies)

    assert len(answers) == len(bodies)
    by_id: dict[str, list[tuple[int, Any]]] = {}
    for body, status, answer in answers:
        by_id.setdefault(body["event_id"], []).append((status, answer))
    for body in webinars:
        [(status, answer)] = by_id[body["event_id"]]
        assert (status, answer) == (
            201,
            {"event_id": body["event_id"], "lead_id": leads[body["email"]], "outcome": "counted"},
        )
    # the earlier view counts: when the later one came first, it counted until the earlier displaced it
    assert [answer["outcome"] for _, answer in by_id["view-0"]] == ["counted"]
    assert [answer["outcome"] for _, answer in by_id["view-1"]] in (["counted"], ["not counted"])
    assert {by_id[f"odd-{n}"][0][1]["outcome"] for n in range(LEADS)} == {"not in agreement"}
    assert by_id["forms-0"] == [(201, {"event_id": "forms-0", "lead_id": leads[_email(0)], "outcome": "counted"})]
    [(status, refusal)] = by_id["ghost-1"]
    assert (status, refusal["code"]) == (404, "not_found")
    assert "nobody@acme.example" in refusal["detail"]
    assert by_id["seen-1"] == [(200, {"event_id": "seen-1", "lead_id": leads[_email(5)], "outcome": "duplicate"})]
    assert Counter((s, a["outcome"]) for s, a in by_id["twin"]) == {(201, "counted"): 1, (200, "duplicate"): 1}

    with UnitOfWork(engine) as uow:
        stored = Counter(uow.session.scalars(select(Event.event_id)))
        assert stored == Counter({b["event_id"] for b in bodies if b["event_id"] != "ghost-1"})
        rows = uow.session.execute(
            select(Event.event_id, Event.counted).where(Event.type == views[0]["type"]).order_by(Event.event_id)
        )
        assert [tuple(row) for row in rows] == [("view-0", True), ("view-1", False)]
        assert uow.session.scalar(select(Lead.stage).where(Lead.email == _email(0))) == "mql"
        now = to_seconds(clock.now() + timedelta(days=1))
        half_life = served.inforce.agreement.half_life_days
        for lead_id in leads.values():
            lead = uow.session.get_one(Lead, lead_id)
            fit, engaged = ledger_score(uow, lead_id, now, half_life)
            assert math.isclose(engagement_at(lead.engagement, lead.engagement_at, now, half_life), engaged)
            assert math.isclose(lead.fit, fit, abs_tol=1e-9)


def test_a_revoked_token_records_nothing_more_and_a_rep_token_none_at_all(
    served: Served, engine: Engine, clock: FixedClock
) -> None:
    capture(engine, clock, served.inforce, _email(0))
    with httpx2.Client(base_url=served.url) as client:
        mia = {"Authorization": f"Bearer {served.tokens['mia']}"}
        assert (
            client.post(f"{V1}/events", json=_body("e-1", _email(0), "email_open", 0), headers=mia).status_code == 201
        )
        with UnitOfWork(engine) as uow:  # revoked by an admin, in another request or process
            digest = auth.digest(served.tokens["mia"])
            auth.revoke_token(
                uow, clock, uow.session.scalars(select(ApiToken.id).where(ApiToken.digest == digest)).one()
            )
        refused = client.post(f"{V1}/events", json=_body("e-2", _email(0), "webinar_attended", 1), headers=mia)
        assert (refused.status_code, refused.json()["code"]) == (401, "not_authenticated")
        alice = {"Authorization": f"Bearer {served.tokens['alice']}"}
        rep = client.post(f"{V1}/events", json=_body("e-3", _email(0), "webinar_attended", 2), headers=alice)
        assert (rep.status_code, rep.json()["code"]) == (403, "not_permitted")
    with UnitOfWork(engine) as uow:
        assert list(uow.session.scalars(select(Event.event_id))) == ["e-1"]


def _commits(engine: Engine) -> list[object]:
    """A list that grows by one at every commit on ``engine``."""
    commits: list[object] = []
    event.listen(engine, "commit", commits.append)
    return commits


async def _record_while_locked(
    recorder: Recorder,
    engine: Engine,
    secret: str,
    events: list[EventInput],
    then: Callable[[], object] | None = None,
) -> list[Recorded | BaseException]:
    """Record ``events`` from concurrent tasks while this process holds the database's write lock, so that they
    queue behind the recorder's first group; ``then`` runs once they have queued, before the lock is let go."""
    lock = write_lock(engine)
    lock.acquire()
    try:
        tasks = [asyncio.create_task(recorder.record(secret, e)) for e in events]
        # One turn of the loop runs each task, in order, to its first await; ``record`` queues its event before
        # that await, so then every event is queued, in arrival order, and none can be answered under the lock.
        await asyncio.sleep(0)
        assert not any(task.done() for task in tasks)
        if then is not None:
            then()
    finally:
        lock.release()
    return await asyncio.gather(*tasks, return_exceptions=True)


def test_events_that_queue_while_the_recorder_is_busy_are_recorded_in_one_transaction_in_arrival_order(
    sqlite_engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(sqlite_engine, clock)
    secret = seed_api_people(sqlite_engine, clock)["mia"]
    for n in range(3):
        capture(sqlite_engine, clock, inforce, _email(n))
    at = clock.now() - timedelta(hours=1)
    events = [event_input(f"e-{i}", _email(i % 3), "webinar_attended", at + timedelta(minutes=i)) for i in range(12)]
    events.append(event_input("e-0", _email(1), "demo_request", at))  # a repeat of the first: a duplicate
    recorder = Recorder(sqlite_engine, clock)
    recorder.start()
    commits = _commits(sqlite_engine)
    try:
        fates = asyncio.run(_record_while_locked(recorder, sqlite_engine, secret, events))
    finally:
        recorder.stop()
    assert [f.outcome if isinstance(f, Recorded) else f for f in fates] == ["counted"] * 12 + ["duplicate"]
    assert len(commits) <= 2  # the first group, taken before the lock was let go, and all the others at once
    with UnitOfWork(sqlite_engine) as uow:
        assert uow.session.scalar(select(Event.type).where(Event.event_id == "e-0")) == "webinar_attended"
        assert uow.session.scalar(select(func.count()).select_from(Event)) == 12


def test_when_a_groups_transaction_fails_every_request_in_it_fails_and_sending_them_again_records_them_once(
    sqlite_engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(sqlite_engine, clock)
    secret = seed_api_people(sqlite_engine, clock)["mia"]
    capture(sqlite_engine, clock, inforce, _email(0))
    at = clock.now() - timedelta(hours=1)
    events = [event_input(f"e-{i}", _email(0), "webinar_attended", at + timedelta(minutes=i)) for i in range(5)]

    def refuse_events() -> None:  # the database itself refuses the group's write: a real failure
        with sqlite_engine.begin() as connection:
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'events refused'); END"
            )

    recorder = Recorder(sqlite_engine, clock)
    try:
        fates = asyncio.run(_record_while_locked(recorder, sqlite_engine, secret, events, refuse_events))
        assert all(isinstance(f, IntegrityError) and "events refused" in str(f) for f in fates), fates
        with sqlite_engine.begin() as connection:
            connection.exec_driver_sql("DROP TRIGGER refuse")
        again = asyncio.run(_record_while_locked(recorder, sqlite_engine, secret, events))
    finally:
        recorder.stop()
    assert [f.outcome if isinstance(f, Recorded) else f for f in again] == ["counted"] * 5
    with UnitOfWork(sqlite_engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Event)) == 5


def test_the_recorder_starts_and_stops_with_the_app_and_answers_what_was_queued_before_it_stopped(
    sqlite_engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(sqlite_engine, clock)
    tokens = seed_api_people(sqlite_engine, clock)
    capture(sqlite_engine, clock, inforce, _email(0))
    app = create_app(Settings(database_url=sqlite_engine.url.render_as_string(hide_password=False)), clock)
    recorder: Recorder = app.state.recorder
    with TestClient(app) as client:
        assert recorder.running
        headers = {"Authorization": f"Bearer {tokens['mia']}"}
        answer = client.post(f"{V1}/events", json=_body("e-0", _email(0), "email_open", 0), headers=headers)
        assert answer.status_code == 201, answer.text
    assert not recorder.running

    at = clock.now() - timedelta(hours=1)
    events = [event_input(f"q-{i}", _email(0), "webinar_attended", at + timedelta(minutes=i)) for i in range(4)]
    recorder.start()
    stopper = threading.Thread(target=recorder.stop)
    engine = app.state.engine  # the recorder writes through the app's own engine
    fates = asyncio.run(_record_while_locked(recorder, engine, tokens["mia"], events, stopper.start))
    stopper.join(10)
    assert not recorder.running
    assert [f.outcome if isinstance(f, Recorded) else f for f in fates] == ["counted"] * 4
