"""Benchmark: importing events from CSV against a raw ``executemany`` of the same rows into the same SQLite.

The import does everything the product does: reads and checks every row, drops duplicates, counts events
under the agreement, writes the ledger, updates scores and hands off leads that qualify. The baseline only
inserts the rows. Prints the data size, both times and the ratio baseline / import (goal: at least 0.25).

    .venv/bin/python bench/import_events.py --events 1000000 --leads 100000
"""

from __future__ import annotations

import argparse
import csv
import random
import shutil
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from leadpact.services import agreements, imports, team
from leadpact.services.clock import FixedClock
from leadpact.store.database import connect, migrate
from leadpact.store.unit_of_work import UnitOfWork

EXAMPLE = Path(__file__).parents[1] / "src" / "leadpact" / "examples" / "agreement.yaml"
START = int(datetime(2025, 11, 1, tzinfo=UTC).timestamp())
YEAR = 365 * 86_400
MIX = {  # event type: relative frequency, as in a marketing-automation activity log
    "email_open": 40,
    "email_click": 15,
    "whitepaper_download": 8,
    "webinar_registered": 5,
    "webinar_attended": 3,
    "pricing_page_view": 12,
    "form_submit": 5,
    "tradeshow_booth_visit": 2,
    "contact_form": 1,
    "demo_request": 0.3,
    "unsubscribe": 0.7,
    "page_view": 8,
}


def setup(directory: Path, leads: int, seed: int) -> Path:
    """A migrated database with the example agreement, two teams of reps and ``leads`` inquiries.

    Leads get a spread of fit (so about a third can qualify, as in a real database) with the matching fit
    rows in the ledger.
    """
    path = directory / "base.db"
    engine = connect(f"sqlite:///{path}")
    migrate(engine)
    clock = FixedClock(datetime(2025, 11, 1, tzinfo=UTC))
    with UnitOfWork(engine) as uow:
        agreements.adopt(uow, clock, EXAMPLE.read_text(), "agreement.yaml", "Dana Lee", "Sam Ortiz")
        for n, team_name in enumerate(["americas"] * 4 + ["emea"] * 2):
            team.add_user(uow, clock, f"rep{n}", "rep", team_name, capacity=1 + n % 3)
    engine.dispose()
    rng = random.Random(seed)
    fits = [rng.choice((0, 15, 20, 30, 35, 50, 65)) for _ in range(leads)]
    created = int(datetime(2025, 11, 1, tzinfo=UTC).timestamp())
    db = sqlite3.connect(path)
    with db:
        db.executemany(
            "INSERT INTO leads (id, email, title, country, stage, created_at, fit, grade, engagement, engagement_at,"
            " latest_at) VALUES (?, ?, 'Engineer', ?, 'inquiry', '2025-11-01 00:00:00', ?, ?, 0, 0, ?)",
            ((i, _email(i), "DE" if i % 4 == 0 else "US", fit, _grade(fit), created) for i, fit in enumerate(fits, 1)),
        )
        db.executemany(
            "INSERT INTO score_ledger (lead_id, at, kind, item, points, version) VALUES (?, ?, 'fit', 'bench', ?, 1)",
            ((i, created, fit) for i, fit in enumerate(fits, 1) if fit),
        )
    db.close()  # the last connection to close folds the WAL into the file, so copies see the rows
    return path


def _email(lead: int) -> str:
    return f"lead{lead}@example{lead % 5000}.com"


def _grade(fit: int) -> str:
    return "A" if fit >= 45 else "B" if fit >= 30 else "C" if fit >= 15 else "D"


def write_events(path: Path, events: int, leads: int, seed: int) -> list[tuple[str, int, str, int]]:
    rng = random.Random(seed)
    kinds, weights = list(MIX), list(MIX.values())
    rows = [
        (f"ev-{n}", rng.randint(1, leads), rng.choices(kinds, weights)[0], START + rng.randrange(YEAR))
        for n in range(events)
    ]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["event_id", "email", "type", "occurred_at"])
        for event_id, lead, kind, at in rows:
            stamp = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            writer.writerow([event_id, _email(lead), kind, stamp])
    return rows


def baseline(path: Path, rows: list[tuple[str, int, str, int]]) -> float:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # the same settings the product's engine uses
    began = time.perf_counter()
    with db:
        db.executemany(
            "INSERT INTO events (event_id, lead_id, type, occurred_at, counted) VALUES (?, ?, ?, ?, 0)", rows
        )
    elapsed = time.perf_counter() - began
    db.close()
    return elapsed


def product(path: Path, csv_path: Path) -> tuple[float, imports.ImportReport]:
    engine = connect(f"sqlite:///{path}")
    clock = FixedClock(datetime(2026, 11, 1, tzinfo=UTC))
    began = time.perf_counter()
    with UnitOfWork(engine) as uow:
        inforce = agreements.in_force(uow)
        report = imports.import_events(uow, clock, inforce, csv_path, {})
    elapsed = time.perf_counter() - began
    engine.dispose()
    return elapsed, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        base = setup(directory, args.leads, args.seed)
        shutil.copy(base, directory / "raw.db")
        shutil.copy(base, directory / "import.db")
        rows = write_events(directory / "events.csv", args.events, args.leads, args.seed)
        raw = baseline(directory / "raw.db", rows)
        took, report = product(directory / "import.db", directory / "events.csv")
    print(f"data: {args.events:,} events for {args.leads:,} leads, SQLite file")
    print(f"baseline executemany: {raw:.2f} s ({args.events / raw:,.0f} rows/s)")
    print(
        f"leadpact import:      {took:.2f} s ({args.events / took:,.0f} events/s); "
        f"{report.counted:,} counted, {report.qualified:,} leads qualified"
    )
    print(f"ratio baseline/import: {raw / took:.3f} (goal >= 0.25)")


if __name__ == "__main__":
    main()
