"""The customer tables ``bench/ideal_profile.py`` learns from and scores, each split into a learning and a test part.

- ``bank``: the UCI bank-marketing table (45,211 phone contacts; who subscribed a term deposit), read from the
  shared data directory, split by its own ``hgbm_split`` column; ``duration`` (the last call's length, known
  only after the call) is excluded and ``row`` is its identifier.
- ``breast-cancer``: scikit-learn's bundled breast-cancer table (569 rows of 30 measurements), not a customer
  table, but real, small and with strong predictors: a check that the choice of model and the leak rule hold
  outside marketing data. Split 70/30, stratified.
- ``synthetic``: a B2B customer table as a CRM exports it, generated: identifiers (a text code, a running number,
  the email), numbers written as text with thousands separators and currency signs, ``N/A`` and empty cells, a
  date, a high-cardinality code with no signal, a constant and an empty column, an outcome written won/lost with
  some rows missing it, and a leak (``days_to_close``, filled in for the deals that closed). Buying depends on
  industry, size (a band, not a line), title, engagement, recency and an interaction of industry and size.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from sklearn.datasets import load_breast_cancer  # type: ignore[import-untyped]
from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT.parent / "shared" / "data" / "bank-marketing" / "bank-full.csv.gz"


@dataclass(frozen=True)
class Table:
    """A learning part and a test part, and how ``profile learn`` is told about them."""

    name: str
    train: pd.DataFrame
    test: pd.DataFrame
    outcome: str
    buyers: str
    """The outcome's value that means bought (what the test part is judged by)."""
    positive: str | None = None
    """What ``--positive`` is given; None to let the profile infer it."""
    exclude: tuple[str, ...] = ()
    id_column: str | None = None
    leaks: tuple[str, ...] = field(default=())
    """Columns the profile should warn about when they are not excluded."""

    def y(self, part: pd.DataFrame) -> np.ndarray:
        """1 for a buyer of ``part``."""
        return np.asarray(part[self.outcome].astype(str).str.strip() == self.buyers, dtype=int)


def bank(path: Path = BANK) -> Table:
    with gzip.open(path, "rt") as handle:
        frame = pd.read_csv(handle, dtype=str, keep_default_na=False)
    parts = {name: part.drop(columns="hgbm_split") for name, part in frame.groupby("hgbm_split")}
    return Table("bank", parts["train"], parts["test"], "deposit", "yes", None, ("duration",), "row", ("duration",))


def breast_cancer() -> Table:
    data = load_breast_cancer(as_frame=True).frame
    data["diagnosis"] = np.where(data.pop("target") == 0, "malignant", "benign")
    train, test = train_test_split(data, test_size=0.3, stratify=data["diagnosis"], random_state=0)
    return Table("breast-cancer", train, test, "diagnosis", "malignant", "malignant")


INDUSTRIES = {
    "manufacturing": 0.9,
    "logistics": 1.0,
    "retail": 0.0,
    "healthcare": 0.3,
    "software": -0.2,
    "finance": -0.4,
    "education": -1.0,
    "public sector": -0.6,
}
TITLES = {
    "VP Operations": 1.0,
    "Director of Logistics": 0.9,
    "Head of Supply Chain": 0.8,
    "CEO": 0.5,
    "Operations Manager": 0.4,
    "Plant Manager": 0.5,
    "Engineer": -0.1,
    "Analyst": -0.3,
    "Consultant": -0.5,
    "Student": -1.5,
}
CHANNELS = {"webinar": 0.5, "trade show": 0.6, "paid search": 0.0, "referral": 0.9, "cold list": -0.7}
COUNTRIES = ["US", "DE", "GB", "FR", "NL", "CA", "ES", "IT", "SE", "PL", "BR", "MX", "IN", "JP", "AU"]


def synthetic(rows: int = 20_000, seed: int = 11) -> Table:
    """A messy B2B customer table, learning and test parts drawn from the same world."""
    rng = np.random.default_rng(seed)
    n = rows + rows // 3
    industry = rng.choice(list(INDUSTRIES), n, p=[0.18, 0.12, 0.15, 0.12, 0.15, 0.1, 0.1, 0.08])
    employees = np.round(np.exp(rng.normal(5.3, 1.6, n))).astype(int) + 1
    title = rng.choice(list(TITLES), n, p=[0.05, 0.06, 0.05, 0.03, 0.16, 0.08, 0.22, 0.17, 0.12, 0.06])
    channel = rng.choice(list(CHANNELS), n, p=[0.25, 0.15, 0.3, 0.08, 0.22])
    country = rng.choice(COUNTRIES, n, p=_zipf(len(COUNTRIES)))
    visits = rng.poisson(np.exp(rng.normal(1.0, 0.8, n)))
    age_days = rng.integers(0, 730, n)
    region = rng.integers(0, 400, n)
    sized = (employees >= 200) & (employees <= 5000)
    logit = (
        -3.3
        + np.array([INDUSTRIES[i] for i in industry])
        + 0.9 * sized
        - 0.7 * (employees < 20)
        + np.array([TITLES[t] for t in title])
        + np.array([CHANNELS[c] for c in channel])
        + 0.35 * np.log1p(visits)
        - 0.5 * age_days / 730
        + 0.3 * np.isin(country, ["US", "DE", "GB"])
        + 0.8 * (sized & np.isin(industry, ["manufacturing", "logistics"]))
        + rng.normal(0, 0.5, n)
    )
    bought = rng.random(n) < 1 / (1 + np.exp(-logit))
    revenue = employees * rng.lognormal(11.5, 0.4, n)
    signed = pd.Timestamp("2026-06-30") - pd.to_timedelta(age_days, unit="D")
    frame = pd.DataFrame(
        {
            "customer_id": [f"CUST-{i:06d}" for i in rng.permutation(n)],
            "account_no": 500_000 + rng.permutation(n),
            "email": [f"contact{i}@company{i % 9973}.example" for i in range(n)],
            "industry": industry,
            "employees": _blanked([f"{e:,}" for e in employees], rng, 0.08, ("", "N/A")),
            "annual_revenue": _blanked([f"${r:,.0f}" for r in revenue], rng, 0.05, ("", "n/a")),
            "country": country,
            "title": title,
            "first_touch": channel,
            "web_visits": visits,
            "signed_up": signed.strftime("%Y-%m-%d"),
            "region_code": [f"R{r:03d}" for r in region],
            "source_system": "crm",
            "notes": "",
            "days_to_close": np.where(
                bought, rng.integers(10, 120, n).astype(str), np.where(rng.random(n) < 0.1, "0", "")
            ),
            "status": _blanked(np.where(bought, "Won", "Lost").tolist(), rng, 0.02, ("",)),
        }
    )
    train, test = frame.iloc[:rows], frame.iloc[rows:]
    test = test[test["status"] != ""]
    return Table("synthetic", train, test, "status", "Won", None, ("days_to_close",), "customer_id", ("days_to_close",))


def _zipf(k: int) -> np.ndarray:
    weights = 1 / np.arange(1, k + 1)
    return np.asarray(weights / weights.sum(), dtype=float)


def _blanked(values: list[str], rng: np.random.Generator, share: float, blanks: tuple[str, ...]) -> list[str]:
    out = list(values)
    for i in np.flatnonzero(rng.random(len(out)) < share):
        out[i] = blanks[i % len(blanks)]
    return out


TABLES = {"bank": bank, "breast-cancer": breast_cancer, "synthetic": synthetic}
