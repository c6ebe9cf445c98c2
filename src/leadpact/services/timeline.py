"""A lead's activity timeline: everything that happened to it, from every record that holds some, in one list.

Each source is one function reading one kind of record (events, screening calls and decisions, hand-offs,
contacts, answers, stage moves, deal moves, sales feedback, nurture emails) and giving its items; ``SOURCES``
lists them, so another kind of activity is one more function there. The timeline is the items up to a moment,
oldest first; items at the same moment keep the order of ``SOURCES`` (an event before the hand-off it caused, a
qualifier's decision before the stage move it made, a deal closed before the feedback on it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from leadpact.domain.scoring import from_seconds
from leadpact.services.feedback import requests_of
from leadpact.store.tables import (
    Assignment,
    AuditEntry,
    Event,
    Feedback,
    Lead,
    LeadField,
    NurtureMessage,
    Opportunity,
    OpportunityChange,
    ScreeningCall,
    ScreeningEntry,
    StageChange,
    User,
)
from leadpact.store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Item:
    """One thing that happened: when, which kind (event, screening, handoff, contact, answers, stage, deal,
    feedback, email), in words, who did it (None: the lead itself or the agreement) and any further detail."""

    at: datetime
    kind: str
    what: str
    by: str | None = None
    detail: str | None = None


Source = Callable[[UnitOfWork, Lead], Iterable[Item]]
"""Reads one kind of record of a lead as timeline items."""


class _Names:
    """User names by id, each looked up once."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.known: dict[int, str] = {}

    def __call__(self, user_id: int | None) -> str | None:
        if user_id is None:
            return None
        if user_id not in self.known:
            self.known[user_id] = self.uow.session.get_one(User, user_id).name
        return self.known[user_id]


def _words(name: str) -> str:
    return name.replace("_", " ")


def events(uow: UnitOfWork, lead: Lead) -> Iterable[Item]:
    """What the lead did; an event the agreement does not count says so."""
    for e in uow.session.scalars(select(Event).where(Event.lead_id == lead.id).order_by(Event.id)):
        yield Item(from_seconds(e.occurred_at), "event", _words(e.type), None, None if e.counted else "not counted")


def handoffs(uow: UnitOfWork, lead: Lead) -> Iterable[Item]:
    """Each hand-off to a rep."""
    name = _Names(uow)
    for a in uow.session.scalars(select(Assignment).where(Assignment.lead_id == lead.id).order_by(Assignment.id)):
        yield Item(a.assigned_at, "handoff", f"handed to {name(a.user_id)}", None, f"agreement v{a.version}")


def contacts(uow: UnitOfWork, lead: Lead) -> Iterable[Item]:
    """The contacts logged: each hand-off's first (kept with the hand-off, even where no trail is kept), and the
    later ones from the audit trail."""
    name = _Names(uow)
    for a in uow.session.scalars(select(Assignment).where(Assignment.lead_id == lead.id).order_by(Assignment.id)):
        if a.contacted_at is not None:
            yield Item(a.contacted_at, "contact", "first contact", name(a.user_id))
    for entry in uow.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "lead.contact", AuditEntry.subject == f"lead {lead.id}")
        .order_by(AuditEntry.id)
    ):
        if not json.loads(entry.detail).get("first"):
            yield Item(entry.at, "contact", "contact", entry.actor)


def stages(uow: UnitOfWork, lead: Lead) -> Iterable[Item]:
    """The lead's stage moves, with the reason and the rep's note."""
    name = _Names(uow)
    for c in uow.session.scalars(select(StageChange).where(StageChange.lead_id == lead.id).order_by(StageChange.id)):
        move = f"{c.from_stage} → {c.to_stage}" if c.from_stage else f"captured as {c.to_stage}"
        by = name(c.by_user_id) or (f"agreement v{c.version}" if c.version else None)
        said = [part for part in (_words(c.reason) if c.reason else None, c.note) if part]
        yield Item(c.at, "stage", move, by, ": ".join(said) or None)


def answers(uow: UnitOfWork, lead: Lead) -> Iterable[Item]:
    """The qualification answers, when the lead became sales-qualified or a qualifier last decided on it, whichever
    came later (or when it was captured, if they came with it)."""
    given = uow.session.execute(
        select(LeadField.name, LeadField.value)
        .where(LeadField.lead_id == lead.id, LeadField.name.startswith("answers."))
        .order_by(LeadField.name)
    ).all()
    if not given:
        return
    qualified = uow.session.scalars(
        select(StageChange)
        .where(StageChange.lead_id == lead.id, StageChange.to_stage == "sql")
        .order_by(StageChange.at.desc(), StageChange.id.desc())
    ).first()
    screened = uow.session.scalars(
        select(ScreeningEntry)
        .where(ScreeningEntry.lead_id == lead.id, ScreeningEntry.decision.in_(("pass", "not_yet")))
        .order_by(ScreeningEntry.decided_at.desc(), ScreeningEntry.id.desc())
    ).first()
    moments = [
        *([(qualified.at, qualified.by_user_id)] if qualified else []),
        *([(screened.decided_at, screened.qualifier_id)] if screened and screened.decided_at else []),
    ]
    at, by_id = max(moments, key=lambda m: m[0]) if moments else (lead.created_at, None)
    by = _Names(uow)(by_id)
    text = ", ".join(f"{_words(k.removeprefix('answers.'))}: {_words(v)}" for k, v in given)
    yield Item(at, "answers", "qualification answers", by, text)


def deals(uow: UnitOfWork, lead: Lead) -> Iterable[Item]:
    """Each opportunity: opened, moved between sales stages, won or lost."""
    name = _Names(uow)
    for deal in uow.session.scalars(select(Opportunity).where(Opportunity.lead_id == lead.id).order_by(Opportunity.id)):
        for c in uow.session.scalars(
            select(OpportunityChange).where(OpportunityChange.opportunity_id == deal.id).order_by(OpportunityChange.id)
        ):
            what = (
                f"opportunity {deal.id}: {_words(c.from_stage)} → {_words(c.to_stage)}"
                if c.from_stage
                else f"opportunity {deal.id} opened in {_words(c.to_stage)}"
            )
            yield Item(c.at, "deal", what, name(c.by_user_id), f"amount {deal.amount:,.0f}")
        if deal.closed_at is not None:
            outcome = "won" if deal.won else f"lost: {_words(deal.lost_reason or '')}"
            yield Item(deal.closed_at, "deal", f"opportunity {deal.id} {outcome}", name(deal.owner_id))


def feedback(uow: UnitOfWork, lead: Lead) -> Iterable[Item]:
    """Sales feedback: the competitor, product requests, message and note a rep recorded."""
    name = _Names(uow)
    for f in uow.session.scalars(select(Feedback).where(Feedback.lead_id == lead.id).order_by(Feedback.id)):
        parts = [
            *([f"competitor {_words(f.competitor)}"] if f.competitor else []),
            *([f"requests {', '.join(_words(r) for r in requests)}"] if (requests := requests_of(uow, f)) else []),
            *([f"message {_words(f.message)}"] if f.message else []),
        ]
        yield Item(
            f.at, "feedback", f"feedback on {f.moment}: " + ("; ".join(parts) or "a note"), name(f.by_user_id), f.note
        )


_DECISIONS = {
    "pass": "passed to sales",
    "not_yet": "not yet, back to nurture",
    "disqualify": "disqualified",
    "withdrawn": "withdrawn by the agreement",
}


def screenings(uow: UnitOfWork, lead: Lead) -> Iterable[Item]:
    """Each turn in screening: the qualifiers' calls, then the decision that ended it, with the note."""
    name = _Names(uow)
    for entry in uow.session.scalars(
        select(ScreeningEntry).where(ScreeningEntry.lead_id == lead.id).order_by(ScreeningEntry.id)
    ):
        for c in uow.session.scalars(
            select(ScreeningCall).where(ScreeningCall.screening_id == entry.id).order_by(ScreeningCall.id)
        ):
            yield Item(c.at, "screening", f"screening call: {_words(c.outcome)}", name(c.qualifier_id), c.note)
        if entry.decided_at is not None and entry.decision is not None:
            what = _DECISIONS.get(entry.decision, _words(entry.decision))
            what += f": {_words(entry.reason)}" if entry.reason else ""
            yield Item(entry.decided_at, "screening", f"screening: {what}", name(entry.qualifier_id), entry.note)


def emails(uow: UnitOfWork, lead: Lead) -> Iterable[Item]:
    """The nurture emails written to the lead: sequence, step and subject; sent (opened, clicked), bounced, stopped
    or still waiting in the outbox, at the moment it was sent or tried (written, while it waits)."""
    for m in uow.session.scalars(
        select(NurtureMessage).where(NurtureMessage.lead_id == lead.id).order_by(NurtureMessage.id)
    ):
        state = m.outcome or "waiting to be sent"
        if m.outcome == "sent":
            state += "".join(f", {what}" for what, at in (("opened", m.opened_at), ("clicked", m.clicked_at)) if at)
        elif m.detail and m.outcome in ("bounced", "stopped"):
            state += f": {m.detail}"
        at = m.sent_at or (m.claimed_at if m.outcome == "bounced" else None) or m.created_at
        yield Item(at, "email", f"nurture email: {m.sequence} step {m.step}: {m.subject}", None, state)


SOURCES: list[Source] = [events, screenings, stages, handoffs, contacts, answers, deals, feedback, emails]
"""Every source of the timeline, in the order items at the same moment are listed."""


def timeline(uow: UnitOfWork, lead: Lead, now: datetime) -> list[Item]:
    """Everything that happened to ``lead`` up to ``now``, oldest first."""
    found = [
        (item.at, rank, n, item)
        for rank, source in enumerate(SOURCES)
        for n, item in enumerate(source(uow, lead))
        if item.at <= now
    ]
    return [item for _, _, _, item in sorted(found, key=lambda f: f[:3])]
