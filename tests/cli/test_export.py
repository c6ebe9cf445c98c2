"""'leadpact export parquet': the store's tables as Parquet, read instead of the store while it is unchanged.

DuckDB reads the export here; Spark's reading of it is in tests/reports/test_spark.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq  # type: ignore[import-untyped]

from leadpact.analytics.engines import REPORT_TABLES
from leadpact.services.clock import FixedClock
from tests.cli.conftest import AT, Handed
from tests.factories import capture
from tests.test_cli_access import refused, run

FUNNEL = ("report", "funnel", "--by", "source", "--at", AT, "--json")


def test_an_export_holds_every_table_the_batch_reads_and_serves_duckdb_until_the_store_changes(
    handed: Handed, clock: FixedClock, tmp_path: Path
) -> None:
    export = tmp_path / "export"
    said = run(handed.url, "export", "parquet", str(export))
    assert f"Exported {len(REPORT_TABLES)} tables" in said
    assert "leads" in said
    manifest = json.loads((export / "leadpact-export.json").read_text())
    assert (manifest["rows"]["leads"], manifest["rows"]["events"]) == (1, 1)
    assert pq.read_table(export / "events.parquet").num_rows == 1
    people = pq.read_table(export / "users.parquet")
    assert people.column("name").to_pylist() == ["alice"]
    assert "password_hash" not in people.column_names  # never a secret in the files

    on_app = json.loads(run(handed.url, *FUNNEL))
    on_export = json.loads(run(handed.url, *FUNNEL, "--engine", "duckdb", "--parquet", str(export)))
    assert on_export == on_app
    rescored = run(handed.url, "rescore", "--at", AT, "--engine", "duckdb", "--parquet", str(export))
    assert "0 leads changed, 0 ledger adjustments, 0 event verdicts flipped, 1 replays kept anew." in rescored
    again = json.loads(run(handed.url, *FUNNEL, "--engine", "duckdb", "--parquet", str(export)))
    assert again == on_app  # keeping the replays anew leaves the export current: no report reads differently

    capture(handed.engine, clock, handed.inforce, "bob@beta.example")
    for args in (FUNNEL, ("rescore", "--at", AT)):
        message = refused(handed.url, *args, "--engine", "duckdb", "--parquet", str(export))
        assert message.startswith(f"--parquet: the store has changed since {export} was exported")
        assert f"`leadpact export parquet {export}`" in message
    run(handed.url, "export", "parquet", str(export))  # again: the files are replaced and current
    assert (
        json.loads(run(handed.url, *FUNNEL, "--engine", "duckdb", "--parquet", str(export)))["rows"][-1]["leads"] == 2
    )


def test_an_export_is_refused_where_it_cannot_be_read(handed: Handed, tmp_path: Path) -> None:
    export = tmp_path / "export"
    run(handed.url, "export", "parquet", str(export))
    assert refused(handed.url, *FUNNEL, "--parquet", str(export)) == (
        "--engine: a Parquet export is read by duckdb or spark, not 'app'"
    )
    (export / "campaign_costs.parquet").unlink()
    assert refused(handed.url, *FUNNEL, "--engine", "duckdb", "--parquet", str(export)) == (
        f"--parquet: {export} has no campaign_costs.parquet: the campaign_costs table is needed"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    message = refused(handed.url, *FUNNEL, "--engine", "duckdb", "--parquet", str(empty))
    assert message.startswith(f"--parquet: {empty} holds no export of the store (no leadpact-export.json)")
    (empty / "leadpact-export.json").write_text("{not json")
    assert "is not a manifest of leadpact's" in refused(
        handed.url, *FUNNEL, "--engine", "duckdb", "--parquet", str(empty)
    )
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    assert refused(handed.url, "export", "parquet", str(a_file)) == f"{a_file} is a file, not a directory"
