"""The import's mapping step in Chromium, on a laptop and on a phone: the dates' order chosen, the countries read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FilePayload, expect

from leadpact.web import leads as lead_pages
from tests.factories import lead
from tests.web.conftest import DESKTOP, PHONE, Site, sign_in

CONTACTS = (
    "Contact Owner,First Name,Email,Mailing Country,Created Time\n"
    "Nora Field,Ann,ann@acme.example,United States,05/01/2026 14:20\n"
    "Nora Field,Bo,bo@beta.example,Deutschland,06/02/2026 09:00\n"
)


@pytest.fixture(autouse=True)
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "uploads"
    monkeypatch.setattr(lead_pages, "UPLOADS", folder)
    return folder


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_marketing_chooses_how_day_and_month_are_written_and_the_leads_import_so(
    browser: Browser, site: Site, viewport: dict[str, int]
) -> None:
    page = sign_in(browser, site, "mia", viewport, next="/import")
    page.get_by_label("What the file holds").select_option("leads")
    page.get_by_label("CSV file").set_input_files(
        files=[FilePayload(name="contacts.csv", mimeType="text/csv", buffer=CONTACTS.encode())]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("heading", name="Import leads: check the columns")).to_be_visible()

    dates = page.locator("fieldset[data-dates]")
    expect(dates).to_contain_text("No date in the file tells whether '05/01/2026 14:20' is 5 January 2026")
    expect(dates).to_contain_text("America/Chicago")
    order = page.get_by_label("Day and month")
    expect(order).to_have_value("")
    countries = page.locator("fieldset[data-countries] li")
    expect(countries).to_have_text(["United States → US", "Deutschland → DE"])
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    box = order.bounding_box()
    assert box is not None
    assert 0 <= box["x"] <= box["x"] + box["width"] <= viewport["width"]

    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_contain_text("column 'Created Time' has dates like '05/01/2026 14:20'")
    page.get_by_label("Day and month").select_option("DMY")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Imported leads")).to_be_visible()
    expect(page.locator('[data-count="created"] b')).to_have_text("2")
    assert lead(site.engine, "ann@acme.example").created_at == datetime(2026, 1, 5, 20, 20, tzinfo=UTC)
    assert lead(site.engine, "bo@beta.example").country == "DE"
