"""The qualifiers' work: the screening queue, their calls, the answers, and the decision on each lead.

A lead the agreement sent to screening waits in one queue for the screening team, hottest first, then by the
first-call time that runs out first. A qualifier logs calls (reached, no answer, wrong number), records the
answers to the agreement's questions and decides: pass (an MQL, routed and dealt to a rep as any hand-off, with
the answers and the qualifier's note for the rep), not yet (recycled with the screening's cooldown) or
disqualify (with a reason). Each is audited; the lead is locked while it changes, so two qualifiers deciding at
once leave one decision and one history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from leadpact.domain.agreement import Screening
from leadpact.domain.errors import InvalidInput, NotPermitted
from leadpact.domain.lifecycle import Move, Stage
from leadpact.domain.permissions import Role
from leadpact.domain.scoring import engagement_at, to_seconds
from leadpact.domain.screening import disqualify_reasons, require_ready, require_reason
from leadpact.services import audit, handoff, intake, lifecycle, outbox
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.services.team import user_named
from leadpact.store.tables import Lead, LeadField, ScreeningCall, ScreeningEntry, Team, User
from leadpact.store.unit_of_work import UnitOfWork

OUTCOMES = ("reached", "no_answer", "wrong_number")
"""How a screening call went."""
ANSWERS = "answers."


def terms(inforce: InForce) -> Screening:
    screening = inforce.agreement.screening
    if screening is None:
        raise InvalidInput(
            f"agreement version {inforce.version} has no screening section: leads go straight to sales", "screening"
        )
    return screening


def _qualifier(uow: UnitOfWork, screening: Screening, by: str | None) -> User | None:
    """The person acting: a qualifier must be in the screening team; a manager or an admin may act too."""
    if by is None:
        return None
    user = user_named(uow, by)
    if user.role == Role.QUALIFIER:
        team = uow.session.get(Team, user.team_id) if user.team_id else None
        if team is None or team.name != screening.team:
            raise NotPermitted(f"{user.name} is not in the screening team '{screening.team}'")
    elif user.role not in (Role.ADMIN, Role.MANAGER):
        raise NotPermitted(f"{user.name} ({user.role}) does not work the screening queue")
    return user


def _entry(uow: UnitOfWork, lead: Lead) -> ScreeningEntry:
    entry = handoff.open_screening(uow, lead) if lead.stage == Stage.SCREENING else None
    if entry is None:
        raise InvalidInput(f"lead {lead.email} is in stage {lead.stage}, not in screening", "lead")
    return entry


def answers_of(uow: UnitOfWork, lead_id: int) -> dict[str, str]:
    rows = uow.session.execute(
        select(LeadField.name, LeadField.value).where(
            LeadField.lead_id == lead_id, LeadField.name.startswith(ANSWERS, autoescape=True)
        )
    )
    return {name.removeprefix(ANSWERS): value for name, value in rows}


def check_answers(inforce: InForce, answers: Mapping[str, str]) -> None:
    """Every answer must be to a question of the agreement, and one of its answers."""
    questions = inforce.agreement.questions
    for key, value in answers.items():
        if key not in questions:
            raise InvalidInput(f"'{key}' is not a question of the agreement; questions: {', '.join(questions)}")
        if value not in questions[key]:
            raise InvalidInput(f"'{value}' is not an answer; use one of: {', '.join(questions[key])}", key)


def call(
    uow: UnitOfWork,
    clock: Clock,
    inforce: InForce,
    lead: Lead,
    outcome: str,
    note: str | None = None,
    by: str | None = None,
) -> bool:
    """Log a call to a lead in screening; whether it was the first (the one the first-call SLA measures)."""
    screening = terms(inforce)
    if outcome not in OUTCOMES:
        raise InvalidInput(f"'{outcome}' is not a call outcome; use one of: {', '.join(OUTCOMES)}", "outcome")
    entry = _entry(uow, lead)
    user = _qualifier(uow, screening, by)
    now = clock.now()
    first = entry.first_call_at is None
    if first:
        entry.first_call_at = now
        late = to_seconds(entry.call_due) < to_seconds(now)
        if late and entry.call_breached_at is None:
            entry.call_breached_at = entry.call_due  # late is late, whenever the SLA check runs
    uow.append(
        ScreeningCall,
        lead_id=lead.id,
        screening_id=entry.id,
        qualifier_id=user.id if user else None,
        outcome=outcome,
        note=(note or "").strip() or None,
        at=now,
    )
    audit.record(uow, now, "screening.call", f"lead {lead.id}", outcome=outcome, first=first)
    return first


def answer(
    uow: UnitOfWork, clock: Clock, inforce: InForce, lead: Lead, answers: Mapping[str, str], by: str | None = None
) -> None:
    """Record answers to the agreement's questions for a lead in screening; its fit follows them."""
    screening = terms(inforce)
    _entry(uow, lead)
    check_answers(inforce, answers)
    if not answers:
        raise InvalidInput("give at least one answer, as question=answer", "answers")
    _qualifier(uow, screening, by)
    now = clock.now()
    # the questions only: answers are the lead's data, which an erasure may remove, and the trail is never edited
    audit.record(uow, now, "screening.answer", f"lead {lead.id}", questions=sorted(answers))
    intake.set_fields(uow, lead, {f"{ANSWERS}{k}": v for k, v in answers.items()})
    intake.refit(uow, clock, lead, inforce, now)


def _decide(
    uow: UnitOfWork, clock: Clock, entry: ScreeningEntry, user: User | None, decision: str, note: str | None
) -> None:
    entry.decided_at = clock.now()
    entry.decision = decision
    entry.qualifier_id = user.id if user else None
    entry.note = (note or "").strip() or None


def pass_to_sales(
    uow: UnitOfWork,
    clock: Clock,
    inforce: InForce,
    lead: Lead,
    note: str | None = None,
    by: str | None = None,
    answers: Mapping[str, str] | None = None,
) -> User | None:
    """Pass the lead to sales: its answers must be ready; it becomes an MQL, routed and dealt as any hand-off.

    Returns the rep it was dealt to (None when nobody can take it now: it waits, as any MQL does)."""
    screening = terms(inforce)
    entry = _entry(uow, lead)
    user = _qualifier(uow, screening, by)
    if answers:
        answer(uow, clock, inforce, lead, answers, by)
    require_ready(inforce.agreement, answers_of(uow, lead.id), at_sql=False)
    now = clock.now()
    lifecycle.move(uow, lead, Move.PASS, now, by_user_id=user.id if user else None, version=inforce.version)
    _decide(uow, clock, entry, user, "pass", note)
    lead.qualified_at = to_seconds(now)
    lead.qualified_from = Stage.SCREENING
    audit.record(uow, now, "screening.pass", f"lead {lead.id}")
    outbox.post(uow, "lead.qualified", now, lead_id=lead.id, email=lead.email, version=inforce.version)
    return handoff.assign(uow, clock, lead, inforce)


def not_yet(
    uow: UnitOfWork, clock: Clock, inforce: InForce, lead: Lead, note: str | None = None, by: str | None = None
) -> None:
    """Send the lead back to nurture: recycled, and back to screening only after the screening's cooldown."""
    screening = terms(inforce)
    entry = _entry(uow, lead)
    user = _qualifier(uow, screening, by)
    now = clock.now()
    lifecycle.move(
        uow, lead, Move.NOT_YET, now, by_user_id=user.id if user else None, version=inforce.version, reason="not_yet"
    )
    _decide(uow, clock, entry, user, "not_yet", note)
    lead.cooldown_until = to_seconds(now) + int(screening.not_yet_days * 86_400)
    audit.record(uow, now, "screening.not_yet", f"lead {lead.id}", days=screening.not_yet_days)


def disqualify(
    uow: UnitOfWork,
    clock: Clock,
    inforce: InForce,
    lead: Lead,
    reason: str,
    note: str | None = None,
    by: str | None = None,
) -> None:
    """Take the lead out for good, with one of the qualifiers' reasons."""
    screening = terms(inforce)
    require_reason(inforce.agreement, reason)
    entry = _entry(uow, lead)
    user = _qualifier(uow, screening, by)
    now = clock.now()
    lifecycle.move(
        uow, lead, Move.DISQUALIFY, now, by_user_id=user.id if user else None, version=inforce.version, reason=reason
    )
    _decide(uow, clock, entry, user, "disqualify", note)
    entry.reason = reason
    audit.record(uow, now, "screening.disqualify", f"lead {lead.id}", reason=reason)


@dataclass
class QueueItem:
    lead_id: int
    email: str
    name: str
    company: str | None
    title: str | None
    score: float
    grade: str
    priority: str
    source: str | None
    entered_at: datetime
    call_due: datetime
    first_call_at: datetime | None
    overdue: bool  # no first call by its due time (or the first call came late)
    calls: int
    last_outcome: str | None
    answers: dict[str, str] = field(default_factory=dict)


def queue(uow: UnitOfWork, inforce: InForce, now: datetime) -> list[QueueItem]:
    """The leads in screening, hottest first, then by the first-call time that runs out first."""
    terms(inforce)
    agreement = inforce.agreement
    rows = uow.session.execute(
        select(Lead, ScreeningEntry)
        .join(ScreeningEntry, ScreeningEntry.lead_id == Lead.id)
        .where(Lead.stage == Stage.SCREENING, ScreeningEntry.decided_at.is_(None))
    ).all()
    ids = [lead.id for lead, _ in rows]
    counts: dict[int, int] = dict(
        uow.session.execute(
            select(ScreeningCall.screening_id, func.count())
            .where(ScreeningCall.lead_id.in_(ids))
            .group_by(ScreeningCall.screening_id)
        ).all()
    )
    last: dict[int, str] = {}
    for screening_id, outcome in uow.session.execute(
        select(ScreeningCall.screening_id, ScreeningCall.outcome)
        .where(ScreeningCall.lead_id.in_(ids))
        .order_by(ScreeningCall.at, ScreeningCall.id)
    ):
        last[screening_id] = outcome
    at = to_seconds(now)
    items: list[QueueItem] = []
    for lead, entry in rows:
        score = lead.fit + engagement_at(lead.engagement, lead.engagement_at, at, agreement.half_life_days)
        called = entry.first_call_at
        items.append(
            QueueItem(
                lead.id,
                lead.email,
                " ".join(p for p in (lead.first_name, lead.last_name) if p),
                lead.company,
                lead.title,
                score,
                agreement.grade_for(lead.fit),
                agreement.band_for(score),
                lead.source,
                entry.entered_at,
                entry.call_due,
                called,
                (called or now) > entry.call_due,
                counts.get(entry.id, 0),
                last.get(entry.id),
                answers_of(uow, lead.id),
            )
        )
    bands = [b.band for b in agreement.priority]
    return sorted(items, key=lambda i: (bands.index(i.priority), i.call_due, -i.score, i.lead_id))


@dataclass(frozen=True)
class Handover:
    """What the qualifier left for the rep: the decision, who made it and when, the note and the answers."""

    qualifier: str | None
    decided_at: datetime
    note: str | None
    answers: dict[str, str]
    calls: int


def handover(uow: UnitOfWork, lead: Lead) -> Handover | None:
    """The last pass of this lead from screening to sales, if it came through screening."""
    entry = uow.session.scalars(
        select(ScreeningEntry)
        .where(ScreeningEntry.lead_id == lead.id, ScreeningEntry.decision == "pass")
        .order_by(ScreeningEntry.id.desc())
    ).first()
    if entry is None or entry.decided_at is None:
        return None
    who = uow.session.get(User, entry.qualifier_id) if entry.qualifier_id else None
    calls = uow.session.scalar(
        select(func.count()).select_from(ScreeningCall).where(ScreeningCall.screening_id == entry.id)
    )
    return Handover(who.name if who else None, entry.decided_at, entry.note, answers_of(uow, lead.id), int(calls or 0))


def reasons(inforce: InForce) -> tuple[str, ...]:
    return disqualify_reasons(inforce.agreement)
