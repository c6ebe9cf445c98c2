"""The workshop's kappa is scikit-learn's quadratic-weighted Cohen's kappa over the grades in their order, on fixed
pairs and on pairs hypothesis makes up; undefined where it has no meaning; read in Landis and Koch's words."""

from __future__ import annotations

import math
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score  # type: ignore[import-untyped]

from leadpact.learning.kappa import compare, reading, weighted_kappa

SCALE = ("A", "B", "C", "D")


def sklearn_kappa(first: list[str], second: list[str], scale: tuple[str, ...] = SCALE) -> float:
    """scikit-learn's, with the grades as its labels in their order: a grade nobody gave still holds its place."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined cases warn and answer nan
        return float(cohen_kappa_score(first, second, labels=list(scale), weights="quadratic"))


FIXED = [
    (["A", "B", "C", "D", "A", "B"], ["A", "B", "C", "D", "B", "A"]),
    (["A", "A", "B", "C", "D", "D", "C"], ["B", "A", "C", "C", "D", "C", "D"]),
    (["A", "B", "D", "D", "B"], ["D", "B", "A", "B", "D"]),  # no C at all: D stays three grades from A
    (["A", "D"], ["D", "A"]),
    (["B", "B", "C", "A"], ["B", "C", "C", "A"]),
]


@pytest.mark.parametrize(("first", "second"), FIXED)
def test_kappa_equals_scikit_learns_quadratic_weighted_kappa(first: list[str], second: list[str]) -> None:
    assert weighted_kappa(first, second, SCALE) == pytest.approx(sklearn_kappa(first, second), abs=1e-12)


pairs = st.lists(st.tuples(st.sampled_from(SCALE), st.sampled_from(SCALE)), min_size=1, max_size=60)


@given(pairs)
def test_kappa_equals_scikit_learns_on_any_grades(graded: list[tuple[str, str]]) -> None:
    first, second = [a for a, _ in graded], [b for _, b in graded]
    expected = sklearn_kappa(first, second)
    found = weighted_kappa(first, second, SCALE)
    if math.isnan(expected):
        assert found is None
    else:
        assert found == pytest.approx(expected, abs=1e-9)


@given(st.lists(st.tuples(st.sampled_from("xyz"), st.sampled_from("xyz")), min_size=1, max_size=30))
def test_kappa_on_grades_the_agreement_names_otherwise_follows_their_order(graded: list[tuple[str, str]]) -> None:
    scale = ("z", "x", "y")  # an order that is not the alphabet's
    first, second = [a for a, _ in graded], [b for _, b in graded]
    expected = sklearn_kappa(first, second, scale)
    found = weighted_kappa(first, second, scale)
    assert found is None if math.isnan(expected) else found == pytest.approx(expected, abs=1e-9)


def test_perfect_agreement_is_one() -> None:
    same = ["A", "C", "B", "D", "A"]
    assert weighted_kappa(same, same, SCALE) == 1.0 == sklearn_kappa(same, same)


def test_one_side_giving_every_lead_one_grade_still_has_a_kappa() -> None:
    marketing, sales = ["B"] * 5, ["A", "B", "C", "D", "B"]
    assert weighted_kappa(marketing, sales, SCALE) == pytest.approx(sklearn_kappa(marketing, sales)) == 0.0
    assert weighted_kappa(["A", "A", "B"], ["A", "A", "A"], SCALE) == pytest.approx(
        sklearn_kappa(["A", "A", "B"], ["A", "A", "A"])
    )


def test_kappa_is_undefined_without_pairs_or_when_chance_agrees_on_every_pair() -> None:
    assert weighted_kappa([], [], SCALE) is None
    assert weighted_kappa(["C", "C"], ["C", "C"], SCALE) is None
    assert math.isnan(sklearn_kappa(["C", "C"], ["C", "C"]))
    assert weighted_kappa(["A"], ["A"], ("A",)) is None
    with pytest.raises(ValueError, match="kappa compares pairs"):
        weighted_kappa(["A"], [], SCALE)


@pytest.mark.parametrize(
    ("kappa", "words"),
    [
        (None, "undefined"),
        (-0.3, "poor agreement: worse than chance"),
        (0.0, "slight agreement"),
        (0.2, "slight agreement"),
        (0.35, "fair agreement"),
        (0.6, "moderate agreement"),
        (0.61, "substantial agreement"),
        (0.81, "almost perfect agreement"),
        (1.0, "almost perfect agreement"),
    ],
)
def test_kappa_is_read_in_landis_and_kochs_words(kappa: float | None, words: str) -> None:
    assert reading(kappa) == words


def test_a_comparison_counts_the_same_higher_lower_and_near_grades() -> None:
    found = compare(["A", "B", "D", "C"], ["A", "C", "A", "C"], SCALE)
    assert (found.leads, found.same, found.first_higher, found.first_lower, found.within_one) == (4, 2, 1, 1, 3)
    assert found.kappa == pytest.approx(sklearn_kappa(["A", "B", "D", "C"], ["A", "C", "A", "C"]))
    assert found.reading == reading(found.kappa)
