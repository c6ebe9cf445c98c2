"""The dashboard in a real browser at 1280 and 390 px: it says when its figures were computed, keeps them while
nothing changes, and computes them anew, charts included, when asked."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import DESKTOP, PHONE, Site, sign_in
from tests.web.test_dashboard_cache import spend_more
from tests.web.test_dashboard_pages import seed_history
from tests.web.test_marketing import chart_data, charts_drawn

WEBINAR = "Spring webinar"


def cost_per_won(page: Page) -> dict[str, float]:
    """The cost per won deal of each campaign in its chart, as Chart.js holds it."""
    labels: list[str] = page.evaluate(
        "() => window.Chart.getChart(document.querySelector(\"[data-panel='campaign-return'] canvas\")).data.labels"
    )
    return dict(zip(labels, chart_data(page, "campaign-return")[0], strict=True))


def test_at_1280_px_the_figures_say_when_they_were_computed_and_recompute_now_brings_a_change_in(
    browser: Browser, site: Site
) -> None:
    seed_history(site.engine, site.inforce)
    page = sign_in(browser, site, "mia", DESKTOP, next="/dashboard")
    assert charts_drawn(page) == 10
    computed = page.locator("[data-computed]")
    expect(computed).to_contain_text("Figures computed at 09:00 (America/Chicago)")
    expect(page.locator('[data-kpi="cost"] b')).to_have_text("$4,500")
    assert cost_per_won(page)[WEBINAR] == 1500  # $1,500 spent, one deal won

    spend_more(site.engine, "2026-01-10")  # the webinar's first day, behind leadpact's back: the page keeps its figures
    page.reload()
    expect(page.locator('[data-kpi="cost"] b')).to_have_text("$4,500")

    site.clock.at = site.clock.at.replace(minute=7)
    computed.get_by_role("button", name="Recompute now").click()
    page.wait_for_url(re.compile(r"/dashboard\?from=2025-03-03&to=2026-03-02$"))
    expect(computed).to_contain_text("Figures computed at 09:07 (America/Chicago)")
    expect(page.locator('[data-kpi="cost"] b')).to_have_text("$5,500")
    assert charts_drawn(page) == 10
    assert cost_per_won(page)[WEBINAR] == 2500  # the charts were computed anew too
    page.context.close()


def test_on_a_phone_the_recompute_button_fits_and_keeps_the_dates_chosen(browser: Browser, site: Site) -> None:
    seed_history(site.engine, site.inforce)
    page = sign_in(browser, site, "dana", PHONE, next="/dashboard")  # a manager
    page.get_by_label("From", exact=True).fill("2025-06-01")
    page.get_by_label("To", exact=True).fill("2025-06-30")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"from=2025-06-01&to=2025-06-30"))
    expect(page.locator('[data-kpi="cost"] b')).to_have_text("$3,000")

    spend_more(site.engine)
    button = page.get_by_role("button", name="Recompute now")
    box = button.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    button.click()
    page.wait_for_url(re.compile(r"/dashboard\?from=2025-06-01&to=2025-06-30$"))
    expect(page.locator('[data-kpi="cost"] b')).to_have_text("$4,000")
    expect(page.locator("[data-computed]")).to_contain_text("Figures computed at 09:00 (America/Chicago)")
    assert charts_drawn(page) == page.locator("canvas[data-chart]").count()
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    page.context.close()
