"""The predictive model of the store's leads: the chance that a hand-off leads to an opportunity (or a won deal),
learned from the store's own hand-offs, checked on its latest months, and explaining each prediction exactly.

The model is a logistic regression with an L2 penalty, additive in log-odds. Each feature becomes a few 0/1 columns:
a category's common values (rare values share one column, a missing value has its own), a title's common words, a
number's ranges (cut at the learning rows' quintiles, a missing number has its own column). So the log-odds of a
prediction is the model's ``base``, the mean log-odds over the rows it learned from, plus one ``effect`` per feature:
the weights of that feature's columns times how far the lead's columns are from their mean. The effects add up to
the log-odds exactly, and each says in which direction, and how far, that feature moves the chance.

How it is chosen and checked, never on a random split:

- The rows are put in time order. The **validation months** are the latest whole calendar months (UTC) that
  together hold at least a fifth of the rows and at least ``MIN_VALIDATION_EACH`` rows of each outcome; the model
  learns on the rows before them only.
- The penalty is chosen by **time-ordered cross-validation on the learning rows**: each fold learns on earlier rows
  and is scored (log loss) on the rows that follow; the validation months take no part in the choice.
- The **quality** on the validation months (AUC, Brier score, calibration error, lift in the top decile) is set
  against a plain baseline in the same run: the agreement's own score at the hand-off, made a probability by a
  logistic regression on that score alone, learned on the same rows; and against the base rate.
- The model kept is the same recipe, with the chosen penalty, learned again on every row, the latest months too.
- Its summary keeps the **population's profile**: the kept model's predicted probability on every row it learned
  from, cut at its deciles, and the share of rows in each range, so that a later population of hand-offs can be
  set against it (the agreement's ``population_shift`` health bound).

A kept model predicts with numpy alone; scikit-learn, slow to load, is imported by the functions that learn.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from numpy.typing import NDArray

from leadpact.domain.errors import Conflict
from leadpact.learning.features import EVENTS, Kind, kind_of, meaning, words_of

Matrix = NDArray[np.float64]
Vector = NDArray[np.float64]
Step = Callable[[int, int], None]
"""Called with (steps done, steps in all) while the model learns."""

MIN_ROWS = 200
MIN_EACH = 40
"""The least history to learn from: hand-offs with a known outcome, and of them, with each outcome. Fewer leave
too little to learn dozens of columns and still keep months aside to check the model on."""
VALIDATION_SHARE = 0.2
MIN_VALIDATION_EACH = 10
"""The validation months hold at least this share of the rows and this many rows of each outcome, so their AUC
and calibration mean something."""
MIN_LEARNING_SHARE = 0.5
"""The rows before the validation months must be at least this share of all: most of the history is learned from."""
PENALTIES = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
"""The inverse penalties (scikit-learn's ``C``) the cross-validation chooses from: from strong to mild."""
FOLDS = 4
MIN_COUNT = 5
"""A category value, a title word or an event type gets a column of its own when at least this many rows have it."""
MAX_WORDS = 40
QUANTILES = (0.2, 0.4, 0.6, 0.8)
DECILE = 0.1
CALIBRATION_BINS = 10
PROFILE_QUANTILES = tuple(q / 10 for q in range(1, 10))
"""Where the population's profile cuts the learning rows' predicted probabilities: at their deciles."""
FORMAT = 1
"""The layout of a stored ``Predictor``; one of another layout is refused, never read half-way."""
OTHER, MISSING = "(other)", "(missing)"


@dataclass(frozen=True)
class Code:
    """How one feature becomes columns: a category's or a title's common values, or a number's range starts."""

    feature: str
    kind: Kind
    levels: tuple[str, ...] = ()
    cuts: tuple[float, ...] = ()

    @property
    def width(self) -> int:
        if self.kind is Kind.CATEGORY:
            return len(self.levels) + 2  # each level, the others, missing
        if self.kind is Kind.WORDS:
            return len(self.levels) + 1  # each word, missing
        return len(self.cuts) + 2  # each range, missing

    def labels(self) -> list[str]:
        """Each column in words, in order."""
        if self.kind is Kind.CATEGORY:
            return [f"{self.feature} = {v}" for v in (*self.levels, OTHER, MISSING)]
        if self.kind is Kind.WORDS:
            return [*(f"{self.feature} has '{w}'" for w in self.levels), f"{self.feature} {MISSING}"]
        edges = [f"{c:g}" for c in self.cuts]
        if not edges:
            ranges = [f"{self.feature} (any)"]
        else:
            ranges = [f"{self.feature} < {edges[0]}"]
            ranges += [f"{self.feature} {a} to < {b}" for a, b in itertools.pairwise(edges)]
            ranges.append(f"{self.feature} ≥ {edges[-1]}")
        return [*ranges, f"{self.feature} {MISSING}"]

    def encode(self, values: pd.Series) -> Matrix:
        out = np.zeros((len(values), self.width))
        rows = np.arange(len(values))
        if self.kind is Kind.CATEGORY:
            index = {level: i for i, level in enumerate(self.levels)}
            other, missing = len(self.levels), len(self.levels) + 1
            columns = [missing if v is None else index.get(v, other) for v in (_category(v) for v in values)]
            out[rows, columns] = 1.0
        elif self.kind is Kind.WORDS:
            index = {word: i for i, word in enumerate(self.levels)}
            for row, value in enumerate(values):
                if _category(value) is None:
                    out[row, len(self.levels)] = 1.0
                for word in words_of(value):
                    if word in index:
                        out[row, index[word]] = 1.0
        else:
            numbers = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
            present = ~np.isnan(numbers)
            ranges = np.searchsorted(np.asarray(self.cuts, dtype="float64"), numbers[present], side="right")
            out[rows[present], ranges] = 1.0
            out[rows[~present], len(self.cuts) + 1] = 1.0
        return out


@dataclass(frozen=True)
class Contribution:
    """What one feature does to one prediction: the lead's value and its effect in log-odds."""

    feature: str
    value: str | float | None
    effect: float


@dataclass(frozen=True)
class Explained:
    probability: float
    base: float
    contributions: tuple[Contribution, ...]


@dataclass(frozen=True)
class Predictor:
    """A learned model: how features become columns, each column's weight and its mean over the learning rows."""

    codes: tuple[Code, ...]
    weights: Vector
    intercept: float
    means: Vector
    half_life_days: float | None
    format: int = FORMAT

    @property
    def base(self) -> float:
        """The mean log-odds over the rows the model learned from."""
        return float(self.intercept + self.weights @ self.means)

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(code.feature for code in self.codes)

    def matrix(self, frame: pd.DataFrame) -> Matrix:
        return _matrix(self.codes, frame)

    def log_odds(self, frame: pd.DataFrame) -> Vector:
        result: Vector = self.intercept + self.matrix(frame) @ self.weights
        return result

    def probabilities(self, frame: pd.DataFrame) -> Vector:
        return _sigmoid(self.log_odds(frame))

    def explain(self, frame: pd.DataFrame) -> list[Explained]:
        """Each row's probability, with the base and one contribution per feature, largest effect first."""
        x = self.matrix(frame)
        odds = self.intercept + x @ self.weights
        base = self.base
        out: list[Explained] = []
        starts = np.cumsum([0, *(c.width for c in self.codes)])
        for row in range(len(frame)):
            parts = [
                Contribution(
                    code.feature,
                    _shown(_column(frame, code.feature).iloc[row], code.kind),
                    float((x[row, start:end] - self.means[start:end]) @ self.weights[start:end]),
                )
                for code, start, end in zip(self.codes, starts[:-1], starts[1:], strict=True)
            ]
            parts.sort(key=lambda c: -abs(c.effect))
            out.append(Explained(float(_sigmoid(np.asarray([odds[row]]))[0]), base, tuple(parts)))
        return out


@dataclass(frozen=True)
class Learned:
    predictor: Predictor
    summary: dict[str, Any]


def learn(
    frame: pd.DataFrame,
    outcome: Sequence[int],
    moments: Sequence[int],
    half_life_days: float | None,
    step: Step | None = None,
) -> Learned:
    """Learn the model from the rows of ``frame`` (features, as ``features.describe`` makes them), their outcome
    (1 or 0) and their moment (UTC seconds); refuse, saying how much is needed, when there is too little history."""
    y = np.asarray(outcome, dtype="int64")
    at = np.asarray(moments, dtype="int64")
    enough(outcome)
    order = np.argsort(at, kind="stable")
    frame, y, at = frame.iloc[order].reset_index(drop=True), y[order], at[order]
    cut = validation_start(at, y)
    learning, validation = frame.iloc[:cut], frame.iloc[cut:]
    total = len(PENALTIES) * FOLDS + 3
    done = 0

    def advance() -> None:
        nonlocal done
        done += 1
        if step is not None:
            step(done, total)

    penalty, trials, folds = choose_penalty(learning, y[:cut], advance)
    checked = fit(learning, y[:cut], penalty, half_life_days)
    advance()
    predicted = checked.probabilities(validation)
    score = (frame["fit"] + frame["engagement"]).to_numpy(dtype="float64")
    baseline = _score_baseline(score[:cut], y[:cut], score[cut:])
    advance()
    rate = float(y[:cut].mean())
    kept = fit(frame, y, penalty, half_life_days)
    advance()
    summary = {
        "format": FORMAT,
        "learner": "logistic regression with an L2 penalty, additive in log-odds",
        "penalty_c": penalty,
        "cross_validation": {"folds": folds, "log_loss_by_c": trials},
        "half_life_days": half_life_days,
        "columns": int(sum(c.width for c in kept.codes)),
        "training": _span(at[:cut], y[:cut]),
        "validation": {**_span(at[cut:], y[cut:]), "months": sorted({_month(a) for a in at[cut:]})},
        "kept": {"rows": len(y), "positives": int(y.sum())},
        "quality": {
            "model": quality(y[cut:], predicted),
            "baseline": quality(y[cut:], baseline),
            "base_rate": {
                "probability": rate,
                "brier": float(_sklearn().metrics.brier_score_loss(y[cut:], np.full(len(y) - cut, rate))),
                "calibration_error": calibration_error(y[cut:], np.full(len(y) - cut, rate)),
            },
        },
        "features": _feature_summary(kept, frame),
        "population": population(kept.probabilities(frame)),
    }
    return Learned(kept, summary)


def enough(outcome: Sequence[int]) -> None:
    """Refuse, saying how much is needed, when the history is too small to learn from and check."""
    rows, positives = len(outcome), int(sum(outcome))
    negatives = rows - positives
    if rows < MIN_ROWS or positives < MIN_EACH or negatives < MIN_EACH:
        raise Conflict(
            f"too little history to learn from: {rows} hand-offs with a known outcome, {positives} of them "
            f"reaching it and {negatives} not; the model needs at least {MIN_ROWS} such hand-offs, with at least "
            f"{MIN_EACH} of each outcome"
        )


def validation_start(at: NDArray[np.int64], y: NDArray[np.int64]) -> int:
    """The index of the first validation row (``at`` in time order): the fewest latest whole months holding
    ``VALIDATION_SHARE`` of the rows and ``MIN_VALIDATION_EACH`` rows of each outcome."""
    months = np.asarray([_month_number(a) for a in at])
    rows = len(at)
    for month in sorted(set(months.tolist()), reverse=True):
        start = int(np.searchsorted(months, month, side="left"))
        held, positives = rows - start, int(y[start:].sum())
        if held >= VALIDATION_SHARE * rows and min(positives, held - positives) >= MIN_VALIDATION_EACH:
            learning_positives = int(y[:start].sum())
            if start >= MIN_LEARNING_SHARE * rows and min(learning_positives, start - learning_positives) > 0:
                return start
            break
    raise Conflict(
        f"the history cannot be split in time: the latest whole months must hold at least {VALIDATION_SHARE:.0%} "
        f"of the {rows} hand-offs with a known outcome and at least {MIN_VALIDATION_EACH} of each outcome, and "
        f"leave at least {MIN_LEARNING_SHARE:.0%} of them, earlier, to learn from; the hand-offs span "
        f"{_month(int(at[0]))} to {_month(int(at[-1]))}: wait for more months of history"
    )


def choose_penalty(
    frame: pd.DataFrame, y: NDArray[np.int64], advance: Callable[[], None]
) -> tuple[float, dict[str, float], int]:
    """The penalty with the least mean log loss over time-ordered folds of the learning rows; also each
    penalty's mean log loss and how many folds counted (a fold needs both outcomes on both of its sides)."""
    learner = _sklearn()
    losses: dict[float, list[float]] = {c: [] for c in PENALTIES}
    folds = 0
    for before, after in learner.model_selection.TimeSeriesSplit(n_splits=FOLDS).split(frame):
        if len(set(y[before].tolist())) < 2 or len(set(y[after].tolist())) < 2:
            for _ in PENALTIES:
                advance()
            continue
        folds += 1
        codes = fit_codes(frame.iloc[before])
        x_before, x_after = _matrix(codes, frame.iloc[before]), _matrix(codes, frame.iloc[after])
        for c in PENALTIES:
            model = _regression(c).fit(x_before, y[before])
            losses[c].append(
                float(learner.metrics.log_loss(y[after], model.predict_proba(x_after)[:, 1], labels=[0, 1]))
            )
            advance()
    trials = {f"{c:g}": float(np.mean(v)) for c, v in losses.items() if v}
    if not trials:
        return 1.0, trials, 0
    best = min((c for c in PENALTIES if losses[c]), key=lambda c: float(np.mean(losses[c])))
    return best, trials, folds


def fit(frame: pd.DataFrame, y: NDArray[np.int64], penalty: float, half_life_days: float | None) -> Predictor:
    codes = fit_codes(frame)
    x = _matrix(codes, frame)
    model = _regression(penalty).fit(x, y)
    return Predictor(
        codes=codes,
        weights=np.asarray(model.coef_[0], dtype="float64"),
        intercept=float(model.intercept_[0]),
        means=x.mean(axis=0),
        half_life_days=half_life_days,
    )


def fit_codes(frame: pd.DataFrame) -> tuple[Code, ...]:
    """How each feature of the learning rows becomes columns; an event type too rare to learn from is left out."""
    codes: list[Code] = []
    for feature in frame.columns:
        kind = kind_of(str(feature))
        values = frame[feature]
        if kind is Kind.CATEGORY:
            counts = pd.Series([_category(v) for v in values], dtype="object").value_counts()
            codes.append(Code(feature, kind, tuple(sorted(str(v) for v, n in counts.items() if n >= MIN_COUNT))))
        elif kind is Kind.WORDS:
            seen: dict[str, int] = {}
            for value in values:
                for word in words_of(value):
                    seen[word] = seen.get(word, 0) + 1
            common = sorted((w for w, n in seen.items() if n >= MIN_COUNT), key=lambda w: (-seen[w], w))
            codes.append(Code(feature, kind, tuple(sorted(common[:MAX_WORDS]))))
        else:
            numbers = pd.to_numeric(values, errors="coerce").astype("float64").dropna()
            if feature.startswith(EVENTS) and int((numbers > 0).sum()) < MIN_COUNT:
                continue
            codes.append(Code(feature, kind, cuts=_cuts(numbers.to_numpy())))
    return tuple(codes)


def _cuts(numbers: Vector) -> tuple[float, ...]:
    """Where a number's ranges start: its quintiles (values the rows have); and when its lowest value holds a fifth
    of the rows or more (most leads have done none of an event), the next value and the median above it too, so the
    rest is not one range."""
    if not len(numbers):
        return ()
    low = float(numbers.min())
    cuts = set(np.quantile(numbers, QUANTILES, method="lower").tolist())
    above = numbers[numbers > low]
    if len(above) >= MIN_COUNT and len(above) <= (1 - QUANTILES[0]) * len(numbers):
        cuts |= set(np.quantile(above, (0.0, 0.5), method="lower").tolist())
    return tuple(sorted(float(c) for c in cuts if c > low))


def quality(y: NDArray[np.int64], p: Vector) -> dict[str, float]:
    metrics = _sklearn().metrics
    return {
        "auc": float(metrics.roc_auc_score(y, p)),
        "brier": float(metrics.brier_score_loss(y, p)),
        "calibration_error": calibration_error(y, p),
        "top_decile_lift": top_decile_lift(y, p),
    }


def calibration_error(y: NDArray[np.int64], p: Vector) -> float:
    """Expected calibration error: the rows in ``CALIBRATION_BINS`` equal ranges of probability (0 to 0.1, ...), the
    gap between each range's mean probability and its share of positives, weighted by how many rows it holds."""
    bins = np.minimum((p * CALIBRATION_BINS).astype("int64"), CALIBRATION_BINS - 1)
    gaps = [abs(p[bins == b].mean() - y[bins == b].mean()) * int((bins == b).sum()) for b in np.unique(bins)]
    return float(sum(gaps) / len(p))


def population(p: Vector) -> dict[str, Any]:
    """The profile of the rows' predicted probabilities: the distinct values cutting them at their deciles, and the
    share of rows in each range they make (below the first cut, from each cut up to the next, from the last cut
    up); a probability equal to a cut falls in the range the cut starts."""
    cuts = sorted({float(c) for c in np.quantile(p, PROFILE_QUANTILES)})
    counts = np.bincount(np.searchsorted(np.asarray(cuts), p, side="right"), minlength=len(cuts) + 1)
    return {
        "measure": "the predicted probability of the rows learned from",
        "rows": len(p),
        "cuts": cuts,
        "shares": [float(n) / len(p) for n in counts],
    }


def top_decile_lift(y: NDArray[np.int64], p: Vector) -> float:
    """The share of positives among the tenth of rows with the highest probability, over the share among all."""
    top = np.argsort(-p, kind="stable")[: max(1, math.ceil(DECILE * len(p)))]
    return float(y[top].mean() / y.mean())


def _score_baseline(score: Vector, y: NDArray[np.int64], later: Vector) -> Vector:
    """The agreement's score made a probability by a logistic regression on it alone."""
    mean, spread = float(score.mean()), float(score.std()) or 1.0
    model = _regression(1.0).fit(((score - mean) / spread).reshape(-1, 1), y)
    result: Vector = model.predict_proba(((later - mean) / spread).reshape(-1, 1))[:, 1]
    return result


def _sklearn() -> Any:
    """scikit-learn's learners and metrics, loaded the first time the model learns."""
    from sklearn import linear_model, metrics, model_selection  # type: ignore[import-untyped]

    return SimpleNamespace(linear_model=linear_model, metrics=metrics, model_selection=model_selection)


def _regression(penalty: float) -> Any:
    return _sklearn().linear_model.LogisticRegression(C=penalty, solver="newton-cholesky", max_iter=500)


def _matrix(codes: Sequence[Code], frame: pd.DataFrame) -> Matrix:
    parts = [code.encode(_column(frame, code.feature)) for code in codes]
    return np.hstack(parts) if parts else np.zeros((len(frame), 0))


def _column(frame: pd.DataFrame, feature: str) -> pd.Series:
    """A feature's values; one the rows lack is 0 for an event count (no row has such an event), else missing."""
    if feature in frame:
        return frame[feature].reset_index(drop=True)
    if feature.startswith(EVENTS):
        return pd.Series(np.zeros(len(frame)))
    return pd.Series([None] * len(frame), dtype="object")


def _feature_summary(predictor: Predictor, frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Each feature: what it is, its columns with their weights, and how much it moves the log-odds over the rows
    learned from (the standard deviation of its effect), the most moving first."""
    x = predictor.matrix(frame)
    starts = np.cumsum([0, *(c.width for c in predictor.codes)])
    out = []
    for code, start, end in zip(predictor.codes, starts[:-1], starts[1:], strict=True):
        effect = (x[:, start:end] - predictor.means[start:end]) @ predictor.weights[start:end]
        weights = predictor.weights[start:end]
        out.append(
            {
                "feature": code.feature,
                "kind": str(code.kind),
                "meaning": meaning(code.feature),
                "spread": float(effect.std()),
                "columns": [
                    {"column": label, "weight": float(w), "share": float(x[:, start + i].mean())}
                    for i, (label, w) in enumerate(zip(code.labels(), weights, strict=True))
                ],
            }
        )
    return sorted(out, key=lambda f: -float(f["spread"]))


def _span(at: NDArray[np.int64], y: NDArray[np.int64]) -> dict[str, Any]:
    return {
        "rows": len(y),
        "positives": int(y.sum()),
        "first": _iso(int(at[0])),
        "last": _iso(int(at[-1])),
    }


def _category(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip().lower()
    return text or None


def _shown(value: object, kind: Kind) -> str | float | None:
    """A feature's value as a contribution shows it: the lead's text, or the number."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if kind is Kind.NUMBER:
        number = float(value)  # type: ignore[arg-type]
        return round(number, 2)
    return str(value)


def _sigmoid(z: Vector) -> Vector:
    result: Vector = 1.0 / (1.0 + np.exp(-z))
    return result


def _iso(at: int) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")


def _month_number(at: int) -> int:
    moment = datetime.fromtimestamp(int(at), UTC)
    return moment.year * 12 + moment.month - 1


def _month(at: int) -> str:
    return f"{datetime.fromtimestamp(int(at), UTC):%Y-%m}"
