"""The agreement in plain words: a fit rule by its title, and a pattern of words read as the words it stands for."""

from __future__ import annotations

import dataclasses

import pytest

from leadpact.domain.agreement import Condition, Op
from leadpact.domain.agreement_file import TITLE_LENGTH
from leadpact.domain.conditions import MAX_WORDS, describe_condition, describe_pattern
from leadpact.domain.wording import parts, rule_title, title_of, words_of
from tests.factories import parsed
from tests.unit.test_domain_agreement_file import problems

SENIOR = (
    '    - {id: senior-title, field: title, matches: "(?i)\\\\b(vp|vice president|head|director|chief|c[eio]o)\\\\b"'
)
"""The example's first fit rule, up to its points."""


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        (r"(?i)\b(vp|vice president|head|director)\b", "title mentions VP, Vice President, Head or Director"),
        (
            r"(?i)\b(vp|vice president|head|director|chief|c[eio]o)\b",
            "title mentions VP, Vice President, Head, Director, Chief, CEO, CIO or COO",
        ),
        (r"(?i)\bmanager\b", "title mentions Manager"),
        (r"(?i)\b(?:head of sales|VP)\b", "title mentions Head of Sales or VP"),
        (r"(?i)\bvp\b|\bhead\b", "title mentions VP or Head"),
        (r"(?i)\bvice\s+president\b", "title mentions Vice President"),
        (r"(?i)\bvice\s*president\b", "title mentions Vice President"),
        (r"(?i)\bvice\s?president\b", "title mentions Vicepresident or Vice President"),
        (r"(?i)\bmanagers?\b", "title mentions Manager or Managers"),
        (r"(?i)\bvice[ -]president\b", "title mentions Vice President"),
        (r"(?i)\b(vp|VP)\b", "title mentions VP"),
        (r"\bVP\b", "title mentions VP (case as written)"),
        (r"\b(2025|2026)\b", "title mentions 2025 or 2026"),
        ("intern", "title contains intern (case as written)"),
        (r"(?i)^head of sales$", "title is Head of Sales"),
        ("(?i)^sales", "title starts with sales"),
        (r"(?i)\.com$", "title ends with .com"),
        (r"(?i)^c\-level$", "title is C-level"),
    ],
)
def test_a_pattern_of_words_reads_as_its_words(pattern: str, words: str) -> None:
    assert describe_pattern("title", pattern) == words


@pytest.mark.parametrize(
    "pattern",
    [
        "foo.*bar",  # a wildcard and a repeat
        r"(?i)\b(a|b)c\b",  # a group within the words
        r"(?i)(a)(b)",  # two groups
        r"(?i)(a|b",  # a group not closed
        r"\bvp\b|head",  # one alternative a whole word, the other not
        r"(?i)^\bvp\b",  # anchored at one end, bounded at the other
        r"\d+ employees",  # an escape that is not plain punctuation
        "vp\\",  # a backslash at the very end
        "[a-z]+",  # a range of letters
        "c[eio",  # a class not closed
        "a|",  # an empty alternative
        "s?",  # a word that may be nothing
        r"\b\b",  # bounds around nothing
        "[abc][abc][abc]",  # more words than a sentence should list
        "|".join(f"w{n}" for n in range(MAX_WORDS + 1)),
    ],
)
def test_a_pattern_that_is_more_than_words_reads_as_itself(pattern: str) -> None:
    assert describe_pattern("title", pattern) == f"title matches the pattern {pattern}"


def test_a_matches_condition_is_described_in_words() -> None:
    condition = Condition("title", Op.MATCHES, r"(?i)\b(student|intern)\b")
    assert describe_condition(condition) == "title mentions Student or Intern"


@pytest.mark.parametrize(
    ("name", "words"),
    [("senior-title", "Senior title"), ("vp_title", "VP title"), ("b2b-crm", "B2B CRM"), ("w-1", "W 1")],
)
def test_a_name_reads_as_words_with_abbreviations_in_capitals(name: str, words: str) -> None:
    assert words_of(name) == words


def test_a_rule_is_named_by_its_title_else_by_its_id_in_words() -> None:
    agreement = parsed((SENIOR, f"{SENIOR}, title: Senior leader"))
    senior, manager = agreement.fit_rules[:2]
    assert (senior.title, rule_title(senior)) == ("Senior leader", "Senior leader")
    assert (manager.title, rule_title(manager)) == (None, "Manager title")
    assert title_of(agreement, "senior-title") == "Senior leader"
    assert title_of(agreement, "gone-rule") == "Gone rule"  # points from a rule an earlier version had
    assert title_of(None, "senior-title") == "Senior title"  # before any agreement


def test_the_agreement_in_words_lists_fit_rules_by_title_with_their_conditions_in_words() -> None:
    agreement = parsed((SENIOR, f"{SENIOR}, title: Senior leader"))
    (fit,) = [part for part in parts(agreement) if part.title == "Fit rules"]
    assert fit.items[0] == (
        "Senior leader",
        "20 points when title mentions VP, Vice President, Head, Director, Chief, CEO, CIO or COO",
    )
    assert fit.items[1] == ("Manager title", "8 points when title mentions Manager")
    assert ("Free mail", "-20 points when email is a free-mail address") in fit.items


def test_a_title_changes_nothing_but_the_name_people_read() -> None:
    titled = parsed((SENIOR, f"{SENIOR}, title: Senior leader"))
    plain = parsed()
    assert dataclasses.replace(titled.fit_rules[0], title=None) == plain.fit_rules[0]


@pytest.mark.parametrize(
    ("title", "problem"),
    [
        ('"  "', f"fit.rules[0].title: a title is one line of 1 to {TITLE_LENGTH} characters"),
        ("x" * (TITLE_LENGTH + 1), f"fit.rules[0].title: a title is one line of 1 to {TITLE_LENGTH} characters"),
        ('"two\\nlines"', f"fit.rules[0].title: a title is one line of 1 to {TITLE_LENGTH} characters"),
        ("[a, b]", "fit.rules[0].title: expected text"),
    ],
)
def test_a_title_is_one_line_of_text_of_limited_length(title: str, problem: str) -> None:
    assert problems((SENIOR, f"{SENIOR}, title: {title}")) == [problem]


def test_two_rules_may_not_share_a_title() -> None:
    manager = ("    - {id: manager-title, field: title", "    - {id: manager-title, title: Senior, field: title")
    changed = problems((SENIOR, f"{SENIOR}, title: Senior"), manager)
    assert changed == ["fit.rules: rule title 'Senior' appears twice"]
