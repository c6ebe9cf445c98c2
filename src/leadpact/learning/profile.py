"""The ideal customer profile: who buys, learned from a customer table, and any list scored against it.

``learn`` reads the outcome column (which rows bought), types every other column (leaving out identifiers,
constant columns and those the user excludes), chooses a model by stratified cross-validation on the table
alone (``candidates``), and measures it on its out-of-fold predictions (``quality``): how it will rank a list it
has never seen, as far as the table can tell. It finds the traits that set buyers apart (``traits``), the
columns that predict too well to be known before the outcome (``leaks``), and the fit rules the traits on lead
fields would make (``fitrules``). What is kept is ``Fitted`` (pickled) and a summary (JSON).

``score`` gives each row of a list its probability of buying, its rank and its reasons (``reasons``); a column
the profile learned from that the list lacks counts as missing in every row, and is reported.

Models are fitted and applied on one thread. Gradient boosting's threads meet at the end of every round; when
the machine is busy with other work, each meeting waits for a thread the system has set aside, which made
learning ten to twenty times slower in measurements, while on tables of this size a second thread gains little
when the machine is idle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import sklearn  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from leadpact.domain.errors import InvalidInput
from leadpact.learning import candidates, fitrules, leaks, reasons, traits
from leadpact.learning.candidates import Model
from leadpact.learning.outcome import outcome_of
from leadpact.learning.quality import quality, ranked
from leadpact.learning.tabular import Encoder, header_for

FORMAT = 1
"""The layout of a profile's summary; a summary of another layout is read by no code here."""

Progress = Callable[[str, int, int], None]
"""Called with (what is being done, steps done, steps planned)."""


@dataclass
class Fitted:
    """What a profile keeps to score a list: how to read its columns and the model."""

    encoder: Encoder
    model: Model
    outcome: str
    id_column: str | None
    mail: bool = False
    """The ``email`` column holds free mail or company mail (learned from the store): a list's addresses are read
    that way."""


@dataclass(frozen=True)
class Learned:
    fitted: Fitted
    summary: dict[str, Any]


def learn(
    frame: pd.DataFrame,
    outcome: str,
    positive: str | None = None,
    exclude: Sequence[str] = (),
    id_column: str | None = None,
    progress: Progress | None = None,
    mail: bool = False,
) -> Learned:
    """The profile of the buyers in ``frame``, with the quality, traits and warnings its summary reports."""
    with threadpool_limits(limits=1):  # one thread: see the module's docstring
        return _learn(frame, outcome, positive, exclude, id_column, progress, mail)


def _learn(
    frame: pd.DataFrame,
    outcome: str,
    positive: str | None,
    exclude: Sequence[str],
    id_column: str | None,
    progress: Progress | None,
    mail: bool,
) -> Learned:
    for name, field in [*((e, "exclude") for e in exclude), *(((id_column, "id"),) if id_column else ())]:
        if name not in frame.columns:
            raise InvalidInput(f"the table has no column {name!r}; its columns are: {', '.join(frame.columns)}", field)
    y, kept, found = outcome_of(frame, outcome, positive)
    frame = frame.loc[kept].reset_index(drop=True)
    left_out = {outcome: "the outcome"}
    if id_column:
        left_out[id_column] = "named with --id"
    left_out.update((e, "named with --exclude") for e in exclude if e not in left_out)
    encoder = Encoder.learned(frame, [c for c in frame.columns if c not in left_out])
    if not encoder.used:
        dropped = "; ".join(f"{c.name}: {c.note}" for c in encoder.dropped) or "no other column"
        raise InvalidInput(f"no column is left to learn from ({dropped})", "outcome")
    x = encoder.matrix(frame)

    def told(what: str) -> candidates.Progress:
        return lambda done, planned: progress(what, done, planned) if progress is not None else None

    alone = leaks.alone_aucs(encoder, x, y)
    choice = candidates.choose(x, y, encoder.categorical, told("choosing a model by cross-validation"))
    told("checking for leaks")(0, 1)
    suspects = leaks.leaks(encoder, x, y, alone)
    told("finding traits")(0, 1)
    more, less = traits.traits(encoder, x, y)
    rules = fitrules.rules(more, less)
    spread = fitrules.distribution(rules, [*more, *less], encoder, x, y)
    validated = ~np.isnan(choice.oof)
    measured = quality(y[validated], choice.oof[validated])
    summary = {
        "format": FORMAT,
        "scikit_learn": sklearn.__version__,
        "outcome": {
            "column": found.column,
            "positive": found.positive,
            "others": list(found.negatives),
            "decided": found.decided,
            "missing_rows": found.missing_rows,
        },
        "rows": len(y),
        "buyers": int(y.sum()),
        "base_rate": float(y.mean()),
        "id": id_column,
        "columns": [
            {"name": c.name, "kind": c.kind.value, "levels": len(c.levels), "alone_auc": round(float(a), 4)}
            for c, a in zip(encoder.used, alone, strict=True)
        ],
        "left_out": [{"name": n, "why": why} for n, why in left_out.items()]
        + [{"name": c.name, "why": f"{c.kind.value}: {c.note}"} for c in encoder.dropped],
        "model": {
            "chosen": choice.name,
            "words": choice.words,
            "folds": choice.folds,
            "tuned_rows": choice.tuned_rows,
            "seconds": round(choice.seconds, 1),
            "tried": [{"name": t.name, "words": t.words, "auc": round(t.auc, 4)} for t in choice.tried],
        },
        "quality": measured.as_dict(),
        "traits": {
            "more": [t.as_dict() | {"sentence": t.sentence} for t in more],
            "less": [t.as_dict() | {"sentence": t.sentence} for t in less],
        },
        "leaks": [leak.as_dict() | {"sentence": leak.sentence} for leak in suspects],
        "fit": {"rules": [r.as_dict() for r in rules], "spread": [list(s) for s in spread]},
    }
    return Learned(Fitted(encoder, choice.model, outcome, id_column, mail), summary)


@dataclass(frozen=True)
class Scored:
    """A list scored: per row its probability, its rank (1 = most likely) and its reasons."""

    probability: np.ndarray
    rank: np.ndarray
    reasons: list[list[str]]
    missing: list[str]
    """Columns the profile learned from that the list does not have: missing in every row."""
    ignored: list[str]
    """The list's columns the profile does not use (its outcome column among them)."""

    @property
    def rows(self) -> int:
        return len(self.probability)

    @property
    def expected_buyers(self) -> float:
        return float(self.probability.sum())

    @property
    def per_thousand(self) -> float:
        return 1000 * float(self.probability.mean()) if self.rows else 0.0


def score(fitted: Fitted, frame: pd.DataFrame, with_reasons: bool = True) -> Scored:
    """Every row of ``frame`` scored; nothing of it is kept."""
    with threadpool_limits(limits=1):  # one thread: see the module's docstring
        return _score(fitted, frame, with_reasons)


def _score(fitted: Fitted, frame: pd.DataFrame, with_reasons: bool) -> Scored:
    encoder = fitted.encoder
    header = header_for("email", frame.columns) if fitted.mail else None
    if header is not None:
        frame = frame.copy()
        frame[header] = [fitrules.mail_kind(v) if "@" in str(v) else v for v in frame[header]]
    x = encoder.matrix(frame)
    p = fitted.model.probability(x) if len(frame) else np.zeros(0)
    rank = np.empty(len(p), dtype=int)
    rank[ranked(p)] = np.arange(1, len(p) + 1)
    words: list[list[str]] = [[] for _ in range(len(p))]
    if with_reasons and len(p):
        points, logits = reasons.effects(fitted.model, encoder, x, p)
        words = reasons.reasons(encoder, x, points, logits)
    used = {header_for(c.name, frame.columns) for c in encoder.used}
    ignored = [str(c) for c in frame.columns if c not in used]
    return Scored(p, rank, words, encoder.missing_from(frame), ignored)
