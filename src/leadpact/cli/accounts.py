"""``leadpact account``: the companies behind the leads, their people, their engagement and their owner."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer
from rich.table import Table

from leadpact.cli.common import At, Json, clock_for, out, to_json, unit_of_work, when, with_agreement
from leadpact.services import accounts
from leadpact.services.accounts import AccountView
from leadpact.services.clock import SystemClock

account_app = typer.Typer(help="Accounts: their people, engagement and owner.", no_args_is_help=True)

Domain = Annotated[str, typer.Argument(help="The account's domain, e.g. acme.com.")]


def rule_text(view: AccountView) -> str:
    if view.rule is None or view.meets_rule is None:
        return "the agreement has no account rule"
    rule = view.rule
    verdict = "meets" if view.meets_rule else "does not meet"
    return (
        f"{verdict} the account rule (engagement at least {rule.engagement_at_least:g} "
        f"with at least {rule.people_engaged_at_least} people engaged)"
    )


@account_app.command("show")
def account_show(domain: Domain, at: At = None, as_json: Json = False) -> None:
    """An account: its fields, owner, stage, people with their roles and scores, and its engagement (the sum of its
    people's decayed engagement) against the agreement's account rule."""
    now = clock_for(at).now()
    view = with_agreement(lambda uow, inforce: accounts.show(uow, inforce, now, domain))
    if as_json:
        out.print_json(to_json({**dataclasses.asdict(view), "at": now}))
        return
    out.print(f"{view.name or view.domain} ({view.domain})  {view.industry or ''}  {view.country or ''}")
    out.print(
        f"Employees {view.employees if view.employees is not None else '-'}   owner {view.owner or '-'}   "
        f"stage {view.stage or '-'}   as of {when(now)} UTC"
    )
    out.print(
        f"Engagement {view.engagement:.1f} from {view.people_engaged} of {len(view.people)} people engaged; "
        f"{rule_text(view)}."
    )
    table = Table("person", "title", "authority", "stage", "grade", "priority", "score", "engagement", "owner")
    for p in view.people:
        table.add_row(
            p.email,
            p.title or "-",
            p.authority or "-",
            p.stage,
            p.grade or "-",
            p.priority,
            f"{p.score:.1f}",
            f"{p.engagement:.1f}",
            p.owner or "-",
        )
    out.print(table)


@account_app.command("list")
def account_list(
    at: At = None,
    limit: Annotated[int, typer.Option(min=1, help="How many accounts to list.")] = 20,
    as_json: Json = False,
) -> None:
    """The accounts with the most engagement, most first."""
    now = clock_for(at).now()
    rows = with_agreement(lambda uow, inforce: accounts.top(uow, inforce, now, limit))
    if as_json:
        out.print_json(to_json([dataclasses.asdict(r) for r in rows]))
        return
    table = Table("domain", "name", "owner", "people", "engaged", "engagement", "meets rule")
    for r in rows:
        meets = "-" if r.meets_rule is None else ("yes" if r.meets_rule else "no")
        table.add_row(
            r.domain or "-",
            r.name or "-",
            r.owner or "-",
            str(r.people),
            str(r.people_engaged),
            f"{r.engagement:.1f}",
            meets,
        )
    out.print(table)


@account_app.command("owner")
def account_owner(
    domain: Domain,
    rep: Annotated[str | None, typer.Argument(help="The rep (name or email); leave out with --clear.")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Leave the account without an owner.")] = False,
) -> None:
    """Make a rep the account's owner (its leads go to them when the agreement's handoff.account_owner says so),
    or clear the owner."""
    if (rep is None) == (not clear):
        raise typer.BadParameter("give a rep, or --clear")
    with unit_of_work() as uow:
        account = accounts.set_owner(uow, SystemClock(), domain, None if clear else rep)
        name = account.domain
    out.print(f"{name} is owned by {rep}." if not clear else f"{name} has no owner now.")
