"""Personal data: everything held about a person, given on request; erased on request, leaving the numbers whole.

An export gathers every row that concerns the person's lead: its fields and custom fields, its account, the
consents it gave, its events, score ledger, the replay of its events kept for the reports, stage history,
assignments, opportunities, the sales feedback on it, the nurture emails sent to it, the messages sent about it,
and the audit trail's entries about it.

An erasure removes what identifies the person and keeps the lead as an anonymous row, so every report's totals
stay as they were and a rescore changes nothing:

- the name goes, and the email becomes ``erased-<lead id>@<its domain>`` (the domain is the company's, or a
  free-mail provider's, which the agreement's ``free_mail`` rules read);
- custom fields go, and so does the title, unless a rule of an adopted agreement version reads it: then it
  stays, as a fact the scores and grades rest on, not a way to find the person;
- consents go, and so do the notes of sales feedback (its competitor, requests and message stay) and of a
  rep's reject (its reason stays); event ids (which a sender may have made of the email) are replaced, in the
  same order, by ``erased-<lead id>-<n>``, in the ledger too; the messages of the outbox name the new email
  instead;
- the company, its account, the campaign, the source and every moment stay: they are the business's, and the
  reports count them;
- the lead leaves its nurture sequences, its nurture emails keep no word of the person, and the address goes on the
  suppression list (as its SHA-256), so nothing is sent to it again.

The erasure itself is kept (the email's SHA-256, the reason, who and when), and in the audit trail. On SQLite
the file is compacted afterwards (``VACUUM``), so the old values are gone from it, not only unreachable.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, inspect, select, update

from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.domain.fields import email_domain
from leadpact.domain.scoring import from_seconds
from leadpact.services import audit, auth, intake, nurture
from leadpact.services.clock import Clock
from leadpact.store.tables import (
    Account,
    AgreementVersion,
    Assignment,
    AuditEntry,
    Campaign,
    Consent,
    Erasure,
    Event,
    Feedback,
    KeptReplay,
    Lead,
    LeadField,
    LedgerEntry,
    NurtureMessage,
    Opportunity,
    OpportunityChange,
    OutboxMessage,
    ScreeningCall,
    ScreeningEntry,
    StageChange,
    User,
)
from leadpact.store.unit_of_work import UnitOfWork

PURPOSE = "marketing_email"
"""What a consent is given for: marketing email (nurture)."""
ERASED_TABLES = (
    "leads",
    "lead_fields",
    "events",
    "score_ledger",
    "outbox",
    "consents",
    "nurture_messages",
    "feedback",
    "screenings",
    "screening_calls",
)
"""Where an erasure changes rows; PostgreSQL vacuums them afterwards."""


def digest(email: str) -> str:
    """What an erasure keeps of the email: its SHA-256."""
    return auth.digest(email.strip().lower())


def record_consent(uow: UnitOfWork, lead: Lead, granted: bool, source: str, at: datetime) -> None:
    """The person said yes (or no) to marketing email, there and then; the newest answer holds."""
    uow.append(Consent, lead_id=lead.id, purpose=PURPOSE, granted=granted, source=source, at=at)


def _lead(uow: UnitOfWork, ref: str, lock: bool) -> Lead:
    """The lead by email (or id); an email whose person was erased is told so."""
    try:
        return intake.lead_for_change(uow, ref) if lock else intake.find_lead(uow, ref)
    except NotFound:
        erased = uow.session.scalars(
            select(Erasure).where(Erasure.email_digest == digest(ref)).order_by(Erasure.id.desc()).limit(1)
        ).first()
        if erased is not None:
            raise NotFound(
                f"no lead with email '{ref.strip()}': that person's data was erased on {erased.at:%Y-%m-%d}"
            ) from None
        raise


def _rows(items: Iterable[Any], *columns: str) -> list[dict[str, Any]]:
    return [{c: getattr(item, c) for c in columns} for item in items]


def export(uow: UnitOfWork, clock: Clock, email: str) -> dict[str, Any]:
    """Everything held about the person with this email, as plain data."""
    lead = _lead(uow, email, lock=False)
    session = uow.session
    people = dict(session.execute(select(User.id, User.name)).all())

    def held(model: Any, *columns: str, named: tuple[str, str] | None = None) -> list[dict[str, Any]]:
        """The lead's rows of ``model``, oldest first; ``named`` puts a person's name for their id."""
        query = select(model).where(model.lead_id == lead.id).order_by(*inspect(model).primary_key)
        rows = _rows(session.scalars(query), *columns)
        if named is not None:
            for row in rows:
                row[named[1]] = people.get(row.pop(named[0]))
        return rows

    account = session.get(Account, lead.account_id) if lead.account_id else None
    campaign = session.get(Campaign, lead.campaign_id) if lead.campaign_id else None
    opportunities = held(Opportunity, "id", "amount", "close_date", "stage", "created_at", "closed_at", "won")
    changes = session.scalars(
        select(OpportunityChange)
        .where(OpportunityChange.opportunity_id.in_([o["id"] for o in opportunities]))
        .order_by(OpportunityChange.id)
    )
    mentioning = _mentioning(lead.email)
    subject = f"lead {lead.id}"
    data: dict[str, Any] = {
        "exported_at": clock.now(),
        "lead": {
            **_rows([lead], "id", "email", "first_name", "last_name", "title", "company", "domain", "industry")[0],
            **_rows([lead], "employees", "country", "source", "created_at", "stage", "fit", "grade")[0],
            "campaign": campaign.name if campaign else None,
            "owner": people.get(lead.owner_id) if lead.owner_id else None,
        },
        "custom_fields": {row["name"]: row["value"] for row in held(LeadField, "name", "value")},
        "account": _rows([account], "domain", "name", "industry", "employees", "country")[0] if account else None,
        "consents": held(Consent, "purpose", "granted", "source", "at"),
        "events": held(Event, "event_id", "type", "occurred_at", "counted"),
        "score_ledger": held(LedgerEntry, "at", "kind", "item", "points", "version"),
        "kept_replay": held(KeptReplay, "fit", "screened_source", "latest", "first", "first_screened", "top"),
        "stage_history": held(
            StageChange, "at", "from_stage", "to_stage", "by_user_id", "reason", "note", named=("by_user_id", "by")
        ),
        "assignments": held(
            Assignment,
            "user_id",
            "assigned_at",
            "accepted_at",
            "contacted_at",
            "ended_at",
            "end_reason",
            named=("user_id", "rep"),
        ),
        "opportunities": opportunities,
        "opportunity_changes": _rows(changes, "opportunity_id", "from_stage", "to_stage", "at"),
        "feedback": held(
            Feedback, "moment", "competitor", "message", "note", "at", "by_user_id", named=("by_user_id", "by")
        ),
        "screenings": held(
            ScreeningEntry,
            "entered_at",
            "call_due",
            "first_call_at",
            "decided_at",
            "decision",
            "reason",
            "note",
            "qualifier_id",
            named=("qualifier_id", "qualifier"),
        ),
        "screening_calls": held(
            ScreeningCall, "at", "outcome", "note", "qualifier_id", named=("qualifier_id", "qualifier")
        ),
        "nurture_emails": held(
            NurtureMessage, "sequence", "step", "subject", "created_at", "sent_at", "outcome", "opened_at", "clicked_at"
        ),
        "messages": _rows(
            session.scalars(select(OutboxMessage).where(mentioning).order_by(OutboxMessage.id)),
            "topic",
            "created_at",
            "payload",
            "delivered_at",
        ),
        "audit": _rows(
            session.scalars(select(AuditEntry).where(AuditEntry.subject == subject).order_by(AuditEntry.id)),
            "at",
            "actor",
            "action",
            "detail",
        ),
    }
    for row in (*data["events"], *data["score_ledger"], *data["kept_replay"]):  # scoring's moments: epoch seconds
        for key in ("occurred_at", "at", "latest", "first", "first_screened"):
            if row.get(key) is not None:
                row[key] = from_seconds(row[key])
    audit.record(uow, clock.now(), "lead.export", subject)
    return data


@dataclass(frozen=True)
class Erased:
    lead_id: int
    placeholder: str  # the email the anonymous lead row now carries
    kept: list[str]  # fields kept because an agreement's rules read them
    events: int
    messages: int


def _fields_read(uow: UnitOfWork) -> set[str]:
    """The lead fields (not the account's) that a fit or routing rule of any adopted version reads."""
    read: set[str] = set()
    for number, text_ in uow.session.execute(select(AgreementVersion.version, AgreementVersion.text)):
        agreement = parse_agreement(text_, f"agreement version {number}")
        read.update(rule.condition.field for rule in agreement.fit_rules)
        read.update(route.when.field for route in agreement.handoff.routing if route.when)
    return {f for f in read if not f.startswith("account.")}


def erase(uow: UnitOfWork, clock: Clock, email: str, reason: str) -> Erased:
    """Erase the person's personal data everywhere it is held and keep the lead as an anonymous row."""
    if not reason.strip():
        raise InvalidInput("reason: say why the data is erased (e.g. 'request of 2026-12-01 by email')")
    lead = _lead(uow, email, lock=True)
    session = uow.session
    now = clock.now()
    read = _fields_read(uow)
    original = lead.email
    placeholder = f"erased-{lead.id}@{email_domain(original) or 'erased.invalid'}"
    lead.email, lead.first_name, lead.last_name = placeholder, None, None
    if "title" not in read:
        lead.title = None
    custom = set(session.scalars(select(LeadField.name).where(LeadField.lead_id == lead.id)))
    kept = sorted(read & ({"title"} if lead.title else set()) | (read & custom))
    session.execute(delete(LeadField).where(LeadField.lead_id == lead.id, LeadField.name.in_(custom - read)))
    session.execute(delete(Consent).where(Consent.lead_id == lead.id))
    session.execute(update(Feedback).where(Feedback.lead_id == lead.id).values(note=None))  # a rep's words on them
    session.execute(update(StageChange).where(StageChange.lead_id == lead.id).values(note=None))
    session.execute(update(ScreeningEntry).where(ScreeningEntry.lead_id == lead.id).values(note=None))  # a qualifier's
    session.execute(update(ScreeningCall).where(ScreeningCall.lead_id == lead.id).values(note=None))
    events = session.execute(
        select(Event.id, Event.event_id).where(Event.lead_id == lead.id).order_by(Event.event_id)
    ).all()
    for n, (row_id, event_id) in enumerate(events):  # the order kept: ties at one second break by event id
        renamed = f"erased-{lead.id}-{n:06d}"
        session.execute(update(Event).where(Event.id == row_id).values(event_id=renamed))
        session.execute(
            update(LedgerEntry)
            .where(LedgerEntry.lead_id == lead.id, LedgerEntry.kind == "event", LedgerEntry.item == event_id)
            .values(item=renamed)
        )
    mentioning = _mentioning(original)
    messages = session.scalar(select(func.count()).where(mentioning)) or 0
    anonymous = func.replace(OutboxMessage.payload, json.dumps(original), json.dumps(placeholder))
    session.execute(update(OutboxMessage).where(mentioning).values(payload=anonymous))
    nurture.suppress(uow, original, "erased", now)  # by its SHA-256: the address itself is not kept
    nurture.forget(uow, lead.id, placeholder, now)
    by = audit.actor_name(uow)
    uow.append(Erasure, lead_id=lead.id, email_digest=digest(original), reason=reason.strip(), at=now, by=by)
    audit.record(uow, now, "lead.erase", f"lead {lead.id}", reason=reason.strip(), kept=kept)
    return Erased(lead.id, placeholder, kept, len(events), messages)


def _mentioning(email: str) -> Any:
    """Outbox messages with the email as a value: matched as the JSON text holds it, quotes and escapes included,
    so a longer address that ends with this one is not taken for it."""
    return OutboxMessage.payload.contains(json.dumps(email), autoescape=True)


def compact(engine: Engine) -> None:
    """Rewrite the storage so erased values are gone from the files, not only unreachable.

    SQLite: ``VACUUM`` rebuilds the file from the live rows, then the write-ahead log is emptied. PostgreSQL:
    ``VACUUM`` frees the old row versions of the tables an erasure changes (``VACUUM FULL`` in a maintenance
    window rewrites their files; backups keep old values until they are rotated).
    """
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("VACUUM")
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            connection.exec_driver_sql(f"VACUUM {', '.join(ERASED_TABLES)}")
