"""The traits that set buyers apart, in plain words with their lift.

A trait is a group of rows sharing a value: a category's level (``industry = logistics``), a range of a number
(``employees 200 to 1,000``: the table's numbers cut at their quintiles, or each value when there are few), or a
missing value. Its lift is the buyers' rate in the group as a multiple of their rate in the whole table; its
share of buyers is the part of all buyers it holds. So that noise does not show as a trait, a group counts only
when it holds at least ``MIN_SHARE`` of the rows (and at least ``MIN_ROWS``), its lift is at least ``MIN_LIFT``
(or at most its inverse), and the gap between its buyers and the number its size predicts is at least ``Z``
standard deviations (a binomial test at the 1 % level): a lift of 3 on twelve rows is chance, not a trait.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from leadpact.learning.tabular import Column, Encoder, Kind, number_words, shown

MIN_ROWS = 20
MIN_SHARE = 0.01
MIN_BUYERS = 5
MIN_LIFT = 1.2
Z = 2.58
QUANTILES = (0.2, 0.4, 0.6, 0.8)
FEW_VALUES = 6
"""A number with at most this many distinct values is grouped by value rather than by range."""
KEPT = 25
"""The most traits kept on each side (more likely, less likely)."""


@dataclass(frozen=True)
class Trait:
    """A group of rows and how much more (or less) likely to buy it is.

    ``level`` is a category's level; ``low`` and ``high`` bound a number's range as the table's values in the group
    reach (None: open on that side); ``missing`` marks the rows with no value.
    """

    column: str
    kind: str  # the column's kind: number, date or category
    words: str
    rows: int
    buyers: int
    expected: float
    """The buyers the group would hold at the table's base rate."""
    lift: float
    share_of_buyers: float
    level: str | None = None
    low: float | None = None
    high: float | None = None
    missing: bool = False

    @property
    def sentence(self) -> str:
        """The trait in words: ``industry = logistics``, its lift as likely to buy, and its share of buyers."""
        return f"{self.words}: {lift_words(self.lift)} as likely to buy; {percent(self.share_of_buyers)} of buyers"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


TIMES = "×"  # noqa: RUF001 - the sign people write for "times as likely"


def lift_words(lift: float) -> str:
    """A lift as a multiple: 2.8 times is ``2.8`` and the sign."""
    return f"{lift:.1f}{TIMES}" if lift < 10 else f"{lift:.0f}{TIMES}"


def percent(share: float) -> str:
    """A share as people write it in prose: ``12 %``, ``0.4 %``."""
    value = share * 100
    return f"{value:.0f} %" if value >= 1 or value == 0 else f"{value:.1f} %"


def traits(encoder: Encoder, x: np.ndarray, y: np.ndarray) -> tuple[list[Trait], list[Trait]]:
    """``(more likely, less likely)``: the traits that pass the tests, the strongest first on each side."""
    n, buyers = len(y), int(y.sum())
    base = buyers / n
    least = max(MIN_ROWS, math.ceil(MIN_SHARE * n))
    found: list[Trait] = []
    for i, column in enumerate(encoder.used):
        for group in _groups(column, x[:, i]):
            members = group.members
            rows, hits = int(members.sum()), int(y[members].sum())
            if rows < least or rows == n:
                continue
            expected = rows * base
            z = (hits - expected) / math.sqrt(expected * (1 - base))
            lift = (hits / rows) / base
            strong = (lift >= MIN_LIFT and hits >= MIN_BUYERS) or lift <= 1 / MIN_LIFT
            if abs(z) >= Z and strong:
                found.append(
                    Trait(
                        column.name,
                        column.kind.value,
                        group.words,
                        rows,
                        hits,
                        expected,
                        lift,
                        hits / buyers,
                        group.level,
                        group.low,
                        group.high,
                        group.missing,
                    )
                )
    more = sorted((t for t in found if t.lift > 1), key=lambda t: (-t.lift, -t.buyers, t.words))
    less = sorted((t for t in found if t.lift < 1), key=lambda t: (t.lift, -t.rows, t.words))
    return more[:KEPT], less[:KEPT]


@dataclass(frozen=True)
class _Group:
    words: str
    members: np.ndarray
    level: str | None = None
    low: float | None = None
    high: float | None = None
    missing: bool = False


def _groups(column: Column, values: np.ndarray) -> list[_Group]:
    absent = np.isnan(values)
    groups = [_Group(f"{column.name} is missing", absent, missing=True)] if absent.any() else []
    present = values[~absent]
    if column.kind == Kind.CATEGORY:
        for code, level in enumerate(column.levels):
            groups.append(_Group(f"{column.name} = {level}", values == code, level=level))
        return groups
    distinct = np.unique(present)
    if distinct.size <= FEW_VALUES:
        for value in distinct:
            groups.append(_Group(f"{column.name} = {shown(column, value)}", values == value, low=value, high=value))
        return groups
    edges = np.unique(np.quantile(present, QUANTILES))
    bins = np.searchsorted(edges, values, side="left")
    for b in range(edges.size + 1):
        members = (bins == b) & ~absent
        if not members.any():
            continue
        low, high = float(values[members].min()), float(values[members].max())
        first, last = b == 0, b == edges.size
        words = _range_words(column, low, high, first, last)
        groups.append(_Group(words, members, low=None if first else low, high=None if last else high))
    return groups


def _range_words(column: Column, low: float, high: float, first: bool, last: bool) -> str:
    if low == high:
        return f"{column.name} = {shown(column, low)}"
    if first:
        return f"{column.name} ≤ {shown(column, high)}"
    if last:
        return f"{column.name} ≥ {shown(column, low)}"
    if column.kind == Kind.DATE:
        return f"{column.name} from {shown(column, low)} to {shown(column, high)}"
    return f"{column.name} {number_words(low)} to {number_words(high)}"
