"""The sales work on a lead: a rep's queue; accept, reject, contact, qualify, convert, stage, won, lost; disqualify;
and the sales feedback recorded on contact, lost and won."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from leadpact.cli.common import At, Json, LeadRef, Rep, clock_for, out, to_json, with_agreement
from leadpact.cli.tables import Column, Columns, Table, Whole, Wide, view
from leadpact.domain.errors import InvalidInput
from leadpact.domain.feedback import Given
from leadpact.services import feedback, intake, opportunities, queue, sales, team
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock, parse_date
from leadpact.store.unit_of_work import UnitOfWork

T = TypeVar("T")

commands = typer.Typer()

Competitor = Annotated[
    str | None, typer.Option(help="Feedback: the competitor met (from the agreement's feedback lists).")
]
Requests = Annotated[list[str] | None, typer.Option("--request", help="Feedback: a product request (repeatable).")]
Message = Annotated[str | None, typer.Option(help="Feedback: the message or campaign that opened the door.")]
Note = Annotated[str | None, typer.Option(help="Feedback: a free note.")]


def given(competitor: str | None, requests: list[str] | None, message: str | None, note: str | None) -> Given | None:
    """The feedback the options give, or None when they give none."""
    found = Given(competitor, tuple(requests or ()), message, note)
    return None if found == Given() else found


Step = Callable[[UnitOfWork, Clock, InForce, Any], T]


def and_feedback(step: Step[T], moment: str, told: Given | None, rep: str | None) -> Step[T]:
    """The rep's step, then the feedback on it when the options give some: one transaction, both or neither."""

    def work(uow: UnitOfWork, clock: Clock, inforce: InForce, found: Any) -> T:
        done = step(uow, clock, inforce, found)
        if told is not None:
            feedback.record(uow, clock, inforce, found, moment, told, rep)
        return done

    return work


QUEUE = (
    Column("lead_id", Whole.FIGURE, "lead", wide=True),
    Column("email", Whole.WORD),
    Column("stage", Whole.WORD),
    Column("priority", Whole.WORD),
    Column("score", Whole.FIGURE),
    Column("grade", Whole.WORD, wide=True),
    Column("source", Whole.WORD, wide=True),
    Column("top_reasons", title="why"),
    Column("sla", title="SLA"),
)


@commands.command("queue")
def queue_cmd(
    rep: Annotated[str, typer.Argument(help="The rep.")],
    at: At = None,
    columns: Columns = None,
    wide: Wide = False,
    as_json: Json = False,
) -> None:
    """A rep's leads: hottest first, then the SLA that runs out first."""
    now, chosen = clock_for(at).now(), view(columns, wide)
    items = with_agreement(lambda uow, inforce: queue.queue(uow, inforce, team.user_named(uow, rep), now))
    if as_json:
        out.print_json(to_json(items))
        return
    table = Table(QUEUE, chosen)
    for i in items:
        table.add(
            i.lead_id,
            i.email,
            i.stage,
            i.priority,
            f"{i.score:.1f}",
            i.grade,
            i.source or "-",
            "; ".join(i.top_reasons),
            i.sla,
        )
    table.print(empty=f"{rep} has no open leads.")


def act(at: str | None, work: Callable[[UnitOfWork, Clock, InForce, Any], T], lead: str) -> T:
    clock = clock_for(at)
    return with_agreement(lambda uow, inforce: work(uow, clock, inforce, intake.lead_for_change(uow, lead)))


@commands.command()
def accept(lead: LeadRef, rep: Rep = None, at: At = None) -> None:
    """Accept a lead handed to you (it becomes a sales-accepted lead)."""
    act(at, lambda uow, clock, inforce, found: sales.accept(uow, clock, inforce, found, rep), lead)
    out.print(f"{lead} accepted.")


@commands.command()
def reject(
    lead: LeadRef,
    reason: Annotated[str, typer.Option(help="A reject reason of the agreement (see 'agreement show').")],
    rep: Rep = None,
    at: At = None,
    note: Annotated[
        str | None, typer.Option(help="Why, in your words: kept with the lead's history for marketing to read.")
    ] = None,
) -> None:
    """Send a lead back to marketing with a reason: recycled to nurture, or disqualified."""
    act(at, lambda uow, clock, inforce, found: sales.reject(uow, clock, inforce, found, reason, rep, note), lead)
    out.print(f"{lead} rejected: {reason}" + (", with your note." if note and note.strip() else "."))


@commands.command()
def contact(
    lead: LeadRef,
    rep: Rep = None,
    at: At = None,
    competitor: Competitor = None,
    request: Requests = None,
    message: Message = None,
    note: Note = None,
) -> None:
    """Log a contact with the lead (the first one stops the first-contact SLA clock), with any feedback."""
    told = given(competitor, request, message, note)
    first = act(at, and_feedback(lambda u, c, i, f: sales.contact(u, c, f, rep), "contact", told, rep), lead)
    out.print(
        f"Contact with {lead} logged" + (" (first contact)" if first else "") + (", with feedback." if told else ".")
    )


@commands.command()
def qualify(
    lead: LeadRef,
    budget: Annotated[str | None, typer.Option(help="Answer to the budget question.")] = None,
    authority: Annotated[str | None, typer.Option(help="Answer to the authority question.")] = None,
    timing: Annotated[str | None, typer.Option(help="Answer to the timing question.")] = None,
    answer: Annotated[list[str] | None, typer.Option(help="Any other question: KEY=VALUE (repeatable).")] = None,
    rep: Rep = None,
    at: At = None,
) -> None:
    """Record the qualification answers: the accepted lead becomes a sales-qualified lead."""
    answers = {k: v for k, v in (("budget", budget), ("authority", authority), ("timing", timing)) if v}
    for item in answer or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise InvalidInput(f"--answer: '{item}' is not KEY=VALUE")
        answers[key.strip()] = value.strip()
    act(at, lambda uow, clock, inforce, found: sales.qualify(uow, clock, inforce, found, answers, rep), lead)
    out.print(f"{lead} is sales-qualified.")


@commands.command()
def convert(
    lead: LeadRef,
    amount: Annotated[float, typer.Option(help="Expected deal amount.")],
    close_date: Annotated[str, typer.Option(help="Expected close date, YYYY-MM-DD.")],
    rep: Rep = None,
    at: At = None,
) -> None:
    """Convert a sales-qualified lead to an opportunity in the first sales stage."""
    close = parse_date(close_date, "close_date")
    opp = act(
        at,
        lambda uow, clock, inforce, found: opportunities.convert(uow, clock, inforce, found, amount, close, rep),
        lead,
    )
    out.print(f"{lead} is now opportunity {opp.id} in stage {opp.stage}.")


@commands.command()
def stage(
    lead: LeadRef,
    to: Annotated[str, typer.Argument(help="The next sales stage, or an earlier one.")],
    rep: Rep = None,
    at: At = None,
) -> None:
    """Move the lead's opportunity to another sales stage."""
    act(
        at,
        lambda uow, clock, inforce, found: opportunities.move_stage(uow, clock, inforce, found, to, rep),
        lead,
    )
    out.print(f"{lead}: opportunity moved to {to}.")


@commands.command()
def won(
    lead: LeadRef,
    rep: Rep = None,
    at: At = None,
    competitor: Competitor = None,
    request: Requests = None,
    message: Message = None,
    note: Note = None,
) -> None:
    """Close the lead's opportunity as won: the lead becomes a customer; with any feedback."""
    told = given(competitor, request, message, note)
    act(at, and_feedback(lambda u, c, i, f: opportunities.win(u, c, i, f, rep), "won", told, rep), lead)
    out.print(f"{lead}: won" + (", with feedback." if told else "."))


@commands.command()
def lost(
    lead: LeadRef,
    reason: Annotated[str, typer.Option(help="A lost reason of the opportunity's current stage.")],
    rep: Rep = None,
    at: At = None,
    competitor: Competitor = None,
    request: Requests = None,
    message: Message = None,
    note: Note = None,
) -> None:
    """Close the lead's opportunity as lost, with a reason; the lead goes back to nurturing. With any feedback."""
    told = given(competitor, request, message, note)
    act(at, and_feedback(lambda u, c, i, f: opportunities.lose(u, c, i, f, reason, rep), "lost", told, rep), lead)
    out.print(f"{lead}: lost ({reason})" + (", with feedback." if told else "."))


@commands.command("feedback")
def feedback_cmd(
    lead: LeadRef,
    moment: Annotated[str, typer.Option(help="What the feedback is on: contact, lost or won.")],
    rep: Rep = None,
    at: At = None,
    competitor: Competitor = None,
    request: Requests = None,
    message: Message = None,
    note: Note = None,
) -> None:
    """Record sales feedback on a lead's contact, lost or won deal after the fact, from the agreement's lists."""
    told = given(competitor, request, message, note) or Given()
    act(at, lambda uow, clock, inforce, found: feedback.record(uow, clock, inforce, found, moment, told, rep), lead)
    out.print(f"{lead}: feedback on {moment} recorded.")


@commands.command()
def disqualify(
    lead: LeadRef,
    reason: Annotated[str, typer.Option(help="A reject reason of the agreement that disqualifies.")],
    by: Annotated[str | None, typer.Option(help="The marketing user taking it out.")] = None,
    at: At = None,
) -> None:
    """Marketing takes an inquiry out for good (spam, bad data, a competitor)."""
    act(at, lambda uow, clock, inforce, found: sales.disqualify(uow, clock, inforce, found, reason, by), lead)
    out.print(f"{lead} disqualified: {reason}.")
