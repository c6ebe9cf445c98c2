"""The account pages in a real browser at 1280 px: from a lead to its account, its people and engagement, and a
manager giving the account an owner; and a rep's cap on open leads set on the team page."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from leadpact.services import team
from leadpact.store.unit_of_work import UnitOfWork
from tests.factories import capture, event, hand_off, record
from tests.web.conftest import Site, sign_in

DESKTOP = {"width": 1280, "height": 800}


def test_a_manager_goes_from_a_lead_to_its_account_and_gives_the_account_an_owner(browser: Browser, site: Site) -> None:
    lead_id = hand_off(site.engine, site.clock, site.inforce, "ann@acme.example", first_name="Ann", company="Acme")
    capture(site.engine, site.clock, site.inforce, "bo@acme.example", title="Chief Financial Officer")
    record(
        site.engine, site.clock, site.inforce, event("w-bo", "bo@acme.example", "webinar_attended", site.clock.now())
    )
    page = sign_in(browser, site, "sam", DESKTOP, next=f"/leads/{lead_id}")
    page.locator("#account-link").click()
    page.wait_for_url(f"{site.url}/accounts/acme.example")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Acme")
    expect(page.locator("#engaged")).to_contain_text("2 of 2")
    people = page.locator("#people tbody tr")
    expect(people).to_have_count(2)
    expect(people.first).to_contain_text("Ann")
    expect(page.locator("tr[data-lead='bo@acme.example'] td[data-label='title']")).to_have_text(
        "Chief Financial Officer"
    )
    expect(page.locator("#owner")).to_contain_text("nobody")
    page.get_by_label("Rep").select_option("bob")
    page.get_by_role("button", name="Save owner").click()
    expect(page.get_by_role("status")).to_contain_text("The account's owner is now bob.")
    expect(page.locator("#owner")).to_contain_text("bob")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.get_by_role("link", name="Accounts", exact=True).click()
    row = page.locator("tr[data-account='acme.example']")
    expect(row.locator("td[data-label='owner']")).to_have_text("bob")
    expect(row.locator("td[data-label='engaged']")).to_have_text("2")


def test_a_manager_caps_a_reps_open_leads_on_the_team_page_and_lifts_the_cap(browser: Browser, site: Site) -> None:
    page = sign_in(browser, site, "sam", DESKTOP, next="/team")
    alice = page.locator("tr[data-rep='alice']")
    alice.get_by_label("Most open leads of alice").fill("4")
    alice.get_by_role("button", name="Set cap").click()
    expect(page.locator("#flash")).to_contain_text("alice holds at most 4 open leads.")
    assert max_open(site, "alice") == 4
    alice.get_by_label("Most open leads of alice").fill("")
    alice.get_by_role("button", name="Set cap").click()
    expect(page.locator("#flash")).to_contain_text("alice has no cap on open leads.")
    assert max_open(site, "alice") is None


def max_open(site: Site, name: str) -> int | None:
    with UnitOfWork(site.engine) as uow:
        return team.user_named(uow, name).max_open
