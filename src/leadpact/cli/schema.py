"""``leadpact init``: the database schema, created or upgraded."""

from __future__ import annotations

import typer

from leadpact.cli.common import out, state
from leadpact.store.database import connect, migrate

commands = typer.Typer()


@commands.command()
def init() -> None:
    """Create or upgrade the database schema; safe to run again."""
    engine = connect(state.settings.database_url)
    try:
        before, after = migrate(engine)
    finally:
        engine.dispose()
    where = engine.url.render_as_string(hide_password=True)
    if before == after:
        out.print(f"{where} is up to date (schema {after}).")
    else:
        out.print(f"{where} migrated from {before or 'empty'} to schema {after}.")
