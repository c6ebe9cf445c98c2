"""Explaining a lead: every point of its score traced to a rule or an event, as of a moment; and, when a predictive
model has been trained, the newest model's chance for the lead with each feature's part in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from leadpact.domain.scoring import decay, from_seconds, to_seconds
from leadpact.domain.wording import describe_fit_rule, title_of
from leadpact.services import handoff, models, nurture, screening
from leadpact.services.agreements import InForce
from leadpact.services.models import Prediction
from leadpact.services.nurture import InSequence
from leadpact.store.tables import (
    Assignment,
    Event,
    Lead,
    LedgerEntry,
    StageChange,
    User,
)
from leadpact.store.unit_of_work import UnitOfWork


@dataclass
class FitLine:
    rule: str  # the rule's id
    points: float
    rule_text: str
    title: str  # the rule as the agreement titles it


@dataclass
class EventLine:
    event_id: str
    type: str
    occurred_at: datetime
    points: float
    factor: float
    value: float


@dataclass
class SlaStatus:
    owner: str
    assigned_at: datetime
    accept_due: datetime
    contact_due: datetime
    accepted_at: datetime | None
    contacted_at: datetime | None
    state: str


@dataclass
class StageLine:
    at: datetime
    from_stage: str | None
    to_stage: str
    by: str
    reason: str | None


@dataclass
class Explanation:
    id: int
    email: str
    name: str
    company: str | None
    title: str | None
    source: str | None
    at: datetime
    version: int
    fit: float
    engagement: float
    score: float
    grade: str
    priority: str
    stage: str
    owner: str | None
    fit_rules: list[FitLine] = field(default_factory=list)
    events: list[EventLine] = field(default_factory=list)
    sla: SlaStatus | None = None
    history: list[StageLine] = field(default_factory=list)
    predicted: Prediction | None = None
    nurture: list[InSequence] = field(default_factory=list)  # the sequence it is in first, then those it left
    screening: screening.Handover | None = None  # what the qualifier who passed the lead left for the rep
    merged_into: int | None = None  # a duplicate merged into another lead: that lead's id


def sla_state(assignment: Assignment, now: datetime) -> str:
    """In words: what the rep owes now, and by when."""
    if assignment.accepted_at is None:
        due, what = assignment.accept_due, "accept"
    elif assignment.contacted_at is None:
        due, what = assignment.contact_due, "first contact"
    else:
        return "accepted and contacted"
    if due <= now:
        return f"{what} overdue since {due:%Y-%m-%d %H:%M} UTC"
    return f"{what} due {due:%Y-%m-%d %H:%M} UTC"


def ledger_score(uow: UnitOfWork, lead_id: int, at: int, half_life_days: float | None) -> tuple[float, float]:
    """(fit, engagement) at a moment, straight from the ledger."""
    fit = engagement = 0.0
    rows = uow.session.execute(
        select(LedgerEntry.kind, LedgerEntry.at, LedgerEntry.points).where(
            LedgerEntry.lead_id == lead_id, LedgerEntry.at <= at
        )
    )
    for kind, moment, points in rows:
        if kind == "fit":
            fit += points
        else:
            engagement += decay(points, at - moment, half_life_days)
    return fit, engagement


def explain(uow: UnitOfWork, inforce: InForce, lead: Lead, now: datetime, *, predicted: bool = True) -> Explanation:
    """Why the lead scores what it does, its SLA and history; with ``predicted`` also the newest model's chance,
    which a list of many leads that shows none of it leaves out."""
    agreement = inforce.agreement
    at = to_seconds(now)
    rules = {r.id: r for r in agreement.fit_rules}
    items: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for kind, item, moment, points in uow.session.execute(
        select(LedgerEntry.kind, LedgerEntry.item, LedgerEntry.at, LedgerEntry.points)
        .where(LedgerEntry.lead_id == lead.id, LedgerEntry.at <= at)
        .order_by(LedgerEntry.at, LedgerEntry.id)
    ):
        items.setdefault((kind, item), []).append((moment, points))
    fit_lines: list[FitLine] = []
    event_lines: list[EventLine] = []
    types = dict(uow.session.execute(select(Event.event_id, Event.type).where(Event.lead_id == lead.id)).all())
    for (kind, item), rows in items.items():
        total = sum(p for _, p in rows)
        if abs(total) < 1e-12:
            continue
        if kind == "fit":
            text = describe_fit_rule(rules[item]) if item in rules else "(rule no longer in the agreement)"
            fit_lines.append(FitLine(item, total, text, title_of(agreement, item)))
        else:
            moment = rows[0][0]
            value = sum(decay(p, at - m, agreement.half_life_days) for m, p in rows)
            event_lines.append(EventLine(item, types.get(item, "?"), from_seconds(moment), total, value / total, value))
    fit = sum(f.points for f in fit_lines)
    engagement = sum(e.value for e in event_lines)
    owner = uow.session.get(User, lead.owner_id) if lead.owner_id else None
    current = handoff.active_assignment(uow, lead)
    sla = None
    if current is not None:
        rep = uow.session.get_one(User, current.user_id)
        sla = SlaStatus(
            rep.name,
            current.assigned_at,
            current.accept_due,
            current.contact_due,
            current.accepted_at,
            current.contacted_at,
            sla_state(current, now),
        )
    # the history of duplicates merged into the lead is its history too, each change named with the record's email
    merged = uow.session.execute(select(Lead.id, Lead.email).where(Lead.merged_into == lead.id))
    records = {lead.id: "", **{merged_id: f" (as {email})" for merged_id, email in merged}}
    history = [
        StageLine(c.at, c.from_stage, c.to_stage, _who(uow, c) + records[c.lead_id], c.reason)
        for c in uow.session.scalars(
            select(StageChange).where(StageChange.lead_id.in_(records)).order_by(StageChange.at, StageChange.id)
        )
    ]
    name = " ".join(p for p in (lead.first_name, lead.last_name) if p)
    return Explanation(
        id=lead.id,
        email=lead.email,
        name=name,
        company=lead.company,
        title=lead.title,
        source=lead.source,
        at=now,
        version=inforce.version,
        fit=fit,
        engagement=engagement,
        score=fit + engagement,
        grade=agreement.grade_for(fit),
        priority=agreement.band_for(fit + engagement),
        stage=lead.stage,
        owner=owner.name if owner else None,
        fit_rules=sorted(fit_lines, key=lambda f: -f.points),
        events=sorted(event_lines, key=lambda e: e.occurred_at),
        sla=sla,
        history=history,
        predicted=models.predict(uow, lead, now) if predicted else None,
        nurture=nurture.of_lead(uow, lead.id),
        screening=screening.handover(uow, lead),
        merged_into=lead.merged_into,
    )


def _who(uow: UnitOfWork, change: StageChange) -> str:
    if change.by_user_id is not None:
        return uow.session.get_one(User, change.by_user_id).name
    return f"agreement v{change.version}" if change.version else "system"


@dataclass
class ScorePoint:
    at: datetime
    score: float


def score_history(uow: UnitOfWork, inforce: InForce, lead: Lead, now: datetime, samples: int = 48) -> list[ScorePoint]:
    """The score from the lead's first ledger row to ``now``, as the ledger gives it at each moment.

    Every moment points changed shows twice, with the score just before and just after, so a line through
    the points steps there; ``samples`` evenly spaced moments in between draw the decay.
    """
    end = to_seconds(now)
    rows = [
        (kind, moment, points)
        for kind, moment, points in uow.session.execute(
            select(LedgerEntry.kind, LedgerEntry.at, LedgerEntry.points)
            .where(LedgerEntry.lead_id == lead.id, LedgerEntry.at <= end)
            .order_by(LedgerEntry.at, LedgerEntry.id)
        )
    ]
    if not rows:
        return [ScorePoint(now, 0.0)]
    half_life = inforce.agreement.half_life_days
    start = rows[0][1]
    changes = {moment for _, moment, _ in rows}
    grid = {start + round(i * (end - start) / samples) for i in range(samples + 1)}
    # (moment, 0) is the score just before the moment's own rows, (moment, 1) the score with them
    moments = sorted({(t, 0) for t in changes} | {(t, 1) for t in changes | grid})
    return [ScorePoint(from_seconds(t), _score_at(rows, t, half_life, before=step == 0)) for t, step in moments]


def _score_at(rows: list[tuple[str, int, float]], at: int, half_life: float | None, before: bool) -> float:
    """Fit plus decayed engagement at ``at``, from the rows written by then (before ``at`` when ``before``)."""
    total = 0.0
    for kind, moment, points in rows:
        if moment > at or (before and moment == at):
            continue
        total += points if kind == "fit" else decay(points, at - moment, half_life)
    return total
