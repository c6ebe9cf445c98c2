"""The demo world: generated from a seed, run through the real services, summed up from what was stored."""

from __future__ import annotations

import csv
import inspect
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from leadpact.cli import app
from leadpact.demo import store
from leadpact.demo.export import export_csv
from leadpact.demo.simulation import run_demo
from leadpact.demo.summary import DemoSummary, FunnelLine
from leadpact.demo.world import END, World
from leadpact.services import agreements, imports, intake, team
from leadpact.services.clock import FixedClock
from leadpact.store.database import connect, empty
from leadpact.store.tables import Base
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example

LEADPACT = Path(sys.executable).parent / "leadpact"


def scalar(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one() or 0)


def grouped(engine: Engine, sql: str) -> dict[str, int]:
    with engine.connect() as connection:
        return {str(name): int(n) for name, n in connection.execute(text(sql))}


def fresh_sqlite(template: Path, path: Path) -> Engine:
    shutil.copy(template, path)
    return connect(f"sqlite:///{path}")


@pytest.fixture(scope="module")
def large_world(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> DemoSummary:
    engine = fresh_sqlite(sqlite_template, tmp_path_factory.mktemp("large") / "leadpact.db")
    try:
        return run_demo(engine, leads=1200, seed=11)
    finally:
        engine.dispose()


def test_a_small_demo_runs_the_whole_loop_and_its_summary_matches_the_stored_history(engine: Engine) -> None:
    summary = run_demo(engine, leads=300, seed=7)
    assert summary.inquiries == scalar(engine, "SELECT COUNT(*) FROM leads") == 300
    for stage, reached in (("mql", summary.mql), ("sal", summary.sal), ("sql", summary.sql)):
        assert reached == scalar(
            engine, f"SELECT COUNT(DISTINCT lead_id) FROM stage_changes WHERE to_stage = '{stage}'"
        )
    assert summary.opportunities == scalar(engine, "SELECT COUNT(*) FROM opportunities")
    assert summary.opportunity == scalar(engine, "SELECT COUNT(DISTINCT lead_id) FROM opportunities") <= summary.sql
    assert summary.won == scalar(engine, "SELECT COUNT(*) FROM opportunities WHERE won")
    assert summary.won_revenue == pytest.approx(scalar(engine, "SELECT SUM(amount) FROM opportunities WHERE won"))
    assert summary.won == scalar(engine, "SELECT COUNT(*) FROM leads WHERE stage = 'customer'")
    assert summary.rejected_by_reason == grouped(
        engine,
        "SELECT reason, COUNT(*) FROM stage_changes WHERE by_user_id IS NOT NULL "
        "AND from_stage IN ('mql', 'sal', 'sql') AND to_stage IN ('recycled', 'disqualified') GROUP BY reason",
    )
    assert summary.lost_by_reason == grouped(
        engine, "SELECT lost_reason, COUNT(*) FROM opportunities WHERE NOT won GROUP BY lost_reason"
    )
    sla = summary.sla
    assert sla.assignments == scalar(engine, "SELECT COUNT(*) FROM assignments")
    assert sla.accept_breaches == scalar(
        engine, "SELECT COUNT(*) FROM assignments WHERE accept_breached_at IS NOT NULL"
    )
    assert sla.reassigned == scalar(engine, "SELECT COUNT(*) FROM assignments WHERE end_reason LIKE '%_breach'")
    assert sla.never_contacted == scalar(
        engine,
        "SELECT COUNT(DISTINCT lead_id) FROM stage_changes s WHERE to_stage = 'mql' AND NOT EXISTS "
        "(SELECT 1 FROM assignments a WHERE a.lead_id = s.lead_id AND a.contacted_at IS NOT NULL)",
    )
    assert summary.total_cost == pytest.approx(scalar(engine, "SELECT SUM(amount) FROM campaign_costs"), abs=1)
    assert sum(line.leads for line in summary.sources) == 300
    assert sum(line.cost or 0.0 for line in summary.sources) == pytest.approx(summary.total_cost)
    outbound = next(line for line in summary.sources if line.name == "outbound")  # sales' own prospects
    assert outbound.leads > 0
    assert (outbound.cost, outbound.cost_per_lead) == (None, None)  # no campaign cost: none, not zero
    assert summary.events_recorded == scalar(engine, "SELECT COUNT(*) FROM events") < summary.events_sent
    # the world is lively enough to show every part of the loop
    assert summary.mql > summary.sal > summary.sql > 0
    assert min(summary.won, summary.lost, len(summary.rejected_by_reason)) > 0
    assert min(sla.accept_breaches, sla.reassigned, sla.never_contacted) > 0
    assert None not in (summary.example_rep, summary.example_lead, summary.example_customer)


def test_the_same_seed_gives_the_same_funnel_and_another_seed_another(tmp_path: Path, sqlite_template: Path) -> None:
    summaries = []
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        engine = fresh_sqlite(sqlite_template, tmp_path / f"{name}.db")
        summaries.append(run_demo(engine, leads=120, seed=seed))
        engine.dispose()
    first, again, other = summaries
    assert first == again
    assert first != other


def test_the_generator_streams_people_and_is_the_same_for_a_seed() -> None:
    assert inspect.isgenerator(World(50, seed=5).people())
    first = [(person.email, person.touches) for person in World(50, seed=5).people()]
    assert first == [(person.email, person.touches) for person in World(50, seed=5).people()]
    assert len({email for email, _ in first}) == 50


def test_good_grades_turn_into_opportunities_and_revenue_more_often_than_poor_ones(large_world: DemoSummary) -> None:
    by_grade = {line.name: line for line in large_world.grades}
    good = [by_grade["A"], by_grade["B"]]
    poor = [by_grade["C"], by_grade["D"]]

    def rate(lines: list[FunnelLine], attribute: str) -> float:
        return float(sum(getattr(line, attribute) for line in lines)) / sum(line.leads for line in lines)

    # hundreds of leads on each side; the gap is several-fold, far beyond what chance moves
    assert sum(line.leads for line in good) > 150
    assert sum(line.leads for line in poor) > 600
    assert rate(good, "opportunities") > 3 * rate(poor, "opportunities")
    assert rate(good, "revenue") > 2 * rate(poor, "revenue")


def test_reps_breach_the_sla_sometimes_and_some_leads_come_back_after_recycling(large_world: DemoSummary) -> None:
    sla = large_world.sla
    assert 0 < sla.accept_breaches < sla.awaiting_accept / 2
    assert 0 < sla.never_contacted < sla.handed_over / 2
    assert large_world.requalified > 0
    assert large_world.open_opportunities > 0


def test_an_exported_world_imports_back_without_problems(tmp_path: Path, sqlite_engine: Engine) -> None:
    exported = export_csv(tmp_path / "world", leads=80, seed=9)
    clock = FixedClock(datetime.combine(END, time(), UTC))  # the import happens after the world's year
    inforce = adopt_example(sqlite_engine, clock)
    with UnitOfWork(sqlite_engine) as uow:
        campaigns = imports.import_campaigns(uow, tmp_path / "world" / "campaigns.csv", {})
        costs = imports.import_costs(uow, tmp_path / "world" / "costs.csv", {})
        leads = imports.import_leads(uow, clock, inforce, tmp_path / "world" / "leads.csv", {})
        events = imports.import_events(uow, clock, inforce, tmp_path / "world" / "events.csv", {})
    with (tmp_path / "world" / "events.csv").open() as handle:
        ids = Counter(row["event_id"] for row in csv.DictReader(handle))
    assert (campaigns.created, costs.created, leads.created) == (exported.campaigns, exported.costs, 80)
    assert events.rows == exported.events == sum(ids.values())
    assert events.created == len(ids)
    assert events.duplicates == exported.events - len(ids) > 0
    assert leads.campaigns_created == []  # every lead's campaign is in the campaigns file


def test_the_cli_prints_the_funnel_and_refuses_a_database_that_holds_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = CliRunner().invoke(app, ["--db", url, "demo", "--leads", "100", "--seed", "2"])
    assert result.exit_code == 0, result.output
    for words in ("Funnel", "MQL: handed to sales", "By source", "By grade at arrival", "never contacted"):
        assert words in result.output
    assert f"leadpact --db {url} queue " in result.output

    again = subprocess.run([LEADPACT, "--db", url, "demo", "--leads", "100"], capture_output=True, text=True)
    assert again.returncode == 2
    assert "already holds 100 leads" in again.stderr
    assert "--replace" in again.stderr

    replaced = CliRunner().invoke(app, ["--db", url, "demo", "--leads", "60", "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert scalar(connect(url), "SELECT COUNT(*) FROM leads") == 60


def test_replacing_empties_every_table_and_keeps_the_schema(engine: Engine, clock: FixedClock) -> None:
    adopt_example(engine, clock)
    with UnitOfWork(engine) as uow:
        team.add_user(uow, clock, "alice", "rep", "americas", 2)
        team.set_manager(uow, "americas", "alice")
        intake.capture_lead(uow, clock, agreements.in_force(uow), intake.LeadInput(email="ann@acme.com"))
    assert store.holdings(engine) == "1 lead, 1 agreement version, 1 user"
    empty(engine)
    assert store.holdings(engine) is None
    for table in Base.metadata.sorted_tables:
        assert scalar(engine, f"SELECT COUNT(*) FROM {table.name}") == 0
