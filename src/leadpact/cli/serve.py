"""``leadpact serve``: the web app, the JSON API and the background worker, in one process."""

from __future__ import annotations

from typing import Annotated

import typer

from leadpact.cli.common import as_at, err, out, state, unit_of_work
from leadpact.config import WEBHOOK_SECRET_ENV, WEBHOOKS_ENV
from leadpact.domain.errors import InvalidInput
from leadpact.services import activity, webhooks
from leadpact.services.clock import Clock, RunningClock, SystemClock, parse_moment
from leadpact.store.database import connect
from leadpact.store.unit_of_work import UnitOfWork

commands = typer.Typer()


def _clock_start(uow: UnitOfWork, text: str | None) -> Clock:
    if text is None:
        return SystemClock()
    if text != "latest":
        return RunningClock(parse_moment(text, "clock_start"))
    latest = activity.latest(uow)
    if latest is None:
        raise InvalidInput("--clock-start latest: the database records no activity yet")
    return RunningClock(latest)


@commands.command()
def serve(
    host: Annotated[str, typer.Option(help="The address to listen on (0.0.0.0 for every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port.")] = 8000,
    clock_start: Annotated[
        str | None,
        typer.Option(
            "--clock-start",
            help="Run the clock from this moment (ISO 8601) instead of now, or from 'latest', the last activity "
            "the database records: a demo world is served as if its year were ending now.",
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

    with unit_of_work() as uow:  # refuses a database that is not set up
        clock = _clock_start(uow, clock_start)
        subscribed = len(webhooks.subscriptions(uow))
    settings = state.settings
    application = create_app(settings, clock, worker_every=worker_seconds or None)
    where = connect(settings.database_url).url.render_as_string(hide_password=True)
    out.print(f"leadpact on {where}: http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    if clock_start:
        out.print(f"The clock runs from {as_at(clock.now())}.")
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
