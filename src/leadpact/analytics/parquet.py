"""The store's tables as Parquet files, one per table, streamed in batches: the form Spark (or DuckDB) reads them in.

A file is written under a temporary name and renamed when complete, so a directory never holds half a table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pyarrow.parquet as pq  # type: ignore[import-untyped]

from leadpact.analytics.backend import Backend, Tables
from leadpact.domain.errors import InvalidInput

BATCH_ROWS = 200_000
"""Rows read from the store and written at a time: memory stays flat whatever the history's size."""


def path_of(directory: Path, name: str) -> Path:
    return directory / f"{name}.parquet"


def write_tables(
    app: Backend, directory: Path, tables: Tables, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Write each of ``tables`` (name: columns, None for all) read from ``app`` into ``directory``; rows by table."""
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for name, columns in tables.items():
        table = app.table(name)
        batches = (table.select(*columns) if columns else table).to_pyarrow_batches(chunk_size=BATCH_ROWS)
        final = path_of(directory, name)
        partial = final.with_name(f".{final.name}.partial")
        rows = 0
        with pq.ParquetWriter(partial, batches.schema) as writer:
            for batch in batches:
                writer.write_batch(batch)
                rows += batch.num_rows
                if progress is not None:
                    progress(name, batch.num_rows)
        partial.replace(final)
        written[name] = rows
    return written


def paths(directory: Path, names: Iterable[str]) -> list[tuple[str, Path]]:
    """Each table's file in ``directory``; refused, naming the first missing one, unless all are there."""
    found = [(name, path_of(directory, name)) for name in names]
    for name, path in found:
        if not path.is_file():
            raise InvalidInput(f"{directory} has no {path.name}: the {name} table is needed", "parquet")
    return found
