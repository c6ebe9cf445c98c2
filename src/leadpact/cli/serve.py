"""``leadpact serve``: the web app, the JSON API and the background worker, in one process."""

from __future__ import annotations

from typing import Annotated

import typer

from leadpact.cli.common import as_at, err, out, state, unit_of_work
from leadpact.config import WEBHOOK_SECRET_ENV, WEBHOOKS_ENV
from leadpact.services import store_clock, webhooks
from leadpact.services.clock import SystemClock
from leadpact.store.database import connect

commands = typer.Typer()


@commands.command()
def serve(
    host: Annotated[str, typer.Option(help="The address to listen on (0.0.0.0 for every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port.")] = 8000,
    clock_start: Annotated[
        str | None,
        typer.Option(
            "--clock-start",
            help="Set the store's clock to this moment (ISO 8601), or to 'latest', the last activity the database "
            "records, as 'leadpact clock set' does: the app and every command then run on it (a demo world as if "
            "its year were ending now) until 'leadpact clock clear'. 'leadpact demo' sets it already.",
        ),
    ] = None,
    worker_seconds: Annotated[
        float, typer.Option(help="How often the worker checks the SLA and delivers the outbox (0: no worker).")
    ] = 5.0,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            help="The proxies in front whose X-Forwarded-For and X-Forwarded-Proto are believed (addresses, or '*'): "
            "sign-in throttling and capture limits then count each visitor's own address, and HTTPS is seen as "
            "such. Only the same host's by default."
        ),
    ] = "127.0.0.1",
) -> None:
    """Serve the web app, the JSON API (docs at /docs) and the background worker, in one process.

    The worker records SLA breaches and acts on them, and delivers the outbox: each message to the webhooks
    subscribed to its topic ('leadpact webhook add'), signed; to each URL in LEADPACT_WEBHOOKS (signed with
    LEADPACT_WEBHOOK_SECRET); and emails through LEADPACT_SMTP_URL (smtp://host:port) from LEADPACT_MAIL_FROM.
    """
    # the web stack takes most of a second to import: only this command pays for it
    import uvicorn

    from leadpact.app import create_app

    real = SystemClock()
    with unit_of_work() as uow:  # refuses a database that is not set up
        if clock_start is not None:
            store_clock.set_to(uow, real, store_clock.start_of(uow, clock_start, "clock_start"))
        setting = store_clock.current(uow)
        subscribed = len(webhooks.subscriptions(uow))
    settings = state.settings
    application = create_app(settings, real, worker_every=worker_seconds or None)
    where = connect(settings.database_url).url.render_as_string(hide_password=True)
    out.print(f"leadpact on {where}: http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    if setting is not None:
        out.print(
            f"The clock runs from {as_at(setting.clock(real).now())}: the store's clock, set by {setting.set_by}; "
            "'leadpact clock clear' returns the app and every command to real time, also while it runs."
        )
    if worker_seconds:
        channels = [*settings.webhooks, *([settings.smtp_url] if settings.smtp_url else [])]
        if subscribed:
            channels.append(f"{subscribed} webhook subscription{'s' if subscribed != 1 else ''}")
        out.print(
            f"Worker every {worker_seconds:g} s; delivering to: {', '.join(channels) or 'nowhere yet (outbox keeps)'}"
        )
        if settings.webhooks and not settings.webhook_secret:
            err.print(
                f"note: the {WEBHOOKS_ENV} deliveries are not signed: set {WEBHOOK_SECRET_ENV}, or subscribe the "
                "URLs with 'leadpact webhook add' (each gets its own secret)"
            )
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
    )
