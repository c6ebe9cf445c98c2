"""Benchmark: the full rescore as an Ibis expression against a hand-written SQL query, on SQLite and DuckDB.

Both compute every lead's fit, engagement, score and grade at one moment from the raw tables, exactly as the
online path would (fit rules judged in Python on each field's distinct values; events counted with daily
caps on the agreement's local days and ``once`` types; engagement halving every half-life). The Ibis side is
``analytics.rescore.scores``; the baseline is one SQL query written by hand for the example agreement, over
temporary tables of the judged values. Both times include that preparation. Prints the data size, the times
and the ratio baseline / Ibis (goal: at least 0.8), after checking that all four give the same numbers.

    .venv/bin/python bench/rescore.py --leads 100000 --events-per-lead 10 --write-docs
"""

from __future__ import annotations

import argparse
import math
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

from leadpact.analytics.engines import copy_to_duckdb
from leadpact.analytics.rescore import scores, utc_offsets
from leadpact.domain.agreement import Agreement
from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.conditions import holds
from leadpact.domain.fields import FREE_MAIL_DOMAINS
from leadpact.domain.scoring import DAY_SECONDS, LN2, EventFact, counted_events, decay
from leadpact.services import agreements
from leadpact.services.clock import FixedClock
from leadpact.services.rescore import RescoreReport, rescore
from leadpact.store.database import connect, migrate
from leadpact.store.unit_of_work import UnitOfWork

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "src" / "leadpact" / "examples" / "agreement.yaml"
DOCS = ROOT / "docs" / "performance.md"
SECTION = "## Full rescore"
START = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
SPAN = 2 * 365 * DAY_SECONDS  # two years: four daylight-saving changes in Chicago
AT = int(datetime(2027, 1, 15, tzinfo=UTC).timestamp())
MIX = {  # event type: relative frequency, as in a marketing-automation activity log
    "email_open": 30,
    "email_click": 15,
    "pricing_page_view": 12,
    "whitepaper_download": 8,
    "webinar_registered": 5,
    "webinar_attended": 3,
    "form_submit": 5,
    "tradeshow_booth_visit": 2,
    "contact_form": 1,
    "demo_request": 0.5,
    "unsubscribe": 1.5,
    "page_view": 10,  # not in the agreement
}
LEVELS = ("", "VP", "Vice President", "Head of", "Director of", "Senior", "Chief", "Manager,", "Student", "Intern")
FUNCTIONS = ("Sales", "Marketing", "Operations", "Engineering", "IT", "Supply Chain", "Finance")
INDUSTRIES = ("manufacturing", "Logistics", "automotive", "retail", "healthcare", "energy", "software", "banking")
COUNTRIES = ("US", "US", "US", "CA", "DE", "GB", "FR", "NL")
FREE = sorted(FREE_MAIL_DOMAINS)[:12]


# --- data --------------------------------------------------------------------------------------------------


def generate(path: Path, leads: int, per_lead: int, seed: int) -> int:
    """A freshly migrated SQLite file with ``leads`` leads, a third as many accounts, and their events."""
    engine = connect(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    rng = np.random.default_rng(seed)
    accounts = max(leads // 3, 1)
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    with db:
        industry = rng.integers(0, len(INDUSTRIES), accounts)
        employees = np.minimum(rng.lognormal(5.5, 1.6, accounts).astype(np.int64) + 1, 100_000)
        country = rng.integers(0, len(COUNTRIES), accounts)
        db.executemany(
            "INSERT INTO accounts (id, domain, name, industry, employees, country) VALUES (?, ?, ?, ?, ?, ?)",
            (
                (a + 1, f"acct{a}.example", f"Account {a}", INDUSTRIES[i], int(e), COUNTRIES[c])
                for a, (i, e, c) in enumerate(zip(industry, employees, country, strict=True))
            ),
        )
        account = rng.integers(0, accounts, leads)
        free = rng.random(leads) < 0.3
        free_domain = rng.integers(0, len(FREE), leads)
        level = rng.integers(0, len(LEVELS), leads)
        function = rng.integers(0, len(FUNCTIONS), leads)
        no_title = rng.random(leads) < 0.1
        db.executemany(
            "INSERT INTO leads (id, email, title, industry, employees, country, account_id, created_at, stage, fit,"
            " engagement, engagement_at, latest_at) VALUES (?, ?, ?, ?, ?, ?, ?, '2025-01-01 00:00:00', 'inquiry',"
            " 0, 0, 0, 0)",
            (
                (
                    n + 1,
                    f"user{n}@{FREE[free_domain[n]] if free[n] else f'acct{account[n]}.example'}",
                    None if no_title[n] else f"{LEVELS[level[n]]} {FUNCTIONS[function[n]]}".strip(),
                    None if free[n] else INDUSTRIES[industry[account[n]]],
                    None if free[n] else int(employees[account[n]]),
                    None if free[n] else COUNTRIES[country[account[n]]],
                    None if free[n] else int(account[n]) + 1,
                )
                for n in range(leads)
            ),
        )
        answered = np.flatnonzero(rng.random(leads) < 0.3)
        answers = rng.choice(np.array(["yes", "no", "unknown"]), answered.size)
        db.executemany(
            "INSERT INTO lead_fields (lead_id, name, value) VALUES (?, 'answers.budget', ?)",
            ((int(n) + 1, str(a)) for n, a in zip(answered, answers, strict=True)),
        )
        count = leads * per_lead
        owner = rng.integers(0, leads, count)
        # Each lead is active for a couple of months somewhere in the two years, so daily caps bite.
        active_from = rng.integers(START, START + SPAN - 60 * DAY_SECONDS, leads)
        moment = active_from[owner] + rng.exponential(15 * DAY_SECONDS, count).astype(np.int64) % (60 * DAY_SECONDS)
        names = np.array(list(MIX))
        weights = np.array(list(MIX.values()))
        kind = rng.choice(names, count, p=weights / weights.sum())
        db.executemany(
            "INSERT INTO events (event_id, lead_id, type, occurred_at, counted) VALUES (?, ?, ?, ?, 0)",
            (
                (f"e{i:09d}", o + 1, k, m)
                for i, (o, k, m) in enumerate(zip(owner.tolist(), kind.tolist(), moment.tolist(), strict=True))
            ),
        )
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return count


# --- the hand-written baseline -----------------------------------------------------------------------------

FIT_TABLES = {  # temporary table: (type of the values, the distinct values of the field, the rules judged on it)
    "m_title": ("TEXT", "SELECT DISTINCT title FROM leads", ("senior-title", "manager-title", "student")),
    "m_employees": ("INTEGER", "SELECT DISTINCT employees FROM accounts", ("target-size",)),
    "m_industry": ("TEXT", "SELECT DISTINCT industry FROM accounts", ("target-industry", "adjacent-industry")),
    "m_email": ("TEXT", "SELECT DISTINCT email FROM leads", ("free-mail",)),
    "m_budget": ("TEXT", "SELECT DISTINCT value FROM lead_fields WHERE name = 'answers.budget'", ("has-budget",)),
}

BASELINE = """
WITH fit AS (
    SELECT l.id AS lead_id,
           COALESCE(t.senior_title, 0) + COALESCE(t.manager_title, 0) + COALESCE(s.target_size, 0)
           + COALESCE(i.target_industry, 0) + COALESCE(i.adjacent_industry, 0) + COALESCE(m.free_mail, 0)
           + COALESCE(t.student, 0) + COALESCE(b.has_budget, 0) AS fit
    FROM leads l
    LEFT JOIN accounts a ON a.id = l.account_id
    LEFT JOIN lead_fields f ON f.lead_id = l.id AND f.name = 'answers.budget'
    LEFT JOIN m_title t ON t.value = l.title
    LEFT JOIN m_employees s ON s.value = a.employees
    LEFT JOIN m_industry i ON i.value = a.industry
    LEFT JOIN m_email m ON m.value = l.email
    LEFT JOIN m_budget b ON b.value = f.value
),
ranked AS (
    SELECT e.lead_id, e.occurred_at, r.points, r.cap,
           ROW_NUMBER() OVER (
               PARTITION BY e.lead_id, e.type,
                   CASE WHEN r.daily = 1
                        THEN CAST(FLOOR((e.occurred_at + {offset}) / 86400.0) AS BIGINT) ELSE 0 END
               ORDER BY e.occurred_at, e.event_id
           ) AS rn
    FROM events e JOIN event_rules r ON r.type = e.type
),
engaged AS (
    SELECT lead_id, SUM(points * EXP(CAST(? - occurred_at AS DOUBLE) * {minus_ln2} / {half_life})) AS engagement
    FROM ranked
    WHERE (cap IS NULL OR rn <= cap) AND occurred_at <= ?
    GROUP BY lead_id
)
SELECT f.lead_id, f.fit, COALESCE(g.engagement, 0.0) AS engagement, f.fit + COALESCE(g.engagement, 0.0) AS score,
       CASE WHEN f.fit >= 45 THEN 'A' WHEN f.fit >= 30 THEN 'B' WHEN f.fit >= 15 THEN 'C' ELSE 'D' END AS grade
FROM fit f LEFT JOIN engaged g ON g.lead_id = f.lead_id
"""


def _column(rule_id: str) -> str:
    return re.sub(r"\W", "_", rule_id)


def baseline_sql(agreement: Agreement, lo: int, hi: int) -> str:
    offsets = utc_offsets(agreement.timezone, lo, hi)
    branches = " ".join(
        f"WHEN e.occurred_at < {start} THEN {offsets[i][1]}" for i, (start, _) in enumerate(offsets[1:])
    )
    assert agreement.half_life_days is not None
    return BASELINE.format(
        offset=f"CASE {branches} ELSE {offsets[-1][1]} END",
        minus_ln2=repr(-LN2),
        half_life=repr(agreement.half_life_days * DAY_SECONDS),
    )


def judged_rows(agreement: Agreement, values: Iterable[Any], rule_ids: Sequence[str]) -> list[tuple[Any, ...]]:
    """Each distinct value with, per rule, its points where the rule holds (null elsewhere); only matches."""
    rules = [next(r for r in agreement.fit_rules if r.id == rule_id) for rule_id in rule_ids]
    out = []
    for value in values:
        if value is None:
            continue
        points = [r.points if holds(r.condition, value) else None for r in rules]
        if any(p is not None for p in points):
            out.append((value, *points))
    return out


def event_rules(agreement: Agreement) -> list[tuple[str, float, int | None, int]]:
    return [
        (t, r.points, 1 if r.once else r.max_per_day, int(not r.once and r.max_per_day is not None))
        for t, r in agreement.events.items()
    ]


def baseline_sqlite(path: Path, agreement: Agreement, at: int) -> dict[int, tuple[float, float, float, str]]:
    db = sqlite3.connect(path)  # FLOOR and EXP need a SQLite built with its math functions, as Debian's is
    try:
        for table, (kind, query, rule_ids) in FIT_TABLES.items():
            values = [row[0] for row in db.execute(query)]
            columns = ", ".join(f"{_column(r)} DOUBLE" for r in rule_ids)
            db.execute(f"CREATE TEMP TABLE {table} (value {kind} PRIMARY KEY, {columns})")
            marks = ", ".join("?" * (len(rule_ids) + 1))
            db.executemany(f"INSERT INTO {table} VALUES ({marks})", judged_rows(agreement, values, rule_ids))
        db.execute("CREATE TEMP TABLE event_rules (type TEXT PRIMARY KEY, points DOUBLE, cap INTEGER, daily INTEGER)")
        db.executemany("INSERT INTO event_rules VALUES (?, ?, ?, ?)", event_rules(agreement))
        lo, hi = db.execute("SELECT MIN(occurred_at), MAX(occurred_at) FROM events").fetchone()
        rows = db.execute(baseline_sql(agreement, lo, hi), (at, at)).fetchall()
    finally:
        db.close()
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def baseline_duckdb(duck: Any, agreement: Agreement, at: int) -> dict[int, tuple[float, float, float, str]]:
    raw = duck.con.cursor()
    try:
        for table, (_, query, rule_ids) in FIT_TABLES.items():
            values = [row[0] for row in raw.execute(query).fetchall()]
            rows = judged_rows(agreement, values, rule_ids)
            names = ["value", *(_column(r) for r in rule_ids)]
            arrow = pa.table({n: [row[k] for row in rows] for k, n in enumerate(names)})
            raw.register(f"{table}_arrow", arrow)
            raw.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {table}_arrow")
        rules = event_rules(agreement)
        arrow = pa.table({n: [r[k] for r in rules] for k, n in enumerate(("type", "points", "cap", "daily"))})
        raw.register("event_rules_arrow", arrow)
        raw.execute("CREATE OR REPLACE TEMP TABLE event_rules AS SELECT * FROM event_rules_arrow")
        lo, hi = raw.execute("SELECT MIN(occurred_at), MAX(occurred_at) FROM events").fetchone()
        result = raw.execute(baseline_sql(agreement, lo, hi), [at, at]).fetchall()
    finally:
        raw.close()
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in result}


def with_ibis(con: Any, agreement: Agreement, at: int) -> dict[int, tuple[float, float, float, str]]:
    rows = scores(con, agreement, at).to_pyarrow().to_pylist()
    return {r["lead_id"]: (r["fit"], r["engagement"], r["score"], r["grade"]) for r in rows}


# --- checks ------------------------------------------------------------------------------------------------

Scores = dict[int, tuple[float, float, float, str]]


def assert_same(name: str, a: Scores, b: Scores) -> None:
    assert a.keys() == b.keys(), f"{name}: different leads"
    for lead, x in a.items():
        y = b[lead]
        assert x[3] == y[3], f"{name}: lead {lead} grade {x[3]} != {y[3]}"
        for u, v in zip(x[:3], y[:3], strict=True):
            assert math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-9), f"{name}: lead {lead} {x} != {y}"


def assert_domain_agrees(path: Path, agreement: Agreement, result: Scores, sample: int) -> None:
    """A sample of leads scored by the domain's own functions, row by row, as a check independent of SQL."""
    db = sqlite3.connect(path)
    try:
        for (lead,) in db.execute("SELECT id FROM leads ORDER BY (id * 7919) % 104729 LIMIT ?", (sample,)):
            facts = dict(
                zip(
                    ("title", "email", "account.employees", "account.industry"),
                    db.execute(
                        "SELECT l.title, l.email, a.employees, a.industry FROM leads l"
                        " LEFT JOIN accounts a ON a.id = l.account_id WHERE l.id = ?",
                        (lead,),
                    ).fetchone(),
                    strict=True,
                )
            )
            budget = db.execute(
                "SELECT value FROM lead_fields WHERE lead_id = ? AND name = 'answers.budget'", (lead,)
            ).fetchone()
            facts["answers.budget"] = budget[0] if budget else None
            fit = sum(r.points for r in agreement.fit_rules if holds(r.condition, facts.get(r.condition.field)))
            events = [
                EventFact(at, event_id, kind)
                for event_id, kind, at in db.execute(
                    "SELECT event_id, type, occurred_at FROM events WHERE lead_id = ?", (lead,)
                )
            ]
            engagement = sum(
                decay(agreement.events[e.type].points, AT - e.at, agreement.half_life_days)
                for e in counted_events(agreement, events)
                if e.at <= AT
            )
            got = result[lead]
            assert math.isclose(got[0], fit, abs_tol=1e-9), (lead, got, fit)
            assert math.isclose(got[1], engagement, rel_tol=1e-9, abs_tol=1e-9), (lead, got, engagement)
    finally:
        db.close()


# --- timing ------------------------------------------------------------------------------------------------


def timed(run: Callable[[], Scores], repeat: int) -> tuple[float, Scores]:
    """The median wall time of ``repeat`` runs, and the last result."""
    times, result = [], {}
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def write_docs(text: str) -> None:
    """Replace this benchmark's section of docs/performance.md, leaving the other sections as they are."""
    current = DOCS.read_text() if DOCS.exists() else "# Performance\n"
    start = current.find(SECTION)
    if start < 0:
        updated = current.rstrip("\n") + "\n\n" + text
    else:
        end = current.find("\n## ", start + len(SECTION))
        updated = current[:start] + text + (current[end + 1 :] if end >= 0 else "")
    DOCS.write_text(updated)


def measure_service(path: Path) -> list[tuple[str, RescoreReport]]:
    """``services.rescore`` on the generated store: once to write everything, then twice with nothing to do."""
    engine = connect(f"sqlite:///{path}")
    clock = FixedClock(datetime.fromtimestamp(AT, UTC))
    with UnitOfWork(engine) as uow:
        agreements.adopt(uow, clock, EXAMPLE.read_text(), "agreement.yaml", "Dana Lee", "Sam Ortiz")
    with UnitOfWork(engine) as uow:
        inforce = agreements.in_force(uow)
    runs = []
    for label, engine_name in (
        ("first rescore (the generated store has no ledger)", "app"),
        ("rescore with nothing to change", "app"),
        ("rescore with nothing to change", "duckdb"),
    ):
        with UnitOfWork(engine) as uow:
            runs.append((label, rescore(uow, clock, inforce, engine_name)))
    engine.dispose()
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--events-per-lead", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the median counts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--service", action="store_true", help="also time services.rescore on the same store")
    parser.add_argument("--write-docs", action="store_true", help=f"put the figures in {DOCS.relative_to(ROOT)}")
    args = parser.parse_args()
    agreement = parse_agreement(EXAMPLE.read_text(), str(EXAMPLE))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bench.db"
        started = time.perf_counter()
        events = generate(path, args.leads, args.events_per_lead, args.seed)
        print(f"data: {args.leads:,} leads, {events:,} events ({time.perf_counter() - started:.1f} s to generate)")

        lite = ibis.sqlite.connect(path)
        sqlite_ibis, by_ibis = timed(lambda: with_ibis(lite, agreement, AT), args.repeat)
        sqlite_hand, by_hand = timed(lambda: baseline_sqlite(path, agreement, AT), args.repeat)
        assert_same("sqlite: ibis vs hand-written", by_ibis, by_hand)
        duck = copy_to_duckdb(lite)
        lite.disconnect()
        duck_ibis, by_duck_ibis = timed(lambda: with_ibis(duck, agreement, AT), args.repeat)
        duck_hand, by_duck_hand = timed(lambda: baseline_duckdb(duck, agreement, AT), args.repeat)
        duck.disconnect()
        assert_same("duckdb: ibis vs hand-written", by_duck_ibis, by_duck_hand)
        assert_same("ibis: sqlite vs duckdb", by_ibis, by_duck_ibis)
        assert_domain_agrees(path, agreement, by_ibis, sample=500)
        rows = [("SQLite", sqlite_hand, sqlite_ibis), ("DuckDB (in memory)", duck_hand, duck_ibis)]
        for name, hand, with_ibis_ in rows:
            print(f"{name}: hand-written SQL {hand:.2f} s, Ibis {with_ibis_:.2f} s, ratio {hand / with_ibis_:.2f}")
        service = measure_service(path) if args.service else []
        for label, run in service:
            print(
                f"services.rescore, {label}, on {run.engine}: {run.seconds:.1f} s"
                f" ({run.ledger_rows:,} ledger rows, {run.verdicts_changed:,} verdicts, {run.leads_changed:,} leads)"
            )
    if args.write_docs:
        write_docs(report(args, events, rows, service))


def report(
    args: argparse.Namespace,
    events: int,
    rows: Sequence[tuple[str, float, float]],
    service: Sequence[tuple[str, RescoreReport]],
) -> str:
    lines = [
        SECTION,
        "",
        "This benchmark generates its own store (two years, so four daylight-saving changes; 30 % free mail; event",
        "types the agreement does not know) to stress the rules the batch must reproduce.",
        "",
        f"`bench/rescore.py --leads {args.leads} --events-per-lead {args.events_per_lead}"
        f"{' --service' if service else ''}`: {args.leads:,} leads, {events:,} events (30 % of the leads on",
        "free mail, 10 % of the events of a type the agreement does not know), the example agreement;",
        f"measured {date.today().isoformat()} on a 2-core machine, the median of {args.repeat} runs each.",
        "",
        "Both sides compute every lead's fit, engagement, score and grade at one moment from the raw tables,",
        "including judging the fit rules in Python on each field's distinct values; their results are",
        "checked equal (to 1e-9) on both engines, and a sample of leads against the domain functions.",
        "The DuckDB figures exclude copying the tables from SQLite into DuckDB.",
        "",
        "| engine | hand-written SQL | Ibis expression | ratio hand / Ibis (goal ≥ 0.8) |",
        "|---|---|---|---|",
        *(f"| {name} | {hand:.2f} s | {ibis_:.2f} s | {hand / ibis_:.2f} |" for name, hand, ibis_ in rows),
        "",
    ]
    if service:
        lines += [
            "`services.rescore` on the same store, end to end (reading, diffing, writing; the DuckDB run",
            "includes copying the tables):",
            "",
            "| run | engine | time | ledger rows added | verdicts changed | leads changed |",
            "|---|---|---|---|---|---|",
            *(
                f"| {label} | {run.engine} | {run.seconds:.1f} s | {run.ledger_rows:,} | {run.verdicts_changed:,}"
                f" | {run.leads_changed:,} |"
                for label, run in service
            ),
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
