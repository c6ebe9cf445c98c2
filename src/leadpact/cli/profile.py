"""``leadpact profile``: the ideal customer profile, learned from a customer table or the store."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from leadpact.cli.common import Json, clock_for, err, out, to_json, unit_of_work
from leadpact.cli.tables import Column, Columns, Table, View, Whole, Wide, view
from leadpact.domain.errors import InvalidInput
from leadpact.domain.report import Kind
from leadpact.services import profiles
from leadpact.services.profiles import ProfileInfo, ScoredList

profile_app = typer.Typer(
    help="The ideal customer profile: learn who buys, show the traits, score lists and shows before buying them.\n\n"
    "Learn a profile from any customer table (a CSV exported from an ERP or a CRM, one row a customer or "
    "prospect, with a column saying who bought) or from the store's own history; then score a list broker's file "
    "or a trade show's attendees against it, compare lists by expected buyers and cost, and draw candidate fit "
    "rules for the agreement from it. docs/profile.md explains every figure.",
    no_args_is_help=True,
)

Name = Annotated[str | None, typer.Option("--name", help=f"The profile's name (default: {profiles.DEFAULT_NAME!r}).")]
Version = Annotated[int | None, typer.Option("--version", help="Use this version instead of the newest.")]
Chosen = Annotated[
    str | None, typer.Argument(help=f"The profile (default: {profiles.DEFAULT_NAME!r}).", show_default=False)
]


@profile_app.command("learn")
def learn(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="A customer table (CSV: comma, semicolon or tab separated, the first line naming the columns). "
            "Without it, the profile is learned from the store's leads.",
            show_default=False,
        ),
    ] = None,
    outcome: Annotated[
        str | None,
        typer.Option(
            "--outcome",
            help="The column that says who bought. From the store: 'customer' (won a deal, the default) or "
            "'opportunity' (reached one).",
        ),
    ] = None,
    positive: Annotated[
        str | None,
        typer.Option(
            "--positive",
            help="The outcome's value that means bought. Default: a yes-like value (yes, true, 1, won, ...) if the "
            "column has two values, else the rarer of the two; needed when it has more.",
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            help="A column to leave out, e.g. one recorded only after the sale (repeatable).",
        ),
    ] = None,
    id_column: Annotated[
        str | None, typer.Option("--id", help="The column that identifies a row; left out of the learning.")
    ] = None,
    name: Name = None,
    as_json: Json = False,
) -> None:
    """Learn who buys, and keep it as the profile's next version.

    Every column but the outcome is used: numbers (also written as text, with thousands separators or currency
    signs), dates and categories, with their missing values. Identifiers (a different value in every row) and
    constant columns are left out, and said so. The model is chosen by stratified cross-validation on the
    table alone (logistic regression, gradient boosting and their blend) and refitted on every row; its quality
    is measured out of fold. A column that predicts too well to be known before the outcome is reported.

    Example: leadpact profile learn customers.csv --outcome bought --exclude last_call_minutes --id customer_no
    """
    if file is None and (positive is not None or id_column is not None):
        raise InvalidInput("--positive and --id apply to a customer table; the store's outcome is yes or no")
    clock = clock_for(None)
    chosen = name or profiles.DEFAULT_NAME
    with _progress() as (bar, task), unit_of_work() as uow:

        def advance(what: str, done: int, planned: int) -> None:
            bar.update(task, description=what, completed=done, total=planned)

        if file is None:
            info = profiles.learn_store(uow, clock, outcome, exclude or (), chosen, advance)
        else:
            info = profiles.learn_file(
                uow, clock, file, str(file), outcome, positive, exclude or (), id_column, chosen, advance
            )
    if as_json:
        out.print_json(to_json(_as_json(info)))
        return
    out.print(f"Learned the profile {info.name!r} version {info.version} from {info.source}.")
    _print_profile(info, traits=5)
    out.print(f"'leadpact profile show {info.name}' shows every trait; 'leadpact profile score FILE' scores a list.")


@profile_app.command("show")
def show(
    name: Chosen = None,
    version: Version = None,
    as_json: Json = False,
) -> None:
    """The traits that set buyers apart, with their lift, and the model's quality from cross-validation.

    A trait reads "industry = logistics: 2.8 times as likely to buy; 12 % of buyers": rows with that value buy at
    2.8 times the table's rate, and hold 12 % of its buyers. Quality is measured on the learning table's
    out-of-fold predictions: AUC, the lift in the top decile, the share of buyers in the top 20 %, the
    calibration error (ECE over ten bins of equal size) and the Brier score.
    """
    with unit_of_work() as uow:
        info = profiles.get(uow, name, version)
    if as_json:
        out.print_json(to_json(_as_json(info)))
        return
    _print_profile(info, traits=None)


@profile_app.command("score")
def score(
    file: Annotated[Path, typer.Argument(help="The list to score (CSV, with columns like the profile's table).")],
    name: Name = None,
    version: Version = None,
    top: Annotated[
        int | None,
        typer.Option("--top", min=1, help="Only the N most likely rows, most likely first (default: 20 in the table)."),
    ] = None,
    as_csv: Annotated[
        bool,
        typer.Option("--csv", help="Print CSV: the list's columns followed by probability, rank and reasons."),
    ] = False,
    columns: Columns = None,
    wide: Wide = False,
    as_json: Json = False,
) -> None:
    """Score every row of a list against the profile: its probability of buying, its rank and its reasons.

    Nothing is stored. A column the profile learned from that the list lacks counts as missing in every row
    (and is reported); other columns, the outcome among them, are ignored. The summary gives the expected
    buyers (the sum of the probabilities) and the expected buyers per 1,000 names against the learning table's
    base rate. With --csv or --json every row is printed in the list's order (with --top, the N most likely in
    rank order); with --csv the summary and warnings go to the standard error, --json holds them.
    """
    if as_csv and as_json:
        raise InvalidInput("--json and --csv: choose one")
    chosen = view(columns, wide)
    with err.status("scoring the list"), unit_of_work() as uow:
        scored = profiles.score_list(uow, file, str(file), name, version)
    rows = _rows_shown(scored, top if (as_csv or as_json) else (top or 20))
    if as_csv:
        _warn(scored)
        _write_csv(scored, rows)
        err.print(_summary(scored))
    elif as_json:
        sys.stdout.write(json.dumps(_scored_json(scored, rows), ensure_ascii=False, indent=1) + "\n")
    else:
        _warn(scored)
        _print_scored(scored, rows, chosen)


@profile_app.command("compare")
def compare(
    lists: Annotated[list[Path], typer.Argument(help="The lists to compare (CSV files).", show_default=False)],
    cost: Annotated[
        list[str] | None,
        typer.Option("--cost", help="What a list costs, e.g. --cost shows.csv=12000 (repeatable)."),
    ] = None,
    name: Name = None,
    version: Version = None,
    columns: Columns = None,
    wide: Wide = False,
    as_json: Json = False,
) -> None:
    """Which list, show or publication matches the profile best: expected buyers in all, per 1,000 names and
    against the base rate, and, given its cost, the cost per expected buyer. Nothing is stored."""
    labels, chosen = [str(p) for p in lists], view(columns, wide)
    costs = profiles.parse_costs(cost or [], labels)
    with err.status("scoring the lists"), unit_of_work() as uow:
        found = profiles.compare(uow, [(str(p), p) for p in lists], costs, name, version)
    if as_json:
        out.print_json(
            to_json(
                {"profile": _ref(found.profile), "base_per_thousand": found.base_per_thousand, "lists": found.lists}
            )
        )
        return
    table = Table(LISTS, chosen)
    for f in found.lists:
        table.add(
            f.label,
            f.rows,
            f"{f.expected_buyers:,.1f}",
            f"{f.per_thousand:,.1f}",
            f"{f.against_base:.2f}{profiles.TIMES}",
            f"{f.cost:,.0f}" if f.cost is not None else "-",
            f"{f.cost_per_buyer:,.0f}" if f.cost_per_buyer is not None else "-",
        )
    out.print(
        f"Against the profile {found.profile.name!r} version {found.profile.version}: its base rate is "
        f"{found.base_per_thousand:,.1f} buyers per 1,000 names; the best match first."
    )
    table.print()
    for f in found.lists:
        if f.missing:
            out.print(f"{f.label} lacks {', '.join(f.missing)}: counted as missing in every row.")


LISTS = (
    Column("label", title="list"),
    Column("rows", Kind.COUNT, "names"),
    Column("expected_buyers", Whole.FIGURE, "expected buyers"),
    Column("per_thousand", Whole.FIGURE, "per 1,000"),
    Column("against_base", Whole.FIGURE, "vs base"),
    Column("cost", Whole.FIGURE),
    Column("cost_per_buyer", Whole.FIGURE, "cost per buyer"),
)


@profile_app.command("suggest")
def suggest(
    name: Chosen = None,
    version: Version = None,
    output: Annotated[
        Path | None, typer.Option("--out", help="Write the candidate agreement to this file instead of printing it.")
    ] = None,
) -> None:
    """A candidate agreement whose fit rules and grades come from the profile, ready for 'agreement backtest'.

    It is the agreement in force with its fit section replaced: each trait on a lead field (title, industry,
    employees, country, source, an account's field, a custom field) becomes a rule worth 10 ln(lift) points,
    and the grades keep their names with bounds set on the learning table (the best about its top tenth).
    Nothing is adopted: backtest it, then both sides sign it as any agreement.
    """
    with unit_of_work() as uow:
        found = profiles.suggest(uow, name, version)
    if output is not None:
        output.write_text(found.text)
        err.print(
            f"Wrote {output}: agreement version {found.against_version} with {len(found.rules)} fit rules from the "
            f"profile {found.profile.name!r} version {found.profile.version}. "
            f"Try it: leadpact agreement backtest {output}"
        )
        return
    sys.stdout.write(found.text)


@contextmanager
def _progress() -> Iterator[tuple[Progress, TaskID]]:
    """A progress bar on the standard error while the profile is learned, gone when it ends."""
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err, transient=True
    ) as bar:
        yield bar, bar.add_task("reading the table", total=None)


def _ref(info: ProfileInfo) -> dict[str, object]:
    return {"name": info.name, "version": info.version}


def _as_json(info: ProfileInfo) -> dict[str, object]:
    return {
        "name": info.name,
        "version": info.version,
        "source": info.source,
        "learned_at": info.learned_at,
        "learned_by": info.learned_by,
        **info.summary,
    }


def _print_profile(info: ProfileInfo, traits: int | None) -> None:
    s = info.summary
    o, q, m = s["outcome"], s["quality"], s["model"]
    out.print(
        f"Profile {info.name!r} version {info.version}: learned from {info.source} on {info.learned_at:%Y-%m-%d %H:%M} "
        f"UTC by {info.learned_by}."
    )
    missing = f"; {o['missing_rows']:,} rows without an outcome left out" if o["missing_rows"] else ""
    out.print(
        f"Buyers: {o['column']} = {o['positive']} ({o['decided']}): {s['buyers']:,} of {s['rows']:,} rows "
        f"({profiles.percent(s['base_rate'])}){missing}."
    )
    out.print(f"Model: {m['words']}; chosen by {m['folds']}-fold stratified cross-validation.")
    out.print(
        f"Quality, out of fold on the learning table: AUC {q['auc']:.3f}; top-decile lift "
        f"{q['top_decile_lift']:.1f}{profiles.TIMES}; buyers in the top 20 %: {profiles.percent(q['top20_share'])}; "
        f"calibration error {q['calibration_error']:.3f} (ECE, 10 bins); Brier {q['brier']:.3f}."
    )
    for leak in s["leaks"]:
        out.print(f"Warning: {leak['sentence']}")
    more, less = s["traits"]["more"], s["traits"]["less"]
    if traits is not None:
        more, less = more[:traits], less[: max(traits // 2, 1)]
    out.print("More likely to buy:" if more else "No trait makes buyers markedly more likely.")
    for t in more:
        out.print(f"  {t['sentence']}")
    if less:
        out.print("Less likely to buy:")
        for t in less:
            out.print(f"  {t['sentence']}")
    if traits is None:
        table = Table(TRIED, title="Models tried")
        for t in m["tried"]:
            table.add(t["name"], t["words"], f"{t['auc']:.4f}")
        table.print()
        used = ", ".join(f"{c['name']} ({c['kind']})" for c in s["columns"])
        out.print(f"Columns used: {used}.")
    if s["left_out"]:
        out.print("Left out: " + "; ".join(f"{c['name']} ({c['why']})" for c in s["left_out"]) + ".")


TRIED = (Column("candidate"), Column("settings"), Column("auc", Whole.FIGURE, "AUC out of fold"))


def _rows_shown(scored: ScoredList, top: int | None) -> list[int]:
    """The row indices printed: every row in the list's order, or the ``top`` most likely in rank order."""
    if top is None:
        return list(range(scored.scored.rows))
    return [int(i) for i in np.argsort(scored.scored.rank)[:top]]


def _summary(scored: ScoredList) -> str:
    s = scored.scored
    base = scored.base_per_thousand
    against = f" ({s.per_thousand / base:.2f}{profiles.TIMES} the base rate)" if base else ""
    return (
        f"{s.rows:,} names scored against the profile {scored.profile.name!r} version {scored.profile.version}: "
        f"{s.expected_buyers:,.1f} expected buyers, {s.per_thousand:,.1f} per 1,000 names against "
        f"{base:,.1f} per 1,000 at the base rate{against}."
    )


def _warn(scored: ScoredList) -> None:
    if scored.scored.missing:
        err.print(
            f"warning: the list has no column {', '.join(scored.scored.missing)}: scored as missing in every row."
        )


def _write_csv(scored: ScoredList, rows: list[int]) -> None:
    frame, s = scored.frame, scored.scored
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow([*frame.columns, "probability", "rank", "reasons"])
    values = frame.to_numpy(dtype=object)
    for i in rows:
        writer.writerow([*values[i], f"{s.probability[i]:.8f}", int(s.rank[i]), "; ".join(s.reasons[i])])


def _scored_json(scored: ScoredList, rows: list[int]) -> dict[str, object]:
    frame, s = scored.frame, scored.scored
    columns = [str(c) for c in frame.columns]
    values = frame.to_numpy(dtype=object)
    return {
        "profile": _ref(scored.profile),
        "summary": {
            "rows": s.rows,
            "expected_buyers": s.expected_buyers,
            "per_thousand": s.per_thousand,
            "base_per_thousand": scored.base_per_thousand,
        },
        "missing_columns": s.missing,
        "ignored_columns": s.ignored,
        "rows": [
            {
                "row": i + 1,
                "values": dict(zip(columns, values[i], strict=True)),
                "probability": float(s.probability[i]),
                "rank": int(s.rank[i]),
                "reasons": s.reasons[i],
            }
            for i in rows
        ],
    }


RANKED = (Column("rank", Whole.FIGURE), Column("row", Whole.FIGURE))
SCORED = (Column("probability", Whole.FIGURE), Column("reasons"))
"""The columns of a scored list, before and after its id column (the profile's, when the list has it)."""


def _print_scored(scored: ScoredList, rows: list[int], chosen: View) -> None:
    """The rows ranked: each one's rank, its row in the list, its id (when the profile learned with one and the list
    has it), its probability and its reasons."""
    frame, s = scored.frame, scored.scored
    key = scored.profile.summary.get("id")
    label = [Column(str(key), Whole.WORD)] if key in frame.columns else []
    table = Table([*RANKED, *label, *SCORED], chosen)
    for i in rows:
        table.add(
            s.rank[i],
            i + 1,
            *(frame[key].iloc[i] for _ in label),
            f"{s.probability[i]:.1%}",
            "; ".join(s.reasons[i]),
        )
    table.print()
    out.print(_summary(scored))
