"""``leadpact lead``: look at leads, export everything held about a person, erase it."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer

from leadpact.cli.common import (
    At,
    Json,
    LeadRef,
    clock_for,
    err,
    out,
    state,
    to_json,
    unit_of_work,
    when,
    with_agreement,
)
from leadpact.cli.tables import Column, Columns, Table, View, Whole, Wide, view
from leadpact.services import browse, explain, intake, privacy, timeline
from leadpact.services.agreements import InForce
from leadpact.services.models import Prediction
from leadpact.store.database import connect
from leadpact.store.unit_of_work import UnitOfWork

lead_app = typer.Typer(help="Look at leads.", no_args_is_help=True)
SHOWN_REASONS = 8
"""The features of a prediction 'lead show' lists, the largest effects first."""


FIT = (Column("rule", Whole.WORD, "fit rule"), Column("points", Whole.FIGURE), Column("because"))
ENGAGEMENT = (
    Column("occurred", Whole.WORD, "occurred (UTC)"),
    Column("event", Whole.WORD),
    Column("id", Whole.WORD, wide=True),
    Column("points", Whole.FIGURE),
    Column("decay", Whole.FIGURE),
    Column("now", Whole.FIGURE),
)
HISTORY = (
    Column("at", Whole.WORD, "at (UTC)"),
    Column("from", Whole.WORD),
    Column("to", Whole.WORD),
    Column("by"),
    Column("reason"),
)
ACTIVITY = (Column("at", Whole.WORD, "at (UTC)"), Column("what"), Column("by"), Column("detail"))
PREDICTION = (
    Column("feature", Whole.WORD),
    Column("value"),
    Column("effect", Whole.FIGURE, "effect (log-odds)"),
    Column("words", title="in words"),
)


@lead_app.command("show")
def lead_show(lead: LeadRef, at: At = None, wide: Wide = False, as_json: Json = False) -> None:
    """Explain a lead: fit rules matched, every counted event with its decay, score, grade, stage, SLA; and, once a
    model is trained ('leadpact model train'), the model's chance for it with what raises and lowers it; then its
    activity timeline (events, screening calls and decisions, hand-offs, contacts, answers, stage and deal moves,
    sales feedback, nurture emails)."""
    now, chosen = clock_for(at).now(), View(wide=wide)

    def work(uow: UnitOfWork, inforce: InForce) -> tuple[explain.Explanation, list[timeline.Item]]:
        found = intake.find_lead(uow, lead)
        return explain.explain(uow, inforce, found, now), timeline.timeline(uow, found, now)

    x, activity = with_agreement(work)
    if as_json:
        out.print_json(to_json({**dataclasses.asdict(x), "activity": activity}))
        return
    out.print(f"{x.name or x.email} <{x.email}> (lead {x.id})  {x.title or ''} {x.company or ''}")
    if x.merged_into is not None:
        out.print(f"A duplicate merged into lead {x.merged_into}: its events and score are there now.")
    out.print(
        f"Score {x.score:.1f} = fit {x.fit:g} + engagement {x.engagement:.1f}   grade {x.grade}   "
        f"priority {x.priority}   stage {x.stage}   owner {x.owner or '-'}   as of {when(x.at)} UTC, "
        f"agreement v{x.version}"
    )
    table = Table(FIT, title="Fit")
    for f in x.fit_rules:
        table.add(f.rule, f"{f.points:+g}", f.rule_text)
    table.print(empty="Fit: no rule matched.")
    table = Table(ENGAGEMENT, chosen, "Engagement")
    for e in x.events:
        table.add(when(e.occurred_at), e.type, e.event_id, f"{e.points:+g}", f"x{e.factor:.3f}", f"{e.value:+.2f}")
    table.print(empty="Engagement: no counted event.")
    if x.predicted:
        _print_prediction(x.predicted)
    for n in x.nurture:
        out.print(f"Nurture: {n.sequence}, {n.where(when)}")
    if x.screening:
        s = x.screening
        answers = ", ".join(f"{k}={v}" for k, v in s.answers.items()) or "none"
        out.print(
            f"Screening: passed by {s.qualifier or '-'} on {when(s.decided_at)} after {s.calls} call(s); "
            f"answers {answers}" + (f"; note: {s.note}" if s.note else "")
        )
    if x.sla:
        out.print(
            f"SLA: with {x.sla.owner} since {when(x.sla.assigned_at)}; accept by {when(x.sla.accept_due)}, "
            f"first contact by {when(x.sla.contact_due)}: {x.sla.state}"
        )
    table = Table(HISTORY, title="Stage history")
    for h in x.history:
        table.add(when(h.at), h.from_stage or "-", h.to_stage, h.by, h.reason or "")
    table.print()
    table = Table(ACTIVITY, title="Activity")
    for item in activity:
        table.add(when(item.at), item.what, item.by or "", item.detail or "")
    table.print()


def _print_prediction(p: Prediction) -> None:
    out.print(
        f"Predicted by model v{p.version}: {p.probability:.1%}, {p.question}; the lead described {p.basis} "
        f"({when(p.at)} UTC). Base log-odds {p.base:+.3f}, plus each feature's effect:"
    )
    table = Table(PREDICTION, title="Prediction")
    for c in p.contributions[:SHOWN_REASONS]:
        value = "-" if c.value is None else f"{c.value:g}" if isinstance(c.value, float) else c.value
        table.add(c.feature, value, f"{c.effect:+.3f}", c.words)
    table.print()
    if len(p.contributions) > SHOWN_REASONS:
        out.print(f"... and {len(p.contributions) - SHOWN_REASONS} features with smaller effects (--json gives all).")


LEADS = (
    Column("id", Whole.FIGURE, wide=True),
    Column("email", Whole.WORD),
    Column("company"),
    Column("title", wide=True),
    Column("source", Whole.WORD, wide=True),
    Column("stage", Whole.WORD),
    Column("grade", Whole.WORD),
    Column("priority", Whole.WORD, wide=True),
    Column("score", Whole.FIGURE),
    Column("owner", Whole.WORD),
)


@lead_app.command("list")
def lead_list(
    stage_: Annotated[str | None, typer.Option("--stage", help="Only this stage (inquiry, mql, sal, ...).")] = None,
    grade: Annotated[str | None, typer.Option(help="Only this grade.")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    owner: Annotated[str | None, typer.Option(help="Only leads owned by this rep.")] = None,
    search: Annotated[str | None, typer.Option(help="Text in the email, the name or the company name.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many leads.")] = 50,
    at: At = None,
    columns: Columns = None,
    wide: Wide = False,
    as_json: Json = False,
) -> None:
    """Leads, highest score first, filtered by stage, grade, source, owner or text."""
    now, chosen = clock_for(at).now(), view(columns, wide)
    where = browse.LeadFilter(stage_, grade, source, owner, search)
    rows = with_agreement(lambda uow, inforce: browse.list_leads(uow, inforce, now, where, limit))
    if as_json:
        out.print_json(to_json(rows))
        return
    table = Table(LEADS, chosen)
    for r in rows:
        table.add(
            r.id,
            r.email,
            r.company or "-",
            r.title or "-",
            r.source or "-",
            r.stage,
            r.grade,
            r.priority,
            f"{r.score:.1f}",
            r.owner or "-",
        )
    table.print(empty="No lead matches.")


@lead_app.command("export")
def lead_export(
    email: Annotated[str, typer.Argument(help="The person's email address.")], as_json: Json = False
) -> None:
    """Everything held about a person: fields, consents, events, score ledger, history, deals, messages, audit.

    For a request to see one's data (GDPR article 15). The export is kept in the audit trail.
    """
    with unit_of_work() as uow:
        data = privacy.export(uow, clock_for(None), email)
    if as_json:
        out.print_json(to_json(data))
        return
    lead = data["lead"]
    out.print(f"{lead['email']} (lead {lead['id']}): {lead['first_name'] or ''} {lead['last_name'] or ''}".rstrip())
    for key in ("title", "company", "country", "source", "campaign", "stage", "owner"):
        out.print(f"  {key}: {lead[key] if lead[key] is not None else '-'}")
    for name, value in data["custom_fields"].items():
        out.print(f"  {name}: {value}")
    consent = data["consents"][-1] if data["consents"] else None
    out.print(
        "  marketing email: "
        + (f"{'yes' if consent['granted'] else 'no'} ({consent['source']}, {when(consent['at'])})" if consent else "-")
    )
    for key in ("events", "score_ledger", "stage_history", "assignments", "opportunities", "messages", "audit"):
        out.print(f"  {key.replace('_', ' ')}: {len(data[key])}")
    out.print("--json gives every row.")


@lead_app.command("erase")
def lead_erase(
    email: Annotated[str, typer.Argument(help="The person's email address.")],
    reason: Annotated[str, typer.Option(help="Why, e.g. 'erasure request of 2026-12-01' (kept with the erasure).")],
    vacuum: Annotated[
        bool, typer.Option("--vacuum/--no-vacuum", help="Compact the database afterwards, so no copy is left.")
    ] = True,
) -> None:
    """Erase a person's personal data everywhere it is held; the lead stays as an anonymous row (GDPR article 17).

    The name, the email's address part, custom fields, consents and event ids go; what the agreement scores on
    and the reports count stays, so every report's totals are unchanged. The erasure is recorded (the email only
    as its SHA-256) and kept in the audit trail; docs/privacy.md says exactly what is kept.
    """
    with unit_of_work() as uow:
        erased = privacy.erase(uow, clock_for(None), email, reason)
    if vacuum:
        engine = connect(state.settings.database_url)
        try:
            with err.status("compacting the database"):
                privacy.compact(engine)
        finally:
            engine.dispose()
    kept = f"; kept as what the agreement scores on: {', '.join(erased.kept)}" if erased.kept else ""
    out.print(
        f"Erased {email}: lead {erased.lead_id} is now {erased.placeholder}; {erased.events} event ids and "
        f"{erased.messages} messages rewritten{kept}."
    )
    if not vacuum:
        out.print("The database was not compacted: old values stay in its free pages until it is (VACUUM).")
