"""Capturing leads and their events, from any source: imports, the API, web forms, the demo."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.domain.fields import FREE_MAIL_DOMAINS, email_domain
from leadpact.domain.lifecycle import Stage
from leadpact.domain.scoring import engagement_at, fit_points, qualifies_now, to_seconds
from leadpact.services import engagement, handoff, lifecycle
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.services.facts import facts_of
from leadpact.store.tables import Account, Campaign, Lead, LeadField, LedgerEntry
from leadpact.store.unit_of_work import UnitOfWork

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
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
    """A lead by email, or by id when ``ref`` is a number."""
    ref = ref.strip()
    lead = (
        uow.session.get(Lead, int(ref))
        if ref.isdigit()
        else uow.session.scalars(select(Lead).where(Lead.email == ref.lower())).first()
    )
    if lead is None:
        raise NotFound(f"no lead with {'id' if ref.isdigit() else 'email'} '{ref}'")
    return lead


def _account_for(uow: UnitOfWork, data: LeadInput, email: str) -> tuple[Account | None, bool]:
    """The lead's account by its domain, updated with the firmographics given; (account, changed)."""
    domain = (data.domain or "").strip().lower() or email_domain(email)
    if domain in FREE_MAIL_DOMAINS:
        return None, False
    account = uow.session.scalars(select(Account).where(Account.domain == domain)).first()
    if account is None:
        account = Account(domain=domain)
        uow.session.add(account)
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
    return account, changed


def capture_lead(uow: UnitOfWork, clock: Clock, inforce: InForce, data: LeadInput) -> tuple[Lead, bool]:
    """Create the lead, or update the fields given for an existing one; rescore its fit. (lead, created)."""
    email = normalize_email(data.email)
    lead = uow.session.scalars(select(Lead).where(Lead.email == email)).first()
    created = lead is None
    now = clock.now()
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
        uow.session.add(lead)
    for name in TEXT_FIELDS:
        value = getattr(data, name)
        if value is not None and value.strip():
            setattr(lead, name, value.strip())
    if data.employees is not None:
        lead.employees = data.employees
    if data.campaign:
        lead.campaign_id = lead.campaign_id or campaign_id(uow, data.campaign)
    account, account_changed = _account_for(uow, data, email)
    uow.session.flush()
    if account is not None:
        lead.account_id = account.id
    if created:
        lifecycle.created(uow, lead, lead.created_at, inforce.version)
    set_fields(uow, lead, data.custom)
    refit(uow, clock, lead, inforce, lead.created_at if created else now)
    if account is not None and account_changed:
        colleagues = select(Lead).where(Lead.account_id == account.id, Lead.id != lead.id).order_by(Lead.id)
        for colleague in uow.session.scalars(colleagues).all():
            refit(uow, clock, colleague, inforce, now)  # the account's firmographics count for all its leads
    return lead, created


def set_fields(uow: UnitOfWork, lead: Lead, values: Mapping[str, str]) -> None:
    for name, value in values.items():
        if value is None or not str(value).strip():
            continue
        row = uow.session.get(LeadField, (lead.id, name))
        if row is None:
            uow.session.add(LeadField(lead_id=lead.id, name=name, value=str(value).strip()))
        else:
            row.value = str(value).strip()


def fit_items(uow: UnitOfWork, lead: Lead) -> dict[str, float]:
    """The fit rules the ledger currently credits the lead with."""
    rows = uow.session.execute(
        select(LedgerEntry.item, func.sum(LedgerEntry.points))
        .where(LedgerEntry.lead_id == lead.id, LedgerEntry.kind == "fit")
        .group_by(LedgerEntry.item)
    )
    return {item: float(points) for item, points in rows if abs(points) > 1e-12}


def refit(uow: UnitOfWork, clock: Clock, lead: Lead, inforce: InForce, at: datetime) -> None:
    """Bring the fit in line with the lead's fields: ledger rows for each rule gained or lost."""
    uow.session.flush()
    agreement = inforce.agreement
    target = fit_points(agreement, facts_of(uow, lead))
    current = fit_items(uow, lead)
    moment = to_seconds(at)
    changed = False
    for item in sorted(target.keys() | current.keys()):
        delta = target.get(item, 0.0) - current.get(item, 0.0)
        if abs(delta) > 1e-12:
            uow.session.add(
                LedgerEntry(lead_id=lead.id, at=moment, kind="fit", item=item, points=delta, version=inforce.version)
            )
            changed = True
    lead.fit = sum(target.values())
    lead.grade = agreement.grade_for(lead.fit)
    if not changed:
        return
    late = moment < lead.latest_at
    lead.latest_at = max(lead.latest_at, moment)
    if lead.stage != Stage.INQUIRY:
        return  # a recycled lead comes back only through an event; an MQL is already with sales
    if late:
        handoff.settle(uow, clock, lead, engagement.replayed_moment(uow, inforce, lead), inforce)
        return
    score = lead.fit + engagement_at(lead.engagement, lead.engagement_at, moment, agreement.half_life_days)
    if qualifies_now(agreement, lead.fit, score, immediate=False):
        handoff.hand_off(uow, clock, lead, moment, inforce)


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
        found = uow.session.execute(select(Lead.email, Lead.id).where(Lead.email.in_(chunk)))
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
