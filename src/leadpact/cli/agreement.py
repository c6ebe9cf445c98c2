"""``leadpact agreement``: check, adopt, list, show, compare and backtest lead agreement versions."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from leadpact.cli.common import (
    At,
    EngineOption,
    Json,
    ParquetOption,
    clock_for,
    err,
    out,
    to_json,
    unit_of_work,
    when,
    with_agreement,
)
from leadpact.cli.reports import keys, parse_day, print_report
from leadpact.cli.tables import Column, Columns, Table, Whole, Wide, indented, view
from leadpact.domain.agreement_diff import diff_agreements
from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.errors import InvalidInput
from leadpact.domain.wording import parts
from leadpact.services import agreements, reports, signoff

agreement_app = typer.Typer(help="Check, adopt, list, show and compare lead agreement versions.", no_args_is_help=True)


@agreement_app.command("check")
def agreement_check(file: Annotated[Path, typer.Argument(help="The agreement YAML file.")]) -> None:
    """Validate an agreement file; every problem is listed with its line and key."""
    agreement = parse_agreement(_read(file), str(file))
    out.print(
        f"{file}: valid. {len(agreement.fit_rules)} fit rules, {len(agreement.events)} event types, "
        f"qualifies at score {agreement.qualified.score_at_least:g} for grades {', '.join(agreement.qualified.grades)}."
    )


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{file}: cannot read it ({exc.strerror})") from exc


@agreement_app.command("adopt")
def agreement_adopt(
    file: Annotated[Path, typer.Argument(help="The agreement YAML file.")],
    marketing: Annotated[str, typer.Option(help="Who signs for marketing.")],
    sales_: Annotated[str, typer.Option("--sales", help="Who signs for sales.")],
    at: At = None,
) -> None:
    """Adopt a signed agreement: it becomes the next version, in force from now.

    Once managers are recorded, --marketing and --sales must name a manager of that side.
    """
    with unit_of_work() as uow:
        unchecked = signoff.check_signers(uow, marketing, sales_)
        row = agreements.adopt(uow, clock_for(at), _read(file), str(file), marketing, sales_)
        out.print(
            f"Adopted {file} as version {row.version}, signed by {row.marketing_signoff} and {row.sales_signoff}."
        )
    if unchecked:
        err.print(f"note: {unchecked}")


VERSIONS = (
    Column("version", Whole.FIGURE),
    Column("name"),
    Column("adopted_at", Whole.WORD, "adopted (UTC)"),
    Column("marketing"),
    Column("sales"),
    Column("sha256", Whole.WORD, wide=True),
)


@agreement_app.command("list")
def agreement_list(columns: Columns = None, wide: Wide = False, as_json: Json = False) -> None:
    """Every adopted version, newest last."""
    with unit_of_work() as uow:
        rows = agreements.versions(uow)
        if as_json:
            out.print_json(
                to_json(
                    [
                        {
                            "version": r.version,
                            "name": r.name,
                            "sha256": r.sha256,
                            "marketing": r.marketing_signoff,
                            "sales": r.sales_signoff,
                            "adopted_at": r.adopted_at,
                        }
                        for r in rows
                    ]
                )
            )
            return
        table = Table(VERSIONS, view(columns, wide))
        for r in rows:
            table.add(r.version, r.name, when(r.adopted_at), r.marketing_signoff, r.sales_signoff, r.sha256[:12])
    table.print(empty="No agreement adopted yet.")


@agreement_app.command("show")
def agreement_show(
    version: Annotated[int | None, typer.Argument(help="Version number; default: the one in force.")] = None,
    raw: Annotated[bool, typer.Option("--raw", help="Print the file exactly as adopted.")] = False,
) -> None:
    """Show an agreement version in plain words (or the file with --raw)."""
    with unit_of_work() as uow:
        row, a = agreements.load_version(uow, version)
    if raw:
        sys.stdout.write(row.text)
        return
    out.print(f"{a.name} - version {row.version}, adopted {when(row.adopted_at)} UTC")
    out.print(f"Signed by {row.marketing_signoff} (marketing) and {row.sales_signoff} (sales)")
    for part in parts(a):
        out.print(f"\n{part.title}\n  {part.summary}")
        for key, words in part.items:
            out.print(f"  {key}: {words}")


@agreement_app.command("diff")
def agreement_diff(
    a: Annotated[int, typer.Argument(help="The older version.")],
    b: Annotated[int, typer.Argument(help="The newer version.")],
) -> None:
    """What changed from version A to version B, in plain words."""
    with unit_of_work() as uow:
        _, old = agreements.load_version(uow, a)
        _, new = agreements.load_version(uow, b)
    lines = diff_agreements(old, new)
    out.print(f"From version {a} to version {b}:" if lines else f"Versions {a} and {b} agree on everything.")
    for line in lines:
        out.print(f"  - {line}")


@agreement_app.command("backtest")
def agreement_backtest(
    file: Annotated[Path, typer.Argument(help="The candidate agreement YAML file.")],
    against: Annotated[
        int | None, typer.Option("--against", help="The version to compare with (default: the one in force).")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Count MQLs and won deals from this local date (YYYY-MM-DD).")
    ] = None,
    at: At = None,
    engine: EngineOption = "app",
    parquet: ParquetOption = None,
    columns: Columns = None,
    wide: Wide = False,
    as_json: Json = False,
) -> None:
    """Replay the recorded history under a candidate agreement and compare it with a version, changing nothing.

    Side by side per month: MQLs, the share that became opportunities and won (as recorded), the won revenue
    each would have qualified (recall), the MQLs the candidate adds or drops, leads per rep per week, and
    every lead whose qualification changes. Use it before adopting a new version.
    """
    text, first, clock, chosen = _read(file), parse_day(since, "since"), clock_for(at), view(columns, wide)
    with err.status("replaying the history under both agreements"):
        result = with_agreement(
            lambda uow, inforce: reports.backtest(uow, clock, inforce, text, str(file), against, first, engine, parquet)
        )
    if as_json:
        out.print_json(to_json(result.as_dict()))
        return
    chosen.check([*keys(result.months), *keys(result.load)])
    print_report(result.months, chosen=chosen)
    out.print()
    print_report(result.load, heading=False, chosen=chosen)
    total = result.months.rows[-1]
    out.print(
        f"{len(result.changed):,} leads change: {total['added']:,} more MQLs under the candidate "
        f"({total['added_never_converted']:,} of them never had an opportunity), {total['dropped']:,} fewer."
    )
    for change in result.changed[:CHANGED_SHOWN]:
        rec = change["recorded"]
        fate = "won" if rec["won"] else "had an opportunity" if rec["opportunity"] else "no opportunity"
        indented(
            f"{change['email']} (lead {change['id']}): {_mql(change['current'])} -> "
            f"{_mql(change['candidate'])}; recorded: {fate}"
        )
    if len(result.changed) > CHANGED_SHOWN:
        out.print(f"  ... and {len(result.changed) - CHANGED_SHOWN:,} more: --json lists them all.")


CHANGED_SHOWN = 20


def _mql(outcome: dict[str, Any]) -> str:
    day = outcome["qualified_on"]
    if outcome["screened"]:
        return f"to screening on {day}" + (", passed by the qualifiers" if outcome["mql"] else "")
    if outcome["mql"]:
        return f"MQL on {day}"
    return "no MQL in the period" + (f" (MQL on {day})" if day else "")
