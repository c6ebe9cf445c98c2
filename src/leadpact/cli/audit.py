"""``leadpact audit``: the audit trail of every change made by a person or a token."""

from __future__ import annotations

from typing import Annotated

import typer

from leadpact.cli.common import Json, out, to_json, unit_of_work, when
from leadpact.cli.tables import Column, Columns, Table, Whole, Wide, view
from leadpact.domain.audit import ACTIONS
from leadpact.services import audit
from leadpact.services.clock import parse_moment

commands = typer.Typer()

ENTRIES = (
    Column("at", Whole.WORD, "at (UTC)"),
    Column("actor", title="who"),
    Column("via", title="from", wide=True),
    Column("action", title="did"),
    Column("subject", title="to"),
    Column("detail"),
)


@commands.command("audit")
def audit_cmd(
    since: Annotated[
        str | None, typer.Option(help="From this moment (ISO 8601) or day (YYYY-MM-DD, UTC) on.", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many entries, newest first.")] = 100,
    columns: Columns = None,
    wide: Wide = False,
    as_json: Json = False,
) -> None:
    """The audit trail: every change made by a person or a token, who made it, when and from where (--wide)."""
    start, chosen = parse_moment(since, "since") if since else None, view(columns, wide)
    with unit_of_work() as uow:
        rows = [
            (e.id, e.at, e.actor, e.via, e.address, e.action, e.subject, audit.detail_of(e))
            for e in audit.entries(uow, start, limit)
        ]
    keys = ("id", "at", "actor", "via", "address", "action", "subject", "detail")
    if as_json:
        out.print_json(to_json([dict(zip(keys, row, strict=True)) for row in rows]))
        return
    table = Table(ENTRIES, chosen)
    for _, at, actor, via, address, action, subject, detail in rows:
        words = ", ".join(f"{k} {v}" for k, v in detail.items() if v not in (None, "", [], {}))
        table.add(when(at), actor, f"{via} {address or ''}".strip(), ACTIONS.get(action, action), subject, words)
    table.print(empty="Nothing recorded" + (f" since {since}." if since else " yet."))
