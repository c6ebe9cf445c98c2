"""Columns that predict too well to be known before the outcome: leaks.

A customer table often holds what was recorded after the sale or during it (the last call's length, a contract
number, a closing date), and a profile learned on it ranks the table's own rows brilliantly and a new list badly.
Buying is never that predictable from what is known about a prospect beforehand; so a column is suspect when
three things hold on the learning table, all measured out of fold:

1. alone it ranks buyers with an AUC of at least ``ALONE_AUC`` (from its values' buying rates learned on the other
   folds: its levels, or twenty quantile bins of a number);
2. the model with every column reaches an AUC of at least ``WITH_AUC``;
3. leaving it out costs the model at least ``LOSS`` of AUC: nothing else in the table stands in for it.

An ordinary strong predictor fails one of them: it is weaker alone, or the prediction stays ordinary, or other
columns carry most of what it says. A column that alone decides the outcome almost perfectly (AUC at least
``NEAR_PERFECT``, e.g. a status that restates it) is suspect without the other two tests. A suspect column is
reported, never dropped: only the people who know when it is recorded can say whether it is a leak.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier  # type: ignore[import-untyped]
from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]

from leadpact.learning.candidates import stratified_rows
from leadpact.learning.quality import auc
from leadpact.learning.tabular import Encoder

ALONE_AUC = 0.75
WITH_AUC = 0.85
LOSS = 0.05
NEAR_PERFECT = 0.99
CHECKED = 3
"""The columns strongest alone that are put to the leave-one-out test."""
SAMPLE_ROWS = 20_000
FOLDS = 3
SMOOTHING = 20.0
"""Rows of the base rate mixed into each value's buying rate, so that a rare value does not look decisive."""
BINS = 20
SEED = 0


@dataclass(frozen=True)
class Leak:
    column: str
    alone: float
    with_it: float | None
    without: float | None

    @property
    def sentence(self) -> str:
        if self.with_it is None or self.without is None:
            measured = f"alone it ranks buyers with an AUC of {self.alone:.2f}"
        else:
            measured = (
                f"alone it ranks buyers with an AUC of {self.alone:.2f}, and without it the model's AUC falls "
                f"from {self.with_it:.2f} to {self.without:.2f}"
            )
        return (
            f"{self.column} predicts too well to be known before the outcome: {measured}. If it is recorded "
            f"after or during the sale, learn again with --exclude {self.column!r}."
        )

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def alone_aucs(encoder: Encoder, x: np.ndarray, y: np.ndarray) -> list[float]:
    """Each used column's out-of-fold AUC alone: how well its values' buying rates rank the rows."""
    rows = stratified_rows(y, SAMPLE_ROWS)
    xs, ys = x[rows], y[rows]
    splits = list(StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED).split(xs, ys))
    categorical = encoder.categorical
    return [_alone(_codes(xs[:, i], bool(categorical[i])), ys, splits) for i in range(xs.shape[1])]


def leaks(encoder: Encoder, x: np.ndarray, y: np.ndarray, alone: Sequence[float]) -> list[Leak]:
    """The suspect columns, by the three tests above, the strongest alone first."""
    names = [c.name for c in encoder.used]
    order = sorted(range(len(names)), key=lambda i: -alone[i])
    found = [Leak(names[i], alone[i], None, None) for i in order if alone[i] >= NEAR_PERFECT]
    checked = [i for i in order if ALONE_AUC <= alone[i] < NEAR_PERFECT][:CHECKED]
    if not checked or x.shape[1] < 2:
        return found
    rows = stratified_rows(y, SAMPLE_ROWS)
    xs, ys = x[rows], y[rows]
    splits = list(StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED).split(xs, ys))
    categorical = encoder.categorical
    with_it = _model_auc(xs, ys, categorical, splits)
    if with_it < WITH_AUC:
        return found
    for i in checked:
        keep = np.arange(xs.shape[1]) != i
        without = _model_auc(xs[:, keep], ys, categorical[keep], splits)
        if with_it - without >= LOSS:
            found.append(Leak(names[i], alone[i], with_it, without))
    return found


def _codes(values: np.ndarray, categorical: bool) -> np.ndarray:
    """Small non-negative integers: a category's code or a number's quantile bin; missing values their own."""
    absent = np.isnan(values)
    codes = np.zeros(len(values), dtype=int)
    if categorical:
        codes[~absent] = values[~absent].astype(int) + 1
    elif (~absent).any():
        edges = np.unique(np.quantile(values[~absent], np.linspace(0, 1, BINS + 1)[1:-1]))
        codes[~absent] = np.searchsorted(edges, values[~absent], side="left") + 1
    return codes


def _alone(codes: np.ndarray, y: np.ndarray, splits: list[tuple[np.ndarray, np.ndarray]]) -> float:
    oof = np.zeros(len(y))
    size = int(codes.max()) + 1
    for train, test in splits:
        base = float(y[train].mean())
        rows = np.bincount(codes[train], minlength=size)
        hits = np.bincount(codes[train], weights=y[train], minlength=size)
        rate = (hits + SMOOTHING * base) / (rows + SMOOTHING)
        oof[test] = rate[codes[test]]
    return auc(y, oof)


def _model_auc(
    x: np.ndarray, y: np.ndarray, categorical: np.ndarray, splits: list[tuple[np.ndarray, np.ndarray]]
) -> float:
    oof = np.zeros(len(y))
    for train, test in splits:
        model = HistGradientBoostingClassifier(
            max_iter=300,
            early_stopping=True,
            n_iter_no_change=20,
            categorical_features=categorical if categorical.any() else None,
            random_state=SEED,
        )
        oof[test] = model.fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    return auc(y, oof)
