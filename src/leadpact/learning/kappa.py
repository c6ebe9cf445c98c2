"""How far two graders of the same leads agree beyond chance: Cohen's kappa, quadratic-weighted, over an ordered
scale of grades, and its reading in plain words.

Two people grading leads A to D agree by chance part of the time, more so when both give mostly one grade.
Kappa is the share of the disagreement expected by chance that they avoid: 1 is perfect agreement, 0 is no
better than chance, below 0 is worse than chance. With quadratic weights a disagreement counts by the square of
its distance on the scale, so an A graded D weighs nine times an A graded B. When chance alone would already
agree on every lead (both gave every lead the same one grade) kappa is undefined.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

BANDS = (
    (0.20, "slight"),
    (0.40, "fair"),
    (0.60, "moderate"),
    (0.80, "substantial"),
    (1.0, "almost perfect"),
)
"""Landis and Koch's bands (1977): the highest kappa of each, and its name; below 0 is poor agreement."""


def weighted_kappa(first: Sequence[str], second: Sequence[str], scale: Sequence[str]) -> float | None:
    """Quadratic-weighted kappa between two graders' grades of the same leads, pair by pair, on ``scale`` (best
    first); None when it is undefined: no pairs, a scale of one grade, or every pair the same one grade."""
    if len(first) != len(second):
        raise ValueError(f"{len(first)} grades against {len(second)}: kappa compares pairs")
    size = len(scale)
    if not first or size < 2:
        return None
    index = {grade: i for i, grade in enumerate(scale)}
    observed = np.zeros((size, size))
    np.add.at(observed, ([index[g] for g in first], [index[g] for g in second]), 1.0)
    observed /= observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    steps = np.arange(size)
    weights = (steps[:, None] - steps[None, :]) ** 2
    chance = float((weights * expected).sum())
    if chance == 0.0:
        return None
    return 1.0 - float((weights * observed).sum()) / chance


def reading(kappa: float | None) -> str:
    """Kappa in Landis and Koch's words: 'moderate agreement'."""
    if kappa is None:
        return "undefined"
    if kappa < 0:
        return "poor agreement: worse than chance"
    return next((f"{words} agreement" for top, words in BANDS if kappa <= top), f"{BANDS[-1][1]} agreement")


@dataclass(frozen=True)
class Comparison:
    """Two graders over the leads both graded: kappa, and how often the first gave the same, a better or a worse
    grade than the second (``within_one``: at most one grade apart)."""

    leads: int
    kappa: float | None
    reading: str
    same: int
    first_higher: int
    first_lower: int
    within_one: int


def compare(first: Sequence[str], second: Sequence[str], scale: Sequence[str]) -> Comparison:
    kappa = weighted_kappa(first, second, scale)
    index = {grade: i for i, grade in enumerate(scale)}
    gaps = [index[a] - index[b] for a, b in zip(first, second, strict=True)]  # negative: the first graded higher
    return Comparison(
        leads=len(gaps),
        kappa=kappa,
        reading=reading(kappa),
        same=sum(gap == 0 for gap in gaps),
        first_higher=sum(gap < 0 for gap in gaps),
        first_lower=sum(gap > 0 for gap in gaps),
        within_one=sum(abs(gap) <= 1 for gap in gaps),
    )
