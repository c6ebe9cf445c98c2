"""A rep's queue in the browser, at laptop and phone widths: paged in the agreement's order, news at its top
without a reload (new leads, clocks that ran out), and the navigation's count of leads to accept."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from leadpact.services import intake, queue, team
from leadpact.services.team import user_named
from leadpact.store.unit_of_work import UnitOfWork
from tests.factories import HOT, days, hours
from tests.web.conftest import DESKTOP, PHONE, Site, sign_in

WIDTHS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
FIT = [HOT, {**HOT, "employees": 50}, {**HOT, "employees": 50, "industry": "software"}]
"""Grades A, B and C: scores in more than one priority band."""


def hand_off(site: Site, names: list[str]) -> None:
    """Leads handed to alice (bob is away) by a demo request now, most after a webinar days before."""
    with UnitOfWork(site.engine) as uow:
        if user_named(uow, "bob").available:
            team.set_available(uow, site.clock, "bob", False)
        inputs = [intake.LeadInput(f"{n}@{n}.example", first_name=n, **FIT[i % 3]) for i, n in enumerate(names)]
        intake.capture_leads(uow, site.clock, site.inforce, inputs)
    with UnitOfWork(site.engine) as uow:
        now = site.clock.now()
        events = [intake.EventInput(f"demo-{n}", f"{n}@{n}.example", "demo_request", now) for n in names]
        events += [
            intake.EventInput(f"webinar-{n}", f"{n}@{n}.example", "webinar_attended", now - days(5 * (i % 4)))
            for i, n in enumerate(names)
            if i % 4
        ]
        intake.record_events(uow, site.clock, site.inforce, events)


def alices_queue(site: Site) -> list[int]:
    with UnitOfWork(site.engine) as uow:
        return [i.lead_id for i in queue.queue(uow, site.inforce, user_named(uow, "alice"), site.clock.now())]


def shown(page: Page, where: str = "#queue-rows") -> list[int]:
    ids: list[str] = page.locator(f"{where} tr[id^='lead-']").evaluate_all("rows => rows.map(r => r.id)")
    return [int(i.removeprefix("lead-")) for i in ids]


def live_asks(page: Page) -> list[str]:
    """The queue's looks for news, as they go."""
    asked: list[str] = []

    def seen(request: Request) -> None:
        if "/queue/live" in request.url:
            asked.append(request.url)

    page.on("request", seen)
    return asked


@WIDTHS
def test_a_rep_pages_through_a_long_queue_in_the_agreements_order(
    site: Site, browser: Browser, viewport: dict[str, int]
) -> None:
    hand_off(site, [f"lead{n:02}" for n in range(60)])
    expected = alices_queue(site)
    page = sign_in(browser, site, "alice", viewport)

    expect(page.locator("#queue-rows tr[id^='lead-']")).to_have_count(25)
    assert shown(page) == expected[:25]
    expect(page.locator("#queue-more")).to_contain_text("Leads 1\u201325 of 60")
    page.get_by_role("link", name="Show the next 25").click()
    expect(page.locator("#queue-rows tr[id^='lead-']")).to_have_count(50)
    page.get_by_role("link", name="Show the next 10").click()
    expect(page.locator("#queue-more")).to_contain_text("Leads 51\u201360 of 60")
    assert shown(page) == expected
    expect(page.get_by_role("link", name=re.compile("Show the next"))).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    # the link's address opens the next page as a page of its own, as it does without script
    second = page.context.new_page()
    second.goto(f"{site.url}/queue")
    link = second.get_by_role("link", name="Show the next 25").get_attribute("href")
    assert link is not None
    second.goto(site.url + link)
    assert shown(second) == expected[25:50]
    expect(second.get_by_role("link", name="Back to the top of the queue")).to_be_visible()

    # the rows added keep working: the 40th lead is accepted in place
    row = page.locator(f"#lead-{expected[39]}")
    row.get_by_role("button", name="Accept").click()
    expect(row).to_have_attribute("data-stage", "sal")
    assert shown(page) == expected


@WIDTHS
def test_new_leads_and_clocks_that_run_out_show_at_the_top_without_a_reload(
    site: Site, browser: Browser, viewport: dict[str, int]
) -> None:
    hand_off(site, ["first"])
    page = sign_in(browser, site, "alice", viewport)
    page.clock.install()
    page.goto(f"{site.url}/queue")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="My queue 1")).to_be_visible()
    expect(page.locator("#arrivals .arrivals-head")).to_be_hidden()
    before = shown(page)

    site.clock.at += hours(1)
    hand_off(site, ["second", "third"])
    page.clock.run_for("00:21")  # the queue looks for news every 20 s

    arrivals = page.locator("#arrivals tr[id^='lead-']")
    expect(arrivals).to_have_count(2)
    expect(page.locator("#arrivals .arrivals-head")).to_be_visible()
    expect(page.locator("#arrivals")).to_contain_text("second")
    expect(nav.get_by_role("link", name="My queue 3")).to_be_visible()
    assert shown(page) == before  # the rep's place in the queue is left alone

    # a new lead is worked where it shows; the next look adds nothing twice
    arrivals.first.get_by_role("button", name="Accept").click()
    expect(arrivals.first).to_have_attribute("data-stage", "sal")
    site.clock.at += hours(5)  # past the first two leads' time to accept
    page.clock.run_for("00:21")
    lapses = page.locator("#lapses")
    expect(lapses).to_contain_text("SLA clock")
    expect(lapses.get_by_role("link", name="first")).to_be_visible()
    expect(lapses).to_contain_text("accept overdue")
    expect(arrivals).to_have_count(2)
    expect(nav.get_by_role("link", name="My queue 2")).to_be_visible()
    expect(nav.locator(".badge.alert")).to_be_visible()  # some are overdue
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_a_hidden_tab_asks_for_nothing_and_asks_at_once_when_shown_again(site: Site, browser: Browser) -> None:
    hand_off(site, ["first"])
    page = sign_in(browser, site, "alice", DESKTOP)
    page.clock.install()
    page.goto(f"{site.url}/queue")
    expect(page.get_by_role("link", name="My queue 1")).to_be_visible()
    asked = live_asks(page)

    page.evaluate("Object.defineProperty(document, 'hidden', {configurable: true, get: () => true})")
    page.clock.run_for("01:00")
    assert asked == []
    site.clock.at += hours(1)
    hand_off(site, ["second"])
    page.evaluate("Object.defineProperty(document, 'hidden', {configurable: true, get: () => false})")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")

    expect(page.locator("#arrivals tr[id^='lead-']")).to_have_count(1)
    expect(page.get_by_role("link", name="My queue 2")).to_be_visible()
    assert len(asked) == 1
