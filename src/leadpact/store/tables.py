"""The tables, one class each.

Moments that scoring does arithmetic on (event times, ledger times, the engagement anchor) are whole UTC
seconds since the epoch, so every engine, SQLite included, can decay them with the same numbers. Other
moments are UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC everywhere; always read back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class AgreementVersion(Base):
    __tablename__ = "agreement_versions"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    marketing_signoff: Mapped[str] = mapped_column(String(200))
    sales_signoff: Mapped[str] = mapped_column(String(200))
    adopted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True))


class User(Base):
    """A person using leadpact; reps carry a team, a capacity and a round-robin credit."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    capacity: Mapped[int] = mapped_column(Integer, default=0)
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    rr_credit: Mapped[float] = mapped_column(Float, default=0.0)
    last_assigned_at: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    side: Mapped[str | None] = mapped_column(String(20))  # a manager's: "marketing" or "sales"
    password_hash: Mapped[str | None] = mapped_column(String(200))  # argon2; None: cannot log in
    max_open: Mapped[int | None] = mapped_column(Integer)  # a rep's cap on open leads (mql, sal, sql); None: no cap
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # access ended: no sign-in, token or new lead
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: no sign-in since this was kept


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    domain: Mapped[str | None] = mapped_column(String(255), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    industry: Mapped[str | None] = mapped_column(String(100))
    employees: Mapped[int | None] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(2))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the rep who owns the account
    name_key: Mapped[str | None] = mapped_column(String(255), index=True)  # the name normalised (domain.dedupe)
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))  # a duplicate: the survivor


class Campaign(Base):
    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str | None] = mapped_column(String(50))
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)


class CampaignCost(Base):
    __tablename__ = "campaign_costs"
    __table_args__ = (UniqueConstraint("campaign_id", "incurred_on", name="uq_campaign_costs_day"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    incurred_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[float] = mapped_column(Float)


class Lead(Base):
    """A person and where they stand; the score columns are the O(1) state the ledger always agrees with."""

    __tablename__ = "leads"
    # a rep's open leads are counted from the index alone (routing, at each hand-off to a rep with a cap)
    __table_args__ = (Index("ix_leads_owner_id_stage", "owner_id", "stage"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(255))
    domain: Mapped[str | None] = mapped_column(String(255))
    industry: Mapped[str | None] = mapped_column(String(100))
    employees: Mapped[int | None] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(2))
    source: Mapped[str | None] = mapped_column(String(50))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stage: Mapped[str] = mapped_column(String(20), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    fit: Mapped[float] = mapped_column(Float, default=0.0)
    engagement: Mapped[float] = mapped_column(Float, default=0.0)
    engagement_at: Mapped[int] = mapped_column(BigInteger, default=0)
    latest_at: Mapped[int] = mapped_column(BigInteger, default=0)
    grade: Mapped[str | None] = mapped_column(String(10))
    qualified_at: Mapped[int | None] = mapped_column(BigInteger)
    qualified_from: Mapped[str | None] = mapped_column(String(20))
    cooldown_until: Mapped[int | None] = mapped_column(BigInteger)
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))  # a duplicate: the survivor


class LeadField(Base):
    """Custom fields kept from imports (``segment``) and qualification answers (``answers.budget``)."""

    __tablename__ = "lead_fields"
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Event(Base):
    """What a lead did, stored once per event id whatever its type; ``counted`` is the agreement's verdict."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_lead_type_at", "lead_id", "type", "occurred_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), unique=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    type: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[int] = mapped_column(BigInteger)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    counted: Mapped[bool] = mapped_column(Boolean, default=False)
    # the record the event was recorded for when a merge has moved it to another lead (null: ``lead_id``'s own):
    # caps (``once``, ``max_per_day``) count each record's events apart, so a merge takes no point back
    recorded_for: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))


class LedgerEntry(Base):
    """Append-only: every change of points, with the rule or event behind it and the agreement version."""

    __tablename__ = "score_ledger"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    at: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(10))  # "fit" or "event"
    item: Mapped[str] = mapped_column(String(200))  # fit rule id, or event id
    points: Mapped[float] = mapped_column(Float)
    version: Mapped[int] = mapped_column(ForeignKey("agreement_versions.version"))


class StageChange(Base):
    __tablename__ = "stage_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int | None] = mapped_column(ForeignKey("agreement_versions.version"))
    reason: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)  # a rep's words on sending the lead back


class Assignment(Base):
    """A lead in a rep's hands, with its SLA clock; ended when it leaves them."""

    __tablename__ = "assignments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    version: Mapped[int] = mapped_column(ForeignKey("agreement_versions.version"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accept_due: Mapped[datetime] = mapped_column(UTCDateTime)
    contact_due: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accept_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(30))


class Opportunity(Base):
    __tablename__ = "opportunities"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    amount: Mapped[float] = mapped_column(Float)
    close_date: Mapped[date] = mapped_column(Date)
    stage: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    won: Mapped[bool | None] = mapped_column(Boolean)
    lost_reason: Mapped[str | None] = mapped_column(String(100))


class OpportunityChange(Base):
    __tablename__ = "opportunity_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(50))
    to_stage: Mapped[str] = mapped_column(String(50))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class OutboxMessage(Base):
    """A side effect to deliver (webhook, email), written in the same transaction as its cause."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # after a failure: not before then


class ApiToken(Base):
    """A program's key to the API: only its SHA-256 is kept; it acts with its role until revoked."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A signed-in browser: the cookie holds a secret whose SHA-256 is kept here, with the form token."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AgreementCandidate(Base):
    """A proposed next version of the agreement, waiting for both owners to sign it."""

    __tablename__ = "agreement_candidates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    against_version: Mapped[int | None] = mapped_column(ForeignKey("agreement_versions.version"))
    marketing_signed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    marketing_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sales_signed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sales_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    adopted_version: Mapped[int | None] = mapped_column(ForeignKey("agreement_versions.version"))


class CaptureForm(Base):
    """A web form on the company's own site that posts leads to ``/capture/{key}``."""

    __tablename__ = "capture_forms"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    source: Mapped[str] = mapped_column(String(50))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    event_type: Mapped[str] = mapped_column(String(100))
    origins: Mapped[str] = mapped_column(Text)  # allowed browser origins, one per line
    field_map: Mapped[str] = mapped_column(Text)  # JSON: the form's field name -> the lead's field
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Webhook(Base):
    """A receiver of outbox messages: its URL, the topics it takes, and the secret its deliveries are signed with.

    Each message it takes becomes its delivery in the transaction that writes the message. A removed webhook is
    kept (``removed_at``) so deliveries written at the moment of its removal still name it; none is sent.
    """

    __tablename__ = "webhooks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    topics: Mapped[str] = mapped_column(Text)  # topic patterns, one per line; empty: every topic
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # after a failure: nothing sent before then


class WebhookDelivery(Base):
    """One message for one webhook, delivered at least once; ``delivery_id`` stays the same on every retry."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("webhook_id", "message_id", name="uq_webhook_deliveries_message"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id"))
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"))
    delivery_id: Mapped[str] = mapped_column(String(36), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class AuditEntry(Base):
    """Append-only: a change made by a person or a token, who made it, when, and from where."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    via: Mapped[str] = mapped_column(String(10))  # web, api or cli
    address: Mapped[str | None] = mapped_column(String(100))  # the client's address, or the command's host
    action: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text)  # JSON: what else the change took (a reason, a count, a name)


class SignInFailure(Base):
    """A wrong name or password, kept a while to throttle guessing per account and per client address."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        Index("ix_sign_in_failures_name_at", "name", "at"),
        Index("ix_sign_in_failures_address_at", "address", "at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Consent(Base):
    """A person's yes or no to a purpose (marketing email), where it was given, and when; the newest one holds."""

    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(50))
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Erasure(Base):
    """A person's data erased on request: the lead it was (kept as an anonymous row), why, by whom, when.

    Only the SHA-256 of the email is kept, so the erasure can be confirmed to someone who knows the address.
    """

    __tablename__ = "erasures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    email_digest: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by: Mapped[str] = mapped_column(String(100))


class Profile(Base):
    """One version of a learned ideal customer profile: the fitted model and what its validation found.

    ``source`` is the customer table it was learned from (a file's name) or ``store``; ``summary`` holds, as JSON,
    the traits that set buyers apart, the cross-validated quality, the columns used and any leak warnings.
    """

    __tablename__ = "profiles"
    __table_args__ = (UniqueConstraint("name", "version", name="uq_profiles_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(100))
    rows: Mapped[int] = mapped_column(Integer)
    positives: Mapped[int] = mapped_column(Integer)
    learned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    learned_by: Mapped[str] = mapped_column(String(100))
    model: Mapped[bytes] = mapped_column(LargeBinary)
    summary: Mapped[str] = mapped_column(Text)


class LeadModel(Base):
    """One version of the predictive model of the store's leads: what it predicts, as of when, and how it held up
    on the most recent months (``summary``, JSON: quality, features, training and validation sizes)."""

    __tablename__ = "lead_models"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    target: Mapped[str] = mapped_column(String(20))  # "opportunity" or "won"
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime)
    trained_by: Mapped[str] = mapped_column(String(100))
    rows: Mapped[int] = mapped_column(Integer)
    positives: Mapped[int] = mapped_column(Integer)
    model: Mapped[bytes] = mapped_column(LargeBinary)
    summary: Mapped[str] = mapped_column(Text)


class Prediction(Base):
    """The chance a lead model version gives a lead as it was captured: what a fit rule on
    ``predicted.probability`` reads, online and in the batch alike (``services.predictions``)."""

    __tablename__ = "predictions"
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), primary_key=True)
    model_version: Mapped[int] = mapped_column(ForeignKey("lead_models.version"), primary_key=True)
    probability: Mapped[float] = mapped_column(Float)


class Workshop(Base):
    """A calibration workshop: a sample of leads, drawn stratified by score, that both sides grade blind."""

    __tablename__ = "workshops"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    seed: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(ForeignKey("agreement_versions.version"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(100))


class WorkshopLead(Base):
    """A lead in a workshop's sample, with its score and the agreement's grade when it was drawn."""

    __tablename__ = "workshop_leads"
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id"), primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(String(10))


class WorkshopGrade(Base):
    """One side's grade of one sampled lead; a side grading a lead again replaces its grade."""

    __tablename__ = "workshop_grades"
    __table_args__ = (UniqueConstraint("workshop_id", "lead_id", "side", name="uq_workshop_grades_side"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id"), index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"))
    side: Mapped[str] = mapped_column(String(20))  # "marketing" or "sales"
    grade: Mapped[str] = mapped_column(String(10))
    graded_by: Mapped[str] = mapped_column(String(100))
    graded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HealthCheck(Base):
    """One day's check of one health bound of the agreement: the measured value, whether the bound held, and the
    evidence (JSON); checked once per local day, whoever checks first."""

    __tablename__ = "health_checks"
    __table_args__ = (UniqueConstraint("day", "bound", name="uq_health_checks_day"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    bound: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(ForeignKey("agreement_versions.version"))
    value: Mapped[float | None] = mapped_column(Float)
    broken: Mapped[bool] = mapped_column(Boolean)
    evidence: Mapped[str] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- screening (issue 13 part 1: its tables go here) ---


class ScreeningEntry(Base):
    """A lead's turn in screening: when the agreement sent it, the first-call clock, and the qualifier's decision
    (pass, not_yet, disqualify; ``withdrawn`` when late events showed it never met the rule)."""

    __tablename__ = "screenings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    version: Mapped[int] = mapped_column(ForeignKey("agreement_versions.version"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    origin: Mapped[str] = mapped_column(String(20))  # the stage it came from: inquiry or recycled
    call_due: Mapped[datetime] = mapped_column(UTCDateTime)
    first_call_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    call_breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # call_due, once it passed uncalled
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    qualifier_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ScreeningCall(Base):
    """A qualifier's call to a lead in screening, and how it went (reached, no_answer, wrong_number)."""

    __tablename__ = "screening_calls"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    screening_id: Mapped[int] = mapped_column(ForeignKey("screenings.id"))
    qualifier_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- nurture (issue 13 part 2: its tables go here) ---


class NurtureVersion(Base):
    """One adopted version of the nurture sequence file; the newest is in force."""

    __tablename__ = "nurture_versions"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    adopted_by: Mapped[str] = mapped_column(String(100))
    adopted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NurtureEnrolment(Base):
    """A lead in a sequence: the step it gets next and when, until it leaves (``end_reason``).

    ``entry_key`` tells what enrolled it (``recycle:<stage change id>``, ``below_floor``, ``list:<moment>``), so
    the same cause never enrols a lead twice in a sequence.
    """

    __tablename__ = "nurture_enrolments"
    __table_args__ = (UniqueConstraint("sequence", "lead_id", "entry_key", name="uq_nurture_enrolments_entry"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sequence: Mapped[str] = mapped_column(String(100))
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    entry_key: Mapped[str] = mapped_column(String(50))
    version: Mapped[int] = mapped_column(ForeignKey("nurture_versions.version"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    step: Mapped[int | None] = mapped_column(Integer)  # the next step to write; None: none left
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_step: Mapped[int] = mapped_column(Integer, default=0)  # the last step written to the outbox
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    end_reason: Mapped[str | None] = mapped_column(String(30))


class NurtureMessage(Base):
    """One email of a sequence, in the outbox: written with the decision to send it, then claimed, sent and
    recorded by the worker. ``message_id`` is the email's Message-ID, the same on every attempt; ``token`` is the
    secret its unsubscribe, pixel and click links carry."""

    __tablename__ = "nurture_messages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("nurture_enrolments.id"), index=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    sequence: Mapped[str] = mapped_column(String(100))
    step: Mapped[int] = mapped_column(Integer)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    targets: Mapped[str] = mapped_column(Text)  # JSON: the step's own links, where a click may lead
    token: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(20), index=True)  # sent, bounced or stopped
    detail: Mapped[str | None] = mapped_column(Text)  # the SMTP answer, the last error, or why it was stopped
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Suppression(Base):
    """An address no email may go to (an unsubscribe, a hard bounce, an erasure), by the SHA-256 of the address,
    so an erased person's address is not kept to suppress it."""

    __tablename__ = "suppressions"
    email_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(20))  # unsubscribed, bounced or erased
    at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- feedback (issue 13 part 3: its tables go here) ---


class Feedback(Base):
    """What a rep learned on a contact, a lost or a won deal, from the agreement's lists; never edited."""

    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunities.id"))  # lost or won: the deal
    moment: Mapped[str] = mapped_column(String(10))  # contact, lost or won
    competitor: Mapped[str | None] = mapped_column(String(100))
    message: Mapped[str | None] = mapped_column(String(200))  # a message of the agreement, or a campaign's name
    note: Mapped[str | None] = mapped_column(Text)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(ForeignKey("agreement_versions.version"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class FeedbackRequest(Base):
    """One product request named in a feedback."""

    __tablename__ = "feedback_requests"
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"), primary_key=True)
    request: Mapped[str] = mapped_column(String(100), primary_key=True)


# --- dedupe (issue 13 part 5a: its tables go here) ---


# --- accounts (issue 13 part 5b: its tables go here) ---


# --- the app people use every day (issue 14) ---


class StoreClock(Base):
    """The store's own "now" when one is set (a demo world built up to a past moment): at most one row. The clock
    reads ``starts_at`` at the real moment ``set_at`` and runs on in real time from there, for the command line and
    the served app alike."""

    __tablename__ = "store_clock"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)
    set_by: Mapped[str] = mapped_column(String(200))  # who set it, as the audit names them


class SavedFilter(Base):
    """A person's named filter of the leads list, kept as the list's query string."""

    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uq_saved_filters_name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# --- big histories (issue 15) ---


class KeptReplay(Base):
    """A lead's replay under the agreement in force, kept so that reports need not replay every event
    (``analytics.kept_replays``): what it was computed from (the lead's fit and whether screening takes its source,
    its latest event) and what it found (the first second the rule held, the first screening took it, the top score
    at an event second; None: never, or no counted event)."""

    __tablename__ = "replays"
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), primary_key=True, autoincrement=False)
    fit: Mapped[float] = mapped_column(Float)
    screened_source: Mapped[bool] = mapped_column(Boolean)
    latest: Mapped[int | None] = mapped_column(BigInteger)
    first: Mapped[int | None] = mapped_column(BigInteger)
    first_screened: Mapped[int | None] = mapped_column(BigInteger)
    top: Mapped[float | None] = mapped_column(Float)


class ReplayMark(Base):
    """What the kept replays were computed under: at most one row. ``agreement`` is the fingerprint of the rules
    a replay reads, ``through`` the last event (by id) they include."""

    __tablename__ = "replay_marks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    agreement: Mapped[str] = mapped_column(String(64))
    through: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
