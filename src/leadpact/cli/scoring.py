"""``leadpact rescore``: every lead recomputed from its raw events under the agreement in force."""

from __future__ import annotations

import typer

from leadpact.cli.common import At, EngineOption, Json, ParquetOption, clock_for, err, out, to_json, with_agreement
from leadpact.services import rescore

commands = typer.Typer()


@commands.command("rescore")
def rescore_cmd(
    at: At = None, engine: EngineOption = "app", parquet: ParquetOption = None, as_json: Json = False
) -> None:
    """Recompute every lead from its raw events under the agreement in force, and amend what is out of line.

    Run it after adopting a new agreement version. The ledger gets adjustment rows (history is never
    rewritten), event verdicts and lead scores are set from the batch; stages are left as they were decided.
    Each lead's replay under the agreement (its first qualifying moment and peak score, what the grades report
    and the backtest read) is kept anew where it no longer holds. A rescore that finds nothing out of line writes
    nothing. On a large history, --engine duckdb or spark does the work away from the database; only the changes
    are written back.
    """
    clock = clock_for(at)
    with err.status("rescoring every lead"):
        report = with_agreement(lambda uow, inforce: rescore.rescore(uow, clock, inforce, engine, parquet))
    if as_json:
        out.print(to_json(report), soft_wrap=True)  # JSON lines are never wrapped, whatever the width
        return
    out.print(
        f"Rescored {report.leads} leads under agreement version {report.version} on {report.engine} "
        f"in {report.seconds:.1f} s: {report.leads_changed} leads changed, {report.ledger_rows} ledger "
        f"adjustments, {report.verdicts_changed} event verdicts flipped, {report.replays_kept} replays kept anew."
    )
