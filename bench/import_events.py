"""Benchmark: importing a year of events from CSV against a raw ``executemany`` of the same rows into the same SQLite.

The data is the demo world (``leadpact.demo``) exported as CSV: campaigns, costs and leads are imported
first (not timed), then the year's events. The import does everything the product does: reads and checks
every row, drops retried deliveries, counts events under the agreement (daily caps in the agreement's time
zone, ``once``), writes the ledger, updates scores and hands off the leads that qualify, with their stage
history, assignments, SLA clocks and outbox messages. The baseline only inserts the distinct event rows,
already parsed, with their lead and campaign ids. Prints the data size, both times and the ratio
baseline / import (goal: at least 0.25).

    .venv/bin/python bench/import_events.py --leads 85000      # about 1,000,000 events

``--keep DIR`` keeps the set-up store and its events file in ``DIR`` and uses them again on the next run with the
same leads and seed, so only the timed parts run again.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from leadpact.demo.export import export_csv
from leadpact.demo.reps import REPS
from leadpact.demo.simulation import example_agreement
from leadpact.demo.world import END
from leadpact.services import agreements, imports, team
from leadpact.services.clock import FixedClock
from leadpact.store.database import connect, migrate
from leadpact.store.unit_of_work import UnitOfWork

CLOCK = FixedClock(datetime(END.year, END.month, END.day, 12, tzinfo=UTC))


def setup(directory: Path, leads: int, seed: int) -> tuple[Path, Path, int]:
    """A store holding the demo world's agreement, reps, campaigns, costs and leads; its events file."""
    began = time.perf_counter()
    world = export_csv(directory / "world", leads, seed)
    path = directory / "base.db"
    engine = connect(f"sqlite:///{path}")
    migrate(engine)
    with UnitOfWork(engine) as uow:
        agreements.adopt(uow, CLOCK, example_agreement(), "agreement.yaml", "Dana Lee", "Sam Ortiz")
        for rep in REPS:
            team.add_user(uow, CLOCK, rep.name, "rep", rep.team, rep.capacity, rep.email)
    for kind in ("campaigns", "costs", "leads"):
        with UnitOfWork(engine) as uow:
            file = world.directory / f"{kind}.csv"
            if kind == "campaigns":
                imports.import_campaigns(uow, CLOCK, file, {})
            elif kind == "costs":
                imports.import_costs(uow, CLOCK, file, {})
            else:
                imports.import_leads(uow, CLOCK, agreements.in_force(uow), file, {})
    engine.dispose()  # the last connection to close folds the WAL into the file, so copies see the rows
    print(f"setup: the demo world of {leads:,} leads exported and imported in {time.perf_counter() - began:.0f} s")
    return path, world.directory / "events.csv", world.events


def kept_setup(directory: Path, leads: int, seed: int) -> tuple[Path, Path, int]:
    """``setup`` in ``directory``, or what an earlier run with the same leads and seed left there."""
    kept = directory / f"leads-{leads}-seed-{seed}"
    base, events_csv, count = kept / "base.db", kept / "world" / "events.csv", kept / "events.count"
    if base.exists() and events_csv.exists() and count.exists():
        print(f"setup: the store kept in {kept}")
        return base, events_csv, int(count.read_text())
    kept.mkdir(parents=True, exist_ok=True)
    base, events_csv, events = setup(kept, leads, seed)
    count.write_text(str(events))
    return base, events_csv, events


def baseline_rows(database: Path, events_csv: Path) -> list[tuple[str, int, str, int, int | None]]:
    """The distinct events of the file, parsed, with their lead and campaign ids: what the baseline inserts."""
    db = sqlite3.connect(database)
    leads = dict(db.execute("SELECT email, id FROM leads"))
    campaigns = dict(db.execute("SELECT name, id FROM campaigns"))
    db.close()
    rows: dict[str, tuple[str, int, str, int, int | None]] = {}
    with events_csv.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for event_id, email, kind, occurred_at, campaign in reader:
            at = int(datetime.fromisoformat(occurred_at).timestamp())
            rows.setdefault(event_id, (event_id, leads[email], kind, at, campaigns.get(campaign)))
    return list(rows.values())


def baseline(database: Path, rows: list[tuple[str, int, str, int, int | None]]) -> float:
    db = sqlite3.connect(database)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # the same settings the product's engine uses
    began = time.perf_counter()
    with db:
        db.executemany(
            "INSERT INTO events (event_id, lead_id, type, occurred_at, campaign_id, counted) VALUES (?, ?, ?, ?, ?, 0)",
            rows,
        )
    elapsed = time.perf_counter() - began
    db.close()
    return elapsed


def product(database: Path, events_csv: Path) -> tuple[float, imports.ImportReport]:
    engine = connect(f"sqlite:///{database}")
    began = time.perf_counter()
    with UnitOfWork(engine) as uow:
        report = imports.import_events(uow, CLOCK, agreements.in_force(uow), events_csv, {})
    elapsed = time.perf_counter() - began
    engine.dispose()
    return elapsed, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=85_000, help="leads in the demo world (~11.8 events each)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="keep the set-up store in this directory and use it again")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        if args.keep is not None:
            base, events_csv, events = kept_setup(args.keep, args.leads, args.seed)
        else:
            base, events_csv, events = setup(directory, args.leads, args.seed)
        shutil.copy(base, directory / "raw.db")
        shutil.copy(base, directory / "import.db")
        rows = baseline_rows(base, events_csv)
        raw = baseline(directory / "raw.db", rows)
        took, report = product(directory / "import.db", events_csv)
    print(f"data: {events:,} event rows ({len(rows):,} distinct) for {args.leads:,} leads, demo world seed {args.seed}")
    print(f"baseline executemany: {raw:.2f} s ({len(rows) / raw:,.0f} rows/s)")
    print(
        f"leadpact import:      {took:.2f} s ({events / took:,.0f} rows/s); {report.created:,} stored, "
        f"{report.duplicates:,} retried, {report.counted:,} counted, {report.qualified:,} leads qualified"
    )
    print(f"ratio baseline/import: {raw / took:.3f} (goal >= 0.25)")


if __name__ == "__main__":
    main()
