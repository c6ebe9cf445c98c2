"""Conditions on lead fields: every kind, text without regard to case or spaces, numbers from text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadpact.domain.agreement import Condition, Op, Scalar
from leadpact.domain.conditions import holds
from leadpact.domain.fields import email_domain, field_problem

QUESTIONS = ("budget", "authority", "timing")


def check(op: Op, expected: Scalar | tuple[Scalar, ...], value: Scalar | None) -> bool:
    return holds(Condition("field", op, expected), value)


@pytest.mark.parametrize(
    ("expected", "value", "result"),
    [
        ("manufacturing", "manufacturing", True),
        ("manufacturing", "  Manufacturing ", True),
        ("yes", "YES", True),
        ("yes", "yes please", False),
        ("yes", "no", False),
        (200, "200", True),
        (200, "200.0", True),
        (1200, "1,200", True),
        (200, 201, False),
        (True, "true", True),
    ],
)
def test_equals_compares_text_without_case_or_spaces_and_numbers_as_numbers(
    expected: Scalar, value: Scalar, result: bool
) -> None:
    assert check(Op.EQUALS, expected, value) is result


@pytest.mark.parametrize(
    ("value", "result"),
    [("logistics", True), ("Automotive ", True), ("retail", False), ("manufacturing co", False)],
)
def test_in_holds_when_the_field_is_one_of_the_values(value: str, result: bool) -> None:
    assert check(Op.IN, ("manufacturing", "logistics", "automotive"), value) is result
    assert check(Op.NOT_IN, ("manufacturing", "logistics", "automotive"), value) is (not result)


def test_in_compares_numbers_as_numbers() -> None:
    assert check(Op.IN, (100, 250), "250")
    assert check(Op.IN, (100, 250), " 100.0 ")
    assert check(Op.NOT_IN, (100, 250), "99")


@pytest.mark.parametrize(
    ("pattern", "value", "result"),
    [
        (r"\bvp\b", "Senior vp of sales", True),  # found anywhere: a search, not a full match
        (r"\bvp\b", "VP of Sales", False),  # a regular expression is case-sensitive...
        (r"(?i)\bvp\b", "VP of Sales", True),  # ...unless it says otherwise
        (r"(?i)\bvp\b", "MVP engineer", False),
        (r"^Head", "Head of Ops", True),
        (r"^Head", "Ops Head", False),
    ],
)
def test_matches_searches_the_field_with_the_regular_expression(pattern: str, value: str, result: bool) -> None:
    assert check(Op.MATCHES, pattern, value) is result


@pytest.mark.parametrize(
    ("value", "result"),
    [
        (200, True),
        (5000, True),
        (199, False),
        (5001, False),
        (199.5, False),
        ("1,500", True),
        (" 300 ", True),
        ("a lot", False),
        (True, False),
    ],
)
def test_between_is_inclusive_on_numbers(value: Scalar, result: bool) -> None:
    assert check(Op.BETWEEN, (200.0, 5000.0), value) is result


@pytest.mark.parametrize(
    ("value", "at_least", "at_most"),
    [(99, False, True), (100, True, True), (101, True, False), ("100", True, True), ("1,000", True, False)],
)
def test_at_least_and_at_most_include_the_bound(value: Scalar, at_least: bool, at_most: bool) -> None:
    assert check(Op.AT_LEAST, 100.0, value) is at_least
    assert check(Op.AT_MOST, 100.0, value) is at_most


def test_at_least_on_text_that_is_no_number_is_false() -> None:
    assert check(Op.AT_LEAST, 0.0, "many") is False
    assert check(Op.AT_MOST, 1e9, "many") is False


@pytest.mark.parametrize(
    ("email", "free"),
    [
        ("ann@gmail.com", True),
        ("ann@Gmail.COM", True),
        ("bob@hotmail.co.uk", True),
        ("cy@proton.me", True),
        ("dee@acme.com", False),
        ("eve@mail.acme.com", False),
        ("gmail.com@acme.com", False),  # the domain is what follows the last @
    ],
)
def test_free_mail_looks_at_the_email_domain(email: str, free: bool) -> None:
    assert check(Op.FREE_MAIL, True, email) is free
    assert check(Op.FREE_MAIL, False, email) is (not free)


@pytest.mark.parametrize("value", [None, "", "   "])
def test_missing_holds_on_an_empty_field(value: str | None) -> None:
    assert check(Op.MISSING, True, value)
    assert not check(Op.MISSING, False, value)


@pytest.mark.parametrize("value", ["x", 0, 0.0, False])
def test_missing_does_not_hold_on_a_field_with_a_value(value: Scalar) -> None:
    assert not check(Op.MISSING, True, value)
    assert check(Op.MISSING, False, value)


CONDITIONS = [
    Condition("f", Op.EQUALS, "x"),
    Condition("f", Op.EQUALS, ""),
    Condition("f", Op.IN, ("x", "")),
    Condition("f", Op.NOT_IN, ("x",)),
    Condition("f", Op.MATCHES, ".*"),
    Condition("f", Op.MATCHES, "^$"),
    Condition("f", Op.BETWEEN, (-1e9, 1e9)),
    Condition("f", Op.AT_LEAST, -1e9),
    Condition("f", Op.AT_MOST, 1e9),
    Condition("f", Op.FREE_MAIL, True),
    Condition("f", Op.FREE_MAIL, False),
]


@given(condition=st.sampled_from(CONDITIONS), blank=st.sampled_from([None, "", " ", "\t", "  \n "]))
def test_a_condition_on_an_empty_field_is_false_except_missing(condition: Condition, blank: str | None) -> None:
    assert holds(condition, blank) is False
    assert holds(Condition("f", Op.MISSING, True), blank) is True


@given(st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6), st.integers(-(10**6), 10**6))
def test_between_agrees_with_at_least_and_at_most_also_on_numbers_written_as_text(lo: int, hi: int, n: int) -> None:
    lo, hi = min(lo, hi), max(lo, hi)
    for value in (n, str(n), f" {n:,} "):
        inside = check(Op.BETWEEN, (float(lo), float(hi)), value)
        assert inside == (lo <= n <= hi)
        assert inside == (check(Op.AT_LEAST, float(lo), value) and check(Op.AT_MOST, float(hi), value))


@given(st.text(alphabet="abcXYZ _-", min_size=1).filter(lambda s: s.strip() != ""))
def test_equals_ignores_case_and_surrounding_spaces_of_any_text(text: str) -> None:
    assert check(Op.EQUALS, text.strip().lower(), f"  {text.upper()} ")
    assert check(Op.IN, ("zzz", text.strip().upper()), text)
    assert not check(Op.NOT_IN, (text.strip().swapcase(),), text)


def test_email_domain_is_the_lower_case_part_after_the_last_at() -> None:
    assert email_domain("Ann@Acme.COM ") == "acme.com"
    assert email_domain("a@b@Example.org") == "example.org"


@pytest.mark.parametrize(
    "name", ["title", "email", "account.industry", "account.employees", "answers.budget", "segment", "lead_score_2"]
)
def test_fields_a_rule_may_name(name: str) -> None:
    assert field_problem(name, QUESTIONS) is None


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("account.region", "account fields are"),
        ("answers.colour", "questions are"),
        ("Job Title", "not a field name"),
        ("2nd_title", "not a field name"),
    ],
)
def test_fields_a_rule_may_not_name_are_explained(name: str, hint: str) -> None:
    problem = field_problem(name, QUESTIONS)
    assert problem is not None
    assert hint in problem
