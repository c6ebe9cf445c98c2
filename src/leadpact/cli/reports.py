"""``leadpact report``: the reports that close the loop, and how a report is printed as a table, JSON or CSV."""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from leadpact.cli.common import At, EngineOption, Json, ParquetOption, clock_for, err, out, with_agreement
from leadpact.cli.tables import DEFAULT, Column, Columns, Table, View, Wide, hinted, indented, view
from leadpact.domain.errors import InvalidInput
from leadpact.domain.report import Definition, Report
from leadpact.services import reports
from leadpact.services.clock import parse_date

report_app = typer.Typer(
    help="Close the loop: funnel, costs and ROI, SLA, reasons, grades, sourcing, attribution, forecast.\n\n"
    "Every report reads the recorded history as of --at (now by default), can be limited to a range of dates "
    "with --from and --to (in the agreement's time zone), and prints a table, --json or --csv.",
    no_args_is_help=True,
)


From = Annotated[
    str | None, typer.Option("--from", help="First local date covered (YYYY-MM-DD, the agreement's time zone).")
]
To = Annotated[str | None, typer.Option("--to", help="Last local date covered, inclusive (YYYY-MM-DD).")]
Csv = Annotated[bool, typer.Option("--csv", help="Print CSV for spreadsheets instead of a table.")]


def parse_day(text: str | None, field: str) -> date | None:
    """The date an option gives, None when it is not given."""
    return None if text is None else parse_date(text, field)


def show_report(
    name: str,
    options: dict[str, str | None],
    first: str | None,
    last: str | None,
    at: str | None,
    engine: str,
    as_json: bool,
    as_csv: bool,
    chosen: View = DEFAULT,
    parquet: Path | None = None,
) -> None:
    """Compute the report named ``name`` with its options over the configured database and print it as asked."""
    if as_json and as_csv:
        raise InvalidInput("--json and --csv: choose one")
    start, end, clock = parse_day(first, "from"), parse_day(last, "to"), clock_for(at)
    with err.status("computing the report"):
        report = with_agreement(
            lambda uow, inforce: reports.run(uow, clock, inforce, name, options, start, end, engine, parquet)
        )
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
    elif as_csv:
        report.write_csv(sys.stdout)
    else:
        chosen.check(keys(report))
        print_report(report, chosen=chosen)


SHOWN: dict[str, frozenset[str]] = {
    "funnel": frozenset({"group", "leads", "mql", "sal", "sql", "opportunity", "won", "revenue"}),
    "costs": frozenset({"group", "cost", "leads", "mql", "won", "revenue", "cost_per_lead", "cost_per_won", "roi"}),
    "sla": frozenset(
        {
            "group",
            "assignments",
            "accepted_in_sla_share",
            "contacted_in_sla_share",
            "median_hours_to_contact",
            "accept_breaches",
            "contact_breaches",
        }
    ),
    "reasons": frozenset(
        {"group", "kind", "reason", "count", "share", "recycled", "opportunity_share", "customer_share"}
    ),
    "grades": frozenset({"group", "leads", "opportunities", "opportunity_rate", "won", "won_rate"}),
    "sourced": frozenset(
        {"group", "leads", "opportunities", "pipeline", "won", "revenue", "pipeline_share", "revenue_share"}
    ),
    "feedback": frozenset(
        {
            "competitor",
            "contact",
            "lost",
            "won",
            "lost_amount",
            "won_amount",
            "win_rate",
            "request",
            "mentions",
            "leads",
            "open_amount",
            "message",
            "revenue",
        }
    ),
    "value": frozenset(
        {
            "group",
            "leads",
            "won",
            "conversion",
            "expected_value",
            "cost_per_lead",
            "max_cost_per_lead",
            "headroom",
        }
    ),
    "screening": frozenset(
        {"group", "screened", "in_sla_rate", "passed", "not_yet", "disqualified", "pass_rate", "accepted", "won"}
    ),
    "backtest": frozenset(
        {
            "month",
            "cur_mql",
            "cand_mql",
            "added",
            "dropped",
            "cur_won_share",
            "cand_won_share",
            "cur_recall",
            "cand_recall",
            "cand_missed_revenue",
        }
    ),
}
"""The columns a report's tables show by default, by the report's name (its sections take from the same names);
the others wait for --wide. A report not named here shows every column."""


def keys(report: Report) -> list[str]:
    """The names of the columns of a report and its sections, which --columns takes."""
    return [column.key for part in (report, *report.sections) for column in part.columns]


def print_report(report: Report, heading: bool = True, chosen: View = DEFAULT) -> None:
    """A report's heading, each of its tables (those --columns leaves some column of) and its notes; then, if the
    default view left columns out, how to see them."""
    scope = report.scope
    if heading:
        dates = ""
        if scope.get("from") or scope.get("to"):
            dates = f", {scope.get('from') or 'the beginning'} to {scope.get('to') or 'the end'}"
        out.print(f"{report.title}{dates}, as of {scope.get('at', '')} ({scope.get('timezone', '')})")
    shown, left_out = SHOWN.get(report.name), set[str]()
    for part in (report, *report.sections):
        columns = [Column(c.key, c.kind, c.title, wide=shown is not None and c.key not in shown) for c in part.columns]
        table = Table(columns, chosen.within(columns), part.title if part is not report or not heading else None)
        if not table.shown:
            continue
        if part is not report:
            out.print()
        for row in part.rows:
            table.add(*(row.get(column.key) for column in part.columns))
        table.print(hint=False)
        left_out.update(table.left_out)
    for note in report.notes:
        indented(note)
    hinted(out, sorted(left_out))


def command(report: Definition) -> Callable[..., None]:
    """``leadpact report NAME``, made from the report's definition: its help, and its options with their default."""

    def run(
        first: str | None,
        last: str | None,
        at: str | None,
        engine: str,
        parquet: Path | None,
        columns: str | None,
        wide: bool,
        as_json: bool,
        as_csv: bool,
        **options: str,
    ) -> None:
        shown = view(columns, wide)
        show_report(report.name, dict(options), first, last, at, engine, as_json, as_csv, shown, parquet)

    chosen = [
        inspect.Parameter(
            option.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=option.default,
            annotation=Annotated[str, typer.Option(help=option.help)],
        )
        for option in report.options
    ]
    common = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
        for name, annotation, default in (
            ("first", From, None),
            ("last", To, None),
            ("at", At, None),
            ("engine", EngineOption, "app"),
            ("parquet", ParquetOption, None),
            ("columns", Columns, None),
            ("wide", Wide, False),
            ("as_json", Json, False),
            ("as_csv", Csv, False),
        )
    ]
    run.__signature__ = inspect.Signature([*chosen, *common], return_annotation=None)  # type: ignore[attr-defined]
    run.__doc__ = f"{report.summary}\n\n{report.help}"
    return run


for catalogued in reports.CATALOG.values():
    report_app.command(catalogued.name)(command(catalogued))
