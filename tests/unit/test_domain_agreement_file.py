"""Reading the agreement file: each section refuses a value of the wrong kind, and names each problem once."""

from __future__ import annotations

import dataclasses

import pytest

from leadpact.domain.agreement import Agreement
from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.errors import InvalidAgreement
from tests.conftest import EXAMPLE
from tests.factories import agreement_text

MAPPING = "expected a mapping of keys to values"


def block(key: str, indent: str = "") -> str:
    """The example's lines from ``key:`` at this indent up to the next key that is not nested in it."""
    lines = EXAMPLE.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{indent}{key}:"))
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].strip() and not lines[i].startswith(f"{indent} ")),
        len(lines),
    )
    return "".join(lines[start:end])


def problems(*changes: tuple[str, str]) -> list[str]:
    """Each problem of the changed example as ``key.path: message``, without file and line."""
    with pytest.raises(InvalidAgreement) as caught:
        parse_agreement(agreement_text(*changes), "agreement.yaml")
    return [problem.split(": ", 1)[1] for problem in caught.value.problems]


def parsed(*changes: tuple[str, str]) -> Agreement:
    return parse_agreement(agreement_text(*changes), "agreement.yaml")


STAGES = block("sales_stages")
ROUTING = block("routing", "  ")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ((block("owners"), "owners: Dana\n"), ["owners: " + MAPPING]),
        (("timezone: America/Chicago", "timezone: ~"), ["timezone: expected text"]),
        ((block("working_hours"), "working_hours: weekdays\n"), ["working_hours: " + MAPPING]),
        ((block("fit"), "fit: rules\n\n"), ["fit: " + MAPPING]),
        ((block("engagement"), "engagement: events\n\n"), ["engagement: " + MAPPING]),
        ((block("qualified"), "qualified: A\n"), ["qualified: " + MAPPING]),
        ((block("handoff"), "handoff: sales\n\n"), ["handoff: " + MAPPING]),
        ((block("reasons"), "reasons: none\n\n"), ["reasons: " + MAPPING]),
        (
            (block("questions"), "questions: [budget]\n\n"),
            [
                "questions: expected a mapping of names to values",
                "fit.rules[7].field: 'answers.budget' names no question; questions are: (none)",
            ],
        ),
        (
            (block("priority"), "priority: hot\n"),
            ["priority: expected a list", "priority: list at least one entry"],
        ),
        (
            (STAGES, "sales_stages: three\n\n"),
            ["sales_stages: expected a list", "sales_stages: at least one sales stage is required"],
        ),
    ],
)
def test_a_section_of_the_wrong_kind_is_named(change: tuple[str, str], expected: list[str]) -> None:
    assert problems(change) == expected


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("timezone: America/Chicago", "timezone: America/Chicago\n? [a, b]\n: 1"),
            ["(top): keys must be plain names"],
        ),
        (
            ("    contact_form:          {points: 30}", "    Contact_Form:          {points: 30}"),
            ["engagement.events.Contact_Form: names are lower case letters, digits, '_' and '-'"],
        ),
        (
            ("    - {team: americas}", "    - {team: Americas}"),
            ["handoff.routing[1].team: 'Americas' is not a name (lower case letters, digits, '_' and '-')"],
        ),
        (("{id: manager-title,", "{id: senior-title,"), ["fit.rules: rule id 'senior-title' appears twice"]),
    ],
)
def test_keys_and_names_that_break_the_rules_are_named(change: tuple[str, str], expected: list[str]) -> None:
    assert problems(change) == expected


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ("[mon, tue, wed, thu, fry]", "working_hours.days[4]: 'fry' is not one of mon, tue, wed, thu, fri, sat, sun"),
        ("[mon, ~]", "working_hours.days[1]: expected text"),
        ("[]", "working_hours.days: at least one working day is required"),
    ],
)
def test_working_days_are_named_days_and_at_least_one(days: str, expected: str) -> None:
    assert problems(("days: [mon, tue, wed, thu, fri]", f"days: {days}")) == [expected]


def test_an_empty_holiday_is_one_problem_not_also_a_bad_date() -> None:
    assert problems(("holidays: [2026-01-01,", "holidays: [~, 2026-01-01,")) == ["holidays[0]: expected text"]


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ("yes", ["questions.budget: expected a list", "questions.budget: list at least one possible answer"]),
        ("[]", ["questions.budget: list at least one possible answer"]),
    ],
)
def test_a_question_lists_its_possible_answers(answers: str, expected: list[str]) -> None:
    assert problems(("  budget: [yes, no, unknown]", f"  budget: {answers}")) == expected


GRADES = block("grades", "  ")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ((GRADES, ""), ["fit.grades: required key is missing"]),
        ((GRADES, "  grades: []\n"), ["fit.grades: list at least one entry"]),
        (("{grade: B, fit_at_least: 30}", "{grade: B}"), ["fit.grades: every entry but the last needs fit_at_least"]),
        (
            ("{grade: D}", "D"),
            [
                "fit.grades[3]: " + MAPPING,
                "fit.grades: the last entry must have no fit_at_least: it takes everything below",
            ],
        ),
        (
            ("{grade: C, fit_at_least: 15}", "{grade: C, fit_at_least: low}"),
            [
                "fit.grades[2].fit_at_least: expected a number, got 'low'",
                "qualified.immediate_grades: grade 'C' is not one of fit.grades",
                "health.grade_calibration.grades: grade 'C' is not one of fit.grades",
            ],
        ),
        (
            ('    - {id: has-budget, field: answers.budget, equals: "yes", points: 10}', "    - has-budget"),
            ["fit.rules[7]: " + MAPPING],
        ),
    ],
)
def test_fit_rules_and_grades_are_checked_one_by_one(change: tuple[str, str], expected: list[str]) -> None:
    assert problems(change) == expected


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("    contact_form:          {points: 30}", "    contact_form:          30"),
            ["engagement.events.contact_form: " + MAPPING],
        ),
        (
            ("qualified: {score_at_least: 60,", "qualified: {score_at_least: sixty,"),
            ["qualified.score_at_least: expected a number, got 'sixty'"],
        ),
        (
            ("{band: future}", "future"),
            [
                "priority[2]: " + MAPPING,
                "priority: the last entry must have no score_at_least: it takes everything below",
            ],
        ),
        (
            ("{band: warm, score_at_least: 40}", "{band: warm, score_at_least: forty}"),
            ["priority[1].score_at_least: expected a number, got 'forty'"],
        ),
    ],
)
def test_events_the_threshold_and_priority_bands_are_checked(change: tuple[str, str], expected: list[str]) -> None:
    assert problems(change) == expected


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("on_breach: reassign", "on_breach: ignore"),
            ["handoff.on_breach: expected reassign or escalate, got 'ignore'"],
        ),
        ((ROUTING, ""), ["handoff.routing: required key is missing"]),
        ((ROUTING, "  routing: []\n"), ["handoff.routing: list at least one routing rule"]),
        (("    - {team: americas}", "    - americas"), ["handoff.routing[1]: " + MAPPING]),
    ],
)
def test_the_hand_off_is_checked(change: tuple[str, str], expected: list[str]) -> None:
    assert problems(change) == expected


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("    proposal: [price, competitor_won, timing]", "    proposal: []"),
            ["reasons.lost.proposal: list at least one reason"],
        ),
        ((block("reject", "  "), "  reject: {}\n"), ["reasons.reject: list at least one reject reason"]),
        (("    bad_data:      {disqualify: true}", "    bad_data:      drop"), ["reasons.reject.bad_data: " + MAPPING]),
        ((STAGES, "sales_stages: []\n\n"), ["sales_stages: at least one sales stage is required"]),
        (
            ("  - {name: negotiation, probability: 0.70}", "  - negotiation"),
            ["sales_stages[2]: " + MAPPING, "reasons.lost.negotiation: 'negotiation' is not one of sales_stages"],
        ),
    ],
)
def test_reasons_and_sales_stages_are_checked(change: tuple[str, str], expected: list[str]) -> None:
    assert problems(change) == expected


def test_without_immediate_grades_the_grades_that_qualify_are_handed_off_by_an_immediate_event() -> None:
    a = parsed(("grades: [A, B], immediate_grades: [A, B, C]}", "grades: [A, C]}"))
    assert (a.qualified.grades, a.qualified.immediate_grades) == (("A", "C"), ("A", "C"))


def test_a_breach_reassigns_unless_the_agreement_says_escalate() -> None:
    assert parsed(("on_breach: reassign", "on_breach: escalate")).handoff.on_breach == "escalate"
    assert parsed((block("on_breach", "  "), "")).handoff.on_breach == "reassign"


HEALTH = block("health")
BOUNDS = "acceptance_rate, contact_within_sla, never_contacted, grade_calibration, population_shift, model_calibration"
ACCEPTANCE = "acceptance_rate: {at_least: 0.7}"
NEVER = "never_contacted: {after_days: 7, at_most: 0.05}"
CALIBRATION = "grade_calibration: {grades: [A, B, C], window_days: 180}"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ((HEALTH, "health: yes\n"), ["health: " + MAPPING]),
        ((HEALTH, "health: {}\n"), [f"health: name at least one bound of: {BOUNDS}"]),
        (
            (HEALTH, "health: {acceptance: {at_least: 0.7}}\n"),
            [
                f"health.acceptance: unknown key; expected one of: window_days, {BOUNDS}",
                f"health: name at least one bound of: {BOUNDS}",
            ],
        ),
        (
            ("  window_days: 90 ", "  window_days: 0 "),
            ["health.window_days: expected a whole number of at least 1, got '0'"],
        ),
        ((ACCEPTANCE, "acceptance_rate: 0.7"), ["health.acceptance_rate: " + MAPPING]),
        ((ACCEPTANCE, "acceptance_rate: {}"), ["health.acceptance_rate.at_least: required key is missing"]),
        (
            (ACCEPTANCE, "acceptance_rate: {at_least: 70}"),
            ["health.acceptance_rate.at_least: a share is between 0 and 1 (0.7 for 70 %), got 70"],
        ),
        (
            (ACCEPTANCE, "acceptance_rate: {at_most: 0.7}"),
            [
                "health.acceptance_rate.at_most: unknown key; expected one of: at_least, window_days, min_leads",
                "health.acceptance_rate.at_least: required key is missing",
            ],
        ),
        (
            (ACCEPTANCE, "acceptance_rate: {at_least: 0.7, min_leads: 0, window_days: a}"),
            [
                "health.acceptance_rate.window_days: expected a whole number of at least 1, got 'a'",
                "health.acceptance_rate.min_leads: expected a whole number of at least 1, got '0'",
            ],
        ),
        ((NEVER, "never_contacted: {at_most: 0.05}"), ["health.never_contacted.after_days: required key is missing"]),
        (
            (NEVER, "never_contacted: {after_days: 90, at_most: 0.05}"),
            ["health.never_contacted.after_days: must be fewer than the 90 days of the window"],
        ),
        (
            (NEVER, "never_contacted: {after_days: soon, at_most: 0.05}"),
            ["health.never_contacted.after_days: expected a whole number of at least 1, got 'soon'"],
        ),
        (
            (CALIBRATION, "grade_calibration: {margin: -0.1}"),
            ["health.grade_calibration.margin: a share is between 0 and 1 (0.7 for 70 %), got -0.1"],
        ),
        (
            (CALIBRATION, "grade_calibration: {grades: [A, E]}"),
            ["health.grade_calibration.grades: grade 'E' is not one of fit.grades"],
        ),
        (
            (CALIBRATION, "grade_calibration: {grades: [A]}"),
            ["health.grade_calibration.grades: list at least two grades: each must beat the next"],
        ),
        (
            (CALIBRATION, "grade_calibration: {grades: [B, A]}"),
            ["health.grade_calibration.grades: list the grades best first, as fit.grades does: A, B, C, D"],
        ),
        (
            (CALIBRATION, "grade_calibration: {grades: [A, A]}"),
            ["health.grade_calibration.grades: grade 'A' appears twice"],
        ),
        ((CALIBRATION, "grade_calibration: {grades: A}"), ["health.grade_calibration.grades: expected a list"]),
    ],
)
def test_the_health_bounds_are_checked_naming_the_key(change: tuple[str, str], expected: list[str]) -> None:
    assert problems(change) == expected


def test_grade_calibration_needs_a_second_grade_to_judge() -> None:
    one_grade = (
        (GRADES, "  grades: [{grade: A}]\n"),
        ("grades: [A, B], immediate_grades: [A, B, C]}", "grades: [A]}"),
        (CALIBRATION, "grade_calibration: {window_days: 180}"),
    )
    assert problems(*one_grade) == [
        "health.grade_calibration: fit.grades has one grade only: there is no grade for it to beat"
    ]


def test_a_health_problem_names_the_file_and_its_line() -> None:
    with pytest.raises(InvalidAgreement) as caught:
        parse_agreement(agreement_text((ACCEPTANCE, "acceptance_rate: {at_least: 2}")), "agreement.yaml")
    line = next(i for i, text in enumerate(agreement_text().splitlines(), 1) if ACCEPTANCE in text)
    assert caught.value.problems[0].startswith(f"agreement.yaml:{line}: health.acceptance_rate.at_least:")


def test_an_agreement_without_health_reads_as_it_did_with_no_bounds() -> None:
    without = parsed((HEALTH, ""))
    assert without.health == ()
    assert without == dataclasses.replace(parsed(), health=())
