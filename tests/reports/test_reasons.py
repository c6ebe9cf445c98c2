"""The reasons report: a hand-built history worked out by hand, and the demo world against the raw tables."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import select

from leadpact.analytics.reasons import reasons
from leadpact.domain.errors import InvalidInput
from leadpact.domain.report import Report
from leadpact.services import agreements, reports
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Opportunity, StageChange, User
from leadpact.store.unit_of_work import UnitOfWork
from tests.reports.conftest import DEMO_AT, DemoWorld, History, grouped, run_report, utc

AT = utc(2026, 6, 1)
CLOSE = date(2026, 6, 30)


def feb(day: int, hour: int = 15) -> datetime:
    """A moment in February 2026; 15:00 UTC is 09:00 in Chicago."""
    return utc(2026, 2, day, hour)


@pytest.fixture
def built(history: History) -> History:
    """Two reps, six leads (ann has the American ones, eva the German ones):

    - a (webinar): rejected by ann from mql as wrong_contact (3 Feb); back on 10 Feb, it becomes a deal on
      13 Feb, won on 20 Feb;
    - b (webinar): accepted, rejected by ann from sal as not_ready (4 Feb);
    - c (paid search): accepted, qualified, rejected by ann from sql as bad_data (5 Feb): disqualified;
    - d (paid search): a deal on 5 Feb, lost by ann in discovery, no_need (10 Feb); back on 16 Feb, a second
      deal on 20 Feb, moved to proposal and lost there, price (2 March);
    - e (trade show): accepted, rejected by eva from sal as wrong_contact (3 Feb); back on 9 Feb, rejected
      from mql as not_ready (10 Feb);
    - f (trade show): a deal on 5 Feb, moved to negotiation, lost by eva there, competitor_won (5 March).
    """
    h = history
    h.rep("ann", "americas")
    h.rep("eva", "emea")
    for email, source in (
        ("a@alpha.example", "webinar"),
        ("b@beta.example", "webinar"),
        ("c@gamma.example", "paid_search"),
        ("d@delta.example", "paid_search"),
    ):
        h.handed_over(email, feb(2), source=source)
    h.handed_over("e@epsilon.example", feb(2), source="trade_show", country="DE")
    h.handed_over("f@phi.example", feb(2), source="trade_show", country="DE")
    h.reject("a@alpha.example", feb(3), "wrong_contact")
    for email in ("b@beta.example", "c@gamma.example", "d@delta.example", "e@epsilon.example", "f@phi.example"):
        h.accept(email, feb(3))
    h.reject("e@epsilon.example", feb(3, 16), "wrong_contact")
    h.reject("b@beta.example", feb(4), "not_ready")
    for email in ("c@gamma.example", "d@delta.example", "f@phi.example"):
        h.qualify(email, feb(4))
    h.reject("c@gamma.example", feb(5), "bad_data")
    h.convert("d@delta.example", feb(5), 5_000, CLOSE)
    h.convert("f@phi.example", feb(5), 8_000, CLOSE)
    h.event("e@epsilon.example", "demo_request", feb(9))
    h.reject("e@epsilon.example", feb(10), "not_ready")
    h.event("a@alpha.example", "demo_request", feb(10))
    h.lose("d@delta.example", feb(10), "no_need")
    h.accept("a@alpha.example", feb(11))
    h.qualify("a@alpha.example", feb(12))
    h.convert("a@alpha.example", feb(13), 10_000, CLOSE)
    h.event("d@delta.example", "demo_request", feb(16))
    h.accept("d@delta.example", feb(17))
    h.qualify("d@delta.example", feb(18))
    h.convert("d@delta.example", feb(20), 6_000, CLOSE)
    h.win("a@alpha.example", feb(20))
    h.stage("d@delta.example", feb(25), "proposal")
    h.stage("f@phi.example", feb(25), "proposal")
    h.stage("f@phi.example", feb(27), "negotiation")
    h.lose("d@delta.example", utc(2026, 3, 2, 15), "price")
    h.lose("f@phi.example", utc(2026, 3, 5, 15), "competitor_won")
    return h


Line = tuple[str, str, str, int, float | None]


def lines(report: Report) -> list[Line]:
    """(group, kind, reason, count, share) in the report's order."""
    return [(r["group"], r["kind"], r["reason"], r["count"], r["share"]) for r in report.rows]


def recycled(report: Report) -> list[tuple[Any, ...]]:
    """(kind, reason, recycled, later opportunity, share, later won, share) of the section, in its order."""
    (section,) = report.sections
    keys = ("kind", "reason", "recycled", "opportunity", "opportunity_share", "customer", "customer_share")
    return [tuple(r[k] for k in keys) for r in section.rows]


def report(h: History, by: str, at: datetime = AT, engine_name: str = "app", **dates: date) -> Report:
    return run_report(h.engine, lambda ctx: reasons(ctx, by), at, engine_name=engine_name, **dates)


ALL: list[Line] = [
    # rejects: not_ready b and e, wrong_contact a and e, bad_data c: 5
    ("all", "reject", "not_ready", 2, 2 / 5),
    ("all", "reject", "wrong_contact", 2, 2 / 5),
    ("all", "reject", "bad_data", 1, 1 / 5),
    # lost: competitor_won f, no_need d, price d: 3
    ("all", "lost", "competitor_won", 1, 1 / 3),
    ("all", "lost", "no_need", 1, 1 / 3),
    ("all", "lost", "price", 1, 1 / 3),
]


@pytest.mark.parametrize("engine_name", ["app", "duckdb"])
def test_reasons_by_stage_count_rejects_by_the_stage_left_and_losses_by_the_sales_stage(
    built: History, engine_name: str
) -> None:
    assert lines(report(built, "stage", engine_name=engine_name)) == [
        ("mql", "reject", "not_ready", 1, 0.5),  # e, the second time
        ("mql", "reject", "wrong_contact", 1, 0.5),  # a
        ("sal", "reject", "not_ready", 1, 0.5),  # b
        ("sal", "reject", "wrong_contact", 1, 0.5),  # e, the first time
        ("sql", "reject", "bad_data", 1, 1.0),  # c
        ("discovery", "lost", "no_need", 1, 1.0),  # d's first deal
        ("proposal", "lost", "price", 1, 1.0),  # d's second deal
        ("negotiation", "lost", "competitor_won", 1, 1.0),  # f
        *ALL,
    ]


def test_reasons_by_rep_and_by_source_share_each_kind_within_the_group(built: History) -> None:
    assert lines(report(built, "rep")) == [
        ("ann", "reject", "bad_data", 1, pytest.approx(1 / 3)),  # a, b, c
        ("ann", "reject", "not_ready", 1, pytest.approx(1 / 3)),
        ("ann", "reject", "wrong_contact", 1, pytest.approx(1 / 3)),
        ("ann", "lost", "no_need", 1, 0.5),  # both of d's deals were ann's
        ("ann", "lost", "price", 1, 0.5),
        ("eva", "reject", "not_ready", 1, 0.5),  # e twice
        ("eva", "reject", "wrong_contact", 1, 0.5),
        ("eva", "lost", "competitor_won", 1, 1.0),
        *ALL,
    ]
    assert lines(report(built, "source"))[:7] == [
        ("paid_search", "reject", "bad_data", 1, 1.0),  # c
        ("paid_search", "lost", "no_need", 1, 0.5),  # d
        ("paid_search", "lost", "price", 1, 0.5),
        ("trade_show", "reject", "not_ready", 1, 0.5),  # e
        ("trade_show", "reject", "wrong_contact", 1, 0.5),
        ("trade_show", "lost", "competitor_won", 1, 1.0),  # f
        ("webinar", "reject", "not_ready", 1, 0.5),  # b (a was won: no loss)
    ]


def test_the_recycled_leads_are_followed_to_what_they_reached_later(built: History) -> None:
    assert recycled(report(built, "stage")) == [
        ("reject", "not_ready", 2, 0, 0.0, 0, 0.0),  # b and e never came back to a deal
        ("reject", "wrong_contact", 2, 1, 0.5, 1, 0.5),  # a came back and was won; e did not
        ("reject", "all", 3, 1, pytest.approx(1 / 3), 1, pytest.approx(1 / 3)),  # a, b, e (c was disqualified)
        ("lost", "competitor_won", 1, 0, 0.0, 0, 0.0),  # f
        ("lost", "no_need", 1, 1, 1.0, 0, 0.0),  # d came back with a second deal, lost too
        ("lost", "price", 1, 0, 0.0, 0, 0.0),  # d's second loss: nothing after it
        ("lost", "all", 2, 1, 0.5, 0, 0.0),  # d (from its first loss) and f
    ]


def test_a_date_range_picks_the_moments_and_at_hides_what_came_later(built: History) -> None:
    from_tenth = report(built, "stage", first=date(2026, 2, 10))
    assert lines(from_tenth) == [
        ("mql", "reject", "not_ready", 1, 1.0),  # e's second rejection, 10 Feb 09:00 in Chicago
        ("discovery", "lost", "no_need", 1, 1.0),
        ("proposal", "lost", "price", 1, 1.0),
        ("negotiation", "lost", "competitor_won", 1, 1.0),
        ("all", "reject", "not_ready", 1, 1.0),
        ("all", "lost", "competitor_won", 1, pytest.approx(1 / 3)),
        ("all", "lost", "no_need", 1, pytest.approx(1 / 3)),
        ("all", "lost", "price", 1, pytest.approx(1 / 3)),
    ]
    # On 15 February: d's first loss only; a is a deal again (13 Feb) but not yet won (20 Feb), and d's
    # second deal (20 Feb) is still to come.
    mid_february = report(built, "stage", at=feb(15))
    assert [line for line in lines(mid_february) if line[1] == "lost"] == [
        ("discovery", "lost", "no_need", 1, 1.0),
        ("all", "lost", "no_need", 1, 1.0),
    ]
    assert recycled(mid_february) == [
        ("reject", "not_ready", 2, 0, 0.0, 0, 0.0),
        ("reject", "wrong_contact", 2, 1, 0.5, 0, 0.0),
        ("reject", "all", 3, 1, pytest.approx(1 / 3), 0, 0.0),
        ("lost", "no_need", 1, 0, 0.0, 0, 0.0),
        ("lost", "all", 1, 0, 0.0, 0, 0.0),
    ]


def test_an_unknown_grouping_is_refused_with_the_option_named(built: History) -> None:
    refused = pytest.raises(InvalidInput, match="by: 'month' is not one of")
    with UnitOfWork(built.engine) as uow, refused:
        reports.run(uow, FixedClock(AT), agreements.in_force(uow), "reasons", {"by": "month"})


def test_with_nothing_rejected_or_lost_there_are_no_rows(history: History) -> None:
    history.rep("ann", "americas")
    history.handed_over("a@alpha.example", feb(2), source="webinar")
    empty = report(history, "source")
    assert (empty.rows, empty.sections[0].rows) == ((), ())


# --- the demo world ---------------------------------------------------------------------------------------

REJECTED_FROM = ("mql", "sal", "sql")


def test_the_demo_reasons_match_counts_from_the_raw_tables(demo_world: DemoWorld) -> None:
    engine = demo_world.engine
    by_stage = run_report(engine, lambda ctx: reasons(ctx, "stage"), DEMO_AT)
    by_rep = run_report(engine, lambda ctx: reasons(ctx, "rep"), DEMO_AT)
    rejected = (
        select(StageChange.from_stage, User.name, StageChange.reason)
        .join(User, User.id == StageChange.by_user_id)
        .where(StageChange.from_stage.in_(REJECTED_FROM), StageChange.to_stage.in_(("recycled", "disqualified")))
    )
    lost = (
        select(Opportunity.stage, User.name, Opportunity.lost_reason)
        .join(User, User.id == Opportunity.owner_id)
        .where(Opportunity.won.is_(False))
    )
    with UnitOfWork(engine) as uow:
        rejects = uow.session.execute(rejected).all()
        losses = uow.session.execute(lost).all()
    expected_stage = Counter((stage, "reject", reason) for stage, _, reason in rejects)
    expected_stage += Counter((stage, "lost", reason) for stage, _, reason in losses)
    expected_rep = Counter((rep, "reject", reason) for _, rep, reason in rejects)
    expected_rep += Counter((rep, "lost", reason) for _, rep, reason in losses)
    for got, expected in ((by_stage, expected_stage), (by_rep, expected_rep)):
        counts = {(r["group"], r["kind"], r["reason"]): r["count"] for r in got.rows if r["group"] != "all"}
        assert counts == dict(expected)
    totals = {(r["kind"], r["reason"]): r["count"] for r in by_stage.rows if r["group"] == "all"}
    rejected_by_reason = grouped(
        engine,
        "SELECT reason, COUNT(*) FROM stage_changes WHERE by_user_id IS NOT NULL "
        "AND from_stage IN ('mql', 'sal', 'sql') AND to_stage IN ('recycled', 'disqualified') GROUP BY reason",
    )
    lost_by_reason = grouped(
        engine, "SELECT lost_reason, COUNT(*) FROM opportunities WHERE NOT won GROUP BY lost_reason"
    )
    assert {reason: n for (kind, reason), n in totals.items() if kind == "reject"} == rejected_by_reason
    assert {reason: n for (kind, reason), n in totals.items() if kind == "lost"} == lost_by_reason
    shares: dict[tuple[str, str], float] = {}
    for r in by_rep.rows:
        shares[(r["group"], r["kind"])] = shares.get((r["group"], r["kind"]), 0.0) + r["share"]
    assert shares == {key: pytest.approx(1) for key in shares}  # each rep's rejects, and losses, add up


def test_the_demo_recycled_leads_are_followed_as_the_raw_stage_history_shows(demo_world: DemoWorld) -> None:
    engine = demo_world.engine
    report = run_report(engine, lambda ctx: reasons(ctx, "stage"), DEMO_AT)
    with UnitOfWork(engine) as uow:
        changes = uow.session.execute(
            select(
                StageChange.lead_id, StageChange.from_stage, StageChange.to_stage, StageChange.at, StageChange.reason
            )
            .where(StageChange.by_user_id.is_not(None) | StageChange.to_stage.in_(("opportunity", "customer")))
            .order_by(StageChange.at, StageChange.id)
        ).all()
    firsts: dict[tuple[str, str, int], datetime] = {}
    for lead_id, from_stage, to_stage, at, reason in changes:
        if to_stage == "recycled" and from_stage in (*REJECTED_FROM, "opportunity"):
            kind = "lost" if from_stage == "opportunity" else "reject"
            firsts.setdefault((kind, reason or "(none)", lead_id), at)
    reached: dict[str, dict[int, list[datetime]]] = {"opportunity": {}, "customer": {}}
    for lead_id, _, to_stage, at, _ in changes:
        if to_stage in reached:
            reached[to_stage].setdefault(lead_id, []).append(at)
    expected: dict[tuple[str, str], list[int]] = {}
    for (kind, reason, lead_id), first in firsts.items():
        counts = expected.setdefault((kind, reason), [0, 0, 0])
        counts[0] += 1
        for i, stage in ((1, "opportunity"), (2, "customer")):
            counts[i] += any(at > first for at in reached[stage].get(lead_id, []))
    (section,) = report.sections
    got = {
        (r["kind"], r["reason"]): [r["recycled"], r["opportunity"], r["customer"]]
        for r in section.rows
        if r["reason"] != "all"
    }
    assert got == expected
    assert sum(n for n, _, _ in expected.values()) > 50  # the demo recycles plenty of leads
    assert any(later for _, later, _ in expected.values())  # and some of them come back to a deal
