"""Why a row scores as it does: its values that move its probability most, in words.

A value's effect is how far the row's probability moves when that one value is replaced by the learning table's
typical value (a number's median, a category's most frequent level), everything else kept: the model's own
answer to "what if this prospect were ordinary in this respect". The row's reasons are its values with the
largest effects, ranked by their effect on the log-odds (so a rare buyer's reasons rank as a likely one's do) and
shown in percentage points of probability: ``poutcome = success (+18 pts)``. A value that is the typical one
has no effect and is never a reason.
"""

from __future__ import annotations

import numpy as np

from leadpact.learning.candidates import Model
from leadpact.learning.tabular import Encoder

TOP = 3
EPSILON = 1e-6


def effects(model: Model, encoder: Encoder, x: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(points, logits)``: each value's effect on its row's probability, and on its log-odds (zero where typical)."""
    points = np.zeros_like(x)
    logits = np.zeros_like(x)
    own = _logit(p)
    for j, typical in enumerate(encoder.medians):
        if np.isnan(typical):
            continue
        column = x[:, j]
        differs = np.flatnonzero(np.isnan(column) | (column != typical))
        if differs.size == 0:
            continue
        changed = x[differs].copy()
        changed[:, j] = typical
        instead = model.probability(changed)
        points[differs, j] = p[differs] - instead
        logits[differs, j] = own[differs] - _logit(instead)
    return points, logits


def reasons(encoder: Encoder, x: np.ndarray, points: np.ndarray, logits: np.ndarray, top: int = TOP) -> list[list[str]]:
    """Each row's values with the largest effects, in words, the largest first."""
    found: list[list[str]] = []
    order = np.argsort(-np.abs(logits), axis=1, kind="stable")[:, :top]
    for row, columns in enumerate(order):
        words = []
        for j in columns:
            if abs(logits[row, j]) < 1e-3:
                break
            value = encoder.shown(int(j), float(x[row, j]))
            words.append(f"{encoder.used[j].name} = {value} ({_points(float(points[row, j]))})")
        found.append(words)
    return found


def _points(effect: float) -> str:
    value = effect * 100
    shown = f"{value:+.0f}" if abs(value) >= 1 else f"{value:+.1f}"
    return f"{shown} pts"


def _logit(p: np.ndarray) -> np.ndarray:
    clipped = np.clip(p, EPSILON, 1 - EPSILON)
    return np.asarray(np.log(clipped / (1 - clipped)), dtype=float)
