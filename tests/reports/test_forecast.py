"""The forecast report: a hand-built pipeline weighted by hand, and the demo world against plain SQL."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, select

from leadpact.analytics.forecast import forecast
from leadpact.domain.report import Report, Row
from leadpact.store.tables import Opportunity, OpportunityChange
from leadpact.store.unit_of_work import UnitOfWork
from tests.reports.conftest import DEMO_AT, DemoWorld, History, rows_by, run_report, utc

AT = utc(2026, 3, 10, 15)  # 09:00 on 10 March in Chicago


def jan(day: int) -> datetime:
    return utc(2026, 1, day, 15)


def deal(h: History, email: str, opened: datetime, amount: float, close: date) -> None:
    """A grade A lead asks for a demo, and the rep takes it to a deal in discovery the same moment."""
    h.handed_over(email, opened)
    h.accept(email, opened)
    h.qualify(email, opened)
    h.convert(email, opened, amount, close)


@pytest.fixture
def built(history: History) -> History:
    """Three closed deals and five open ones (stages as on 10 March):

    - a: 10,000, opened 5 January, proposal on the 7th, won on the 11th (close date 15 March);
    - b: 5,000, opened 6 January, proposal on the 8th, lost on the 10th (15:00 UTC);
    - c: 4,000, opened 7 January, lost in discovery on the 9th;
    - d: 20,000 closing 27 February, discovery (overdue on 10 March);
    - e: 8,000 closing 5 March, proposal since 15 January (overdue on 10 March);
    - f: 6,000 closing 31 May, proposal on 16 January, negotiation on the 18th;
    - g: 3,000 closing 15 April, discovery;
    - h: 2,000 closing 30 April, proposal on 20 January, back to discovery on the 25th.

    Historical rates: discovery 1/3 (a, b and c closed, a won), proposal 1/2 (a won, b lost), negotiation
    none (no closed deal went through it).
    """
    h = history
    h.rep("ann", "americas")
    deal(h, "a@alpha.example", jan(5), 10_000, date(2026, 3, 15))
    h.stage("a@alpha.example", jan(7), "proposal")
    deal(h, "b@beta.example", jan(6), 5_000, date(2026, 2, 20))
    deal(h, "c@gamma.example", jan(7), 4_000, date(2026, 1, 31))
    h.stage("b@beta.example", jan(8), "proposal")
    h.lose("c@gamma.example", jan(9), "no_need")
    h.lose("b@beta.example", jan(10), "price")
    h.win("a@alpha.example", jan(11))
    deal(h, "d@delta.example", jan(12), 20_000, date(2026, 2, 27))
    deal(h, "e@epsilon.example", jan(13), 8_000, date(2026, 3, 5))
    deal(h, "f@zeta.example", jan(14), 6_000, date(2026, 5, 31))
    deal(h, "g@eta.example", jan(15), 3_000, date(2026, 4, 15))
    h.stage("e@epsilon.example", jan(15), "proposal")
    deal(h, "h@theta.example", jan(16), 2_000, date(2026, 4, 30))
    h.stage("f@zeta.example", jan(16), "proposal")
    h.stage("f@zeta.example", jan(18), "negotiation")
    h.stage("h@theta.example", jan(20), "proposal")
    h.stage("h@theta.example", jan(25), "discovery")
    return h


COUNTS = ("deals", "overdue", "amount")
WEIGHTED = ("by_agreement", "by_history")


def values(row: Row, keys: tuple[str, ...]) -> tuple[object, ...]:
    return tuple(row[k] for k in keys)


@pytest.mark.parametrize("engine_name", ["app", "duckdb"])
def test_open_deals_are_weighted_per_close_month_by_the_agreement_and_by_history(
    built: History, engine_name: str
) -> None:
    report = run_report(built.engine, forecast, AT, engine_name=engine_name)
    rows = rows_by(report, "month")
    assert list(rows) == ["2026-02", "2026-03", "2026-04", "2026-05", "all"]
    # d: 20,000 in discovery, overdue: by agreement 10 % = 2,000, by history 1/3
    assert values(rows["2026-02"], COUNTS) == (1, 1, 20_000)
    assert values(rows["2026-02"], WEIGHTED) == pytest.approx((2_000, 20_000 / 3))
    # e: 8,000 in proposal, closing 5 March (before 10 March): 40 % = 3,200; 1/2 = 4,000
    assert values(rows["2026-03"], COUNTS) == (1, 1, 8_000)
    assert values(rows["2026-03"], WEIGHTED) == pytest.approx((3_200, 4_000))
    # g and h in discovery (h came back from proposal): 10 % of 5,000; 1/3 of 5,000
    assert values(rows["2026-04"], COUNTS) == (2, 0, 5_000)
    assert values(rows["2026-04"], WEIGHTED) == pytest.approx((500, 5_000 / 3))
    # f in negotiation: 70 % of 6,000; no closed deal went through negotiation, so no historical figure
    assert values(rows["2026-05"], COUNTS) == (1, 0, 6_000)
    assert rows["2026-05"]["by_agreement"] == pytest.approx(4_200)
    assert rows["2026-05"]["by_history"] is None
    assert values(rows["all"], COUNTS) == (5, 2, 39_000)
    assert values(rows["all"], WEIGHTED) == pytest.approx((2_000 + 3_200 + 500 + 4_200, 20_000 / 3 + 4_000 + 5_000 / 3))
    assert any("through negotiation: its 1 open deals" in note for note in report.notes)
    assert any("before 2026-03-10" in note for note in report.notes)


def stage_rows(report: Report) -> dict[str, Row]:
    (section,) = report.sections
    return rows_by(section, "stage")


def test_the_stage_section_shows_each_stages_odds_and_its_open_deals(built: History) -> None:
    stages = stage_rows(run_report(built.engine, forecast, AT))
    assert list(stages) == ["discovery", "proposal", "negotiation"]
    keys = ("probability", "closed", "won", "rate", "deals", "amount")
    assert values(stages["discovery"], keys) == (0.1, 3, 1, pytest.approx(1 / 3), 3, 25_000)  # d, g, h open
    assert values(stages["proposal"], keys) == (0.4, 2, 1, 0.5, 1, 8_000)  # a won, b lost; e open
    assert values(stages["negotiation"], keys) == (0.7, 0, 0, None, 1, 6_000)


def test_at_hides_later_closes_and_stage_moves(built: History) -> None:
    # on 22 January h is in proposal: 40 % of 2,000 and half of it by history
    january = run_report(built.engine, forecast, utc(2026, 1, 22, 15))
    total = rows_by(january, "month")["all"]
    assert values(total, COUNTS) == (5, 0, 39_000)  # no close date had passed yet
    assert total["by_agreement"] == pytest.approx(2_000 + 3_200 + 4_200 + 300 + 800)
    assert stage_rows(january)["proposal"]["deals"] == 2
    # on 10 January at 16:00 only b and c are closed, both lost: a's stage has a rate of 0, a real zero
    early = run_report(built.engine, forecast, utc(2026, 1, 10, 16))
    rows = rows_by(early, "month")
    assert list(rows) == ["2026-03", "all"]  # a alone is open
    assert values(rows["2026-03"], (*COUNTS, *WEIGHTED)) == (1, 0, 10_000, pytest.approx(4_000), 0)
    assert values(stage_rows(early)["proposal"], ("closed", "won", "rate")) == (1, 0, 0)


def test_the_date_range_filters_the_expected_close_dates(built: History) -> None:
    report = run_report(built.engine, forecast, AT, first=date(2026, 3, 1), last=date(2026, 4, 15))
    rows = rows_by(report, "month")
    assert list(rows) == ["2026-03", "2026-04", "all"]  # e, and g (h closes on 30 April)
    assert values(rows["all"], COUNTS) == (2, 1, 11_000)
    assert stage_rows(report)["discovery"]["deals"] == 1  # g; the rates still come from every closed deal
    assert stage_rows(report)["discovery"]["closed"] == 3


def test_the_demo_forecast_matches_the_open_deals_and_stage_rates_from_the_raw_tables(demo_world: DemoWorld) -> None:
    engine: Engine = demo_world.engine
    with UnitOfWork(engine) as uow:
        s = uow.session
        deals = s.execute(
            select(
                Opportunity.id, Opportunity.amount, Opportunity.close_date, Opportunity.stage, Opportunity.closed_at
            ).add_columns(Opportunity.won)
        ).all()
        passed = s.execute(select(OpportunityChange.opportunity_id, OpportunityChange.to_stage).distinct()).all()
    probability = {"discovery": 0.1, "proposal": 0.4, "negotiation": 0.7}
    closed = {d.id: bool(d.won) for d in deals if d.closed_at is not None}
    through: dict[str, list[bool]] = defaultdict(list)
    for deal_id, stage in passed:
        if deal_id in closed:
            through[stage].append(closed[deal_id])
    rates = {stage: sum(won) / len(won) for stage, won in through.items()}
    today = DEMO_AT.astimezone(ZoneInfo("America/Chicago")).date()
    expected: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0, 0.0, 0.0])
    for d in deals:
        if d.closed_at is None:
            month = expected[d.close_date.strftime("%Y-%m")]
            month[0] += 1
            month[1] += d.close_date < today
            month[2] += d.amount
            month[3] += d.amount * probability[d.stage]
            month[4] += d.amount * rates[d.stage]
    assert expected  # the demo year ends with deals still open
    report = run_report(engine, forecast, DEMO_AT)
    rows = rows_by(report, "month")
    got = {m: values(r, (*COUNTS, *WEIGHTED)) for m, r in rows.items() if m != "all"}
    assert got == {m: pytest.approx(tuple(v)) for m, v in expected.items()}
    assert rows["all"]["amount"] == pytest.approx(sum(v[2] for v in expected.values()))
    stages = stage_rows(report)
    assert {s: stages[s]["rate"] for s in rates} == pytest.approx(rates)
    assert {s: stages[s]["closed"] for s in through} == {s: len(won) for s, won in through.items()}
