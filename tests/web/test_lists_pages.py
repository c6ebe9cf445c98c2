"""The leads list and a campaign's page over HTTP, on SQLite and PostgreSQL, signed in: sorting, saved filters, the
CSV export, acting on many leads at once, and who may do which. The browser tests (test_lists_browser.py) click
through the same pages in Chromium."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from leadpact.services import intake
from leadpact.services.clock import FixedClock
from leadpact.store.database import empty
from leadpact.store.tables import AuditEntry, Campaign, Lead
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.web import leads as lead_pages
from tests.conftest import ENGINES, adopt_example
from tests.people import seed_people
from tests.reports.conftest import utc
from tests.web.test_dashboard_pages import Pages, seed_history, served, site_copy


@pytest.fixture(params=ENGINES)
def pages(request: pytest.FixtureRequest, tmp_path: Path, site_template: Path, clock: FixedClock) -> Iterator[Pages]:
    """The app on each engine, with the history of the dashboard's tests: two campaigns and seven leads."""
    if request.param == "sqlite":
        engine = site_copy(tmp_path, site_template)
    else:
        engine = request.getfixturevalue("postgres_engine")
        empty(engine)
        adopt_example(engine, clock)
        seed_people(engine, clock)
    found = next(served(engine, clock))
    history = seed_history(engine, found.inforce)
    history.capture("=cmd@evil.example", utc(2026, 2, 18), company='=HYPERLINK("http://x")', title="-2+3")
    yield found
    found.app.state.engine.dispose()
    if request.param == "sqlite":
        engine.dispose()


def listed(html: str) -> list[str]:
    return re.findall(r'<tr data-lead="([^"]+)">', html)


def lead_id(pages: Pages, email: str) -> int:
    with UnitOfWork(pages.engine) as uow:
        return intake.find_lead(uow, email).id


def test_the_list_sorts_by_a_column_either_way_and_its_headings_link_to_the_other_way(pages: Pages) -> None:
    mia = pages.signed_in("mia")
    by_email = mia.get("/leads", sort="email", dir="asc")
    assert listed(by_email.text) == sorted(listed(by_email.text))
    assert len(listed(by_email.text)) == 8
    assert 'aria-sort="ascending"' in by_email.text
    assert 'href="/leads?sort=email&amp;dir=desc"' in by_email.text  # the heading sorted by turns the order round
    assert listed(mia.get("/leads", sort="email", dir="desc").text) == sorted(listed(by_email.text), reverse=True)
    staged = mia.get("/leads", sort="stage", stage="", q="")
    stages = re.findall(r'<td data-label="stage">([^<]+)</td>', staged.text)
    assert stages == ["inquiry"] * 4 + ["mql", "customer", "recycled", "recycled"]  # the lifecycle's own order
    default = mia.get("/leads")
    assert "highest score first" in default.text
    assert 'href="/leads?sort=company&amp;dir=asc"' in default.text

    refused = mia.get("/leads", sort="fit")
    assert refused.status_code == 422
    assert "sort: &#39;fit&#39; is not a column the list sorts by" in refused.text


def test_a_filter_saved_under_a_name_is_listed_for_its_person_only_and_can_be_forgotten(pages: Pages) -> None:
    mia = pages.signed_in("mia")
    listing = "stage=inquiry&campaign=Trade+fair&sort=email&dir=desc"
    saved = mia.client.post(
        "/leads/filters", data={"name": "fair inquiries", "listing": listing, "csrf": mia.csrf}, follow_redirects=False
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/leads?{listing}"
    shown = mia.get("/leads", stage="inquiry", campaign="Trade fair", sort="email", dir="desc")
    assert re.search(
        r'<a href="/leads\?stage=inquiry&amp;campaign=Trade\+fair[^"]*" aria-current="page">fair', shown.text
    )
    assert listed(shown.text) == ["visitor2@fair.example", "visitor1@fair.example"]
    assert "fair inquiries" not in pages.signed_in("dana").get("/leads").text

    nameless = mia.post("/leads/filters", {"name": " ", "listing": listing})
    assert nameless.status_code == 422
    assert "name: give the filter a name" in nameless.text
    assert listed(nameless.text) == ["visitor2@fair.example", "visitor1@fair.example"]  # the list as it was

    kept = re.search(r'action="/leads/filters/(\d+)/delete"', shown.text)
    assert kept
    assert pages.signed_in("dana").post(f"/leads/filters/{kept.group(1)}/delete", {}).status_code == 404
    assert "fair inquiries" in mia.get("/leads").text
    mia.post(f"/leads/filters/{kept.group(1)}/delete", {"listing": ""})
    assert "fair inquiries" not in mia.get("/leads").text


def test_the_export_holds_every_lead_of_the_filtered_list_in_order_with_formulas_defused_and_is_audited(
    pages: Pages, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lead_pages, "PAGE_SIZE", 3)  # the export is not one page of the list
    mia = pages.signed_in("mia")
    assert len(listed(mia.get("/leads", sort="email").text)) == 3
    answer = mia.client.get("/leads.csv", params={"sort": "email", "dir": "asc"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="leads-2026-03-02.csv"'
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert list(rows[0]) == list(lead_pages.EXPORTED)
    assert [r["email"] for r in rows] == sorted(r["email"] for r in rows)
    assert len(rows) == 8
    evil = next(r for r in rows if r["email"].endswith("evil.example"))
    assert (evil["email"], evil["company"], evil["title"]) == (
        "'=cmd@evil.example",
        '\'=HYPERLINK("http://x")',
        "'-2+3",
    )
    won = next(r for r in rows if r["email"] == "win@acme.example")
    assert (won["stage"], won["grade"], won["source"]) == ("customer", "A", "webinar")
    assert float(won["score"]) > 0

    fair = list(csv.DictReader(io.StringIO(mia.get("/leads.csv", campaign="Trade fair", q="visitor").text)))
    assert [r["email"] for r in fair] == ["visitor1@fair.example", "visitor2@fair.example"]
    with UnitOfWork(pages.engine) as uow:
        trail = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "lead.export")).all()
        kept = [(e.actor, e.subject, json.loads(e.detail)) for e in trail]
    assert kept == [
        ("mia", "leads list", {"filters": {}, "order": "email ascending", "rows": 8, "searched": False}),
        (
            "mia",
            "leads list",
            {"filters": {"campaign": "Trade fair"}, "order": "score descending", "rows": 2, "searched": True},
        ),
    ]  # what was searched for may be a person's name: the trail keeps only that there was a search
    assert pages.signed_in("alice").get("/leads.csv").status_code == 403


def test_marketing_disqualifies_the_leads_ticked_and_the_list_says_what_happened_to_each(pages: Pages) -> None:
    mia = pages.signed_in("mia")
    page = mia.get("/leads", stage="inquiry")
    assert 'data-confirm="{do}, for the leads ticked ({lead})?"' in page.text
    assert 'value="disqualify:bad_data"' in page.text
    assert "reassign:" not in page.text  # marketing gives no lead to a rep
    chosen = [str(lead_id(pages, e)) for e in ("cold@bank.example", "=cmd@evil.example", "win@acme.example")]
    done = mia.post("/leads/bulk", {"do": "disqualify:bad_data", "lead": chosen, "listing": "stage=inquiry"})
    assert done.status_code == 200
    assert "2 leads disqualified; 1 skipped: 1 in stage customer." in done.text
    assert 'data-skipped="win@acme.example"' in done.text
    assert "cold@bank.example" not in listed(done.text)  # the list as it was, without the leads disqualified
    assert listed(done.text) == ["visitor1@fair.example", "visitor2@fair.example"]
    with UnitOfWork(pages.engine) as uow:
        stages = dict(uow.session.execute(select(Lead.email, Lead.stage)).all())
    assert (stages["cold@bank.example"], stages["win@acme.example"]) == ("disqualified", "customer")

    nothing = mia.post("/leads/bulk", {"do": "disqualify:bad_data", "listing": ""})
    assert nothing.status_code == 422
    assert "lead: choose at least one lead" in nothing.text
    unchosen = mia.post("/leads/bulk", {"do": "", "lead": chosen, "listing": ""})
    assert "do: choose what to do with the leads chosen" in unchosen.text
    sam = pages.signed_in("sam")
    assert "disqualify:" not in sam.get("/leads").text
    assert 'value="reassign:alice"' in sam.get("/leads").text
    assert sam.post("/leads/bulk", {"do": "disqualify:bad_data", "lead": chosen[:1]}).status_code == 403
    assert pages.signed_in("alice").post("/leads/bulk", {"do": "reassign:bob", "lead": chosen}).status_code == 403


def test_a_campaigns_page_shows_its_costs_by_month_funnel_return_and_leads_and_the_list_links_to_it(
    pages: Pages,
) -> None:
    mia = pages.signed_in("mia")
    with UnitOfWork(pages.engine) as uow:
        ids = dict(uow.session.execute(select(Campaign.name, Campaign.id)).all())
    listing = mia.get("/campaigns")
    assert f'<a href="/campaigns/{ids["Spring webinar"]}">Spring webinar</a>' in listing.text
    page = mia.get(f"/campaigns/{ids['Spring webinar']}")
    assert page.status_code == 200
    kpis = dict(re.findall(r'data-kpi="(\w+)"><b>([^<]*)</b>', page.text))
    assert kpis == {
        "leads": "2",
        "mql": "2",
        "won": "1",
        "revenue": "$12,000",
        "cost": "$1,500",
        "cost_per_mql": "$750",
        "roi": "700%",
    }
    months = re.findall(r'<tr data-month="([^"]+)">.*?data-key="cost">([^<]+)<', page.text, re.S)
    assert months == [("2026-01", "$1,000"), ("2026-02", "$500")]
    assert 'href="/leads?campaign=Spring+webinar"' in page.text
    assert listed(page.text) == ["lose@bolt.example", "win@acme.example"]  # the highest score first: its later demo
    assert "data-chart=" in page.text
    assert listed(mia.get("/leads", campaign="Spring webinar").text) == listed(page.text)

    assert mia.get("/campaigns/99999").status_code == 404
    assert pages.signed_in("sam").get(f"/campaigns/{ids['Trade fair']}").status_code == 200  # reads the reports
    assert pages.signed_in("alice").get(f"/campaigns/{ids['Trade fair']}").status_code == 403
