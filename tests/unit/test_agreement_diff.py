"""Comparing two agreement versions: one plain sentence per change, readable without the YAML."""

from __future__ import annotations

import pytest

from leadpact.domain.agreement_diff import diff_agreements
from tests.factories import parsed

YAML_WORDS = ("score_at_least", "fit_at_least", "recycle_after_days", "max_per_day", "accept_within", "{", "}")


def line_about(lines: list[str], *words: str) -> str:
    """The one line that mentions every word."""
    found = [line for line in lines if all(w in line for w in words)]
    assert len(found) == 1, (words, lines)
    return found[0]


def in_order(line: str, first: str, then: str) -> bool:
    return first in line and then in line and line.index(first) < line.index(then)


def test_identical_agreements_have_no_differences() -> None:
    assert diff_agreements(parsed(), parsed()) == []


def test_every_change_gets_exactly_one_plain_sentence() -> None:
    new = parsed(
        ("qualified: {score_at_least: 60", "qualified: {score_at_least: 55"),
        (
            "account.employees, between: [200, 5000], points: 15}",
            "account.employees, between: [200, 5000], points: 12}",
        ),
        ("{grade: A, fit_at_least: 45}", "{grade: A, fit_at_least: 40}"),
        ("accept_within: 4h", "accept_within: 8h"),
        ("first_contact_within: 1d", "first_contact_within: 2d"),
        ("    competitor:    {disqualify: true}\n", "    spam:          {disqualify: true}\n"),
    )
    lines = diff_agreements(parsed(), new)
    assert len(lines) == 7  # the competitor reason gone and the spam reason added are two changes
    for line in lines:
        assert not any(word in line for word in YAML_WORDS), line


def test_changed_points_of_a_fit_rule_name_the_rule_and_both_values() -> None:
    new = parsed(
        ("account.employees, between: [200, 5000], points: 15}", "account.employees, between: [200, 5000], points: 12}")
    )
    (line,) = diff_agreements(parsed(), new)
    assert "target-size" in line
    assert in_order(line, "15 points", "12 points")
    assert "between 200 and 5,000" in line  # what the rule checks, in words


def test_a_fit_rule_given_a_title_shows_the_title_before_and_after() -> None:
    new = parsed(("{id: target-size, field:", "{id: target-size, title: Mid-size companies, field:"))
    (line,) = diff_agreements(parsed(), new)
    assert in_order(line, "'Target size'", "'Mid-size companies'")


def test_a_new_threshold_shows_old_and_new() -> None:
    (line,) = diff_agreements(parsed(), parsed(("qualified: {score_at_least: 60", "qualified: {score_at_least: 55")))
    assert "threshold" in line
    assert in_order(line, "60", "55")


def test_new_grade_bounds_show_old_and_new() -> None:
    (line,) = diff_agreements(parsed(), parsed(("{grade: A, fit_at_least: 45}", "{grade: A, fit_at_least: 40}")))
    assert line.startswith("grades")
    assert in_order(line, "A: fit of 45 or more", "A: fit of 40 or more")


def test_qualifying_grades_changed() -> None:
    new = parsed(("grades: [A, B], immediate_grades: [A, B, C]", "grades: [A], immediate_grades: [A, B, C]"))
    (line,) = diff_agreements(parsed(), new)
    assert "grades that qualify" in line
    assert in_order(line, "A, B", "-> A")


def test_sla_changes_are_in_working_time() -> None:
    new = parsed(("accept_within: 4h", "accept_within: 8h"), ("first_contact_within: 1d", "first_contact_within: 2d"))
    lines = diff_agreements(parsed(), new)
    assert in_order(line_about(lines, "accept"), "4h working", "8h working")
    assert in_order(line_about(lines, "first contact"), "1d working", "2d working")


def test_a_new_breach_action_is_shown() -> None:
    (line,) = diff_agreements(parsed(), parsed(("on_breach: reassign", "on_breach: escalate")))
    assert in_order(line, "reassign", "escalate")


def test_reject_reasons_added_removed_and_changed() -> None:
    new = parsed(
        ("    competitor:    {disqualify: true}\n", "    spam:          {disqualify: true}\n"),
        ("no_budget:     {recycle_after_days: 90}", "no_budget:     {recycle_after_days: 30}"),
    )
    lines = diff_agreements(parsed(), new)
    assert len(lines) == 3
    assert "removed" in line_about(lines, "competitor")
    assert "disqualifies" in line_about(lines, "competitor")
    assert "added" in line_about(lines, "spam")
    assert in_order(line_about(lines, "no_budget"), "90 days", "30 days")


def test_lost_reasons_of_a_stage_changed() -> None:
    new = parsed(("proposal: [price, competitor_won, timing]", "proposal: [price, timing]"))
    (line,) = diff_agreements(parsed(), new)
    assert "proposal" in line
    assert in_order(line, "competitor_won", "->")


def test_a_removed_fit_rule_says_what_it_was() -> None:
    new = parsed(('    - {id: student, field: title, matches: "(?i)\\\\b(student|intern)\\\\b", points: -30}\n', ""))
    (line,) = diff_agreements(parsed(), new)
    assert "student" in line
    assert "removed" in line
    assert "-30 points" in line


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (("half_life_days: 30", "half_life_days: 14"), ("30 days", "14 days")),
        (
            ("  half_life_days: 30               # points halve every 30 days\n", ""),
            ("halve every 30 days", "never decay"),
        ),
        (("{points: 3, max_per_day: 2}", "{points: 2, max_per_day: 1}"), ("3 points", "2 points")),
        (("timezone: America/Chicago", "timezone: Europe/Berlin"), ("America/Chicago", "Europe/Berlin")),
        (('start: "08:00"', 'start: "09:00"'), ("08:00", "09:00")),
    ],
)
def test_other_changes_show_the_old_value_before_the_new(change: tuple[str, str], words: tuple[str, str]) -> None:
    (line,) = diff_agreements(parsed(), parsed(change))
    assert in_order(line, *words)


def test_the_diff_reads_both_ways() -> None:
    new = parsed(("    competitor:    {disqualify: true}\n", ""))
    assert "removed" in line_about(diff_agreements(parsed(), new), "competitor")
    assert "added" in line_about(diff_agreements(new, parsed()), "competitor")


def test_sources_sales_counts_as_its_own_show_old_and_new() -> None:
    more = parsed(("sales_sources: [outbound]", "sales_sources: [outbound, sales_referral]"))
    (line,) = diff_agreements(parsed(), more)
    assert line.startswith("lead sources that are sales' own")
    assert in_order(line, "outbound", "outbound, sales_referral")
    (line,) = diff_agreements(parsed(), parsed(("sales_sources: [outbound]", "")))
    assert in_order(line, "outbound", "none")  # without the key no source is sales' own
