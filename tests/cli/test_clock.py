"""'leadpact clock show|set|clear': the store's clock, which every command and the served app share, so a lead scores
the same in a terminal and on the API while a demo world runs on it, and both return to real time when it is
cleared."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from leadpact.app import create_app
from leadpact.cli import app
from leadpact.cli.common import as_at
from leadpact.config import Settings
from leadpact.services import store_clock
from leadpact.services.clock import FixedClock
from leadpact.store.database import connect
from leadpact.store.tables import User
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import capture, hand_off
from tests.people import seed_people
from tests.test_cli_access import refused, run

ANN = "ann@acme.example"
DEMO_NOW = "2026-03-20T15:00:00Z"
NOTICE = "note: this store runs on a demo clock: it is now 2026-03-20 15:0"
STALE_SECONDS = 10 * store_clock.FRESH_SECONDS
"""Longer than the served app trusts what it read of the store's clock, by far."""


@dataclass
class Both:
    url: str
    api: TestClient
    token: str

    def cli_score(self, *at: str) -> float:
        result = CliRunner().invoke(app, ["--db", self.url, "lead", "show", ANN, "--json", *at])
        assert result.exit_code == 0, result.output
        score: float = json.loads(result.stdout)["score"]  # any notice goes to stderr, never into the JSON
        return score

    def api_score(self) -> float:
        answer = self.api.get(f"/api/v1/leads/{ANN}", headers={"Authorization": f"Bearer {self.token}"})
        assert answer.status_code == 200, answer.text
        score: float = answer.json()["score"]
        return score


@pytest.fixture
def both(engine: Engine, clock: FixedClock) -> Iterator[Both]:
    """Ann, handed over on 2 March 2026 with 30 points of engagement fading; the API served on real time."""
    inforce = adopt_example(engine, clock)
    tokens = seed_people(engine, clock, passwords=False)
    hand_off(engine, clock, inforce, ANN)
    url = engine.url.render_as_string(hide_password=False)
    served = create_app(Settings(database_url=url))  # no clock given: real time, or the store's
    with TestClient(served) as client:
        yield Both(url, client, tokens["root"])
    served.state.engine.dispose()


def eventually(check: Callable[[], bool]) -> bool:
    """Whether ``check`` holds within a while: the served app reads the store's clock again every few seconds."""
    deadline = time.monotonic() + STALE_SECONDS
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_the_cli_and_the_app_give_a_lead_the_same_score_on_the_store_clock_and_again_once_it_is_cleared(
    both: Both,
) -> None:
    on_demo_clock = both.cli_score("--at", DEMO_NOW)  # the score as of the demo's moment, asked for by name
    run(both.url, "clock", "set", DEMO_NOW)

    shown = CliRunner().invoke(app, ["--db", both.url, "lead", "show", ANN, "--json"])
    assert NOTICE in shown.stderr
    assert "'leadpact clock clear' returns it to real time" in shown.stderr
    cli, api = both.cli_score(), both.api_score()
    assert round(cli, 1) == round(api, 1) == round(on_demo_clock, 1)  # the seconds between cost no 0.05 point
    assert 50 < cli < 80  # fit 50 and 30 points of engagement faded over 18 days

    run(both.url, "clock", "clear")
    now = as_at(datetime.now(UTC))
    on_real_time = both.cli_score("--at", now)
    assert round(both.cli_score(), 1) == round(on_real_time, 1) < round(on_demo_clock, 1)
    assert eventually(lambda: round(both.api_score(), 1) == round(on_real_time, 1))
    cleared = CliRunner().invoke(app, ["--db", both.url, "lead", "show", ANN, "--json"])
    assert "demo clock" not in cleared.stderr


def test_a_moment_given_with_at_wins_over_the_store_clock(both: Both) -> None:
    run(both.url, "clock", "set", DEMO_NOW)
    later = datetime(2026, 4, 19, 15, 0, tzinfo=UTC)  # one half-life after the demo's moment
    shown = CliRunner().invoke(app, ["--db", both.url, "lead", "show", ANN, "--json", "--at", as_at(later)])
    assert "demo clock" not in shown.stderr
    assert json.loads(shown.stdout)["at"] == later.isoformat()


def test_the_clock_is_shown_set_and_cleared(url: str, sqlite_engine: Engine, clock: FixedClock) -> None:
    assert "The store runs on real time: it is now" in run(url, "clock", "show")
    assert json.loads(run(url, "clock", "show", "--json"))["store_clock"] is None
    assert "'latest': the database records no activity yet" in refused(url, "clock", "set", "latest")
    assert "'next week' is not an ISO 8601 time" in refused(url, "clock", "set", "next week")

    clock.at = datetime(2026, 11, 20, 14, 3, tzinfo=UTC)
    capture(sqlite_engine, clock, adopt_example(sqlite_engine, clock), ANN)
    set_ = " ".join(run(url, "clock", "set", "latest").split())
    assert "The store runs on its own clock: it is now 2026-11-20 14:0" in set_
    assert "It read 2026-11-20T14:03:00Z at " in set_
    assert "'leadpact clock clear' returns to real time" in set_
    shown = json.loads(run(url, "clock", "show", "--json"))["store_clock"]
    assert shown["starts_at"] == "2026-11-20T14:03:00+00:00"
    assert datetime.fromisoformat(shown["now"]) - datetime.fromisoformat(shown["starts_at"]) < timedelta(minutes=1)
    setting = store_clock.read(sqlite_engine)
    assert setting is not None
    assert shown["set_by"] == setting.set_by
    assert "It read 2026-11-20T14:03:00Z" in " ".join(run(url, "clock", "show").split())

    assert "The store runs on real time again" in run(url, "clock", "clear")
    assert store_clock.read(sqlite_engine) is None
    assert "The store already runs on real time." in run(url, "clock", "clear")


def test_what_a_command_records_is_stamped_with_the_store_clock_and_the_note_is_said_once(both: Both) -> None:
    run(both.url, "clock", "set", DEMO_NOW)
    added = CliRunner().invoke(app, ["--db", both.url, "rep", "add", "zoe", "--team", "americas", "--capacity", "2"])
    assert added.exit_code == 0, added.output
    assert added.stderr.count("demo clock") == 1
    engine = connect(both.url)
    try:
        with UnitOfWork(engine) as uow:
            joined = uow.session.scalars(select(User.created_at).where(User.name == "zoe")).one()
    finally:
        engine.dispose()
    assert timedelta(0) <= joined - datetime(2026, 3, 20, 15, 0, tzinfo=UTC) < timedelta(minutes=5)  # not today
