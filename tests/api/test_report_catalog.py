"""A new report is its module and one line in the catalog: this module is such a report, and once its
definition is in ``services.reports.CATALOG`` it is a CLI command and an API route in the OpenAPI description,
its option checked the same way in both. (The web's report pages read the catalog on each request:
tests/web/test_dashboard_pages.py walks every report of it.)"""

from __future__ import annotations

import json

import ibis
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from leadpact.analytics.history import Context, cohort
from leadpact.app import create_app
from leadpact.cli import app as cli
from leadpact.cli.reports import command, report_app
from leadpact.config import Settings
from leadpact.domain.report import Column, Definition, Kind, Option, Report
from leadpact.services import reports
from tests.api.conftest import Api, refused
from tests.factories import capture


def sources(ctx: Context, top: str) -> Report:
    """The ``top`` sources by leads captured in the period."""
    t = cohort(ctx)
    counted = t.group_by(group=t.source).aggregate(leads=t.lead_id.count()).order_by(ibis.desc("leads"), "group")
    rows = tuple(counted.limit(int(top)).to_pyarrow().to_pylist())
    columns = (Column("group", "source", Kind.TEXT), Column("leads", "leads"))
    return Report("sources", f"Top {top} sources", columns, rows, ctx.scope.describe(ctx.agreement))


SOURCES = Definition(
    name="sources",
    summary="The sources that brought the most leads in the period.",
    help="Leads captured in the period, counted by their source, the most first.",
    compute=sources,
    options=(Option("top", ("1", "2", "5"), "5", "How many sources to show."),),
)


@pytest.fixture
def catalogued(monkeypatch: pytest.MonkeyPatch) -> Definition:
    """The one line: the report in the catalog (for this test only), and the CLI's command made from it."""
    monkeypatch.setitem(reports.CATALOG, SOURCES.name, SOURCES)
    monkeypatch.setattr(report_app, "registered_commands", [*report_app.registered_commands])
    report_app.command(SOURCES.name)(command(SOURCES))
    return SOURCES


def test_a_report_added_to_the_catalog_is_a_command_a_route_and_a_page(catalogued: Definition, api: Api) -> None:
    for n, source in enumerate(["web", "web", "webinar", "web", "webinar", "tradeshow"]):
        capture(api.engine, api.clock, api.inforce, f"p{n}@s{n}.example", source=source)
    url = api.engine.url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url), api.clock)  # made after the line was added
    with TestClient(app) as client:
        answer = client.get("/api/v1/reports/sources", params={"top": "2"}, headers=api.auth("mia"))
        assert answer.status_code == 200, answer.text
        assert [(r["group"], r["leads"]) for r in answer.json()["rows"]] == [("web", 3), ("webinar", 2)]
        described = client.get("/openapi.json").json()["paths"]["/api/v1/reports/sources"]["get"]
        assert described["summary"] == SOURCES.summary
        assert {p["name"]: p["schema"].get("enum") for p in described["parameters"]}["top"] == ["1", "2", "5"]
        wrong = client.get("/api/v1/reports/sources", params={"top": "3"}, headers=api.auth("mia"))
        refused(wrong, 422, "invalid_input", "top: '3' is not one of 1, 2, 5")
        not_taken = client.get("/api/v1/reports/sources", params={"by": "rep"}, headers=api.auth("mia"))
        refused(not_taken, 422, "invalid_input", "by: the sources report takes only 'top'")

    printed = CliRunner().invoke(cli, ["--db", url, "report", "sources", "--top", "1", "--json"])
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.output)["rows"] == [{"group": "web", "leads": 3}]
    helped = CliRunner().invoke(cli, ["report", "--help"])
    assert "sources" in helped.output
    assert SOURCES.summary[:40] in helped.output
