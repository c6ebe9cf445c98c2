"""``leadpact rep`` and ``leadpact sla``: the sales reps and their teams, and the hand-off SLA they keep."""

from __future__ import annotations

from typing import Annotated

import typer

from leadpact.cli.common import At, Json, clock_for, out, to_json, unit_of_work, with_agreement
from leadpact.cli.people import rerouted_lines
from leadpact.cli.tables import Column, Columns, Table, Whole, Wide, view
from leadpact.services import handoff, people, team

rep_app = typer.Typer(help="Sales reps and their teams.", no_args_is_help=True)
sla_app = typer.Typer(help="The hand-off SLA.", no_args_is_help=True)


@rep_app.command("add")
def rep_add(
    name: Annotated[str, typer.Argument(help="The rep's name, as they will be named in every command.")],
    team_: Annotated[str, typer.Option("--team", help="The team, one there is ('rep list'); routing names teams.")],
    new_team: Annotated[bool, typer.Option("--new-team", help="Start the team: it does not exist yet.")] = False,
    capacity: Annotated[
        int, typer.Option(help="Relative share of new leads, 1 or more (2 gets twice as many as 1).")
    ] = 1,
    email: Annotated[str | None, typer.Option(help="Where notifications go.")] = None,
) -> None:
    """Add a sales rep to a team (a new one with --new-team)."""
    with unit_of_work() as uow:
        team.add_user(uow, clock_for(None), name, "rep", team_, capacity, email, new_team=new_team)
    out.print(f"{name} joined team {team_} with capacity {capacity}.")


@rep_app.command("remove")
def rep_remove(name: Annotated[str, typer.Argument(help="The rep.")]) -> None:
    """Take a rep off their team: their open leads go to other reps as the agreement routes them, and their access
    is disabled ('user enable' gives it back); they keep their name on what they did."""
    with unit_of_work() as uow:
        removed = people.remove_rep(uow, clock_for(None), name)
    rerouted_lines(removed.rerouted)
    out.print(removed.said)


@rep_app.command("away")
def rep_away(name: Annotated[str, typer.Argument(help="The rep.")]) -> None:
    """Mark a rep unavailable: they get no new leads until 'rep back'."""
    with unit_of_work() as uow:
        team.set_available(uow, clock_for(None), name, False)
    out.print(f"{name} is away and gets no new leads.")


@rep_app.command("back")
def rep_back(name: Annotated[str, typer.Argument(help="The rep.")]) -> None:
    """Mark a rep available again."""
    with unit_of_work() as uow:
        team.set_available(uow, clock_for(None), name, True)
    out.print(f"{name} is back and gets new leads again.")


@rep_app.command("capacity")
def rep_capacity(
    name: Annotated[str, typer.Argument(help="The rep.")],
    share: Annotated[
        int | None, typer.Option(help="Relative share of new leads, 1 or more (2 gets twice as many as 1).")
    ] = None,
    max_open: Annotated[
        int | None,
        typer.Option(help="The most open leads (mql, sal, sql) they hold: at the cap they are skipped."),
    ] = None,
    no_cap: Annotated[bool, typer.Option("--no-cap", help="Lift the cap on open leads.")] = False,
) -> None:
    """Change a rep's share of new leads, or cap the leads they hold open (or lift the cap)."""
    if share is None and max_open is None and not no_cap:
        raise typer.BadParameter("give --share, --max-open or --no-cap")
    if max_open is not None and no_cap:
        raise typer.BadParameter("give --max-open or --no-cap, not both")
    with unit_of_work() as uow:
        if share is not None:
            team.set_capacity(uow, clock_for(None), name, share)
        if max_open is not None or no_cap:
            team.set_max_open(uow, clock_for(None), name, max_open)
        user = team.user_named(uow, name)
        cap = f"at most {user.max_open} open leads" if user.max_open is not None else "no cap on open leads"
        said = f"{user.name} has capacity {user.capacity} and {cap}."
    out.print(said)


@rep_app.command("manager")
def rep_manager(
    team_: Annotated[str, typer.Argument(help="The team.")],
    name: Annotated[str, typer.Argument(help="The manager (added as a user if new).")],
) -> None:
    """Name the manager of a team: escalated SLA breaches go to them."""
    with unit_of_work() as uow:
        team.set_manager(uow, clock_for(None), team_, name)
    out.print(f"{name} manages team {team_}.")


EVERYONE = (
    Column("name"),
    Column("role", Whole.WORD),
    Column("team", Whole.WORD),
    Column("capacity", Whole.FIGURE),
    Column("available", Whole.WORD),
    Column("max_open", Whole.FIGURE, "max open"),
)


@rep_app.command("list")
def rep_list(columns: Columns = None, wide: Wide = False, as_json: Json = False) -> None:
    """Everyone, with team, capacity and availability (a removed rep: "removed"); 'user list' shows access."""
    chosen = view(columns, wide)
    with unit_of_work() as uow:
        everyone = [
            (u.name, u.role, t.name if t else None, u.capacity, u.available, u.max_open, u.disabled_at is not None)
            for u, t in team.reps(uow)
        ]
    if as_json:
        keys = ("name", "role", "team", "capacity", "available", "max_open", "disabled")
        out.print_json(to_json([dict(zip(keys, p, strict=True)) for p in everyone]))
        return
    table = Table(EVERYONE, chosen)
    for name, role, team_name, capacity, available, max_open, disabled in everyone:
        cap = str(max_open) if max_open is not None else "-"
        state = "removed" if disabled else "yes" if available else "away"
        table.add(name, role, team_name or "-", capacity, state, cap)
    table.print()


@sla_app.command("check")
def sla_check(at: At = None) -> None:
    """Record SLA breaches due by now and reassign or escalate as the agreement says."""
    clock = clock_for(at)
    report = with_agreement(lambda uow, inforce: handoff.check_sla(uow, clock, inforce))
    for line in report.lines:
        out.print(line)
    out.print(
        f"{report.accept_breaches} accept, {report.contact_breaches} contact and {report.call_breaches} "
        "screening first-call breaches; "
        f"{report.reassigned} reassigned, {report.escalated} escalated, {report.assigned} waiting leads assigned."
    )
