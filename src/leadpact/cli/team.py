"""``leadpact rep`` and ``leadpact sla``: the sales reps and their teams, and the hand-off SLA they keep."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from leadpact.cli.common import At, Json, clock_for, out, to_json, unit_of_work, with_agreement
from leadpact.services import handoff, team
from leadpact.services.clock import SystemClock

rep_app = typer.Typer(help="Sales reps and their teams.", no_args_is_help=True)
sla_app = typer.Typer(help="The hand-off SLA.", no_args_is_help=True)


@rep_app.command("add")
def rep_add(
    name: Annotated[str, typer.Argument(help="The rep's name, as they will be named in every command.")],
    team_: Annotated[str, typer.Option("--team", help="The team (created if new); routing names teams.")],
    capacity: Annotated[int, typer.Option(help="Relative share of new leads (2 gets twice as many as 1).")] = 1,
    email: Annotated[str | None, typer.Option(help="Where notifications go.")] = None,
) -> None:
    """Add a sales rep to a team."""
    with unit_of_work() as uow:
        team.add_user(uow, SystemClock(), name, "rep", team_, capacity, email)
    out.print(f"{name} joined team {team_} with capacity {capacity}.")


@rep_app.command("away")
def rep_away(name: Annotated[str, typer.Argument(help="The rep.")]) -> None:
    """Mark a rep unavailable: they get no new leads until 'rep back'."""
    with unit_of_work() as uow:
        team.set_available(uow, SystemClock(), name, False)
    out.print(f"{name} is away and gets no new leads.")


@rep_app.command("back")
def rep_back(name: Annotated[str, typer.Argument(help="The rep.")]) -> None:
    """Mark a rep available again."""
    with unit_of_work() as uow:
        team.set_available(uow, SystemClock(), name, True)
    out.print(f"{name} is back and gets new leads again.")


@rep_app.command("manager")
def rep_manager(
    team_: Annotated[str, typer.Argument(help="The team.")],
    name: Annotated[str, typer.Argument(help="The manager (added as a user if new).")],
) -> None:
    """Name the manager of a team: escalated SLA breaches go to them."""
    with unit_of_work() as uow:
        team.set_manager(uow, SystemClock(), team_, name)
    out.print(f"{name} manages team {team_}.")


@rep_app.command("list")
def rep_list(as_json: Json = False) -> None:
    """Everyone, with team, capacity and availability."""
    with unit_of_work() as uow:
        people = [(u.name, u.role, t.name if t else None, u.capacity, u.available) for u, t in team.reps(uow)]
    if as_json:
        keys = ("name", "role", "team", "capacity", "available")
        out.print_json(to_json([dict(zip(keys, p, strict=True)) for p in people]))
        return
    table = Table("name", "role", "team", "capacity", "available")
    for name, role, team_name, capacity, available in people:
        table.add_row(name, role, team_name or "-", str(capacity), "yes" if available else "away")
    out.print(table)


@sla_app.command("check")
def sla_check(at: At = None) -> None:
    """Record SLA breaches due by now and reassign or escalate as the agreement says."""
    clock = clock_for(at)
    report = with_agreement(lambda uow, inforce: handoff.check_sla(uow, clock, inforce))
    for line in report.lines:
        out.print(line)
    out.print(
        f"{report.accept_breaches} accept and {report.contact_breaches} contact breaches; "
        f"{report.reassigned} reassigned, {report.escalated} escalated, {report.assigned} waiting leads assigned."
    )
