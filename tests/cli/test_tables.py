"""Every table of the command line read in terminals of 80 and 120 columns, on a demo year: no line wider than the
terminal, no number cut or wrapped, every default column there, every email whole; --wide shows every column,
--columns those named, and a name that is no column is refused with the names there are."""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlalchemy import Engine
from typer.testing import CliRunner

from leadpact.cli import (
    accounts,
    agreement,
    app,
    audit,
    forms,
    health,
    leads,
    nurture,
    people,
    sales,
    screening,
    team,
    webhooks,
    workshop,
)
from leadpact.cli.common import as_at
from leadpact.cli.reports import SHOWN
from leadpact.cli.tables import Column, Table, View, Whole
from leadpact.config import Settings
from leadpact.demo.nurture import delivering_to
from leadpact.demo.simulation import run_demo
from leadpact.demo.summary import DemoYear
from leadpact.domain.report import Kind, shown
from leadpact.services import agreements, reports
from leadpact.services.clock import FixedClock
from leadpact.store.database import connect
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import ENGINES, PG_ENV, own_postgres
from tests.factories import hand_off, owner_name
from tests.test_cli_access import refused

WIDTHS = (80, 120)
LEADPACT = Path(sys.executable).parent / "leadpact"


def at_width(url: str, width: int, *args: str) -> str:
    """What a command prints in a terminal ``width`` columns wide."""
    result = CliRunner().invoke(app, ["--db", url, *args], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    return result.output


@dataclass(frozen=True)
class Grid:
    """A table as printed: its headings (a wrapped heading joined again) and, for each column, its cells from the
    top down (a cell wrapped over lines gives a cell for each line)."""

    headings: list[str]
    cells: list[list[str]]


def grids(printed: str) -> list[Grid]:
    """The tables in what a command printed, found by the rule under their headings. The rule is broken where one
    column ends and the next begins, and a line of the table is as wide as the rule and blank between columns."""
    lines, found = printed.splitlines(), []
    for i, rule in enumerate(lines):
        if not rule.startswith("─") or set(rule) - {"─", " "}:
            continue
        spans = [match.span() for match in re.finditer("─+", rule)]

        def of_table(line: str, rule: str = rule, spans: list[tuple[int, int]] = spans) -> bool:
            gaps = zip([end for _, end in spans], [start for start, _ in spans[1:]], strict=False)
            return len(line) == len(rule) and all(not line[a:b].strip() for a, b in gaps)

        head = list(itertools.takewhile(of_table, reversed(lines[:i])))[::-1]
        body = list(itertools.takewhile(of_table, lines[i + 1 :]))
        headings = [" ".join(line[a:b].strip() for line in head if line[a:b].strip()) for a, b in spans]
        found.append(Grid(headings, [[line[a:b].strip() for line in body if line[a:b].strip()] for a, b in spans]))
    return found


def readable(printed: str, width: int) -> None:
    """No line wider than the terminal, and nothing cut to an ellipsis."""
    assert max(len(line) for line in printed.splitlines()) <= width, printed
    assert "…" not in printed, printed


def default_headings(columns: Sequence[Column]) -> list[str]:
    return [column.heading for column in columns if not column.wide]


@dataclass(frozen=True)
class World:
    """A demo year's store with a capture form, a webhook, an API token, a graded calibration workshop, and a lead
    handed to ``rep`` at the year's end (the demo's reps have dealt with all of theirs by then)."""

    url: str
    year: DemoYear
    rep: str

    @property
    def at(self) -> str:
        return as_at(self.year.ended_at)


def furnished(engine: Engine, folder: Path) -> World:
    """The demo year, run with its nurture emails into a Maildir, and what the demo does not make."""
    year = run_demo(engine, leads=300, seed=7, mail=delivering_to(folder / "mail", Settings()))
    with UnitOfWork(engine) as uow:
        inforce = agreements.in_force(uow)
    hand_off(engine, FixedClock(year.ended_at - timedelta(hours=1)), inforce, "new.lead@late-arrival.example")
    url = engine.url.render_as_string(hide_password=False)
    world = World(url, year, str(owner_name(engine, "new.lead@late-arrival.example")))
    for args in (
        ("form", "add", "contact us", "--origin", "https://www.acme.example"),
        ("webhook", "add", "https://crm.example.com/hooks/leads", "--topic", "lead.assigned"),
        ("token", "create", "crm sync", "--role", "marketing"),
    ):
        at_width(url, 120, *args)
    drawn = json.loads(at_width(url, 120, "workshop", "start", "q4", "--sample", "24", "--seed", "1", "--json"))
    grades = folder / "grades.csv"
    rows = [
        f"{lead['email']},{side},{'ABCD'[(n + shift) % 4]}"
        for n, lead in enumerate(drawn["leads"])
        for side, shift in (("marketing", 0), ("sales", n % 3))
    ]
    grades.write_text("email,side,grade\n" + "\n".join(rows) + "\n")
    at_width(url, 120, "workshop", "label", "q4", str(grades))
    return world


@pytest.fixture(scope="module", params=ENGINES)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("tables")
    if request.param == "sqlite":
        shutil.copy(sqlite_template, folder / "leadpact.db")
        engine = connect(f"sqlite:///{folder / 'leadpact.db'}")
        yield furnished(engine, folder)
        engine.dispose()
        return
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    with own_postgres(url, "tables") as engine:
        yield furnished(engine, folder)


def commands(world: World) -> list[tuple[tuple[str, ...], list[Sequence[Column]]]]:
    """Each table command on the world, with the columns of the tables it prints, in order."""
    at = ("--at", world.at)
    account = json.loads(at_width(world.url, 120, "account", "list", *at, "--json"))[0]["domain"]
    return [
        (("lead", "list"), [leads.LEADS]),
        (
            ("lead", "show", str(world.year.example_customer), *at),
            [leads.FIT, leads.ENGAGEMENT, leads.HISTORY, leads.ACTIVITY],
        ),
        (("queue", world.rep, *at), [sales.QUEUE]),
        (("screening", "queue", *at), [screening.QUEUE]),
        (("rep", "list"), [team.EVERYONE]),
        (("user", "list"), [people.USERS]),
        (("token", "list"), [people.TOKENS]),
        (("form", "list"), [forms.FORMS]),
        (("webhook", "list"), [webhooks.HOOKS]),
        (("account", "list", *at), [accounts.ACCOUNTS]),
        (("account", "show", account, *at), [accounts.PEOPLE]),
        (("nurture", "list"), [nurture.SEQUENCES]),
        (("nurture", "stats"), [nurture.STATS]),
        (("agreement", "list"), [agreement.VERSIONS]),
        (("audit", "--limit", "30"), [audit.ENTRIES]),
        (("health", *at), [health.BOUNDS]),
        (("workshop", "report", "q4"), [workshop.SIDES, workshop.APART, workshop.POINTS]),
    ]


@pytest.mark.parametrize("width", WIDTHS)
def test_every_table_command_fits_the_terminal_with_its_default_columns(world: World, width: int) -> None:
    for args, tables in commands(world):
        printed = at_width(world.url, width, *args)
        readable(printed, width)
        found = [grid.headings for grid in grids(printed)]
        expected = [default_headings(columns) for columns in tables]
        assert found == expected, (args, printed)  # each table whole, not continued below


def report_runs() -> list[tuple[str, ...]]:
    """Each report once for each way it groups its rows (its --by), which sets its first column; else once."""
    runs: list[tuple[str, ...]] = []
    for report in reports.CATALOG.values():
        by = next((option for option in report.options if option.name == "by"), None)
        runs += [(report.name, "--by", choice) for choice in by.choices] if by else [(report.name,)]
    return runs


def test_every_report_fits_the_terminal_and_shows_its_numbers_whole(world: World) -> None:
    for name, *options in report_runs():
        args = ("report", name, *options, "--at", world.at)
        data = json.loads(at_width(world.url, 120, *args, "--json"))
        parts = [data, *data.get("sections", [])]
        for width in WIDTHS:
            printed = at_width(world.url, width, *args)
            readable(printed, width)
            assert len(grids(printed)) == len(parts), printed  # each table whole, not continued below
            for part, grid in zip(parts, grids(printed), strict=True):
                kept = [c for c in part["columns"] if name not in SHOWN or c["key"] in SHOWN[name]]
                assert grid.headings == [c["title"] for c in kept]
                for column, cells in zip(kept, grid.cells, strict=True):
                    if column["kind"] == Kind.TEXT:
                        continue
                    kind, key = Kind(column["kind"]), column["key"]
                    whole = [shown(kind, row[key]) for row in part["rows"]]
                    short = [shown(kind, row[key], short=True) for row in part["rows"]]
                    assert cells in (whole, short), (args, column, cells)  # every row's, in full or short


@pytest.mark.parametrize("width", WIDTHS)
def test_the_backtest_fits_the_terminal_and_continues_below_with_every_column(
    world: World, width: int, tmp_path: Path
) -> None:
    raw = at_width(world.url, width, "agreement", "show", "--raw")
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(raw.replace("score_at_least: 60", "score_at_least: 75"))
    args = ("agreement", "backtest", str(candidate), "--at", world.at)
    printed = at_width(world.url, width, *args)
    readable(printed, width)
    months, load = json.loads(at_width(world.url, width, *args, "--json"))["columns"], grids(printed)[1]
    assert grids(printed)[0].headings == [c["title"] for c in months if c["key"] in SHOWN["backtest"]]
    assert load.headings == ["rep", "team", "capacity", "MQL/week now", "MQL/week cand.", "dealt first/week (recorded)"]
    every = at_width(world.url, width, *args, "--wide")
    readable(every, width)
    headings = [heading for grid in grids(every) for heading in grid.headings]
    assert set(headings) >= {c["title"] for c in months}  # the 18 columns, in tables one below the other
    assert len(grids(every)) > 2 or width > 120
    chosen = at_width(world.url, width, *args, "--columns", "month,added,dropped,rep,assigned_per_week")
    assert [grid.headings for grid in grids(chosen)] == [
        ["month", "added MQL", "dropped MQL"],
        ["rep", "dealt first/week (recorded)"],
    ]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_lead_list_shows_every_email_whole_and_chooses_its_columns(world: World, width: int) -> None:
    at = ("--at", world.at)  # the scores decay: every listing looks from the same moment
    listed = json.loads(at_width(world.url, width, "lead", "list", *at, "--json"))
    printed = at_width(world.url, width, "lead", "list", *at)
    readable(printed, width)
    lines = printed.splitlines()
    assert all(any(lead["email"] in line.split() for line in lines) for lead in listed)  # each on one line, whole
    (grid,) = grids(printed)
    assert grid.cells[0] == [lead["email"] for lead in listed]
    assert grid.cells[grid.headings.index("score")] == [f"{lead['score']:.1f}" for lead in listed]

    every = at_width(world.url, width, "lead", "list", *at, "--wide")
    readable(every, width)
    headings = list(dict.fromkeys(heading for grid in grids(every) for heading in grid.headings))
    assert headings == [column.heading for column in leads.LEADS]
    assert all(grid.headings[0] == "id" for grid in grids(every))  # a table continued below starts with the id again

    chosen = at_width(world.url, width, "lead", "list", *at, "--columns", "score,email,id")
    assert [grid.headings for grid in grids(chosen)] == [["score", "email", "id"]]
    assert "--wide shows" not in chosen
    assert json.loads(at_width(world.url, width, "lead", "list", *at, "--json", "--wide")) == listed


def test_a_column_name_that_is_no_column_is_refused_with_the_names_there_are(world: World) -> None:
    names = ", ".join(column.key for column in leads.LEADS)
    assert refused(world.url, "lead", "list", "--columns", "email,colour") == (
        f"--columns: no column colour; the columns are {names}"
    )
    assert refused(world.url, "lead", "list", "--columns", " , ") == (
        "--columns: name at least one column, e.g. --columns email,stage"
    )
    assert refused(world.url, "rep", "list", "--columns", "name", "--wide") == "--columns and --wide: choose one"
    assert refused(world.url, "report", "grades", "--columns", "group,lead", "--at", world.at).startswith(
        "--columns: no column lead; the columns are group, leads, opportunities, opportunity_rate,"
    )
    grades = at_width(world.url, 80, "report", "grades", "--columns", "won_rate,group", "--at", world.at)
    assert [grid.headings for grid in grids(grades)] == [["won rate", "group"]] * 4  # each section, as named


def test_json_is_never_wrapped_however_narrow_the_terminal(world: World) -> None:
    for args in (
        ("health", "--at", world.at),
        ("lead", "list", "--at", world.at),
        ("report", "value", "--at", world.at),
    ):
        assert json.loads(at_width(world.url, 40, *args, "--json")) == json.loads(
            at_width(world.url, 1000, *args, "--json")
        )


def test_piped_output_without_columns_is_160_wide(world: World) -> None:
    environment = {name: value for name, value in os.environ.items() if name != "COLUMNS"}
    done = subprocess.run(
        [LEADPACT, "--db", world.url, "lead", "list", "--wide"], capture_output=True, text=True, env=environment
    )
    assert done.returncode == 0, done.stderr
    readable(done.stdout, 160)
    assert [len(grid.headings) for grid in grids(done.stdout)] == [len(leads.LEADS)]  # side by side, one table


def printed(table: Table, width: int) -> str:
    """What ``table`` prints on a console ``width`` columns wide."""
    written = io.StringIO()
    table.print(Console(width=width, file=written))
    return written.getvalue()


MONEY = (Column("campaign"), Column("cost", Kind.MONEY), Column("won", Kind.MONEY), Column("leads", Kind.COUNT))


def test_money_is_abbreviated_rather_than_cut_when_space_is_short() -> None:
    table = Table(MONEY)
    table.add("Intralogistics Fair Stuttgart 2026", 34_123.4, 1_234_567, 12_345)
    table.add("Partner - Resellers EMEA", 4_025, None, 7)
    (wide,) = grids(printed(table, 80))
    assert wide.cells == [
        ["Intralogistics Fair Stuttgart 2026", "Partner - Resellers EMEA"],
        ["$34,123", "$4,025"],
        ["$1,234,567", "—"],
        ["12,345", "7"],
    ]
    narrow = printed(table, 39)  # the text wraps at its words; then the column that saves most is abbreviated
    readable(narrow, 39)
    (grid,) = grids(narrow)
    assert " ".join(grid.cells[0]) == "Intralogistics Fair Stuttgart 2026 Partner - Resellers EMEA"
    assert grid.cells[1:] == [["$34,123", "$4,025"], ["$1.23M", "—"], ["12,345", "7"]]


def test_a_table_too_wide_continues_below_with_its_first_column_again() -> None:
    columns = [Column("email", Whole.WORD), *(Column(f"count {n}", Kind.COUNT) for n in range(12))]
    table = Table(columns, View(wide=True))
    table.add("someone.with.a.long.name@example.com", *range(1_000_000, 1_000_012))
    text = printed(table, 80)
    readable(text, 80)
    found = grids(text)
    assert len(found) > 1
    assert {(grid.headings[0], *grid.cells[0]) for grid in found} == {("email", "someone.with.a.long.name@example.com")}
    counts = [cells for grid in found for cells in grid.cells[1:]]
    assert counts == [[f"{n:,}"] for n in range(1_000_000, 1_000_012)]  # whole, not abbreviated, in a table below


@pytest.mark.parametrize(
    ("kind", "value", "words"),
    [
        (Kind.MONEY, 34_123.4, "$34.1k"),
        (Kind.MONEY, 9_999, "$9,999"),
        (Kind.MONEY, -34_120, "$-34.1k"),
        (Kind.COUNT, 99_960, "100k"),
        (Kind.COUNT, 129_300, "129k"),
        (Kind.COUNT, 999_999, "1.00M"),
        (Kind.COUNT, 5e9, "5.00B"),
        (Kind.COUNT, 4e12, "4000B"),
        (Kind.DAYS, 12_345.6, "12.3k"),
        (Kind.SHARE, 0.667, "66.7%"),
        (Kind.TEXT, "paid_search", "paid_search"),
        (Kind.COUNT, None, "—"),
    ],
)
def test_a_short_value_keeps_three_significant_figures(kind: Kind, value: Any, words: str) -> None:
    assert shown(kind, value, short=True) == words
