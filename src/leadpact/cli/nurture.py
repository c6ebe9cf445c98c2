"""``leadpact nurture``: the sequences of emails that keep leads warm until they are ready for sales."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer

from leadpact.cli.common import At, Json, clock_for, out, state, to_json, unit_of_work
from leadpact.cli.tables import Column, Columns, Table, Whole, Wide, view
from leadpact.domain.errors import InvalidInput
from leadpact.domain.report import Kind
from leadpact.services import agreements, nurture

nurture_app = typer.Typer(
    help="Nurture sequences: adopt the file, list and show them, enrol leads, and what their emails did.",
    no_args_is_help=True,
)


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{file}: cannot read it ({exc.strerror})") from exc


@nurture_app.command("adopt")
def nurture_adopt(
    file: Annotated[Path, typer.Argument(help="The sequence file (YAML; docs/nurture.md).")],
    by: Annotated[str, typer.Option("--by", help="Who adopts it: a marketing user or marketing-side manager.")],
    at: At = None,
) -> None:
    """Adopt a sequence file: it becomes the next version, in force from now. Every problem is listed with its
    line and key."""
    with unit_of_work() as uow:
        row = nurture.adopt(uow, clock_for(at), agreements.in_force(uow), _read(file), str(file), by)
        version, count = row.version, len(nurture.required(uow)[1].sequences)
    out.print(f"Adopted {file} as nurture version {version} ({count} sequences), by {by}.")


SEQUENCES = (
    Column("name", Whole.WORD, "sequence"),
    Column("entry"),
    Column("steps", Kind.COUNT),
    Column("active", Kind.COUNT, "in it now"),
    Column("enrolled", Kind.COUNT, "ever enrolled"),
)


@nurture_app.command("list")
def nurture_list(columns: Columns = None, wide: Wide = False, as_json: Json = False) -> None:
    """The sequences in force: entry, steps, leads in each now and ever."""
    chosen = view(columns, wide)
    with unit_of_work() as uow:
        version, rows = nurture.sequences(uow)
    if as_json:
        out.print_json(to_json({"version": version, "sequences": rows}))
        return
    table = Table(SEQUENCES, chosen, f"Nurture version {version}")
    for r in rows:
        table.add(r.name, r.entry, r.steps, r.active, r.enrolled)
    table.print()


@nurture_app.command("show")
def nurture_show(name: Annotated[str, typer.Argument(help="The sequence's name ('leadpact nurture list').")]) -> None:
    """A sequence's entry and each step: the wait, the subject, the body, its links and branches."""
    with unit_of_work() as uow:
        seq = nurture.sequence(uow, name)
    out.print(f"Sequence {seq.name}, entry: {seq.entry}")
    for step in seq.steps:
        branches = ", ".join(f"{event} -> step {n}" for event, n in step.branches.items())
        out.print(f"\nStep {step.number}, after {step.wait_days:g} working day(s): {step.subject}")
        if branches:
            out.print(f"  branches: {branches}")
        for line in step.body.rstrip().splitlines():
            out.print(f"  | {line}")


@nurture_app.command("enroll")
def nurture_enroll(
    sequence: Annotated[str, typer.Argument(help="The sequence's name.")],
    emails: Annotated[list[str] | None, typer.Argument(help="The leads' email addresses.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", help="A CSV file with an 'email' column (or one address a line).")
    ] = None,
    at: At = None,
) -> None:
    """Enrol leads in a sequence by hand; a lead already in it stays where it is."""
    wanted = list(emails or []) + (_emails_in(file) if file else [])
    with unit_of_work() as uow:
        done = nurture.enroll(uow, clock_for(at), agreements.in_force(uow), sequence, wanted)
    out.print(f"Enrolled {len(done.enrolled)} lead(s) in {sequence}.")
    if done.already:
        out.print(f"Already in it: {', '.join(done.already)}")


def _emails_in(file: Path) -> list[str]:
    rows = list(csv.reader(_read(file).splitlines()))
    if not rows:
        return []
    header = [h.strip().lower() for h in rows[0]]
    if "email" in header:
        column = header.index("email")
        return [row[column] for row in rows[1:] if len(row) > column]
    return [row[0] for row in rows if row]


STATS = (
    Column("sequence", Whole.WORD),
    Column("step"),
    Column("enrolled", Kind.COUNT),
    Column("sent", Kind.COUNT),
    Column("opened", Kind.COUNT),
    Column("clicked", Kind.COUNT),
    Column("unsubscribed", Kind.COUNT, wide=True),
    Column("bounced", Kind.COUNT, wide=True),
    Column("qualified", Kind.COUNT),
    Column("waiting", Kind.COUNT, wide=True),
)
COUNTED = ("sent", "opened", "clicked", "unsubscribed", "bounced", "qualified", "waiting")
"""The counts of a sequence and of each of its steps, after those enrolled."""


@nurture_app.command("stats")
def nurture_stats(columns: Columns = None, wide: Wide = False, as_json: Json = False) -> None:
    """Per sequence and step: enrolled, sent, opened, clicked, qualified (--wide: unsubscribed, bounced, waiting)."""
    chosen = view(columns, wide)
    with unit_of_work() as uow:
        rows = nurture.stats(uow)
        waiting = sum(s.total("waiting") for s in rows)
    if as_json:
        out.print_json(to_json(rows))
        return
    table = Table(STATS, chosen)
    for s in rows:
        table.add(s.name, "all", s.enrolled, *(s.total(k) for k in COUNTED))
        for step in s.steps:
            table.add("", f"{step.step}. {step.subject}", step.written, *(getattr(step, k) for k in COUNTED))
    table.print()
    if waiting and state.settings.smtp_url is None:
        out.print(f"{waiting} email(s) wait in the outbox: no LEADPACT_SMTP_URL is set, so nothing is sent.")
    elif waiting:
        out.print(f"{waiting} email(s) wait in the outbox for the worker ('leadpact serve').")
