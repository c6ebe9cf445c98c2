"""The models a profile chooses from, and the choice, by stratified cross-validation on the learning table only.

- Logistic regression: categories one-hot, numbers with their missing values marked and filled with the median,
  then scaled and bent by splines on their quantiles (so "too young" and "too old" can both count against), its
  strength of regularisation from a small grid.
- Histogram gradient boosting: categories and missing values handled natively, a small grid of settings (shallow
  and deeper trees, more or less smoothing), each stopped early on a tenth of its training rows; the number of
  rounds it kept in the folds is the number fitted on every row.
- A blend: the mean of the best of each, weighted, when it ranks buyers better than either alone.

Every candidate is judged on the same folds by the AUC of its out-of-fold predictions; the best is fitted
again on every row. Large tables are tuned with fewer folds (and, beyond ``TUNE_ROWS``, on a stratified sample)
so that learning stays within a minute or two on two cores. Every random choice is seeded: the same table gives
the same profile.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer  # type: ignore[import-untyped]
from sklearn.ensemble import HistGradientBoostingClassifier  # type: ignore[import-untyped]
from sklearn.impute import SimpleImputer  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.model_selection import StratifiedKFold, train_test_split  # type: ignore[import-untyped]
from sklearn.pipeline import Pipeline  # type: ignore[import-untyped]
from sklearn.preprocessing import OneHotEncoder, SplineTransformer, StandardScaler  # type: ignore[import-untyped]

from leadpact.learning.quality import auc

SEED = 0
TUNE_ROWS = 60_000
"""Beyond this many rows, the settings are chosen on a stratified sample of this size."""
MAX_ROUNDS = 2_000

Progress = Callable[[int, int], None]
"""Called with (fits done, fits planned) as the cross-validation goes."""


@dataclass(frozen=True)
class Boosting:
    """One setting of the gradient-boosting grid."""

    learning_rate: float
    max_leaf_nodes: int
    min_samples_leaf: int
    l2_regularization: float

    def words(self) -> str:
        return (
            f"learning rate {self.learning_rate:g}, {self.max_leaf_nodes} leaves at most, "
            f"{self.min_samples_leaf} rows a leaf at least, L2 {self.l2_regularization:g}"
        )


GRID = (
    Boosting(0.1, 31, 20, 0.0),
    Boosting(0.05, 15, 40, 1.0),
    Boosting(0.05, 7, 20, 0.0),
    Boosting(0.04, 31, 80, 3.0),
)
C_GRID = (0.05, 0.5)
ENSEMBLE = 3
"""The best settings of the grid whose mean is tried as one more candidate."""
BLEND_WEIGHTS = (0.2, 0.35, 0.5)
"""The logistic regression's share of a blend."""


def logistic(categorical: np.ndarray, c: float, splines: bool = True) -> Pipeline:
    """Logistic regression over the encoded matrix: one-hot categories, numbers imputed, marked, scaled."""
    numeric = np.flatnonzero(~categorical)
    categories = np.flatnonzero(categorical)
    steps: list[tuple[str, Any]] = [
        ("fill", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True))
    ]
    steps.append(("scale", StandardScaler()))
    parts: list[tuple[str, Any, Any]] = [("numbers", Pipeline(steps), numeric)]
    if splines and numeric.size:
        bent = Pipeline(
            [
                ("fill", SimpleImputer(strategy="median", keep_empty_features=True)),
                ("bend", SplineTransformer(n_knots=5, degree=3, knots="quantile", extrapolation="constant")),
            ]
        )
        parts.append(("shapes", bent, numeric))
    if categories.size:
        onehot = Pipeline(
            [
                ("fill", SimpleImputer(strategy="constant", fill_value=-1.0, keep_empty_features=True)),
                ("onehot", OneHotEncoder(handle_unknown="ignore")),
            ]
        )
        parts.append(("categories", onehot, categories))
    prepare = ColumnTransformer(parts, sparse_threshold=0.0)
    return Pipeline([("prepare", prepare), ("model", LogisticRegression(C=c, max_iter=3000))])


def boosting(categorical: np.ndarray, setting: Boosting, rows: int, rounds: int | None = None) -> Any:
    """Gradient boosting with ``setting``; stopped early on a held-out tenth unless ``rounds`` is given."""
    leaf = max(5, min(setting.min_samples_leaf, rows // 50))
    return HistGradientBoostingClassifier(
        learning_rate=setting.learning_rate,
        max_leaf_nodes=setting.max_leaf_nodes,
        min_samples_leaf=leaf,
        l2_regularization=setting.l2_regularization,
        max_iter=rounds if rounds is not None else MAX_ROUNDS,
        early_stopping=rounds is None,
        validation_fraction=0.1 if rows >= 2_000 else 0.2,
        n_iter_no_change=30,
        categorical_features=categorical if categorical.any() else None,
        random_state=SEED,
    )


@dataclass
class Model:
    """The fitted choice: the mean of one or more boosting models, a logistic regression, or their blend with the
    logistic's share ``weight``."""

    boosting: list[Any]
    logistic: Any | None
    weight: float

    def probability(self, x: np.ndarray) -> np.ndarray:
        p = np.zeros(len(x))
        if self.boosting and self.weight < 1:
            p += (1 - self.weight) * np.mean([b.predict_proba(x)[:, 1] for b in self.boosting], axis=0)
        if self.logistic is not None and self.weight > 0:
            p += self.weight * self.logistic.predict_proba(x)[:, 1]
        return np.asarray(p, dtype=float)


@dataclass(frozen=True)
class Tried:
    """A candidate and the AUC of its out-of-fold predictions."""

    name: str
    words: str
    auc: float


@dataclass
class Choice:
    model: Model
    name: str
    words: str
    oof: np.ndarray
    """The chosen candidate's out-of-fold probabilities, one per learning row (on a sample: NaN elsewhere)."""
    tried: list[Tried]
    folds: int
    tuned_rows: int
    seconds: float


@dataclass
class _Boosted:
    setting: Boosting
    oof: np.ndarray
    rounds: int
    auc: float


def folds_for(rows: int) -> int:
    return 5 if rows <= 20_000 else 3


def fits_planned(rows: int) -> int:
    """Cross-validation fits, then at most ``ENSEMBLE`` boosting models and one logistic regression on every row."""
    return folds_for(min(rows, TUNE_ROWS)) * (len(GRID) + len(C_GRID)) + ENSEMBLE + 1


def choose(x: np.ndarray, y: np.ndarray, categorical: np.ndarray, progress: Progress | None = None) -> Choice:
    """The candidate that ranks buyers best out of fold, fitted again on every row."""
    began = time.perf_counter()
    tune = stratified_rows(y, TUNE_ROWS)
    xt, yt = x[tune], y[tune]
    k = folds_for(len(tune))
    splits = list(StratifiedKFold(n_splits=k, shuffle=True, random_state=SEED).split(xt, yt))
    planned, done = fits_planned(len(y)), 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, planned)

    tried: list[Tried] = []
    boosted: list[_Boosted] = []
    for setting in GRID:
        oof, rounds = np.zeros(len(yt)), []
        for train, test in splits:
            fitted = boosting(categorical, setting, len(train)).fit(xt[train], yt[train])
            oof[test] = fitted.predict_proba(xt[test])[:, 1]
            rounds.append(int(fitted.n_iter_))
            step()
        boosted.append(_Boosted(setting, oof, math.ceil(1.1 * float(np.mean(rounds))), auc(yt, oof)))
        tried.append(Tried("boosting", setting.words(), boosted[-1].auc))
    boosted.sort(key=lambda b: -b.auc)
    top = boosted[:ENSEMBLE]
    ensemble_oof = np.mean([b.oof for b in top], axis=0)
    ensemble_auc = auc(yt, ensemble_oof)
    tried.append(Tried("boosting", f"the mean of the best {len(top)} settings", ensemble_auc))
    chosen_boost = top if ensemble_auc > boosted[0].auc else top[:1]
    boost_oof = ensemble_oof if len(chosen_boost) > 1 else boosted[0].oof
    boost_auc = max(ensemble_auc, boosted[0].auc)
    best_logit: tuple[float, float, np.ndarray] | None = None
    for c in C_GRID:
        oof = np.zeros(len(yt))
        for train, test in splits:
            oof[test] = logistic(categorical, c).fit(xt[train], yt[train]).predict_proba(xt[test])[:, 1]
            step()
        score = auc(yt, oof)
        tried.append(Tried("logistic", f"C {c:g}", score))
        if best_logit is None or score > best_logit[0]:
            best_logit = (score, c, oof)
    assert best_logit is not None
    logit_auc, c, logit_oof = best_logit
    weight, best_auc = (0.0, boost_auc) if boost_auc >= logit_auc else (1.0, logit_auc)
    for w in BLEND_WEIGHTS:
        score = auc(yt, (1 - w) * boost_oof + w * logit_oof)
        tried.append(Tried("blend", f"{1 - w:.0%} boosting, {w:.0%} logistic", score))
        if score > best_auc:
            weight, best_auc = w, score
    fitted_boost = []
    if weight < 1:
        for b in chosen_boost:
            fitted_boost.append(boosting(categorical, b.setting, len(y), b.rounds).fit(x, y))
            step()
    fitted_logit = logistic(categorical, c).fit(x, y) if weight > 0 else None
    if progress is not None:
        progress(planned, planned)
    oof_all = np.full(len(y), np.nan)
    oof_all[tune] = (1 - weight) * boost_oof + weight * logit_oof
    boost_words = (
        f"gradient boosting ({chosen_boost[0].setting.words()}; {chosen_boost[0].rounds} rounds)"
        if len(chosen_boost) == 1
        else f"the mean of {len(chosen_boost)} gradient-boosting models ("
        + "; ".join(f"{b.setting.words()}, {b.rounds} rounds" for b in chosen_boost)
        + ")"
    )
    name = "boosting" if weight == 0 else "logistic" if weight == 1 else "blend"
    words = {
        "boosting": boost_words,
        "logistic": f"logistic regression (C {c:g})",
        "blend": f"{1 - weight:.0%} {boost_words} + {weight:.0%} logistic regression (C {c:g})",
    }[name]
    model = Model(fitted_boost, fitted_logit, weight)
    return Choice(model, name, words, oof_all, tried, k, len(tune), time.perf_counter() - began)


def stratified_rows(y: np.ndarray, most: int) -> np.ndarray:
    """Every row's index when there are at most ``most``, else a sample of ``most`` with the outcome's shares
    (the same sample each time), in order."""
    rows = np.arange(len(y))
    if len(y) <= most:
        return rows
    sample, _ = train_test_split(rows, train_size=most, stratify=y, random_state=SEED)
    return np.sort(sample)
