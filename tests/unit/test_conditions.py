"""Every condition, from the file to its words: read, judged on a field value, described, documented.

The tests walk every operator, so an operator added to ``Op`` and ``conditions`` alone fails here until it has
a case below, its words, and its row in docs/agreement.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from leadpact.domain.agreement import Agreement, Condition, Op, Scalar
from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.conditions import describe_condition, docs_table, field_in_words, holds, operator
from leadpact.domain.errors import InvalidAgreement
from tests.factories import agreement_text

DOCS = Path(__file__).parents[2] / "docs" / "agreement.md"
CATCH_ALL = "    - {team: americas}"


class Case(NamedTuple):
    value: Scalar | tuple[Scalar, ...]  # as read from the operator's documented example
    holds_on: Scalar
    fails_on: Scalar
    words: str


CASES: dict[Op, Case] = {
    Op.EQUALS: Case("manufacturing", " Manufacturing", "retail", "industry equals manufacturing"),
    Op.IN: Case(("DE", "FR", "GB"), "fr", "US", "country is DE, FR or GB"),
    Op.NOT_IN: Case(("US", "CA"), "DE", " us", "country is none of US, CA"),
    Op.MATCHES: Case(r"(?i)\bvp\b", "VP Sales", "MVP engineer", "title mentions VP"),
    Op.BETWEEN: Case((200.0, 5000.0), "1,200", 199, "employees between 200 and 5,000"),
    Op.AT_LEAST: Case(1000.0, "1000", 999, "employees is at least 1,000"),
    Op.AT_MOST: Case(50.0, 50, "51", "employees is at most 50"),
    Op.FREE_MAIL: Case(True, "ann@gmail.com", "ann@acme.example", "email is a free-mail address"),
    Op.MISSING: Case(True, "  ", "CEO", "title is empty"),
}


def routed_on(condition: str) -> Agreement:
    """The example agreement with a second routing rule, on ``condition``, before the catch-all."""
    text = agreement_text((CATCH_ALL, f"    - {{when: {condition}, team: probe}}\n{CATCH_ALL}"))
    return parse_agreement(text, "agreement.yaml")


def test_every_operator_has_a_case_here() -> None:
    assert set(CASES) == set(Op)


@pytest.mark.parametrize("op", list(Op))
def test_the_documented_example_reads_holds_and_reads_back_in_words(op: Op) -> None:
    case = CASES[op]
    condition = routed_on(operator(op).example).handoff.routing[1].when
    assert condition is not None
    assert (condition.op, condition.value) == (op, case.value)
    assert holds(condition, case.holds_on) is True
    assert holds(condition, case.fails_on) is False
    assert describe_condition(condition) == case.words


@pytest.mark.parametrize("op", list(Op))
def test_every_operator_has_its_row_in_the_documentation(op: Op) -> None:
    (row,) = [line for line in docs_table().splitlines() if line.startswith(f"| `{op.value}` |")]
    assert row in DOCS.read_text().splitlines()
    assert f"{op.value}:" in operator(op).example


def test_the_documented_table_is_the_one_the_module_renders() -> None:
    assert docs_table() in DOCS.read_text()


@pytest.mark.parametrize("op", list(Op))
def test_every_operator_refuses_a_value_of_the_wrong_shape(op: Op) -> None:
    with pytest.raises(InvalidAgreement) as caught:
        routed_on(f"{{field: title, {op.value}: {{a: 1}}}}")
    assert caught.value.problems
    assert all(f": handoff.routing[1].when.{op.value}" in p for p in caught.value.problems)


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        ("{field: country, in: []}", "in: list at least one value"),
        ("{field: country, not_in: [US, ~]}", "not_in[1]: a value is required"),
        ("{field: employees, between: [200]}", "between: expected two numbers: [low, high]"),
        ("{field: employees, between: [5000, 200]}", "between: the low bound is above the high bound"),
        ("{field: employees, between: [200, many]}", "between[1]: expected a number, got 'many'"),
        ("{field: title, matches: '(unclosed'}", "matches: not a valid regular expression"),
        ("{field: title, matches: ~}", "matches: expected text"),
        ("{field: email, free_mail: yes}", "free_mail: expected true or false, got 'yes'"),
    ],
)
def test_a_value_that_breaks_its_operator_is_named_with_its_path(condition: str, problem: str) -> None:
    with pytest.raises(InvalidAgreement) as caught:
        routed_on(condition)
    (found,) = caught.value.problems
    assert f"handoff.routing[1].when.{problem}" in found


@pytest.mark.parametrize(
    ("op", "value"),
    [(Op.EQUALS, ("a", "b")), (Op.AT_LEAST, (1, 2)), (Op.IN, "a"), (Op.BETWEEN, 5)],
)
def test_a_condition_built_with_a_value_of_the_wrong_shape_is_refused(
    op: Op, value: Scalar | tuple[Scalar, ...]
) -> None:
    with pytest.raises(TypeError):
        holds(Condition("f", op, value), "5")


@pytest.mark.parametrize(
    ("field", "words"),
    [("account.employees", "the company's employees"), ("job_level", "job level"), ("title", "title")],
)
def test_a_field_reads_as_people_say_it(field: str, words: str) -> None:
    assert field_in_words(field) == words


def test_a_bound_with_a_fraction_keeps_it() -> None:
    condition = routed_on("{field: account.employees, at_least: 2.5}").handoff.routing[1].when
    assert condition is not None
    assert describe_condition(condition) == "the company's employees is at least 2.5"
