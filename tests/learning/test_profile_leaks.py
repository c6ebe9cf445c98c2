"""The leak warning: a column that predicts too well to be known before the outcome is reported; an ordinary strong
predictor, and the strong but redundant measurements of a real table, are not."""

from __future__ import annotations

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from sklearn.datasets import load_breast_cancer  # type: ignore[import-untyped]

from leadpact.learning import leaks
from leadpact.learning.leaks import Leak
from leadpact.learning.outcome import outcome_of
from leadpact.learning.tabular import Encoder
from tests.learning.test_profile import customers


def suspects(frame: pd.DataFrame, outcome: str, positive: str | None = None) -> tuple[list[Leak], dict[str, float]]:
    y, kept, _ = outcome_of(frame, outcome, positive)
    frame = frame.loc[kept].reset_index(drop=True)
    encoder = Encoder.learned(frame, [c for c in frame.columns if c != outcome])
    x = encoder.matrix(frame)
    alone = leaks.alone_aucs(encoder, x, y)
    return leaks.leaks(encoder, x, y, alone), {c.name: a for c, a in zip(encoder.used, alone, strict=True)}


def test_the_last_calls_length_is_reported_as_a_leak_with_what_it_costs_to_leave_it_out() -> None:
    found, alone = suspects(customers(1500, leak=True), "bought")
    assert [leak.column for leak in found] == ["call_minutes"]
    leak = found[0]
    assert leak.alone == alone["call_minutes"] >= leaks.ALONE_AUC
    assert leak.with_it is not None
    assert leak.without is not None
    assert leak.with_it >= leaks.WITH_AUC
    assert leak.with_it - leak.without >= leaks.LOSS
    assert leak.sentence.startswith(
        f"call_minutes predicts too well to be known before the outcome: alone it ranks buyers with an AUC of "
        f"{leak.alone:.2f}, and without it the model's AUC falls from {leak.with_it:.2f} to {leak.without:.2f}."
    )
    assert leak.sentence.endswith("learn again with --exclude 'call_minutes'.")


def test_an_ordinary_strong_predictor_is_not_a_leak() -> None:
    rng = np.random.default_rng(7)
    rows = 3000
    usage = rng.normal(0, 1, rows)  # how much of the product a trial used: strong, and known before buying
    seats = rng.integers(1, 50, rows)
    bought = rng.random(rows) < 1 / (1 + np.exp(-(1.8 * usage + 0.02 * seats - 1.5)))
    frame = pd.DataFrame(
        {"usage": [f"{u:.3f}" for u in usage], "seats": seats.astype(str), "bought": np.where(bought, "yes", "no")}
    )
    found, alone = suspects(frame, "bought")
    assert alone["usage"] >= leaks.ALONE_AUC  # strong enough to be put to the test, which it passes
    assert found == []


def test_a_real_tables_strong_but_redundant_measurements_are_not_leaks() -> None:
    data = load_breast_cancer(as_frame=True).frame.astype(str)
    found, alone = suspects(data, "target", "0")
    assert max(alone.values()) > 0.9
    assert found == []


def test_a_column_that_restates_the_outcome_is_reported_without_the_other_tests() -> None:
    frame = customers(600)
    frame = frame[frame["bought"] != ""].reset_index(drop=True)
    frame["stage"] = np.where(frame["bought"] == "yes", "closed won", np.where(frame.index % 2, "closed lost", "open"))
    found, _ = suspects(frame, "bought")
    assert [(leak.column, leak.with_it) for leak in found] == [("stage", None)]
    assert "alone it ranks buyers with an AUC of 1.00." in found[0].sentence
