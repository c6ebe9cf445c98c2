"""Benchmark: the online path at a store of a million leads: one event in, its lead's score, stage and owner out.

A SQLite store is built once per size and seed (kept in the system's temporary folder, keyed by the size, the seed
and the schema's revision, and copied for each run): migrated, the example agreement adopted, two teams of reps
(routing sends EMEA accounts to one, the rest to the other; a few accounts have an owner) through the services; then
the leads and what a past of them leaves, written straight into the tables: accounts, leads created over two years
with their fit (the agreement's fit rules judged on their fields), a budget answer for some, about three history
events a lead in the weeks before the feed, a day or more apart (counted, with their ledger rows and the engagement
kept as the services keep it, but for a type the agreement does not know), the fit's ledger rows, every lead's stage
history, and for the leads whose score once reached the rule, the hand-off: an MQL with an open assignment, an
accepted SAL, or a lead rejected and recycled (an ended assignment and a cooldown). Leads the rule has not taken yet
stay inquiries; a share of them (grade A or B) is within 30 points of it, so that some of the events sent qualify them
and trigger the hand-off: routing, round robin, the SLA clock, the outbox. Each run adds a marketing token, and gives
the EMEA reps a cap on their open leads (one they never reach), so a hand-off to their team counts each one's open
leads.

Then, in this process, single events on random leads go through the online path exactly as ``POST /api/v1/events``
records a lone event (``api/recorder.py``: one transaction taking the write lock, the token read again, the
agreement in force, ``record_all``, the commit), one event per transaction, a feed of the example's event types
with rising times (1 % sent twice). The baseline, on the same file in the same run, is as many transactions that
each insert one event row (SQLAlchemy core insert and commit) and nothing else; the two alternate in rounds.
Prints the data size, p50/p95/p99 of both, the ratio of the p95s, and how many events changed a lead's stage or
owner (goal: p95 at most 50 ms at a million leads).

With ``--db postgresql://...`` the same rows are copied into that database (made afresh, dropped afterwards) and
measured there too.

    .venv/bin/python bench/online_path.py --leads 1000000 --events 3000 --write-docs
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import sqlite3
import statistics
import tempfile
import textwrap
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, Table, insert, text
from sqlalchemy.engine import make_url

from leadpact.api.recorder import Recorded, record_all
from leadpact.domain.agreement import Agreement
from leadpact.domain.dedupe import company_key
from leadpact.domain.fields import FREE_MAIL_DOMAINS
from leadpact.domain.permissions import Action
from leadpact.domain.scoring import DAY_SECONDS, fit_points
from leadpact.services import agreements, auth, intake, team
from leadpact.services.clock import FixedClock
from leadpact.store.database import connect, current_revision, migrate
from leadpact.store.tables import Event
from leadpact.store.unit_of_work import UnitOfWork
from performance_doc import replace_section

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## The online path"
EXAMPLE = ROOT / "src" / "leadpact" / "examples" / "agreement.yaml"
LAYOUT = 1  # the generated store's layout: a change of what build() writes makes a new cached file
AT = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Chicago: the feed starts here
NOW = int(AT.timestamp())
HISTORY = 2 * 365 * DAY_SECONDS
TEAMS = {"americas": ("ann", "bob", "cid", "dee", "eve", "fay"), "emea": ("gus", "hal", "ivy")}
EMEA = ("DE", "FR", "GB", "NL")
COUNTRIES = ("US", "US", "US", "US", "CA", "DE", "FR", "GB", "NL")
INDUSTRIES = ("manufacturing", "logistics", "automotive", "retail", "healthcare", "energy", "software", "banking")
EMPLOYEES = (8, 30, 80, 150, 250, 400, 700, 1200, 2500, 4000, 6000, 12000, 40000)
LEVELS = ("", "VP", "Head of", "Director of", "Senior", "Chief", "Manager,", "Student")
FUNCTIONS = ("Sales", "Marketing", "Operations", "Engineering", "IT", "Supply Chain", "Finance")
SOURCES = ("website", "webinar", "tradeshow", "paid_search", "outbound")
FREE = sorted(FREE_MAIL_DOMAINS)[:12]
PAST = {  # history: event types no daily cap can cut, each on a day of its own
    "email_open": 30,
    "email_click": 18,
    "pricing_page_view": 12,
    "whitepaper_download": 6,
    "webinar_registered": 5,
    "webinar_attended": 3,
    "form_submit": 5,
    "tradeshow_booth_visit": 2,
    "page_view": 10,  # not in the agreement: stored, not counted
}
FEED = {  # the live feed: mostly opens, clicks and page views, now and then a form or a demo request
    "email_open": 30,
    "email_click": 15,
    "page_view": 10,
    "pricing_page_view": 12,
    "whitepaper_download": 8,
    "webinar_registered": 5,
    "webinar_attended": 4,
    "form_submit": 5,
    "tradeshow_booth_visit": 2,
    "contact_form": 4,
    "demo_request": 1,
    "unsubscribe": 1,
}
CHUNK = 50_000
CAP = 100_000
"""The EMEA reps' cap on open leads."""


# --- the store ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Size:
    leads: int
    accounts: int
    events: int
    ledger: int
    stage_changes: int
    assignments: int
    lead_fields: int
    stages: dict[str, int]
    near: int  # inquiries of grade A or B within 30 points of the rule
    megabytes: float


def cached_store(leads: int, seed: int) -> Path:
    """The store for this size and seed, built the first time it is asked for."""
    folder = Path(tempfile.gettempdir()) / "leadpact-online-path"
    folder.mkdir(exist_ok=True)
    probe = folder / "probe.db"
    engine = connect(f"sqlite:///{probe}")
    migrate(engine)
    revision = current_revision(engine)
    engine.dispose()
    path = folder / f"store-{leads}-{seed}-r{revision}-l{LAYOUT}.db"
    if not path.exists():
        started = time.perf_counter()
        building = path.with_suffix(".building")
        building.unlink(missing_ok=True)
        build(building, leads, seed)
        building.rename(path)
        print(f"built {path} in {time.perf_counter() - started:.0f} s")
    return path


def build(path: Path, leads: int, seed: int) -> None:
    engine = connect(f"sqlite:///{path}")
    migrate(engine)
    clock = FixedClock(AT - timedelta(days=800))
    with UnitOfWork(engine) as uow:
        agreements.adopt(uow, clock, EXAMPLE.read_text(), "agreement.yaml", "Dana Lee", "Sam Ortiz")
        for name, reps in TEAMS.items():
            for rep in reps:
                team.add_user(uow, clock, rep, "rep", team=name, capacity=2 if rep in ("ann", "gus") else 1)
    with UnitOfWork(engine) as uow:
        inforce = agreements.in_force(uow)
        ids = {n: team.user_named(uow, n).id for names in TEAMS.values() for n in names}
        teams = {name: team.team_named(uow, name).id for name in TEAMS}
    engine.dispose()
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    _Writer(db, inforce.agreement, inforce.version, ids, teams, leads, seed).write()
    db.execute("ANALYZE")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


class _Writer:
    """The generated rows, written chunk by chunk of leads, straight into the tables."""

    def __init__(
        self,
        db: sqlite3.Connection,
        agreement: Agreement,
        version: int,
        reps: dict[str, int],
        teams: dict[str, int],
        leads: int,
        seed: int,
    ) -> None:
        self.db = db
        self.agreement = agreement
        self.version = version
        self.leads = leads
        self.rng = np.random.default_rng(seed)
        self.rule = agreement.qualified
        self.half_life = float(agreement.half_life_days or 30) * DAY_SECONDS
        self.team_reps = {name: [reps[r] for r in names] for name, names in TEAMS.items()}
        self.teams = teams
        self.fits: dict[tuple[Any, ...], tuple[float, str, list[tuple[str, float]]]] = {}
        self.event_seq = 0
        self.accounts = max(leads // 3, 1)
        everyone = [r for rs in self.team_reps.values() for r in rs]
        n = self.accounts
        self.industry = self.rng.integers(0, len(INDUSTRIES), n)
        self.employees = self.rng.integers(0, len(EMPLOYEES), n)
        self.country = self.rng.integers(0, len(COUNTRIES), n)
        owned = self.rng.random(n) < 0.03
        self.owner = np.where(owned, self.rng.choice(everyone, n), 0)

    def write(self) -> None:
        self.db.executemany(
            "INSERT INTO accounts (id, domain, name, industry, employees, country, owner_id, name_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    a + 1,
                    f"acct{a}.example",
                    f"Account {a} Inc",
                    INDUSTRIES[self.industry[a]],
                    EMPLOYEES[self.employees[a]],
                    COUNTRIES[self.country[a]],
                    int(self.owner[a]) or None,
                    company_key(f"Account {a} Inc"),
                )
                for a in range(self.accounts)
            ),
        )
        self.db.commit()
        for start in range(0, self.leads, CHUNK):
            self._chunk(start, min(start + CHUNK, self.leads))
            self.db.commit()

    def _fit(self, title: str | None, free: bool, account: int | None, budget: str | None) -> tuple[Any, ...]:
        firm = (-1, -1) if account is None else (int(self.industry[account]), int(self.employees[account]))
        key = (title, free, *firm, budget)
        if key not in self.fits:
            facts: dict[str, Any] = {"title": title, "email": f"x@{FREE[0] if free else 'acct.example'}"}
            if account is not None:
                facts["account.industry"] = INDUSTRIES[self.industry[account]]
                facts["account.employees"] = EMPLOYEES[self.employees[account]]
            facts["answers.budget"] = budget
            points = fit_points(self.agreement, facts)
            fit = sum(points.values())
            self.fits[key] = (fit, self.agreement.grade_for(fit), sorted(points.items()))
        return self.fits[key]

    def _chunk(self, lo: int, hi: int) -> None:
        rng = self.rng
        n = hi - lo
        free = rng.random(n) < 0.3
        account = rng.integers(0, self.accounts, n)
        free_domain = rng.integers(0, len(FREE), n)
        level = rng.integers(0, len(LEVELS), n)
        function = rng.integers(0, len(FUNCTIONS), n)
        no_title = rng.random(n) < 0.08
        answered = rng.random(n) < 0.2
        budget = rng.choice(np.array(["yes", "no", "unknown"]), n)
        source = rng.integers(0, len(SOURCES), n)
        created = NOW - rng.integers(30 * DAY_SECONDS, HISTORY, n)
        history = rng.poisson(3.0, n)
        last = NOW - (rng.exponential(25 * DAY_SECONDS, n).astype(np.int64) + 3600)
        kinds = list(PAST)
        weights = np.array(list(PAST.values()), dtype=float)
        fate = rng.random(n)
        leads: list[tuple[Any, ...]] = []
        fields: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        ledger: list[tuple[Any, ...]] = []
        changes: list[tuple[Any, ...]] = []
        assignments: list[tuple[Any, ...]] = []
        for i in range(n):
            lead_id = lo + i + 1
            acct = None if free[i] else int(account[i])
            title = None if no_title[i] else f"{LEVELS[level[i]]} {FUNCTIONS[function[i]]}".strip()
            answer = str(budget[i]) if answered[i] else None
            fit, grade, rules = self._fit(title, bool(free[i]), acct, answer)
            born = int(created[i])
            domain = FREE[free_domain[i]] if free[i] else f"acct{acct}.example"
            for rule_id, points in rules:
                ledger.append((lead_id, born, "fit", rule_id, points, self.version))
            if answer is not None:
                fields.append((lead_id, "answers.budget", answer))
            # history: one event a day, at most, walking back from the last one
            value, anchor, latest = 0.0, 0, born if rules else 0
            qualified_at = None
            count = int(history[i])
            moments = sorted(int(last[i]) - d * 2 * DAY_SECONDS - int(rng.integers(0, 40_000)) for d in range(count))
            chosen: list[int] = rng.choice(len(kinds), count, p=weights / weights.sum()).tolist() if count else []
            for at, k in zip(moments, chosen, strict=True):
                if at <= born:
                    continue
                kind = kinds[int(k)]
                self.event_seq += 1
                event_id = f"h{self.event_seq:09d}"
                rule = self.agreement.events.get(kind)
                events.append((event_id, lead_id, kind, at, rule is not None))
                if rule is None:
                    continue
                decayed = value * math.exp(-math.log(2) * (at - anchor) / self.half_life) if anchor else 0.0
                value, anchor, latest = decayed + rule.points, at, max(latest, at)
                ledger.append((lead_id, at, "event", event_id, rule.points, self.version))
                if qualified_at is None and grade in self.rule.grades and fit + value >= self.rule.score_at_least:
                    qualified_at = at
            stage, owner = "inquiry", None
            created_at = _text(born)
            changes.append((lead_id, None, "inquiry", created_at, None, self.version, None))
            cooldown = qualified_from = None
            if qualified_at is not None:
                team_name = "emea" if acct is not None and COUNTRIES[self.country[acct]] in EMEA else "americas"
                rep = (int(self.owner[acct]) if acct is not None else 0) or int(rng.choice(self.team_reps[team_name]))
                assigned = _text(qualified_at)
                changes.append((lead_id, "inquiry", "mql", assigned, None, self.version, None))
                row = [lead_id, rep, self.teams[team_name], self.version, assigned]
                row += [_text(qualified_at + 4 * 3600), _text(qualified_at + DAY_SECONDS)]
                qualified_from = "inquiry"
                if fate[i] < 0.5:  # with sales, not accepted yet
                    stage, owner = "mql", rep
                    assignments.append((*row, None, None, None))
                elif fate[i] < 0.8:  # accepted
                    stage, owner = "sal", rep
                    accepted = _text(qualified_at + 3600)
                    changes.append((lead_id, "mql", "sal", accepted, rep, self.version, None))
                    assignments.append((*row, accepted, None, None))
                else:  # rejected: back to marketing, requalifies after its cooldown
                    stage = "recycled"
                    rejected = _text(qualified_at + 7200)
                    changes.append((lead_id, "mql", "recycled", rejected, rep, self.version, "not_ready"))
                    assignments.append((*row, None, rejected, "rejected"))
                    cooldown = qualified_at + 60 * DAY_SECONDS
            leads.append(
                (
                    lead_id,
                    f"user{lead_id}@{domain}",
                    f"First{lead_id}",
                    "Example",
                    title,
                    None if acct is None else f"Account {acct} Inc",
                    None if acct is None else INDUSTRIES[self.industry[acct]],
                    None if acct is None else EMPLOYEES[self.employees[acct]],
                    None if acct is None else COUNTRIES[self.country[acct]],
                    SOURCES[source[i]],
                    None if acct is None else acct + 1,
                    created_at,
                    stage,
                    owner,
                    fit,
                    value,
                    anchor,
                    latest,
                    grade,
                    qualified_at if stage in ("mql", "sal") else None,
                    qualified_from,
                    cooldown,
                )
            )
        db = self.db
        columns = "id, email, first_name, last_name, title, company, industry, employees, country, source, account_id,"
        columns += " created_at, stage, owner_id, fit, engagement, engagement_at, latest_at, grade, qualified_at,"
        columns += " qualified_from, cooldown_until"
        db.executemany(f"INSERT INTO leads ({columns}) VALUES ({', '.join('?' * 22)})", leads)
        db.executemany("INSERT INTO lead_fields (lead_id, name, value) VALUES (?, ?, ?)", fields)
        db.executemany(
            "INSERT INTO events (event_id, lead_id, type, occurred_at, counted) VALUES (?, ?, ?, ?, ?)", events
        )
        db.executemany(
            "INSERT INTO score_ledger (lead_id, at, kind, item, points, version) VALUES (?, ?, ?, ?, ?, ?)", ledger
        )
        db.executemany(
            "INSERT INTO stage_changes (lead_id, from_stage, to_stage, at, by_user_id, version, reason)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            changes,
        )
        db.executemany(
            "INSERT INTO assignments (lead_id, user_id, team_id, version, assigned_at, accept_due, contact_due,"
            " accepted_at, ended_at, end_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            assignments,
        )


def _text(seconds: int) -> str:
    """A moment as the store keeps a UTC datetime (naive, to the second)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def size_of(engine: Engine, path: Path | None) -> Size:
    agreement = _inforce(engine).agreement
    rule = agreement.qualified
    with engine.connect() as c:

        def count(table: str) -> int:
            return int(c.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())

        stages = {str(k): int(v) for k, v in c.execute(text("SELECT stage, count(*) FROM leads GROUP BY stage"))}
        scores = c.execute(
            text("SELECT fit, engagement, engagement_at FROM leads WHERE stage = 'inquiry' AND grade IN ('A', 'B')")
        )
        near = sum(
            1
            for fit, value, anchor in scores
            if rule.score_at_least - 30
            <= fit + value * math.exp(-math.log(2) * (NOW - anchor) / (30 * DAY_SECONDS))
            < rule.score_at_least
        )
        return Size(
            count("leads"),
            count("accounts"),
            count("events"),
            count("score_ledger"),
            count("stage_changes"),
            count("assignments"),
            count("lead_fields"),
            stages,
            near,
            path.stat().st_size / 1e6 if path else _pg_megabytes(c),
        )


def _pg_megabytes(c: Any) -> float:
    return float(c.execute(text("SELECT pg_database_size(current_database())")).scalar_one()) / 1e6


def _inforce(engine: Engine) -> agreements.InForce:
    with UnitOfWork(engine) as uow:
        return agreements.in_force(uow)


# --- PostgreSQL: the same rows copied over -----------------------------------------------------------------

COPIED = ("accounts", "leads", "lead_fields", "events", "score_ledger", "stage_changes", "assignments")


def to_postgres(source: Path, url: str) -> Engine:
    """A fresh database at ``url`` holding what the SQLite store holds."""
    name = make_url(url).database
    admin = connect(make_url(url).set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = connect(url)
    migrate(engine)
    lite = sqlite3.connect(source)
    with engine.begin() as c:
        raw: Any = c.connection.dbapi_connection
        cursor = raw.cursor()
        for table in ("agreement_versions", "teams", "users"):  # what the services wrote, ids and all
            columns = [row[1] for row in lite.execute(f"PRAGMA table_info({table})")]
            if table == "teams":
                cursor.execute("ALTER TABLE teams DISABLE TRIGGER ALL")
            _copy(cursor, lite, table, columns)
        cursor.execute("ALTER TABLE teams ENABLE TRIGGER ALL")
        for table in COPIED:
            columns = [row[1] for row in lite.execute(f"PRAGMA table_info({table})")]
            _copy(cursor, lite, table, columns)
        for table in ("teams", "users", *COPIED):
            if "id" in [row[1] for row in lite.execute(f"PRAGMA table_info({table})")]:
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    lite.close()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE"))
    return engine


def _copy(cursor: Any, lite: sqlite3.Connection, table: str, columns: Sequence[str]) -> None:
    booleans = {"counted", "available"}
    flags = [n for n, c in enumerate(columns) if c in booleans]
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in lite.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid"):
            if flags:
                row = list(row)
                for n in flags:
                    row[n] = None if row[n] is None else bool(row[n])
            copy.write_row(row)


def drop_postgres(engine: Engine, url: str) -> None:
    engine.dispose()
    name = make_url(url).database
    admin = connect(make_url(url).set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# --- the measurements --------------------------------------------------------------------------------------


@dataclass
class Outcomes:
    times: list[float]
    stage_changes: int = 0
    assignments: int = 0
    handoff_times: list[float] | None = None
    duplicates: int = 0
    counted: int = 0


def feed(engine: Engine, count: int, leads: int, seed: int) -> list[intake.EventInput]:
    """``count`` events on random leads, the feed's types, times rising; 1 % sent again."""
    rng = random.Random(seed)
    ids = [rng.randint(1, leads) for _ in range(count)]
    emails: dict[int, str] = {}
    with engine.connect() as c:
        for start in range(0, len(ids), 1000):
            chunk = sorted(set(ids[start : start + 1000]))
            query = text(f"SELECT id, email FROM leads WHERE id IN ({', '.join(map(str, chunk))})")
            emails.update((int(i), str(e)) for i, e in c.execute(query))
    kinds = rng.choices(list(FEED), list(FEED.values()), k=count)
    out: list[intake.EventInput] = []
    for n, (lead_id, kind) in enumerate(zip(ids, kinds, strict=True)):
        if out and rng.random() < 0.01:
            out.append(rng.choice(out))
            continue
        at = AT + timedelta(seconds=2 * n - rng.randint(0, 30))
        out.append(intake.EventInput(f"live-{seed}-{n}", emails[lead_id], kind, at))
    return out


def online(engine: Engine, secret: str, events: Sequence[intake.EventInput], start: int) -> Outcomes:
    """Each event in a transaction of its own, as the recorder records a lone event; timed from the unit of work's
    start to its commit. Stage and owner are read apart, outside the timing."""
    clock = FixedClock(AT)
    result = Outcomes([], handoff_times=[])
    assert result.handoff_times is not None
    for n, event in enumerate(events):
        clock.at = AT + timedelta(seconds=2 * (start + n))
        before = _stage_owner(engine, event.email)
        started = time.perf_counter()
        with UnitOfWork(engine) as uow:
            uow.serialize_writes()
            auth.token_principal(uow, secret).require(Action.CAPTURE)
            (fate,) = record_all(uow, clock, agreements.in_force(uow), [event])
        elapsed = time.perf_counter() - started
        result.times.append(elapsed)
        assert isinstance(fate, Recorded), fate
        result.duplicates += fate.outcome == "duplicate"
        result.counted += fate.outcome == "counted"
        after = _stage_owner(engine, event.email)
        if after[0] != before[0]:
            result.stage_changes += 1
            result.handoff_times.append(elapsed)
        result.assignments += after[1] is not None and after[1] != before[1]
    return result


def _stage_owner(engine: Engine, email: str) -> tuple[str, int | None]:
    with engine.connect() as c:
        row = c.execute(text("SELECT stage, owner_id FROM leads WHERE email = :e"), {"e": email}).one()
        return str(row[0]), row[1]


def baseline(engine: Engine, count: int, leads: int, seed: int, round_: int) -> Outcomes:
    """Transactions that each insert one event row and commit: the floor a single event pays on this store."""
    rng = random.Random(seed)
    table = Event.__table__
    assert isinstance(table, Table)
    result = Outcomes([])
    for n in range(count):
        row = {
            "event_id": f"bare-{seed}-{round_}-{n}",
            "lead_id": rng.randint(1, leads),
            "type": "email_open",
            "occurred_at": NOW + n,
            "counted": False,
        }
        started = time.perf_counter()
        with engine.begin() as c:
            c.execute(insert(table), row)
        result.times.append(time.perf_counter() - started)
    return result


def percentile(times: Sequence[float], p: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


@dataclass
class Run:
    engine: str
    size: Size
    online: Outcomes
    baseline: Outcomes
    rounds: int

    def line(self, name: str, times: Sequence[float]) -> str:
        ms = [1000 * t for t in times]
        return (
            f"{name}: p50 {percentile(ms, 50):.2f} ms, p95 {percentile(ms, 95):.2f} ms,"
            f" p99 {percentile(ms, 99):.2f} ms, mean {statistics.fmean(ms):.2f} ms, max {max(ms):.1f} ms"
            f" ({len(ms):,} transactions)"
        )

    @property
    def ratio(self) -> float:
        return percentile(self.online.times, 95) / percentile(self.baseline.times, 95)


def measure(engine: Engine, label: str, path: Path | None, events: int, rounds: int, seed: int) -> Run:
    size = size_of(engine, path)
    print(
        f"{label}: {size.leads:,} leads, {size.accounts:,} accounts, {size.events:,} events, {size.ledger:,} ledger"
        f" rows, {size.stage_changes:,} stage changes, {size.assignments:,} assignments, {size.lead_fields:,} lead"
        f" fields; stages {size.stages}; {size.near:,} inquiries within 30 points of the rule; {size.megabytes:,.0f} MB"
    )
    clock = FixedClock(AT)
    with UnitOfWork(engine) as uow:
        secret, _ = auth.create_token(uow, clock, f"feed {seed}", "marketing")
        for rep in TEAMS["emea"]:  # a cap never reached, but counted against at each hand-off to the team
            team.set_max_open(uow, clock, rep, CAP)
    sent = feed(engine, events + 100, size.leads, seed)
    warm, sent = sent[:100], sent[100:]
    online(engine, secret, warm, 0)
    baseline(engine, 100, size.leads, seed, -1)
    on, base = Outcomes([], handoff_times=[]), Outcomes([])
    per = math.ceil(len(sent) / rounds)
    for r in range(rounds):
        part = sent[r * per : (r + 1) * per]
        got = online(engine, secret, part, 100 + r * per)
        on.times += got.times
        assert on.handoff_times is not None
        assert got.handoff_times is not None
        on.handoff_times += got.handoff_times
        on.stage_changes += got.stage_changes
        on.assignments += got.assignments
        on.duplicates += got.duplicates
        on.counted += got.counted
        base.times += baseline(engine, len(part), size.leads, seed, r).times
    run = Run(label, size, on, base, rounds)
    print(run.line("  online path, one event a transaction", on.times))
    print(run.line("  baseline, one event row inserted a transaction", base.times))
    if on.handoff_times:
        print(run.line("  online path, the events that changed a stage", on.handoff_times))
    print(
        f"  {on.counted:,} counted, {on.duplicates:,} duplicates, {on.stage_changes:,} stage changes,"
        f" {on.assignments:,} assignments; ratio of p95s online / baseline {run.ratio:.1f}"
        f" (goal: online p95 <= 50 ms: {'met' if percentile(on.times, 95) <= 0.05 else 'NOT met'})"
    )
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3, help="rounds alternating the online path and the baseline")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", help="also measure on this PostgreSQL database (made afresh, dropped afterwards)")
    parser.add_argument("--write-docs", action="store_true", help="put the figures in docs/performance.md")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    store = cached_store(args.leads, args.seed)
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "online.db"
        shutil.copy(store, path)
        engine = connect(f"sqlite:///{path}")
        runs.append(measure(engine, "SQLite", path, args.events, args.rounds, args.seed))
        engine.dispose()
    if args.db:
        started = time.perf_counter()
        pg = to_postgres(store, args.db)
        print(f"copied into PostgreSQL in {time.perf_counter() - started:.0f} s")
        try:
            runs.append(measure(pg, "PostgreSQL", None, args.events, args.rounds, args.seed))
        finally:
            drop_postgres(pg, args.db)
    if args.write_docs:
        replace_section(SECTION, report(args, runs, load))


def report(args: argparse.Namespace, runs: Sequence[Run], load: float) -> str:
    first = runs[0].size
    command = f"`bench/online_path.py --leads {args.leads} --events {args.events}{' --db ...' if args.db else ''}`"
    lines = [
        SECTION,
        "",
        *_wrapped(
            f"{command}: {first.leads:,} leads at {first.accounts:,} accounts, {first.events:,} events,"
            f" {first.ledger:,} ledger rows, {first.stage_changes:,} stage changes, {first.assignments:,} assignments,"
            f" {first.lead_fields:,} lead fields ({_stages(first)}; {first.near:,} inquiries of grade A or B within"
            f" 30 points of the rule), {first.megabytes:,.0f} MB of SQLite; the example agreement, 9 reps in two teams"
            f" (the 3 of EMEA with a cap on open leads). {args.events:,} single events on random leads, each in a"
            " transaction of its own as the API's recorder records a lone event, timed from the unit of work's start"
            " to its commit, in this process; the baseline is as many transactions inserting one event row each,"
            f" alternating with them in {args.rounds} rounds. Measured 2026-12-03 on the 2-core machine, shared:"
            f" load average {load:.1f} when the run began."
        ),
        "",
        "| engine | transactions | p50 | p95 | p99 | slowest |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        for name, times in (
            ("baseline: one event row inserted", run.baseline.times),
            ("online path", run.online.times),
            ("online path, the events that changed a stage", run.online.handoff_times or []),
        ):
            ms = [1000 * t for t in times]
            lines.append(
                f"| {run.engine}: {name} | {len(ms):,} | {percentile(ms, 50):.1f} ms | {percentile(ms, 95):.1f} ms"
                f" | {percentile(ms, 99):.1f} ms | {max(ms):.0f} ms |"
            )
    lines.append("")
    goal = "; ".join(f"{run.engine} {1000 * percentile(run.online.times, 95):.1f} ms" for run in runs)
    lines += _wrapped(
        f"**Goal p95 ≤ 50 ms at a million leads: "
        f"{'met' if all(percentile(r.online.times, 95) <= 0.05 for r in runs) else 'not met'}** ({goal})."
        + "".join(
            f" {run.engine}: ratio of the p95s online / baseline {run.ratio:.1f}; {run.online.counted:,} events"
            f" counted, {run.online.duplicates:,} duplicates, {run.online.stage_changes:,} stage changes (each an"
            f" inquiry qualified and handed off), {run.online.assignments:,} assignments."
            for run in runs
        )
    )
    for paragraph in HOT_QUERIES:
        lines += ["", *_wrapped(paragraph)]
    return "\n".join([*lines, ""])


HOT_QUERIES = (
    "The hot queries, as a lone event runs them (captured and explained on both engines by"
    " `tests/integration/test_hot_query_plans.py`, which fails when one reads a whole large table): the token by its"
    " digest (unique index) with its user; the newest agreement version (its key); the lead by email (unique index),"
    " twice: the recorder's check that the email is known, then the survivor's id; the event id's dedupe check"
    " (unique index); the lead's score columns by id, locked; the lead's counted events of capped types"
    " (`ix_events_lead_type_at`: lead, then type); then the event row, its ledger row and the lead's new score"
    " written. An event that qualifies its lead adds the lead and its account by id, the stage change, the lead"
    " leaving nurture (`ix_nurture_enrolments_lead_id`), the outbox, the team by name and its reps, each capped"
    " rep's open leads (`ix_leads_owner_id_stage`), the assignment with its SLA clock, the round-robin credits. An"
    " event arriving late replays the lead: its counted events (`ix_events_lead_type_at`), its fit ledger rows"
    " (`ix_score_ledger_lead_id`), its open assignment (`ix_assignments_lead_id`), its last stage change"
    " (`ix_stage_changes_lead_id`).",
    "What was fixed: counting a capped rep's open leads went through `ix_leads_owner_id` to every lead the rep"
    " ever owned, reading each row for its stage (4,000 to 7,000 leads a rep here: 11 to 27 ms each, and a hand-off"
    " to EMEA counts three reps). Migration 0016 replaces that index by one on (owner_id, stage), from which SQLite"
    " counts without reading the table. Before it, in this benchmark on SQLite: the events that changed a stage"
    " p50 13.5 ms, p95 103.8 ms, slowest 499 ms; all events p95 8.3 ms. After it, in another run that day: p50"
    " 8.6 ms, p95 14.6 ms, slowest 35 ms; all events p95 4.0 ms. The machine is shared and the p95 of 80 hand-offs"
    " moves by a factor of three from run to run (14.6 to 49.5 ms in three runs after the fix).",
    "On PostgreSQL every statement is a round trip (about 0.2 ms each, a dozen for an ordinary event) and each commit"
    " waits for the write-ahead log to reach the disk (about 2.4 ms at the median, the baseline's cost too); a"
    " profile of 800 events found no statement slower than its round trip but the count of a rep's open leads (an"
    " index-only scan, 1.2 ms at the median). The slowest transactions on both engines (a few in a thousand) were not"
    " traced to a statement; the machine was busy with other work throughout.",
)


def _wrapped(paragraph: str) -> list[str]:
    return textwrap.wrap(paragraph, width=116, break_on_hyphens=False, break_long_words=False)


def _stages(size: Size) -> str:
    return ", ".join(f"{v:,} {k}" for k, v in sorted(size.stages.items(), key=lambda kv: -kv[1]))


if __name__ == "__main__":
    main()
