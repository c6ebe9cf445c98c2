"""What the JSON API takes and answers: one Pydantic model per body, with the limits the database holds to.

Request bodies refuse fields they do not know (a misspelt field is an error that names it, not a value quietly
dropped). Moments are ISO 8601; one without a zone is taken as UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, WithJsonSchema, model_validator

from leadpact.domain.countries import country_code
from leadpact.services import browse, intake


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


Moment = Annotated[datetime, AfterValidator(_utc)]
"""An ISO 8601 moment such as 2026-03-02T15:00:00Z; without a zone, UTC."""


Stripped = Annotated[str, StringConstraints(strip_whitespace=True)]
"""Text with the spaces around it dropped; each field's limit is the database column's."""


def _country(text: str) -> str:
    code = country_code(text)
    if code is None:
        raise ValueError(f"'{text}' is not a country (a code like DE or a name like Germany)")
    return code


Country = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), AfterValidator(_country)]
"""A country as its alpha-2 code or its name, read as imports read it (``Germany``, ``DE``, ``U.S.A.``); stored as
the code."""


class Body(BaseModel):
    """A request body: unknown fields are refused by name."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Answer(BaseModel):
    """An answer, read from the service's objects."""

    model_config = ConfigDict(from_attributes=True)


class ErrorOut(BaseModel):
    """Every error: a stable code and a detail naming the field or row at fault."""

    code: str = Field(examples=["not_found"])
    detail: str = Field(examples=["no lead with email 'ann@acme.example'"])
    problems: Annotated[
        list[str] | None, Field(description="For agreement_invalid and invalid_input: one per problem.")
    ] = None


# --- leads --------------------------------------------------------------------------------------------------

CustomName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=100)]
"""A custom field's name: lower case letters, digits and _, as in an import's column."""


class LeadIn(Body):
    """A lead to capture: created when its email is new, else the fields given update it (others are kept)."""

    email: Stripped = Field(min_length=1, max_length=320, examples=["ann.lee@acme-robotics.example"])
    first_name: Stripped | None = Field(None, max_length=100)
    last_name: Stripped | None = Field(None, max_length=100)
    title: Stripped | None = Field(None, max_length=200, examples=["VP Operations"])
    company: Stripped | None = Field(None, max_length=255)
    domain: Stripped | None = Field(
        None, max_length=255, description="The company's web domain; by default the email's."
    )
    industry: Stripped | None = Field(None, max_length=100, examples=["manufacturing"])
    employees: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    country: Country | None = Field(
        None, description="The country: its two-letter code or its name, stored as the code.", examples=["US"]
    )
    source: Stripped | None = Field(None, max_length=50, examples=["website"])
    campaign: Stripped | None = Field(
        None, max_length=200, description="A campaign name; a new name creates the campaign."
    )
    custom: dict[CustomName, Annotated[str, StringConstraints(max_length=10_000)]] = Field(
        default_factory=dict, description="Further fields the agreement's fit rules may use, e.g. {'segment': 'smb'}."
    )

    def to_input(self) -> intake.LeadInput:
        return intake.LeadInput(
            email=self.email,
            first_name=self.first_name,
            last_name=self.last_name,
            title=self.title,
            company=self.company,
            domain=self.domain,
            industry=self.industry,
            employees=self.employees,
            country=self.country,
            source=self.source,
            campaign=self.campaign,
            custom=dict(self.custom),
        )


class LeadSummary(BaseModel):
    """A lead as of now: its score is fit + engagement (decayed to now); grade and priority follow from them."""

    id: int
    email: str
    name: str
    company: str | None
    stage: str
    score: float
    fit: float
    engagement: float
    grade: str
    priority: str
    owner: str | None = Field(description="The rep it is assigned to.")
    source: str | None


class LeadPage(BaseModel):
    items: list[browse.LeadRow]
    total: int = Field(description="How many leads match the filters, on every page.")
    limit: int
    offset: int
    next_offset: int | None = Field(description="The offset of the next page; null on the last page.")


class FitLineOut(Answer):
    rule: str = Field(description="The rule's id in the agreement.")
    points: float
    rule_text: str = Field(description="The rule in words.")
    title: str = Field(description="The rule as the agreement titles it (else its id in words).")


class EventLineOut(Answer):
    event_id: str
    type: str
    occurred_at: datetime
    points: float = Field(description="Points when it happened.")
    factor: float = Field(description="How much of them is left now (decay).")
    value: float = Field(description="Points now.")


class SlaOut(Answer):
    owner: str
    assigned_at: datetime
    accept_due: datetime
    contact_due: datetime
    accepted_at: datetime | None
    contacted_at: datetime | None
    state: str = Field(examples=["accept due 2026-03-02 19:00 UTC"])


class StageLineOut(Answer):
    at: datetime
    from_stage: str | None
    to_stage: str
    by: str = Field(description="Who moved it: a person, or the agreement version.")
    reason: str | None


class ContributionOut(Answer):
    feature: str = Field(examples=["industry"], description="A feature of the model (``model show`` lists them).")
    value: str | float | None = Field(examples=["logistics"], description="The lead's value of it; null: unknown.")
    effect: float = Field(
        examples=[0.59],
        description="What it adds to the log-odds, against the average hand-off the model learned from.",
    )
    words: str = Field(examples=["industry = logistics raises the chance (odds \N{MULTIPLICATION SIGN}1.80)"])


class PredictionOut(Answer):
    """The newest model's chance for the lead; ``base`` plus every ``effect`` is the logit of ``probability``."""

    probability: float = Field(ge=0, le=1, examples=[0.42])
    version: int = Field(description="The model version.")
    target: str = Field(examples=["opportunity"], description="What is predicted: opportunity, or won.")
    horizon_days: int = Field(examples=[90], description="Within how many days of the hand-off.")
    base: float = Field(description="The model's base log-odds: the mean over the hand-offs it learned from.")
    at: datetime = Field(description="The moment the lead is described as of.")
    basis: str = Field(
        examples=["at its latest hand-off"],
        description="Why that moment: its latest hand-off, or (waiting in marketing's hands, or never handed over) "
        "as if handed over at the moment asked about.",
    )
    contributions: list[ContributionOut] = Field(description="One per feature, the largest effect first.")


class InSequenceOut(Answer):
    sequence: str
    step: int | None = Field(description="The step it gets next; null when none is left.")
    sent_step: int = Field(description="The last step written for it (0: none yet).")
    due_at: datetime | None
    entered_at: datetime
    ended_at: datetime | None
    end_reason: str | None = Field(description="qualified, assigned, unsubscribed, bounced, finished, ...")


class HandoverOut(Answer):
    """What the qualifier who passed the lead to sales left for the rep."""

    qualifier: str | None
    decided_at: datetime
    note: str | None
    answers: dict[str, str] = Field(examples=[{"budget": "yes", "authority": "influencer"}])
    calls: int = Field(description="The screening calls made before the pass.")


class LeadDetail(Answer):
    """A lead with every point of its score explained, its SLA clock and its stage history; and, once a model is
    trained (``leadpact model train``), the newest model's chance for it, feature by feature."""

    id: int
    email: str
    name: str
    company: str | None
    title: str | None
    source: str | None
    at: datetime = Field(description="The moment the explanation is for.")
    version: int = Field(description="The agreement version in force.")
    fit: float
    engagement: float
    score: float
    grade: str
    priority: str
    stage: str
    owner: str | None
    fit_rules: list[FitLineOut]
    events: list[EventLineOut] = Field(description="Every counted event, with its decay.")
    sla: SlaOut | None
    history: list[StageLineOut]
    predicted: PredictionOut | None = Field(description="Null until a model is trained.")
    nurture: list[InSequenceOut] = Field(description="The nurture sequence it is in (first), then those it left.")
    screening: HandoverOut | None = Field(None, description="For a lead passed from screening: the qualifier's word.")


class QueueItemOut(Answer):
    lead_id: int
    email: str
    name: str
    company: str | None
    stage: str
    score: float
    grade: str
    priority: str
    source: str | None
    top_reasons: list[str]
    due: datetime | None = Field(description="When what the rep owes next (accept or first contact) is due.")
    sla: str


# --- rep actions --------------------------------------------------------------------------------------------


class ReasonIn(Body):
    reason: Stripped = Field(
        min_length=1, max_length=100, description="A reason of the agreement in force.", examples=["not_ready"]
    )


class RejectIn(ReasonIn):
    note: str | None = Field(
        None,
        max_length=2000,
        description="Why, in the rep's words: kept with the lead's history for marketing to read.",
        examples=["Moving to a new budget cycle in Q3; call back then."],
    )


class QualifyIn(Body):
    answers: dict[str, str] = Field(
        description="An answer to every qualification question of the agreement.",
        examples=[{"budget": "yes", "authority": "decision_maker", "timing": "this_quarter"}],
    )


class ConvertIn(Body):
    amount: float = Field(gt=0, description="The expected deal amount.", examples=[48000])
    close_date: date = Field(description="The expected close date.", examples=["2026-06-30"])


class StageIn(Body):
    stage: Stripped = Field(
        min_length=1, max_length=50, description="The next sales stage, or an earlier one.", examples=["proposal"]
    )


class FeedbackIn(Body):
    """Sales feedback, each value from the agreement's ``feedback`` lists (a message may also name a campaign)."""

    moment: Stripped = Field(description="What it is on: contact, lost or won.", examples=["lost"])
    competitor: Stripped | None = Field(None, max_length=100, examples=["roboworks"])
    requests: list[Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]] = Field(
        default_factory=list, max_length=50, description="Product requests.", examples=[["sap_connector"]]
    )
    message: Stripped | None = Field(None, max_length=200, description="The message or campaign that opened the door.")
    note: str | None = Field(None, max_length=2000)


class FeedbackOut(Answer):
    id: int
    lead_id: int
    opportunity_id: int | None
    moment: str
    competitor: str | None
    requests: list[str]
    message: str | None
    note: str | None
    at: datetime


class ActivityOut(Answer):
    """One thing that happened to a lead, in words."""

    at: datetime
    kind: str = Field(
        description="event, screening, handoff, contact, answers, stage, deal, feedback or email (more may be added)."
    )
    what: str
    by: str | None
    detail: str | None


class OpportunityOut(Answer):
    id: int
    stage: str
    amount: float
    close_date: date
    created_at: datetime
    closed_at: datetime | None
    won: bool | None
    lost_reason: str | None


class LeadAfter(LeadSummary):
    """The lead after the action, with its opportunity when the action was on one."""

    opportunity: OpportunityOut | None = None
    first_contact: bool | None = Field(None, description="For a contact: whether it was the first (the SLA's).")


# --- screening ----------------------------------------------------------------------------------------------


class ScreeningItemOut(Answer):
    lead_id: int
    email: str
    name: str
    company: str | None
    title: str | None
    score: float
    grade: str
    priority: str
    source: str | None
    entered_at: datetime = Field(description="When the agreement sent it to screening.")
    call_due: datetime = Field(description="When the first call is due (working hours of the agreement).")
    first_call_at: datetime | None
    overdue: bool = Field(description="No first call by its due time, or a first call that came late.")
    calls: int
    last_outcome: str | None
    answers: dict[str, str]


class CallIn(Body):
    outcome: Literal["reached", "no_answer", "wrong_number"]
    note: str | None = Field(None, max_length=2000)


class AnswersIn(Body):
    answers: dict[str, str] = Field(
        min_length=1, description="Answers to the agreement's questions.", examples=[{"budget": "yes"}]
    )


class DecisionIn(Body):
    decision: Literal["pass", "not_yet", "disqualify"]
    reason: str | None = Field(None, description="For disqualify: a reason to disqualify of the agreement.")
    note: str | None = Field(None, max_length=2000, description="On a pass: for the rep.")
    answers: dict[str, str] = Field(default_factory=dict, description="Answers to record before the decision.")


class ScreeningAfter(LeadSummary):
    """The lead after the qualifier's action."""

    first_call: bool | None = Field(None, description="For a call: whether it was the first (the SLA's).")


# --- events -------------------------------------------------------------------------------------------------


class EventIn(Body):
    """One thing a lead did. The event id makes recording idempotent: sending it again changes nothing."""

    event_id: Stripped = Field(min_length=1, max_length=200, examples=["web-7f3a9c"])
    email: Stripped = Field(
        min_length=1, max_length=320, description="The lead's email; the lead must have been captured."
    )
    type: Stripped = Field(
        min_length=1,
        max_length=100,
        description="An event type of the agreement, e.g. demo_request.",
        examples=["demo_request"],
    )
    occurred_at: Moment
    campaign: Stripped | None = Field(None, max_length=200)

    def to_input(self) -> intake.EventInput:
        return intake.EventInput(self.event_id, self.email, self.type, self.occurred_at, self.campaign or None)


OUTCOME = "What the agreement made of it: counted, not counted (over a cap), not in agreement, or duplicate."


class EventOut(BaseModel):
    event_id: str
    lead_id: int
    outcome: str = Field(description=OUTCOME, examples=["counted"])


class BatchIn(Body):
    events: Annotated[
        list[Any],
        Field(min_length=1, max_length=1000),
        WithJsonSchema(
            {"type": "array", "items": EventIn.model_json_schema(), "minItems": 1, "maxItems": 1000},
        ),
    ] = Field(description="1 to 1000 events, each like the body of POST /api/v1/events; each is judged alone.")


class BatchOk(BaseModel):
    index: int
    event_id: str
    outcome: str = Field(description=OUTCOME)


class ItemError(BaseModel):
    code: str = Field(examples=["not_found"])
    detail: str = Field(description="The field at fault and what is wrong with it.")


class BatchFailed(BaseModel):
    index: int
    event_id: str | None
    error: ItemError


class BatchOut(BaseModel):
    results: list[BatchOk | BatchFailed] = Field(description="One per event, in the order sent.")
    recorded: int = Field(description="Events stored now.")
    duplicates: int = Field(description="Events already stored (or repeated in the batch): nothing changed.")
    failed: int = Field(description="Events refused, each with its error.")


# --- campaigns ----------------------------------------------------------------------------------------------


class CampaignIn(Body):
    """A campaign, created or updated by name; a value left out keeps what is there."""

    name: Stripped = Field(min_length=1, max_length=200, examples=["Spring webinar"])
    channel: Stripped | None = Field(None, max_length=50, examples=["webinar"])
    started_on: date | None = None
    ended_on: date | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.started_on and self.ended_on and self.ended_on < self.started_on:
            raise ValueError("ended_on: the campaign ends before it starts")
        return self


class CampaignOut(Answer):
    id: int
    name: str
    channel: str | None
    started_on: date | None
    ended_on: date | None
    cost: float | None = Field(description="Total recorded cost; null when none was recorded (unknown, not free).")
    cost_days: int = Field(description="Days with a recorded cost.")
    leads: int = Field(description="Leads that came from it.")


class CostIn(Body):
    day: date = Field(alias="date", description="The day the money was spent.")
    amount: float = Field(ge=0, examples=[1250.0])


class CostsOut(BaseModel):
    campaign: CampaignOut
    created: int = Field(description="Days with a cost recorded now for the first time.")
    updated: int = Field(description="Days whose cost was replaced.")
    unchanged: int


# --- reports ------------------------------------------------------------------------------------------------


class ColumnOut(BaseModel):
    key: str
    title: str
    kind: str = Field(description="text, count, money, share (0 to 1), ratio, number, days or hours.")


class ReportOut(BaseModel):
    report: str
    title: str
    scope: dict[str, Any] = Field(description="The dates covered, the moment looked from, the time zone.")
    columns: list[ColumnOut]
    rows: list[dict[str, Any]] = Field(description="One value per column key; null where it cannot be computed.")
    notes: list[str]
    sections: list[ReportOut] = Field(default_factory=list, description="Further tables of the same report.")


# --- the agreement ------------------------------------------------------------------------------------------


class VersionOut(Answer):
    version: int
    name: str
    sha256: str
    marketing_signoff: str
    sales_signoff: str
    adopted_at: datetime


class AgreementOut(VersionOut):
    text: str = Field(description="The agreement file exactly as adopted (YAML).")
    in_force: bool


class DiffOut(BaseModel):
    from_version: int = Field(alias="from")
    to_version: int = Field(alias="to")
    changes: list[str] = Field(description="One plain sentence per change; empty when they agree.")


class CandidateIn(Body):
    text: Annotated[str, StringConstraints(min_length=1, max_length=1_000_000)] = Field(
        description="The agreement file (YAML)."
    )
    source: Stripped = Field(
        "candidate.yaml", min_length=1, max_length=255, description="The file's name, used in problem reports."
    )


class CandidateOut(BaseModel):
    id: int
    name: str
    source: str
    uploaded_by: str
    uploaded_at: datetime
    against_version: int | None = Field(description="The version in force when it was uploaded.")
    marketing_signed_by: str | None
    marketing_signed_at: datetime | None
    sales_signed_by: str | None
    sales_signed_at: datetime | None
    waiting_for: list[str] = Field(description="The sides whose signature is still missing.")
    adopted_version: int | None = Field(description="The version it became, once both sides signed.")


class CandidateDetail(CandidateOut):
    text: str
    changes: list[str] = Field(description="What it changes against the version in force, in plain sentences.")


class BacktestOut(BaseModel):
    """The history replayed under the version in force and under the candidate, side by side."""

    current: str
    candidate: str
    scope: dict[str, Any]
    columns: list[ColumnOut]
    months: list[dict[str, Any]] = Field(description="Per month: MQLs under each, what they became, changes.")
    load: list[dict[str, Any]] = Field(description="Leads per rep per week under each.")
    changed: list[dict[str, Any]] = Field(description="Every lead whose qualification changes.")


# --- capture forms ------------------------------------------------------------------------------------------


class FormIn(Body):
    name: Stripped = Field(min_length=1, max_length=100, examples=["contact us"])
    source: Stripped = Field("website", min_length=1, max_length=50, description="The source its leads get.")
    origins: list[str] = Field(
        default_factory=list,
        description="Sites allowed to post it from a browser, e.g. https://www.acme.example; servers always may.",
    )
    field_map: dict[str, str] = Field(
        default_factory=dict,
        description="The form's field names in the lead's terms, e.g. {'work_email': 'email'}; fields of the "
        "same name as the lead's need none, and others are kept as custom fields.",
    )
    campaign: Stripped | None = Field(None, max_length=200)
    event_type: Stripped = Field(
        "form_submit", min_length=1, max_length=100, description="The event each submission records."
    )


class FormOut(BaseModel):
    id: int
    name: str
    key: str = Field(description="The form's public key; it sits in the page's HTML.")
    capture_url: str = Field(description="Where the form posts.")
    snippet: str = Field(
        description="HTML of the form to paste on the site: its fields, a consent box, and a field hidden from "
        "people that only programs fill (their submissions are answered but not taken)."
    )
    source: str
    campaign: str | None
    event_type: str
    origins: list[str]
    field_map: dict[str, str]
    created_at: datetime


class CaptureOut(BaseModel):
    created: bool = Field(description="Whether the submission created the lead (else it updated it).")
    outcome: str = Field(description=OUTCOME)


# --- tokens -------------------------------------------------------------------------------------------------


class TokenIn(Body):
    name: Stripped = Field(min_length=1, max_length=100, description="Who or what uses it.", examples=["crm sync"])
    role: str | None = Field(None, description="admin, marketing or manager; a token for a person takes theirs.")
    user: str | None = Field(None, description="The person it acts for (a rep's token must name the rep).")


class TokenOut(BaseModel):
    id: int
    name: str
    role: str
    user: str | None
    created_at: datetime
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    secret: str = Field(description="Send it as 'Authorization: Bearer SECRET'. It is shown only this once.")


# --- webhooks -----------------------------------------------------------------------------------------------


class WebhookIn(Body):
    url: Stripped = Field(min_length=1, max_length=2000, examples=["https://crm.acme.example/hooks/leadpact"])
    topics: list[Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]] = Field(
        default_factory=list,
        description="Topics to receive (lead.assigned, sla.breached, ...; or lead.* for every lead topic); "
        "none: every topic.",
    )


class WebhookOut(Answer):
    id: int
    url: str
    topics: list[str] = Field(description="What it receives; empty: every topic.")
    created_at: datetime
    created_by: str
    delivered: int = Field(description="Deliveries the receiver took (2xx).")
    waiting: int = Field(description="Deliveries not taken yet.")
    failing: int = Field(description="Of those, the ones tried and refused or unreachable.")
    attempts: int = Field(description="The most attempts any waiting delivery has had.")
    last_error: str | None
    last_attempt_at: datetime | None
    retry_at: datetime | None = Field(description="After a failure, nothing is sent to it before then.")


class NewWebhookOut(BaseModel):
    id: int
    url: str
    topics: list[str]
    secret: str = Field(
        description="Signs every delivery (Leadpact-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "
        '"<t>.<raw body>">). It is shown only this once.'
    )


# --- the audit trail and personal data ----------------------------------------------------------------------


class AuditOut(Answer):
    id: int
    at: datetime
    actor: str = Field(description="The person, or the token, that made the change.")
    via: str = Field(description="web, api or cli.")
    address: str | None = Field(description="The client's address, or the host the command ran on.")
    action: str
    subject: str
    detail: dict[str, Any]


class EraseIn(Body):
    reason: Stripped = Field(min_length=1, max_length=1000, examples=["erasure request of 2026-12-01 by email"])


class ErasedOut(Answer):
    lead_id: int
    placeholder: str = Field(description="The email the anonymous lead row now carries.")
    kept: list[str] = Field(description="Fields kept because the agreement's rules read them.")
    events: int = Field(description="Event ids replaced.")
    messages: int = Field(description="Outbox messages rewritten.")
