"""Marketing's pages in a real browser: the dashboard's charts, the CSV import with its mapping step, the leads list."""

from __future__ import annotations

import itertools
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect
from sqlalchemy import func, select

from leadpact.store.tables import Lead
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.web import leads as lead_pages
from tests.web.conftest import PHONE, Site, sign_in
from tests.web.test_dashboard_pages import DEFAULT_FIRST, DEFAULT_LAST, expected, seed_history


@pytest.fixture(autouse=True)
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Uploads kept between the import's steps go to the test's own directory, not the system's temporary one."""
    folder = tmp_path / "uploads"
    monkeypatch.setattr(lead_pages, "UPLOADS", folder)
    return folder


DRAWN = """() => {
  const canvases = [...document.querySelectorAll("canvas[data-chart]")];
  return canvases.length > 0 && canvases.every((c) => c.dataset.drawn && window.Chart.getChart(c));
}"""
"""Every chart canvas of the page has its Chart.js chart."""


def charts_drawn(page: Page) -> int:
    """Wait for every chart of the page, and say how many Chart.js drew."""
    page.wait_for_function(DRAWN)
    count: int = page.evaluate("() => Object.keys(window.Chart.instances).length")
    return count


def chart_data(page: Page, panel: str) -> list[list[Any]]:
    """The data of each dataset of the chart in the dashboard panel ``panel``, as Chart.js holds it."""
    data: list[list[Any]] = page.evaluate(
        "(panel) => window.Chart.getChart(document.querySelector(`[data-panel='${panel}'] canvas`))"
        ".data.datasets.map((d) => d.data)",
        panel,
    )
    return data


def funnel_counts(cohort: dict[str, Any]) -> list[int]:
    return [cohort[k] for k in ("leads", "mql", "sal", "sql", "opportunity", "won")]


def test_marketing_sees_every_chart_drawn_with_the_reports_numbers_and_the_dates_change_them(
    browser: Browser, site: Site
) -> None:
    seed_history(site.engine, site.inforce)
    page = sign_in(browser, site, "mia", next="/dashboard")
    canvases = page.locator("canvas[data-chart]")
    assert charts_drawn(page) == canvases.count() == 10  # with the feedback panel of the agreement's lists

    year = expected(site.engine, site.clock, site.inforce, DEFAULT_FIRST, DEFAULT_LAST)
    expect(page.locator("[data-range]")).to_contain_text("2025-03-03 to 2026-03-02")
    expect(page.locator('[data-kpi="leads"] b')).to_have_text(str(year.cohort["leads"]))
    expect(page.locator('[data-kpi="won"] b')).to_have_text(str(year.cohort["won"]))
    expect(page.locator('[data-kpi="cost"] b')).to_have_text(f"${year.spend['cost']:,.0f}")
    assert chart_data(page, "funnel") == [funnel_counts(year.cohort)]
    assert year.cohort["won"] == 1

    page.get_by_label("From", exact=True).fill("2026-02-01")  # exactly: a panel on competitors holds "to" too
    page.get_by_label("To", exact=True).fill("2026-02-28")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"from=2026-02-01&to=2026-02-28"))
    assert charts_drawn(page) == 10
    february = expected(site.engine, site.clock, site.inforce, date(2026, 2, 1), date(2026, 2, 28))
    expect(page.locator('[data-kpi="leads"] b')).to_have_text(str(february.cohort["leads"]))
    expect(page.locator('[data-kpi="cost"] b')).to_have_text("$500")
    assert chart_data(page, "funnel") == [funnel_counts(february.cohort)]
    assert february.cohort["leads"] < year.cohort["leads"]

    page.locator('[data-panel="funnel"] summary').click()
    expect(page.locator('[data-panel="funnel"] td[data-key="count"]').first).to_have_text(str(february.cohort["leads"]))


LEADS_CSV = (
    "Mail,First Name,Company Name,No. of Employees,Country\n"
    "ann@acme.example,Ann,Acme,1000,US\n"
    "bob@bolt.example,Bob,Bolt,{bob},US\n"
    "cy@corp.example,Cy,Corp,50,CA\n"
)


def upload(page: Page, text: str) -> None:
    page.get_by_label("CSV file").set_input_files(
        files=[FilePayload(name="contacts.csv", mimeType="text/csv", buffer=text.encode())]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("heading", name="Import leads: check the columns")).to_be_visible()


def stored_leads(site: Site) -> int:
    with UnitOfWork(site.engine) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Lead)) or 0)


def test_a_leads_file_with_a_bad_row_is_refused_by_row_and_field_then_the_fixed_file_imports(
    browser: Browser, site: Site
) -> None:
    page = sign_in(browser, site, "mia", next="/import")
    page.get_by_label("What the file holds").select_option("leads")
    upload(page, LEADS_CSV.format(bob="lots"))
    expect(page.get_by_label("Field for column No. of Employees")).to_have_value("employees")
    mail = page.get_by_label("Field for column Mail")
    expect(mail).to_have_value("mail")  # an unknown header: kept as a custom field unless told otherwise
    mail.select_option("email")
    page.get_by_role("button", name="Import").click()

    problems = page.locator("table[data-problems] tbody tr")
    expect(problems).to_have_count(1)
    expect(problems.first.locator('td[data-label="row"]')).to_have_text("3")
    expect(problems.first.locator('td[data-label="field"]')).to_have_text("employees")
    expect(problems.first).to_contain_text("'lots' is not a whole number")
    expect(page.get_by_role("alert")).to_contain_text("nothing was stored")
    expect(page.get_by_label("Field for column Mail")).to_have_value("email")  # the choice made is kept
    assert stored_leads(site) == 0

    upload(page, LEADS_CSV.format(bob="40"))
    page.get_by_label("Field for column Mail").select_option("email")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Imported leads")).to_be_visible()
    expect(page.locator('[data-count="rows"] b')).to_have_text("3")
    expect(page.locator('[data-count="created"] b')).to_have_text("3")
    assert stored_leads(site) == 3

    page.get_by_role("link", name="See the leads").click()
    page.get_by_label("Search").fill("bolt")
    page.get_by_role("button", name="Find").click()
    rows = page.locator("tr[data-lead]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("bob@bolt.example")


def test_the_leads_list_filters_by_stage_and_grade_and_links_to_each_lead(browser: Browser, site: Site) -> None:
    seed_history(site.engine, site.inforce)
    page = sign_in(browser, site, "dana", next="/leads")
    expect(page.locator("tr[data-lead]")).to_have_count(7)

    page.get_by_label("Grade").select_option("A")
    page.get_by_role("button", name="Find").click()
    expect(page.locator("tr[data-lead]")).to_have_count(4)
    page.get_by_label("Stage").select_option("mql")
    page.get_by_role("button", name="Find").click()
    rows = page.locator("tr[data-lead]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("silent@quiet.example")
    expect(page.get_by_label("Grade")).to_have_value("A")  # the filters stay as chosen

    page.get_by_label("Grade").select_option("D")
    page.get_by_label("Stage").select_option("inquiry")
    page.get_by_role("button", name="Find").click()
    expect(page.locator("tr[data-lead]")).to_have_count(3)
    page.get_by_role("link", name="cold@bank.example").click()
    page.wait_for_url(re.compile(r"/leads/\d+$"))


def test_the_dashboard_on_a_phone_stacks_its_charts_without_widening_the_page(browser: Browser, site: Site) -> None:
    seed_history(site.engine, site.inforce)
    page = sign_in(browser, site, "dana", PHONE)  # a manager starts on the dashboard
    assert charts_drawn(page) == 10  # with the feedback panel of the agreement's lists
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    boxes = [box for box in (p.bounding_box() for p in page.locator("[data-panel]").all()) if box]
    assert len(boxes) == 10
    assert len({round(b["x"]) for b in boxes}) == 1  # one column
    assert all(a["y"] + a["height"] <= b["y"] for a, b in itertools.pairwise(boxes))
    canvases = [c.bounding_box() for c in page.locator("canvas[data-chart]").all()]
    assert all(c and 280 <= c["width"] <= PHONE["width"] and c["height"] >= 200 for c in canvases)


def test_a_rep_is_refused_the_dashboard_and_the_import(browser: Browser, site: Site) -> None:
    page = sign_in(browser, site, "alice")
    for path in ("/dashboard", "/import"):
        answer = page.goto(f"{site.url}{path}")
        assert answer is not None
        assert answer.status == 403
        expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
        expect(page.get_by_role("alert")).to_contain_text("alice (rep) may not")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard")).to_have_count(0)
