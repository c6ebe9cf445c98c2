"""The report commands: a table, --json or --csv for every report, and clear refusals of bad options."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadpact.cli import app
from tests.reports.conftest import History, utc

LEADPACT = Path(sys.executable).parent / "leadpact"
AT = "2026-06-01T00:00:00Z"

REPORTS = {
    "funnel": ["--by", "month"],
    "costs": ["--by", "campaign"],
    "sla": ["--by", "team"],
    "reasons": ["--by", "rep"],
    "grades": [],
    "sourced": [],
    "attribution": ["--model", "linear"],
    "forecast": [],
    "feedback": [],
    "value": ["--by", "campaign"],
    "screening": ["--by", "source"],
}


@pytest.fixture
def url(history: History) -> str:
    """From a campaign with a cost: a lead won, a lead rejected, a lead with a deal still open."""
    h = history
    h.rep("ann", "americas")
    h.campaign("Webinar A", "webinar")
    h.cost("Webinar A", date(2026, 1, 5), 500)
    h.handed_over("a@alpha.example", utc(2026, 1, 5, 15), source="webinar", campaign="Webinar A")
    h.accept("a@alpha.example", utc(2026, 1, 6, 15))
    h.contact("a@alpha.example", utc(2026, 1, 6, 16))
    h.qualify("a@alpha.example", utc(2026, 1, 7, 15))
    h.convert("a@alpha.example", utc(2026, 1, 8, 15), 2_000, date(2026, 3, 31))
    h.win("a@alpha.example", utc(2026, 1, 20, 15))
    h.handed_over("b@beta.example", utc(2026, 2, 2, 15), source="webinar")
    h.reject("b@beta.example", utc(2026, 2, 3, 15), "not_ready")
    h.handed_over("c@gamma.example", utc(2026, 3, 2, 15), source="outbound")
    h.accept("c@gamma.example", utc(2026, 3, 3, 15))
    h.qualify("c@gamma.example", utc(2026, 3, 4, 15))
    h.convert("c@gamma.example", utc(2026, 3, 5, 15), 3_000, date(2026, 7, 31))
    return h.engine.url.render_as_string(hide_password=False)


def invoke(url: str, *args: str) -> str:
    result = CliRunner().invoke(app, ["--db", url, "report", *args, "--at", AT])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", list(REPORTS))
def test_every_report_prints_a_table_json_and_csv_with_the_same_columns(url: str, name: str) -> None:
    options = REPORTS[name]
    table = invoke(url, name, *options)
    assert "as of 2026-06-01T00:00:00Z (America/Chicago)" in table
    data = json.loads(invoke(url, name, *options, "--json"))
    assert data["report"] == name
    assert data["scope"]["at"] == "2026-06-01T00:00:00Z"
    keys = [c["key"] for c in data["columns"]]
    assert data["rows"]
    assert all(set(row) == set(keys) for row in data["rows"])
    header = next(csv.reader(io.StringIO(invoke(url, name, *options, "--csv"))))
    assert header == keys


def test_the_numbers_agree_across_the_formats(url: str) -> None:
    data = json.loads(invoke(url, "costs", "--by", "campaign", "--json"))
    webinar = next(row for row in data["rows"] if row["group"] == "Webinar A")
    assert (webinar["cost"], webinar["leads"], webinar["won"], webinar["revenue"]) == (500, 1, 1, 2_000)
    assert webinar["roi"] == 3  # (2,000 - 500) / 500
    rows = list(csv.DictReader(io.StringIO(invoke(url, "costs", "--by", "campaign", "--csv"))))
    assert next(r for r in rows if r["group"] == "Webinar A")["roi"] == "3.0"
    assert "$500" in invoke(url, "costs", "--by", "campaign")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["funnel", "--by", "colour"], "--by: 'colour' is not one of source, campaign, month, grade"),
        (["funnel", "--from", "2026-13-01"], "--from: '2026-13-01' is not a date like 2026-01-31"),
        (
            ["funnel", "--from", "2026-03-01", "--to", "2026-02-01"],
            "--to: 2026-02-01 is before the first day, 2026-03-01",
        ),
        (["sla", "--json", "--csv"], "--json and --csv: choose one"),
        (["attribution", "--model", "magic"], "--model: 'magic' is not one of first, last, linear"),
        (["forecast", "--engine", "bigquery"], "--engine: 'bigquery' is not one of app, duckdb, spark"),
    ],
)
def test_a_bad_option_is_refused_in_one_line_naming_it(url: str, args: list[str], message: str) -> None:
    done = subprocess.run([LEADPACT, "--db", url, "report", *args], capture_output=True, text=True)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
