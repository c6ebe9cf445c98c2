"""The commands for people, API tokens and capture forms, and 'leadpact serve' as one running process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from leadpact.cli import app
from leadpact.cli.common import worded
from leadpact.domain.errors import LeadpactError
from leadpact.services.clock import FixedClock
from leadpact.store.tables import ApiToken, User
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import add_team, capture

LEADPACT = Path(sys.executable).parent / "leadpact"


def run(url: str, *args: str, stdin: str | None = None) -> str:
    result = CliRunner().invoke(app, ["--db", url, *args], input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


def refused(url: str, *args: str, stdin: str | None = None) -> str:
    """The one-line error the command stops with, as the entry point prints it before it exits 2."""
    result = CliRunner().invoke(app, ["--db", url, *args], input=stdin)
    assert isinstance(result.exception, LeadpactError), result.output
    return worded(result.exception)


@pytest.fixture
def url(sqlite_engine: Engine) -> str:
    return sqlite_engine.url.render_as_string(hide_password=False)


def test_a_manager_is_added_with_a_side_and_a_hashed_password(url: str, sqlite_engine: Engine) -> None:
    printed = run(
        url,
        "user",
        "add",
        "Dana Lee",
        "--role",
        "manager",
        "--side",
        "marketing",
        "--password-stdin",
        stdin="long enough secret\n",
    )
    assert "Dana Lee (manager, marketing) can sign in now." in printed
    with UnitOfWork(sqlite_engine) as uow:
        dana = uow.session.scalars(select(User).where(User.name == "Dana Lee")).one()
        assert (dana.role, dana.side) == ("manager", "marketing")
        assert dana.password_hash is not None
        assert "long enough secret" not in dana.password_hash


def test_people_commands_refuse_reps_short_passwords_and_sides_of_non_managers(url: str) -> None:
    secret = "long enough secret\n"
    rep = refused(url, "user", "add", "ann", "--role", "rep", "--password-stdin", stdin=secret)
    assert rep == "--role: add reps with 'leadpact rep add NAME --team TEAM', then set a password"
    short = refused(url, "user", "add", "mo", "--role", "admin", "--password-stdin", stdin="short\n")
    assert short == "password: needs at least 8 characters"
    sided = refused(
        url, "user", "add", "mo", "--role", "marketing", "--side", "sales", "--password-stdin", stdin=secret
    )
    assert "only a manager has a side" in sided


def test_a_token_is_printed_once_kept_as_a_digest_listed_and_revoked(
    url: str, sqlite_engine: Engine, clock: FixedClock
) -> None:
    add_team(sqlite_engine, clock, "americas", {"alice": 1})
    printed = run(url, "token", "create", "alice's phone", "--user", "alice")
    secret = printed.split()[-1]
    assert secret.startswith("lpt_")
    assert "(rep)" in printed
    with UnitOfWork(sqlite_engine) as uow:
        token = uow.session.scalars(select(ApiToken)).one()
        assert token.digest != secret
        assert secret not in token.digest
    listed = json.loads(run(url, "token", "list", "--json"))
    assert [(t["name"], t["role"], t["user"], t["revoked_at"]) for t in listed] == [
        ("alice's phone", "rep", "alice", None)
    ]
    assert "is revoked" in run(url, "token", "revoke", str(token.id))
    assert json.loads(run(url, "token", "list", "--json"))[0]["revoked_at"] is not None
    assert "--role: say what the token may do" in refused(url, "token", "create", "nobody")
    assert "no API token 99" in refused(url, "token", "revoke", "99")


def test_a_capture_form_is_added_with_its_origins_and_mapping_and_listed(url: str) -> None:
    printed = run(
        url,
        "form",
        "add",
        "contact us",
        "--origin",
        "https://www.acme.example",
        "--map",
        "work_email=email",
        "--campaign",
        "Spring webinar",
    )
    key = printed.split("/capture/")[1].split()[0]
    listed = json.loads(run(url, "form", "list", "--json"))
    assert listed == [
        {
            "name": "contact us",
            "key": key,
            "source": "website",
            "event_type": "form_submit",
            "origins": ["https://www.acme.example"],
        }
    ]
    assert "not an origin" in refused(url, "form", "add", "other", "--origin", "www.acme.example/contact")
    assert "--map: 'work_email' is not HEADER=FIELD" in refused(url, "form", "add", "other", "--map", "work_email")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_serve_runs_the_app_and_the_api_in_one_process_from_the_latest_activity_and_stops_on_interrupt(
    url: str, sqlite_engine: Engine, clock: FixedClock
) -> None:
    inforce = adopt_example(sqlite_engine, clock)
    capture(sqlite_engine, clock, inforce, "ann@acme.example")
    port = _free_port()
    server = subprocess.Popen(
        [str(LEADPACT), "--db", url, "serve", "--port", str(port), "--clock-start", "latest"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "LEADPACT_WEBHOOKS": ""},
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                login = httpx2.get(f"http://127.0.0.1:{port}/login")
                break
            except httpx2.TransportError:
                assert server.poll() is None, "the server stopped"
                assert time.monotonic() < deadline, "the server did not start in time"
                time.sleep(0.1)
        assert login.status_code == 200
        assert "Sign in" in login.text
        assert f"{clock.now():%Y-%m-%dT%H:%M}" in login.text  # the page's clock is the ledger's last moment
        refused_ = httpx2.get(f"http://127.0.0.1:{port}/api/v1/leads")
        assert (refused_.status_code, refused_.json()["code"]) == (401, "not_authenticated")
        assert httpx2.get(f"http://127.0.0.1:{port}/docs").status_code == 200
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    assert f"http://127.0.0.1:{port}" in output
    assert "The clock runs from" in output


def test_serve_refuses_a_database_that_is_not_set_up(tmp_path: Path) -> None:
    assert "run 'leadpact init' first" in refused(f"sqlite:///{tmp_path / 'new.db'}", "serve")
