"""Fit points refitted to the grades people gave: which points would have graded the graded leads as they did.

The agreement grades by fit alone: a lead gets grade g or better when the points of the fit rules that hold on it
reach g's bound. The refit keeps the rules and the bounds and asks which points make the grades given most
likely, as a cumulative (ordinal) logistic model:

    P(grade g or better) = logistic(s * (sum of points_j * holds_j - bound_g))

where ``s`` is how sharply the grades follow the fit. Each grade given is read as one yes-or-no answer per bound
(A or better? B or better? C or better?) and the answers are fitted by scikit-learn's logistic regression, written
as the points in force plus a correction per rule:

    s * (fit in force - bound_g) + sum of correction_j * holds_j,    points_j = in force_j + correction_j / s

The L2 penalty pulls the corrections toward nothing, so a rule keeps its points until the grades give reason to
move them, and a rule that holds on none of the graded leads keeps them exactly. How strong the pull is, is
chosen by cross-validation over the leads (all the grades of a lead stay in one fold), as the held-out log-loss
finds best. The points are rounded to whole numbers, as people write them.

The quality is measured the same honest way: the leads are split into folds, the points refitted without each
fold (choosing the pull again) and the fold's leads graded by them, and the grades so predicted are compared with
the grades given (quadratic-weighted kappa), next to the agreement in force's grades of the same leads.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from leadpact.learning.kappa import weighted_kappa

if TYPE_CHECKING:
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

# scikit-learn is imported where a refit runs, not with this module: every command of the command line loads the
# services, and most never refit anything.

MIN_LEADS = 20
"""Graded leads below which no points are refitted: with fewer, the grades cannot tell a rule's weight from noise."""
PULLS = (0.01, 0.1, 1.0, 10.0, 100.0)
"""The strengths of the pull toward the points in force tried (scikit-learn's C: the smaller, the stronger)."""
FOLDS = 5

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class RulePoints:
    """A fit rule's points in force, the points the grades suggest (None when none were refitted), and on how
    many graded leads it holds."""

    rule: str
    points: float
    suggested: float | None
    holds_on: int


@dataclass(frozen=True)
class Refit:
    """The points refitted to ``grades`` grades of ``leads`` leads, or ``reason`` why none are suggested (when the
    refit keeps every rule's points, they are its ``suggested`` points too).

    ``kappa_in_force`` compares the agreement in force's grades of the graded leads with the grades given;
    ``kappa_refitted`` the cross-validated grades of the refitted points with them (None without a refit).
    """

    leads: int
    grades: int
    rules: tuple[RulePoints, ...]
    reason: str | None
    kappa_in_force: float | None
    kappa_refitted: float | None
    pull: float | None


def grade_of(fit: Floats, bounds: Sequence[float] | Floats) -> NDArray[np.int_]:
    """The index (0: the best grade) of the grade each fit earns: the first whose bound it reaches."""
    reached = fit[:, None] >= np.asarray(bounds, dtype=float)[None, :]
    return np.where(reached.any(axis=1), reached.argmax(axis=1), len(bounds))


def refit(
    scale: Sequence[str],
    bounds: Sequence[float],
    rules: Sequence[str],
    points: Sequence[float],
    holds: Sequence[Sequence[bool]],
    grades: Sequence[str],
    leads: Sequence[int],
) -> Refit:
    """Refit the points of ``rules`` to the grades given.

    ``scale`` is the grades, best first, and ``bounds`` the fit each grade but the last needs; each grade given is
    one row: the rules that hold on its lead (``holds``, a flag per rule), the grade (a name of ``scale``) and the
    lead it is of (``leads``: a lead both sides graded has two rows).
    """
    x = np.asarray(holds, dtype=float).reshape(len(grades), len(rules))
    given = np.asarray([scale.index(g) for g in grades], dtype=int)
    group = np.asarray(leads)
    current = np.asarray(points, dtype=float)
    in_force = grade_of(x @ current, bounds)
    kappa_in_force = weighted_kappa([scale[i] for i in in_force], list(grades), scale)
    holds_on = [int(np.unique(group[x[:, j] > 0]).size) for j in range(len(rules))]
    distinct = int(np.unique(group).size)

    def result(suggested: Floats | None, reason: str | None, kappa: float | None, pull: float | None) -> Refit:
        return Refit(
            leads=distinct,
            grades=len(grades),
            rules=tuple(
                RulePoints(rule, float(current[j]), None if suggested is None else float(suggested[j]), holds_on[j])
                for j, rule in enumerate(rules)
            ),
            reason=reason,
            kappa_in_force=kappa_in_force,
            kappa_refitted=kappa,
            pull=pull,
        )

    if not rules:
        return result(None, "the agreement has no fit rules to refit", None, None)
    if distinct < MIN_LEADS:
        return result(
            None, f"{distinct} lead(s) graded; refitting the points needs grades of at least {MIN_LEADS}", None, None
        )
    if np.unique(given).size < 2:
        return result(
            None,
            f"every grade given is {scale[int(given[0])]}: the points can only be read from grades that differ",
            None,
            None,
        )
    bound = np.asarray(bounds, dtype=float)
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    # hundreds of fits of a few columns each: threads for their arithmetic cost more than they give
    with threadpool_limits(limits=1):
        pull = _choose_pull(x, current, bound, given, group)
        fitted = _points(x, current, bound, given, pull)
        if fitted is None:
            return result(
                None, "the grades given do not rise with the fit: no points can be read from them", None, None
            )
        if np.array_equal(fitted, current):
            return result(fitted, "the grades give no reason to move any rule's points from those in force", None, pull)
        return result(fitted, None, _cross_validated(x, current, bound, given, group, scale), pull)


def _stack(x: Floats, current: Floats, bounds: Floats, given: NDArray[np.int_]) -> tuple[Floats, NDArray[np.int_]]:
    """Each grade as one yes-or-no answer per bound: the rules' flags and the fit in force minus the bound."""
    fit = x @ current
    features = np.vstack([np.column_stack([x, fit - b]) for b in bounds])
    answers = np.concatenate([(given <= g).astype(int) for g in range(len(bounds))])
    return features, answers


def _model(
    x: Floats, current: Floats, bounds: Floats, given: NDArray[np.int_], pull: float
) -> LogisticRegression | None:
    from sklearn.linear_model import LogisticRegression

    features, answers = _stack(x, current, bounds, given)
    if np.unique(answers).size < 2:
        return None
    model = LogisticRegression(C=pull, l1_ratio=0.0, fit_intercept=False, max_iter=2000)
    return model.fit(features, answers)


def _points(x: Floats, current: Floats, bounds: Floats, given: NDArray[np.int_], pull: float) -> Floats | None:
    """The whole points of the rules, or None when the answers do not rise with the fit."""
    model = _model(x, current, bounds, given, pull)
    if model is None:
        return None
    coefficients = model.coef_[0]
    sharpness = float(coefficients[-1])
    if sharpness <= 1e-9:
        return None
    points: Floats = np.round(current + coefficients[:-1] / sharpness)
    return points


def _folds(given: NDArray[np.int_], group: NDArray[np.int_]) -> list[tuple[NDArray[np.int_], NDArray[np.int_]]]:
    """Folds of whole leads, each with a share of every grade as far as the leads allow."""
    from sklearn.model_selection import StratifiedGroupKFold  # type: ignore[import-untyped]

    splits = min(FOLDS, int(np.unique(group).size))
    with warnings.catch_warnings():  # a grade given to fewer leads than there are folds is in fewer folds: fine
        warnings.filterwarnings("ignore", "The least populated class", UserWarning)
        folds = StratifiedGroupKFold(n_splits=splits).split(np.zeros(len(given)), given, group)
        return [(train, test) for train, test in folds]


def _choose_pull(x: Floats, current: Floats, bounds: Floats, given: NDArray[np.int_], group: NDArray[np.int_]) -> float:
    """The pull whose fits predict the held-out leads' answers best (the strongest pull among equals)."""
    losses: list[float] = []
    folds = _folds(given, group)
    for pull in PULLS:
        total, count = 0.0, 0
        for train, test in folds:
            model = _model(x[train], current, bounds, given[train], pull)
            if model is None:
                continue
            features, answers = _stack(x[test], current, bounds, given[test])
            yes = np.clip(model.predict_proba(features)[:, 1], 1e-15, 1 - 1e-15)
            total -= float(np.sum(answers * np.log(yes) + (1 - answers) * np.log(1 - yes)))
            count += len(answers)
        losses.append(total / count if count else np.inf)
    return PULLS[int(np.argmin(losses))]


def _cross_validated(
    x: Floats,
    current: Floats,
    bounds: Floats,
    given: NDArray[np.int_],
    group: NDArray[np.int_],
    scale: Sequence[str],
) -> float | None:
    """Kappa between the grades given and the grades of points refitted without each fold's leads."""
    predicted: list[str] = []
    actual: list[str] = []
    for train, test in _folds(given, group):
        pull = _choose_pull(x[train], current, bounds, given[train], group[train])
        fitted = _points(x[train], current, bounds, given[train], pull)
        if fitted is None:
            continue
        predicted += [scale[i] for i in grade_of(x[test] @ fitted, bounds)]
        actual += [scale[i] for i in given[test]]
    return weighted_kappa(predicted, actual, scale)
