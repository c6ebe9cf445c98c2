"""The grade calibration report: a hand-built history worked out by hand, and the demo world against the domain."""

from __future__ import annotations

import bisect
from datetime import date

import pytest
from sqlalchemy import Engine

from leadpact.analytics.calibration import calibration, wilson
from leadpact.domain.scoring import to_seconds
from leadpact.services import agreements
from leadpact.store.unit_of_work import UnitOfWork
from tests.reports.conftest import (
    COLD,
    DEMO_AT,
    HOT,
    WARM,
    DemoWorld,
    History,
    grouped,
    python_replay,
    rows_by,
    run_report,
    utc,
)

JAN5 = utc(2026, 1, 5, 15)
AT = utc(2026, 6, 1)


def test_the_wilson_interval_matches_published_values() -> None:
    low, high = wilson(2, 3)  # 2 successes in 3 trials, 95 %
    assert low == pytest.approx(0.2077, abs=1e-4)
    assert high == pytest.approx(0.9385, abs=1e-4)
    low, high = wilson(0, 2)  # none in 2: from 0 to z²/(n + z²)
    assert low == 0
    assert high == pytest.approx(1.959964**2 / (2 + 1.959964**2))
    assert wilson(0, 0) == (None, None)


@pytest.fixture
def built(history: History) -> History:
    """Six leads under the example agreement (threshold 60, bands hot 80 / warm 40):

    - a1, a2: grade A (fit 50) fill in the contact form (30): peak 80, MQL; a1 is won, a2 lost;
    - a3: grade A, no events: peak 50;
    - b1: grade B (fit 38) fills in the contact form: peak 68, MQL, never an opportunity;
    - b2: grade B, no events: peak 38;
    - d: grade D (fit 0), no events: peak 0.
    """
    h = history
    h.rep("ann", "americas")
    for n, email in enumerate(("a1@one.example", "a2@two.example")):
        moment = utc(2026, 1, 5 + n, 15)
        h.capture(email, moment, **HOT)
        h.event(email, "contact_form", moment)
        h.accept(email, utc(2026, 1, 12, 15))
        h.qualify(email, utc(2026, 1, 13, 15))
        h.convert(email, utc(2026, 1, 14, 15), 1_000, date(2026, 3, 31))
    h.win("a1@one.example", utc(2026, 2, 2, 15))
    h.lose("a2@two.example", utc(2026, 2, 2, 15), "no_need")
    h.capture("a3@three.example", JAN5, **HOT)
    h.capture("b1@four.example", JAN5, **WARM)
    h.event("b1@four.example", "contact_form", JAN5)
    h.capture("b2@five.example", JAN5, **WARM)
    h.capture("d@six.example", JAN5, **COLD)
    return h


@pytest.mark.parametrize("engine_name", ["app", "duckdb"])
def test_conversion_by_grade_band_decile_and_threshold_worked_out_by_hand(built: History, engine_name: str) -> None:
    report = run_report(built.engine, calibration, AT, engine_name=engine_name)
    grades = rows_by(report)
    assert list(grades) == ["A", "B", "C", "D"]  # every grade of the agreement, in its order
    assert [(grades[g]["leads"], grades[g]["opportunities"], grades[g]["won"]) for g in "ABCD"] == [
        (3, 2, 1),
        (2, 0, 0),
        (0, 0, 0),
        (1, 0, 0),
    ]
    assert grades["A"]["opportunity_rate"] == pytest.approx(2 / 3)
    assert grades["A"]["opportunity_low"] == pytest.approx(0.2077, abs=1e-4)
    assert grades["C"]["opportunity_rate"] is None  # no lead: no rate, and no interval
    bands, deciles, threshold = (rows_by(section) for section in report.sections)
    assert {b: bands[b]["leads"] for b in bands} == {"hot": 2, "warm": 2, "future": 2}
    assert bands["hot"]["won"] == 1
    # peaks 0, 38, 50, 68, 80, 80 ranked 0..4 (the two 80s share rank 4): decile = floor(rank * 10 / 6) + 1
    assert {d: deciles[d]["leads"] for d in deciles} == {"7": 2, "6": 1, "4": 1, "2": 1, "1": 1}
    assert list(deciles) == ["7", "6", "4", "2", "1"]  # highest first
    assert (threshold["qualifies"]["leads"], threshold["qualifies"]["opportunities"]) == (3, 2)
    assert threshold["does not qualify"]["opportunities"] == 0
    assert report.notes[0].startswith("Grade A beats B at turning into opportunities (66.7 % against 0.0 %)")
    assert "Grade B does not beat D" in report.notes[1]
    # 2 of 3 (95 % from 20.8 %) against 0 of 3 (up to 56.1 %): the intervals overlap
    assert report.notes[2].startswith("The threshold (score 60) does not clearly separate the leads: 66.7 % of")


def test_a_date_range_takes_the_leads_captured_in_it(built: History) -> None:
    january_sixth = run_report(built.engine, calibration, AT, first=date(2026, 1, 6), last=date(2026, 1, 6))
    assert [(row["group"], row["leads"]) for row in january_sixth.rows if row["leads"]] == [("A", 1)]  # a2


def test_the_demo_grades_match_the_domain_rules_and_the_raw_outcomes(demo_world: DemoWorld) -> None:
    engine: Engine = demo_world.engine
    report = run_report(engine, calibration, DEMO_AT)
    with UnitOfWork(engine) as uow:
        agreement = agreements.in_force(uow).agreement
    replayed = python_replay(engine, agreement, to_seconds(DEMO_AT))
    with_deal = set(grouped(engine, "SELECT lead_id, COUNT(*) FROM opportunities GROUP BY lead_id"))
    won = set(grouped(engine, "SELECT lead_id, COUNT(*) FROM opportunities WHERE won GROUP BY lead_id"))
    expected: dict[str, list[int]] = {g.grade: [0, 0, 0] for g in agreement.grades}
    bands: dict[str, list[int]] = {b.band: [0, 0, 0] for b in agreement.priority}
    for lead_id, replay in replayed.items():
        for counts in (expected[agreement.grade_for(replay.fit)], bands[agreement.band_for(replay.peak)]):
            counts[0] += 1
            counts[1] += lead_id in with_deal
            counts[2] += lead_id in won
    grades = rows_by(report)
    assert {g: [grades[g]["leads"], grades[g]["opportunities"], grades[g]["won"]] for g in expected} == expected
    by_band = rows_by(report.sections[0])
    assert {b: [by_band[b]["leads"], by_band[b]["opportunities"], by_band[b]["won"]] for b in bands} == bands
    qualifies = {lead_id for lead_id, replay in replayed.items() if replay.moment is not None}
    threshold = rows_by(report.sections[2])
    assert threshold["qualifies"]["leads"] == len(qualifies)
    assert threshold["qualifies"]["opportunities"] == len(qualifies & with_deal)
    # decile = floor(10 * (leads with a lower peak) / leads) + 1, peaks rounded to absorb the last bits
    peaks = sorted(round(r.peak, 6) for r in replayed.values())
    deciles: dict[str, int] = {}
    for replay in replayed.values():
        lower = bisect.bisect_left(peaks, round(replay.peak, 6))
        key = str(10 * lower // len(peaks) + 1)
        deciles[key] = deciles.get(key, 0) + 1
    assert {row["group"]: row["leads"] for row in report.sections[1].rows} == deciles
