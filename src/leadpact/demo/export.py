"""Writing a demo world to CSV files in leadpact's import formats, in bounded memory, for any size.

``leads.csv``, ``events.csv``, ``campaigns.csv`` and ``costs.csv`` import with ``leadpact import`` (campaigns
first, then costs, leads and events). People stream from the generator straight to the files: memory holds
one person at a time and a count of first touches per campaign and day, so a million leads and ten million
events take no more memory than a thousand. Events are written in no particular order and include the
world's retried deliveries (an event id twice), as a real activity export would.

    python -m leadpact.demo.export --leads 1000000 --out /tmp/world
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from leadpact.demo.world import World, day_of
from leadpact.services.imports import FIELDS

# the columns the CSV import reads, so an exported world imports back as it is
LEAD_COLUMNS, EVENT_COLUMNS, CAMPAIGN_COLUMNS, COST_COLUMNS = (
    FIELDS[kind] for kind in ("leads", "events", "campaigns", "costs")
)


@dataclass(frozen=True)
class Exported:
    directory: Path
    leads: int
    events: int
    campaigns: int
    costs: int

    def files(self) -> list[Path]:
        return [self.directory / f"{kind}.csv" for kind in ("campaigns", "costs", "leads", "events")]


def iso(at: int) -> str:
    """UTC seconds as ISO 8601 with a Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))


def export_csv(directory: Path, leads: int, seed: int, progress: Callable[[int], None] | None = None) -> Exported:
    """Write the world of ``leads`` people and ``seed`` as the four CSV files; ``progress`` gets leads written."""
    directory.mkdir(parents=True, exist_ok=True)
    world = World(leads, seed)
    first_touches: Counter[tuple[str, date]] = Counter()
    events = 0
    with (
        (directory / "leads.csv").open("w", newline="", encoding="utf-8") as lead_file,
        (directory / "events.csv").open("w", newline="", encoding="utf-8") as event_file,
    ):
        lead_rows, event_rows = csv.writer(lead_file), csv.writer(event_file)
        lead_rows.writerow(LEAD_COLUMNS)
        event_rows.writerow(EVENT_COLUMNS)
        for n, p in enumerate(world.people(), 1):
            if p.campaign is not None:  # sales' own prospects: no campaign, no campaign cost
                first_touches[(p.campaign, day_of(p.created_at))] += 1
            fields = (p.email, p.first_name, p.last_name, p.title, p.company, p.domain, p.industry, p.employees)
            lead_rows.writerow((*fields, p.country, p.source, p.campaign, iso(p.created_at)))
            event_rows.writerows((t.event_id, p.email, t.type, iso(t.occurred_at), t.campaign) for t in p.touches)
            events += len(p.touches)
            if progress is not None and n % 10_000 == 0:
                progress(10_000)
    with (directory / "campaigns.csv").open("w", newline="", encoding="utf-8") as handle:
        rows = csv.writer(handle)
        rows.writerow(CAMPAIGN_COLUMNS)
        rows.writerows((c.name, c.channel, c.started_on, c.ended_on) for c in world.campaigns)
    costs = 0
    with (directory / "costs.csv").open("w", newline="", encoding="utf-8") as handle:
        rows = csv.writer(handle)
        rows.writerow(COST_COLUMNS)
        for cost in world.costs(first_touches):
            rows.writerow((cost.campaign, cost.day, f"{cost.amount:.2f}"))
            costs += 1
    return Exported(directory, leads, events, len(world.campaigns), costs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a demo world as CSV files in leadpact's import formats.")
    parser.add_argument("--leads", type=int, default=2000, help="how many leads (default 2000)")
    parser.add_argument("--seed", type=int, default=7, help="the world's seed (default 7)")
    parser.add_argument("--out", type=Path, required=True, help="the directory to write the files to")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    done = export_csv(args.out, args.leads, args.seed)
    seconds = time.perf_counter() - started
    size = sum(path.stat().st_size for path in done.files())
    print(
        f"{done.leads:,} leads, {done.events:,} events, {done.campaigns:,} campaigns and {done.costs:,} daily costs "
        f"written to {done.directory} ({size / 1e6:,.0f} MB) in {seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
