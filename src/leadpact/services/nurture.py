"""Nurture sequences: the file in force, who is in which sequence, and the emails each step writes to the outbox.

The worker's nurture pass (``advance``) enrols the leads a sequence's entry names (recycled with its reason, or
inquiries below the qualification rule), ends the enrolments whose lead must leave (it qualified, was assigned or
disqualified, or its address is suppressed), and for each enrolment whose next step is due writes that step's email
to the outbox (``nurture_messages``) in the same transaction as the decision, then schedules the step after it.
Sending is ``services.mailer``'s: it checks the exits once more right before each send. A lead that qualifies
leaves its sequences at once, where the agreement hands it off (``leave``).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from urllib.parse import quote

from sqlalchemy import ColumnElement, Select, String, case, cast, func, literal, select, update
from sqlalchemy.orm import InstrumentedAttribute

from leadpact.domain.agreement import Agreement, Duration
from leadpact.domain.calendar import add_working_time
from leadpact.domain.errors import InvalidInput, NotFound, NotPermitted
from leadpact.domain.lifecycle import Stage
from leadpact.domain.nurture import BELOW_FLOOR, LIST, NurtureFile, Sequence, exit_reason, parse_nurture, render
from leadpact.domain.permissions import Role
from leadpact.domain.scoring import from_seconds, to_seconds
from leadpact.services import audit
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.tables import (
    Consent,
    Lead,
    LeadField,
    NurtureEnrolment,
    NurtureMessage,
    NurtureVersion,
    StageChange,
    Suppression,
    User,
)
from leadpact.store.unit_of_work import UnitOfWork

NONE_YET = "no nurture sequences are in force yet; adopt a file with 'leadpact nurture adopt FILE'"
CONSENT_PURPOSE = "marketing_email"
"""The consent a nurture email needs (the privacy records' purpose)."""
BATCH = 500
"""Enrolments advanced per pass: a large backlog is worked off over a few passes."""


def digest(email: str) -> str:
    """How the suppression list keeps an address: its SHA-256, lower case."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


SCREENED_NOT_YET = "not_yet"
"""The reason a qualifier's "not yet" recycles a screened lead with (services.screening)."""


def recycling_reasons(agreement: Agreement) -> frozenset[str]:
    """The reasons a lead is recycled with: the reject reasons that do not disqualify, every lost reason, and a
    qualifier's ``not_yet`` when the agreement screens inquiries."""
    lost = {reason for reasons in agreement.lost_reasons.values() for reason in reasons}
    screened = {SCREENED_NOT_YET} if agreement.screening is not None else set()
    return frozenset({r.name for r in agreement.reject_reasons.values() if not r.disqualify} | lost | screened)


@lru_cache(maxsize=8)
def _parsed(text: str, source: str) -> NurtureFile:
    return parse_nurture(text, source)


def in_force(uow: UnitOfWork) -> tuple[int, NurtureFile] | None:
    """The newest adopted version and its sequences; None before any is adopted."""
    row = uow.session.scalars(select(NurtureVersion).order_by(NurtureVersion.version.desc()).limit(1)).first()
    return (row.version, _parsed(row.text, f"nurture version {row.version}")) if row else None


def required(uow: UnitOfWork) -> tuple[int, NurtureFile]:
    found = in_force(uow)
    if found is None:
        raise NotFound(NONE_YET)
    return found


def sequence(uow: UnitOfWork, name: str) -> Sequence:
    _version, file = required(uow)
    if name not in file.sequences:
        raise NotFound(f"no sequence named '{name}'; the sequences are: {', '.join(file.sequences)}")
    return file.sequences[name]


def check(text: str, source: str, inforce: InForce) -> NurtureFile:
    """The file parsed against the agreement in force (its entries must be its recycling reasons)."""
    return parse_nurture(text, source, recycling_reasons(inforce.agreement))


def adopt(uow: UnitOfWork, clock: Clock, inforce: InForce, text: str, source: str, by: str) -> NurtureVersion:
    """Store the file as the next version, in force from now. Marketing owns nurture: the adopter is a marketing
    user or a marketing-side manager."""
    user = uow.session.scalars(select(User).where(User.name == by)).first()
    if user is None:
        raise InvalidInput(f"no person named '{by}'", "by")
    if not (user.role == Role.MARKETING or (user.role == Role.MANAGER and user.side == "marketing")):
        raise NotPermitted(f"{by} is not on marketing's side: a marketing user or manager adopts nurture sequences")
    parsed = check(text, source, inforce)
    uow.serialize_writes()
    newest = uow.session.scalar(select(func.max(NurtureVersion.version))) or 0
    row = NurtureVersion(
        version=newest + 1,
        name=parsed.name,
        text=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        adopted_by=by,
        adopted_at=clock.now(),
    )
    uow.session.add(row)
    audit.record(uow, clock.now(), "nurture.adopt", f"nurture version {row.version}", by=by, source=source)
    uow.session.flush()
    return row


@dataclass(frozen=True)
class SequenceRow:
    name: str
    entry: str
    steps: int
    active: int
    enrolled: int


def sequences(uow: UnitOfWork) -> tuple[int, list[SequenceRow]]:
    """The version in force and each of its sequences, with how many leads are in it now and ever were."""
    version, file = required(uow)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    query = select(NurtureEnrolment.sequence, NurtureEnrolment.ended_at.is_(None), func.count()).group_by(
        NurtureEnrolment.sequence, NurtureEnrolment.ended_at.is_(None)
    )
    for name, active, n in uow.session.execute(query):
        counts[name][0] += n if active else 0
        counts[name][1] += n
    return version, [
        SequenceRow(s.name, s.entry, len(s.steps), counts[s.name][0], counts[s.name][1])
        for s in file.sequences.values()
    ]


@dataclass
class Enrolled:
    enrolled: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)


def _start(
    uow: UnitOfWork, agreement: Agreement, seq: Sequence, version: int, lead_id: int, key: str, at: datetime
) -> None:
    due = after_working_days(agreement, at, seq.steps[0].wait_days)
    uow.append(
        NurtureEnrolment,
        sequence=seq.name,
        lead_id=lead_id,
        entry_key=key,
        version=version,
        entered_at=at,
        step=1,
        due_at=due,
        sent_step=0,
    )


def after_working_days(agreement: Agreement, at: datetime, days: float) -> datetime:
    """``days`` working days after ``at`` on the agreement's calendar; 0 is the next working moment."""
    return from_seconds(add_working_time(agreement, to_seconds(at), Duration(days, "d")))


def enroll(uow: UnitOfWork, clock: Clock, inforce: InForce, name: str, emails: list[str]) -> Enrolled:
    """Put leads in a sequence by hand (a list); a lead already in it stays where it is. Every email must be a
    lead's: one that is not is refused, and nobody is enrolled."""
    version, _file = required(uow)
    seq = sequence(uow, name)
    wanted = list(dict.fromkeys(e.strip().lower() for e in emails if e.strip()))
    if not wanted:
        raise InvalidInput("give at least one email address", "emails")
    uow.serialize_writes()
    leads = dict(uow.session.execute(select(Lead.email, Lead.id).where(Lead.email.in_(wanted))).all())
    unknown = [e for e in wanted if e not in leads]
    if unknown:
        raise NotFound(f"no lead with email {', '.join(repr(e) for e in unknown[:10])}; capture the leads first")
    active = set(
        uow.session.scalars(
            select(NurtureEnrolment.lead_id).where(
                NurtureEnrolment.sequence == name,
                NurtureEnrolment.ended_at.is_(None),
                NurtureEnrolment.lead_id.in_(list(leads.values())),
            )
        )
    )
    now = clock.now()
    done = Enrolled()
    for email in wanted:
        if leads[email] in active:
            done.already.append(email)
            continue
        _start(uow, inforce.agreement, seq, version, leads[email], f"{LIST}:{to_seconds(now)}", now)
        done.enrolled.append(email)
    audit.record(uow, now, "nurture.enroll", f"sequence {name}", enrolled=len(done.enrolled), already=len(done.already))
    return done


LEAVE_CHUNK = 5_000
MERGED = "merged"  # the exit of a duplicate merged into another lead: the survivor is nurtured, if anyone


def leave(uow: UnitOfWork, lead_id: int, at: datetime, reason: str) -> None:
    """The lead leaves every sequence it is in, now; what was written for it and is not sent yet is stopped."""
    leave_all(uow, [lead_id], at, reason)


def leave_all(uow: UnitOfWork, lead_ids: list[int], at: datetime, reason: str) -> None:
    """``leave`` for many leads, in a statement per few thousand of them (an import hands off thousands)."""
    for start in range(0, len(lead_ids), LEAVE_CHUNK):
        uow.session.execute(
            update(NurtureEnrolment)
            .where(
                NurtureEnrolment.lead_id.in_(lead_ids[start : start + LEAVE_CHUNK]),
                NurtureEnrolment.ended_at.is_(None),
            )
            .values(ended_at=at, end_reason=reason, step=None, due_at=None)
            .execution_options(synchronize_session=False)
        )


def forget(uow: UnitOfWork, lead_id: int, placeholder: str, at: datetime) -> None:
    """An erasure: the lead's sequences end, and its emails keep no word of the person (the address becomes the
    erased lead's placeholder); the counts of what was sent stay."""
    leave(uow, lead_id, at, "erased")
    uow.session.execute(
        update(NurtureMessage)
        .where(NurtureMessage.lead_id == lead_id)
        .values(to_address=placeholder, subject="(erased)", body="(erased)")
        .execution_options(synchronize_session=False)
    )
    uow.session.execute(
        update(NurtureMessage)
        .where(NurtureMessage.lead_id == lead_id, NurtureMessage.outcome.is_(None))
        .values(outcome="stopped", detail="erased")
        .execution_options(synchronize_session=False)
    )


def suppress(uow: UnitOfWork, email: str, reason: str, at: datetime) -> None:
    """No email goes to the address any more; the first reason recorded is kept."""
    key = digest(email)
    if uow.session.get(Suppression, key) is None:
        uow.append(Suppression, email_digest=key, reason=reason, at=at)
        uow.session.flush()


def suppressed(uow: UnitOfWork, email: str) -> str | None:
    """Why the address is suppressed (unsubscribed, bounced, erased), or None."""
    return uow.session.scalar(select(Suppression.reason).where(Suppression.email_digest == digest(email)))


def consented(uow: UnitOfWork, lead_id: int) -> bool:
    """Whether the person's newest answer to marketing email is yes."""
    newest = uow.session.scalar(
        select(Consent.granted)
        .where(Consent.lead_id == lead_id, Consent.purpose == CONSENT_PURPOSE)
        .order_by(Consent.at.desc(), Consent.id.desc())
        .limit(1)
    )
    return bool(newest)


def why_stop(uow: UnitOfWork, lead: Lead) -> str | None:
    """Why nothing more may be sent to the lead now: it was merged into another lead, left the open stages, has an
    owner, is suppressed, or never consented (``no_consent``)."""
    if lead.merged_into is not None:
        return MERGED
    reason = exit_reason(lead.stage, lead.owner_id is not None, suppressed(uow, lead.email))
    if reason is None and not consented(uow, lead.id):
        return "no_consent"
    return reason


def held_back(uow: UnitOfWork, emails: list[str]) -> dict[str, str]:
    """Of these leads (by email), those nothing will be sent to now, with why (``why_stop``): the next pass ends
    their enrolment."""
    leads = uow.session.scalars(select(Lead).where(Lead.email.in_(emails)))
    return {lead.email: reason for lead in leads if (reason := why_stop(uow, lead)) is not None}


@dataclass
class Advanced:
    enrolled: int = 0
    written: int = 0
    ended: dict[str, int] = field(default_factory=dict)


def advance(uow: UnitOfWork, clock: Clock, inforce: InForce, public_url: str) -> Advanced:
    """One nurture pass: enrol who the entries name, end who must leave, write the emails of the steps due."""
    done = Advanced()
    found = in_force(uow)
    if found is None:
        return done
    version, file = found
    uow.serialize_writes()
    now = clock.now()
    done.enrolled = _enrol_entries(uow, inforce.agreement, file, version, now)
    due = uow.session.scalars(
        select(NurtureEnrolment)
        .where(NurtureEnrolment.ended_at.is_(None), NurtureEnrolment.due_at <= now)
        .order_by(NurtureEnrolment.due_at, NurtureEnrolment.id)
        .limit(BATCH)
    ).all()
    for enrolment in due:
        lead = uow.session.get_one(Lead, enrolment.lead_id)
        seq = file.sequences.get(enrolment.sequence)
        step = seq.step(enrolment.step) if seq and enrolment.step else None
        reason = why_stop(uow, lead)
        if reason is not None or seq is None or step is None:
            reason = reason or "sequence_removed"  # a newer version of the file has no such sequence or step
            _end(enrolment, now, reason)
            done.ended[reason] = done.ended.get(reason, 0) + 1
            continue
        _write(uow, lead, enrolment, seq, step.number, now, public_url)
        following = seq.next_step(step.number)
        next_step = seq.step(following) if following else None
        enrolment.sent_step = step.number
        enrolment.step = following
        enrolment.due_at = (
            after_working_days(inforce.agreement, now, next_step.wait_days) if next_step is not None else None
        )
        done.written += 1
    return done


def _end(enrolment: NurtureEnrolment, at: datetime, reason: str) -> None:
    enrolment.ended_at, enrolment.end_reason, enrolment.step, enrolment.due_at = at, reason, None, None


def _write(
    uow: UnitOfWork, lead: Lead, enrolment: NurtureEnrolment, seq: Sequence, number: int, now: datetime, base: str
) -> None:
    """The step's email for the lead, in the outbox, with its own token and Message-ID."""
    step = seq.steps[number - 1]
    token = secrets.token_urlsafe(24)
    custom = dict(
        uow.session.execute(select(LeadField.name, LeadField.value).where(LeadField.lead_id == lead.id)).all()
    )
    values = {name: getattr(lead, name) for name in ("first_name", "last_name", "email", "title", "company")}
    values |= {"industry": lead.industry, "country": lead.country, "source": lead.source}
    mail = render(step, values, custom, lambda url: f"{base}/c/{token}?to={quote(url, safe='')}")
    footer = f"\n\n--\nTo receive no more of these emails, unsubscribe: {base}/u/{token}\n"
    uow.append(
        NurtureMessage,
        enrolment_id=enrolment.id,
        lead_id=lead.id,
        sequence=seq.name,
        step=number,
        to_address=lead.email,
        subject=mail.subject,
        body=mail.body.rstrip() + footer,
        targets=json.dumps(list(step.targets)),
        token=token,
        message_id=f"<{uuid.uuid4().hex}@leadpact>",
        created_at=now,
        attempts=0,
    )


def _enrol_entries(uow: UnitOfWork, agreement: Agreement, file: NurtureFile, version: int, now: datetime) -> int:
    """Enrol, once per cause, the recycled leads whose latest recycling reason a sequence names, and the
    inquiries, in the sequences whose entry is ``below_floor``. The pass runs every few seconds, so only the causes
    that have not enrolled their lead yet are read."""
    count = 0
    for seq in file.sequences.values():
        if seq.entry == LIST:
            continue
        for lead_id, key in uow.session.execute(_new_entries(seq)):
            _start(uow, agreement, seq, version, lead_id, key, now)
            count += 1
    return count


def _new_entries(seq: Sequence) -> Select[int, str]:
    """(lead, entry key) of each cause the sequence's entry names that has not enrolled its lead in it yet."""
    lead: InstrumentedAttribute[int]
    key: ColumnElement[str]
    if seq.entry == BELOW_FLOOR:
        lead, key = Lead.id, literal(BELOW_FLOOR, String)
        found = select(lead, key).where(Lead.stage == Stage.INQUIRY, Lead.merged_into.is_(None))
    else:
        latest = (
            select(func.max(StageChange.id))
            .join(Lead, Lead.id == StageChange.lead_id)
            .where(Lead.stage == Stage.RECYCLED, Lead.merged_into.is_(None), StageChange.to_stage == Stage.RECYCLED)
            .group_by(StageChange.lead_id)
        )
        lead, key = StageChange.lead_id, literal("recycle:", String) + cast(StageChange.id, String)
        found = select(lead, key).where(StageChange.id.in_(latest), StageChange.reason == seq.entry)
    taken = select(NurtureEnrolment.id).where(
        NurtureEnrolment.sequence == seq.name, NurtureEnrolment.lead_id == lead, NurtureEnrolment.entry_key == key
    )
    return found.where(~taken.exists()).order_by(lead)


@dataclass
class StepStats:
    step: int
    subject: str
    written: int = 0
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    unsubscribed: int = 0
    bounced: int = 0
    qualified: int = 0
    waiting: int = 0


@dataclass
class SequenceStats:
    name: str
    entry: str
    enrolled: int = 0
    active: int = 0
    steps: list[StepStats] = field(default_factory=list)

    def total(self, what: str) -> int:
        return sum(int(getattr(s, what)) for s in self.steps)


def stats(uow: UnitOfWork) -> list[SequenceStats]:
    """Per sequence and step: emails written, sent, opened, clicked, unsubscribed from, bounced, still waiting in
    the outbox, and the leads that qualified after that step was their last."""
    _version, file = required(uow)
    out = {
        s.name: SequenceStats(s.name, s.entry, steps=[StepStats(p.number, p.subject) for p in s.steps])
        for s in file.sequences.values()
    }
    for name, active, n in uow.session.execute(
        select(NurtureEnrolment.sequence, NurtureEnrolment.ended_at.is_(None), func.count()).group_by(
            NurtureEnrolment.sequence, NurtureEnrolment.ended_at.is_(None)
        )
    ):
        if name in out:
            out[name].enrolled += n
            out[name].active += n if active else 0
    m = NurtureMessage
    rows = uow.session.execute(
        select(
            m.sequence,
            m.step,
            func.count(),
            func.count(m.sent_at),
            func.count(m.opened_at),
            func.count(m.clicked_at),
            func.count(m.unsubscribed_at),
            func.sum(case((m.outcome == "bounced", 1), else_=0)),
            func.sum(case((m.outcome.is_(None), 1), else_=0)),
        ).group_by(m.sequence, m.step)
    )
    for name, number, written, sent, opened, clicked, unsubscribed, bounced, waiting in rows:
        line = _line(out, name, number)
        if line is not None:
            line.written, line.sent, line.opened, line.clicked = written, sent, opened, clicked
            line.unsubscribed, line.bounced, line.waiting = unsubscribed, int(bounced or 0), int(waiting or 0)
    e = NurtureEnrolment
    for name, number, n in uow.session.execute(
        select(e.sequence, e.sent_step, func.count())
        .where(e.end_reason == "qualified")
        .group_by(e.sequence, e.sent_step)
    ):
        line = _line(out, name, number)
        if line is not None:
            line.qualified = n
    return list(out.values())


def _line(out: dict[str, SequenceStats], name: str, number: int) -> StepStats | None:
    seq = out.get(name)
    return seq.steps[number - 1] if seq is not None and 1 <= number <= len(seq.steps) else None


@dataclass(frozen=True)
class InSequence:
    sequence: str
    step: int | None  # the next step; None when none is left
    sent_step: int
    due_at: datetime | None
    entered_at: datetime
    ended_at: datetime | None
    end_reason: str | None

    def where(self, when: Callable[[datetime], str]) -> str:
        """Where the lead stands in the sequence, in words, each moment as ``when`` writes it (the command line in
        UTC, the pages in the agreement's zone)."""
        sent = f"step {self.sent_step} sent, " if self.sent_step else ""
        if self.ended_at is not None:
            reason = (self.end_reason or "").replace("_", " ")
            return f"{sent}left on {when(self.ended_at)} ({reason})"
        if self.step is not None and self.due_at is not None:
            return f"{sent}step {self.step} due {when(self.due_at)}"
        return f"step {self.sent_step}, the last, sent"


def of_lead(uow: UnitOfWork, lead_id: int) -> list[InSequence]:
    """The sequences the lead is or was in, the current first, then the newest."""
    rows = uow.session.scalars(
        select(NurtureEnrolment)
        .where(NurtureEnrolment.lead_id == lead_id)
        .order_by(NurtureEnrolment.ended_at.is_not(None), NurtureEnrolment.id.desc())
    )
    return [InSequence(r.sequence, r.step, r.sent_step, r.due_at, r.entered_at, r.ended_at, r.end_reason) for r in rows]
