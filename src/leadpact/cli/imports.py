"""``leadpact import``: leads, events, campaigns or costs from a CSV file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from leadpact.cli.common import At, clock_for, err, out, unit_of_work
from leadpact.domain.written_dates import AS_WRITTEN, date_format
from leadpact.services import imports

commands = typer.Typer()


@commands.command("import")
def import_cmd(
    kind: Annotated[str, typer.Argument(help="What the file holds: leads, events, campaigns or costs.")],
    file: Annotated[Path, typer.Argument(help="The CSV file; the first line names the columns.")],
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help='Map a header to a field, e.g. --map "Job Title=title", or leave a column out: --map "Notes=-" '
            "(repeatable).",
        ),
    ] = None,
    date_format_: Annotated[
        str | None,
        typer.Option(
            "--date-format",
            help="How the file writes dates whose day and month could be either way (5/3/2026): DMY (day first), "
            "MDY (month first) or YMD; or a pattern every date follows, e.g. '%d.%m.%Y %H:%M'. By default the "
            "file's dates settle it, and a file they do not is refused.",
        ),
    ] = None,
    at: At = None,
) -> None:
    """Import a CSV file. Every bad row is reported and then nothing is stored; re-importing adds nothing twice.

    Lead columns: email, first_name, last_name, title, company, domain, industry, employees, country, source,
    campaign, created_at; other columns are kept as custom fields. Event columns: event_id, email, type,
    occurred_at, campaign. Campaign columns: name, channel, started_on, ended_on. Cost columns: campaign,
    date, amount. The export headers of the usual CRMs and marketing tools (Job Title, Company Name, Lead Source,
    Person - Email, Created Time, ...) are recognized. Countries may be codes or names (Germany, Deutschland, USA);
    dates may be ISO or as exports write them (5/3/2026 2:20 PM, 03.05.2026 14:20, 7 May 2026); a time without a
    zone is in the agreement's time zone.
    """
    mapping = imports.parse_map(map_ or [], kind)
    written_as = date_format(date_format_) if date_format_ is not None else AS_WRITTEN
    clock = clock_for(at)
    total = _count_rows(file)
    with Progress(transient=True, console=err) as bar, unit_of_work() as uow:
        task = bar.add_task(f"importing {kind}", total=total)

        def advance(n: int) -> None:
            bar.advance(task, n)

        report = imports.run(uow, clock, kind, file, mapping, advance, written_as=written_as)
    out.print(
        f"{file}: {report.rows} rows; {report.created} new, {report.updated} updated, "
        f"{report.unchanged + report.duplicates} already there."
    )
    if kind == "events":
        out.print(f"{report.counted} events counted toward scores; {report.qualified} leads qualified.")
    if report.campaigns_created:
        out.print(f"New campaigns: {', '.join(report.campaigns_created)}")
    if report.custom_fields:
        out.print(f"Kept as custom fields: {', '.join(report.custom_fields)}")


def _count_rows(file: Path) -> int | None:
    try:
        with file.open("rb") as handle:
            return max(sum(1 for _ in handle) - 1, 0)
    except OSError:
        return None  # the import itself reports the file as unreadable
