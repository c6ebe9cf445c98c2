"""The import's mapping step over HTTP: how the file's dates will read, confirmed or changed, and its countries.

The browser test of the same step is in test_marketing.py; these check the words and the choices, and what the
import stores with each choice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from leadpact.services.clock import FixedClock
from leadpact.store.tables import Lead
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.web import leads as lead_pages
from tests.factories import lead
from tests.web.test_dashboard_pages import Pages, served, site_copy, upload

CONTACTS = """\
Contact Owner,First Name,Email,Mailing Country,Created Time
Nora Field,Ann,ann@acme.example,United States,05/01/2026 14:20
Nora Field,Bo,bo@beta.example,Deutschland,06/02/2026 09:00
"""
FIELDS = ["contact_owner", "first_name", "email", "country", "created_at"]


@pytest.fixture(autouse=True)
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "uploads"
    monkeypatch.setattr(lead_pages, "UPLOADS", folder)
    return folder


@pytest.fixture
def site(tmp_path: Path, site_template: Path, clock: FixedClock) -> Iterator[Pages]:
    engine = site_copy(tmp_path, site_template)
    yield from served(engine, clock)
    engine.dispose()


def dates_part(page: str) -> str:
    found = re.search(r"<fieldset data-dates>(.*?)</fieldset>", page, re.DOTALL)
    assert found, "no dates on the page"
    return re.sub(r"\s+", " ", found.group(1))


def date_options(page: str) -> list[tuple[str, str, bool]]:
    """The choices of how day and month are written: value, words, and whether it is the one selected."""
    part = dates_part(page)
    return [(v, w, bool(s)) for v, s, w in re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', part)]


def leads_held(site: Pages) -> int:
    with UnitOfWork(site.engine) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Lead)) or 0)


def test_dates_that_read_both_ways_are_shown_with_both_readings_and_import_as_the_order_chosen(site: Pages) -> None:
    mia = site.signed_in("mia")
    page, token = upload(mia, "leads", "contacts.csv", CONTACTS)
    assert page.status_code == 200
    part = dates_part(page.text)
    assert "In Created Time." in part
    assert (
        "No date in the file tells whether &#39;05/01/2026 14:20&#39; is 5 January 2026 (day first) or 1 May 2026 "
        "(month first): choose." in part
    )
    assert "is taken in America/Chicago, the agreement's time zone" in part
    assert date_options(page.text) == [
        ("", "choose the order", True),
        ("DMY", "day first: 05/01/2026 14:20 is 5 January 2026", False),
        ("MDY", "month first: 05/01/2026 14:20 is 1 May 2026", False),
    ]
    countries = re.findall(r'<li data-country="([A-Z]*)">([^<]*) → <b>', page.text)
    assert countries == [("US", "United States"), ("DE", "Deutschland")]

    form: dict[str, str | list[str]] = {"token": token, "kind": "leads", "filename": "contacts.csv", "field": FIELDS}
    unsaid = mia.post("/import/run", form)
    assert unsaid.status_code == 422
    assert (
        "contacts.csv: column &#39;Created Time&#39; has dates like &#39;05/01/2026 14:20&#39; (row 2), 5 January "
        "2026 day first or 1 May 2026 month first, and no date in the file tells which" in unsaid.text
    )
    assert "date_format:" not in unsaid.text
    assert str(lead_pages.UPLOADS) not in unsaid.text
    assert leads_held(site) == 0

    done = mia.post("/import/run", {**form, "date_format": "DMY"})
    assert done.status_code == 200, done.text
    assert lead(site.engine, "ann@acme.example").created_at == datetime(2026, 1, 5, 20, 20, tzinfo=UTC)
    assert lead(site.engine, "bo@beta.example").created_at == datetime(2026, 2, 6, 15, 0, tzinfo=UTC)
    assert lead(site.engine, "bo@beta.example").country == "DE"


def test_an_order_the_values_settle_is_selected_and_a_different_choice_is_held_to_every_row(site: Pages) -> None:
    mia = site.signed_in("mia")
    text = CONTACTS + "Nora Field,Cy,cy@gamma.example,Canada,25/01/2026 10:00\n"
    page, token = upload(mia, "leads", "contacts.csv", text)
    assert (
        "Day and month are day first: &#39;25/01/2026 10:00&#39; (Created Time, row 4) reads no other way."
        in dates_part(page.text)
    )
    assert [(v, chosen) for v, _, chosen in date_options(page.text)] == [("DMY", True), ("MDY", False)]

    form: dict[str, str | list[str]] = {
        "token": token,
        "kind": "leads",
        "filename": "contacts.csv",
        "field": FIELDS,
        "date_format": "MDY",
    }
    refused = mia.post("/import/run", form)
    assert refused.status_code == 422
    assert "&#39;25/01/2026 10:00&#39; is not a date written month first (MDY)" in refused.text
    assert [(v, chosen) for v, _, chosen in date_options(refused.text)] == [("DMY", False), ("MDY", True)]
    assert leads_held(site) == 0
    assert mia.post("/import/run", {**form, "date_format": "DMY"}).status_code == 200
    assert lead(site.engine, "cy@gamma.example").created_at == datetime(2026, 1, 25, 16, tzinfo=UTC)


def test_dates_that_read_one_way_ask_nothing_and_a_country_that_is_none_is_shown_before_it_is_refused(
    site: Pages,
) -> None:
    mia = site.signed_in("mia")
    text = "Email,Country,Create Date\nann@acme.example,Narnia,2026-01-05 14:20\nbo@beta.example,de,2026-02-06\n"
    page, token = upload(mia, "leads", "hubspot.csv", text)
    part = dates_part(page.text)
    assert "Dates read one way only: &#39;2026-01-05 14:20&#39; is 5 January 2026." in part
    assert "<select" not in part
    assert re.search(r'<li data-country="">Narnia → <span class="overdue">not a country</span>: row 2 ', page.text)
    assert 'data-country="DE"' not in page.text  # a code needs no word
    refused = mia.post("/import/run", {"token": token, "kind": "leads", "field": ["email", "country", "created_at"]})
    assert refused.status_code == 422
    assert "&#39;Narnia&#39; is not a country (a name like Germany or a code like DE)" in refused.text
    assert leads_held(site) == 0


def test_a_campaign_file_shows_its_day_columns_without_a_time_zone(site: Pages) -> None:
    mia = site.signed_in("mia")
    text = "Campaign Name,Start Date,End Date\nSpring,03/02/2026,03/04/2026\nFair,14/02/2026,15/02/2026\n"
    page, token = upload(mia, "campaigns", "campaigns.csv", text)
    part = dates_part(page.text)
    assert "In Start Date, End Date." in part
    assert "&#39;14/02/2026&#39; (Start Date, row 3) reads no other way" in part
    assert "time zone" not in part
    made = mia.post("/import/run", {"token": token, "kind": "campaigns", "field": ["name", "started_on", "ended_on"]})
    assert made.status_code == 200, made.text
