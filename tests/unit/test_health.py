"""Every health bound, from the file to its words: read, judged on a measured value, described, documented.

The tests walk every indicator, so an indicator added to ``Indicator`` and ``health`` alone fails here until it
has a case below, its words, and its row in docs/agreement.md.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import NamedTuple

import pytest

from leadpact.domain.agreement import Agreement, HealthBound, Indicator
from leadpact.domain.agreement_diff import diff_agreements
from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.health import (
    DRIFT,
    PSI_FLOOR,
    GradeCount,
    Status,
    Watched,
    calibration_reading,
    describe_bound,
    describe_limit,
    docs_table,
    judge,
    model_calibration_reading,
    rate_reading,
    shares,
    shift_reading,
    spec,
    stability_index,
    unjudged_drift,
    window,
)
from leadpact.domain.wording import parts
from tests.conftest import EXAMPLE

DOCS = Path(__file__).parents[2] / "docs" / "agreement.md"
FIRST, LAST = date(2026, 1, 1), date(2026, 3, 31)


def with_health(*bounds: str) -> Agreement:
    """The example agreement with its health section made of these lines."""
    text = EXAMPLE.read_text()
    body = "".join(f"  {line}\n" for line in bounds)
    return parse_agreement(text[: text.index("\nhealth:")] + "\nhealth:\n" + body, "agreement.yaml")


class Case(NamedTuple):
    bound: HealthBound  # what the documented example reads as
    holds_at: float
    breaks_at: float
    limit: str
    words: str


CASES: dict[Indicator, Case] = {
    Indicator.ACCEPTANCE_RATE: Case(
        HealthBound(Indicator.ACCEPTANCE_RATE, 0.7, 90, 20),
        0.7,
        0.69,
        "at least 70 %",
        "sales accepts at least 70 % of the leads handed to it, over the last 90 days (judged from 20 leads handed "
        "off)",
    ),
    Indicator.CONTACT_WITHIN_SLA: Case(
        HealthBound(Indicator.CONTACT_WITHIN_SLA, 0.8, 90, 20),
        0.8,
        0.79,
        "at least 80 %",
        "at least 80 % of the first contacts due are made within the SLA, over the last 90 days (judged from 20 "
        "assignments due a contact)",
    ),
    Indicator.NEVER_CONTACTED: Case(
        HealthBound(Indicator.NEVER_CONTACTED, 0.05, 90, 20, after_days=7),
        0.05,
        0.051,
        "at most 5 %",
        "at most 5 % of the leads assigned over the last 90 days, 7 days ago or more, are never contacted (judged "
        "from 20 leads assigned)",
    ),
    Indicator.GRADE_CALIBRATION: Case(
        HealthBound(Indicator.GRADE_CALIBRATION, 0.0, 90, 30, grades=("A", "B", "C")),
        0.001,
        0.0,
        "A > B > C",
        "grade A beats B beats C at turning leads into opportunities, over the last 90 days (a grade is judged from "
        "30 leads)",
    ),
    Indicator.POPULATION_SHIFT: Case(
        HealthBound(Indicator.POPULATION_SHIFT, 0.25, 90, 200),
        0.25,
        0.251,
        "at most 0.25",
        "the lead model's predicted chances for the hand-offs over the last 90 days stay close to those of the "
        "hand-offs it learned from: a population stability index of at most 0.25 (judged from 200 hand-offs in the "
        "window)",
    ),
    Indicator.MODEL_CALIBRATION: Case(
        HealthBound(Indicator.MODEL_CALIBRATION, 0.1, 90, 100),
        0.1,
        0.101,
        "at most 0.1",
        "the lead model's chances match the outcomes of the hand-offs whose horizon ended in the last 90 days: a "
        "calibration error of at most 0.1 (judged from 100 hand-offs whose outcome became known)",
    ),
}
SIGNED = [i for i in Indicator if i not in DRIFT]
"""The indicators the example agreement signs: it names no lead model, so its drift bounds are comments."""


def test_every_indicator_has_a_case_here() -> None:
    assert set(CASES) == set(Indicator)


@pytest.mark.parametrize("indicator", list(Indicator))
def test_the_documented_example_reads_judges_and_reads_back_in_words(indicator: Indicator) -> None:
    case = CASES[indicator]
    (bound,) = with_health(spec(indicator).example).health
    assert bound == case.bound
    assert judge(bound, case.holds_at) is Status.HELD
    assert judge(bound, case.breaks_at) is Status.BROKEN
    assert judge(bound, None) is Status.NOT_JUDGED
    assert describe_limit(bound) == case.limit
    assert describe_bound(bound) == case.words


@pytest.mark.parametrize("indicator", list(Indicator))
def test_every_indicator_has_its_row_in_the_documentation(indicator: Indicator) -> None:
    (row,) = [line for line in docs_table().splitlines() if line.startswith(f"| `{indicator.value}` |")]
    assert row in DOCS.read_text().splitlines()
    assert spec(indicator).example.startswith(f"{indicator.value}:")


def test_the_documented_table_is_the_one_the_module_renders() -> None:
    assert docs_table() in DOCS.read_text()


def test_the_example_agreement_signs_a_bound_on_every_indicator_and_shows_the_drift_bounds_commented() -> None:
    example = parse_agreement(EXAMPLE.read_text(), "agreement.yaml")
    assert [b.indicator for b in example.health] == SIGNED
    commented = [line.strip().removeprefix("# ") for line in EXAMPLE.read_text().splitlines()]
    for indicator in DRIFT:
        assert any(line.startswith(f"{indicator.value}: ") for line in commented), indicator


def test_a_bound_without_window_or_minimum_takes_the_sections_then_the_defaults() -> None:
    section = with_health("window_days: 30", "acceptance_rate: {at_least: 0.7, min_leads: 5}")
    assert section.health == (HealthBound(Indicator.ACCEPTANCE_RATE, 0.7, 30, 5),)
    own = with_health("window_days: 30", "acceptance_rate: {at_least: 0.7, window_days: 60}")
    assert own.health[0].window_days == 60
    default = with_health("grade_calibration: {margin: 0.02}")
    assert default.health == (HealthBound(Indicator.GRADE_CALIBRATION, 0.02, 90, 20, grades=("A", "B", "C", "D")),)
    drift = with_health("population_shift: {}", "model_calibration: {window_days: 180}")
    assert drift.health == (
        HealthBound(Indicator.POPULATION_SHIFT, 0.25, 90, 200),  # noisy on few hand-offs: its own minimum
        HealthBound(Indicator.MODEL_CALIBRATION, 0.1, 180, 100),
    )


def test_a_margin_is_part_of_the_words_only_when_agreed() -> None:
    (bound,) = with_health("grade_calibration: {grades: [A, B], margin: 0.02}").health
    assert describe_limit(bound) == "A > B, by more than 2 points"
    assert "grade A beats B at turning leads into opportunities by more than 2 points," in describe_bound(bound)


def test_the_window_ends_today_or_after_days_before_it() -> None:
    today = date(2026, 3, 31)
    assert window(HealthBound(Indicator.ACCEPTANCE_RATE, 0.7, 90, 20), today) == (date(2026, 1, 1), today)
    never = HealthBound(Indicator.NEVER_CONTACTED, 0.05, 90, 20, after_days=7)
    assert window(never, today) == (date(2026, 1, 1), date(2026, 3, 24))


ACCEPTANCE = CASES[Indicator.ACCEPTANCE_RATE].bound
CONTACT = CASES[Indicator.CONTACT_WITHIN_SLA].bound
NEVER = CASES[Indicator.NEVER_CONTACTED].bound
CALIBRATION = CASES[Indicator.GRADE_CALIBRATION].bound


def test_a_rate_is_judged_once_it_counts_the_leads_it_needs() -> None:
    few = rate_reading(ACCEPTANCE, FIRST, LAST, 1, 19)
    assert (few.value, few.status, few.shown()) == (None, Status.NOT_JUDGED, "—")
    assert few.summary() == "acceptance rate: not judged, 19 leads handed off and it needs 20"
    enough = rate_reading(ACCEPTANCE, FIRST, LAST, 13, 20)
    assert (enough.value, enough.status, enough.shown()) == (0.65, Status.BROKEN, "65.0 %")
    assert enough.summary() == "acceptance rate: 65.0 %, below the agreed 70 %"
    assert (
        rate_reading(ACCEPTANCE, FIRST, LAST, 14, 20).summary() == "acceptance rate: 70.0 %, at least the agreed 70 %"
    )


def test_a_rate_with_an_upper_limit_is_broken_above_it() -> None:
    assert rate_reading(NEVER, FIRST, LAST, 2, 40).summary() == "never contacted: 5.0 %, within the agreed 5 %"
    above = rate_reading(NEVER, FIRST, LAST, 3, 40)
    assert above.status is Status.BROKEN
    assert above.summary() == "never contacted: 7.5 %, above the agreed 5 %"


@pytest.mark.parametrize(
    ("bound", "details", "evidence"),
    [
        (
            ACCEPTANCE,
            "3 of the 40 leads captured 2026-01-01 to 2026-03-31 and handed to sales were accepted",
            {"handed_off": 40, "accepted": 3},
        ),
        (
            CONTACT,
            "3 of the 40 assignments started 2026-01-01 to 2026-03-31 and due a first contact were contacted within "
            "the SLA",
            {"contact_due": 40, "contacted_in_sla": 3},
        ),
        (
            NEVER,
            "3 of the 40 leads assigned 2026-01-01 to 2026-03-31 were never contacted",
            {"leads_assigned": 40, "never_contacted": 3},
        ),
    ],
)
def test_a_rates_evidence_is_its_counts_and_days(bound: HealthBound, details: str, evidence: dict[str, int]) -> None:
    reading = rate_reading(bound, FIRST, LAST, 3, 40)
    assert reading.details() == (details,)
    assert reading.evidence() == {"from": "2026-01-01", "to": "2026-03-31", **evidence}


def grades(*counts: tuple[str, int, int]) -> list[GradeCount]:
    return [GradeCount(*c) for c in counts]


def test_grade_calibration_holds_when_each_grade_beats_the_next() -> None:
    reading = calibration_reading(CALIBRATION, FIRST, LAST, grades(("A", 40, 20), ("B", 100, 30), ("C", 200, 10)))
    assert reading.value == pytest.approx(0.2)  # A over B: 50 % against 30 %; B over C is 25 points
    assert reading.status is Status.HELD
    assert reading.summary() == "grade calibration: each grade beats the next, by 20.0 points at the least"
    assert reading.shown() == "20.0 points"


def test_a_grade_that_does_not_beat_the_next_breaks_grade_calibration_and_is_named() -> None:
    reading = calibration_reading(CALIBRATION, FIRST, LAST, grades(("A", 40, 20), ("B", 100, 10), ("C", 200, 30)))
    assert reading.status is Status.BROKEN
    assert reading.value == pytest.approx(-0.05)
    assert reading.summary() == (
        "grade calibration: grade B does not beat C (10.0 % against 15.0 % reached an opportunity)"
    )


def test_a_grade_that_beats_the_next_by_less_than_the_margin_breaks_grade_calibration() -> None:
    (bound,) = with_health("grade_calibration: {grades: [A, B], margin: 0.25, min_leads: 10}").health
    reading = calibration_reading(bound, FIRST, LAST, grades(("A", 10, 4), ("B", 10, 2)))
    assert reading.status is Status.BROKEN
    assert reading.summary() == (
        "grade calibration: grade A beats B by 20.0 points only, not by more than the agreed 25 points"
    )


def test_a_grade_with_too_few_leads_is_left_out_and_its_neighbours_compared() -> None:
    counts = grades(("A", 29, 29), ("B", 100, 10), ("C", 200, 30), ("D", 500, 0))
    reading = calibration_reading(CALIBRATION, FIRST, LAST, counts)
    assert [g.grade for g in reading.judged_grades()] == ["B", "C"]  # D is not among the bound's grades
    assert (
        reading.summary() == "grade calibration: grade B does not beat C (10.0 % against 15.0 % reached an opportunity)"
    )
    assert reading.details() == (
        "grade A: 29 of 29 leads captured 2026-01-01 to 2026-03-31 reached an opportunity (100.0 %), too few to judge",
        "grade B: 10 of 100 leads captured 2026-01-01 to 2026-03-31 reached an opportunity (10.0 %)",
        "grade C: 30 of 200 leads captured 2026-01-01 to 2026-03-31 reached an opportunity (15.0 %)",
    )


def test_grade_calibration_is_not_judged_without_two_grades_with_enough_leads() -> None:
    reading = calibration_reading(CALIBRATION, FIRST, LAST, grades(("B", 100, 10)))  # A and C have no leads
    assert (reading.value, reading.status, reading.shown()) == (None, Status.NOT_JUDGED, "—")
    assert reading.summary() == "grade calibration: not judged, 1 of the grades A, B, C have 30 leads and it needs two"
    assert (
        reading.details()[0]
        == "grade A: 0 of 0 leads captured 2026-01-01 to 2026-03-31 reached an opportunity, too few to judge"
    )
    assert reading.evidence()["grades"] == [
        {"grade": "A", "leads": 0, "opportunities": 0, "opportunity_rate": None, "judged": False},
        {"grade": "B", "leads": 100, "opportunities": 10, "opportunity_rate": 0.1, "judged": True},
        {"grade": "C", "leads": 0, "opportunities": 0, "opportunity_rate": None, "judged": False},
    ]


def test_a_reading_as_json_carries_the_bound_its_limit_value_status_words_and_evidence() -> None:
    reading = rate_reading(CONTACT, FIRST, LAST, 30, 40)
    assert reading.as_dict() == {
        "bound": "contact_within_sla",
        "limit": 0.8,
        "limit_kind": "at_least",
        "window_days": 90,
        "min_leads": 20,
        "value": 0.75,
        "status": "broken",
        "broken": True,
        "summary": "contact within SLA: 75.0 %, below the agreed 80 %",
        "details": list(reading.details()),
        "evidence": reading.evidence(),
    }
    assert reading.title == "contact within SLA"


def test_the_agreement_in_words_lists_its_bounds_or_says_it_has_none() -> None:
    (part,) = [p for p in parts(parse_agreement(EXAMPLE.read_text(), "agreement.yaml")) if p.title == "Health bounds"]
    assert [key for key, _ in part.items] == [i.value for i in SIGNED]
    assert part.items[0][1] == CASES[Indicator.ACCEPTANCE_RATE].words
    text = EXAMPLE.read_text()
    without = parse_agreement(text[: text.index("\nhealth:")], "agreement.yaml")
    assert without.health == ()
    (none,) = [p for p in parts(without) if p.title == "Health bounds"]
    assert (none.summary, none.items) == ("None agreed: the agreement sets no limits on how well it is kept.", ())


def test_a_changed_added_or_removed_bound_is_one_plain_sentence_of_the_diff() -> None:
    old = with_health("acceptance_rate: {at_least: 0.7}", "window_days: 30")
    stricter = with_health("acceptance_rate: {at_least: 0.8}", "window_days: 30")
    (line,) = diff_agreements(old, stricter)
    assert line == (
        "health bound 'acceptance_rate': sales accepts at least 70 % of the leads handed to it, over the last 30 days "
        "(judged from 20 leads handed off) -> sales accepts at least 80 % of the leads handed to it, over the last 30 "
        "days (judged from 20 leads handed off)"
    )
    more = with_health("acceptance_rate: {at_least: 0.7}", "window_days: 30", "grade_calibration: {grades: [A, B]}")
    assert diff_agreements(old, more) == [
        "health bound 'grade_calibration' added: grade A beats B at turning leads into opportunities, over the last "
        "30 days (a grade is judged from 20 leads)"
    ]
    assert [line.split(" (was")[0] for line in diff_agreements(more, old)] == [
        "health bound 'grade_calibration' removed"
    ]


SHIFT = CASES[Indicator.POPULATION_SHIFT].bound
MODEL_CALIBRATION = CASES[Indicator.MODEL_CALIBRATION].bound
MODEL = Watched(3, "opportunity", 90)
CUTS = (0.2, 0.5)
LEARNED = (0.25, 0.5, 0.25)


def test_chances_fall_in_the_range_their_cut_starts_and_an_empty_population_has_no_share() -> None:
    assert shares(CUTS, [0.1, 0.2, 0.3, 0.5]) == (0.25, 0.5, 0.25)
    assert shares(CUTS, []) == (0.0, 0.0, 0.0)


def test_the_stability_index_is_zero_for_the_same_shares_and_stays_finite_on_an_empty_range() -> None:
    assert stability_index(LEARNED, LEARNED) == 0.0
    moved = stability_index(LEARNED, (0.5, 0.5, 0.0))
    expected = 0.25 * math.log(0.5 / 0.25) + (PSI_FLOOR - 0.25) * math.log(PSI_FLOOR / 0.25)
    assert moved == pytest.approx(expected)
    assert moved > SHIFT.limit


def test_population_shift_sets_the_windows_chances_against_the_learning_rows_ranges() -> None:
    held = shift_reading(SHIFT, FIRST, LAST, MODEL, CUTS, LEARNED, [0.1] * 50 + [0.3] * 100 + [0.7] * 50)
    assert (held.value, held.status, held.shown()) == (0.0, Status.HELD, "0.000")
    assert held.summary() == "population shift: 0.000, within the agreed 0.25"
    moved = shift_reading(SHIFT, FIRST, LAST, MODEL, CUTS, LEARNED, [0.9] * 200)
    assert moved.status is Status.BROKEN
    assert moved.summary() == f"population shift: {moved.value:.3f}, above the agreed 0.25"
    assert moved.details() == (
        "the model watched: version 3, the chance that a hand-off reaches the opportunity stage within 90 days",
        "200 hand-offs stood 2026-01-01 to 2026-03-31, each scored as described at its hand-off",
        "predicted chance below 20.0 %: 25.0 % of the hand-offs it learned from, 0.0 % of the window's",
        "predicted chance 20.0 % to 50.0 %: 50.0 % of the hand-offs it learned from, 0.0 % of the window's",
        "predicted chance 50.0 % and above: 25.0 % of the hand-offs it learned from, 100.0 % of the window's",
    )
    assert moved.evidence() == {
        "from": "2026-01-01",
        "to": "2026-03-31",
        "model": 3,
        "target": "opportunity",
        "horizon_days": 90,
        "handoffs": 200,
        "bands": [
            {"from": None, "to": 0.2, "learned": 0.25, "window": 0.0},
            {"from": 0.2, "to": 0.5, "learned": 0.5, "window": 0.0},
            {"from": 0.5, "to": None, "learned": 0.25, "window": 1.0},
        ],
    }


def test_population_shift_is_judged_once_the_window_has_the_hand_offs_it_needs() -> None:
    few = shift_reading(SHIFT, FIRST, LAST, MODEL, CUTS, LEARNED, [0.9] * 199)
    assert (few.value, few.status) == (None, Status.NOT_JUDGED)
    assert few.summary() == "population shift: not judged, 199 hand-offs in the window and it needs 200"


def test_model_calibration_is_the_error_on_the_hand_offs_whose_outcome_became_known() -> None:
    reading = model_calibration_reading(MODEL_CALIBRATION, FIRST, LAST, MODEL, 30, 120, 0.6, 0.35)
    assert (reading.value, reading.status, reading.shown()) == (0.35, Status.BROKEN, "0.350")
    assert reading.summary() == "model calibration: 0.350, above the agreed 0.1"
    assert reading.details() == (
        "the model watched: version 3, the chance that a hand-off reaches the opportunity stage within 90 days",
        "30 of the 120 hand-offs whose 90-day horizon ended 2026-01-01 to 2026-03-31 reached the opportunity stage "
        "within it (25.0 %)",
        "the model gave them a 60.0 % chance on average",
    )
    assert reading.evidence() == {
        "from": "2026-01-01",
        "to": "2026-03-31",
        "model": 3,
        "target": "opportunity",
        "horizon_days": 90,
        "handoffs": 120,
        "reached": 30,
        "predicted_mean": 0.6,
        "observed_rate": 0.25,
    }
    assert model_calibration_reading(MODEL_CALIBRATION, FIRST, LAST, MODEL, 30, 120, 0.3, 0.04).status is Status.HELD


def test_model_calibration_without_hand_offs_is_not_judged_and_says_none_counted() -> None:
    none = model_calibration_reading(MODEL_CALIBRATION, FIRST, LAST, MODEL, 0, 0, None, None)
    assert (none.value, none.status) == (None, Status.NOT_JUDGED)
    assert none.summary() == "model calibration: not judged, 0 hand-offs whose outcome became known and it needs 100"
    assert none.details()[1:] == (
        "0 of the 0 hand-offs whose 90-day horizon ended 2026-01-01 to 2026-03-31 reached the opportunity stage "
        "within it",
    )
    assert (none.evidence()["predicted_mean"], none.evidence()["observed_rate"]) == (None, None)


def test_a_drift_bound_without_a_usable_model_is_not_judged_and_says_why() -> None:
    untrained = unjudged_drift(SHIFT, FIRST, LAST, "no model trained yet: run 'leadpact model train'")
    assert (untrained.value, untrained.status, untrained.shown()) == (None, Status.NOT_JUDGED, "—")
    assert untrained.summary() == "population shift: not judged, no model trained yet: run 'leadpact model train'"
    assert untrained.details() == ()
    assert untrained.evidence() == {
        "from": "2026-01-01",
        "to": "2026-03-31",
        "model": None,
        "not_judged_because": "no model trained yet: run 'leadpact model train'",
    }
    old = unjudged_drift(MODEL_CALIBRATION, FIRST, LAST, "train it again", MODEL)
    assert old.summary() == "model calibration: not judged, train it again"
    assert old.details() == (
        "the model watched: version 3, the chance that a hand-off reaches the opportunity stage within 90 days",
    )
    assert old.evidence()["model"] == 3
    assert old.as_dict()["status"] == "not judged"
