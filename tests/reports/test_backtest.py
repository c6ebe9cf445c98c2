"""The replay and the backtest: the replay agrees with the domain's own rules, and a backtest compares two agreements.

The replay is checked lead by lead against ``scoring.entry_moment`` run in Python on the raw events of the demo
world (when the agreement takes each lead, and whether to the qualifiers), under the agreement in force and under
a stricter one; the backtest is worked out by hand on small histories, one of them with screening, and checked on
the demo world for the properties a manager relies on: the agreement in force against itself changes nothing,
its MQLs are the funnel's but for the leads the page counts and explains, and a stricter threshold only ever
removes MQLs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from leadpact.analytics import engines
from leadpact.analytics.funnel import funnel as funnel_report
from leadpact.analytics.replay import qualifications
from leadpact.demo.simulation import demo_agreement
from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.errors import InvalidInput
from leadpact.domain.report import Backtest
from leadpact.domain.scoring import to_seconds
from leadpact.services import agreements, reports, team
from leadpact.services import screening as screen
from leadpact.services.clock import FixedClock
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import EXAMPLE
from tests.reports.conftest import (
    COLD,
    DEMO_AT,
    HOT,
    WARM,
    DemoWorld,
    History,
    python_moments,
    python_replay,
    run_report,
    scalar,
    utc,
)
from tests.screening import SECTION, with_screening

LEADPACT = Path(sys.executable).parent / "leadpact"
IN_FORCE = demo_agreement()
"""The demo world's agreement: the example with the demo's screening section."""
STRICT = EXAMPLE.read_text().replace("qualified: {score_at_least: 60", "qualified: {score_at_least: 75")
DEMO_STRICT = IN_FORCE.replace("qualified: {score_at_least: 60", "qualified: {score_at_least: 75")
SCREENED = with_screening(
    SECTION.replace(
        "score_at_least: 25, grades: [A, B, C], sources: [webinar, Tradeshow]",
        "score_at_least: 40, grades: [B, C], sources: [webinar, Trade_Show, paid_search]",
    )
)
"""Screening takes B and C leads of three sources at 40 points: the replay's moment is the first either rule holds."""
JAN5 = utc(2026, 1, 5, 15)
AT = utc(2026, 6, 1)


def day(n: float) -> timedelta:
    return timedelta(days=n)


def run_backtest(
    engine: Engine,
    text: str,
    at: object = AT,
    against: int | None = None,
    since: date | None = None,
    engine_name: str = "app",
) -> Backtest:
    with UnitOfWork(engine) as uow:
        inforce = agreements.in_force(uow)
        clock = FixedClock(at)  # type: ignore[arg-type]
        return reports.backtest(uow, clock, inforce, text, "candidate.yaml", against, since, engine_name)


@pytest.mark.parametrize("text", [IN_FORCE, DEMO_STRICT, SCREENED], ids=["in force", "stricter", "screening"])
def test_the_replay_qualifies_every_demo_lead_when_the_domain_rules_say(demo_world: DemoWorld, text: str) -> None:
    agreement = parse_agreement(text, "agreement.yaml")
    at = to_seconds(DEMO_AT)
    con = engines.connect(demo_world.engine.url, "app", engines.REPORT_TABLES)
    try:
        replayed = {
            r["lead_id"]: (r["qualified_at"], r["screened"])
            for r in qualifications(con, agreement, at).to_pyarrow().to_pylist()
        }
    finally:
        con.disconnect()
    expected = {
        lead_id: (r.moment, r.screened) for lead_id, r in python_replay(demo_world.engine, agreement, at).items()
    }
    assert replayed == expected
    assert sum(1 for moment, _ in expected.values() if moment is not None) > 50  # the check covers many MQLs
    assert sum(1 for _, screened in expected.values() if screened) > 10  # and many leads taken to screening


def test_the_agreement_in_force_against_itself_changes_nothing(demo_world: DemoWorld) -> None:
    result = run_backtest(demo_world.engine, IN_FORCE, DEMO_AT)
    assert result.changed == ()
    for row in result.months.rows:
        assert row["cur_mql"] == row["cand_mql"]
        assert row["cur_opportunity_share"] == row["cand_opportunity_share"]
        assert row["cur_recall"] == row["cand_recall"]
        assert (row["added"], row["dropped"], row["cand_missed_revenue"]) == (0, 0, 0)
    assert [r["cur_per_week"] for r in result.load.rows] == [r["cand_per_week"] for r in result.load.rows]
    total = result.months.rows[-1]
    won = "FROM opportunities WHERE won"
    assert total["won_deals"] == scalar(demo_world.engine, f"SELECT COUNT(*) {won}")
    assert total["won_revenue"] == pytest.approx(scalar(demo_world.engine, f"SELECT SUM(amount) {won}"))
    # the MQLs recorded are the funnel's; the replay's differ by the leads the note counts, and no more
    funnel = run_report(demo_world.engine, lambda ctx: funnel_report(ctx, "source"), DEMO_AT).rows[-1]
    assert total["recorded_mql"] == funnel["mql"] > 0
    assert total["cur_screened"] > 10
    replay_only, record_only = differences(result)
    assert total["cur_mql"] - total["recorded_mql"] == replay_only - record_only


def differences(result: Backtest) -> tuple[int, int]:
    """The MQLs of the period only the replay of the version compared against has, and only the record has, as
    the page's note counts them."""
    (note,) = [n for n in result.months.notes if n.startswith("MQL recorded:")]
    found = re.search(
        r"Of the MQLs of the period, ([\d,]+) are the replay's of .* only and ([\d,]+) the record's", note
    )
    assert found is not None, note
    return int(found[1].replace(",", "")), int(found[2].replace(",", ""))


def test_a_stricter_threshold_only_removes_mqls_and_keeps_only_leads_the_stricter_rule_qualifies(
    demo_world: DemoWorld,
) -> None:
    result = run_backtest(demo_world.engine, DEMO_STRICT, DEMO_AT)
    total = result.months.rows[-1]
    assert total["cand_mql"] < total["cur_mql"]
    assert total["added"] == 0
    assert total["dropped"] == total["cur_mql"] - total["cand_mql"] == len(result.changed)
    strict = parse_agreement(DEMO_STRICT, "strict.yaml")
    by_rule = python_moments(demo_world.engine, strict, to_seconds(DEMO_AT))
    for change in result.changed:
        assert change["current"]["mql"]
        assert not change["candidate"]["mql"]
        assert by_rule[change["id"]] is None  # the stricter rule itself never qualifies it
    assert total["cand_revenue"] <= total["cur_revenue"]


@pytest.fixture
def built(history: History) -> History:
    """Four leads under the example agreement (threshold 60), against a candidate that asks for 75:

    - a: grade A (fit 50) fills in the contact form (30) on 5 January: 80, MQL under both; opportunity, won;
    - b: grade A attends a webinar (15) on 2 February: 65, MQL now, not under the candidate;
    - c: grade B (fit 38) fills in the contact form on 9 March: 68, MQL now only; opportunity, lost;
    - d: grade D asks for a demo: an immediate event, but D is not among the immediate grades: never.
    """
    h = history
    h.rep("ann", "americas", 2)
    h.capture("a@alpha.example", JAN5, **HOT)
    h.event("a@alpha.example", "contact_form", JAN5)
    h.accept("a@alpha.example", JAN5 + day(1))
    h.qualify("a@alpha.example", JAN5 + day(2))
    h.convert("a@alpha.example", JAN5 + day(3), 10_000, date(2026, 3, 31))
    h.win("a@alpha.example", JAN5 + day(20))
    h.capture("b@beta.example", utc(2026, 2, 2, 15), **HOT)
    h.event("b@beta.example", "webinar_attended", utc(2026, 2, 2, 15))
    h.capture("c@gamma.example", utc(2026, 3, 9, 15), **WARM)
    h.event("c@gamma.example", "contact_form", utc(2026, 3, 9, 15))
    h.accept("c@gamma.example", utc(2026, 3, 10, 15))
    h.qualify("c@gamma.example", utc(2026, 3, 11, 15))
    h.convert("c@gamma.example", utc(2026, 3, 12, 15), 4_000, date(2026, 5, 31))
    h.lose("c@gamma.example", utc(2026, 3, 20, 15), "no_need")
    h.capture("d@delta.example", utc(2026, 3, 9, 16), **COLD)
    h.event("d@delta.example", "demo_request", utc(2026, 3, 9, 16))
    return h


@pytest.mark.parametrize("engine_name", ["app", "duckdb"])
def test_a_backtest_worked_out_by_hand(built: History, engine_name: str) -> None:
    result = run_backtest(built.engine, STRICT, engine_name=engine_name)
    months = {row["month"]: row for row in result.months.rows}
    assert list(months) == ["2026-01", "2026-02", "2026-03", "all"]
    assert [(months[m]["cur_mql"], months[m]["cand_mql"]) for m in ("2026-01", "2026-02", "2026-03")] == [
        (1, 1),
        (1, 0),
        (1, 0),
    ]
    total = months["all"]
    assert (total["cur_mql"], total["cand_mql"], total["added"], total["dropped"]) == (3, 1, 0, 2)
    assert total["cur_opportunity_share"] == pytest.approx(2 / 3)  # a and c had opportunities, b none
    assert total["cand_opportunity_share"] == 1  # a
    assert total["cur_won_share"] == pytest.approx(1 / 3)
    assert (total["won_deals"], total["won_revenue"], total["cur_recall"], total["cand_recall"]) == (1, 10_000, 1, 1)
    assert months["2026-01"]["won_deals"] == 1  # a was won on 25 January
    assert [c["email"] for c in result.changed] == ["b@beta.example", "c@gamma.example"]
    c = result.changed[1]
    assert c["current"] == {
        "mql": True,
        "screened": False,
        "qualified_at": "2026-03-09T15:00:00+00:00",
        "qualified_on": "2026-03-09",
    }
    assert c["candidate"] == {"mql": False, "screened": False, "qualified_at": None, "qualified_on": None}
    assert [months[m]["recorded_mql"] for m in ("2026-01", "2026-02", "2026-03", "all")] == [1, 1, 1, 3]
    assert (total["cur_screened"], total["cand_screened"]) == (0, 0)  # no screening section on either side
    assert differences(result) == (0, 0)
    assert c["recorded"] == {"opportunity": True, "won": False, "revenue": 0.0}
    weeks = (AT - JAN5).total_seconds() / (7 * 86_400)  # from the first MQL to the backtest's moment
    (ann,) = result.load.rows
    assert ann["cur_per_week"] == pytest.approx(3 / weeks)  # ann is the whole americas team
    assert ann["cand_per_week"] == pytest.approx(1 / weeks)
    assert ann["assigned_per_week"] == pytest.approx(3 / weeks)  # a, b and c were assigned to her


def test_since_limits_the_period_and_against_picks_the_version(built: History) -> None:
    february = run_backtest(built.engine, STRICT, since=date(2026, 2, 1))
    total = february.months.rows[-1]
    assert (total["cur_mql"], total["cand_mql"], total["won_deals"]) == (2, 0, 0)  # a qualified and won in January
    with UnitOfWork(built.engine) as uow:
        agreements.adopt(uow, FixedClock(utc(2026, 5, 1)), STRICT, "strict.yaml", "Dana", "Sam")
    looser = run_backtest(built.engine, EXAMPLE.read_text())  # against version 2, the stricter one, now in force
    assert (looser.months.rows[-1]["added"], looser.current) == (2, "version 2 (in force)")
    assert run_backtest(built.engine, EXAMPLE.read_text(), against=1).changed == ()
    with pytest.raises(InvalidInput, match="since: 2026-07-01 is after 2026-06-01"):
        run_backtest(built.engine, STRICT, since=date(2026, 7, 1))


def test_the_cli_prints_json_with_months_and_changed_and_names_a_bad_line(built: History, tmp_path: Path) -> None:
    url = built.engine.url.render_as_string(hide_password=False)
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(STRICT)
    done = subprocess.run(
        [LEADPACT, "--db", url, "agreement", "backtest", str(candidate), "--at", "2026-06-01T00:00:00Z", "--json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    assert [m["month"] for m in output["months"]] == ["2026-01", "2026-02", "2026-03", "all"]
    assert [(c["email"], c["current"]["mql"], c["candidate"]["mql"]) for c in output["changed"]] == [
        ("b@beta.example", True, False),
        ("c@gamma.example", True, False),
    ]
    table = subprocess.run(
        [LEADPACT, "--db", url, "agreement", "backtest", str(candidate), "--at", "2026-06-01T00:00:00Z"],
        capture_output=True,
        text=True,
    )
    assert "2 leads change: 0 more MQLs under the candidate" in table.stdout
    candidate.write_text(STRICT.replace("score_at_least: 75", "score_at_least: lots"))
    bad = subprocess.run(
        [LEADPACT, "--db", url, "agreement", "backtest", str(candidate)], capture_output=True, text=True
    )
    assert bad.returncode == 2
    line = next(i for i, text in enumerate(STRICT.splitlines(), 1) if text.startswith("qualified:"))
    assert f"{candidate}:{line}: qualified.score_at_least" in bad.stderr


SCREEN_PAID_SEARCH = with_screening(
    SECTION.replace("sources: [webinar, Tradeshow]", "sources: [webinar, Tradeshow, paid_search]")
)
"""The candidate also sends paid-search leads of 25 points and more to the qualifiers."""
READY = {"budget": "yes", "authority": "decision_maker", "timing": "this_quarter"}


@pytest.fixture
def screening_history(engine: Engine) -> History:
    """Under the example agreement with screening (webinar leads of 25 points and more go to the qualifiers):

    - a: webinar, grade A, captured on 5 January: to screening; quinn passes it on 13 January: an MQL then;
    - c: webinar, grade A, captured on 7 January: to screening; quinn disqualifies it;
    - e: paid search, grade A, fills in the contact form on 2 February: 80, an MQL straight away;
    - f: paid search, a plant manager of a company of 1,000 (fit 23, grade C), fills in the contact form on
      5 January: 53, no MQL. On 1 March its industry is learned (manufacturing: fit 38, grade B), when the form's
      30 points have decayed to under 8: still no MQL. A replay judges the fit it has now from the start: 68 on
      5 January, an MQL of the replay only.
    """
    with UnitOfWork(engine) as uow:
        agreements.adopt(uow, FixedClock(utc(2026, 1, 1)), with_screening(), "agreement.yaml", "Dana", "Sam")
    with UnitOfWork(engine) as uow:
        h = History(engine, agreements.in_force(uow))
        team.add_user(uow, FixedClock(utc(2026, 1, 1)), "quinn", "qualifier", "sdr")
    h.rep("ann", "americas")
    h.capture("a@alpha.example", JAN5, source="webinar", **HOT)
    h.capture("c@gamma.example", utc(2026, 1, 7, 15), source="webinar", **HOT)
    h.capture("e@epsilon.example", utc(2026, 2, 2, 15), source="paid_search", **HOT)
    h.event("e@epsilon.example", "contact_form", utc(2026, 2, 2, 15))
    plant_manager = {k: v for k, v in WARM.items() if k != "industry"}
    h.capture("f@phi.example", JAN5, source="paid_search", **plant_manager)
    h.event("f@phi.example", "contact_form", JAN5)
    h.capture("f@phi.example", utc(2026, 3, 1, 15), source="paid_search", **WARM)

    h._act(
        "a@alpha.example",
        utc(2026, 1, 13, 15),
        lambda uow, clock, lead: screen.pass_to_sales(uow, clock, h.inforce, lead, None, "quinn", READY),
    )
    h._act(
        "c@gamma.example",
        utc(2026, 1, 13, 15),
        lambda uow, clock, lead: screen.disqualify(uow, clock, h.inforce, lead, "competitor", None, "quinn"),
    )
    return h


@pytest.mark.parametrize("engine_name", ["app", "duckdb"])
def test_a_screened_lead_is_an_mql_of_the_backtest_when_the_qualifiers_passed_it_as_recorded(
    screening_history: History, engine_name: str
) -> None:
    h = screening_history
    itself = run_backtest(h.engine, with_screening(), engine_name=engine_name)
    months = {row["month"]: row for row in itself.months.rows}
    keys = ("cur_mql", "cur_screened", "recorded_mql")
    assert {m: tuple(row[k] for k in keys) for m, row in months.items()} == {
        "2026-01": (2, 2, 1),  # a (passed) and f (the replay only); a and c screened; a passed on 13 January
        "2026-02": (1, 0, 1),  # e
        "all": (3, 2, 2),
    }
    assert differences(itself) == (1, 0)  # f
    assert itself.changed == ()
    funnel = run_report(h.engine, lambda ctx: funnel_report(ctx, "source"), AT, engine_name=engine_name).rows[-1]
    assert (funnel["mql"], funnel["screened"]) == (months["all"]["recorded_mql"], months["all"]["cur_screened"])

    wider = run_backtest(h.engine, SCREEN_PAID_SEARCH, engine_name=engine_name)
    total = wider.months.rows[-1]
    # e and f go to the qualifiers instead: whether they would pass them nobody recorded, so they are no MQLs
    assert (total["cand_mql"], total["cand_screened"], total["dropped"], total["added"]) == (1, 4, 2, 0)
    assert [c["email"] for c in wider.changed] == ["e@epsilon.example", "f@phi.example"]
    f = wider.changed[1]
    assert f["current"] == {
        "mql": True,
        "screened": False,
        "qualified_at": "2026-01-05T15:00:00+00:00",
        "qualified_on": "2026-01-05",
    }
    assert (f["candidate"]["mql"], f["candidate"]["screened"]) == (False, True)
