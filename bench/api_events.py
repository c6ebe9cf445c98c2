"""Benchmark: recording single events through the HTTP API against a bare route of the same app, on loopback.

A SQLite file is built in a temporary folder: migrated, the example agreement adopted, two teams of reps (so
leads that qualify are handed off), N leads captured and a marketing API token created. A child process
serves ``create_app(Settings(database_url=...))`` with uvicorn on 127.0.0.1, with one extra route added by
this script to the same app object: ``POST /bench/bare`` parses the same JSON body (the API's ``EventIn``)
and answers ``{"ok": true}``. This process loads it with httpx keep-alive clients at a fixed concurrency:
rounds of the bare route and of ``POST /api/v1/events`` (one event per request, the marketing token)
alternate, so both see the same machine state. Prints requests per second of each, p50/p99 latency, the
ratio events / bare (goal: at least 0.5), and, as an extra figure, events per second through
``/api/v1/events/batch``. Then checks that every event sent was stored once and that every lead's score is
what its ledger gives.

    .venv/bin/python bench/api_events.py --leads 2000 --events 5000 --concurrency 8 --write-docs
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import uvicorn

from leadpact.api.schemas import EventIn
from leadpact.app import create_app
from leadpact.config import Settings
from leadpact.domain.scoring import decay, engagement_at
from leadpact.services import agreements, auth, intake, team
from leadpact.services.clock import SystemClock
from leadpact.store.database import connect, migrate
from leadpact.store.unit_of_work import UnitOfWork
from performance_doc import DOCS, replace_section
from served import answering, free_port

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Recording events through the API"
EXAMPLE = ROOT / "src" / "leadpact" / "examples" / "agreement.yaml"
EVENTS = "/api/v1/events"
BATCH = "/api/v1/events/batch"
BARE = "/bench/bare"
TYPES = {  # a day of a marketing site: mostly opens, clicks and page views, now and then a form
    "email_open": 30,
    "email_click": 20,
    "pricing_page_view": 15,
    "whitepaper_download": 10,
    "webinar_registered": 8,
    "webinar_attended": 6,
    "form_submit": 6,
    "contact_form": 3,
    "demo_request": 1,
    "chat_started": 1,  # a type the agreement does not know
}
TITLES = ("VP Operations", "Plant Manager", "Engineer", "Head of Logistics", "Buyer", "Student", None)
INDUSTRIES = ("manufacturing", "logistics", "retail", "software", None)
REPS = {"americas": ("ann", "ben", "cat", "dev", "eli"), "emea": ("fay", "gus")}


def build(directory: Path, leads: int, seed: int) -> tuple[Path, str, list[str]]:
    """The store (agreement, reps, leads) and a marketing token; returns the file, the token and the emails."""
    path = directory / "bench.db"
    engine = connect(f"sqlite:///{path}")
    migrate(engine)
    clock = SystemClock()
    rng = random.Random(seed)
    emails = [f"person{n}@company{n % 400}.example" for n in range(leads)]
    with UnitOfWork(engine) as uow:
        agreements.adopt(uow, clock, EXAMPLE.read_text(), "agreement.yaml", "Dana Lee", "Sam Ortiz")
        for team_name, reps in REPS.items():
            for rep in reps:
                team.add_user(uow, clock, rep, "rep", team=team_name, capacity=rng.choice((1, 2, 3)))
        token, _ = auth.create_token(uow, clock, "bench", "marketing")
    with UnitOfWork(engine) as uow:
        inputs = [
            intake.LeadInput(
                email=email,
                title=rng.choice(TITLES),
                industry=rng.choice(INDUSTRIES),
                employees=rng.choice((50, 300, 1200, 8000)),
                country=rng.choice(("US", "US", "CA", "DE", "GB")),
                source="website",
            )
            for email in emails
        ]
        intake.capture_leads(uow, clock, agreements.in_force(uow), inputs)
    engine.dispose()  # the last connection folds the WAL into the file
    return path, token, emails


def serve(database: Path, port: int) -> None:
    """The child process: the product's app, plus the bare route, under uvicorn on 127.0.0.1."""
    app = create_app(Settings(database_url=f"sqlite:///{database}"))

    @app.post(BARE)
    def bare(body: EventIn) -> dict[str, bool]:
        return {"ok": True}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start_server(database: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(database), "--port", str(port)])
    url = f"http://127.0.0.1:{port}"
    ready = body(0, "ready@company0.example", "email_open", datetime.now(UTC))
    answering(server, lambda: httpx2.post(url + BARE, json=ready).status_code == 200, within=60)
    return server, url


@dataclass
class Load:
    """What one run of requests measured."""

    requests: int
    items: int  # events carried (a batch carries many)
    seconds: float
    latencies: list[float]
    statuses: dict[str, int]  # answers by status code; a request without an answer counts as 'no answer'
    server_cpu: float = 0.0  # seconds of CPU the server process used meanwhile
    client_cpu: float = 0.0  # and this process, the client

    @property
    def cpu_ms(self) -> float:
        """Server CPU per request: what the machine's load around the run changes least."""
        return self.server_cpu / self.requests * 1000

    @property
    def client_ms(self) -> float:
        return self.client_cpu / self.requests * 1000

    @property
    def per_second(self) -> float:
        return self.items / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def body(n: int, email: str, type_: str, at: datetime) -> dict[str, Any]:
    return {"event_id": f"bench-{n}", "email": email, "type": type_, "occurred_at": at.isoformat()}


def bodies(start: int, count: int, emails: list[str], rng: random.Random) -> list[dict[str, Any]]:
    """Events ``start`` to ``start + count`` of random leads and types, a millisecond apart up to now.

    A live feed sends events as they happen, so their times rise in the order they are sent.
    """
    types, weights = list(TYPES), list(TYPES.values())
    now = datetime.now(UTC)
    return [
        body(n, rng.choice(emails), rng.choices(types, weights)[0], now - timedelta(milliseconds=count - i))
        for i, n in enumerate(range(start, start + count))
    ]


async def post_all(url: str, path: str, payloads: list[Any], concurrency: int, headers: dict[str, str]) -> Load:
    """POST each payload once, ``concurrency`` at a time over keep-alive connections."""
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    queue = iter(payloads)
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx2.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as client:

        async def worker() -> None:
            for payload in queue:
                began = time.perf_counter()
                try:
                    status = str((await client.post(path, json=payload)).status_code)
                except httpx2.TransportError:  # the server dropped the connection: counted, not retried
                    status = "no answer"
                latencies.append(time.perf_counter() - began)
                statuses[status] = statuses.get(status, 0) + 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - began
    items = sum(len(p["events"]) if "events" in p else 1 for p in payloads)
    return Load(len(payloads), items, seconds, latencies, statuses)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def timed(pid: int, url: str, path: str, payloads: list[Any], concurrency: int, headers: dict[str, str]) -> Load:
    """``post_all``, with the server's CPU time over the run."""
    before, mine = cpu_seconds(pid), time.process_time()
    load = await post_all(url, path, payloads, concurrency, headers)
    load.server_cpu, load.client_cpu = cpu_seconds(pid) - before, time.process_time() - mine
    return load


def combined(loads: list[Load]) -> Load:
    statuses: dict[str, int] = {}
    for load in loads:
        for status, count in load.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return Load(
        sum(x.requests for x in loads),
        sum(x.items for x in loads),
        sum(x.seconds for x in loads),
        [latency for x in loads for latency in x.latencies],
        statuses,
        sum(x.server_cpu for x in loads),
        sum(x.client_cpu for x in loads),
    )


def stored_events(database: Path) -> int:
    with sqlite3.connect(database) as db:
        count: int = db.execute("SELECT count(*) FROM events WHERE event_id LIKE 'bench-%'").fetchone()[0]
        return count


def score_mismatches(database: Path) -> int:
    """Leads whose stored engagement differs from what their ledger gives, at the latest moment of either."""
    engine = connect(f"sqlite:///{database}")
    with UnitOfWork(engine) as uow:
        half_life = agreements.in_force(uow).agreement.half_life_days
    engine.dispose()
    with sqlite3.connect(database) as db:
        ledger: dict[int, list[tuple[int, float]]] = {}
        for lead_id, at, points in db.execute("SELECT lead_id, at, points FROM score_ledger WHERE kind = 'event'"):
            ledger.setdefault(lead_id, []).append((at, points))
        leads = db.execute("SELECT id, engagement, engagement_at FROM leads").fetchall()
    wrong = 0
    for lead_id, value, value_at in leads:
        rows = ledger.get(lead_id, [])
        at = max([value_at, *(moment for moment, _ in rows)])
        expected = sum(decay(points, at - moment, half_life) for moment, points in rows)
        wrong += abs(engagement_at(value, value_at, at, half_life) - expected) > 1e-6
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=2_000)
    parser.add_argument("--events", type=int, default=5_000, help="single events posted (and bare requests)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight at once")
    parser.add_argument("--rounds", type=int, default=2, help="bare and event rounds, alternating")
    parser.add_argument("--batch", type=int, default=100, help="events per request for the batch figure (0: skip)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--write-docs", action="store_true", help=f"put the figures in {DOCS.relative_to(ROOT)}")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    busy = os.getloadavg()[0]  # other work on the machine skews the figures: say how much there was
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        database, token, emails = build(Path(tmp), args.leads, args.seed)
        print(f"setup: {args.leads:,} leads captured in {time.perf_counter() - began:.1f} s")
        server, url = start_server(database)
        try:
            result = asyncio.run(measure(args, server.pid, url, token, emails))
        finally:
            server.terminate()
            server.wait(timeout=30)
        stored, wrong = stored_events(database), score_mismatches(database)
    report(args, result, stored, wrong, busy)


@dataclass
class Result:
    bare: Load
    events: Load
    batch: Load | None
    sent: int
    rounds: list[float]  # the throughput ratio of each round: how much the figure moves within one run


async def measure(args: argparse.Namespace, pid: int, url: str, token: str, emails: list[str]) -> Result:
    rng = random.Random(args.seed)
    headers = {"Authorization": f"Bearer {token}"}
    warm = min(200, args.events)
    await post_all(url, BARE, bodies(0, warm, emails, rng), args.concurrency, {})
    await post_all(url, EVENTS, bodies(0, warm, emails, rng), args.concurrency, headers)
    sent = warm
    bare: list[Load] = []
    events: list[Load] = []
    share = args.events // args.rounds
    for _ in range(args.rounds):
        bare.append(await timed(pid, url, BARE, bodies(0, share, emails, rng), args.concurrency, {}))
        events.append(await timed(pid, url, EVENTS, bodies(sent, share, emails, rng), args.concurrency, headers))
        sent += share
    batch = None
    if args.batch:
        items = bodies(sent, share * args.rounds, emails, rng)
        payloads = [{"events": items[i : i + args.batch]} for i in range(0, len(items), args.batch)]
        batch = await timed(pid, url, BATCH, payloads, max(1, args.concurrency // 4), headers)
        sent += len(items)
    rounds = [e.per_second / b.per_second for b, e in zip(bare, events, strict=True)]
    return Result(combined(bare), combined(events), batch, sent, rounds)


def report(args: argparse.Namespace, result: Result, stored: int, wrong: int, busy: float) -> None:
    bare, events, batch = result.bare, result.events, result.batch
    ratio = events.per_second / bare.per_second
    print(
        f"data: {args.leads:,} leads, {events.requests:,} single events, concurrency {args.concurrency}; "
        f"load average {busy:.1f}"
    )
    for name, load in (("bare route", bare), ("POST /api/v1/events", events)):
        print(
            f"{name}: {load.per_second:,.0f} requests/s, p50 {load.percentile(50):.1f} ms, "
            f"p99 {load.percentile(99):.1f} ms, CPU a request: server {load.cpu_ms:.2f} ms, client "
            f"{load.client_ms:.2f} ms; statuses {load.statuses}"
        )
    print(
        f"ratio events / bare: {ratio:.2f} (goal >= 0.5); by round: {', '.join(f'{r:.2f}' for r in result.rounds)}; "
        f"by server CPU a request: {bare.cpu_ms / events.cpu_ms:.2f}"
    )
    if batch is not None:
        print(
            f"POST /api/v1/events/batch ({args.batch} a request): {batch.per_second:,.0f} events/s, "
            f"p50 {batch.percentile(50):.0f} ms a request; statuses {batch.statuses}"
        )
    print(f"stored: {stored:,} of {result.sent:,} events sent; leads whose score differs from its ledger: {wrong}")
    if args.write_docs:
        write_docs(args, result, ratio, stored, wrong, busy)


def write_docs(args: argparse.Namespace, result: Result, ratio: float, stored: int, wrong: int, busy: float) -> None:
    """Replace this benchmark's section of docs/performance.md, leaving the other sections as they are."""
    bare, events, batch = result.bare, result.events, result.batch
    rows = [
        ('bare route: the same JSON body parsed, `{"ok": true}`', bare, "requests"),
        ("`POST /api/v1/events`, one event a request", events, "events"),
    ]
    if batch is not None:
        rows.append((f"`POST /api/v1/events/batch`, {args.batch} events a request", batch, "events"))
    table = "\n".join(
        f"| {name} | {load.per_second:,.0f} {unit}/s | {load.percentile(50):.1f} ms | {load.percentile(99):.1f} ms "
        f"| {load.cpu_ms:.2f} ms |"
        for name, load, unit in rows
    )
    verdict = "met" if ratio >= 0.5 else "not met"
    statuses = ", ".join(f"{status}: {count:,}" for status, count in sorted(events.statuses.items()))
    if batch is not None:
        statuses += "; the batches: " + ", ".join(f"{k}: {n:,}" for k, n in sorted(batch.statuses.items()))
    failed = sum(n for load in (events, batch) if load for k, n in load.statuses.items() if k not in ("200", "201"))
    failures = f" **{failed:,} requests failed**: see the server's log." if failed else ""
    scores = (
        "Every lead's score is what its ledger gives."
        if not wrong
        else f"**{wrong:,} leads' scores differ from what their ledgers give**: a bug to find before anything else."
    )
    shared = (
        f" The batch endpoint, 100 events a request, still does {batch.per_second / events.per_second:.1f} times "
        f"the single events' throughput at {batch.cpu_ms / args.batch:.2f} ms of server CPU an event: the floor of "
        "what recording costs an event in this process."
        if batch is not None
        else ""
    )
    text = f"""{SECTION}

`bench/api_events.py --leads {args.leads} --events {args.events} --concurrency {args.concurrency}`: a SQLite file
with the example agreement, {sum(len(r) for r in REPS.values())} reps in two teams and {args.leads:,} leads; the
app served by uvicorn (one process on 127.0.0.1, the product's dependencies: h11, no uvloop) and loaded from
another process by httpx keep-alive clients, {args.concurrency} requests in flight; {events.requests:,} single
events (random leads; the example's event types, mostly opens, clicks and page views, and one type it does not
know; times rising as they are sent, like a live feed) against as many requests to a bare route added to the
same app object, which parses the same body (`EventIn`) and answers `{{"ok": true}}`; {args.rounds} alternating
rounds after a warm-up. Measured {datetime.now(UTC):%Y-%m-%d} on the 2-core machine, which server and client
share. Latency is what the client saw; server CPU is the serving process's user and system time over the run,
divided by the requests.

| | throughput | p50 | p99 | server CPU a request |
|---|---|---|---|---|
{table}

**Ratio single events / bare: {ratio:.2f} in throughput** (goal ≥ 0.5, {verdict}); by round
{", ".join(f"{r:.2f}" for r in result.rounds)}; {bare.cpu_ms / events.cpu_ms:.2f} in server CPU a request. Other
work on the machine: load average {busy:.1f} when the run began. The machine is shared and its speed drifts: from
one run to the next both throughputs move by a quarter or more, and the ratio by 0.05 to 0.1 either way.

Answers to the single events by status: {statuses}.{failures} Stored afterwards: {stored:,} of the
{result.sent:,} events sent (warm-up and batches included). {scores}

How a single event is recorded: group commit (`api/recorder.py`). The route is `async def`. A request without a
token is refused at once; a token the app has not seen yet is looked up by the recorder before the body is read
(refused 401 or 403 as on every route), and remembered when good. The request then hands its event to the
recorder, one thread fed by a queue, and waits. The recorder gathers the events that come while it works into a
group (under load it waits up to 5 ms for as many events as the recent groups held; an idle server records a lone
event at once), records the group in one transaction exactly as one batch in arrival order (`record_all`, which
the batch route uses too), reading each of the group's tokens again in that transaction, and answers each
request, with its own outcome or its own 404, only once the transaction has committed. If the transaction fails,
every request in it gets the error, and sending them again is safe: event ids are idempotent. A group's fixed
costs are shared by its events: the transaction and its commit, the write lock, the token, the agreement in force
(now its number and digest, the parsed version kept), the lead lookups and `engagement.ingest`'s queries. SQLite
writers of one process take turns on a lock of the process before `BEGIN IMMEDIATE`, instead of sleeping in
SQLite's busy handler (steps of up to 100 ms: the cause of the p99 of 0.85 s before). Every route gained too: a
unit of work no longer registers its session's listeners anew (0.25 ms a request), and the dependencies that need
no database (the clock, the permission check) are `async def`, with no trip through the thread pool.

What limits the ratio. One Python process does everything: the event loop (HTTP, validation, about what the bare
route costs) and the recorder take turns holding the interpreter, so an event costs the bare route's work plus its
share of recording. With {args.concurrency} requests in flight a group holds at most {args.concurrency} events,
and recording a group of 8 costs about 2.5 ms of CPU in a process of its own (measured apart), nearly twice that
while the event loop competes for the interpreter; most of it is `engagement.ingest` (scores, capped events, the
ledger, hand-offs).{shared} More requests in flight make larger groups and cheaper events.
"""
    text = "\n\n".join(
        part if part.startswith(("|", "#")) else textwrap.fill(" ".join(part.split()), 115, break_on_hyphens=False)
        for part in text.strip("\n").split("\n\n")
    )
    replace_section(SECTION, text)


if __name__ == "__main__":
    main()
