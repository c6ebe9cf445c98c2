"""The demo world: generated from a seed, run through the real services, told by the reports as of its year's end.

The reports' own numbers are checked against plain SQL on the demo world in tests/reports; here the facts only
the demo gives are checked against the stored history, and the reports it prints show a lively world.
"""

from __future__ import annotations

import csv
import inspect
import json
import mailbox
import random
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from typer.testing import CliRunner

from leadpact.cli import app
from leadpact.config import Settings
from leadpact.demo import nurture, store
from leadpact.demo.campaigns import plan_campaigns
from leadpact.demo.export import export_csv
from leadpact.demo.simulation import run_demo
from leadpact.demo.summary import DemoYear, story
from leadpact.demo.world import END, START, World
from leadpact.domain.report import Report, Row
from leadpact.domain.scoring import to_seconds
from leadpact.services import activity, agreements, dedupe, imports, intake, reports, store_clock, team
from leadpact.services.clock import FixedClock
from leadpact.store.database import connect, empty
from leadpact.store.tables import Assignment, Base, NurtureVersion, StageChange
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example

LEADPACT = Path(sys.executable).parent / "leadpact"
YEAR_END = datetime.combine(END, time(), UTC)
"""The demo year's last moment: midnight UTC after its last day."""


def scalar(engine: Engine, sql: str, **params: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql), params).scalar_one() or 0)


def grouped(engine: Engine, sql: str, **params: Any) -> dict[str, int]:
    with engine.connect() as connection:
        return {str(name): int(n) for name, n in connection.execute(text(sql), params)}


def money(engine: Engine, sql: str) -> float:
    with engine.connect() as connection:
        return float(connection.execute(text(sql)).scalar_one() or 0.0)


def column(engine: Engine, sql: str, **params: Any) -> set[str]:
    with engine.connect() as connection:
        return {str(value) for value in connection.execute(text(sql), params).scalars()}


def fresh_sqlite(template: Path, path: Path) -> Engine:
    shutil.copy(template, path)
    return connect(f"sqlite:///{path}")


def delivered(path: Path) -> list[mailbox.MaildirMessage]:
    return list(mailbox.Maildir(path, create=False))


@dataclass(frozen=True)
class Demo:
    """A demo world's database and the year run_demo described."""

    engine: Engine
    year: DemoYear

    def story(self) -> dict[str, Report]:
        """The reports the demo prints, by name."""
        with UnitOfWork(self.engine) as uow:
            return {report.name: report for report in story(uow, agreements.in_force(uow), self.year)}

    def report(self, name: str, **options: str) -> Report:
        """Any report as of the year's end, as the demo's hints run it."""
        with UnitOfWork(self.engine) as uow:
            return reports.run(uow, FixedClock(self.year.ended_at), agreements.in_force(uow), name, options)


def rows_by(report: Report) -> dict[str, Row]:
    return {str(row["group"]): row for row in report.rows}


@pytest.fixture(scope="module")
def large_world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Demo]:
    engine = fresh_sqlite(sqlite_template, tmp_path_factory.mktemp("large") / "leadpact.db")
    yield Demo(engine, run_demo(engine, leads=1200, seed=11))
    engine.dispose()


def test_a_small_demo_runs_the_whole_loop_and_describes_it_as_the_stored_history_shows(
    engine: Engine, tmp_path: Path
) -> None:
    mail = tmp_path / "mail"
    demo = Demo(engine, run_demo(engine, leads=300, seed=7, mail=nurture.delivering_to(mail, Settings())))
    year = demo.year
    assert (year.seed, year.first_day, year.last_day, year.ended_at) == (7, START, END - timedelta(days=1), YEAR_END)
    assert year.leads == scalar(engine, "SELECT COUNT(*) FROM leads") == 300
    assert year.accounts == scalar(engine, "SELECT COUNT(*) FROM accounts") > 0
    assert year.campaigns == scalar(engine, "SELECT COUNT(*) FROM campaigns") > 0
    # the world's events, each id once; the readers of the nurture emails add their own (below)
    assert year.events_recorded == scalar(engine, "SELECT COUNT(*) FROM events WHERE event_id LIKE 'evt-%'")
    assert year.events_recorded < year.events_sent
    assert 0 < year.late_events < year.events_sent
    assert year.threshold == 60  # the example agreement's qualification score
    with UnitOfWork(engine) as uow:  # nothing happens after the year's end: reports as of it see everything
        last = [uow.session.scalar(select(func.max(moment))) for moment in (StageChange.at, Assignment.assigned_at)]
    assert all(moment is not None and to_seconds(moment) <= to_seconds(YEAR_END) for moment in last)

    # the hints name the busiest rep (by open leads, or all leads when none is open), one of those leads, and
    # the customer of the biggest deal won
    still_open = scalar(engine, "SELECT COUNT(*) FROM assignments WHERE ended_at IS NULL") > 0
    held = "FROM assignments a JOIN users u ON u.id = a.user_id JOIN leads l ON l.id = a.lead_id WHERE " + (
        "a.ended_at IS NULL" if still_open else "1 = 1"
    )
    per_rep = grouped(engine, f"SELECT u.name, COUNT(*) {held} GROUP BY u.name")
    assert year.example_rep is not None
    assert per_rep[year.example_rep] == max(per_rep.values())
    assert year.example_lead in column(engine, f"SELECT l.email {held} AND u.name = :rep", rep=year.example_rep)
    biggest = column(
        engine,
        "SELECT l.email FROM opportunities o JOIN leads l ON l.id = o.lead_id "
        "WHERE o.won AND o.amount = (SELECT MAX(amount) FROM opportunities WHERE won)",
    )
    assert year.example_customer in biggest

    # the reports it prints, as of the year's end, show every part of the loop
    told = demo.story()
    assert list(told) == ["funnel", "costs", "sla", "reasons", "grades", "screening", "feedback", "value"]
    assert {report.scope["at"] for report in told.values()} == {"2026-11-21T00:00:00Z"}
    total = rows_by(told["funnel"])["all"]
    assert total["leads"] == 300
    assert total["mql"] > total["sal"] > total["sql"] > 0
    assert total["won"] > 0
    costs = rows_by(told["costs"])
    assert costs["outbound"]["leads"] > 0
    assert costs["outbound"]["cost"] is None  # sales' own prospects cost no campaign money: none, not zero
    assert costs["all"]["cost"] == pytest.approx(money(engine, "SELECT SUM(amount) FROM campaign_costs"))
    sla = rows_by(told["sla"])["all"]
    assert min(sla["accept_breaches"], sla["reassigned"], sla["never_contacted"]) > 0
    kinds = Counter(row["kind"] for row in told["reasons"].rows if row["group"] == "all")
    assert min(kinds["reject"], kinds["lost"]) > 0
    assert [row["group"] for row in told["grades"].rows] == ["A", "B", "C", "D"]
    screened = rows_by(told["screening"])  # the qualifiers called the webinar and trade-show inquiries first
    assert set(screened) == {"quinn", "rosa", "sami", "all"} | ({"(waiting)"} if "(waiting)" in screened else set())
    every = screened["all"]
    assert every["screened"] == scalar(engine, "SELECT COUNT(*) FROM screenings") > 0
    assert every["passed"] == scalar(engine, "SELECT COUNT(*) FROM screenings WHERE decision = 'pass'") > 0
    assert every["not_yet"] > 0
    assert every["called_in_sla"] < every["call_due"]  # a first call now and then beyond the four hours
    outcomes = column(engine, "SELECT DISTINCT outcome FROM screening_calls")
    assert outcomes == {"reached", "no_answer", "wrong_number"}
    screened_sources = column(engine, "SELECT DISTINCT l.source FROM screenings s JOIN leads l ON l.id = s.lead_id")
    assert screened_sources <= {"webinar", "trade_show"}
    heard = told["feedback"]  # reps note competitors, requests and the messages that opened the door
    met = "SELECT COUNT(*) FROM (SELECT DISTINCT competitor, lead_id FROM feedback WHERE moment = 'contact' AND "
    assert sum(row["contact"] for row in heard.rows) == scalar(engine, met + "competitor IS NOT NULL) AS m") > 0
    assert min(sum(row[k] for row in heard.rows) for k in ("lost", "won")) > 0
    assert sum(row["revenue"] for row in heard.sections[1].rows) > 0
    worth = rows_by(told["value"])["all"]
    assert worth["expected_value"] == pytest.approx(total["revenue"] / total["leads"])

    # nurture ran through the year: adopted by marketing on its first day, emails sent at nine on working days
    # into the Maildir, read by some of the people, each reaction an event of the agreement's
    with UnitOfWork(engine) as uow:
        adopted = [(v.adopted_by, v.adopted_at) for v in uow.session.scalars(select(NurtureVersion))]
    assert adopted == [("Maya Brooks", datetime.combine(START, time(), UTC))]
    nurtured = year.nurtured
    sent = scalar(engine, "SELECT COUNT(*) FROM nurture_messages WHERE outcome = 'sent'")
    assert nurtured.sent == sent == len(delivered(mail)) > 0
    assert nurtured.enrolled == scalar(engine, "SELECT COUNT(*) FROM nurture_enrolments") > 0
    assert {str(email["Message-ID"]) for email in delivered(mail)} == column(
        engine, "SELECT message_id FROM nurture_messages WHERE outcome = 'sent'"
    )
    assert sent == scalar(
        engine, "SELECT COUNT(*) FROM nurture_messages WHERE outcome = 'sent' AND sent_at IS NOT NULL"
    )
    reacted = grouped(engine, "SELECT type, COUNT(*) FROM events WHERE event_id NOT LIKE 'evt-%' GROUP BY type")
    assert set(reacted) <= {"email_open", "email_click", "unsubscribe"}
    assert reacted["email_open"] == nurtured.opened
    assert reacted["email_click"] == nurtured.clicked > 0
    assert reacted.get("unsubscribe", 0) == nurtured.unsubscribed
    assert 0.15 < nurtured.opened / sent < 0.4
    assert 0.01 < nurtured.clicked / sent < 0.08
    assert nurtured.unsubscribed / sent < 0.02
    scored = "SELECT COUNT(*) FROM score_ledger WHERE kind = 'event' AND item LIKE 'email_open:<%'"
    assert scalar(engine, scored) > 0  # the opens count under the agreement like any event
    assert nurtured.qualified == scalar(
        engine, "SELECT COUNT(*) FROM nurture_enrolments WHERE end_reason = 'qualified' AND sent_step > 0"
    )


def test_the_same_seed_gives_the_same_reports_and_another_seed_others(tmp_path: Path, sqlite_template: Path) -> None:
    told = []
    for name, seed, nurtured in (("a", 3, True), ("b", 3, True), ("c", 4, False)):
        engine = fresh_sqlite(sqlite_template, tmp_path / f"{name}.db")
        mail = nurture.delivering_to(tmp_path / f"{name}-mail", Settings()) if nurtured else None
        demo = Demo(engine, run_demo(engine, leads=120, seed=seed, mail=mail))
        told.append((demo.year, demo.story()))
        engine.dispose()
    first, again, other = told
    assert first == again
    assert first[0].nurtured.opened > 0  # the readers of the emails too
    assert first[1]["funnel"].rows != other[1]["funnel"].rows


def test_the_generator_streams_people_and_is_the_same_for_a_seed() -> None:
    assert inspect.isgenerator(World(50, seed=5).people())
    first = [(person.email, person.touches) for person in World(50, seed=5).people()]
    assert first == [(person.email, person.touches) for person in World(50, seed=5).people()]
    assert len({email for email, _ in first}) == 50


def test_every_campaign_of_a_big_world_has_a_name_of_its_own() -> None:
    """At 850,000 people an outlet runs twice in a month: two programs of one name would share their costs."""
    names = [c.name for c in plan_campaigns(random.Random(7), 850_000, START, END)]
    assert len(names) > 500
    assert len(set(names)) == len(names)


def test_good_grades_turn_into_opportunities_and_revenue_more_often_than_poor_ones(large_world: Demo) -> None:
    grades = rows_by(large_world.story()["grades"])
    by_grade = rows_by(large_world.report("funnel", by="grade"))
    good, poor = ["A", "B"], ["C", "D"]

    def rate(rows: dict[str, Row], names: list[str], key: str) -> float:
        return sum(float(rows[n][key]) for n in names) / sum(int(rows[n]["leads"]) for n in names)

    # hundreds of leads on each side; the gap is several-fold, far beyond what chance moves
    assert sum(grades[n]["leads"] for n in good) > 150
    assert sum(grades[n]["leads"] for n in poor) > 600
    assert rate(grades, good, "opportunities") > 3 * rate(grades, poor, "opportunities")
    assert rate(by_grade, good, "revenue") > 2 * rate(by_grade, poor, "revenue")
    rates = [grades[n]["opportunity_rate"] for n in (*good, *poor)]
    assert rates == sorted(rates, reverse=True)


def test_the_people_who_come_back_under_a_tagged_address_are_found_as_duplicates(large_world: Demo) -> None:
    tagged = column(large_world.engine, "SELECT email FROM leads WHERE email LIKE '%+%'")
    assert len(tagged) > 3
    with UnitOfWork(large_world.engine) as uow:
        found = {frozenset((p.keep.email, p.other.email)) for p in dedupe.people_pairs(uow)}
    assert {frozenset((email.split("+")[0] + "@" + email.split("@")[1], email)) for email in tagged} <= found


def test_reps_breach_the_sla_sometimes_and_some_leads_come_back_after_recycling(large_world: Demo) -> None:
    told = large_world.story()
    sla = rows_by(told["sla"])["all"]
    assert 0 < sla["accept_breaches"] < sla["awaiting"] / 2
    assert 0 < sla["reassigned"] < sla["assignments"] / 2
    engine = large_world.engine
    handed_over = scalar(engine, "SELECT COUNT(DISTINCT lead_id) FROM stage_changes WHERE to_stage = 'mql'")
    never_contacted = scalar(
        engine,
        "SELECT COUNT(DISTINCT lead_id) FROM stage_changes s WHERE to_stage = 'mql' AND NOT EXISTS "
        "(SELECT 1 FROM assignments a WHERE a.lead_id = s.lead_id AND a.contacted_at IS NOT NULL)",
    )
    assert 0 < never_contacted < handed_over / 2
    (recycled,) = (part for part in told["reasons"].sections if part.name == "reasons.recycled")
    came_back = {row["kind"]: row for row in recycled.rows if row["reason"] == "all"}
    assert came_back["reject"]["opportunity"] > 0  # leads sales sent back reached a deal later
    assert scalar(engine, "SELECT COUNT(*) FROM opportunities WHERE won IS NULL") > 0  # deals still open at the end


def test_an_exported_world_imports_back_without_problems(tmp_path: Path, sqlite_engine: Engine) -> None:
    exported = export_csv(tmp_path / "world", leads=80, seed=9)
    clock = FixedClock(YEAR_END)  # the import happens after the world's year
    inforce = adopt_example(sqlite_engine, clock)
    with UnitOfWork(sqlite_engine) as uow:
        campaigns = imports.import_campaigns(uow, clock, tmp_path / "world" / "campaigns.csv", {})
        costs = imports.import_costs(uow, clock, tmp_path / "world" / "costs.csv", {})
        leads = imports.import_leads(uow, clock, inforce, tmp_path / "world" / "leads.csv", {})
        events = imports.import_events(uow, clock, inforce, tmp_path / "world" / "events.csv", {})
    with (tmp_path / "world" / "events.csv").open() as handle:
        ids = Counter(row["event_id"] for row in csv.DictReader(handle))
    assert (campaigns.created, costs.created, leads.created) == (exported.campaigns, exported.costs, 80)
    assert events.rows == exported.events == sum(ids.values())
    assert events.created == len(ids)
    assert events.duplicates == exported.events - len(ids) > 0
    assert leads.campaigns_created == []  # every lead's campaign is in the campaigns file


def test_the_cli_prints_the_reports_and_refuses_a_database_that_holds_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = CliRunner().invoke(app, ["--db", url, "demo", "--leads", "100", "--seed", "2"])
    assert result.exit_code == 0, result.output
    titles = ("Funnel by source", "Costs and ROI by source", "SLA by team", "Reject and lost reasons by stage")
    told = ("Conversion by grade", "Screening by qualifier", "The reports, as of the year's end (2026-11-21T00:00:00Z)")
    for words in (*titles, *told):
        assert words in result.output
    assert "Recycled, then converted" not in result.output  # a report's sections are left to 'leadpact report'
    totals = [line.split() for line in result.output.splitlines() if line.strip().startswith("all ")]
    assert totals[0][1] == "100"  # the funnel's last row: every lead
    engine = connect(url)
    spent = money(engine, "SELECT SUM(amount) FROM campaign_costs")
    assert totals[1][1] == f"${spent:,.0f}"  # the costs' last row: every cost, up to the year's end
    words = " ".join(result.output.split())  # long lines may wrap
    with UnitOfWork(engine) as uow:
        last = activity.latest(uow)
    clock = store_clock.read(engine)  # every command and the served app work on the world's last moment
    assert clock is not None
    assert clock.starts_at == last
    assert f"The store's clock now reads {last:%Y-%m-%dT%H:%M}" in words
    assert f"leadpact --db {url} serve' runs the web app" in words
    for hint in (
        f"leadpact --db {url} queue ",
        f"leadpact --db {url} report sla --by rep --at 2026-11-21T00:00:00Z",
        "(qualified: score_at_least) from 60 to 75",
        f"leadpact --db {url} agreement backtest FILE --at 2026-11-21T00:00:00Z",
        f"leadpact --db {url} nurture stats",
        f"leadpact --db {url} screening queue --at 2026-11-21T00:00:00Z",
        "quinn qualifier, team sdr",
    ):
        assert hint in words
    nurtured = json.loads(CliRunner().invoke(app, ["--db", url, "nurture", "stats", "--json"]).output)
    assert [s["name"] for s in nurtured] == ["not-ready", "first-touch"]
    sent = sum(step["sent"] for s in nurtured for step in s["steps"])
    mail = tmp_path / "demo-mail"  # beside demo.db
    assert sent == len(delivered(mail)) > 0
    opened = sum(step["opened"] for s in nurtured for step in s["steps"])
    assert f"emails sent to the demo's mailbox {mail} (a Maildir), {opened} opened," in words

    again = subprocess.run([LEADPACT, "--db", url, "demo", "--leads", "100"], capture_output=True, text=True)
    assert again.returncode == 2
    assert "already holds 100 leads" in again.stderr
    assert f"{mail} already holds {sent} emails" in " ".join(again.stderr.split())
    assert "--replace" in again.stderr

    replaced = CliRunner().invoke(app, ["--db", url, "demo", "--leads", "60", "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert scalar(engine, "SELECT COUNT(*) FROM leads") == 60
    assert len(delivered(mail)) == scalar(engine, "SELECT COUNT(*) FROM nurture_messages WHERE outcome = 'sent'")
    engine.dispose()


def test_replacing_empties_every_table_and_keeps_the_schema(engine: Engine, clock: FixedClock) -> None:
    adopt_example(engine, clock)
    with UnitOfWork(engine) as uow:
        team.add_user(uow, clock, "alice", "rep", "americas", 2)
        team.set_manager(uow, clock, "americas", "alice")
        intake.capture_lead(uow, clock, agreements.in_force(uow), intake.LeadInput(email="ann@acme.com"))
    assert store.holdings(engine) == "1 lead, 1 agreement version, 1 user"
    empty(engine)
    assert store.holdings(engine) is None
    for table in Base.metadata.sorted_tables:
        assert scalar(engine, f"SELECT COUNT(*) FROM {table.name}") == 0
