"""The attribution report: hand-built journeys credited by hand under every model, and the demo world against
plain SQL sums and an independent implementation of the models run on the same journeys."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial

import mam  # type: ignore[import-untyped]
import polars as pl
import pytest
from sqlalchemy import Engine, func, select

from leadpact.analytics.attribution import MODELS, attribution
from leadpact.domain.errors import InvalidInput
from leadpact.domain.report import Report
from leadpact.services import agreements, reports
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Campaign, Event, Lead, Opportunity, StageChange
from leadpact.store.unit_of_work import UnitOfWork
from tests.reports.conftest import DEMO_AT, HOT, WARM, DemoWorld, History, rows_by, run_report, utc

JAN5 = utc(2026, 1, 5, 15)  # a Monday, 09:00 in Chicago
AT = utc(2026, 6, 1)
WEEK = 7.0


def day(n: float) -> datetime:
    return JAN5 + timedelta(days=n)


def decay(days_before: float) -> float:
    """The time-decay weight of a touch made ``days_before`` the deal's moment."""
    return float(2 ** (-days_before / WEEK))


def open_deal(h: History, email: str, at: datetime, amount: float) -> None:
    """The assigned rep accepts the MQL, confirms it and converts it at once."""
    h.accept(email, at)
    h.qualify(email, at)
    h.convert(email, at, amount, date(2026, 3, 31))


@pytest.fixture
def built(history: History) -> History:
    """Five leads and four campaigns; days count from Monday 5 January 2026, 15:00 UTC:

    - a (grade B): captured from List on day 0 without an event, so the capture is its first touch; clicks
      Newsletter on day 1, attends Webinar on day 2, requests a demo through Search on day 3 (an MQL then),
      views pricing from Newsletter on day 5; a 10,000 deal opens on day 8; clicks Webinar on day 10; won on
      day 14. Pipeline journey: List 0, Newsletter 1, Webinar 2, Search 3, Newsletter 5 (MQL on day 3);
      revenue journey: the same and Webinar 10.
    - b: captured from Search on day 1 with a demo request carrying Search at that moment (one touch, not
      two), clicks Newsletter on day 2; a 4,000 deal opens on day 4 and stays open.
    - c: no campaign at all; a 2,000 deal opens on day 5, won on day 9: all of it to "(no touch)".
    - d: captured from Webinar on day 2 (a demo request without campaign: an MQL then), clicks Newsletter on
      day 3; a 6,000 deal opens on day 6 and stays open. Journey: Webinar 2, Newsletter 3.
    - e: captured from List on day 3 (an MQL then); an 8,000 deal opens on day 6 and is lost on day 12.
    """
    h = history
    h.rep("ann", "americas")
    for name, channel in (("List", "purchased_list"), ("Newsletter", "email"), ("Webinar", "webinar")):
        h.campaign(name, channel)
    h.campaign("Search", "paid_search")
    h.capture("a@alpha.example", day(0), source="purchased_list", campaign="List", **WARM)
    h.event("a@alpha.example", "email_click", day(1), campaign="Newsletter")
    h.event("a@alpha.example", "webinar_attended", day(2), campaign="Webinar")
    h.event("a@alpha.example", "demo_request", day(3), campaign="Search")
    h.event("a@alpha.example", "pricing_page_view", day(5), campaign="Newsletter")
    open_deal(h, "a@alpha.example", day(8), 10_000)
    h.event("a@alpha.example", "email_click", day(10), campaign="Webinar")
    h.win("a@alpha.example", day(14))
    h.capture("b@beta.example", day(1), source="paid_search", campaign="Search", **HOT)
    h.event("b@beta.example", "demo_request", day(1), campaign="Search")
    h.event("b@beta.example", "email_click", day(2), campaign="Newsletter")
    open_deal(h, "b@beta.example", day(4), 4_000)
    h.handed_over("c@gamma.example", day(2))
    open_deal(h, "c@gamma.example", day(5), 2_000)
    h.win("c@gamma.example", day(9))
    h.handed_over("d@delta.example", day(2), source="webinar", campaign="Webinar")
    h.event("d@delta.example", "email_click", day(3), campaign="Newsletter")
    open_deal(h, "d@delta.example", day(6), 6_000)
    h.handed_over("e@epsilon.example", day(3), source="purchased_list", campaign="List")
    open_deal(h, "e@epsilon.example", day(6), 8_000)
    h.lose("e@epsilon.example", day(12), "no_need")
    return h


def _time_decay() -> dict[str, tuple[float, float]]:
    """Each journey's weights 2^(-days before the deal / 7), shared out in proportion."""
    # a's pipeline journey, 8 days from day 0: List 8 days before, Newsletter 7 and 3, Webinar 6, Search 5
    a = {"List": decay(8), "Newsletter": decay(7) + decay(3), "Webinar": decay(6), "Search": decay(5)}
    # a's revenue journey, won on day 14: List 14, Newsletter 13 and 9, Webinar 12 and 4, Search 11
    won = {"List": decay(14), "Newsletter": decay(13) + decay(9), "Webinar": decay(12) + decay(4), "Search": decay(11)}
    # b's deal on day 4: Search 3 days before, Newsletter 2; d's deal on day 6: Webinar 4, Newsletter 3
    b = {"Search": decay(3), "Newsletter": decay(2)}
    d = {"Webinar": decay(4), "Newsletter": decay(3)}
    out = {}
    for name in ("List", "Newsletter", "Webinar", "Search"):
        pipeline = sum(
            amount * weights.get(name, 0.0) / sum(weights.values())
            for amount, weights in ((10_000, a), (4_000, b), (6_000, d))
        )
        out[name] = (pipeline, 10_000 * won[name] / sum(won.values()))
    return out


EXPECTED: dict[str, dict[str, tuple[float, float]]] = {
    # (pipeline, revenue) per campaign: a's deal (10,000 in both), b's (4,000) and d's (6,000) pipeline
    "first": {
        "List": (10_000, 10_000),  # a's first touch, in both journeys
        "Newsletter": (0, 0),
        "Webinar": (6_000, 0),  # d
        "Search": (4_000, 0),  # b
    },
    "last": {
        "List": (0, 0),
        "Newsletter": (10_000 + 4_000 + 6_000, 0),  # a's pricing view on day 5, b's and d's clicks
        "Webinar": (0, 10_000),  # a's click on day 10, before the win
        "Search": (0, 0),
    },
    "linear": {
        # a: 5 touches of 2,000 (revenue: 6 of 10,000 / 6); b: 2 of 2,000; d: 2 of 3,000
        "List": (2_000, 10_000 / 6),
        "Newsletter": (2 * 2_000 + 2_000 + 3_000, 2 * 10_000 / 6),
        "Webinar": (2_000 + 3_000, 2 * 10_000 / 6),
        "Search": (2_000 + 2_000, 10_000 / 6),
    },
    "u_shaped": {
        # a pipeline: List 40 %, Newsletter (day 5) 40 %, the three between 20 % / 3 each; b and d: 50 / 50
        # a revenue: List 40 %, Webinar (day 10) 40 %, the four between 5 % each
        "List": (4_000, 4_000),
        "Newsletter": (4_000 + 2_000 / 3 + 2_000 + 3_000, 500 + 500),
        "Webinar": (2_000 / 3 + 3_000, 500 + 4_000),
        "Search": (2_000 / 3 + 2_000, 500),
    },
    "w_shaped": {
        # a pipeline: first List 30 %, lead creation Search (day 3, the MQL) 30 %, opportunity creation
        # Newsletter (day 5) 30 %, Newsletter (day 1) and Webinar (day 2) 5 % each;
        # a revenue: the same milestones, Newsletter 1, Webinar 2 and Webinar 10 share 10 % (1/30 each);
        # b: Search is first and lead creation (60 %), Newsletter opportunity creation (30 %): 2/3 and 1/3;
        # d: the same with Webinar first: 2/3 and 1/3
        "List": (3_000, 3_000),
        "Newsletter": (3_000 + 500 + 4_000 / 3 + 2_000, 3_000 + 10_000 / 30),
        "Webinar": (500 + 4_000, 2 * 10_000 / 30),
        "Search": (3_000 + 8_000 / 3, 3_000),
    },
    "time_decay": _time_decay(),
}


def campaign_rows(report: Report) -> dict[str, tuple[float, float]]:
    return {
        str(r["campaign"]): (r["pipeline"], r["revenue"])
        for r in report.rows
        if r["campaign"] not in ("all", "(no touch)")
    }


@pytest.mark.parametrize("model", MODELS)
def test_each_model_credits_the_hand_built_journeys_as_worked_out_by_hand(built: History, model: str) -> None:
    report = run_report(built.engine, lambda ctx: attribution(ctx, model), AT)
    assert campaign_rows(report) == {name: pytest.approx(value) for name, value in EXPECTED[model].items()}
    rows = rows_by(report, "campaign")
    assert rows["(no touch)"]["pipeline"] == 2_000  # c
    assert rows["(no touch)"]["revenue"] == 2_000
    # pipeline: a, b, c and d (e was lost); revenue: a and c
    assert (rows["all"]["pipeline"], rows["all"]["revenue"], rows["all"]["deals"]) == (22_000, 12_000, 4)
    campaigns = [r for r in report.rows if r["campaign"] != "all"]
    assert sum(r["pipeline"] for r in campaigns) == pytest.approx(22_000)
    assert sum(r["revenue"] for r in campaigns) == pytest.approx(12_000)
    assert report.rows[-1]["campaign"] == "all"
    assert report.rows[-2]["campaign"] == "(no touch)"


def test_rows_name_the_channel_count_the_deals_touched_and_come_by_revenue(built: History) -> None:
    report = run_report(built.engine, lambda ctx: attribution(ctx, "u_shaped"), AT)
    rows = rows_by(report, "campaign")
    assert [r["campaign"] for r in report.rows] == ["Webinar", "List", "Newsletter", "Search", "(no touch)", "all"]
    assert rows["List"]["channel"] == "purchased_list"
    assert rows["(no touch)"]["channel"] is None
    # List: a (e's deal was lost); Newsletter: a, b and d; Webinar: a and d; Search: a and b
    assert {name: rows[name]["deals"] for name in EXPECTED["first"]} == {
        "List": 1,
        "Newsletter": 3,
        "Webinar": 2,
        "Search": 2,
    }
    assert rows["(no touch)"]["deals"] == 1


def test_duckdb_credits_the_same_amounts(built: History) -> None:
    for model in ("w_shaped", "time_decay"):
        report = run_report(built.engine, partial(attribution, model=model), AT, engine_name="duckdb")
        assert campaign_rows(report) == {name: pytest.approx(value) for name, value in EXPECTED[model].items()}
        assert report.rows[-1]["pipeline"] == 22_000


def test_the_date_range_picks_the_deals_and_at_hides_what_came_later(built: History) -> None:
    # deals created 5 to 12 January (local): b (9th), c (10th), d (11th) and e (11th, lost); none won by then
    early = rows_by(
        run_report(built.engine, lambda ctx: attribution(ctx, "first"), AT, last=date(2026, 1, 12)), "campaign"
    )
    assert (early["all"]["pipeline"], early["all"]["revenue"]) == (4_000 + 2_000 + 6_000, 0)
    assert "List" not in early  # a's deal opened on the 13th
    # on day 10 e's deal is still open and a's not won; c was won on day 9
    before = rows_by(run_report(built.engine, lambda ctx: attribution(ctx, "first"), day(10)), "campaign")
    assert (before["all"]["pipeline"], before["all"]["revenue"]) == (30_000, 2_000)
    assert before["List"]["pipeline"] == 10_000 + 8_000  # a's first touch and e's capture
    assert before["List"]["revenue"] == 0


def test_an_unknown_model_is_refused_with_the_option_named(built: History) -> None:
    with (
        UnitOfWork(built.engine) as uow,
        pytest.raises(InvalidInput, match="model: 'markov' is not one of first, last"),
    ):
        reports.run(uow, FixedClock(AT), agreements.in_force(uow), "attribution", {"model": "markov"})


# --- the demo world -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Journey:
    """A deal's touches as the store holds them: campaign ids and UTC seconds, in order."""

    deal: int
    amount: float
    moment: int
    created: int
    mql: int | None
    campaigns: tuple[int, ...]
    times: tuple[int, ...]


def _seconds(moment: datetime) -> int:
    return int(moment.astimezone(UTC).timestamp())


def demo_touches(engine: Engine) -> dict[int, list[tuple[int, int, int]]]:
    """Per lead, its touches as (time, event id or 0 for the capture, campaign id), read with plain queries."""
    with UnitOfWork(engine) as uow:
        events = uow.session.execute(select(Event.lead_id, Event.occurred_at, Event.id, Event.campaign_id)).all()
        leads = uow.session.execute(select(Lead.id, Lead.created_at, Lead.campaign_id)).all()
    touches: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for lead_id, at, event_id, campaign in events:
        if campaign is not None:
            touches[lead_id].append((at, event_id, campaign))
    for lead_id, captured_at, campaign in leads:
        captured = _seconds(captured_at)
        own = touches[lead_id]
        if campaign is not None and not any(c == campaign and at <= captured for at, _, c in own):
            own.append((captured, 0, campaign))
    return touches


def demo_journeys(engine: Engine) -> dict[str, list[Journey]]:
    """The demo's pipeline and revenue journeys, read with plain queries and assembled here."""
    touches = demo_touches(engine)
    with UnitOfWork(engine) as uow:
        s = uow.session
        mql = dict(
            s.execute(
                select(StageChange.lead_id, func.min(StageChange.at))
                .where(StageChange.to_stage == "mql")
                .group_by(StageChange.lead_id)
            ).all()
        )
        deals = s.execute(
            select(Opportunity.id, Opportunity.lead_id, Opportunity.amount, Opportunity.created_at)
            .add_columns(Opportunity.closed_at, Opportunity.won)
            .order_by(Opportunity.id)
        ).all()
    out: dict[str, list[Journey]] = {"pipeline": [], "revenue": []}
    for deal_id, lead_id, amount, created_at, closed_at, won in deals:
        opened = _seconds(created_at)
        first_mql = _seconds(mql[lead_id]) if lead_id in mql else None
        moments = [("pipeline", opened)] if won or closed_at is None else []
        if won and closed_at is not None:
            moments.append(("revenue", _seconds(closed_at)))
        for measure, moment in moments:
            before = sorted(t for t in touches[lead_id] if t[0] < moment)
            campaigns, times = tuple(c for _, _, c in before), tuple(t for t, _, _ in before)
            out[measure].append(Journey(deal_id, amount, moment, opened, first_mql, campaigns, times))
    return out


def reference_credits(journeys: Iterable[Journey], model: str) -> dict[int, float]:
    """Per campaign id: the credits the ``mam`` package's models give these journeys."""
    touched = [j for j in journeys if j.campaigns]
    frame = pl.DataFrame(
        {
            "journey_id": [str(j.deal) for j in touched],
            "path": [" > ".join(str(c) for c in j.campaigns) for j in touched],
            "hours": [" > ".join(repr((j.moment - t) / 3600) for t in j.times) for j in touched],
            "converted": [True] * len(touched),
            "amount": [j.amount for j in touched],
        }
    )
    models = mam.MAM(
        df=frame,
        format_type="journey",
        channels_colname="path",
        journey_with_conv_colname="converted",
        user_id_colname="journey_id",
        time_till_conv_colname="hours",
        conversion_value_colname="amount",
    )
    run = {
        "first": models.run_first_click,
        "last": models.run_last_click,
        "linear": models.run_linear,
        "u_shaped": models.run_position_based,
        "time_decay": lambda: models.run_time_decay(half_life_hours=WEEK * 24),
    }[model]
    result = run().to_dict()
    return {int(c): float(v) for c, v in zip(result["channels"], result["attribution"], strict=True)}


def w_shaped_credits(journeys: Iterable[Journey]) -> dict[int, float]:
    """Per campaign id: the W-shaped credits, written out plainly from the rule (``mam`` has no such model)."""
    out: dict[int, float] = defaultdict(float)
    for j in journeys:
        if not j.campaigns:
            continue
        n = len(j.campaigns)
        weights = [0.0] * n
        weights[0] += 0.3
        roles = {0}
        # the lead-creation touch is the last at or before the first MQL; the opportunity-creation touch the
        # last before the deal was created (times are whole seconds)
        for limit in (j.mql, j.created - 1):
            positions = [i for i, t in enumerate(j.times) if limit is not None and t <= limit]
            if positions:
                weights[positions[-1]] += 0.3
                roles.add(positions[-1])
        rest = [i for i in range(n) if i not in roles]
        for i in rest:
            weights[i] += 0.1 / len(rest)
        for campaign, weight in zip(j.campaigns, weights, strict=True):
            out[campaign] += j.amount * weight / sum(weights)
    return out


def campaign_ids(engine: Engine) -> dict[str, int]:
    with UnitOfWork(engine) as uow:
        return dict(uow.session.execute(select(Campaign.name, Campaign.id)).all())


def credited(report: Report, ids: dict[str, int], measure: str) -> dict[int, float]:
    return {ids[str(r["campaign"])]: r[measure] for r in report.rows if r["campaign"] in ids and r[measure]}


def nonzero(credits: dict[int, float]) -> dict[int, float]:
    return {c: v for c, v in credits.items() if abs(v) > 1e-6}


def _reports(engine: Engine, models: Sequence[str]) -> dict[str, Report]:
    return {model: run_report(engine, partial(attribution, model=model), DEMO_AT) for model in models}


def test_the_demo_totals_equal_the_deals_amounts_from_the_raw_tables(demo_world: DemoWorld) -> None:
    engine = demo_world.engine
    with UnitOfWork(engine) as uow:
        s = uow.session
        pipeline = s.scalar(
            select(func.sum(Opportunity.amount)).where((Opportunity.won.is_(True)) | Opportunity.closed_at.is_(None))
        )
        revenue = s.scalar(select(func.sum(Opportunity.amount)).where(Opportunity.won.is_(True)))
    assert pipeline  # the demo year opens deals
    assert revenue  # and wins some
    for model, report in _reports(engine, MODELS).items():
        total = report.rows[-1]
        assert (total["pipeline"], total["revenue"]) == (pytest.approx(pipeline), pytest.approx(revenue)), model
        assert sum(r["pipeline"] for r in report.rows[:-1]) == pytest.approx(pipeline), model
        assert sum(r["revenue"] for r in report.rows[:-1]) == pytest.approx(revenue), model


def test_the_demo_credits_match_an_independent_implementation_of_each_model(demo_world: DemoWorld) -> None:
    """The journeys are rebuilt from the raw tables; ``mam`` credits them under its first click, last click,
    linear, position-based (40/40/20, which is u_shaped) and time-decay (half-life 168 hours, given the hours
    from each touch to the deal's moment) models. It has no W-shaped model: that one is written out here."""
    engine = demo_world.engine
    journeys = demo_journeys(engine)
    ids = campaign_ids(engine)
    reports = _reports(engine, MODELS)
    assert len({len(j.campaigns) for j in journeys["pipeline"]}) > 3  # journeys of many lengths
    for measure in ("pipeline", "revenue"):
        for model, report in reports.items():
            expected = (
                w_shaped_credits(journeys[measure])
                if model == "w_shaped"
                else reference_credits(journeys[measure], model)
            )
            got = credited(report, ids, measure)
            assert got == pytest.approx(nonzero(expected)), (measure, model)
        untouched = sum(j.amount for j in journeys[measure] if not j.campaigns)
        assert rows_by(reports["linear"], "campaign").get("(no touch)", {measure: 0.0})[measure] == pytest.approx(
            untouched
        )
