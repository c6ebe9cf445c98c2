"""Spark as an engine: every report and the backtest give the application database's figures, a rescore on Spark
finds the demo store in line after one on the database, and an export of the store serves DuckDB and Spark while
the store is unchanged.

Spark answers a query in a second or more even on these small tables, so each test computes many things on one
connection, every report at its default options, and one worker runs them all (the ``spark`` xdist group): one
JVM for the suite.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from leadpact.cli import app
from leadpact.domain.report import Report
from leadpact.services import agreements, reports
from leadpact.services.clock import FixedClock
from leadpact.store.unit_of_work import UnitOfWork
from tests.reports.conftest import DEMO_AT, DemoWorld
from tests.reports.test_backtest import DEMO_STRICT

pytestmark = [
    pytest.mark.spark,
    pytest.mark.xdist_group("spark"),
    # Spark reads Parquet files written from the store: the 500-lead SQLite world serves; PostgreSQL's is the same
    # world, and the differential test reads Spark from PostgreSQL too.
    pytest.mark.parametrize("demo_world", ["sqlite"], indirect=True),
]

AT = "2026-12-01T00:00:00Z"


def same(a: Any, b: Any, where: str = "") -> None:
    """Equal, numbers to 1e-9."""
    if isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list | tuple) and isinstance(b, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, int | float), (where, a)
        assert isinstance(b, int | float), (where, b)
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), (where, a, b)
    else:
        assert a == b, (where, a, b)


def computed(world: DemoWorld, engine_name: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with UnitOfWork(world.engine) as uow:
        inforce = agreements.in_force(uow)
        with reports.reader(uow, FixedClock(DEMO_AT), inforce, engine=engine_name) as read:
            for name in reports.CATALOG:  # at their default options: the others are held to the app on DuckDB
                report: Report = read(name)
                out[name] = report.as_dict()
        text = DEMO_STRICT
        backtest = reports.backtest(uow, FixedClock(DEMO_AT), inforce, text, "strict.yaml", engine=engine_name)
    out["backtest"] = backtest.as_dict()
    return out


def test_every_report_and_the_backtest_on_spark_give_the_databases_figures(demo_world: DemoWorld, spark: None) -> None:
    on_app, on_spark = computed(demo_world, "app"), computed(demo_world, "spark")
    assert len(on_app) == len(reports.CATALOG) + 1
    assert on_app["backtest"]["changed"]  # the stricter candidate drops MQLs: the comparison covers a real replay
    for key, figures in on_app.items():
        assert figures.get("rows", True), key
        same(on_spark[key], figures, key)


def leadpact(world: DemoWorld, *args: str) -> str:
    url = world.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["--db", url, *args])
    assert result.exit_code == 0, result.output
    return result.output


IN_LINE = "0 leads changed, 0 ledger adjustments, 0 event verdicts flipped,"
"""A rescore's words when the scores were in line (the replays it keeps depend on what ran on the world before)."""
NOTHING = f"{IN_LINE} 0 replays kept anew."


def test_a_rescore_on_spark_after_one_on_the_database_changes_nothing(demo_world: DemoWorld, spark: None) -> None:
    assert IN_LINE in leadpact(demo_world, "rescore", "--at", AT)
    on_spark = leadpact(demo_world, "rescore", "--at", AT, "--engine", "spark")
    assert "on spark in" in on_spark
    assert NOTHING in on_spark  # the replays the database kept hold on Spark too: the same fit to the last bit


def test_an_export_serves_duckdb_and_spark_while_the_store_is_unchanged(
    demo_world: DemoWorld, spark: None, tmp_path: Path
) -> None:
    export = tmp_path / "export"
    said = leadpact(demo_world, "export", "parquet", str(export), "--json")
    rows = json.loads(said)["rows"]
    assert rows["events"] > 1000
    assert {p.name for p in export.iterdir()} == {f"{name}.parquet" for name in rows} | {"leadpact-export.json"}
    funnel = ["report", "funnel", "--by", "source", "--at", AT, "--json"]
    on_app = json.loads(leadpact(demo_world, *funnel))
    for engine_name in ("duckdb", "spark"):
        same(json.loads(leadpact(demo_world, *funnel, "--engine", engine_name, "--parquet", str(export))), on_app)
    assert IN_LINE in leadpact(demo_world, "rescore", "--at", AT, "--engine", "spark", "--parquet", str(export))
