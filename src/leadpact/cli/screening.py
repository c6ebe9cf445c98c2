"""The qualifiers' commands: the screening queue, a call, the answers, and pass, not yet or disqualify."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from leadpact.cli.common import At, Json, LeadRef, clock_for, out, to_json, when, with_agreement
from leadpact.cli.tables import Column, Columns, Table, Whole, Wide, view
from leadpact.domain.errors import InvalidInput
from leadpact.services import intake, screening
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.unit_of_work import UnitOfWork

T = TypeVar("T")

screening_app = typer.Typer(help="Screening: the qualifiers call the inquiries the agreement sends them.")

Qualifier = Annotated[
    str | None, typer.Option("--qualifier", help="The qualifier acting (of the screening team), for the record.")
]
Note = Annotated[str | None, typer.Option(help="A note: for the rep on a pass, for marketing otherwise.")]
Answers = Annotated[
    list[str] | None,
    typer.Argument(help="Answers to the agreement's questions, as QUESTION=ANSWER.", show_default=False),
]


def parse_answers(items: list[str] | None) -> dict[str, str]:
    answers: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"'{item}' is not QUESTION=ANSWER, e.g. budget=yes")
        answers[key.strip()] = value.strip()
    return answers


def act(at: str | None, work: Callable[[UnitOfWork, Clock, InForce, Any], T], lead: str) -> T:
    clock = clock_for(at)
    return with_agreement(lambda uow, inforce: work(uow, clock, inforce, intake.lead_for_change(uow, lead)))


QUEUE = (
    Column("lead_id", Whole.FIGURE, "lead", wide=True),
    Column("email", Whole.WORD),
    Column("priority", Whole.WORD, wide=True),
    Column("score", Whole.FIGURE),
    Column("grade", Whole.WORD, wide=True),
    Column("source", Whole.WORD, wide=True),
    Column("first_call", title="first call"),
    Column("calls"),
    Column("answers"),
)


@screening_app.command("queue")
def queue_cmd(at: At = None, columns: Columns = None, wide: Wide = False, as_json: Json = False) -> None:
    """The leads in screening: hottest first, then the first call that is due first."""
    now, chosen = clock_for(at).now(), view(columns, wide)
    items = with_agreement(lambda uow, inforce: screening.queue(uow, inforce, now))
    if as_json:
        out.print_json(to_json(items))
        return
    table = Table(QUEUE, chosen)
    for i in items:
        due = f"{'overdue' if i.overdue else 'due'} {when(i.call_due)}"
        table.add(
            i.lead_id,
            i.email,
            i.priority,
            f"{i.score:.1f}",
            i.grade,
            i.source or "-",
            f"made {when(i.first_call_at)}" if i.first_call_at else due,
            f"{i.calls}" + (f" (last: {i.last_outcome})" if i.last_outcome else ""),
            ", ".join(f"{k}={v}" for k, v in i.answers.items()) or "-",
        )
    table.print(empty="No leads are waiting for screening.")


@screening_app.command()
def call(
    lead: LeadRef,
    outcome: Annotated[str, typer.Option(help="How the call went: reached, no_answer or wrong_number.")],
    note: Note = None,
    qualifier: Qualifier = None,
    at: At = None,
) -> None:
    """Log a call to a lead in screening (the first one stops the first-call clock)."""
    first = act(
        at,
        lambda uow, clock, inforce, found: screening.call(uow, clock, inforce, found, outcome, note, qualifier),
        lead,
    )
    out.print(f"Call to {lead} logged: {outcome}" + (" (first call)." if first else "."))


@screening_app.command()
def answer(lead: LeadRef, answers: Answers = None, qualifier: Qualifier = None, at: At = None) -> None:
    """Record answers to the agreement's questions, e.g. budget=yes authority=influencer."""
    given = parse_answers(answers)
    act(at, lambda uow, clock, inforce, found: screening.answer(uow, clock, inforce, found, given, qualifier), lead)
    out.print(f"{lead}: answers recorded ({', '.join(f'{k}={v}' for k, v in given.items())}).")


@screening_app.command("pass")
def pass_cmd(
    lead: LeadRef, answers: Answers = None, note: Note = None, qualifier: Qualifier = None, at: At = None
) -> None:
    """Pass the lead to sales (with any answers given): it becomes an MQL, routed and dealt to a rep."""
    given = parse_answers(answers)
    rep = act(
        at,
        lambda uow, clock, inforce, found: screening.pass_to_sales(uow, clock, inforce, found, note, qualifier, given),
        lead,
    )
    out.print(f"{lead} passed to sales: " + (f"dealt to {rep.name}." if rep else "waiting for an available rep."))


@screening_app.command("not-yet")
def not_yet(lead: LeadRef, note: Note = None, qualifier: Qualifier = None, at: At = None) -> None:
    """Send the lead back to nurture: recycled, back in screening only after the agreement's cooldown."""
    act(at, lambda uow, clock, inforce, found: screening.not_yet(uow, clock, inforce, found, note, qualifier), lead)
    out.print(f"{lead} sent back to nurture.")


@screening_app.command()
def disqualify(
    lead: LeadRef,
    reason: Annotated[str, typer.Option(help="A reason to disqualify of the agreement (see 'agreement show').")],
    note: Note = None,
    qualifier: Qualifier = None,
    at: At = None,
) -> None:
    """Take the lead out for good, with a reason."""
    act(
        at,
        lambda uow, clock, inforce, found: screening.disqualify(uow, clock, inforce, found, reason, note, qualifier),
        lead,
    )
    out.print(f"{lead} disqualified: {reason}.")
