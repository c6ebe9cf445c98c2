"""The costs report: a hand-built history worked out by hand, and the demo world against plain SQL sums."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import Engine

from leadpact.analytics.costs import costs
from leadpact.domain.errors import InvalidInput
from leadpact.services import agreements, reports
from leadpact.services.clock import FixedClock
from leadpact.store.unit_of_work import UnitOfWork
from tests.reports.conftest import COLD, DEMO_AT, WARM, DemoWorld, History, grouped, rows_by, run_report, scalar, utc

JAN5 = utc(2026, 1, 5, 15)  # a Monday, 09:00 in Chicago
FEB10 = utc(2026, 2, 10, 15)
AT = utc(2026, 6, 1)
COUNTS = ("leads", "mql", "sql", "opportunity", "won", "revenue")
PER = ("cost_per_lead", "cost_per_mql", "cost_per_sql", "cost_per_opportunity", "cost_per_won")


def day(n: float) -> timedelta:
    return timedelta(days=n)


@pytest.fixture
def built(history: History) -> History:
    """Six campaigns on six channels, six leads (one of them brought by no campaign):

    - Webinar A (webinar) costs 1,000 on 5 January, 500 on 20 January and 300 on 15 February; it brought
      a (MQL, SAL, SQL, opportunity, won 10,000) and b (MQL, SAL, rejected), both in January;
    - List B (purchased_list) costs 2,000 on 10 February; it brought c (grade B, never engaged) and
      d (MQL, SAL, SQL, opportunity, lost), both in February;
    - Show C (trade_show) costs 4,000 on 1 March and 900 on 1 July (after the report's ``at``); no leads;
    - Partner E (partner) has no cost recorded; it brought f (MQL, SAL, SQL) on 2 March;
    - Mailing D (email) has neither costs nor leads;
    - g is sales' own (source outbound, no campaign): MQL, SAL, SQL, opportunity, won 4,000, in March.
    """
    h = history
    h.rep("ann", "americas")
    for name, channel in (
        ("Webinar A", "webinar"),
        ("List B", "purchased_list"),
        ("Show C", "trade_show"),
        ("Mailing D", "email"),
        ("Partner E", "partner"),
    ):
        h.campaign(name, channel)
    h.cost("Webinar A", date(2026, 1, 5), 1_000)
    h.cost("Webinar A", date(2026, 1, 20), 500)
    h.cost("Webinar A", date(2026, 2, 15), 300)
    h.cost("List B", date(2026, 2, 10), 2_000)
    h.cost("Show C", date(2026, 3, 1), 4_000)
    h.cost("Show C", date(2026, 7, 1), 900)
    h.handed_over("a@alpha.example", JAN5, source="webinar", campaign="Webinar A")
    h.accept("a@alpha.example", JAN5 + day(1))
    h.qualify("a@alpha.example", JAN5 + day(3))
    h.convert("a@alpha.example", JAN5 + day(5), 10_000, date(2026, 3, 31))
    h.win("a@alpha.example", JAN5 + day(20))
    h.handed_over("b@beta.example", JAN5 + day(1), source="webinar", campaign="Webinar A")
    h.accept("b@beta.example", JAN5 + day(3))
    h.reject("b@beta.example", JAN5 + day(5), "not_ready")
    h.capture("c@gamma.example", FEB10, source="purchased_list", campaign="List B", **WARM)
    h.handed_over("d@delta.example", FEB10 + day(1), source="purchased_list", campaign="List B")
    h.accept("d@delta.example", FEB10 + day(2))
    h.qualify("d@delta.example", FEB10 + day(3))
    h.convert("d@delta.example", FEB10 + day(4), 5_000, date(2026, 4, 30))
    h.lose("d@delta.example", FEB10 + day(11), "no_need")
    march = utc(2026, 3, 2, 15)
    h.handed_over("f@phi.example", march, source="partner", campaign="Partner E")
    h.accept("f@phi.example", march + day(1))
    h.qualify("f@phi.example", march + day(2))
    h.handed_over("g@gamma-outbound.example", march + day(1), source="outbound")
    h.accept("g@gamma-outbound.example", march + day(2))
    h.qualify("g@gamma-outbound.example", march + day(3))
    h.convert("g@gamma-outbound.example", march + day(4), 4_000, date(2026, 5, 31))
    h.win("g@gamma-outbound.example", march + day(30))
    return h


@pytest.mark.parametrize("engine_name", ["app", "duckdb"])
def test_costs_by_source_divide_each_channels_cost_by_its_cohorts_funnel(built: History, engine_name: str) -> None:
    report = run_report(built.engine, lambda ctx: costs(ctx, "source"), AT, engine_name=engine_name)
    rows = rows_by(report)
    # the costliest first, then the channels with no cost recorded by leads, then the total
    assert list(rows) == ["trade_show", "purchased_list", "webinar", "outbound", "partner", "email", "all"]
    web = rows["webinar"]
    assert web["cost"] == pytest.approx(1_800)  # 1,000 + 500 + 300
    assert web["note"] is None
    assert [web[k] for k in COUNTS] == [2, 2, 1, 1, 1, 10_000]
    assert [web[k] for k in PER] == pytest.approx([900, 900, 1_800, 1_800, 1_800])  # 1,800 / 2, / 2, / 1, ...
    assert web["roi"] == pytest.approx((10_000 - 1_800) / 1_800)
    bought = rows["purchased_list"]
    assert bought["cost"] == pytest.approx(2_000)
    assert [bought[k] for k in COUNTS] == [2, 1, 1, 1, 0, 0]  # c never engaged, d was lost
    assert bought["cost_per_lead"] == pytest.approx(1_000)
    assert bought["cost_per_won"] is None  # nothing won: no cost per won deal, not zero
    assert bought["roi"] == pytest.approx(-1)  # (0 - 2,000) / 2,000
    show = rows["trade_show"]
    assert show["cost"] == pytest.approx(4_000)  # the July cost is after ``at``
    assert show["leads"] == 0
    assert [show[k] for k in PER] == [None] * 5
    assert show["roi"] == pytest.approx(-1)
    for name, leads, won, revenue in (("partner", 1, 0, 0), ("outbound", 1, 1, 4_000), ("email", 0, 0, 0)):
        row = rows[name]
        assert (row["cost"], row["note"]) == (None, "no cost recorded"), name
        assert (row["leads"], row["won"], row["revenue"]) == (leads, won, revenue), name
        assert [row[k] for k in PER] == [None] * 5, name
        assert row["roi"] is None, name
    total = rows["all"]
    assert total["cost"] == pytest.approx(7_800)  # 1,800 + 2,000 + 4,000
    assert [total[k] for k in COUNTS] == [6, 5, 4, 3, 2, 14_000]  # MQL a b d f g; SQL a d f g; deals a d g
    assert total["cost_per_mql"] == pytest.approx(7_800 / 5)
    assert total["roi"] == pytest.approx((14_000 - 7_800) / 7_800)
    assert report.column("roi").kind == "ratio"


def test_costs_by_campaign_list_every_campaign_and_the_leads_no_campaign_brought(built: History) -> None:
    rows = rows_by(run_report(built.engine, lambda ctx: costs(ctx, "campaign"), AT))
    assert list(rows) == ["Show C", "List B", "Webinar A", "(none)", "Partner E", "Mailing D", "all"]
    assert (rows["Webinar A"]["cost"], rows["Webinar A"]["leads"]) == (pytest.approx(1_800), 2)
    assert (rows["(none)"]["leads"], rows["(none)"]["revenue"], rows["(none)"]["note"]) == (
        1,
        4_000,
        "no cost recorded",
    )
    idle = rows["Mailing D"]  # neither costs nor leads: listed all the same
    assert (idle["cost"], idle["note"], idle["leads"], idle["roi"]) == (None, "no cost recorded", 0, None)
    assert rows["Partner E"]["sql"] == 1
    assert rows["all"]["cost"] == pytest.approx(7_800)


def test_the_date_range_picks_the_days_of_costs_and_the_cohort_of_leads(built: History) -> None:
    february = rows_by(
        run_report(built.engine, lambda ctx: costs(ctx, "source"), AT, date(2026, 2, 1), date(2026, 2, 28))
    )
    web = february["webinar"]
    assert (web["cost"], web["leads"], web["cost_per_lead"], web["roi"]) == (pytest.approx(300), 0, None, -1)
    assert (february["purchased_list"]["cost"], february["purchased_list"]["leads"]) == (pytest.approx(2_000), 2)
    assert february["trade_show"]["cost"] is None  # its costs fall in March and July: listed, with none
    assert february["all"]["cost"] == pytest.approx(2_300)
    assert february["all"]["leads"] == 2
    # the range ends with the local day: 20 January's 500 is outside a range that ends on the 19th
    january = rows_by(run_report(built.engine, lambda ctx: costs(ctx, "campaign"), AT, last=date(2026, 1, 19)))
    assert january["Webinar A"]["cost"] == pytest.approx(1_000)


def test_a_cost_counts_from_its_local_day_as_seen_at_the_moment_of_the_report(built: History) -> None:
    # 20 January 03:00 UTC is still the 19th in Chicago: the 500 of the 20th is not spent yet
    evening = rows_by(run_report(built.engine, lambda ctx: costs(ctx, "campaign"), utc(2026, 1, 20, 3)))
    assert evening["Webinar A"]["cost"] == pytest.approx(1_000)
    assert evening["Webinar A"]["leads"] == 2
    assert evening["Webinar A"]["won"] == 0  # a is won on 25 January
    assert evening["Webinar A"]["roi"] == pytest.approx(-1)
    assert evening["Show C"]["cost"] is None
    next_morning = rows_by(run_report(built.engine, lambda ctx: costs(ctx, "campaign"), utc(2026, 1, 20, 7)))
    assert next_morning["Webinar A"]["cost"] == pytest.approx(1_500)
    assert next_morning["all"]["cost"] == pytest.approx(1_500)


def test_with_no_cost_recorded_anywhere_the_total_has_no_cost_either(history: History) -> None:
    history.campaign("Webinar A", "webinar")
    history.capture("c@gamma.example", FEB10, source="webinar", campaign="Webinar A", **COLD)
    rows = rows_by(run_report(history.engine, lambda ctx: costs(ctx, "source"), AT))
    assert list(rows) == ["webinar", "all"]
    assert (rows["all"]["cost"], rows["all"]["note"], rows["all"]["leads"]) == (None, "no cost recorded", 1)


def test_by_source_a_lead_counts_under_its_campaigns_channel_whatever_source_it_was_recorded_with(
    history: History,
) -> None:
    history.campaign("Webinar A", "webinar")
    history.cost("Webinar A", date(2026, 2, 10), 300)
    history.capture("w@web.example", FEB10, source="website", campaign="Webinar A", **COLD)
    history.capture("x@web.example", FEB10, source="website", **COLD)
    rows = rows_by(run_report(history.engine, lambda ctx: costs(ctx, "source"), AT))
    assert (rows["webinar"]["cost"], rows["webinar"]["leads"], rows["webinar"]["cost_per_lead"]) == (300, 1, 300)
    assert (rows["website"]["leads"], rows["website"]["note"]) == (1, "no cost recorded")  # x: no campaign


def test_an_unknown_grouping_is_refused_with_the_option_named(built: History) -> None:
    with (
        UnitOfWork(built.engine) as uow,
        pytest.raises(InvalidInput, match="by: 'month' is not one of source, campaign"),
    ):
        reports.run(uow, FixedClock(AT), agreements.in_force(uow), "costs", {"by": "month"})


def test_the_demo_costs_match_sums_from_the_raw_tables(demo_world: DemoWorld) -> None:
    engine: Engine = demo_world.engine
    by_source = rows_by(run_report(engine, lambda ctx: costs(ctx, "source"), DEMO_AT))
    spent = grouped(
        engine,
        "SELECT c.channel, SUM(k.amount) FROM campaign_costs k JOIN campaigns c ON c.id = k.campaign_id "
        "GROUP BY c.channel",
    )
    assert {s: by_source[s]["cost"] for s in spent} == {s: pytest.approx(v) for s, v in spent.items()}
    leads = grouped(engine, "SELECT source, COUNT(*) FROM leads GROUP BY source")
    assert {s: by_source[s]["leads"] for s in leads} == leads
    won = grouped(
        engine,
        "SELECT l.source, COUNT(*) FROM opportunities o JOIN leads l ON l.id = o.lead_id WHERE o.won GROUP BY l.source",
    )
    revenue = grouped(
        engine,
        "SELECT l.source, SUM(o.amount) FROM opportunities o JOIN leads l ON l.id = o.lead_id WHERE o.won "
        "GROUP BY l.source",
    )
    for source, amount in revenue.items():
        row = by_source[source]
        assert row["won"] == won[source]
        assert row["revenue"] == pytest.approx(amount)
        if source in spent:
            assert row["roi"] == pytest.approx((amount - spent[source]) / spent[source])
    assert by_source["outbound"]["note"] == "no cost recorded"  # sales' own prospects cost no campaign money
    assert by_source["outbound"]["leads"] > 0
    total = by_source["all"]
    assert total["cost"] == pytest.approx(scalar(engine, "SELECT SUM(amount) FROM campaign_costs"))
    assert total["leads"] == sum(leads.values())
    by_campaign = rows_by(run_report(engine, lambda ctx: costs(ctx, "campaign"), DEMO_AT))
    per_campaign = grouped(
        engine,
        "SELECT c.name, SUM(k.amount) FROM campaigns c LEFT JOIN campaign_costs k ON k.campaign_id = c.id "
        "GROUP BY c.name",
    )
    assert set(by_campaign) == {*per_campaign, "(none)", "all"}  # every campaign, and the leads of none
    assert {c: by_campaign[c]["cost"] for c in per_campaign} == {
        c: None if v is None else pytest.approx(v) for c, v in per_campaign.items()
    }
