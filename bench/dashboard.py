"""Benchmark: the dashboard with its reports kept in the app against the same page computed afresh, on demo worlds.

Each world is a SQLite file built by ``leadpact demo`` (or given with ``--db``; building 100,000 leads takes about
an hour, so build it once and pass it), copied into a temporary folder and served as a user serves it: ``leadpact
serve --clock-start latest --worker-seconds 0`` in a process of its own, the store's clock at the world's last
moment, no worker (its SLA checks would write while we measure). This process signs in as marketing with an httpx
client and, in each round, asks for the page computed afresh (``POST /dashboard/recompute``, then ``GET
/dashboard``: the baseline, every report computed as before the cache) and then once more (the reports kept,
what everyone after the first sees until the store changes). The page is streamed: the time to its first part
(the key figures, three reports) is measured apart from the whole page (ten charts, eight reports). Prints the
data size, the medians and the ratio afresh / kept; the goal is a kept page within 300 ms (median) at 2,000 leads
and under a second at 100,000. Also the cost of reading the store's last change, which every look pays.

    .venv/bin/python bench/dashboard.py --db /tmp/demo2k.db --db /tmp/demo100k.db --write-docs
    .venv/bin/python bench/dashboard.py --leads 2000
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx2

from leadpact.services import activity, agreements, reports, store_changes
from leadpact.services.clock import FixedClock
from leadpact.store.database import connect
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.web.dates import last_twelve_months, today
from performance_doc import DOCS, replace_section
from served import answering, free_port

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## The dashboard"
WHO, PASSWORD = "Maya Brooks", "leadpact-demo"  # the demo's marketing manager
GOALS = ((2_000, 0.3), (100_000, 1.0))
"""(leads up to, seconds): the kept page's median must stay within these."""


def leadpact(*args: str, stdout: int | None = None) -> subprocess.Popen[bytes]:
    """The command line as a user runs it, in a process of its own."""
    return subprocess.Popen(
        [sys.executable, "-c", "from leadpact.cli import main; main()", *args], cwd=ROOT, stdout=stdout
    )


def build(directory: Path, leads: int, seed: int) -> Path:
    path = directory / f"demo-{leads}.db"
    began = time.perf_counter()
    done = leadpact("--db", f"sqlite:///{path}", "demo", "--leads", str(leads), "--seed", str(seed))
    if done.wait() != 0:
        raise SystemExit("leadpact demo failed")
    print(f"setup: the demo world of {leads:,} leads built in {time.perf_counter() - began:.0f} s")
    return path


def copy(source: Path, directory: Path) -> Path:
    """A copy of the world to serve (signing in and setting the clock write to it), its WAL folded in."""
    path = directory / f"served-{source.stem}.db"
    with sqlite3.connect(source) as original, sqlite3.connect(path) as served:
        original.backup(served)
    return path


def sizes(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        return {
            name: int(db.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0])
            for name in ("leads", "events", "stage_changes", "assignments", "opportunities", "campaigns")
        }


def serve(path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = leadpact(
        "--db", f"sqlite:///{path}", "serve", "--port", str(port), "--clock-start", "latest", "--worker-seconds", "0",
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    answering(server, lambda: httpx2.get(url + "/login").status_code == 200, within=120)
    return server, url


def signed_in(url: str) -> tuple[httpx2.Client, str]:
    """A client with marketing's session, and the page's form token."""
    client = httpx2.Client(base_url=url, timeout=600, follow_redirects=True)
    client.get("/login")
    form = {"name": WHO, "password": PASSWORD, "csrf": client.cookies["leadpact_login"], "next": "/dashboard"}
    answer = client.post("/login", data=form)
    found = re.search(r'name="csrf-token" content="([^"]+)"', answer.text)
    if answer.status_code != 200 or not found:
        raise SystemExit(f"signing in as {WHO} failed: {answer.status_code}")
    return client, found.group(1)


@dataclass(frozen=True)
class Look:
    first_part: float  # seconds to the first part of the streamed page: the key figures
    whole: float
    figures: str  # the key figures as the page shows them


def look(client: httpx2.Client) -> Look:
    began = time.perf_counter()
    with client.stream("GET", "/dashboard") as answer:
        chunks = answer.iter_bytes()
        body = next(chunks)
        first_part = time.perf_counter() - began
        body += b"".join(chunks)
    whole = time.perf_counter() - began
    text = body.decode()
    if answer.status_code != 200 or text.count("<canvas") == 0:
        raise SystemExit(f"the dashboard answered {answer.status_code} without its charts")
    figures = " ".join(f"{key}={value}" for key, value in re.findall(r'data-kpi="(\w+)"><b>([^<]*)</b>', text))
    return Look(first_part, whole, figures)


REPORTS: tuple[tuple[str, dict[str, str]], ...] = (
    ("funnel", {"by": "month"}),
    ("costs", {"by": "source"}),
    ("sla", {"by": "team"}),
    ("costs", {"by": "campaign"}),
    ("sla", {"by": "rep"}),
    ("reasons", {"by": "stage"}),
    ("grades", {}),
    ("feedback", {}),
)
"""The dashboard's reports: the first three make the key figures."""


def report_times(path: Path) -> dict[str, float]:
    """Seconds each of the dashboard's reports takes to compute, once, over the last twelve months."""
    engine = connect(f"sqlite:///{path}")
    took: dict[str, float] = {}
    with UnitOfWork(engine) as uow:
        latest = activity.latest(uow)
        assert latest is not None
        clock, inforce = FixedClock(latest), agreements.in_force(uow)
        chosen = last_twelve_months(today(inforce, clock))
        with reports.reader(uow, clock, inforce, chosen.first, chosen.last) as read:
            for name, options in REPORTS:
                began = time.perf_counter()
                read(name, **options)
                took[f"{name} by {options['by']}" if options else name] = time.perf_counter() - began
    engine.dispose()
    return took


def change_cost(path: Path, times: int = 200) -> float:
    """Median seconds of one reading of the store's last change."""
    engine = connect(f"sqlite:///{path}")
    took = []
    with UnitOfWork(engine) as uow:
        for _ in range(times):
            began = time.perf_counter()
            store_changes.last_change(uow)
            took.append(time.perf_counter() - began)
    engine.dispose()
    return statistics.median(took)


@dataclass(frozen=True)
class Run:
    world: str
    size: dict[str, int]
    afresh: list[Look]
    kept: list[Look]
    change: float  # seconds to read the store's last change
    busy: float  # load average when the run began
    reports: dict[str, float]  # seconds each report took to compute, once

    def median(self, looks: list[Look], part: str) -> float:
        return float(statistics.median(getattr(look, part) for look in looks))

    @property
    def ratio(self) -> float:
        return self.median(self.afresh, "whole") / self.median(self.kept, "whole")

    @property
    def goal(self) -> float:
        """The goal of the smallest size this world does not exceed (of the largest, beyond them all)."""
        return next((seconds for leads, seconds in GOALS if self.size["leads"] <= leads), GOALS[-1][1])


def measure(source: Path, rounds: int, directory: Path) -> Run:
    path = copy(source, directory)
    size = sizes(path)
    busy = os.getloadavg()[0]
    server, url = serve(path)
    try:
        client, token = signed_in(url)
        look(client)  # the first look in a new process also imports and warms what every later one uses
        afresh, kept = [], []
        for _ in range(rounds):
            client.post("/dashboard/recompute", data={"csrf": token}, follow_redirects=False)
            afresh.append(look(client))
            kept.append(look(client))
        client.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    if {x.figures for x in afresh + kept} != {afresh[0].figures}:
        raise SystemExit("the kept page's figures differ from the page computed afresh")
    return Run(source.name, size, afresh, kept, change_cost(path), busy, report_times(path))


def report(run: Run) -> None:
    s = run.size
    print(
        f"data ({run.world}): {s['leads']:,} leads, {s['events']:,} events, {s['stage_changes']:,} stage changes, "
        f"{s['assignments']:,} assignments, {s['opportunities']:,} deals, {s['campaigns']:,} campaigns; "
        f"load average {run.busy:.1f}"
    )
    for name, looks in (("afresh (recompute, then look)", run.afresh), ("kept (look again)", run.kept)):
        print(
            f"  {name}: key figures {run.median(looks, 'first_part') * 1000:,.0f} ms, whole page "
            f"{run.median(looks, 'whole') * 1000:,.0f} ms (median of {len(looks)}; whole page "
            f"{min(x.whole for x in looks) * 1000:,.0f} to {max(x.whole for x in looks) * 1000:,.0f} ms)"
        )
    kept = run.median(run.kept, "whole")
    verdict = "met" if kept <= run.goal else "not met"
    print(
        f"  ratio afresh / kept: {run.ratio:,.1f}; kept page {kept * 1000:,.0f} ms (goal <= {run.goal * 1000:,.0f} ms, "
        f"{verdict}); reading the store's last change: {run.change * 1000:.2f} ms"
    )
    print(f"  each report computed once: {spent(run)}")


def spent(run: Run) -> str:
    return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in run.reports.items())


def write_docs(runs: list[Run], rounds: int) -> None:
    """Replace this benchmark's section of docs/performance.md, leaving the other sections as they are."""
    worlds = " ".join(f"--db {run.world}" for run in runs)
    table = "\n".join(
        f"| {run.size['leads']:,} leads, {run.size['events']:,} events | "
        f"{run.median(run.afresh, 'first_part') * 1000:,.0f} ms | {run.median(run.afresh, 'whole') * 1000:,.0f} ms | "
        f"{run.median(run.kept, 'whole') * 1000:,.0f} ms | **{run.ratio:,.1f}** | "
        f"{run.goal * 1000:,.0f} ms, {'met' if run.median(run.kept, 'whole') <= run.goal else 'not met'} | "
        f"{run.change * 1000:.2f} ms |"
        for run in runs
    )
    busy = ", ".join(f"{run.busy:.1f}" for run in runs)
    breakdown = "; ".join(f"at {run.size['leads']:,} leads {spent(run)}" for run in runs)
    text = f"""{SECTION}

`bench/dashboard.py {worlds} --rounds {rounds}`: demo worlds (`leadpact demo`, seed 7) in SQLite files, each
served by `leadpact serve --clock-start latest --worker-seconds 0` in a process of its own and asked for by an
httpx client signed in as marketing, on the same machine. In each of {rounds} rounds the page is first computed
afresh (`POST /dashboard/recompute`, then `GET /dashboard`: every report computed, as every look did before the
reports were kept), then asked for again (the reports kept: what everyone sees after the first look, until the
store changes or ten minutes pass). The page is sent in two parts: the key figures (three reports) first, the
ten charts (eight reports) after them in the same answer. Measured {datetime.now(UTC):%Y-%m-%d} on the 2-core
machine; load average when each run began: {busy}.

| world | afresh: key figures | afresh: page | kept: page | ratio afresh / kept | goal (kept) | last change read |
|---|---|---|---|---|---|---|
{table}

Where the time goes afresh: the eight reports, each a few Ibis expressions compiled to SQL and run on the app
database (at 2,000 leads compiling them in Python is most of it, at 100,000 running them). Each computed once,
in the same run: {breakdown}. Kept, a look costs
what any page does (the session, the agreement in force, drawing the page) plus one query for the store's last
change: the newest id of each table the reports read, of the audit trail and of the outbox, each found in the
primary key's index whatever the size. The figures of every kept page were checked equal to the page computed
afresh.

What the cache does not change: the first look after any write a report can show (an event recorded, a lead
captured, a contact logged) computes the page afresh, at the cost of the first columns. In a store that records
events every few seconds most looks are such first looks; making them cheap is the reports' own work, first the
grades report (the calibration replays every lead's qualification) and the funnel by month.
"""
    text = "\n\n".join(
        part if part.startswith(("|", "#")) else textwrap.fill(" ".join(part.split()), 115, break_on_hyphens=False)
        for part in text.strip("\n").split("\n\n")
    )
    replace_section(SECTION, text + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, action="append", default=[], help="a demo world's SQLite file (repeat)")
    parser.add_argument("--leads", type=int, action="append", default=[], help="build a demo world of N leads")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=9, help="looks afresh and kept, each; medians are reported")
    parser.add_argument("--write-docs", action="store_true", help=f"put the figures in {DOCS.relative_to(ROOT)}")
    args = parser.parse_args()
    if not args.db and not args.leads:
        args.leads = [2_000]
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        worlds = [*args.db, *(build(directory, leads, args.seed) for leads in args.leads)]
        for world in worlds:
            runs.append(measure(world, args.rounds, directory))
            report(runs[-1])
    if args.write_docs:
        write_docs(runs, args.rounds)


if __name__ == "__main__":
    main()
