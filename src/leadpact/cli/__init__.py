"""The ``leadpact`` command line: every use case, one command each; ``--help`` on any of them teaches it.

Each section module holds its commands, thin over the services; this one composes them under the root command.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from leadpact.cli import (
    accounts,
    agreement,
    audit,
    clock,
    dedupe,
    demo,
    export,
    forms,
    health,
    imports,
    leads,
    model,
    nurture,
    people,
    profile,
    reports,
    sales,
    schema,
    scoring,
    screening,
    serve,
    team,
    webhooks,
    workshop,
)
from leadpact.cli.common import err, out, state, width, worded
from leadpact.config import DATABASE_ENV, Settings
from leadpact.domain.errors import LeadpactError

app = typer.Typer(
    help="leadpact: the lead agreement between marketing and sales, enforced on every lead.\n\n"
    "Start with 'leadpact demo' to see a whole world run through it, or 'leadpact init' and "
    "'leadpact agreement adopt FILE' to set up your own.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
# --help lists the commands in the order they are added: those of the root first, then each group.
for section in (schema, scoring, sales, imports, audit, health, serve, demo):
    app.add_typer(section.commands)
app.add_typer(agreement.agreement_app, name="agreement")
app.add_typer(leads.lead_app, name="lead")
app.add_typer(team.rep_app, name="rep")
app.add_typer(team.sla_app, name="sla")
app.add_typer(accounts.account_app, name="account")
app.add_typer(dedupe.dedupe_app, name="dedupe")
app.add_typer(reports.report_app, name="report")
app.add_typer(profile.profile_app, name="profile")
app.add_typer(model.model_app, name="model")
app.add_typer(workshop.workshop_app, name="workshop")
app.add_typer(people.user_app, name="user")
app.add_typer(people.token_app, name="token")
app.add_typer(forms.form_app, name="form")
app.add_typer(webhooks.webhook_app, name="webhook")
app.add_typer(nurture.nurture_app, name="nurture")
app.add_typer(screening.screening_app, name="screening")
app.add_typer(clock.clock_app, name="clock")
app.add_typer(export.export_app, name="export")


@app.callback()
def root(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help=f"Database URL (default: ${DATABASE_ENV}, else sqlite:///leadpact.db).",
            show_default=False,
        ),
    ] = None,
) -> None:
    state.settings = Settings.resolve(db)
    state.clock = None  # read afresh by each command: another may have set or cleared it
    out.width = width()  # as the command runs: the terminal, or COLUMNS, may have changed since the import


def main() -> None:
    """Entry point: user errors print one clear line and exit 2."""
    try:
        app()
    except LeadpactError as exc:
        err.print(f"error: {worded(exc)}")
        sys.exit(2)
