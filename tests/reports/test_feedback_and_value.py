"""The feedback and value reports on a small hand-built history whose every number is worked out below.

Two campaigns: webinar-a (channel webinar, cost 1,000) and ads-b (channel ads, cost 600). Grade A leads, each
an MQL as captured:

- l1 (webinar-a): met roboworks at contact, asked for the SAP connector, door opened by roi_calculator; won
  10,000 against roboworks, crediting the webinar-a campaign.
- l2 (webinar-a): lost 30,000 at proposal to roboworks, asking for the SAP connector and the mobile app.
- l3 (webinar-a): asked for the SAP connector at contact (roi_calculator); its 20,000 deal is still open.
- l4 (ads-b): won 50,000 against automata, door opened by roi_calculator.
- l6 (webinar-a): an MQL and nothing more. l5 (ads-b, at another account) is a grade D inquiry.
"""

from __future__ import annotations

from datetime import date

import pytest

from leadpact.analytics.calibration import wilson
from leadpact.analytics.feedback import feedback
from leadpact.analytics.value import value
from leadpact.domain.feedback import Given
from leadpact.services import feedback as feedback_service
from leadpact.services import intake
from leadpact.services.clock import FixedClock
from leadpact.store.unit_of_work import UnitOfWork
from tests.reports.conftest import COLD, History, rows_by, run_report, utc

AT = utc(2026, 4, 1)


def told(history: History, email: str, day: int, moment: str, given: Given) -> None:
    with UnitOfWork(history.engine) as uow:
        lead = intake.find_lead(uow, email)
        feedback_service.record(uow, FixedClock(utc(2026, 2, day, 16)), history.inforce, lead, moment, given)


def to_opportunity(history: History, email: str, day: int, amount: float) -> None:
    history.accept(email, utc(2026, 2, day, 15))
    history.contact(email, utc(2026, 2, day, 15, 30))
    history.qualify(email, utc(2026, 2, day, 16))
    history.convert(email, utc(2026, 2, day, 17), amount, date(2026, 6, 30))


@pytest.fixture
def world(history: History) -> History:
    history.rep("alice", "americas")
    history.campaign("webinar-a", "webinar")
    history.campaign("ads-b", "ads")
    history.cost("webinar-a", date(2026, 1, 10), 1_000)
    history.cost("ads-b", date(2026, 1, 10), 600)
    for n, campaign in ((1, "webinar-a"), (2, "webinar-a"), (3, "webinar-a"), (4, "ads-b"), (6, "webinar-a")):
        history.handed_over(f"l{n}@acme.example", utc(2026, 2, 2, 15), campaign=campaign)
    history.capture("l5@elsewhere.example", utc(2026, 2, 2, 15), campaign="ads-b", **COLD)
    to_opportunity(history, "l1@acme.example", 3, 10_000)
    told(history, "l1@acme.example", 3, "contact", Given("roboworks", ("sap_connector",), "roi_calculator"))
    history.win("l1@acme.example", utc(2026, 3, 2, 15))
    told(history, "l1@acme.example", 28, "won", Given("roboworks", message="webinar-a"))
    to_opportunity(history, "l2@acme.example", 4, 30_000)
    history.stage("l2@acme.example", utc(2026, 2, 5, 15), "proposal")
    history.lose("l2@acme.example", utc(2026, 2, 6, 15), "competitor_won")
    told(history, "l2@acme.example", 6, "lost", Given("roboworks", ("sap_connector", "mobile_app")))
    to_opportunity(history, "l3@acme.example", 5, 20_000)
    told(history, "l3@acme.example", 5, "contact", Given(requests=("sap_connector",), message="roi_calculator"))
    to_opportunity(history, "l4@acme.example", 9, 50_000)
    history.win("l4@acme.example", utc(2026, 2, 10, 15))
    told(history, "l4@acme.example", 10, "won", Given("automata", message="roi_calculator", note="CFO liked it"))
    return history


def test_the_feedback_report_sums_competitors_requests_and_messages_as_worked_out_by_hand(world: History) -> None:
    report = run_report(world.engine, feedback, AT)
    competitors = rows_by(report, "competitor")
    assert list(competitors) == ["roboworks", "automata", "in_house"]
    assert competitors["roboworks"] == {
        "competitor": "roboworks",
        "contact": 1,
        "lost": 1,
        "won": 1,
        "lost_at_discovery": 0,
        "lost_at_proposal": 1,
        "lost_at_negotiation": 0,
        "lost_amount": 30_000,
        "won_amount": 10_000,
        "win_rate": 0.5,
    }
    assert (competitors["automata"]["won"], competitors["automata"]["won_amount"]) == (1, 50_000)
    assert competitors["automata"]["win_rate"] == 1.0
    assert competitors["in_house"]["win_rate"] is None
    requests, messages = report.sections
    assert [(r["request"], r["mentions"], r["leads"], r["open_amount"], r["lost_amount"]) for r in requests.rows] == [
        ("sap_connector", 3, 3, 20_000, 30_000),
        ("mobile_app", 1, 1, 0, 30_000),
        ("api_rate_limits", 0, 0, 0, 0),
    ]
    assert [(m["message"], m["mentions"], m["leads"], m["won"], m["revenue"]) for m in messages.rows] == [
        ("roi_calculator", 3, 3, 2, 60_000),
        ("webinar-a", 1, 1, 1, 10_000),  # a campaign named as the message
        ("case_study_auto", 0, 0, 0, 0),
        ("webinar_series", 0, 0, 0, 0),
    ]
    duck = run_report(world.engine, feedback, AT, engine_name="duckdb")
    assert (duck.rows, duck.sections) == (report.rows, report.sections)
    before = run_report(world.engine, feedback, AT, last=date(2026, 2, 5))  # the range bounds the feedback
    assert rows_by(before, "competitor")["roboworks"]["lost"] == 0
    assert rows_by(before, "competitor")["roboworks"]["contact"] == 1


def test_the_wilson_interval_is_the_published_one() -> None:
    assert wilson(1, 4) == pytest.approx((0.0456, 0.6994), abs=1e-4)
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson(0, 0) == (None, None)


def test_the_value_report_gives_revenue_per_lead_expected_value_and_spread_next_to_cost_per_lead(
    world: History,
) -> None:
    by_campaign = rows_by(run_report(world.engine, lambda ctx: value(ctx, "campaign"), AT))
    assert list(by_campaign) == ["webinar-a", "ads-b", "all"]
    webinar = by_campaign["webinar-a"]
    assert (webinar["leads"], webinar["mql"], webinar["won"], webinar["revenue"]) == (4, 4, 1, 10_000)
    assert (webinar["revenue_per_lead"], webinar["revenue_per_mql"]) == (2_500, 2_500)
    assert (webinar["conversion"], webinar["average_deal"], webinar["expected_value"]) == (0.25, 10_000, 2_500)
    assert webinar["conversion_low"] == pytest.approx(0.0456, abs=1e-4)
    # one win of its own: the deal spread is the cohort's, 30,000 ± 1.96 * 20,000 (from 10,000 and 50,000)
    assert webinar["expected_low"] == 0.0
    assert webinar["expected_high"] == pytest.approx(0.699358 * (30_000 + 1.959964 * 20_000), rel=1e-4)
    assert (webinar["cost_per_lead"], webinar["max_cost_per_lead"], webinar["headroom"]) == (250, 2_500, 2_250)
    ads = by_campaign["ads-b"]
    assert (ads["leads"], ads["mql"], ads["won"], ads["revenue_per_lead"], ads["revenue_per_mql"]) == (
        2,
        1,
        1,
        25_000,
        50_000,
    )
    assert (ads["expected_value"], ads["cost_per_lead"], ads["headroom"]) == (25_000, 300, 24_700)
    everyone = by_campaign["all"]
    assert (everyone["leads"], everyone["won"], everyone["revenue"], everyone["expected_value"]) == (
        6,
        2,
        60_000,
        10_000,
    )
    assert everyone["cost_per_lead"] == pytest.approx(1_600 / 6)
    high_conversion = wilson(2, 6)[1]
    assert high_conversion is not None
    assert everyone["expected_high"] == pytest.approx(high_conversion * (30_000 + 1.959964 * 20_000), rel=1e-4)

    duck = rows_by(run_report(world.engine, lambda ctx: value(ctx, "campaign"), AT, engine_name="duckdb"))
    for name, row in by_campaign.items():
        assert {k: v for k, v in duck[name].items() if k != "group"} == pytest.approx(
            {k: v for k, v in row.items() if k != "group"}
        )
    by_source = rows_by(run_report(world.engine, lambda ctx: value(ctx, "source"), AT))
    assert (by_source["webinar"]["cost_per_lead"], by_source["ads"]["cost_per_lead"]) == (250, 300)
    by_grade = run_report(world.engine, lambda ctx: value(ctx, "grade"), AT)
    assert [(r["group"], r["leads"], r["won"], r["cost_per_lead"]) for r in by_grade.rows] == [
        ("A", 5, 2, None),
        ("D", 1, 0, None),
        ("all", 6, 2, None),
    ]
