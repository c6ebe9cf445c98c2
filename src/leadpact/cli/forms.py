"""``leadpact form``: the web forms on your own site that post leads to ``POST /capture/{key}``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from leadpact.cli.common import Json, clock_for, out, to_json, unit_of_work
from leadpact.cli.tables import Column, Columns, Table, Whole, Wide, view
from leadpact.services import forms, imports

form_app = typer.Typer(help="Web forms on your own site that post leads to POST /capture/{key}.", no_args_is_help=True)


@form_app.command("add")
def form_add(
    name: Annotated[str, typer.Argument(help="The form, e.g. 'contact us'.")],
    source: Annotated[str, typer.Option(help="The source its leads get, e.g. website.")] = "website",
    origin: Annotated[
        list[str] | None,
        typer.Option("--origin", help="A site allowed to post it from a browser, e.g. https://www.acme.com (repeat)."),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help='A form field in the lead\'s terms, e.g. "work_email=email" (repeat).'),
    ] = None,
    campaign: Annotated[str | None, typer.Option(help="The campaign its leads and events belong to.")] = None,
    event_type: Annotated[str, typer.Option(help="The event each submission records.")] = forms.DEFAULT_EVENT,
) -> None:
    """Add a web form: its key goes into the form's action URL on your site."""
    mapping = imports.map_pairs(map_ or [])
    with unit_of_work() as uow:
        form = forms.add_form(uow, clock_for(None), name, source, origin or [], mapping, campaign, event_type)
        key = form.key
    out.print(f"Form '{name}' posts to /capture/{key} (form-encoded or JSON).")
    out.print(f'The HTML to paste on your site: leadpact form snippet "{name}"')
    if not origin:
        out.print("No --origin was given: browsers on other sites cannot post it; servers can.")


FORMS = (
    Column("name"),
    Column("key", Whole.WORD),
    Column("source", Whole.WORD),
    Column("event_type", Whole.WORD),
    Column("origins"),
)


@form_app.command("list")
def form_list(columns: Columns = None, wide: Wide = False, as_json: Json = False) -> None:
    """Every capture form with its key, source, event and allowed origins."""
    chosen = view(columns, wide)
    with unit_of_work() as uow:
        rows = [(f.name, f.key, f.source, f.event_type, forms.allowed_origins(f)) for f in forms.forms(uow)]
    keys = ("name", "key", "source", "event_type", "origins")
    if as_json:
        out.print_json(to_json([dict(zip(keys, row, strict=True)) for row in rows]))
        return
    table = Table(FORMS, chosen)
    for name, key, source, event_type, origins in rows:
        table.add(name, key, source, event_type, " ".join(origins) or "-")
    table.print()


@form_app.command("snippet")
def form_snippet(
    name: Annotated[str, typer.Argument(help="The form ('leadpact form list').")],
    base_url: Annotated[
        str, typer.Option(help="Where leadpact is served, as the site's visitors reach it.")
    ] = "http://127.0.0.1:8000",
) -> None:
    """The HTML of the form to paste on your site: its fields, a consent box, and a trap for programs.

    A field hidden from people is filled only by programs that fill every field: such a submission is
    answered as usual and not taken. Rename the inputs freely: the form's --map says what each one is.
    """
    with unit_of_work() as uow:
        form = forms.form_named(uow, name)
        html = forms.snippet(form, f"{base_url.rstrip('/')}/capture/{form.key}")
    sys.stdout.write(html + "\n")
