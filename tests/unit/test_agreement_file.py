"""Reading the agreement file: the example is valid, and every mistake is named by file, line and key path."""

from __future__ import annotations

import re

import pytest

from leadpact.domain.agreement import Duration, Op
from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.errors import InvalidAgreement
from tests.conftest import EXAMPLE
from tests.factories import agreement_text

SOURCE = "agreement.yaml"
PREFIX = re.compile(r"^agreement\.yaml:(\d+): ([^ :]+): \S")


def line_of(text: str, marker: str) -> int:
    """The 1-based number of the one line of ``text`` that contains ``marker``."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if marker in line]
    assert len(found) == 1, (marker, found)
    return found[0]


def problems_of(text: str) -> list[str]:
    with pytest.raises(InvalidAgreement) as caught:
        parse_agreement(text, SOURCE)
    assert caught.value.code == "agreement_invalid"
    assert caught.value.detail == "\n".join(caught.value.problems)
    return caught.value.problems


def one_problem(*change: tuple[str, str], marker: str, path: str) -> str:
    """The single problem a change causes; it must start with ``FILE:LINE: key.path:``, LINE where ``marker`` is."""
    text = agreement_text(*change)
    problems = problems_of(text)
    assert len(problems) == 1, problems
    prefix = f"{SOURCE}:{line_of(text, marker)}: {path}: "
    assert problems[0].startswith(prefix), (problems[0], prefix)
    return problems[0].removeprefix(prefix)


def test_the_example_agreement_parses_with_every_section_read() -> None:
    a = parse_agreement(EXAMPLE.read_text(), SOURCE)
    assert a.name == "Acme Robotics lead agreement"
    assert a.owners == {"marketing": "Dana Lee, VP Marketing", "sales": "Sam Ortiz, VP Sales"}
    assert a.timezone == "America/Chicago"
    assert a.working_hours.days == (0, 1, 2, 3, 4)
    assert (a.working_hours.start.hour, a.working_hours.end.hour) == (8, 18)
    assert len(a.holidays) == 7
    assert [r.id for r in a.fit_rules][:3] == ["senior-title", "manager-title", "target-size"]
    assert [(g.grade, g.fit_at_least) for g in a.grades] == [("A", 45), ("B", 30), ("C", 15), ("D", None)]
    assert a.half_life_days == 30
    assert a.events["demo_request"].immediate
    assert a.events["pricing_page_view"].max_per_day == 1
    assert a.events["unsubscribe"].once
    assert a.events["unsubscribe"].points == -25
    assert (a.qualified.score_at_least, a.qualified.grades, a.qualified.immediate_grades) == (
        60,
        ("A", "B"),
        ("A", "B", "C"),
    )
    assert [(b.band, b.score_at_least) for b in a.priority] == [("hot", 80), ("warm", 40), ("future", None)]
    assert a.handoff.accept_within == Duration(4, "h")
    assert a.handoff.first_contact_within == Duration(1, "d")
    assert a.handoff.on_breach == "reassign"
    assert [r.team for r in a.handoff.routing] == ["emea", "americas"]
    assert a.handoff.routing[-1].when is None
    assert a.reject_reasons["not_ready"].recycle_after_days == 60
    assert a.reject_reasons["bad_data"].disqualify
    assert a.lost_reasons["proposal"] == ("price", "competitor_won", "timing")
    assert a.stage_names() == ("discovery", "proposal", "negotiation")
    assert a.sales_sources == ("outbound",)


def test_yes_and_no_stay_text_and_country_codes_are_not_booleans() -> None:
    a = parse_agreement(
        agreement_text(
            ('equals: "yes"', "equals: yes"),
            ("in: [DE, FR, GB, NL, ES, IT, SE]", "in: [NO, ON, off, y, n]"),
        ),
        SOURCE,
    )
    budget = next(r for r in a.fit_rules if r.id == "has-budget").condition
    assert (budget.op, budget.value) == (Op.EQUALS, "yes")
    assert a.questions["budget"] == ("yes", "no", "unknown")
    when = a.handoff.routing[0].when
    assert when is not None
    assert when.value == ("NO", "ON", "off", "y", "n")


def test_unquoted_numbers_are_numbers_and_quoted_ones_are_text() -> None:
    a = parse_agreement(
        agreement_text(
            ('equals: "yes"', 'equals: "42"'),
            (
                "{id: manager-title, field: title,",
                "{id: answer, field: employees, equals: 42, points: 1}\n    - {id: x, field: title,",
            ),
        ),
        SOURCE,
    )
    by_id = {r.id: r.condition.value for r in a.fit_rules}
    assert by_id["has-budget"] == "42"
    assert by_id["answer"] == 42


def test_an_unknown_top_level_key_is_named_with_its_line() -> None:
    rest = one_problem(
        ("timezone: America/Chicago", "timezone: America/Chicago\ncolour: blue"), marker="colour", path="colour"
    )
    assert rest.startswith("unknown key")


def test_a_misspelt_key_inside_an_event_is_named_with_its_full_path() -> None:
    rest = one_problem(
        ("{points: 10, max_per_day: 1}", "{points: 10, max_per_dya: 1}"),
        marker="max_per_dya",
        path="engagement.events.pricing_page_view.max_per_dya",
    )
    assert "max_per_day" in rest  # the message says what was expected


def test_a_word_where_a_number_belongs_is_a_wrong_type() -> None:
    rest = one_problem(
        ("half_life_days: 30", "half_life_days: thirty"), marker="thirty", path="engagement.half_life_days"
    )
    assert "number" in rest
    assert "thirty" in rest


def test_a_quoted_number_is_text_and_so_not_a_number_of_points() -> None:
    rest = one_problem(
        ("webinar_attended:      {points: 15}", 'webinar_attended:      {points: "15"}'),
        marker="webinar_attended",
        path="engagement.events.webinar_attended.points",
    )
    assert "number" in rest


@pytest.mark.parametrize("value", ["0", "1.5", "-1", "many"])
def test_max_per_day_must_be_a_whole_number_of_at_least_one(value: str) -> None:
    one_problem(
        ("{points: 10, max_per_day: 1}", f"{{points: 10, max_per_day: {value}}}"),
        marker="pricing_page_view",
        path="engagement.events.pricing_page_view.max_per_day",
    )


def test_a_bad_regular_expression_is_named_with_the_rule_index() -> None:
    rest = one_problem(
        ('c[eio]o)\\\\b", points: 20}', 'c[eio]o\\\\b", points: 20}'),
        marker="senior-title",
        path="fit.rules[0].matches",
    )
    assert "regular expression" in rest


@pytest.mark.parametrize("value", ["4 hours", "4", "0h", "-2h", "4w", "h"])
def test_a_bad_duration_is_refused(value: str) -> None:
    one_problem(("accept_within: 4h", f"accept_within: {value}"), marker="accept_within", path="handoff.accept_within")


def test_fractional_durations_in_hours_and_days_are_read() -> None:
    a = parse_agreement(
        agreement_text(
            ("accept_within: 4h", "accept_within: 1.5h"), ("first_contact_within: 1d", "first_contact_within: 2d")
        ),
        SOURCE,
    )
    assert a.handoff.accept_within == Duration(1.5, "h")
    assert a.handoff.first_contact_within == Duration(2, "d")


def test_an_event_may_only_ask_for_an_immediate_handoff() -> None:
    one_problem(
        ("{points: 50, handoff: immediate}", "{points: 50, handoff: later}"),
        marker="demo_request",
        path="engagement.events.demo_request.handoff",
    )


def test_a_routing_rule_on_an_unknown_field_is_named() -> None:
    rest = one_problem(
        ("field: account.country", "field: account.region"),
        marker="account.region",
        path="handoff.routing[0].when.field",
    )
    assert "account.region" in rest


def test_a_routing_rule_without_when_must_be_the_last() -> None:
    text = agreement_text(
        ("    - {team: americas}", "    - {team: americas}\n    - {when: {field: country, equals: CA}, team: canada}")
    )
    problems = problems_of(text)
    assert problems == [  # a block list's line is that of its first entry
        f"{SOURCE}:{line_of(text, 'team: emea')}: handoff.routing: only the last routing rule may have no 'when'"
    ]


def test_a_fit_rule_on_a_question_the_agreement_does_not_ask_is_named() -> None:
    rest = one_problem(
        ("field: answers.budget", "field: answers.region"), marker="answers.region", path="fit.rules[7].field"
    )
    assert "budget" in rest  # it lists the questions there are


def test_a_fit_rule_needs_exactly_one_condition() -> None:
    one_problem(
        ('answers.budget, equals: "yes", points: 10}', 'answers.budget, equals: "yes", in: [no], points: 10}'),
        marker="has-budget",
        path="fit.rules[7]",
    )


def test_grades_out_of_descending_order_are_refused() -> None:
    rest = one_problem(
        (
            "{grade: A, fit_at_least: 45}, {grade: B, fit_at_least: 30}",
            "{grade: A, fit_at_least: 30}, {grade: B, fit_at_least: 45}",
        ),
        marker="grades: [{grade: A",
        path="fit.grades",
    )
    assert "descending" in rest


def test_the_last_grade_takes_everything_below_and_has_no_bound() -> None:
    one_problem(("{grade: D}", "{grade: D, fit_at_least: 0}"), marker="{grade: D", path="fit.grades")


def test_qualifying_grades_must_be_grades_of_the_agreement() -> None:
    rest = one_problem(
        ("grades: [A, B], immediate_grades", "grades: [A, E], immediate_grades"),
        marker="qualified:",
        path="qualified.grades",
    )
    assert "'E'" in rest


def test_priority_bands_out_of_descending_order_are_refused() -> None:
    one_problem(
        (
            "{band: hot, score_at_least: 80}, {band: warm, score_at_least: 40}",
            "{band: hot, score_at_least: 40}, {band: warm, score_at_least: 80}",
        ),
        marker="priority:",
        path="priority",
    )


def test_a_reject_reason_must_either_recycle_or_disqualify() -> None:
    one_problem(
        ("bad_data:      {disqualify: true}", "bad_data:      {disqualify: true, recycle_after_days: 3}"),
        marker="bad_data",
        path="reasons.reject.bad_data",
    )
    one_problem(
        ("bad_data:      {disqualify: true}", "bad_data:      {}"), marker="bad_data", path="reasons.reject.bad_data"
    )


def test_a_negative_cooldown_is_refused() -> None:
    one_problem(
        ("not_ready:     {recycle_after_days: 60}", "not_ready:     {recycle_after_days: -1}"),
        marker="not_ready",
        path="reasons.reject.not_ready.recycle_after_days",
    )


def test_lost_reasons_must_name_a_sales_stage_and_every_stage_needs_them() -> None:
    text = agreement_text(("    negotiation: [price, legal, competitor_won]", "    closing: [price]"))
    assert problems_of(text) == [
        f"{SOURCE}:{line_of(text, 'closing:')}: reasons.lost.closing: 'closing' is not one of sales_stages",
        # a block mapping's line is that of its first entry
        f"{SOURCE}:{line_of(text, 'discovery: [no_need')}: reasons.lost.negotiation: "
        "every sales stage needs its list of lost reasons",
    ]


def test_a_bad_stage_probability_is_the_only_problem_reported() -> None:
    one_problem(
        ("probability: 0.70", "probability: 1.5"), marker="probability: 1.5", path="sales_stages[2].probability"
    )


def test_an_unknown_time_zone_is_refused() -> None:
    one_problem(("timezone: America/Chicago", "timezone: America/Chicgo"), marker="timezone", path="timezone")


def test_times_of_day_must_be_quoted_hours_and_minutes() -> None:
    one_problem(('start: "08:00"', "start: 8"), marker="working_hours", path="working_hours.start")
    one_problem(('end: "18:00"', 'end: "07:00"'), marker="working_hours", path="working_hours.end")


def test_a_holiday_that_is_not_a_date_is_named_by_index() -> None:
    one_problem(("holidays: [2026-01-01,", "holidays: [2026-13-01,"), marker="holidays", path="holidays[0]")


def test_a_key_given_twice_is_refused() -> None:
    text = agreement_text(("timezone: America/Chicago", "timezone: America/Chicago\ntimezone: UTC"))
    assert problems_of(text) == [f"{SOURCE}:{line_of(text, 'timezone: UTC')}: timezone: key appears twice"]


def test_a_missing_required_key_is_named() -> None:
    text = agreement_text(('owners: {marketing: "Dana Lee, VP Marketing", sales: "Sam Ortiz, VP Sales"}\n', ""))
    problems = problems_of(text)
    assert len(problems) == 1
    assert problems[0].startswith(f"{SOURCE}:{line_of(text, 'agreement: Acme')}: owners: ")
    assert "missing" in problems[0]


def test_every_problem_is_reported_at_once_each_with_its_line_and_path() -> None:
    text = agreement_text(
        ("timezone: America/Chicago", "timezone: America/Chicago\ncolour: blue"),
        ("half_life_days: 30", "half_life_days: thirty"),
        ('c[eio]o)\\\\b", points: 20}', 'c[eio]o\\\\b", points: 20}'),
        ("accept_within: 4h", "accept_within: 4 hours"),
        ("{points: 10, max_per_day: 1}", "{points: 10, max_per_dya: 1}"),
        (
            "{grade: A, fit_at_least: 45}, {grade: B, fit_at_least: 30}",
            "{grade: A, fit_at_least: 30}, {grade: B, fit_at_least: 45}",
        ),
        ("bad_data:      {disqualify: true}", "bad_data:      {disqualify: true, recycle_after_days: 3}"),
        ("field: account.country", "field: account.region"),
    )
    expected = {
        (line_of(text, "colour"), "colour"),
        (line_of(text, "senior-title"), "fit.rules[0].matches"),
        (line_of(text, "grades: [{grade: A"), "fit.grades"),
        (line_of(text, "thirty"), "engagement.half_life_days"),
        (line_of(text, "max_per_dya"), "engagement.events.pricing_page_view.max_per_dya"),
        (line_of(text, "4 hours"), "handoff.accept_within"),
        (line_of(text, "account.region"), "handoff.routing[0].when.field"),
        (line_of(text, "bad_data"), "reasons.reject.bad_data"),
    }
    problems = problems_of(text)
    found = []
    for problem in problems:
        match = PREFIX.match(problem)
        assert match is not None, problem
        found.append((int(match.group(1)), match.group(2)))
    assert sorted(found) == sorted(expected)


SALES_SOURCES = "sales_sources: [outbound]"


def test_without_sales_sources_every_source_is_marketings() -> None:
    a = parse_agreement(agreement_text((SALES_SOURCES, "")), SOURCE)
    assert a.sales_sources == ()


def test_sales_sources_are_read_as_text_in_the_order_given() -> None:
    a = parse_agreement(agreement_text((SALES_SOURCES, 'sales_sources: [outbound, "Sales Referral", yes]')), SOURCE)
    assert a.sales_sources == ("outbound", "Sales Referral", "yes")  # yes stays the text "yes"
    assert parse_agreement(agreement_text((SALES_SOURCES, "sales_sources: []")), SOURCE).sales_sources == ()


def test_sales_sources_must_be_a_list() -> None:
    rest = one_problem((SALES_SOURCES, "sales_sources: outbound"), marker="sales_sources", path="sales_sources")
    assert "list" in rest


@pytest.mark.parametrize("item", ['""', '"  "', "{name: outbound}", "[outbound]", "~"])
def test_a_sales_source_must_be_non_empty_text_and_is_named_by_index(item: str) -> None:
    rest = one_problem(
        (SALES_SOURCES, f"sales_sources: [outbound, {item}]"), marker="sales_sources", path="sales_sources[1]"
    )
    assert "text" in rest


def test_a_sales_source_given_twice_in_any_case_is_refused() -> None:
    rest = one_problem(
        (SALES_SOURCES, "sales_sources: [outbound, Outbound]"), marker="sales_sources", path="sales_sources[1]"
    )
    assert "'Outbound' appears twice" in rest


def test_a_yaml_syntax_error_names_its_line() -> None:
    text = agreement_text(("timezone: America/Chicago", "timezone: [America/Chicago"))
    problems = problems_of(text)
    assert len(problems) == 1
    assert problems[0].startswith(f"{SOURCE}:")
    assert "not valid YAML" in problems[0]


def test_an_empty_file_is_refused() -> None:
    assert problems_of("# nothing here\n") == [f"{SOURCE}:1: the file is empty"]


def test_a_list_where_a_mapping_belongs_is_refused() -> None:
    text = "- just\n- a list\n"
    problems = problems_of(text)
    assert len(problems) == 1
    assert problems[0].startswith(f"{SOURCE}:1: ")
