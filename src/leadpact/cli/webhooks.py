"""``leadpact webhook``: the URLs that receive the outbox's messages, signed."""

from __future__ import annotations

from typing import Annotated

import typer

from leadpact.cli.common import Json, clock_for, out, to_json, unit_of_work, when
from leadpact.cli.tables import Column, Columns, Table, Whole, Wide, view
from leadpact.domain.report import Kind
from leadpact.services import outbox, webhooks

webhook_app = typer.Typer(
    help="Webhooks: URLs that receive the outbox's messages (lead.assigned, sla.breached, ...), signed.",
    no_args_is_help=True,
)


@webhook_app.command(
    "add",
    help="Subscribe a URL to the outbox's messages; prints the secret that signs them, once.\n\n"
    "Each delivery is a JSON POST with 'Leadpact-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "
    "\"<t>.<body>\">' and a 'Leadpact-Delivery' id that stays the same on retries; docs/webhooks.md shows how to "
    f"verify it. Topics: {', '.join(outbox.TOPICS)}.",
)
def webhook_add(
    url: Annotated[str, typer.Argument(help="Where to POST the messages, e.g. https://crm.example.com/hooks/leads.")],
    topic: Annotated[
        list[str] | None,
        typer.Option("--topic", help="A topic to receive, e.g. lead.assigned, or lead.* (repeat; default: all)."),
    ] = None,
    as_json: Json = False,
) -> None:
    with unit_of_work() as uow:
        hook, secret = webhooks.add(uow, clock_for(None), url, topic or [])
        webhook_id, address, topics = hook.id, hook.url, hook.topics.split()
    if as_json:
        out.print_json(to_json({"id": webhook_id, "url": address, "topics": topics, "secret": secret}))
        return
    out.print(f"Webhook {webhook_id} receives {', '.join(topics) or 'every topic'} at {address}.")
    out.print("Its signing secret, shown only now (docs/webhooks.md shows how to verify a delivery with it):")
    out.print(secret, soft_wrap=True)


HOOKS = (
    Column("id", Whole.FIGURE),
    Column("url"),
    Column("topics", wide=True),
    Column("delivered", Kind.COUNT),
    Column("waiting", Kind.COUNT),
    Column("failing", Kind.COUNT),
    Column("last_error", title="last error"),
)


@webhook_app.command("list")
def webhook_list(columns: Columns = None, wide: Wide = False, as_json: Json = False) -> None:
    """Every webhook and how its deliveries go: delivered, waiting, failing and the last error; --wide adds the
    topics it takes."""
    chosen = view(columns, wide)
    with unit_of_work() as uow:
        rows = webhooks.subscriptions(uow)
    if as_json:
        out.print_json(to_json(rows))
        return
    table = Table(HOOKS, chosen)
    for row in rows:
        error = (
            f"{row.last_error} ({row.attempts} attempts, the last {when(row.last_attempt_at)}; "
            f"next after {when(row.retry_at)})"
            if row.failing
            else "-"
        )
        table.add(row.id, row.url, ", ".join(row.topics) or "all", row.delivered, row.waiting, row.failing, error)
    table.print(empty="No webhook yet: 'leadpact webhook add URL'.")


@webhook_app.command("remove")
def webhook_remove(
    webhook_id: Annotated[int, typer.Argument(help="The webhook's id ('leadpact webhook list').")],
) -> None:
    """Remove a webhook: nothing more is sent to it, not even what was waiting."""
    with unit_of_work() as uow:
        url = webhooks.remove(uow, clock_for(None), webhook_id).url
    out.print(f"Webhook {webhook_id} ({url}) is removed.")
