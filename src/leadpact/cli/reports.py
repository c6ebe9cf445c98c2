"""``leadpact report``: the reports that close the loop, and how a report is printed as a table, JSON or CSV."""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Callable
from datetime import date
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from leadpact.cli.common import At, EngineOption, Json, clock_for, err, out, wide, with_agreement
from leadpact.domain.errors import InvalidInput
from leadpact.domain.report import Definition, Kind, Report, shown
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
) -> None:
    """Compute the report named ``name`` with its options over the configured database and print it as asked."""
    if as_json and as_csv:
        raise InvalidInput("--json and --csv: choose one")
    start, end, clock = parse_day(first, "from"), parse_day(last, "to"), clock_for(at)
    with err.status("computing the report"):
        report = with_agreement(
            lambda uow, inforce: reports.run(uow, clock, inforce, name, options, start, end, engine)
        )
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
    elif as_csv:
        report.write_csv(sys.stdout)
    else:
        print_report(report)


def print_report(report: Report, heading: bool = True) -> None:
    scope = report.scope
    if heading:
        dates = ""
        if scope.get("from") or scope.get("to"):
            dates = f", {scope.get('from') or 'the beginning'} to {scope.get('to') or 'the end'}"
        out.print(f"{report.title}{dates}, as of {scope.get('at', '')} ({scope.get('timezone', '')})")
    for part in (report, *report.sections):
        title = part.title if part is not report or not heading else None
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
        for column in part.columns:
            table.add_column(column.title, justify="left" if column.kind == Kind.TEXT else "right")
        for row in part.rows:
            table.add_row(*(shown(column.kind, row.get(column.key)) for column in part.columns))
        wide.print(table)
    for note in report.notes:
        out.print(f"  {note}")


def command(report: Definition) -> Callable[..., None]:
    """``leadpact report NAME``, made from the report's definition: its help, and its options with their default."""

    def run(
        first: str | None, last: str | None, at: str | None, engine: str, as_json: bool, as_csv: bool, **options: str
    ) -> None:
        show_report(report.name, dict(options), first, last, at, engine, as_json, as_csv)

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
            ("as_json", Json, False),
            ("as_csv", Csv, False),
        )
    ]
    run.__signature__ = inspect.Signature([*chosen, *common], return_annotation=None)  # type: ignore[attr-defined]
    run.__doc__ = f"{report.summary}\n\n{report.help}"
    return run


for catalogued in reports.CATALOG.values():
    report_app.command(catalogued.name)(command(catalogued))
