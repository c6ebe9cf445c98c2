"""The store's tables as Parquet, for Spark or DuckDB to read where the history is too large for the store.

``export`` writes every table the batch computations read (``engines.REPORT_TABLES``: no password hash, no
token) into a directory, with a manifest (``leadpact-export.json``) naming the store's last change at that
moment; the scoring tables are held still meanwhile, so the files agree with each other. A computation given the
directory (``--parquet DIR``) reads the files instead of the store, and only while the store has not changed
since: a rescore amends the store by what it read, and a report from an older export would describe another
history than the store's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from leadpact.analytics import engines, parquet
from leadpact.analytics.backend import Backend, Tables
from leadpact.domain.errors import InvalidInput
from leadpact.services import predictions
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.services.store_changes import hold_still, last_change
from leadpact.store.unit_of_work import UnitOfWork

MANIFEST = "leadpact-export.json"
FORMAT = 1


@dataclass(frozen=True)
class Export:
    directory: Path
    at: datetime
    rows: dict[str, int]  # by table


def export(
    uow: UnitOfWork,
    clock: Clock,
    inforce: InForce,
    directory: Path,
    progress: Callable[[str, int], None] | None = None,
) -> Export:
    """Write the store's tables into ``directory`` as Parquet, and the manifest last."""
    if directory.exists() and not directory.is_dir():
        raise InvalidInput(f"{directory} is a file, not a directory")
    predictions.fill_for(uow.engine, [inforce.agreement])  # what the agreement's rules read, in the export too
    hold_still(uow)
    change = last_change(uow)
    at = clock.now()
    (directory / MANIFEST).unlink(missing_ok=True)  # a directory without its manifest is never taken as current
    app = engines.connect_app(uow.engine.url)
    try:
        rows = parquet.write_tables(app, directory, engines.REPORT_TABLES, progress)
    finally:
        app.disconnect()
    manifest = {"format": FORMAT, "exported_at": at.isoformat(), "change": list(change), "rows": rows}
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return Export(directory, at, rows)


def _manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.is_file():
        raise InvalidInput(
            f"{directory} holds no export of the store (no {MANIFEST}): make one with `leadpact export parquet "
            f"{directory}`",
            "parquet",
        )
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise InvalidInput(f"{path} is not a manifest of leadpact's: {error}", "parquet") from error
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("change"), list):
        raise InvalidInput(f"{path} is not a manifest of leadpact's (format {FORMAT})", "parquet")
    return manifest


def read(uow: UnitOfWork, directory: Path, engine: str, tables: Tables) -> Backend:
    """An Ibis connection on ``engine`` holding ``tables`` from the export in ``directory``; refused unless the
    store is as it was when the export was taken (the caller holds it still while it uses the answer)."""
    manifest = _manifest(directory)
    if manifest["change"] != [*last_change(uow)]:
        raise InvalidInput(
            f"the store has changed since {directory} was exported ({manifest.get('exported_at')}): export it again "
            f"with `leadpact export parquet {directory}`",
            "parquet",
        )
    return engines.read_parquet(engine, directory, tables)


def connect(uow: UnitOfWork, engine: str, tables: Tables, directory: Path | None) -> Backend:
    """The tables on ``engine``: read from the export in ``directory`` when given, else from the store."""
    if directory is None:
        return engines.connect(uow.engine.url, engine, tables)
    return read(uow, directory, engine, tables)
