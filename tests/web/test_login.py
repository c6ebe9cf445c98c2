"""Signing in and out: argon2-checked passwords, the session cookie's flags, the form tokens (CSRF) on every
change, and where a person lands."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from leadpact.app import create_app
from leadpact.config import Settings
from leadpact.services.clock import FixedClock
from tests.people import PASSWORD


def client_for(tmp_path: Path, site_template: Path, clock: FixedClock, secure: bool = False) -> TestClient:
    path = tmp_path / "site.db"
    shutil.copy(site_template, path)
    app = create_app(Settings(database_url=f"sqlite:///{path}", secure_cookies=secure), clock)
    return TestClient(app, base_url="https://testserver" if secure else "http://testserver")


@pytest.fixture
def client(tmp_path: Path, site_template: Path, clock: FixedClock) -> Iterator[TestClient]:
    with client_for(tmp_path, site_template, clock) as client:
        yield client


def sign_in(client: TestClient, name: str, password: str = PASSWORD, next_: str = "/") -> object:
    client.get("/login")
    form = {"name": name, "password": password, "csrf": client.cookies["leadpact_login"], "next": next_}
    return client.post("/login", data=form, follow_redirects=False)


def test_a_wrong_password_is_refused_without_a_session_and_the_right_one_opens_the_role_s_start(
    client: TestClient,
) -> None:
    refused = sign_in(client, "alice", "not her password")
    assert refused.status_code == 401  # type: ignore[attr-defined]
    assert "wrong name or password" in refused.text  # type: ignore[attr-defined]
    assert "leadpact_session" not in client.cookies
    unknown = sign_in(client, "nobody")
    assert "wrong name or password" in unknown.text  # type: ignore[attr-defined]
    signed = sign_in(client, "alice")
    assert signed.status_code == 303  # type: ignore[attr-defined]
    cookie = signed.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "leadpact_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie
    home = client.get("/", follow_redirects=False)
    assert home.headers["location"] == "/queue"


def test_the_session_cookie_is_secure_when_the_settings_say_so(
    tmp_path: Path, site_template: Path, clock: FixedClock
) -> None:
    with client_for(tmp_path, site_template, clock, secure=True) as client:
        signed = sign_in(client, "mia")
        assert "Secure" in signed.headers["set-cookie"]  # type: ignore[attr-defined]


def test_after_signing_in_only_a_page_of_this_site_is_opened(client: TestClient) -> None:
    assert sign_in(client, "mia", next_="/leads").headers["location"] == "/leads"  # type: ignore[attr-defined]
    for elsewhere in ("//evil.example/", "/\\evil.example", "https://evil.example/"):
        assert sign_in(client, "mia", next_=elsewhere).headers["location"] == "/"  # type: ignore[attr-defined]


def test_a_sign_in_form_without_its_own_token_is_refused(client: TestClient) -> None:
    client.get("/login")
    answer = client.post("/login", data={"name": "alice", "password": PASSWORD, "csrf": "forged"})
    assert answer.status_code == 403
    assert "sign-in form is out of date" in answer.text


def test_a_change_without_the_session_s_form_token_is_refused_and_changes_nothing(client: TestClient) -> None:
    sign_in(client, "dana")
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        answer = client.post("/team/away", data={"name": "alice"}, headers=headers)
        assert answer.status_code == 403
        assert "csrf_failed" in answer.text
    assert "Mark alice away" in client.get("/team").text
    token = client.get("/team").text.split('name="csrf-token" content="')[1].split('"')[0]
    answer = client.post("/team/away", data={"name": "alice", "csrf": token}, follow_redirects=False)
    assert answer.status_code == 303
    assert "Mark alice away" not in client.get("/team").text


def test_signing_out_ends_the_session_and_pages_then_ask_to_sign_in(client: TestClient) -> None:
    sign_in(client, "bob")
    secret = client.cookies["leadpact_session"]
    token = client.get("/queue").text.split('name="csrf-token" content="')[1].split('"')[0]
    client.post("/logout", data={"csrf": token})
    client.cookies.set("leadpact_session", secret)  # the old cookie, kept by someone
    answer = client.get("/dashboard", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/dashboard"
