"""The outcome column of a customer table: which rows bought.

The column may say it any way: yes/no, true/false, 1/0, won/lost, a status. The value that means "bought" is
the one named with ``--positive``; without it, a yes-like value (``yes``, ``true``, ``1``, ``won``, ...) when the
column has exactly two values and one of them is yes-like, else the rarer of the two (buyers are usually the
fewer). A column with more than two values needs ``--positive``: which of them is a purchase is not for the
profile to guess. Rows whose outcome is missing are left out and counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from leadpact.domain.errors import InvalidInput
from leadpact.learning.tabular import cleaned

YES_LIKE = frozenset(
    {
        "yes",
        "y",
        "true",
        "t",
        "1",
        "1.0",
        "positive",
        "won",
        "win",
        "bought",
        "buyer",
        "purchased",
        "converted",
        "customer",
        "success",
        "subscribed",
    }
)
MIN_CLASS_ROWS = 10
"""Fewer buyers (or non-buyers) than this leave nothing to learn or to validate on."""


@dataclass(frozen=True)
class Outcome:
    """Which column and value mean "bought", how the value was decided, and the rows left out."""

    column: str
    positive: str
    negatives: tuple[str, ...]
    decided: str  # "given", or how it was inferred
    missing_rows: int


def outcome_of(frame: pd.DataFrame, column: str, positive: str | None) -> tuple[np.ndarray, np.ndarray, Outcome]:
    """``(y, kept, outcome)``: 1 for a buyer among the ``kept`` rows (those whose outcome is not missing)."""
    if column not in frame.columns:
        raise InvalidInput(
            f"the table has no column {column!r}; its columns are: {', '.join(frame.columns)}", "outcome"
        )
    values = cleaned(frame[column])
    kept = values.notna().to_numpy()
    present = values[kept].astype(str)
    if present.empty:
        raise InvalidInput(f"the column {column!r} has no value in any row", "outcome")
    distinct = sorted(present.unique())
    if positive is not None:
        chosen, decided = _given(positive.strip(), distinct, column), "given"
    else:
        chosen, decided = _inferred(present, distinct, column)
    y = present.str.lower().eq(chosen.lower()).to_numpy().astype(int)
    negatives = tuple(v for v in distinct if v.lower() != chosen.lower())
    outcome = Outcome(column, chosen, negatives, decided, int((~kept).sum()))
    buyers, others = int(y.sum()), int(len(y) - y.sum())
    if min(buyers, others) < MIN_CLASS_ROWS:
        raise InvalidInput(
            f"{buyers} rows have {column} = {chosen} and {others} do not: each needs at least {MIN_CLASS_ROWS} "
            "rows to learn from and to validate on",
            "outcome",
        )
    return y, kept, outcome


def _given(positive: str, distinct: list[str], column: str) -> str:
    if positive in distinct:
        return positive
    same = [v for v in distinct if v.lower() == positive.lower()]
    if same:
        return same[0]
    raise InvalidInput(
        f"{positive!r} is not a value of the column {column!r}; its values are: {_listed(distinct)}", "positive"
    )


def _inferred(present: pd.Series, distinct: list[str], column: str) -> tuple[str, str]:
    by_case = sorted({v.lower(): v for v in distinct}.items())
    if len(by_case) == 1:
        raise InvalidInput(f"every row has {column} = {distinct[0]}: there is nothing to tell buyers apart", "outcome")
    if len(by_case) > 2:
        raise InvalidInput(
            f"the column {column!r} has {len(by_case)} values ({_listed(distinct)}); "
            "say which one means a purchase with --positive",
            "positive",
        )
    yes = [original for lower, original in by_case if lower in YES_LIKE]
    if len(yes) == 1:
        return yes[0], f"{yes[0]!r} reads as yes"
    counts = present.str.lower().value_counts()
    (low_a, a), (low_b, b) = by_case
    rarer = a if int(counts[low_a]) < int(counts[low_b]) else b
    return rarer, f"{rarer!r} is the rarer of the two values"


def _listed(values: list[str], most: int = 8) -> str:
    shown = ", ".join(values[:most])
    return shown + (f", ... ({len(values)} in all)" if len(values) > most else "")
