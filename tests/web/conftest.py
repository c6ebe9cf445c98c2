"""Browser tests: the real app served by uvicorn on 127.0.0.1, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from sqlalchemy import Engine

from leadpact.api.app import create_app
from leadpact.config import Settings
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from tests.conftest import adopt_example
from tests.people import PASSWORD, seed_people

LAPTOP = {"width": 1366, "height": 800}
PHONE = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Site:
    url: str
    engine: Engine
    clock: FixedClock
    inforce: InForce


@pytest.fixture
def site(sqlite_engine: Engine, clock: FixedClock) -> Iterator[Site]:
    """The example agreement and the people of tests.people, served on a free port until the test ends."""
    inforce = adopt_example(sqlite_engine, clock)
    seed_people(sqlite_engine, clock)
    app = create_app(Settings(database_url=sqlite_engine.url.render_as_string(hide_password=False)), clock)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    yield Site(f"http://127.0.0.1:{port}", sqlite_engine, clock, inforce)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("browser tests need Debian's chromium (apt-get install chromium); .ci/run installs it")
    flags = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ]
    browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=flags)
    yield browser
    browser.close()


def sign_in(browser: Browser, site: Site, name: str, viewport: dict[str, int] | None = None) -> Page:
    """A new browser context signed in as ``name`` (a person of tests.people), at laptop width unless told."""
    context = browser.new_context(viewport=viewport or LAPTOP)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(f"{site.url}/login")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page
