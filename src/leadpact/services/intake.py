"""Capturing leads and their events, from any source: imports, the API, web forms, the demo."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select

from leadpact.domain.dedupe import company_key
from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.domain.fields import FREE_MAIL_DOMAINS, email_domain
from leadpact.domain.lifecycle import Stage
from leadpact.domain.scoring import engagement_at, entry_now, fit_points, to_seconds
from leadpact.services import account_match, engagement, handoff, lifecycle, predictions
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.services.facts import facts_of_many
from leadpact.store.tables import Account, Campaign, Lead, LeadField, LedgerEntry
from leadpact.store.unit_of_work import UnitOfWork

EMAIL = re.compile(r"^[\w.!#$%&'*+/=?^`{|}~-]+@(?:[\w-]+\.)+[\w-]+$")
"""An address: letters and digits of any script and the specials RFC 5322 allows before the @, a dotted domain
after it. No spaces, control characters or the U+FFFD that invalid bytes decode to."""
MAX_ID = 2**31 - 1  # no table's key is larger, on any engine
TEXT_FIELDS = ("first_name", "last_name", "title", "company", "domain", "industry", "country", "source")


@dataclass
class LeadInput:
    email: str
    first_name: str | None = None
    last_name: str | None = None
    title: str | None = None
    company: str | None = None
    domain: str | None = None
    industry: str | None = None
    employees: int | None = None
    country: str | None = None
    source: str | None = None
    campaign: str | None = None
    created_at: datetime | None = None
    custom: dict[str, str] = field(default_factory=dict)


def normalize_email(email: str) -> str:
    value = email.strip().lower()
    if not EMAIL.match(value):
        raise InvalidInput(f"email: '{email}' is not an email address")
    return value


def campaign_id(uow: UnitOfWork, name: str) -> int:
    """The campaign's id, creating the campaign the first time a lead or event names it."""
    name = name.strip()
    found = uow.session.scalar(select(Campaign.id).where(Campaign.name == name))
    if found is not None:
        return found
    campaign = Campaign(name=name)
    uow.session.add(campaign)
    uow.session.flush()
    return campaign.id


def find_lead(uow: UnitOfWork, ref: str) -> Lead:
    """A lead by email, or by id when ``ref`` is a number, read to be shown."""
    return _lead(uow, ref, lock=False)


def lead_for_change(uow: UnitOfWork, ref: str) -> Lead:
    """The lead (as ``find_lead``) read for a change of its stage, owner or opportunity.

    The unit of work takes the write lock first (SQLite) and the lead's row stays locked until it ends
    (PostgreSQL): a second change of the same lead at the same moment waits, then reads what the first one did,
    so the lead's history stays one chain.
    """
    return _lead(uow, ref, lock=True)


def _lead(uow: UnitOfWork, ref: str, lock: bool) -> Lead:
    ref = ref.strip()
    by_id = ref.isascii() and ref.isdigit()
    if lock:
        uow.serialize_writes()
    query = select(Lead).where(Lead.id == int(ref) if by_id else Lead.email == ref.lower())
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    lead = uow.session.scalars(query).first() if not by_id or int(ref) <= MAX_ID else None
    if lead is None:
        raise NotFound(f"no lead with {'id' if by_id else 'email'} '{ref}'")
    return lead


class Captured(NamedTuple):
    lead: Lead
    created: bool
    updated: bool  # an existing lead, or its account or custom fields, took a new value


def capture_lead(uow: UnitOfWork, clock: Clock, inforce: InForce, data: LeadInput) -> tuple[Lead, bool]:
    """Create the lead, or update the fields given for an existing one; rescore its fit. (lead, created)."""
    lead, created, _ = capture_leads(uow, clock, inforce, [data])[0]
    return lead, created


def capture_leads(uow: UnitOfWork, clock: Clock, inforce: InForce, inputs: Sequence[LeadInput]) -> list[Captured]:
    """Capture many leads as if one after the other, in a few queries per batch rather than a few per lead.

    Each lead is created, or updated with the fields given; its account (by domain) takes the firmographics
    given. Then the fit of every lead captured is rescored, and of every other lead whose account changed.
    """
    out: list[Captured] = []
    batch: list[LeadInput] = []
    emails: set[str] = set()
    for data in inputs:  # a batch holds each email once, so later inputs see what earlier ones did
        email = normalize_email(data.email)
        if email in emails:
            out += _capture_batch(uow, clock, inforce, batch)
            batch, emails = [], set()
        batch.append(data)
        emails.add(email)
    return out + _capture_batch(uow, clock, inforce, batch)


def _capture_batch(uow: UnitOfWork, clock: Clock, inforce: InForce, inputs: Sequence[LeadInput]) -> list[Captured]:
    if not inputs:
        return []
    now = clock.now()
    session = uow.session
    emails = [normalize_email(data.email) for data in inputs]
    domains = [_domain_of(data, email) for data, email in zip(inputs, emails, strict=True)]
    firmographics = sorted({d for data, d in zip(inputs, domains, strict=True) if d and _gives_account(data)})
    uow.serialize_writes()  # what a capture reads (a lead's stage, its account) no other change may alter meanwhile
    known = _locked_leads(uow, emails, firmographics)
    accounts = _locked_accounts(uow, [d for d in domains if d is not None])
    accounts.update(
        account_match.joined(uow, accounts, [(d, data.company) for data, d in zip(inputs, domains, strict=True) if d])
    )
    campaigns: dict[str, int] = {}
    changed_accounts: set[str] = set()
    captured: list[tuple[Lead, bool, Account | None]] = []
    updated: set[str] = set()
    for data, email, domain in zip(inputs, emails, domains, strict=True):
        lead = known.get(email)
        if lead is None:
            lead = Lead(
                email=email,
                stage=Stage.INQUIRY,
                created_at=data.created_at or now,
                fit=0.0,
                engagement=0.0,
                engagement_at=0,
                latest_at=0,
            )
            session.add(lead)
        for name in TEXT_FIELDS:
            value = getattr(data, name)
            if value is not None and value.strip():
                setattr(lead, name, value.strip())
        if data.employees is not None:
            lead.employees = data.employees
        if data.campaign and lead.campaign_id is None:
            name = data.campaign.strip()
            if name not in campaigns:
                campaigns[name] = campaign_id(uow, name)
            lead.campaign_id = campaigns[name]
        account = None
        if domain is not None:
            account = accounts.get(domain)
            if account is None:
                account = accounts[domain] = Account(domain=domain)
                session.add(account)
                _update_account(account, data)
            elif _update_account(account, data):
                changed_accounts.add(domain)
                updated.add(email)
        if email in known and session.is_modified(lead):
            updated.add(email)
        captured.append((lead, email not in known, account))
    session.flush()
    for lead, created, account in captured:
        if account is not None:
            lead.account_id = account.id
        if created:
            lifecycle.created(uow, lead, lead.created_at, inforce.version)
    custom = [(lead, data.custom) for (lead, _, _), data in zip(captured, inputs, strict=True)]
    updated.update(lead.email for lead in set_fields_many(uow, custom))
    refit_many(uow, clock, inforce, [(lead, lead.created_at if created else now) for lead, created, _ in captured])
    if changed_accounts:  # the account's firmographics count for all its leads (locked with the captured ones)
        ids = [accounts[domain].id for domain in sorted(changed_accounts)]
        mine = {lead.id for lead, _, _ in captured}
        colleagues = session.scalars(select(Lead).where(Lead.account_id.in_(ids)).order_by(Lead.id)).all()
        refit_many(uow, clock, inforce, [(lead, now) for lead in colleagues if lead.id not in mine])
    return [Captured(lead, created, not created and lead.email in updated) for lead, created, _ in captured]


def _locked_leads(uow: UnitOfWork, emails: Sequence[str], firmographics: Sequence[str]) -> dict[str, Lead]:
    """The leads of ``emails`` by email, read for a change, as every change of a lead is (``lead_for_change``).

    The leads of the accounts whose firmographics the capture gives are locked in the same statement, in id
    order, since a change of the account refits them all: a capture never waits for a lead while holding one
    with a higher id, so it never waits in a circle with a rep, the SLA check or an event batch (PostgreSQL).
    """
    wanted = set(emails)
    colleagues = Lead.account_id.in_(select(Account.id).where(Account.domain.in_(firmographics)))
    found: dict[str, Lead] = {}
    unique = sorted(wanted)
    for start in range(0, len(unique), engagement.CHUNK):
        chunk = Lead.email.in_(unique[start : start + engagement.CHUNK])
        query = select(Lead).where(chunk | colleagues if firmographics and not start else chunk)
        for lead in uow.session.scalars(query.order_by(Lead.id).with_for_update()):
            if lead.email in wanted:
                found[lead.email] = lead
    return found


def _gives_account(data: LeadInput) -> bool:
    """Whether the input carries a firmographic of its account (which then may change for all its leads)."""
    texts = (data.company, data.industry, data.country)
    return data.employees is not None or any(t is not None and t.strip() for t in texts)


def _locked_accounts(uow: UnitOfWork, domains: Sequence[str]) -> dict[str, Account]:
    """The accounts of ``domains`` by domain, locked until the unit of work ends (PostgreSQL), in id order: two
    captures that change the same accounts take turns."""
    found: dict[str, Account] = {}
    unique = sorted(set(domains))
    for start in range(0, len(unique), engagement.CHUNK):
        chunk = unique[start : start + engagement.CHUNK]
        query = select(Account).where(Account.domain.in_(chunk)).order_by(Account.id).with_for_update()
        for account in uow.session.scalars(query):
            found[str(account.domain)] = account
    return found


def _domain_of(data: LeadInput, email: str) -> str | None:
    """The account's domain: the one given, else the email's; free-mail addresses have no account."""
    domain = (data.domain or "").strip().lower() or email_domain(email)
    return None if domain in FREE_MAIL_DOMAINS else domain


def _update_account(account: Account, data: LeadInput) -> bool:
    """Take the firmographics given; whether any of them changed."""
    given: dict[str, str | int | None] = {
        "name": (data.company or "").strip() or None,
        "industry": (data.industry or "").strip() or None,
        "country": (data.country or "").strip() or None,
        "employees": data.employees,
    }
    changed = False
    for name, value in given.items():
        if value is not None and getattr(account, name) != value:
            setattr(account, name, value)
            changed = True
    if changed:
        account.name_key = company_key(account.name)
    return changed


def set_fields(uow: UnitOfWork, lead: Lead, values: Mapping[str, str]) -> None:
    set_fields_many(uow, [(lead, values)])


def set_fields_many(uow: UnitOfWork, items: Sequence[tuple[Lead, Mapping[str, str]]]) -> list[Lead]:
    """Set custom fields (and answers) of many leads; blank values are ignored. The leads that changed."""
    wanted = [
        (lead, name, str(value).strip())
        for lead, values in items
        for name, value in values.items()
        if value is not None and str(value).strip()
    ]
    if not wanted:
        return []
    ids = sorted({lead.id for lead, _, _ in wanted})
    existing: dict[tuple[int, str], LeadField] = {}
    for start in range(0, len(ids), engagement.CHUNK):
        chunk = ids[start : start + engagement.CHUNK]
        rows = uow.session.scalars(select(LeadField).where(LeadField.lead_id.in_(chunk)))
        existing.update(((row.lead_id, row.name), row) for row in rows)
    changed: dict[int, Lead] = {}
    for lead, name, value in wanted:
        row = existing.get((lead.id, name))
        if row is None:
            row = existing[lead.id, name] = LeadField(lead_id=lead.id, name=name, value=value)
            uow.session.add(row)
        elif row.value != value:
            row.value = value
        else:
            continue
        changed[lead.id] = lead
    return list(changed.values())


def fit_items(uow: UnitOfWork, lead: Lead) -> dict[str, float]:
    """The fit rules the ledger currently credits the lead with."""
    return fit_items_many(uow, [lead.id]).get(lead.id, {})


def fit_items_many(uow: UnitOfWork, lead_ids: Sequence[int]) -> dict[int, dict[str, float]]:
    """The fit rules the ledger currently credits each lead with, by lead id."""
    items: dict[int, dict[str, float]] = defaultdict(dict)
    ids = sorted(set(lead_ids))
    for start in range(0, len(ids), engagement.CHUNK):
        rows = uow.session.execute(
            select(LedgerEntry.lead_id, LedgerEntry.item, func.sum(LedgerEntry.points))
            .where(LedgerEntry.lead_id.in_(ids[start : start + engagement.CHUNK]), LedgerEntry.kind == "fit")
            .group_by(LedgerEntry.lead_id, LedgerEntry.item)
        )
        for lead_id, item, points in rows:
            if abs(points) > 1e-12:
                items[lead_id][item] = float(points)
    return items


def refit(uow: UnitOfWork, clock: Clock, lead: Lead, inforce: InForce, at: datetime) -> None:
    refit_many(uow, clock, inforce, [(lead, at)])


def refit_many(uow: UnitOfWork, clock: Clock, inforce: InForce, items: Sequence[tuple[Lead, datetime]]) -> None:
    """Bring each lead's fit in line with its fields as of ``at``: ledger rows for each rule gained or lost.

    A lead whose fit now meets the rule is handed off; one whose fit changed in the past is replayed.
    """
    if not items:
        return
    uow.session.flush()
    agreement = inforce.agreement
    leads = [lead for lead, _ in items]
    predictions.refresh(uow, agreement.model, leads)
    facts = facts_of_many(uow, leads, model=agreement.model)
    credited = fit_items_many(uow, [lead.id for lead, _ in items])
    for lead, at in items:
        target = fit_points(agreement, facts[lead.id])
        current = credited.get(lead.id, {})
        moment = to_seconds(at)
        changed = False
        for item in sorted(target.keys() | current.keys()):
            delta = target.get(item, 0.0) - current.get(item, 0.0)
            if abs(delta) > 1e-12:
                row = {"lead_id": lead.id, "at": moment, "kind": "fit", "item": item, "points": delta}
                uow.append(LedgerEntry, **row, version=inforce.version)
                changed = True
        lead.fit = sum(target.values())
        lead.grade = agreement.grade_for(lead.fit)
        if changed:
            _after_fit_change(uow, clock, inforce, lead, moment)


def _after_fit_change(uow: UnitOfWork, clock: Clock, inforce: InForce, lead: Lead, moment: int) -> None:
    agreement = inforce.agreement
    late = moment < lead.latest_at
    lead.latest_at = max(lead.latest_at, moment)
    if lead.stage != Stage.INQUIRY:
        return  # a recycled lead comes back only through an event; an MQL is already with sales
    if late:
        handoff.settle(uow, clock, lead, engagement.replayed_entry(uow, inforce, lead), inforce)
        return
    score = lead.fit + engagement_at(lead.engagement, lead.engagement_at, moment, agreement.half_life_days)
    stage = entry_now(agreement, lead.fit, score, False, lead.source)
    if stage is not None:
        handoff.enter(uow, clock, lead, (moment, stage), inforce, None)


@dataclass(frozen=True)
class EventInput:
    event_id: str
    email: str
    type: str
    occurred_at: datetime
    campaign: str | None = None


def record_events(
    uow: UnitOfWork, clock: Clock, inforce: InForce, events: Sequence[EventInput]
) -> engagement.IngestReport:
    """Record events by the email of their lead; unknown emails are refused with the event id."""
    emails = {normalize_email(e.email) for e in events}
    ids: dict[str, int] = {}
    email_list = sorted(emails)
    for start in range(0, len(email_list), engagement.CHUNK):
        chunk = email_list[start : start + engagement.CHUNK]
        survivor = func.coalesce(Lead.merged_into, Lead.id)  # a merged duplicate's events are its survivor's
        found = uow.session.execute(select(Lead.email, survivor).where(Lead.email.in_(chunk)))
        ids.update((email, lead_id) for email, lead_id in found)
    campaigns: dict[str, int | None] = {}
    batch = []
    for e in events:
        email = normalize_email(e.email)
        if email not in ids:
            raise NotFound(f"event {e.event_id}: no lead with email '{email}'; capture the lead first")
        if e.campaign and e.campaign not in campaigns:
            campaigns[e.campaign] = campaign_id(uow, e.campaign)
        batch.append(
            engagement.NewEvent.of(
                e.event_id, ids[email], e.type, to_seconds(e.occurred_at), campaigns.get(e.campaign or "")
            )
        )
    return engagement.ingest(uow, clock, inforce, batch)
