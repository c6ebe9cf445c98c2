"""The dashboard, leads, campaigns and import pages over HTTP: the real app on SQLite and PostgreSQL, signed in.

The browser tests (test_marketing.py) click through the same pages in Chromium; these check, faster and on
both engines, that the numbers are the reports' own, that forms refuse bad input by field, and who may do what.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from leadpact.analytics import costs, funnel, sla
from leadpact.app import create_app
from leadpact.config import Settings
from leadpact.domain.report import Kind, Report, Row, shown
from leadpact.services import agreements, reports
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.database import connect, empty
from leadpact.store.tables import Campaign, CampaignCost, Lead, LeadField, User
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.web import leads as lead_pages
from tests.conftest import ENGINES, adopt_example
from tests.people import PASSWORD, seed_people
from tests.reports.conftest import History, utc

DEFAULT_FIRST, DEFAULT_LAST = date(2025, 3, 3), date(2026, 3, 2)
"""The dashboard's default range as of the clock fixture's Monday 2 March 2026: the last twelve months."""


@pytest.fixture(autouse=True)
def uploads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Uploads kept between the import's steps go to the test's own directory, not the system's temporary one."""
    folder = tmp_path / "uploads"
    monkeypatch.setattr(lead_pages, "UPLOADS", folder)
    return folder


def seed_history(engine: Engine, inforce: InForce) -> History:
    """Two campaigns with costs; a lead won, one lost, one rejected, one never contacted; a few inquiries.

    Everything happens between June 2025 and February 2026, before the clock fixture's now.
    """
    h = History(engine, inforce)
    h.campaign("Spring webinar", "webinar")
    h.campaign("Trade fair", "tradeshow")
    h.cost("Spring webinar", date(2026, 1, 10), 1000.0)
    h.cost("Spring webinar", date(2026, 2, 10), 500.0)
    h.cost("Trade fair", date(2025, 6, 15), 3000.0)
    for i in (1, 2):
        h.capture(f"visitor{i}@fair.example", utc(2025, 6, 16, 15), source="tradeshow", campaign="Trade fair")
    h.handed_over("win@acme.example", utc(2026, 1, 12, 16), source="webinar", campaign="Spring webinar")
    h.accept("win@acme.example", utc(2026, 1, 12, 17))
    h.contact("win@acme.example", utc(2026, 1, 12, 18))
    h.qualify("win@acme.example", utc(2026, 1, 13, 16))
    h.convert("win@acme.example", utc(2026, 1, 14, 16), 12000.0, date(2026, 3, 31))
    h.win("win@acme.example", utc(2026, 2, 2, 16))
    h.handed_over("lose@bolt.example", utc(2026, 1, 19, 16), source="webinar", campaign="Spring webinar")
    h.accept("lose@bolt.example", utc(2026, 1, 19, 17))
    h.contact("lose@bolt.example", utc(2026, 1, 19, 18))
    h.qualify("lose@bolt.example", utc(2026, 1, 20, 16))
    h.convert("lose@bolt.example", utc(2026, 1, 21, 16), 5000.0, date(2026, 3, 31))
    h.lose("lose@bolt.example", utc(2026, 2, 3, 16), "no_need")
    h.handed_over("back@corp.example", utc(2026, 2, 9, 16), source="web")
    h.accept("back@corp.example", utc(2026, 2, 9, 17))
    h.reject("back@corp.example", utc(2026, 2, 9, 18), "not_ready")
    h.handed_over("silent@quiet.example", utc(2026, 2, 16, 16), source="web")
    h.capture("cold@bank.example", utc(2026, 2, 17, 16), source="web", title="Engineer", industry="banking")
    return h


def expected(engine: Engine, clock: FixedClock, inforce: InForce, first: date | None, last: date | None) -> Totals:
    """The reports' "all" rows the dashboard's key figures come from, for the dates ``first`` to ``last``."""

    def all_of(report: Report) -> Row:
        return next(row for row in report.rows if row["group"] == "all")

    with UnitOfWork(engine) as uow, reports.context(uow, clock, inforce, first, last) as ctx:
        return Totals(
            all_of(funnel.funnel(ctx, "month")), all_of(costs.costs(ctx, "source")), all_of(sla.sla(ctx, "team"))
        )


@dataclass(frozen=True)
class Totals:
    cohort: Row  # the funnel
    spend: Row  # costs and ROI
    kept: Row  # the SLA


@dataclass
class Pages:
    app: FastAPI
    engine: Engine
    clock: FixedClock
    inforce: InForce

    def user_id(self, name: str) -> int:
        with UnitOfWork(self.engine) as uow:
            return uow.session.scalars(select(User.id).where(User.name == name)).one()

    def signed_in(self, name: str) -> SignedIn:
        client = TestClient(self.app)
        client.get("/login")
        answer = client.post(
            "/login",
            data={"name": name, "password": PASSWORD, "csrf": client.cookies["leadpact_login"], "next": "/"},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        page = client.get("/import")  # any page carries the form token, a refusal too
        found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        assert found, page.text
        return SignedIn(client, found.group(1))


class Response(Protocol):
    """What the tests read of an answer."""

    status_code: int

    @property
    def text(self) -> str: ...


@dataclass
class SignedIn:
    client: TestClient
    csrf: str

    def get(self, path: str, **params: str) -> Response:
        return self.client.get(path, params=params)

    def post(
        self, path: str, data: Mapping[str, str | list[str]], files: dict[str, tuple[str, bytes, str]] | None = None
    ) -> Response:
        return self.client.post(path, data={**data, "csrf": self.csrf}, files=files)


def served(engine: Engine, clock: FixedClock) -> Iterator[Pages]:
    """The app on ``engine``, which holds the example agreement and the people of tests.people."""
    with UnitOfWork(engine) as uow:
        inforce = agreements.in_force(uow)
    app = create_app(Settings(database_url=engine.url.render_as_string(hide_password=False)), clock)
    yield Pages(app, engine, clock, inforce)
    app.state.engine.dispose()


def site_copy(tmp_path: Path, site_template: Path) -> Engine:
    """A SQLite file with the agreement and the people already in it (hashing their passwords takes a while)."""
    path = tmp_path / "pages.db"
    shutil.copy(site_template, path)
    return connect(f"sqlite:///{path}")


@pytest.fixture(params=ENGINES)
def pages(request: pytest.FixtureRequest, tmp_path: Path, site_template: Path, clock: FixedClock) -> Iterator[Pages]:
    """The app on each engine: for what the database computes or stores."""
    if request.param == "sqlite":
        engine = site_copy(tmp_path, site_template)
    else:
        engine = request.getfixturevalue("postgres_engine")
        empty(engine)
        adopt_example(engine, clock)
        seed_people(engine, clock)
    yield from served(engine, clock)
    if request.param == "sqlite":
        engine.dispose()


@pytest.fixture
def sqlite_pages(tmp_path: Path, site_template: Path, clock: FixedClock) -> Iterator[Pages]:
    """The app on SQLite only: for refusals decided before the database is asked anything that differs."""
    engine = site_copy(tmp_path, site_template)
    yield from served(engine, clock)
    engine.dispose()


def kpi(html: str, key: str) -> str:
    found = re.search(rf'data-kpi="{key}"><b>([^<]*)</b>', html)
    assert found, f"no KPI {key}"
    return found.group(1)


def money(value: float) -> str:
    return f"${value:,.0f}"


def test_the_dashboard_shows_the_reports_numbers_for_the_last_twelve_months_and_for_all_history(
    pages: Pages,
) -> None:
    seed_history(pages.engine, pages.inforce)
    mia = pages.signed_in("mia")
    page = mia.get("/dashboard")
    assert page.status_code == 200
    assert "Showing 2025-03-03 to 2026-03-02" in page.text
    year = expected(pages.engine, pages.clock, pages.inforce, DEFAULT_FIRST, DEFAULT_LAST)
    assert (year.cohort["leads"], year.cohort["won"], year.spend["cost"]) == (7, 1, 4500.0)
    assert kpi(page.text, "leads") == "7"
    assert kpi(page.text, "mql") == str(year.cohort["mql"])
    assert kpi(page.text, "won") == "1"
    assert kpi(page.text, "revenue") == money(12000)
    assert kpi(page.text, "cost") == money(4500)
    assert kpi(page.text, "roi") == f"{year.spend['roi'] * 100:.0f}%"
    assert kpi(page.text, "never_contacted") == f"{year.kept['never_contacted_share'] * 100:.1f}%"
    assert page.text.count("<canvas") == 10  # the example agreement has feedback lists: their panel too

    everything = mia.get("/dashboard", **{"from": "", "to": ""})
    assert "Showing all history" in everything.text
    ever = expected(pages.engine, pages.clock, pages.inforce, None, None)
    assert kpi(everything.text, "leads") == str(ever.cohort["leads"])
    assert kpi(everything.text, "cost") == money(ever.spend["cost"])


def test_a_dashboard_range_that_ends_before_it_starts_is_refused_naming_the_dates(sqlite_pages: Pages) -> None:
    page = sqlite_pages.signed_in("dana").get("/dashboard", **{"from": "2026-02-01", "to": "2026-01-01"})
    assert page.status_code == 422
    assert "to: 2026-01-01 is before from: 2026-02-01" in page.text
    bad = sqlite_pages.signed_in("dana").get("/dashboard", **{"from": "last week"})
    assert bad.status_code == 422
    assert "from: &#39;last week&#39; is not a date" in bad.text


def cells(html: str, key: str) -> list[str]:
    """The values of one column of the tables on a page, in order."""
    return re.findall(rf'data-key="{key}">([^<]*)</td>', html)


def test_every_report_of_the_catalog_has_a_page_with_the_reports_own_numbers(pages: Pages) -> None:
    seed_history(pages.engine, pages.inforce)
    mia = pages.signed_in("mia")
    index = mia.get("/reports")
    assert index.status_code == 200
    assert re.findall(r'data-report="([a-z_]+)"', index.text) == list(reports.CATALOG)
    for name, definition in reports.CATALOG.items():
        page = mia.get(f"/reports/{name}")
        assert page.status_code == 200, (name, page.text)
        assert definition.summary.replace("'", "&#39;") in page.text
        assert "Showing 2025-03-03 to 2026-03-02" in page.text
    by_campaign = mia.get("/reports/costs", by="campaign", **{"from": "", "to": ""})
    with UnitOfWork(pages.engine) as uow:
        report = reports.run(uow, pages.clock, pages.inforce, "costs", {"by": "campaign"})
    assert cells(by_campaign.text, "group") == [row["group"] for row in report.rows]
    assert cells(by_campaign.text, "roi") == [shown(Kind.RATIO, row["roi"]) for row in report.rows]
    assert '<option value="campaign" selected>' in by_campaign.text


def test_a_report_page_refuses_an_unknown_report_or_option_naming_it(sqlite_pages: Pages) -> None:
    dana = sqlite_pages.signed_in("dana")
    missing = dana.get("/reports/pipeline")
    assert missing.status_code == 404
    assert "no report named &#39;pipeline&#39;" in missing.text
    colour = dana.get("/reports/funnel", by="colour")
    assert colour.status_code == 422
    assert "by: &#39;colour&#39; is not one of source, campaign, month, grade" in colour.text
    assert sqlite_pages.signed_in("alice").get("/reports/funnel").status_code == 403


def test_marketing_adds_a_campaign_and_records_costs_and_a_manager_only_reads_them(pages: Pages) -> None:
    mia = pages.signed_in("mia")
    added = mia.post(
        "/campaigns",
        {"name": "Autumn mailing", "channel": "email", "started_on": "2026-02-01", "ended_on": "2026-02-20"},
    )
    assert added.status_code == 200
    assert "Campaign &#39;Autumn mailing&#39; added." in added.text
    with UnitOfWork(pages.engine) as uow:
        campaign_id = uow.session.scalars(select(Campaign.id).where(Campaign.name == "Autumn mailing")).one()

    cost = {"campaign": str(campaign_id), "day": "2026-02-03", "amount": "1,250.50"}
    recorded = mia.post("/campaigns/costs", cost)
    assert "Recorded $1,250.50 for &#39;Autumn mailing&#39; on 2026-02-03." in recorded.text
    again = mia.post("/campaigns/costs", {**cost, "amount": "1300"})
    assert "in place of the amount recorded for that day before" in again.text
    mia.post("/campaigns/costs", {**cost, "day": "2026-02-04", "amount": "200"})
    row = re.search(r'data-campaign="Autumn mailing">(.*?)</tr>', mia.get("/campaigns").text, re.S)
    assert row
    assert "$1,500" in row.group(1)
    assert "email" in row.group(1)

    negative = mia.post("/campaigns/costs", {**cost, "amount": "-5"})
    assert negative.status_code == 422
    assert "amount: a cost is 0 or more" in negative.text
    backwards = mia.post("/campaigns", {"name": "Odd", "started_on": "2026-02-10", "ended_on": "2026-02-01"})
    assert backwards.status_code == 422
    assert "end: the campaign ends (2026-02-01) before it starts (2026-02-10)" in backwards.text
    with UnitOfWork(pages.engine) as uow:
        assert uow.session.scalar(select(func.sum(CampaignCost.amount))) == 1500.0
        assert uow.session.scalar(select(func.count()).select_from(Campaign)) == 1

    sam = pages.signed_in("sam")
    listing = sam.get("/campaigns")
    assert listing.status_code == 200
    assert "Autumn mailing" in listing.text
    assert "Record a cost" not in listing.text
    assert sam.post("/campaigns/costs", cost).status_code == 403
    assert pages.signed_in("alice").get("/campaigns").status_code == 403


def upload(who: SignedIn, kind: str, name: str, text: str) -> tuple[Response, str]:
    """The upload step: the mapping page and the token it carries."""
    page = who.post("/import", {"kind": kind}, files={"file": (name, text.encode(), "text/csv")})
    found = re.search(r'name="token" value="([^"]+)"', page.text)
    assert found, page.text
    return page, found.group(1)


def selected(page: str) -> list[str]:
    """The field chosen for each column on a mapping page, in column order."""
    mapping = page.split('action="/import/run"', 1)[1].split("</form>", 1)[0]
    return re.findall(r'<option value="([^"]*)" selected>', mapping)


def test_the_mapping_step_recognizes_headers_and_a_column_left_out_is_not_stored(pages: Pages) -> None:
    mia = pages.signed_in("mia")
    text = "Email Address,Job Title,Favourite colour,Notes\nann@acme.example,VP Sales,blue,call her\n"
    page, token = upload(mia, "leads", "crm.csv", text)
    assert page.status_code == 200
    assert selected(page.text) == ["email", "title", "favourite_colour", "notes"]
    done = mia.post(
        "/import/run",
        {"token": token, "kind": "leads", "filename": "crm.csv", "field": ["email", "title", "favourite_colour", "-"]},
    )
    assert done.status_code == 200, done.text
    assert "Kept as custom fields: favourite_colour." in done.text
    with UnitOfWork(pages.engine) as uow:
        assert set(uow.session.scalars(select(LeadField.name))) == {"favourite_colour"}
    assert mia.post("/import/run", {"token": token, "kind": "leads", "field": ["email"]}).status_code == 422


def test_costs_for_an_unknown_campaign_are_refused_by_row_and_stored_once_the_campaigns_are_imported(
    pages: Pages,
) -> None:
    mia = pages.signed_in("mia")
    costs_csv = "Campaign,Day,Spend\nSpring webinar,2026-02-01,100\nSpring webinar,2026-02-02,$250\n"
    page, token = upload(mia, "costs", "costs.csv", costs_csv)
    assert selected(page.text) == ["campaign", "date", "amount"]
    form: dict[str, str | list[str]] = {
        "token": token,
        "kind": "costs",
        "filename": "costs.csv",
        "field": ["campaign", "date", "amount"],
    }
    refused = mia.post("/import/run", form)
    assert refused.status_code == 422
    assert refused.text.count("no campaign named &#39;Spring webinar&#39;") == 2
    assert "costs.csv was not imported: 2 problems" in refused.text

    _, campaigns_token = upload(mia, "campaigns", "campaigns.csv", "name,channel\nSpring webinar,webinar\n")
    made = mia.post("/import/run", {"token": campaigns_token, "kind": "campaigns", "field": ["name", "channel"]})
    assert re.search(r'data-count="created"><b>1</b>', made.text)
    imported = mia.post("/import/run", form)
    assert imported.status_code == 200
    assert re.search(r'data-count="created"><b>2</b>', imported.text)
    with UnitOfWork(pages.engine) as uow:
        assert uow.session.scalar(select(func.sum(CampaignCost.amount))) == 350.0


def test_a_mapping_without_the_required_field_or_with_a_field_twice_is_refused_in_words(sqlite_pages: Pages) -> None:
    mia = sqlite_pages.signed_in("mia")
    _, token = upload(mia, "leads", "two.csv", "email,work email\na@b.example,c@d.example\n")
    base = {"token": token, "kind": "leads", "filename": "two.csv"}
    twice = mia.post("/import/run", {**base, "field": ["email", "email"]})
    assert twice.status_code == 422
    assert "columns &#39;email&#39;, &#39;work email&#39; all fill email" in twice.text
    none = mia.post("/import/run", {**base, "field": ["-", "-"]})
    assert none.status_code == 422
    assert "no column fills email, which every lead needs" in none.text
    with UnitOfWork(sqlite_pages.engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Lead)) == 0


def test_an_import_of_what_cannot_be_imported_is_refused_naming_the_kind(sqlite_pages: Pages, uploads: Path) -> None:
    mia = sqlite_pages.signed_in("mia")
    kept = mia.post("/import", {"kind": "people"}, files={"file": ("p.csv", b"email\na@b.example\n", "text/csv")})
    assert kept.status_code == 422
    assert "kind: &#39;people&#39; is not something to import; use one of: leads, events" in kept.text
    assert not uploads.exists() or list(uploads.iterdir()) == []
    _, token = upload(mia, "leads", "p.csv", "email\na@b.example\n")
    run = mia.post("/import/run", {"token": token, "kind": "people", "field": ["email"]})
    assert run.status_code == 422
    assert "kind: &#39;people&#39; is not something to import" in run.text
    with UnitOfWork(sqlite_pages.engine) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Lead)) == 0


def test_a_rep_without_a_team_is_refused_on_the_team_page(sqlite_pages: Pages) -> None:
    sam = sqlite_pages.signed_in("sam")
    blank = sam.post("/team/reps", {"name": "carol", "team": " ", "capacity": "1"})
    assert blank.status_code == 422
    assert "team: a rep belongs to a team" in blank.text
    with UnitOfWork(sqlite_pages.engine) as uow:
        assert uow.session.scalars(select(User).where(User.name == "carol")).first() is None


def test_an_upload_is_found_only_by_its_token_and_only_by_the_person_who_uploaded_it(
    sqlite_pages: Pages, uploads: Path
) -> None:
    mia, root = sqlite_pages.signed_in("mia"), sqlite_pages.signed_in("root")
    _, token = upload(mia, "campaigns", "c.csv", "name\nWinter\n")
    assert [kept.name for kept in uploads.iterdir()] == [f"{sqlite_pages.user_id('mia')}-{token}.csv"]
    for forged in ("../../etc/passwd", "x" * 31 + "/", ""):
        assert mia.post("/import/run", {"token": forged, "kind": "campaigns", "field": ["name"]}).status_code == 422
    someone_else = root.post("/import/run", {"token": token, "kind": "campaigns", "field": ["name"]})
    assert someone_else.status_code == 422
    assert "upload it again" in someone_else.text
    assert mia.post("/import/run", {"token": token, "kind": "campaigns", "field": ["name"]}).status_code == 200
    assert list(uploads.iterdir()) == []  # imported: the file is gone


def test_an_empty_or_non_utf8_file_is_refused_at_the_upload_and_not_kept(sqlite_pages: Pages, uploads: Path) -> None:
    mia = sqlite_pages.signed_in("mia")
    empty = mia.post("/import", {"kind": "leads"}, files={"file": ("e.csv", b"", "text/csv")})
    assert empty.status_code == 422
    assert "e.csv: the file is empty" in empty.text
    latin = mia.post(
        "/import",
        {"kind": "leads"},
        files={"file": ("l.csv", "email,company\nx@y.example,Caf\xe9\n".encode("latin-1"), "text/csv")},
    )
    assert latin.status_code == 422
    assert "not UTF-8 text" in latin.text
    assert list(uploads.iterdir()) == []


def test_the_leads_list_pages_through_leads_and_finds_one_by_text_and_stage(pages: Pages) -> None:
    mia = pages.signed_in("mia")
    rows = "\n".join(f"lead{i:02}@many.example,Many Inc,{'US' if i % 2 else 'DE'}" for i in range(55))
    _, token = upload(mia, "leads", "many.csv", f"email,company,country\n{rows}\n")
    mia.post("/import/run", {"token": token, "kind": "leads", "field": ["email", "company", "country"]})
    first = mia.get("/leads")
    assert 'data-total="55"' in first.text
    assert "Page 1 of 2" in first.text
    assert first.text.count('<tr data-lead="') == lead_pages.PAGE_SIZE
    second = mia.get("/leads", page="2")
    assert second.text.count('<tr data-lead="') == 5
    found = mia.get("/leads", q="lead07", stage="inquiry")
    assert 'data-total="1"' in found.text
    assert 'href="/leads/' in found.text
    assert mia.get("/leads", q="nobody").text.count('<tr data-lead="') == 0


def test_a_rep_is_refused_the_dashboard_the_leads_list_and_the_import(sqlite_pages: Pages) -> None:
    alice = sqlite_pages.signed_in("alice")
    for path in ("/dashboard", "/leads", "/import", "/campaigns"):
        answer = alice.get(path)
        assert answer.status_code == 403, path
        assert "Not allowed" in answer.text
    refused = alice.post("/import", {"kind": "leads"}, files={"file": ("a.csv", b"email\na@b.example\n", "text/csv")})
    assert refused.status_code == 403
