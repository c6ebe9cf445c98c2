"""'leadpact profile learn', 'show', 'score', 'compare' and 'suggest' through the command line: a customer table
learned, its traits and quality shown, lists scored as CSV, JSON and a table, compared with their costs, and an
agreement suggested that the agreement reader takes.

Learning takes a few seconds, so the module learns the customer table once, into a database with the example
agreement in force, and each test that needs the profile works on a copy of that database."""

from __future__ import annotations

import csv
import io
import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadpact.cli import app
from leadpact.cli.profile import LISTS, TRIED
from leadpact.domain.agreement_file import parse_agreement
from leadpact.services.clock import FixedClock
from leadpact.store.database import connect
from tests.cli.test_tables import WIDTHS, at_width, grids, readable
from tests.conftest import adopt_example
from tests.learning.test_profile import customers
from tests.test_cli_access import refused, run


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A customer table and two lists to score: one like it, one without its visits column."""
    folder = tmp_path_factory.mktemp("tables")
    paths = {name: folder / f"{name}.csv" for name in ("customers", "show", "broker")}
    customers(600).to_csv(paths["customers"], index=False)
    customers(40, seed=8).drop(columns=["bought"]).to_csv(paths["show"], index=False)
    broker = customers(30, seed=9).drop(columns=["bought", "visits"])
    broker["industry"] = "education"
    broker.to_csv(paths["broker"], index=False)
    return paths


@dataclass(frozen=True)
class Learned:
    """A database with the example agreement in force and the profile 'default' version 1, learned by 'leadpact
    profile learn' from the customer table, and what that command printed."""

    path: Path
    printed: str


@pytest.fixture(scope="module")
def learned(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, files: dict[str, Path]) -> Learned:
    path = tmp_path_factory.mktemp("learned") / "learned.db"
    shutil.copy(sqlite_template, path)
    engine = connect(f"sqlite:///{path}")
    adopt_example(engine, FixedClock(datetime(2026, 3, 2, 15, 0, tzinfo=UTC)))
    url = engine.url.render_as_string(hide_password=False)
    printed = run(url, "profile", "learn", str(files["customers"]), "--outcome", "bought", "--id", "customer_no")
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return Learned(path, printed)


@pytest.fixture
def learned_url(learned: Learned, tmp_path: Path) -> str:
    """A copy of the module's database with the profile learned, for one test to change."""
    path = tmp_path / "learned.db"
    shutil.copy(learned.path, path)
    return f"sqlite:///{path}"


def scored_csv(url: str, *args: str) -> tuple[list[dict[str, str]], str]:
    """The rows 'profile score --csv' prints, and what it says on the standard error."""
    result = CliRunner().invoke(app, ["--db", url, "profile", "score", *args, "--csv"])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout))), result.stderr


def test_a_customer_table_is_learned_shown_and_learned_again_as_the_next_version(
    learned: Learned, learned_url: str, files: dict[str, Path]
) -> None:
    url, table = learned_url, str(files["customers"])
    assert "Learned the profile 'default' version 1 from customers.csv." in learned.printed
    assert "Buyers: bought = yes ('yes' reads as yes): " in learned.printed
    assert "industry = logistics: " in learned.printed
    assert "customer_no (named with --id); email (identifier: " in learned.printed
    shown = run(url, "profile", "show")
    for words in ("Quality, out of fold on the learning table: AUC 0.", "Models tried", "Columns used: industry"):
        assert words in shown
    again = json.loads(run(url, "profile", "learn", table, "--outcome", "bought", "--exclude", "visits", "--json"))
    assert (again["name"], again["version"]) == ("default", 2)
    assert {"name": "visits", "why": "named with --exclude"} in again["left_out"]
    first = json.loads(run(url, "profile", "show", "default", "--version", "1", "--json"))
    assert first["version"] == 1
    assert set(first["quality"]) == {
        "rows",
        "buyers",
        "auc",
        "top_decile_lift",
        "top20_share",
        "calibration_error",
        "brier",
    }
    assert first["traits"]["more"][0]["sentence"].startswith("industry = logistics: ")


def test_a_list_is_scored_as_csv_json_and_a_table_and_nothing_is_stored(
    learned_url: str, files: dict[str, Path]
) -> None:
    url = learned_url
    rows, said = scored_csv(url, str(files["show"]))
    assert len(rows) == 40
    assert list(rows[0]) == [*customers(1).drop(columns=["bought"]).columns, "probability", "rank", "reasons"]
    assert [r["customer_no"] for r in rows] == [str(1000 + i) for i in range(40)]  # the list's order
    best = min(rows, key=lambda r: int(r["rank"]))
    assert float(best["probability"]) == max(float(r["probability"]) for r in rows)
    assert "40 names scored against the profile 'default' version 1: " in said
    assert "per 1,000 names against" in said
    top, _ = scored_csv(url, str(files["show"]), "--top", "3")
    assert [int(r["rank"]) for r in top] == [1, 2, 3]
    _, warned = scored_csv(url, str(files["broker"]))
    assert "warning: the list has no column visits: scored as missing in every row." in warned
    printed = json.loads(run(url, "profile", "score", str(files["show"]), "--json"))
    assert printed["summary"]["rows"] == 40
    assert printed["missing_columns"] == []
    assert printed["rows"][0]["values"]["customer_no"] == "1000"
    assert {"probability", "rank", "reasons"} <= set(printed["rows"][0])
    table = run(url, "profile", "score", str(files["show"]), "--top", "5")
    assert "rank" in table
    assert "expected buyers" in table
    assert json.loads(run(url, "profile", "show", "--json"))["version"] == 1  # scoring stored no version
    assert refused(url, "profile", "score", str(files["show"]), "--csv", "--json") == "--json and --csv: choose one"


def test_lists_are_compared_by_expected_buyers_and_cost(learned_url: str, files: dict[str, Path]) -> None:
    url = learned_url
    show, broker = str(files["show"]), str(files["broker"])
    compared = json.loads(run(url, "profile", "compare", broker, show, "--cost", "broker.csv=900", "--json"))
    assert [f["label"] for f in compared["lists"]] == [show, broker]  # the best match first
    cheap = compared["lists"][1]
    assert cheap["cost_per_buyer"] == pytest.approx(900 / cheap["expected_buyers"])
    assert cheap["missing"] == ["visits"]
    table = run(url, "profile", "compare", show, broker, "--cost", f"{show}=1,200")
    assert "cost per buyer" in table
    assert "1,200" in table
    assert refused(url, "profile", "compare", show, "--cost", "other.csv=5").startswith(
        "--cost: 'other.csv' is none of the lists compared"
    )


def test_a_suggested_agreement_reads_and_is_written_to_a_file(learned_url: str, tmp_path: Path) -> None:
    printed = run(learned_url, "profile", "suggest")
    agreement = parse_agreement(printed, "suggested.yaml")
    assert any(r.condition.field == "industry" for r in agreement.fit_rules)
    out = tmp_path / "candidate.yaml"
    run(learned_url, "profile", "suggest", "default", "--out", str(out))
    assert out.read_text() == printed
    assert refused(learned_url, "profile", "suggest", "nobody").startswith("there is no profile named 'nobody'")


def test_wrong_options_are_refused_with_the_option_named(url: str, files: dict[str, Path], tmp_path: Path) -> None:
    table = str(files["customers"])
    assert (
        refused(url, "profile", "learn", table)
        == "--outcome: name the column that says who bought (e.g. --outcome bought)"
    )
    assert refused(url, "profile", "learn", table, "--outcome", "country").startswith(
        "--positive: the column 'country' has 4 values (DE, FR, GB, US); say which one means a purchase"
    )
    assert refused(url, "profile", "learn", table, "--outcome", "bought", "--exclude", "nope").startswith(
        "--exclude: the table has no column 'nope'"
    )
    assert refused(url, "profile", "learn", "--positive", "yes").startswith("--positive and --id apply to a customer")
    assert refused(url, "profile", "learn").startswith("--outcome: the store has no lead to learn from")
    missing = tmp_path / "missing.csv"
    assert refused(url, "profile", "learn", str(missing), "--outcome", "bought").startswith(
        f"{missing}: cannot read the file"
    )


@pytest.mark.parametrize("width", WIDTHS)
def test_the_profile_and_its_lists_read_in_a_terminal(learned_url: str, files: dict[str, Path], width: int) -> None:
    show, broker = str(files["show"]), str(files["broker"])
    scored = at_width(learned_url, width, "profile", "score", show, "--top", "5")
    compared = at_width(learned_url, width, "profile", "compare", show, broker, "--cost", f"{show}=1,200")
    profile = at_width(learned_url, width, "profile", "show")
    for printed in (scored, compared, profile):
        readable(printed, width)
    assert [grid.headings for grid in grids(scored)] == [["rank", "row", "customer_no", "probability", "reasons"]]
    (listed,) = grids(compared)
    assert listed.headings == [column.heading for column in LISTS]
    assert listed.cells[[column.key for column in LISTS].index("cost")] == ["1,200", "-"]
    assert [grid.headings for grid in grids(profile)] == [[column.heading for column in TRIED]]
    chosen = at_width(learned_url, width, "profile", "score", show, "--top", "5", "--columns", "customer_no,rank")
    assert [grid.headings for grid in grids(chosen)] == [["customer_no", "rank"]]
