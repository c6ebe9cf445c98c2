"""``leadpact dedupe``: likely duplicate people and accounts, and merging two records into one."""

from __future__ import annotations

from typing import Annotated

import typer

from leadpact.cli.common import At, Json, clock_for, out, to_json, unit_of_work, with_agreement
from leadpact.cli.tables import Column, Table, View, Whole, Wide
from leadpact.domain.report import Kind
from leadpact.services import dedupe, intake

dedupe_app = typer.Typer(
    help="Likely duplicate people and accounts, with their match probability; merge them into one record.",
    invoke_without_command=True,
)

Threshold = Annotated[
    float,
    typer.Option("--threshold", help="Show the pairs at or above this match probability (0 to 1).", min=0.0, max=1.0),
]
Yes = Annotated[bool, typer.Option("--yes", help="Merge without asking for confirmation.")]

PEOPLE = (
    Column("probability", Whole.FIGURE),
    Column("keep", Whole.WORD),
    Column("keep_name", title="name", wide=True),
    Column("keep_stage", Whole.WORD, "stage", wide=True),
    Column("merge", Whole.WORD),
    Column("merge_name", title="name", wide=True),
    Column("merge_stage", Whole.WORD, "stage", wide=True),
)
ACCOUNTS = (
    Column("probability", Whole.FIGURE),
    Column("basis", Whole.WORD),
    Column("keep", Whole.WORD),
    Column("keep_name", title="name"),
    Column("keep_people", Kind.COUNT, "people", wide=True),
    Column("merge", Whole.WORD),
    Column("merge_name", title="name"),
    Column("merge_people", Kind.COUNT, "people", wide=True),
)


@dedupe_app.callback()
def find(
    ctx: typer.Context, threshold: Threshold = dedupe.DEFAULT_THRESHOLD, wide: Wide = False, as_json: Json = False
) -> None:
    """List the likely duplicate people (splink) and accounts (domain, name, rapidfuzz), most likely first; --wide
    adds their names, stages and people."""
    if ctx.invoked_subcommand is not None:
        return
    with unit_of_work() as uow:
        people = dedupe.people_pairs(uow, threshold)
        accounts = dedupe.account_pairs(uow, threshold)
    if as_json:
        out.print_json(to_json({"threshold": threshold, "people": people, "accounts": accounts}))
        return
    table = Table(PEOPLE, View(wide=wide), "People")
    for p in people:
        table.add(
            f"{p.probability:.3f}", p.keep.email, p.keep.name, p.keep.stage, p.other.email, p.other.name, p.other.stage
        )
    table.print(empty=f"No likely duplicate people at or above {threshold:g}.")
    table = Table(ACCOUNTS, View(wide=wide), "Accounts")
    for a in accounts:
        table.add(
            f"{a.probability:.3f}",
            a.basis,
            a.keep.domain or "-",
            a.keep.name or "-",
            a.keep.people,
            a.other.domain or "-",
            a.other.name or "-",
            a.other.people,
        )
    table.print(empty=f"No likely duplicate accounts at or above {threshold:g}.")
    if people or accounts:
        out.print("Merge with 'leadpact dedupe merge KEEP OTHER' or 'leadpact dedupe merge-accounts KEEP OTHER'.")


@dedupe_app.command("merge")
def merge(
    keep: Annotated[str, typer.Argument(help="The lead to keep: its email or id.")],
    other: Annotated[str, typer.Argument(help="The duplicate merged into it: its email or id.")],
    yes: Yes = False,
    at: At = None,
    as_json: Json = False,
) -> None:
    """Merge the lead OTHER into KEEP: its events and score ledger move, KEEP keeps the stage furthest along, and
    OTHER points to KEEP from then on."""
    with unit_of_work() as uow:
        a, b = intake.find_lead(uow, keep), intake.find_lead(uow, other)
        question = f"Merge {b.email} ({b.stage}) into {a.email} ({a.stage})?"
    if not yes and not typer.confirm(question):
        raise typer.Exit(1)
    clock = clock_for(at)
    done = with_agreement(lambda uow, inforce: dedupe.merge_leads(uow, clock, inforce, keep, other))
    if as_json:
        out.print_json(to_json(done))
        return
    out.print(
        f"Merged lead {done.merged} into {done.survivor}: {done.events} events and {done.ledger_rows} ledger rows "
        f"moved; stage {done.stage_before}"
        + (f" -> {done.stage_after}" if done.stage_after != done.stage_before else "")
        + (f"; took {', '.join(done.fields)}" if done.fields else "")
        + "."
    )


@dedupe_app.command("merge-accounts")
def merge_accounts(
    keep: Annotated[str, typer.Argument(help="The account to keep: its domain, e.g. acme.com.")],
    other: Annotated[str, typer.Argument(help="The duplicate account merged into it: its domain.")],
    yes: Yes = False,
    at: At = None,
    as_json: Json = False,
) -> None:
    """Merge the account OTHER into KEEP: its people move to KEEP, and leads captured later at OTHER's domain join
    KEEP."""
    with unit_of_work() as uow:
        a, b = dedupe.find_account(uow, keep), dedupe.find_account(uow, other)
        question = f"Merge the account {b.domain} ({b.name or '-'}) into {a.domain} ({a.name or '-'})?"
    if not yes and not typer.confirm(question):
        raise typer.Exit(1)
    clock = clock_for(at)
    done = with_agreement(lambda uow, inforce: dedupe.merge_accounts(uow, clock, inforce, keep, other))
    if as_json:
        out.print_json(to_json(done))
        return
    out.print(f"Merged the account {done.merged} into {done.survivor}: {done.people} people moved.")
