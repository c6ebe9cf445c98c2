"""The sourced report: a hand-built history worked out by hand, and the demo world against plain SQL sums."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine

from leadpact.analytics.sourced import sourced
from leadpact.services import agreements
from leadpact.services.clock import FixedClock
from leadpact.store.unit_of_work import UnitOfWork
from tests.factories import agreement_text
from tests.reports.conftest import COLD, DEMO_AT, DemoWorld, History, grouped, rows_by, run_report, utc

JAN5 = utc(2026, 1, 5, 15)  # a Monday, 09:00 in Chicago
FEB10 = utc(2026, 2, 10, 15)
MAR3 = utc(2026, 3, 3, 15)
AT = utc(2026, 6, 1)
NUMBERS = ("leads", "opportunities", "pipeline", "open", "open_pipeline", "won", "revenue")


def day(n: float) -> timedelta:
    return timedelta(days=n)


@pytest.fixture
def built(history: History) -> History:
    """Five leads under the example agreement, whose sales sources are [outbound]:

    - a (webinar), captured 5 January: a deal of 10,000 opened 8 January, won 2 February;
    - e (no source), captured 3 February: never engaged;
    - d (purchased_list), captured 10 February: a deal of 5,000 opened 13 February, lost 21 February;
    - g (outbound), captured 3 March: a deal of 4,000 opened 6 March, won 2 April;
    - h (source "Outbound": sales' own whatever the case), captured 5 March: a deal of 6,000 opened 8 March,
      still open.

    Each was handed over at capture, accepted a day later and an SQL the day after.
    """
    h = history
    h.rep("ann", "americas")
    for email, captured, amount, source in (
        ("a@alpha.example", JAN5, 10_000, "webinar"),
        ("d@delta.example", FEB10, 5_000, "purchased_list"),
        ("g@gamma.example", MAR3, 4_000, "outbound"),
        ("h@eta.example", MAR3 + day(2), 6_000, "Outbound"),
    ):
        h.handed_over(email, captured, source=source)
        h.accept(email, captured + day(1))
        h.qualify(email, captured + day(2))
        h.convert(email, captured + day(3), amount, date(2026, 5, 31))
    h.capture("e@epsilon.example", utc(2026, 2, 3, 15), **COLD)
    h.win("a@alpha.example", JAN5 + day(28))
    h.lose("d@delta.example", FEB10 + day(11), "no_need")
    h.win("g@gamma.example", MAR3 + day(30))
    return h


@pytest.mark.parametrize("engine_name", ["app", "duckdb"])
def test_each_sides_leads_pipeline_and_revenue_and_its_share(built: History, engine_name: str) -> None:
    report = run_report(built.engine, sourced, AT, engine_name=engine_name)
    rows = rows_by(report)
    assert list(rows) == ["marketing", "sales", "all"]
    marketing, sales, total = rows["marketing"], rows["sales"], rows["all"]
    # marketing: a, d and e (no source); deals of a (won) and d (lost)
    assert [marketing[k] for k in NUMBERS] == [3, 2, 15_000, 0, 0, 1, 10_000]
    # sales: g and h; g's deal won, h's still open
    assert [sales[k] for k in NUMBERS] == [2, 2, 10_000, 1, 6_000, 1, 4_000]
    assert [total[k] for k in NUMBERS] == [5, 4, 25_000, 1, 6_000, 2, 14_000]
    assert marketing["pipeline_share"] == pytest.approx(15_000 / 25_000)
    assert sales["pipeline_share"] == pytest.approx(10_000 / 25_000)
    assert marketing["revenue_share"] == pytest.approx(10_000 / 14_000)
    assert sales["revenue_share"] == pytest.approx(4_000 / 14_000)
    assert (total["pipeline_share"], total["revenue_share"]) == (1, 1)
    assert "outbound" in report.notes[0]


def test_the_range_picks_the_cohort_the_deals_opened_and_the_deals_won_each_by_its_own_moment(
    built: History,
) -> None:
    rows = rows_by(run_report(built.engine, sourced, AT, first=date(2026, 2, 1)))
    marketing, sales = rows["marketing"], rows["sales"]
    # a was captured and its deal opened in January, but it was won on 2 February: revenue in the range
    assert [marketing[k] for k in NUMBERS] == [2, 1, 5_000, 0, 0, 1, 10_000]  # leads e, d; d's deal
    assert [sales[k] for k in NUMBERS] == [2, 2, 10_000, 1, 6_000, 1, 4_000]
    assert marketing["pipeline_share"] == pytest.approx(5_000 / 15_000)
    january = rows_by(run_report(built.engine, sourced, AT, last=date(2026, 1, 31)))
    assert [january["marketing"][k] for k in NUMBERS] == [1, 1, 10_000, 0, 0, 0, 0]  # won in February
    assert january["marketing"]["revenue_share"] is None  # no revenue to share, not a share of zero
    summer = rows_by(run_report(built.engine, sourced, AT, first=date(2026, 7, 1)))
    assert [summer["all"][k] for k in NUMBERS] == [0] * 7
    assert summer["sales"]["pipeline_share"] is None


def test_at_sees_a_deal_not_yet_won_as_open(built: History) -> None:
    rows = rows_by(run_report(built.engine, sourced, utc(2026, 3, 20)))
    sales = rows["sales"]
    assert [sales[k] for k in NUMBERS] == [2, 2, 10_000, 2, 10_000, 0, 0]  # g is won on 2 April
    assert rows["marketing"]["revenue_share"] == 1
    assert sales["revenue_share"] == 0


def test_without_sales_sources_in_the_agreement_every_lead_is_marketings(built: History) -> None:
    with UnitOfWork(built.engine) as uow:
        text = agreement_text(("sales_sources: [outbound]", ""))
        agreements.adopt(uow, FixedClock(utc(2026, 5, 1)), text, "agreement.yaml", "Dana", "Sam")
    report = run_report(built.engine, sourced, AT)
    rows = rows_by(report)
    assert [rows["marketing"][k] for k in NUMBERS] == [5, 4, 25_000, 1, 6_000, 2, 14_000]
    assert [rows["sales"][k] for k in NUMBERS] == [0] * 7
    assert (rows["marketing"]["pipeline_share"], rows["sales"]["revenue_share"]) == (1, 0)
    assert "no sales sources" in report.notes[0]


def test_the_demo_split_matches_sums_from_the_raw_tables(demo_world: DemoWorld) -> None:
    engine: Engine = demo_world.engine
    rows = rows_by(run_report(engine, sourced, DEMO_AT))
    side = "CASE WHEN LOWER(TRIM(l.source)) = 'outbound' THEN 'sales' ELSE 'marketing' END"
    leads = grouped(engine, f"SELECT {side}, COUNT(*) FROM leads l GROUP BY 1")
    deals = "FROM opportunities o JOIN leads l ON l.id = o.lead_id"
    opportunities = grouped(engine, f"SELECT {side}, COUNT(*) {deals} GROUP BY 1")
    pipeline = grouped(engine, f"SELECT {side}, SUM(o.amount) {deals} GROUP BY 1")
    still_open = grouped(engine, f"SELECT {side}, SUM(o.amount) {deals} WHERE o.won IS NULL GROUP BY 1")
    won = grouped(engine, f"SELECT {side}, COUNT(*) {deals} WHERE o.won GROUP BY 1")
    revenue = grouped(engine, f"SELECT {side}, SUM(o.amount) {deals} WHERE o.won GROUP BY 1")
    for name in ("marketing", "sales"):
        row = rows[name]
        assert (row["leads"], row["opportunities"], row["won"]) == (leads[name], opportunities[name], won[name])
        assert row["pipeline"] == pytest.approx(pipeline[name])
        assert row["open_pipeline"] == pytest.approx(still_open.get(name, 0))
        assert row["revenue"] == pytest.approx(revenue[name])
        assert row["revenue_share"] == pytest.approx(revenue[name] / sum(revenue.values()))
    # the demo's SDRs prospect a modest share of the leads, and some of them turn into deals
    assert 0.03 < rows["sales"]["leads"] / rows["all"]["leads"] < 0.1
    assert 0 < rows["sales"]["pipeline_share"] < 0.5
    assert rows["all"]["revenue"] == pytest.approx(sum(revenue.values()))
