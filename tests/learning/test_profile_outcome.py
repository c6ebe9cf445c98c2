"""Which rows bought: the value named, or a yes-like one, or the rarer of two; more than two values refused without
--positive; rows without an outcome left out and counted. And the figures that say how well a profile ranks."""

from __future__ import annotations

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import pytest

from leadpact.domain.errors import InvalidInput
from leadpact.learning.outcome import outcome_of
from leadpact.learning.quality import calibration_error, hits_at, lift_at, quality, share_at


def table(values: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"result": values, "size": [str(i) for i in range(len(values))]})


def test_a_yes_like_value_is_the_buyers_whatever_its_case_and_however_few() -> None:
    y, kept, found = outcome_of(table(["No"] * 12 + ["Yes"] * 40), "result", None)
    assert (found.positive, found.negatives, found.decided) == ("Yes", ("No",), "'Yes' reads as yes")
    assert y.sum() == 40
    assert kept.all()
    y, _, found = outcome_of(table(["0"] * 20 + ["1"] * 12), "result", None)
    assert (found.positive, int(y.sum())) == ("1", 12)


def test_without_a_yes_like_value_the_rarer_of_two_values_is_the_buyers() -> None:
    y, _, found = outcome_of(table(["<=50K"] * 30 + [">50K"] * 12), "result", None)
    assert (found.positive, found.decided, int(y.sum())) == (">50K", "'>50K' is the rarer of the two values", 12)


def test_more_than_two_values_need_positive_and_a_value_not_there_is_refused() -> None:
    three = table(["won"] * 12 + ["lost"] * 12 + ["open"] * 12)
    with pytest.raises(InvalidInput, match="has 3 values \\(lost, open, won\\); say which one means a purchase") as e:
        outcome_of(three, "result", None)
    assert e.value.field == "positive"
    y, _, found = outcome_of(three, "result", "WON")
    assert (found.positive, found.negatives, int(y.sum())) == ("won", ("lost", "open"), 12)
    with pytest.raises(InvalidInput, match="'bought' is not a value of the column 'result'; its values are: lost"):
        outcome_of(three, "result", "bought")
    with pytest.raises(InvalidInput, match="the table has no column 'outcome'; its columns are: result, size"):
        outcome_of(three, "outcome", None)


def test_rows_without_an_outcome_are_left_out_and_counted() -> None:
    y, kept, found = outcome_of(table(["yes"] * 15 + ["", "N/A", " "] + ["no"] * 15), "result", None)
    assert (found.missing_rows, len(y), int(kept.sum())) == (3, 30, 30)


def test_too_few_buyers_or_one_value_leave_nothing_to_learn() -> None:
    with pytest.raises(InvalidInput, match="4 rows have result = yes and 30 do not: each needs at least 10"):
        outcome_of(table(["yes"] * 4 + ["no"] * 30), "result", None)
    with pytest.raises(InvalidInput, match="every row has result = no"):
        outcome_of(table(["no"] * 30), "result", None)


def test_the_quality_figures_on_a_list_worked_by_hand() -> None:
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    p = np.array([0.9, 0.8, 0.7, 0.4, 0.3, 0.3, 0.2, 0.1, 0.1, 0.05])
    assert hits_at(y, p, 3) == 2
    assert lift_at(y, p, 0.1) == 5.0  # the top row is a buyer: 100 % against a base rate of 20 %
    assert share_at(y, p, 0.2) == 0.5  # one of the two buyers in the top two rows
    # ten bins of one row each: the mean gap between each row's probability and its outcome
    assert calibration_error(y, p) == pytest.approx(float(np.mean(np.abs(p - y))))
    figures = quality(y, p)
    assert figures.auc == pytest.approx(15 / 16)  # of the 16 buyer / non-buyer pairs, one is ranked wrong
    assert figures.brier == pytest.approx(float(np.mean((p - y) ** 2)))
