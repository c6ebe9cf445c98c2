"""What a rep does with a lead handed to them: accept, reject with a reason, contact, qualify."""

from __future__ import annotations

from collections.abc import Mapping

from leadpact.domain.errors import InvalidInput, NotPermitted, UnknownReason
from leadpact.domain.feedback import NOTE_LENGTH
from leadpact.domain.lifecycle import WORKING, Move
from leadpact.domain.scoring import to_seconds
from leadpact.domain.screening import require_ready
from leadpact.services import audit, handoff, intake, lifecycle, outbox
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.services.team import user_named
from leadpact.store.tables import Assignment, Lead, User
from leadpact.store.unit_of_work import UnitOfWork


def acting_rep(uow: UnitOfWork, lead: Lead, rep: str | None) -> User:
    """The rep acting on the lead: the one named, who must own it, or else its owner."""
    if lead.owner_id is None:
        raise NotPermitted(f"lead {lead.email} is not assigned to anyone (stage {lead.stage})")
    owner = uow.session.get_one(User, lead.owner_id)
    if rep is None:
        return owner
    user = user_named(uow, rep)
    if user.id != owner.id:
        raise NotPermitted(f"lead {lead.email} is assigned to {owner.name}, not to {user.name}")
    return user


def _assignment(uow: UnitOfWork, lead: Lead) -> Assignment:
    current = handoff.active_assignment(uow, lead)
    if current is None:
        raise NotPermitted(f"lead {lead.email} has no open assignment")
    return current


def accept(uow: UnitOfWork, clock: Clock, inforce: InForce, lead: Lead, rep: str | None = None) -> None:
    user = acting_rep(uow, lead, rep)
    now = clock.now()
    lifecycle.move(uow, lead, Move.ACCEPT, now, by_user_id=user.id, version=inforce.version)
    audit.record(uow, now, "lead.accept", f"lead {lead.id}", rep=user.name)
    current = _assignment(uow, lead)
    current.accepted_at = now
    # late is late, whenever the SLA check runs; moments count in whole seconds, as everywhere
    if to_seconds(current.accept_due) < to_seconds(now) and current.accept_breached_at is None:
        current.accept_breached_at = current.accept_due


def reject(
    uow: UnitOfWork,
    clock: Clock,
    inforce: InForce,
    lead: Lead,
    reason: str,
    rep: str | None = None,
    note: str | None = None,
) -> None:
    """Send the lead back: recycled to nurture with a cooldown, or disqualified, as the reason says; the rep's
    note, if any, is kept with the stage change."""
    agreement = inforce.agreement
    kept = _kept_note(note)
    found = agreement.reject_reasons.get(reason)
    if found is None:
        raise UnknownReason(
            f"'{reason}' is not a reject reason of agreement version {inforce.version}; "
            f"use one of: {', '.join(agreement.reject_reasons)}"
        )
    user = acting_rep(uow, lead, rep)
    now = clock.now()
    action = Move.REJECT if found.disqualify else Move.RECYCLE
    lifecycle.move(uow, lead, action, now, by_user_id=user.id, version=inforce.version, reason=reason, note=kept)
    audit.record(uow, now, "lead.reject", f"lead {lead.id}", rep=user.name, reason=reason)
    handoff.end_assignment(uow, lead, now, "rejected")
    lead.owner_id = None
    if not found.disqualify:
        lead.cooldown_until = to_seconds(now) + int((found.recycle_after_days or 0) * 86_400)
    outbox.post(uow, "lead.rejected", now, lead_id=lead.id, email=lead.email, rep=user.name, reason=reason)


def _kept_note(note: str | None) -> str | None:
    """The note as it is kept: trimmed, none if blank; refused when too long or holding what no database keeps."""
    kept = (note or "").strip() or None
    if kept is not None and len(kept) > NOTE_LENGTH:
        raise InvalidInput(f"a note is at most {NOTE_LENGTH:,} characters; this one has {len(kept):,}", "note")
    if kept is not None and "\x00" in kept:
        raise InvalidInput("a note cannot hold the NUL character", "note")
    return kept


def contact(uow: UnitOfWork, clock: Clock, lead: Lead, rep: str | None = None) -> bool:
    """Log a contact; returns whether it was the first (the one the SLA measures)."""
    user = acting_rep(uow, lead, rep)
    if lead.stage not in WORKING:
        raise InvalidInput(f"lead {lead.email} is in stage {lead.stage}; contacts are logged for mql, sal or sql")
    current = _assignment(uow, lead)
    first = current.contacted_at is None
    audit.record(uow, clock.now(), "lead.contact", f"lead {lead.id}", rep=user.name, first=first)
    if not first:
        return False
    current.contacted_at = clock.now()
    late = to_seconds(current.contact_due) < to_seconds(current.contacted_at)
    if late and current.contact_breached_at is None:
        current.contact_breached_at = current.contact_due  # late is late, whenever the SLA check runs
    return True


def qualify(
    uow: UnitOfWork,
    clock: Clock,
    inforce: InForce,
    lead: Lead,
    answers: Mapping[str, str],
    rep: str | None = None,
) -> None:
    """Record the qualification answers (budget, authority, timing, ...): the lead becomes an SQL.

    With a screening section (and unless it says ``gate_sql: false``) answers that are not ready for sales are
    refused, naming the question and the answers the agreement wants."""
    questions = inforce.agreement.questions
    for key, value in answers.items():
        if key not in questions:
            raise InvalidInput(f"'{key}' is not a question of the agreement; questions: {', '.join(questions)}")
        if value not in questions[key]:
            raise InvalidInput(f"'{value}' is not an answer; use one of: {', '.join(questions[key])}", key)
    missing = [k for k in questions if k not in answers]
    if missing:
        raise InvalidInput(f"answer every qualification question; missing: {', '.join(missing)}", missing[0])
    require_ready(inforce.agreement, answers, at_sql=True)
    user = acting_rep(uow, lead, rep)
    now = clock.now()
    lifecycle.move(uow, lead, Move.QUALIFY, now, by_user_id=user.id, version=inforce.version)
    # the questions only: answers are the lead's data, which an erasure may remove, and the trail is never edited
    audit.record(uow, now, "lead.qualify", f"lead {lead.id}", rep=user.name, questions=sorted(answers))
    intake.set_fields(uow, lead, {f"answers.{k}": v for k, v in answers.items()})
    intake.refit(uow, clock, lead, inforce, now)


def disqualify(uow: UnitOfWork, clock: Clock, inforce: InForce, lead: Lead, reason: str, by: str | None = None) -> None:
    """Marketing takes an inquiry out for good, with one of the agreement's disqualifying reasons."""
    reasons = [name for name, r in inforce.agreement.reject_reasons.items() if r.disqualify]
    if reason not in reasons:
        raise UnknownReason(f"'{reason}' is not a disqualifying reason; use one of: {', '.join(reasons)}")
    user = user_named(uow, by) if by else None
    now = clock.now()
    lifecycle.move(
        uow, lead, Move.DISQUALIFY, now, by_user_id=user.id if user else None, version=inforce.version, reason=reason
    )
    screening = handoff.open_screening(uow, lead)
    if screening is not None:  # marketing took it out of the qualifiers' queue
        screening.decided_at, screening.decision, screening.reason = now, "disqualify", reason
    audit.record(uow, now, "lead.disqualify", f"lead {lead.id}", reason=reason)
