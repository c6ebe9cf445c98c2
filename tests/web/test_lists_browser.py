"""The leads list and a campaign's page in Chromium, on a laptop's width and a phone's: sorting, saving a filter and
coming back to it, the CSV export's file, disqualifying the leads ticked after the browser asks, and a campaign's
page with its chart, reached from the campaigns and leading to its leads."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from leadpact.services import campaigns
from leadpact.services.clock import FixedClock
from leadpact.store.unit_of_work import UnitOfWork
from tests.web.conftest import DESKTOP, PHONE, START, Site, sign_in
from tests.web.test_dashboard_pages import seed_history
from tests.web.test_marketing import charts_drawn

LONG_CAMPAIGN = "Industrial automation expo, Hanover: partner day, booth tours and the evening reception"
WIDTHS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
INQUIRIES = ["visitor1@fair.example", "visitor2@fair.example", "cold@bank.example"]  # the highest score first


def rows(page: Page) -> list[str]:
    found: list[str] = page.locator("tr[data-lead]").evaluate_all("(rows) => rows.map((r) => r.dataset.lead)")
    return found


def fits(page: Page) -> bool:
    """Whether the page is no wider than the window: nothing to scroll sideways."""
    wide: bool = page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    return wide


def find(page: Page, **chosen: str) -> None:
    """Set the list's filters (by their labels) and ask for the list."""
    for label, value in chosen.items():
        page.get_by_label(label.replace("_", " ")).select_option(value)
    page.get_by_role("button", name="Find").click()
    page.wait_for_load_state()


@WIDTHS
def test_the_list_sorts_by_a_heading_on_a_laptop_and_by_the_sort_choice_on_a_phone(
    browser: Browser, site: Site, viewport: dict[str, int]
) -> None:
    seed_history(site.engine, site.inforce)
    with UnitOfWork(site.engine) as uow:  # a long name among the choices still leaves the form as wide as a phone
        campaigns.record_campaigns(uow, FixedClock(START), [campaigns.CampaignInput(LONG_CAMPAIGN, "tradeshow")])
    page = sign_in(browser, site, "mia", viewport, next="/leads")
    expect(page.locator("tr[data-lead]")).to_have_count(7)
    if viewport == DESKTOP:
        page.get_by_role("link", name="lead", exact=True).click()
        page.wait_for_url(re.compile(r"sort=email&dir=asc"))
        expect(page.locator('th[aria-sort="ascending"]')).to_contain_text("lead")
        page.get_by_role("link", name="lead", exact=True).click()  # the same heading again: the other way round
        page.wait_for_url(re.compile(r"sort=email&dir=desc"))
    else:
        expect(page.locator("table.cards thead")).to_be_hidden()  # no headings on a phone: the form sorts
        find(page, Sort_by="email", Order="desc")
        page.wait_for_url(re.compile(r"sort=email&dir=desc"))
    assert rows(page) == sorted(rows(page), reverse=True)
    assert len(rows(page)) == 7
    expect(page.get_by_label("Sort by")).to_have_value("email")
    expect(page.get_by_text("7 leads, by lead, descending.")).to_be_visible()
    assert fits(page)


@WIDTHS
def test_a_filter_saved_under_a_name_comes_back_with_one_click(
    browser: Browser, site: Site, viewport: dict[str, int]
) -> None:
    seed_history(site.engine, site.inforce)
    page = sign_in(browser, site, "mia", viewport, next="/leads")
    expect(page.get_by_text("None yet")).to_be_visible()
    find(page, Stage="inquiry", Campaign="Trade fair")
    assert rows(page) == ["visitor1@fair.example", "visitor2@fair.example"]
    page.get_by_label("Save this list as").fill("fair inquiries")
    page.get_by_role("button", name="Save filter").click()
    saved = page.get_by_role("link", name="fair inquiries")
    expect(saved).to_have_attribute("aria-current", "page")
    assert fits(page)

    page.get_by_role("link", name="Clear").click()
    expect(page.locator("tr[data-lead]")).to_have_count(7)
    expect(saved).not_to_have_attribute("aria-current", "page")
    saved.click()
    page.wait_for_url(re.compile(r"stage=inquiry&campaign=Trade\+fair"))
    assert rows(page) == ["visitor1@fair.example", "visitor2@fair.example"]
    expect(page.get_by_label("Campaign")).to_have_value("Trade fair")
    expect(page.get_by_label("Stage")).to_have_value("inquiry")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Forget the saved filter fair inquiries").click()
    expect(page.get_by_role("link", name="fair inquiries")).to_have_count(0)
    assert rows(page) == ["visitor1@fair.example", "visitor2@fair.example"]  # the list stays as it was


@WIDTHS
def test_the_export_downloads_every_lead_of_the_filtered_list_in_its_order(
    browser: Browser, site: Site, viewport: dict[str, int]
) -> None:
    seed_history(site.engine, site.inforce)
    page = sign_in(browser, site, "dana", viewport, next="/leads")
    find(page, Stage="inquiry", Sort_by="email", Order="desc")
    shown = rows(page)
    assert shown == sorted(INQUIRIES, reverse=True)
    with page.expect_download() as started:
        page.get_by_role("link", name="Export CSV (3)").click()
    download = started.value
    assert download.suggested_filename == "leads-2026-03-02.csv"
    path = download.path()
    exported = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [r["email"] for r in exported] == shown
    assert {(r["stage"], r["owner"]) for r in exported} == {("inquiry", "")}
    assert path.read_text(encoding="utf-8").startswith("id,email,company,title,source,stage,grade,priority,score,")
    assert fits(page)


@WIDTHS
def test_marketing_disqualifies_the_leads_ticked_once_the_browser_has_asked(
    browser: Browser, site: Site, viewport: dict[str, int]
) -> None:
    seed_history(site.engine, site.inforce)
    page = sign_in(browser, site, "mia", viewport, next="/leads")
    find(page, Stage="inquiry")
    assert rows(page) == INQUIRIES
    page.get_by_label("Tick every lead of this page").check()
    page.get_by_label("Tick cold@bank.example").uncheck()
    page.get_by_label("With the leads ticked").select_option("disqualify:bad_data")
    asked: list[str] = []

    def answer(accept: bool) -> None:
        def reply(dialog: Dialog) -> None:
            asked.append(dialog.message)
            if accept:
                dialog.accept()
            else:
                dialog.dismiss()

        page.once("dialog", reply)

    answer(accept=False)
    page.get_by_role("button", name="Apply").click()
    assert asked == ["Disqualify as bad data, for the leads ticked (2)?"]
    expect(page.locator("[data-outcome]")).to_have_count(0)  # not sent: nothing happened
    assert rows(page) == INQUIRIES

    answer(accept=True)
    page.get_by_role("button", name="Apply").click()
    outcome = page.locator("[data-outcome]")
    expect(outcome).to_contain_text("2 leads disqualified.")
    expect(outcome.locator("[data-done]")).to_have_count(2)
    assert rows(page) == ["cold@bank.example"]  # the list as it was, without the leads disqualified
    expect(page.get_by_label("Stage")).to_have_value("inquiry")
    assert fits(page)

    find(page, Stage="any")
    page.get_by_label("Tick win@acme.example").check()
    page.get_by_label("With the leads ticked").select_option("disqualify:competitor")
    answer(accept=True)
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("[data-outcome]")).to_contain_text("0 leads disqualified; 1 skipped: 1 in stage customer.")
    expect(page.locator('[data-skipped="win@acme.example"]')).to_be_visible()


@WIDTHS
def test_a_campaigns_page_shows_its_return_funnel_costs_and_leads_and_leads_to_them_in_the_list(
    browser: Browser, site: Site, viewport: dict[str, int]
) -> None:
    seed_history(site.engine, site.inforce)
    page = sign_in(browser, site, "mia", viewport, next="/campaigns")
    page.get_by_role("link", name="Spring webinar").click()
    expect(page.get_by_role("heading", name="Spring webinar", level=1)).to_be_visible()
    assert charts_drawn(page) == 1
    expect(page.locator('[data-kpi="cost"] b')).to_have_text("$1,500")
    expect(page.locator('[data-kpi="cost_per_mql"] b')).to_have_text("$750")
    expect(page.locator('[data-kpi="roi"] b')).to_have_text("700%")
    expect(page.locator("tr[data-month]")).to_have_count(2)
    assert fits(page)
    canvas = page.locator("canvas[data-chart]").bounding_box()
    assert canvas is not None
    assert canvas["width"] <= viewport["width"]

    page.get_by_role("link", name="See all 2 in the leads list").click()
    page.wait_for_url(re.compile(r"/leads\?campaign=Spring\+webinar$"))
    expect(page.get_by_label("Campaign")).to_have_value("Spring webinar")
    assert sorted(rows(page)) == ["lose@bolt.example", "win@acme.example"]
    assert fits(page)
