"""Benchmark: the ideal customer profile against a plain logistic regression, on real and generated customer tables.

For each table (``profile_tables``), the learning part and the test part are written as CSV files to a temporary
directory; ``leadpact profile learn`` runs on the learning part and ``leadpact profile score --csv`` on the test
part, each as its own process into a SQLite file, exactly as a user runs them, and the test part's outcome is
compared with the printed ``probability``. The baseline, fitted in the same run on the same learning part with
the same columns left out: a plain logistic regression over pandas' own column types, categories one-hot,
numbers scaled with their missing values marked and filled with the median. Printed per table: sizes, AUC,
lift in the top decile, hits in the top k (the buyers among the 100 and among the tenth of the rows ranked
highest), Brier score, time to learn, and the ratios leadpact / baseline. A table with a leak is also learned
with the leak kept, to show that the profile warns about it.

    .venv/bin/python bench/ideal_profile.py [--tables bank,breast-cancer,synthetic] [--write-docs]
"""

from __future__ import annotations

import argparse
import io
import json
import math
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from sklearn.compose import ColumnTransformer  # type: ignore[import-untyped]
from sklearn.impute import SimpleImputer  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.pipeline import Pipeline  # type: ignore[import-untyped]
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # type: ignore[import-untyped]

from leadpact.learning.quality import auc, hits_at, lift_at
from performance_doc import DOCS, replace_section
from profile_tables import TABLES, Table

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Ideal customer profile"
TOP_K = 100


@dataclass(frozen=True)
class Figures:
    auc: float
    lift: float
    hits_k: int
    hits_decile: int
    brier: float
    seconds: float


def figures(y: np.ndarray, p: np.ndarray, seconds: float) -> Figures:
    return Figures(
        auc(y, p),
        lift_at(y, p, 0.1),
        hits_at(y, p, TOP_K),
        hits_at(y, p, math.ceil(len(y) / 10)),
        float(np.mean((p - y) ** 2)),
        seconds,
    )


def leadpact(*args: str) -> tuple[str, float]:
    """Run the command line as a user does; its standard output and the seconds it took."""
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", "from leadpact.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise SystemExit(f"leadpact {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout, time.perf_counter() - began


def learn_args(table: Table, train: Path, exclude: tuple[str, ...]) -> list[str]:
    args = ["profile", "learn", str(train), "--outcome", table.outcome, "--json"]
    if table.positive:
        args += ["--positive", table.positive]
    if table.id_column:
        args += ["--id", table.id_column]
    for column in exclude:
        args += ["--exclude", column]
    return args


def run_leadpact(table: Table, work: Path) -> tuple[Figures, dict[str, object], list[str]]:
    train, test = work / f"{table.name}-train.csv", work / f"{table.name}-test.csv"
    table.train.to_csv(train, index=False)
    table.test.to_csv(test, index=False)
    db = ["--db", f"sqlite:///{work / (table.name + '.db')}"]
    leadpact(*db, "init")
    warned: list[str] = []
    if table.leaks:
        kept = tuple(c for c in table.exclude if c not in table.leaks)
        printed, _ = leadpact(*db, *learn_args(table, train, kept), "--name", "with-leak")
        warned = [str(leak["column"]) for leak in json.loads(printed)["leaks"]]
    printed, seconds = leadpact(*db, *learn_args(table, train, table.exclude))
    summary = json.loads(printed)
    scored, _ = leadpact(*db, "profile", "score", str(test), "--csv")
    p = pd.read_csv(io.StringIO(scored))["probability"].to_numpy(dtype=float)
    return figures(table.y(table.test), p, seconds), summary, warned


def run_baseline(table: Table) -> Figures:
    """A plain logistic regression, as a first script would fit one."""
    left_out = [table.outcome, *table.exclude, *([table.id_column] if table.id_column else [])]
    train = pd.read_csv(io.StringIO(table.train.to_csv(index=False))).drop(columns=left_out)
    test = pd.read_csv(io.StringIO(table.test.to_csv(index=False))).drop(columns=left_out)
    numbers = [c for c in train.columns if pd.api.types.is_numeric_dtype(train[c])]
    categories = [c for c in train.columns if c not in numbers]
    prepare = ColumnTransformer(
        [
            ("numbers", Pipeline([("fill", SimpleImputer(add_indicator=True)), ("scale", StandardScaler())]), numbers),
            (
                "categories",
                Pipeline(
                    [
                        ("fill", SimpleImputer(strategy="constant", fill_value="missing")),
                        ("onehot", OneHotEncoder(handle_unknown="ignore")),
                    ]
                ),
                categories,
            ),
        ]
    )
    model = Pipeline([("prepare", prepare), ("model", LogisticRegression(max_iter=3000))])
    train[categories] = train[categories].astype(object)
    test[categories] = test[categories].astype(object)
    began = time.perf_counter()
    model.fit(train, table.y(table.train))
    seconds = time.perf_counter() - began
    return figures(table.y(table.test), model.predict_proba(test)[:, 1], seconds)


def report(table: Table, ours: Figures, base: Figures, summary: dict[str, object], warned: list[str]) -> list[str]:
    model = summary["model"]
    assert isinstance(model, dict)
    quality = summary["quality"]
    assert isinstance(quality, dict)
    test_buyers = int(table.y(table.test).sum())
    lines = [
        f"### {table.name}",
        "",
        f"{len(table.train):,} learning rows ({summary['buyers']:,} buyers), {len(table.test):,} test rows "
        f"({test_buyers:,} buyers); leadpact chose {model['words']}, out-of-fold AUC {quality['auc']:.3f}.",
        "",
        f"| | AUC | top-decile lift | hits in top {TOP_K} | hits in top 10 % | Brier | time to learn |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, f in (("leadpact `profile learn` / `score`", ours), ("baseline: plain logistic regression", base)):
        lines.append(
            f"| {label} | {f.auc:.4f} | {f.lift:.2f} | {f.hits_k} | {f.hits_decile} | {f.brier:.4f} | "
            f"{f.seconds:.1f} s |"
        )
    lines.append(
        f"| **ratio leadpact / baseline** | **{ours.auc / base.auc:.3f}** | {ours.lift / base.lift:.2f} | "
        f"{ours.hits_k / max(base.hits_k, 1):.2f} | {ours.hits_decile / max(base.hits_decile, 1):.2f} | "
        f"{ours.brier / base.brier:.2f} | {ours.seconds / base.seconds:.0f} |"
    )
    if table.leaks:
        lines += [
            "",
            f"Learned with {', '.join(table.leaks)} kept, the profile warned about: {', '.join(warned) or 'nothing'}.",
        ]
    return [*lines, ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tables", default=",".join(TABLES), help=f"comma-separated, of: {', '.join(TABLES)}")
    parser.add_argument("--write-docs", action="store_true", help=f"put the figures in {DOCS.relative_to(ROOT)}")
    args = parser.parse_args()
    names = [n.strip() for n in args.tables.split(",") if n.strip()]
    unknown = [n for n in names if n not in TABLES]
    if unknown:
        raise SystemExit(f"unknown tables: {', '.join(unknown)}; known: {', '.join(TABLES)}")
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="leadpact-profile-bench-") as tmp:
        for name in names:
            table = TABLES[name]()
            ours, summary, warned = run_leadpact(table, Path(tmp))
            base = run_baseline(table)
            part = report(table, ours, base, summary, warned)
            print("\n".join(part))
            lines += part
    if args.write_docs:
        replace_section(SECTION, doc_section(lines))
        print(f"wrote the figures to {DOCS.relative_to(ROOT)}")


INTRO = """`bench/ideal_profile.py`, measured {day} on the 2-core machine. Each table's learning part and test part
are written as CSV files; `leadpact profile learn` and `leadpact profile score --csv` run on them as separate
processes, exactly as a user runs them; the AUC and the rest are computed from the printed `probability`
against the test part's outcome. The baseline is a plain logistic regression (pandas' column types, categories
one-hot, numbers scaled, missing values marked and filled with the median) fitted in the same run on the same
rows and columns. Time to learn is the whole `profile learn` command (starting the program, reading the CSV,
choosing the model by cross-validation, the leak check, the traits, storing the profile) against the
baseline's one fit.
"""


def doc_section(lines: list[str]) -> str:
    intro = INTRO.format(day=datetime.now(UTC).date().isoformat())
    return "\n".join([SECTION, "", intro, *lines]).rstrip("\n") + "\n"


if __name__ == "__main__":
    main()
