"""How good a list of probabilities is at finding buyers, in the figures a marketer reads.

- AUC: the chance that a buyer picked at random is ranked above a non-buyer picked at random (0.5 is a coin,
  1.0 is perfect).
- Lift in the top decile: how many times the base rate the buyers are among the tenth of the rows ranked highest.
- Share of buyers in the top 20 %: the buyers found by working only the fifth of the rows ranked highest.
- Calibration error: the expected calibration error over ten bins of equal size (the deciles of the predicted
  probability): the mean gap, weighted by rows, between a bin's mean probability and its share of buyers.
- Brier score: the mean squared gap between the probability and the outcome (lower is better).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.metrics import roc_auc_score  # type: ignore[import-untyped]

BINS = 10


@dataclass(frozen=True)
class Quality:
    rows: int
    buyers: int
    auc: float
    top_decile_lift: float
    top20_share: float
    calibration_error: float
    brier: float

    def as_dict(self) -> dict[str, float]:
        return dict(asdict(self))


def quality(y: np.ndarray, p: np.ndarray) -> Quality:
    return Quality(
        rows=len(y),
        buyers=int(y.sum()),
        auc=auc(y, p),
        top_decile_lift=lift_at(y, p, 0.1),
        top20_share=share_at(y, p, 0.2),
        calibration_error=calibration_error(y, p),
        brier=float(np.mean((p - y) ** 2)),
    )


def auc(y: np.ndarray, p: np.ndarray) -> float:
    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else float("nan")


def ranked(p: np.ndarray) -> np.ndarray:
    """Row indices, most likely first; ties keep the table's order."""
    return np.argsort(-p, kind="stable")


def hits_at(y: np.ndarray, p: np.ndarray, k: int) -> int:
    """Buyers among the ``k`` rows ranked highest."""
    return int(y[ranked(p)[:k]].sum())


def share_at(y: np.ndarray, p: np.ndarray, fraction: float) -> float:
    """The share of all buyers found in the top ``fraction`` of the rows."""
    k = math.ceil(fraction * len(y))
    return hits_at(y, p, k) / max(int(y.sum()), 1)


def lift_at(y: np.ndarray, p: np.ndarray, fraction: float) -> float:
    """The buyers' rate in the top ``fraction`` of the rows, as a multiple of their rate in all rows."""
    k = math.ceil(fraction * len(y))
    base = float(y.mean())
    return (hits_at(y, p, k) / k) / base if base > 0 else float("nan")


def calibration_error(y: np.ndarray, p: np.ndarray, bins: int = BINS) -> float:
    """Expected calibration error over ``bins`` bins of equal size, by predicted probability."""
    order = np.argsort(p, kind="stable")
    error = 0.0
    for part in np.array_split(order, bins):
        if part.size:
            error += part.size * abs(float(p[part].mean()) - float(y[part].mean()))
    return error / len(y)
