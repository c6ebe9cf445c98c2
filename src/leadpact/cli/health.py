"""``leadpact health``: the agreement's health bounds and how they stand."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from leadpact.cli.common import At, Json, clock_for, err, out, to_json, with_agreement
from leadpact.cli.tables import Column, Columns, Table, Whole, Wide, indented, view
from leadpact.domain.health import describe_limit
from leadpact.services import health
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.unit_of_work import UnitOfWork

commands = typer.Typer()

BOUNDS = (Column("bound", Whole.WORD), Column("limit"), Column("now", Whole.FIGURE), Column("status", Whole.WORD))


@commands.command("health")
def health_cmd(
    at: At = None,
    columns: Columns = None,
    wide: Wide = False,
    as_json: Json = False,
    record: Annotated[
        bool,
        typer.Option(
            "--record",
            help="Also record today's daily check, as the worker of 'leadpact serve' does, unless it is recorded "
            "already: for running it from cron without the worker.",
        ),
    ] = False,
) -> None:
    """How the agreement's health bounds stand now: each bound's limit, its value, held or broken, the evidence.

    The bounds are the agreement's 'health:' section (docs/agreement.md): acceptance rate, contact within SLA,
    never contacted, grade calibration, and the lead model's drift: population shift and model calibration.
    Each is measured over its window of local days up to today, from the same reports 'leadpact report' prints
    (the drift bounds from the model the agreement names, else the newest one trained, and the hand-offs), and
    is not judged while too few leads count (a drift bound, nor without a model it can use). The worker of
    'leadpact serve' checks them once a day and reports a bound broken as an 'agreement.health' webhook
    message and on the dashboard.
    """
    clock, chosen = clock_for(at), view(columns, wide)
    with err.status("measuring the agreement's health bounds"):
        shown = with_agreement(lambda uow, inforce: _measured(uow, clock, inforce, record))
    if as_json:
        out.print(to_json(shown), soft_wrap=True)  # JSON lines are never wrapped, whatever the width
        return
    if not shown["bounds"]:
        out.print(
            f"The agreement in force (version {shown['version']}) has no health section: it sets no bounds to check. "
            "Add 'health:' to the agreement file (see docs/agreement.md) and adopt it."
        )
        return
    out.print(
        f"Health of the agreement in force (version {shown['version']}) as of {shown['day']} ({shown['timezone']})"
    )
    table = Table(BOUNDS, chosen)
    for bound in shown["bounds"]:
        table.add(bound["bound"], bound["limit_words"], bound["value_words"], bound["status"])
    table.print()
    for bound in shown["bounds"]:
        out.print(f"\n{bound['summary']}")
        for line in bound["details"]:
            indented(line)
    if record:
        recorded = shown["recorded"]
        broken = [b["bound"] for b in shown["bounds"] if b["broken"] and b["bound"] in recorded]
        out.print(
            f"\nRecorded the check of {shown['day']}: {', '.join(recorded)}; broken: {', '.join(broken) or 'none'}."
            if recorded
            else f"\nThe check of {shown['day']} was recorded already: nothing more to record."
        )


def _measured(uow: UnitOfWork, clock: Clock, inforce: InForce, record: bool) -> dict[str, Any]:
    now = health.measure(uow, clock, inforce)
    shown: dict[str, Any] = {
        "version": now.version,
        "day": now.day,
        "at": clock.now(),
        "timezone": inforce.agreement.timezone,
        "bounds": [
            {**r.as_dict(), "limit_words": describe_limit(r.bound), "value_words": r.shown()} for r in now.readings
        ],
    }
    if record:
        recorded = health.record(uow, clock, now) if now.readings else ()
        shown["recorded"] = [r.bound.indicator.value for r in recorded]
    return shown
