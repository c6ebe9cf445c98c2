"""Benchmark: a rep's queue page with thousands of open leads, paged, against the unpaged page it replaced.

A SQLite file is built in a temporary folder: migrated, the example agreement adopted, one rep in one team, and N
leads captured and handed to that rep through the services, in 40 batches three hours apart (so their SLA clocks
differ and many have run out), each by a contact form and a few earlier events; a fifth of them accepted and half
of those contacted. A child process serves ``create_app`` with uvicorn on 127.0.0.1 at the world's moment, with one
route added by this script to the same app object: ``GET /bench/unpaged`` draws the queue as the page did before
it was paged, every open lead explained one by one (``services.explain``, one lead after another, about seven
queries each) and drawn on one page. This process signs in as the rep and asks, one request at a time, for the
unpaged page, the paged page (the first 25), a page far down the queue (through its cursor, as the "next" link
asks), the queue's look for news and the navigation's count; then 8 clients at once load the paged queue, as 8
reps opening their queues together. Prints the data size, each request's median time (and server CPU a request),
the page sizes, and the ratio unpaged / paged (goal: the paged page within 100 ms). Checks that the first page
holds the unpaged queue's first 25 leads in its order (ties of score to within 1e-9 aside: the one reads the
ledger, the other the stored score, which agree to the last digits).

(Not ``bench/queue.py``: run as a script, its folder comes first on the import path, and the standard library's
``queue``, which the app imports, would be this file.)

    .venv/bin/python bench/rep_queue.py --leads 5000 --write-docs
"""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx2
import uvicorn
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import func, select

from leadpact.app import create_app
from leadpact.config import Settings
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.services import agreements, auth, explain, intake, queue, sales, team
from leadpact.services.clock import FixedClock
from leadpact.services.queue import QueueItem, QueuePage
from leadpact.store.database import connect, migrate
from leadpact.store.tables import Assignment, Event, Lead, LedgerEntry
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.web.queue import _terms
from leadpact.web.render import render
from leadpact.web.session import Viewing
from performance_doc import DOCS, replace_section
from served import answering, free_port

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## A rep's queue"
EXAMPLE = ROOT / "src" / "leadpact" / "examples" / "agreement.yaml"
START = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # a Monday, 08:00 in Chicago: the first batch's hand-offs
BATCHES = 40
REP, PASSWORD = "ann", "correct horse battery"
TITLES = ("VP Operations", "Director of Logistics", "Head of Manufacturing", "Chief Operating Officer")
INDUSTRIES = ("manufacturing", "logistics", "automotive", "retail", "healthcare")
EARLIER = ("webinar_attended", "whitepaper_download", "pricing_page_view", "email_click", "webinar_registered")


def build(path: Path, leads: int, seed: int) -> datetime:
    """The store; returns the world's moment, an hour after the last batch of hand-offs."""
    engine = connect(f"sqlite:///{path}")
    migrate(engine)
    rng = random.Random(seed)
    clock = FixedClock(START)
    with UnitOfWork(engine) as uow:
        agreements.adopt(uow, clock, EXAMPLE.read_text(), "agreement.yaml", "Dana Lee", "Sam Ortiz")
        team.add_user(uow, clock, REP, "rep", team="americas", capacity=1)
        auth.set_password(uow, clock, REP, PASSWORD)
    done = 0
    for batch in range(BATCHES):
        clock.at = START + timedelta(hours=3 * batch)
        count = leads * (batch + 1) // BATCHES - done
        emails = [f"person{done + n}@company{done + n}.example" for n in range(count)]
        done += count
        with UnitOfWork(engine) as uow:
            inforce = agreements.in_force(uow)
            inputs = [
                intake.LeadInput(
                    email=email,
                    first_name=f"Person{email[6:].split('@')[0]}",
                    last_name="Example",
                    title=rng.choice(TITLES),
                    company=email.split("@")[1].split(".")[0].capitalize(),
                    industry=rng.choice(INDUSTRIES),
                    employees=rng.choice((300, 1200, 4000)),
                    country="US",
                    source=rng.choice(("website", "webinar", "tradeshow", "paid_search")),
                )
                for email in emails
            ]
            intake.capture_leads(uow, clock, inforce, inputs)
        with UnitOfWork(engine) as uow:
            events = []
            for email in emails:
                for n in range(rng.randint(0, 4)):
                    at = clock.now() - timedelta(days=rng.uniform(1, 60))
                    events.append(intake.EventInput(f"{n}-{email}", email, rng.choice(EARLIER), at))
                at = clock.now() - timedelta(minutes=rng.randint(0, 120))
                events.append(intake.EventInput(f"form-{email}", email, "contact_form", at))
            intake.record_events(uow, clock, inforce, events)
    now = clock.now() + timedelta(hours=1)
    clock.at = now
    with UnitOfWork(engine) as uow:
        inforce = agreements.in_force(uow)
        held = list(uow.session.scalars(select(Lead.email).where(Lead.stage == "mql").order_by(Lead.id)))
        for n, email in enumerate(rng.sample(held, len(held) // 5)):
            lead = intake.lead_for_change(uow, email)
            sales.accept(uow, clock, inforce, lead)
            if n % 2:
                sales.contact(uow, clock, lead)
    engine.dispose()  # the last connection folds the WAL into the file
    return now


@dataclass
class Size:
    leads: int
    open_leads: int
    events: int
    ledger: int


def size_of(path: Path) -> Size:
    engine = connect(f"sqlite:///{path}")
    with UnitOfWork(engine) as uow:
        counts = [
            int(uow.session.scalar(select(func.count()).select_from(table).where(*where)) or 0)
            for table, where in (
                (Lead, ()),
                (Assignment, (Assignment.ended_at.is_(None),)),
                (Event, ()),
                (LedgerEntry, ()),
            )
        ]
    engine.dispose()
    return Size(*counts)


def same_order(path: Path, at: datetime) -> bool:
    """Whether the first page holds the unpaged queue's first leads in its order (scores compared to 1e-9)."""
    engine = connect(f"sqlite:///{path}")
    with UnitOfWork(engine) as uow:
        inforce = agreements.in_force(uow)
        rep = team.user_named(uow, REP)
        first = queue.page(uow, inforce, rep, at).items
        before = unpaged_items(uow, inforce, rep.id, at)[: len(first)]
    engine.dispose()

    def keys(items: list[QueueItem]) -> list[tuple[str, datetime | None, float]]:
        return [(i.priority, i.due, round(i.score, 9)) for i in items]

    return len(first) == queue.PAGE and keys(first) == keys(before)


def unpaged_items(uow: UnitOfWork, inforce: agreements.InForce, rep_id: int, now: datetime) -> list[QueueItem]:
    """The queue as it was read before it was paged: every open lead explained one by one, then sorted."""
    agreement = inforce.agreement
    rows = uow.session.execute(
        select(Lead, Assignment)
        .join(Assignment, Assignment.lead_id == Lead.id)
        .where(Assignment.user_id == rep_id, Assignment.ended_at.is_(None))
    )
    bands = [b.band for b in agreement.priority]
    items = []
    for lead, assignment in rows:
        x = explain.explain(uow, inforce, lead, now, predicted=False)
        due = (
            assignment.accept_due
            if assignment.accepted_at is None
            else assignment.contact_due
            if assignment.contacted_at is None
            else None
        )
        reasons = [f"{f.rule} {f.points:+g}" for f in x.fit_rules[:2]]
        reasons += [f"{e.type} {e.value:+.1f}" for e in sorted(x.events, key=lambda e: -e.value)[:2]]
        items.append(
            QueueItem(
                lead.id,
                lead.email,
                x.name,
                lead.company,
                lead.stage,
                x.score,
                x.grade,
                x.priority,
                lead.source,
                reasons,
                due,
                explain.sla_state(assignment, now),
            )
        )
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(items, key=lambda i: (bands.index(i.priority), i.due or far, -i.score, i.lead_id))


def serve(database: Path, at: datetime, port: int) -> None:
    """The child process: the product's app at the world's moment, plus the unpaged page, under uvicorn."""
    app = create_app(Settings(database_url=f"sqlite:///{database}"), FixedClock(at))

    @app.get("/bench/unpaged")
    def unpaged(request: Request, viewer: Viewing, uow: Uow, now: Now, inforce: Agreement) -> Response:
        items = unpaged_items(uow, inforce, team.user_named(uow, viewer.principal.name).id, now.now())
        whole = QueuePage(items, now.now(), len(items), 1, None, len(items))
        return render(request, "queue/queue.html", page=whole, done=None, **_terms(inforce.agreement))

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def start_server(database: Path, at: datetime) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, __file__, "--serve", str(database), "--at", at.isoformat(), "--port", str(port)]
    server = subprocess.Popen(command)
    url = f"http://127.0.0.1:{port}"
    answering(server, lambda: httpx2.get(url + "/login").status_code == 200, within=60)
    return server, url


def signed_in(url: str) -> httpx2.Client:
    client = httpx2.Client(base_url=url, timeout=600, follow_redirects=True)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    answer = client.post("/login", data={"name": REP, "password": PASSWORD, "csrf": token[1], "next": "/queue"})
    assert answer.status_code == 200, answer.text[:500]
    return client


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Timing:
    name: str
    path: str
    seconds: list[float]
    cpu: float  # server CPU seconds a request
    size: int  # bytes of the answer
    status: int

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def timed(client: httpx2.Client, pid: int, name: str, path: str, runs: int, htmx: bool = False) -> Timing:
    headers = {"HX-Request": "true"} if htmx else {}
    client.get(path, headers=headers)  # warm: templates compiled, caches filled
    seconds = []
    before = cpu_seconds(pid)
    for _ in range(runs):
        began = time.perf_counter()
        answer = client.get(path, headers=headers)
        seconds.append(time.perf_counter() - began)
    return Timing(name, path, seconds, (cpu_seconds(pid) - before) / runs, len(answer.content), answer.status_code)


async def together(url: str, cookies: httpx2.Cookies, clients: int, each: int) -> list[float]:
    """``clients`` sessions loading the paged queue at once, ``each`` times; the latency of every request."""
    latencies: list[float] = []

    async def one() -> None:
        async with httpx2.AsyncClient(base_url=url, cookies=cookies, timeout=600) as client:
            for _ in range(each):
                began = time.perf_counter()
                answer = await client.get("/queue")
                latencies.append(time.perf_counter() - began)
                assert answer.status_code == 200

    await asyncio.gather(*(one() for _ in range(clients)))
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=5_000, help="open leads of the rep")
    parser.add_argument("--runs", type=int, default=21, help="requests per paged measure (the median is shown)")
    parser.add_argument("--unpaged-runs", type=int, default=3, help="requests of the unpaged page")
    parser.add_argument("--concurrency", type=int, default=8, help="reps loading their queue at once")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--write-docs", action="store_true", help=f"put the figures in {DOCS.relative_to(ROOT)}")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--at", type=datetime.fromisoformat, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.at, args.port)
        return
    busy = os.getloadavg()[0]  # other work on the machine skews the figures: say how much there was
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.db"
        began = time.perf_counter()
        at = build(database, args.leads, args.seed)
        size = size_of(database)
        print(f"setup: {size.leads:,} leads handed over in {time.perf_counter() - began:.0f} s")
        server, url = start_server(database, at)
        try:
            result = measure(args, server.pid, url)
        finally:
            server.terminate()
            server.wait(timeout=30)
        result.same_order = same_order(database, at)
    report(args, size, result, busy)


@dataclass
class Result:
    timings: list[Timing]
    concurrent: list[float]
    same_order: bool = False


def measure(args: argparse.Namespace, pid: int, url: str) -> Result:
    client = signed_in(url)
    first = client.get("/queue").text
    unpaged = timed(
        client, pid, "unpaged page (before): every lead explained, all drawn", "/bench/unpaged", args.unpaged_runs
    )
    far = page_after(client, first, pages=args.leads // 50)
    live = re.search(r'hx-get="(/queue/live\?[^"]+)"', first)
    assert live is not None
    timings = [
        unpaged,
        timed(client, pid, "paged: the first 25 leads (`GET /queue`)", "/queue", args.runs),
        timed(
            client,
            pid,
            f"paged: the 25 after lead {args.leads // 2:,}, as the next link asks",
            far,
            args.runs,
            htmx=True,
        ),
        timed(
            client, pid, "the queue's look for news (`GET /queue/live`)", html.unescape(live[1]), args.runs, htmx=True
        ),
        timed(client, pid, "the navigation's count (`GET /queue/count`)", "/queue/count", args.runs, htmx=True),
    ]
    concurrent = asyncio.run(together(url, client.cookies, args.concurrency, max(1, args.runs // 2)))
    return Result(timings, concurrent)


def page_after(client: httpx2.Client, first: str, pages: int) -> str:
    """The address of the page ``pages`` pages down the queue, followed link by link as a rep would."""
    path = ""
    text = first
    for _ in range(pages):
        found = re.search(r'hx-get="(/queue\?after=[^"]+)"', text)
        assert found is not None
        path = html.unescape(found[1])
        text = client.get(path, headers={"HX-Request": "true"}).text
    return path


def report(args: argparse.Namespace, size: Size, result: Result, busy: float) -> None:
    unpaged, paged = result.timings[0], result.timings[1]
    ratio = unpaged.median / paged.median
    print(
        f"data: {size.leads:,} leads, {size.open_leads:,} open with the rep, {size.events:,} events, "
        f"{size.ledger:,} ledger rows; load average {busy:.1f}"
    )
    for t in result.timings:
        print(
            f"{t.name}: median {t.median * 1000:,.1f} ms of {len(t.seconds)}, server CPU {t.cpu * 1000:,.1f} ms, "
            f"{t.size / 1024:,.1f} KiB, status {t.status}"
        )
    concurrent = sorted(result.concurrent)
    p50, p99 = concurrent[len(concurrent) // 2], concurrent[min(len(concurrent) - 1, int(0.99 * len(concurrent)))]
    print(
        f"{args.concurrency} reps at once, {len(concurrent)} requests: "
        f"p50 {p50 * 1000:,.0f} ms, p99 {p99 * 1000:,.0f} ms"
    )
    print(f"ratio unpaged / paged: {ratio:,.0f} (paged median {paged.median * 1000:.1f} ms, goal within 100 ms)")
    print(
        f"the first page holds the unpaged queue's first 25 leads in its order: {'yes' if result.same_order else 'NO'}"
    )
    if args.write_docs:
        write_docs(args, size, result, ratio, (p50, p99), busy)


def write_docs(
    args: argparse.Namespace, size: Size, result: Result, ratio: float, spread: tuple[float, float], busy: float
) -> None:
    """Replace this benchmark's section of docs/performance.md, leaving the other sections as they are."""
    paged = result.timings[1]
    table = "\n".join(
        f"| {t.name} | {_time(t.median)} | {t.cpu * 1000:,.1f} ms | {_bytes(t.size)} |" for t in result.timings
    )
    verdict = "met" if paged.median <= 0.1 else "not met"
    row = result.timings[0].size / size.open_leads / 1024
    order = (
        "The first page holds the unpaged queue's first 25 leads, in the same order."
        if result.same_order
        else "**The first page does not hold the unpaged queue's first 25 leads in its order**: a bug to find."
    )
    text = f"""{SECTION}

`bench/rep_queue.py --leads {args.leads}`: a SQLite file with the example agreement and one rep holding
{size.open_leads:,} open leads ({size.leads:,} leads, {size.events:,} events, {size.ledger:,} ledger rows),
handed over in {BATCHES} batches three hours apart through the services, a fifth of them accepted and half of
those contacted; the app served by uvicorn on 127.0.0.1 at the world's moment, and asked by one signed-in
client, one request at a time, the median of {args.runs} requests ({args.unpaged_runs} of the unpaged page)
after one to warm up. The baseline is the page as it was before paging, added to the same app by the benchmark:
every open lead explained one by one and all drawn on one page. Measured {datetime.now(UTC):%Y-%m-%d} on the
2-core machine, load average {busy:.1f} when the run began (server and client share the machine). Server CPU is
the serving process's user and system time a request.

| request | median | server CPU | answer |
|---|---|---|---|
{table}

**Ratio unpaged / paged: {ratio:,.0f}**; the paged queue answers in {paged.median * 1000:.0f} ms (goal within 100 ms,
{verdict}). {args.concurrency} reps loading their queue at once: p50 {spread[0] * 1000:,.0f} ms, p99
{spread[1] * 1000:,.0f} ms over {len(result.concurrent)} requests. {order}

Why the old page was slow: it explained every open lead (its ledger, events, history, nurture, screening: about
seven queries a lead; a profile counted 33,503 queries for 4,786 leads) and drew them all, each with its action
forms ({row:.1f} KiB a row). The paged queue reads a few numbers for each of the rep's open leads (stored fit
and engagement, the assignment's running due time: one query), takes the order from them in Python (the score is
the stored engagement decayed to the moment, as the ledger gives it), and reads the page's 25 leads in full in
three queries (leads with their assignments, their ledger rows, their events' types). Later pages keep the
moment of the first, carried in the next link with the last lead's place, so the order holds while paging. What
remains grows with the rep's open leads: the one query and the arithmetic over its rows (only the page's leads
are sorted), about two fifths of the paged time at this size. The look for news reads only the assignments
handed over since the last look or due since the queue was drawn, and the navigation's count is one aggregate
over the rep's open assignments. The pipeline is read the same way: each stage column's count and amount from
one aggregate, its first 20 cards by expected close, more on asking.
"""
    text = "\n\n".join(
        part if part.startswith(("|", "#")) else textwrap.fill(" ".join(part.split()), 115, break_on_hyphens=False)
        for part in text.strip("\n").split("\n\n")
    )
    replace_section(SECTION, text + "\n")


def _time(seconds: float) -> str:
    return f"{seconds:,.2f} s" if seconds >= 1 else f"{seconds * 1000:,.1f} ms"


def _bytes(count: int) -> str:
    return f"{count / 1024 / 1024:,.1f} MiB" if count >= 1024 * 1024 else f"{count / 1024:,.1f} KiB"


if __name__ == "__main__":
    main()
