"""``leadpact account``: the companies behind the leads, their people, their engagement and their owner."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from leadpact.cli.common import At, Json, clock_for, out, to_json, unit_of_work, when, with_agreement
from leadpact.cli.tables import Column, Columns, Table, Whole, Wide, view
from leadpact.domain.report import Kind
from leadpact.services import accounts
from leadpact.services.accounts import AccountView

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


PEOPLE = (
    Column("email", Whole.WORD, "person"),
    Column("title"),
    Column("authority", Whole.WORD, wide=True),
    Column("stage", Whole.WORD),
    Column("grade", Whole.WORD, wide=True),
    Column("priority", Whole.WORD, wide=True),
    Column("score", Whole.FIGURE),
    Column("engagement", Whole.FIGURE),
    Column("owner", Whole.WORD),
)


@account_app.command("show")
def account_show(
    domain: Domain, at: At = None, columns: Columns = None, wide: Wide = False, as_json: Json = False
) -> None:
    """An account: its fields, owner, stage, people with their roles and scores, and its engagement (the sum of its
    people's decayed engagement) against the agreement's account rule."""
    now, chosen = clock_for(at).now(), view(columns, wide)
    account = with_agreement(lambda uow, inforce: accounts.show(uow, inforce, now, domain))
    if as_json:
        out.print_json(to_json({**dataclasses.asdict(account), "at": now}))
        return
    out.print(f"{account.name or account.domain} ({account.domain})  {account.industry or ''}  {account.country or ''}")
    out.print(
        f"Employees {account.employees if account.employees is not None else '-'}   owner {account.owner or '-'}   "
        f"stage {account.stage or '-'}   as of {when(now)} UTC"
    )
    out.print(
        f"Engagement {account.engagement:.1f} from {account.people_engaged} of {len(account.people)} people "
        f"engaged; {rule_text(account)}."
    )
    table = Table(PEOPLE, chosen)
    for p in account.people:
        table.add(
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
    table.print()


ACCOUNTS = (
    Column("domain", Whole.WORD),
    Column("name"),
    Column("owner", Whole.WORD),
    Column("people", Kind.COUNT),
    Column("people_engaged", Kind.COUNT, "engaged"),
    Column("engagement", Whole.FIGURE),
    Column("meets_rule", Whole.WORD, "meets rule"),
)


@account_app.command("list")
def account_list(
    at: At = None,
    limit: Annotated[int, typer.Option(min=1, help="How many accounts to list.")] = 20,
    columns: Columns = None,
    wide: Wide = False,
    as_json: Json = False,
) -> None:
    """The accounts with the most engagement, most first."""
    now, chosen = clock_for(at).now(), view(columns, wide)
    rows = with_agreement(lambda uow, inforce: accounts.top(uow, inforce, now, limit))
    if as_json:
        out.print_json(to_json([dataclasses.asdict(r) for r in rows]))
        return
    table = Table(ACCOUNTS, chosen)
    for r in rows:
        meets = "-" if r.meets_rule is None else ("yes" if r.meets_rule else "no")
        table.add(
            r.domain or "-", r.name or "-", r.owner or "-", r.people, r.people_engaged, f"{r.engagement:.1f}", meets
        )
    table.print()


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
        account = accounts.set_owner(uow, clock_for(None), domain, None if clear else rep)
        name = account.domain
    out.print(f"{name} is owned by {rep}." if not clear else f"{name} has no owner now.")
