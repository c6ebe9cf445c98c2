"""The funnel report: a hand-built history worked out by hand, and the demo world against plain SQL counts."""

from __future__ import annotations

import statistics
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, func, select

from leadpact.analytics.funnel import funnel
from leadpact.domain.errors import InvalidInput
from leadpact.services import agreements, reports
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Lead, StageChange
from leadpact.store.unit_of_work import UnitOfWork
from tests.reports.conftest import COLD, DEMO_AT, WARM, DemoWorld, History, grouped, rows_by, run_report, utc

JAN5 = utc(2026, 1, 5, 15)  # a Monday, 09:00 in Chicago
FEB10 = utc(2026, 2, 10, 15)
AT = utc(2026, 6, 1)


def day(n: float) -> timedelta:
    return timedelta(days=n)


@pytest.fixture
def built(history: History) -> History:
    """Five leads, two campaigns:

    - a (webinar): MQL at capture, accepted a day later, SQL on day 3, opportunity on day 5, won on day 20;
    - b (webinar): MQL at capture, accepted on day 2, rejected as not ready on day 4;
    - e (webinar): captured 31 January 21:00 in Chicago (1 February in UTC), never engaged;
    - c (purchased list): grade B, never engaged;
    - d (purchased list): MQL at capture, accepted a day later, SQL on day 2, opportunity on day 3, lost on day 10.
    """
    h = history
    h.rep("ann", "americas")
    h.campaign("Webinar A", "webinar")
    h.campaign("List B", "purchased_list")
    h.handed_over("a@alpha.example", JAN5, source="webinar", campaign="Webinar A")
    h.accept("a@alpha.example", JAN5 + day(1))
    h.qualify("a@alpha.example", JAN5 + day(3))
    h.convert("a@alpha.example", JAN5 + day(5), 10_000, date(2026, 3, 31))
    h.win("a@alpha.example", JAN5 + day(20))
    h.handed_over("b@beta.example", JAN5 + day(1), source="webinar", campaign="Webinar A")
    h.accept("b@beta.example", JAN5 + day(3))
    h.reject("b@beta.example", JAN5 + day(5), "not_ready")
    h.capture("e@epsilon.example", utc(2026, 2, 1, 3), source="webinar", campaign="Webinar A", **COLD)
    h.capture("c@gamma.example", FEB10, source="purchased_list", campaign="List B", **WARM)
    h.handed_over("d@delta.example", FEB10 + day(1), source="purchased_list", campaign="List B")
    h.accept("d@delta.example", FEB10 + day(2))
    h.qualify("d@delta.example", FEB10 + day(3))
    h.convert("d@delta.example", FEB10 + day(4), 5_000, date(2026, 4, 30))
    h.lose("d@delta.example", FEB10 + day(11), "no_need")
    return h


@pytest.mark.parametrize("engine_name", ["app", "duckdb"])
def test_the_funnel_by_source_counts_every_stage_a_lead_ever_reached(built: History, engine_name: str) -> None:
    report = run_report(built.engine, lambda ctx: funnel(ctx, "source"), AT, engine_name=engine_name)
    rows = rows_by(report)
    assert list(rows) == ["webinar", "purchased_list", "all"]  # most leads first, the total last
    web, bought, total = rows["webinar"], rows["purchased_list"], rows["all"]
    counts = ("leads", "mql", "sal", "sql", "opportunity", "won", "revenue")
    assert [web[k] for k in counts] == [3, 2, 2, 1, 1, 1, 10_000]
    assert [bought[k] for k in counts] == [2, 1, 1, 1, 1, 0, 0]  # d was lost, and still counts as an opportunity
    assert [total[k] for k in counts] == [5, 3, 3, 2, 2, 1, 10_000]
    assert total["mql_rate"] == pytest.approx(3 / 5)
    assert total["sql_rate"] == pytest.approx(2 / 3)
    assert total["won_rate"] == pytest.approx(1 / 2)
    assert web["won_rate"] == 1
    assert bought["won_rate"] == 0
    # medians of first arrivals: MQL to SAL took a 1, b 2, d 1 days; SAL to SQL a 2, d 1
    assert total["days_to_mql"] == 0
    assert total["days_mql_to_sal"] == pytest.approx(1)
    assert web["days_mql_to_sal"] == pytest.approx(1.5)
    assert total["days_sal_to_sql"] == pytest.approx(1.5)
    assert total["days_sql_to_opportunity"] == pytest.approx(1.5)
    assert total["days_opportunity_to_won"] == pytest.approx(15)
    assert bought["days_opportunity_to_won"] is None  # nobody got there: no median, not zero


def test_the_funnel_by_month_uses_the_agreements_time_zone(built: History) -> None:
    rows = rows_by(run_report(built.engine, lambda ctx: funnel(ctx, "month"), AT))
    assert list(rows) == ["2026-01", "2026-02", "all"]
    assert (rows["2026-01"]["leads"], rows["2026-02"]["leads"]) == (3, 2)  # e: 31 January in Chicago


def test_the_funnel_by_grade_and_by_campaign(built: History) -> None:
    grades = rows_by(run_report(built.engine, lambda ctx: funnel(ctx, "grade"), AT))
    assert list(grades) == ["A", "B", "C", "D", "all"]  # every grade of the agreement, in its order
    assert [grades[g]["leads"] for g in "ABCD"] == [3, 1, 0, 1]
    assert grades["A"]["opportunity"] == 2
    assert grades["C"]["mql_rate"] is None
    campaigns = rows_by(run_report(built.engine, lambda ctx: funnel(ctx, "campaign"), AT))
    assert (campaigns["Webinar A"]["leads"], campaigns["List B"]["won"]) == (3, 0)


def test_a_date_range_picks_the_cohort_and_at_hides_what_came_later(built: History) -> None:
    february = rows_by(run_report(built.engine, lambda ctx: funnel(ctx, "source"), AT, first=date(2026, 2, 1)))
    assert february["all"]["leads"] == 2
    assert "webinar" not in february
    january = rows_by(run_report(built.engine, lambda ctx: funnel(ctx, "source"), AT, last=date(2026, 1, 31)))
    assert january["all"]["leads"] == 3
    before_the_win = rows_by(run_report(built.engine, lambda ctx: funnel(ctx, "source"), JAN5 + day(10)))
    assert before_the_win["all"]["leads"] == 2  # the others were not captured yet
    assert (before_the_win["all"]["opportunity"], before_the_win["all"]["won"], before_the_win["all"]["revenue"]) == (
        1,
        0,
        0,
    )


def test_an_unknown_grouping_is_refused_with_the_option_named(built: History) -> None:
    refused = pytest.raises(InvalidInput, match="by: 'channel' is not one of")
    with UnitOfWork(built.engine) as uow, refused:
        reports.run(uow, FixedClock(AT), agreements.in_force(uow), "funnel", {"by": "channel"})


def test_the_demo_funnel_matches_counts_from_the_raw_tables(demo_world: DemoWorld) -> None:
    engine: Engine = demo_world.engine
    rows = rows_by(run_report(engine, lambda ctx: funnel(ctx, "source"), DEMO_AT))
    leads = grouped(engine, "SELECT source, COUNT(*) FROM leads GROUP BY source")
    assert {s: rows[s]["leads"] for s in leads} == leads
    for stage, column in (
        ("mql", "mql"),
        ("sal", "sal"),
        ("sql", "sql"),
        ("opportunity", "opportunity"),
        ("customer", "won"),
    ):
        reached = grouped(
            engine,
            "SELECT l.source, COUNT(DISTINCT s.lead_id) FROM stage_changes s JOIN leads l ON l.id = s.lead_id "
            "WHERE s.to_stage = :stage GROUP BY l.source",
            stage=stage,
        )
        assert {s: rows[s][column] for s in leads if rows[s][column]} == reached, stage
    revenue = grouped(
        engine,
        "SELECT l.source, SUM(o.amount) FROM opportunities o JOIN leads l ON l.id = o.lead_id WHERE o.won "
        "GROUP BY l.source",
    )
    assert {s: pytest.approx(rows[s]["revenue"]) for s in revenue} == revenue
    total = rows["all"]
    everyone = grouped(
        engine,
        "SELECT to_stage, COUNT(DISTINCT lead_id) FROM stage_changes WHERE to_stage IN ('mql', 'sal', 'sql') "
        "GROUP BY to_stage",
    )
    assert (total["leads"], total["mql"], total["sal"], total["sql"]) == (
        sum(leads.values()),
        everyone["mql"],
        everyone["sal"],
        everyone["sql"],
    )
    assert total["revenue"] == pytest.approx(sum(revenue.values()))
    first_mql = (
        select(Lead.created_at, func.min(StageChange.at))
        .join(StageChange, StageChange.lead_id == Lead.id)
        .where(StageChange.to_stage == "mql")
        .group_by(Lead.id, Lead.created_at)
    )
    with UnitOfWork(engine) as uow:
        pairs = uow.session.execute(first_mql).all()
    days_to_mql = [(mql - created).total_seconds() / 86_400 for created, mql in pairs]
    assert total["days_to_mql"] == pytest.approx(statistics.median(days_to_mql))
