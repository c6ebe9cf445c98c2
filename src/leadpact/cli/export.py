"""``leadpact export parquet DIR``: the store's tables as Parquet files, for Spark or DuckDB to read."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadpact.cli.common import Json, clock_for, err, out, to_json, when, with_agreement
from leadpact.services import parquet_export

export_app = typer.Typer(help="The store's tables written out for other tools.", no_args_is_help=True)


@export_app.command("parquet")
def export_parquet(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="The directory to write (made if missing).")],
    as_json: Json = False,
) -> None:
    """Write every table the batch computations read into DIR as Parquet, one file per table.

    Leads, accounts, events, the score ledger, stages, assignments, deals, campaigns and their costs, screenings
    and feedback; people by id, name, role and team only (no password hash, no token). Files already in DIR are
    replaced. The scoring tables are held still while it runs, so the files agree with each other, and
    leadpact-export.json records the store's last change: `rescore`, `agreement backtest` and every `report`
    read the export with --parquet DIR --engine duckdb (or spark) while the store is unchanged since.
    Copy DIR where a Spark cluster's executors can read it.
    """
    clock = clock_for(None)
    counted: dict[str, int] = {}
    with err.status("exporting the store's tables") as status:

        def progress(table: str, rows: int) -> None:
            counted[table] = counted.get(table, 0) + rows
            status.update(f"exporting the store's tables: {table}, {counted[table]:,} rows")

        done = with_agreement(lambda uow, inforce: parquet_export.export(uow, clock, inforce, directory, progress))
    if as_json:
        out.print_json(to_json({"directory": str(done.directory), "at": done.at, "rows": done.rows}))
        return
    out.print(
        f"Exported {len(done.rows)} tables, {sum(done.rows.values()):,} rows, into {done.directory} "
        f"as of {when(done.at)}:"
    )
    for table, rows in done.rows.items():
        out.print(f"  {table:<20} {rows:>12,}")
