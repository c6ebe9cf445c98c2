"""What every page says about time: that the store runs on a demo clock while one is set (and what time it is
there), each moment in the agreement's time zone with the zone named; and the icon browsers show for the site.
In Chromium at desktop and phone widths; the command line's clock reaches the running app over HTTP."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx2
import pytest
from playwright.sync_api import Browser, Page, Response, expect
from typer.testing import CliRunner

from leadpact.cli import app
from leadpact.services import store_clock
from leadpact.store.unit_of_work import UnitOfWork
from tests.factories import hand_off, owner_name
from tests.web.conftest import DESKTOP, PHONE, Site, sign_in

DEMO_END = datetime(2026, 11, 20, 14, 3, tzinfo=UTC)  # 08:03 in Chicago, the agreement's zone (CST)
BANNER = (
    "This store runs on a demo clock: it is now 20 Nov 2026 08:03 CST here. An admin can clear it: leadpact clock clear"
)
KIM = "kim@bigco.example"
WIDTHS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


def fits(page: Page) -> bool:
    """Whether the page needs no sideways scrolling at its width."""
    fitting: bool = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return fitting


def missing(page: Page) -> list[str]:
    """Every address the page asks for that answers 404, as they come."""
    lost: list[str] = []

    def seen(response: Response) -> None:
        if response.status == 404:
            lost.append(response.url)

    page.on("response", seen)
    return lost


@WIDTHS
def test_every_page_says_the_store_runs_on_a_demo_clock_and_what_time_it_is_there(
    site: Site, browser: Browser, viewport: dict[str, int]
) -> None:
    with UnitOfWork(site.engine) as uow:
        store_clock.set_to(uow, site.clock, DEMO_END)  # the site's real time stands still: the clock reads its start
    visitor = browser.new_context(viewport=viewport).new_page()  # type: ignore[arg-type]
    visitor.goto(f"{site.url}/login")
    expect(visitor.get_by_role("note")).to_have_text(BANNER)
    assert fits(visitor)

    root = sign_in(browser, site, "root", viewport)
    for path in ("/leads", "/agreement", "/admin/audit", "/dashboard"):
        root.goto(f"{site.url}{path}")
        banner = root.get_by_role("note")
        expect(banner).to_have_text(BANNER)
        expect(banner).to_be_in_viewport()
        assert fits(root), path
    assert root.locator("meta[name=server-now]").get_attribute("content") == DEMO_END.isoformat()


@WIDTHS
def test_times_read_in_the_agreements_time_zone_and_fit_rules_by_their_titles(
    site: Site, browser: Browser, viewport: dict[str, int]
) -> None:
    lead_id = hand_off(site.engine, site.clock, site.inforce, KIM, first_name="Kim", last_name="Lau")
    rep = owner_name(site.engine, KIM)
    assert rep is not None
    page = sign_in(browser, site, rep, viewport, next=f"/leads/{lead_id}")
    expect(page.get_by_text("As of 2 Mar 2026 09:00 CST, agreement version 1.")).to_be_visible()
    expect(page.locator("#history")).to_contain_text("2 Mar 2026 09:00 CST")
    expect(page.get_by_role("note")).to_have_count(0)  # real time: no demo clock to speak of
    fit = page.locator("#fit")
    expect(fit).to_contain_text("Senior title")
    expect(fit).to_contain_text("20 points when title mentions VP, Vice President, Head, Director, Chief, CEO")
    expect(fit).not_to_contain_text("senior-title")
    assert fits(page)


@WIDTHS
def test_the_site_has_an_icon_and_no_page_asks_for_one_in_vain(
    site: Site, browser: Browser, viewport: dict[str, int]
) -> None:
    page = browser.new_context(viewport=viewport).new_page()  # type: ignore[arg-type]
    lost = missing(page)
    page.goto(f"{site.url}/login")
    icon = page.locator("link[rel=icon]")
    expect(icon).to_have_attribute("href", "/static/favicon.svg")
    for path in ("/static/favicon.svg", "/favicon.ico"):
        answer = page.request.get(f"{site.url}{path}")
        assert (answer.status, answer.headers["content-type"]) == (200, "image/svg+xml"), path
        assert answer.text().startswith("<svg")
    assert lost == []


def banner_shown(url: str) -> bool:
    return "data-store-clock" in httpx2.get(f"{url}/login").text


def within_a_while(check: bool, url: str) -> bool:
    """Whether the login page shows the banner (``check``) or not within a while: the running app reads the store's
    clock again every few seconds."""
    deadline = time.monotonic() + 10 * store_clock.FRESH_SECONDS
    while banner_shown(url) != check:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_clock_set_and_cleared_from_the_command_line_reaches_the_running_app(site: Site) -> None:
    db = site.engine.url.render_as_string(hide_password=False)
    assert not banner_shown(site.url)
    assert CliRunner().invoke(app, ["--db", db, "clock", "set", "2026-11-20T14:03:00Z"]).exit_code == 0
    assert within_a_while(True, site.url)
    assert CliRunner().invoke(app, ["--db", db, "clock", "clear"]).exit_code == 0
    assert within_a_while(False, site.url)
