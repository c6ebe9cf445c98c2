"""Browser tests: the real app served by uvicorn on 127.0.0.1, driven by Playwright in Debian's Chromium.

Every test that takes the ``browser`` fixture carries the ``browser`` mark (from the fixture's one parameter), so
`pytest -m "not browser"` runs the page tests that need neither Playwright nor Chromium."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import uvicorn
from sqlalchemy import Engine

from leadpact.app import create_app
from leadpact.config import Settings
from leadpact.services import agreements
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.database import connect
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.people import PASSWORD, seed_people

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # the moment of the tests' clock fixture
LAPTOP = {"width": 1366, "height": 800}
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
NO_PLAYWRIGHT = "browser tests need Playwright: pip install -e '.[browser]'"
NO_CHROMIUM = "browser tests need Debian's chromium (apt-get install chromium); .ci/run installs it"


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """A test module that imports Playwright cannot even be loaded without it: it is reported as skipped, with the
    reason, rather than as an error."""
    report = yield
    missing = report.failed and isinstance(collector, pytest.Module) and importlib.util.find_spec("playwright") is None
    if missing and "No module named 'playwright'" in str(report.longrepr):
        report.outcome = "skipped"
        report.longrepr = (str(collector.path), 0, f"Skipped: {NO_PLAYWRIGHT}")
    return report


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


@pytest.fixture(scope="session")
def site_template(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """The example agreement and the people of tests.people, set up once: their passwords take a while to hash."""
    path = tmp_path_factory.mktemp("site") / "site.db"
    shutil.copy(sqlite_template, path)
    engine = connect(f"sqlite:///{path}")
    clock = FixedClock(START)
    adopt_example(engine, clock)
    seed_people(engine, clock)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def site(tmp_path: Path, site_template: Path, clock: FixedClock) -> Iterator[Site]:
    """The example agreement and the people of tests.people, served on a free port until the test ends."""
    assert clock.now() == START, "the site's people were set up at the test clock's moment"
    path = tmp_path / "site.db"
    shutil.copy(site_template, path)
    sqlite_engine = connect(f"sqlite:///{path}")
    with UnitOfWork(sqlite_engine) as uow:
        inforce = agreements.in_force(uow)
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
    sqlite_engine.dispose()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    sync_api = pytest.importorskip("playwright.sync_api", reason=NO_PLAYWRIGHT)
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="session", params=[pytest.param("chromium", marks=pytest.mark.browser)])
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip(NO_CHROMIUM)
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


def sign_in(browser: Browser, site: Site, name: str, viewport: dict[str, int] | None = None, next: str = "/") -> Page:
    """A new browser context signed in as ``name`` (a person of tests.people), at laptop width unless told,
    on the page ``next`` (by default where the person's role starts)."""
    context = browser.new_context(viewport=viewport or LAPTOP)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(f"{site.url}/login?next={next}")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)
    return page
