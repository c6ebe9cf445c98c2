"""The ideal customer profile learned from a messy customer table: it ranks customers it has never seen, says how
well it will from cross-validation alone, leaves identifiers out, names the traits that set buyers apart with
their lift, gives each scored row its reasons, and learns the same profile from the same table every time."""

from __future__ import annotations

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import pytest

from leadpact.learning import profile
from leadpact.learning.profile import Learned
from leadpact.learning.quality import auc
from leadpact.learning.traits import TIMES

INDUSTRIES = ["logistics", "manufacturing", "retail", "software", "education"]


def customers(rows: int, seed: int = 1, leak: bool = False) -> pd.DataFrame:
    """A CRM export: a customer number, an email, a constant, sizes written with separators and N/A, a few rows
    without an outcome; buying depends on industry, a band of sizes and visits."""
    rng = np.random.default_rng(seed)
    industry = rng.choice(INDUSTRIES, rows, p=[0.2, 0.2, 0.25, 0.2, 0.15])
    employees = np.round(np.exp(rng.normal(5, 1.5, rows))).astype(int) + 1
    visits = rng.poisson(3, rows)
    logit = (
        -2.2
        + 1.6 * (industry == "logistics")
        + 0.8 * (industry == "manufacturing")
        - 1.0 * (industry == "education")
        + 0.9 * ((employees >= 200) & (employees <= 5000))
        + 0.25 * visits
    )
    bought = rng.random(rows) < 1 / (1 + np.exp(-logit))
    frame = pd.DataFrame(
        {
            "customer_no": [str(1000 + i) for i in range(rows)],
            "email": [f"buyer{i}@firm{i}.example" for i in range(rows)],
            "industry": industry,
            "employees": [f"{e:,}" if i % 25 else "N/A" for i, e in enumerate(employees)],
            "country": rng.choice(["US", "DE", "FR", "GB"], rows),
            "visits": visits.astype(str),
            "region": "EU",
            "bought": np.where(bought, "yes", "no"),
        }
    )
    if leak:  # the last call's length: known only once the sale is (nearly) made
        minutes = np.where(bought, rng.normal(14, 4, rows), rng.normal(5, 3, rows))
        frame["call_minutes"] = [f"{m:.1f}" for m in minutes]
    frame.loc[frame.index % 97 == 5, "bought"] = ""
    return frame


def buyers(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """1 for a buyer, and which rows have an outcome at all."""
    known = (frame["bought"] != "").to_numpy()
    return (frame["bought"] == "yes").to_numpy().astype(int), known


@pytest.fixture(scope="module")
def learned() -> Learned:
    return profile.learn(customers(1200), "bought")


def test_the_profile_ranks_customers_it_never_saw_about_as_well_as_cross_validation_said(learned: Learned) -> None:
    unseen = customers(800, seed=2)
    y, known = buyers(unseen)
    scored = profile.score(learned.fitted, unseen)
    tested = auc(y[known], scored.probability[known])
    assert tested > 0.72
    assert abs(learned.summary["quality"]["auc"] - tested) < 0.06
    assert learned.summary["model"]["chosen"] in ("boosting", "logistic", "blend")
    assert {t["name"] for t in learned.summary["model"]["tried"]} == {"boosting", "logistic", "blend"}
    assert 0 < learned.summary["quality"]["calibration_error"] < 0.1


def test_identifiers_constants_and_rows_without_an_outcome_are_left_out_and_said(learned: Learned) -> None:
    s = learned.summary
    left_out = {c["name"]: c["why"] for c in s["left_out"]}
    assert left_out == {
        "bought": "the outcome",
        "customer_no": "identifier: a different whole number in every row: an identifier",
        "email": "identifier: a different value in almost every row: an identifier or free text",
        "region": "constant: the same value (EU) in every row",
    }
    assert [(c["name"], c["kind"]) for c in s["columns"]] == [
        ("industry", "category"),
        ("employees", "number"),
        ("country", "category"),
        ("visits", "number"),
    ]
    assert s["outcome"]["missing_rows"] == len(range(5, 1200, 97))
    assert s["rows"] == 1200 - s["outcome"]["missing_rows"]


def test_the_traits_say_who_buys_with_the_lift_the_table_shows(learned: Learned) -> None:
    table = customers(1200)
    table = table[table["bought"] != ""]
    rate = (table["bought"] == "yes").mean()
    logistics = table[table["industry"] == "logistics"]
    lift = (logistics["bought"] == "yes").mean() / rate
    share = (logistics["bought"] == "yes").sum() / (table["bought"] == "yes").sum()
    more = learned.summary["traits"]["more"]
    assert (
        more[0]["sentence"]
        == f"industry = logistics: {lift:.1f}{TIMES} as likely to buy; {share * 100:.0f} % of buyers"
    )
    less = {t["words"] for t in learned.summary["traits"]["less"]}
    assert "industry = education" in less
    assert all(t["rows"] >= 20 for t in [*more, *learned.summary["traits"]["less"]])


def test_each_scored_row_gets_a_rank_and_its_reasons_in_words(learned: Learned) -> None:
    unseen = customers(300, seed=3)
    scored = profile.score(learned.fitted, unseen)
    assert sorted(scored.rank.tolist()) == list(range(1, 301))
    best = int(np.argmin(scored.rank))
    assert scored.probability[best] == scored.probability.max()
    assert len(scored.reasons[best]) == 3
    assert any(r.startswith("industry = logistics (+") for r in scored.reasons[best])
    assert scored.missing == []
    assert scored.ignored == ["customer_no", "email", "region", "bought"]


def test_a_list_without_a_column_is_scored_with_it_missing_and_its_outcome_ignored(learned: Learned) -> None:
    unseen = customers(200, seed=4)
    with_outcome = profile.score(learned.fitted, unseen, with_reasons=False)
    without = profile.score(learned.fitted, unseen.drop(columns=["bought"]), with_reasons=False)
    assert np.array_equal(with_outcome.probability, without.probability)
    short = profile.score(learned.fitted, unseen.drop(columns=["visits"]), with_reasons=False)
    assert short.missing == ["visits"]
    assert not np.array_equal(short.probability, with_outcome.probability)


def test_the_same_table_gives_the_same_profile(learned: Learned) -> None:
    again = profile.learn(customers(1200), "bought")  # the module's profile, learned a second time
    unseen = customers(100, seed=6)
    assert again.summary["quality"] == learned.summary["quality"]
    assert again.summary["model"]["words"] == learned.summary["model"]["words"]
    p1 = profile.score(learned.fitted, unseen, with_reasons=False).probability
    p2 = profile.score(again.fitted, unseen, with_reasons=False).probability
    assert np.array_equal(p1, p2)
