"""The lead agreement: what marketing and sales signed.

A lead agreement states who a good lead is (fit rules and grades), what a lead's actions are worth and how
fast that worth fades (engagement points with a half-life), when a lead is handed to sales (the
qualification rule), how fast sales must act (SLA in working hours), where a lead goes (routing, an
account's owner), why a lead may be sent back or a deal lost (reasons), which lead sources are sales' own
prospecting rather than marketing's (sales sources), optionally which inquiries qualification specialists screen
before sales sees them and which answers make a lead ready for sales (screening), optionally when an account is a
buying group ready for sales (accounts), optionally the lists reps record sales feedback from (feedback), and,
optionally, the bounds both sides keep the results within (health).
These classes hold a parsed, validated agreement; the file format is read by ``agreement_file`` and the rules
are applied by ``scoring``, ``lifecycle``, ``routing`` and ``health``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum


class Op(StrEnum):
    """How a condition compares a lead field with the agreement's value."""

    EQUALS = "equals"
    IN = "in"
    NOT_IN = "not_in"
    MATCHES = "matches"
    BETWEEN = "between"
    AT_LEAST = "at_least"
    AT_MOST = "at_most"
    FREE_MAIL = "free_mail"
    MISSING = "missing"


Scalar = str | int | float | bool


@dataclass(frozen=True)
class Condition:
    field: str
    op: Op
    value: Scalar | tuple[Scalar, ...]


@dataclass(frozen=True)
class FitRule:
    id: str
    condition: Condition
    points: float
    title: str | None = None  # what people read the rule as; none: its id in words (``wording.rule_title``)


@dataclass(frozen=True)
class Grade:
    grade: str
    fit_at_least: float | None


@dataclass(frozen=True)
class EventRule:
    type: str
    points: float
    max_per_day: int | None = None
    once: bool = False
    immediate: bool = False


@dataclass(frozen=True)
class Band:
    band: str
    score_at_least: float | None


@dataclass(frozen=True)
class Qualification:
    score_at_least: float
    grades: tuple[str, ...]
    immediate_grades: tuple[str, ...]


@dataclass(frozen=True)
class WorkingHours:
    days: tuple[int, ...]  # 0 = Monday, as in ``date.weekday()``
    start: time
    end: time


@dataclass(frozen=True)
class Duration:
    """An SLA allowance counted on the working calendar: ``h`` working hours or ``d`` working days."""

    amount: float
    unit: str

    def __str__(self) -> str:
        return f"{self.amount:g}{self.unit}"


@dataclass(frozen=True)
class RoutingRule:
    team: str
    when: Condition | None


ACCOUNT_OWNER_MODES = ("never", "when_available", "always")
"""When a lead at an account with an owner goes to that owner rather than through the routing rules."""
BUYING_GROUP = "account.buying_group"
"""Whether the lead's account meets the agreement's account rule at the hand-off (true or false)."""
ROUTING_ONLY_FIELDS = ("priority", "score", BUYING_GROUP)
"""What a routing rule may also name: the lead's priority band and score at the hand-off, and whether its account
is a buying group then."""


@dataclass(frozen=True)
class Handoff:
    accept_within: Duration
    first_contact_within: Duration
    on_breach: str  # "reassign" or "escalate"
    routing: tuple[RoutingRule, ...]
    account_owner: str = "never"  # one of ACCOUNT_OWNER_MODES


@dataclass(frozen=True)
class AccountRule:
    """When an account is a buying group ready for sales: its people's engagement together reaches
    ``engagement_at_least`` while at least ``people_engaged_at_least`` of them are engaged."""

    engagement_at_least: float
    people_engaged_at_least: int


@dataclass(frozen=True)
class RejectReason:
    name: str
    recycle_after_days: float | None
    disqualify: bool


@dataclass(frozen=True)
class SalesStage:
    name: str
    probability: float


@dataclass(frozen=True)
class ScreeningWhen:
    """Which inquiries go to screening: every key given must hold (none given: every inquiry)."""

    score_at_least: float | None = None
    grades: tuple[str, ...] | None = None
    sources: tuple[str, ...] | None = None  # compared without regard to case


@dataclass(frozen=True)
class Screening:
    """Qualification specialists (role qualifier, in ``team``) call the inquiries that meet ``when`` first."""

    when: ScreeningWhen
    team: str
    first_call_within: Duration
    ready: dict[str, tuple[str, ...]]  # question -> the answers that make a lead ready for sales
    not_yet_days: float  # the cooldown of a lead a qualifier sends back to nurture
    gate_sql: bool = True  # the same answers rule when a rep qualifies a lead (sal -> sql)
    disqualify: tuple[str, ...] = ()  # a qualifier's reasons; none: the agreement's disqualifying reject reasons


class Indicator(StrEnum):
    """What a health bound of the agreement measures (``health`` defines each)."""

    ACCEPTANCE_RATE = "acceptance_rate"
    CONTACT_WITHIN_SLA = "contact_within_sla"
    NEVER_CONTACTED = "never_contacted"
    GRADE_CALIBRATION = "grade_calibration"
    POPULATION_SHIFT = "population_shift"
    MODEL_CALIBRATION = "model_calibration"


@dataclass(frozen=True)
class HealthBound:
    """A limit both sides signed on one indicator, measured over the last ``window_days`` local days and judged
    once ``min_leads`` leads count (for grade calibration: once a grade has that many)."""

    indicator: Indicator
    limit: float
    window_days: int
    min_leads: int
    after_days: int | None = None  # never contacted: the days a lead has had since it was assigned
    grades: tuple[str, ...] = ()  # grade calibration: the grades, best first, each to beat the next


@dataclass(frozen=True)
class FeedbackLists:
    """What a rep may record on contact, lost and won: the lists both sides agreed on (``feedback``)."""

    competitors: tuple[str, ...] = ()
    product_requests: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()  # the message or campaign that opened the door (a campaign is also accepted)


@dataclass(frozen=True)
class Agreement:
    name: str
    owners: dict[str, str]
    timezone: str
    working_hours: WorkingHours
    holidays: tuple[date, ...]
    fit_rules: tuple[FitRule, ...]
    grades: tuple[Grade, ...]
    half_life_days: float | None
    events: dict[str, EventRule]
    qualified: Qualification
    priority: tuple[Band, ...]
    questions: dict[str, tuple[str, ...]]
    handoff: Handoff
    reject_reasons: dict[str, RejectReason]
    lost_reasons: dict[str, tuple[str, ...]]
    sales_stages: tuple[SalesStage, ...]
    sales_sources: tuple[str, ...] = ()  # lead sources sales works itself (outbound prospecting, its referrals)
    health: tuple[HealthBound, ...] = ()  # none: the agreement has no health section
    model: int | None = None  # the lead model version both sides signed: fit rules may use its prediction
    screening: Screening | None = None  # none: every inquiry that meets the rule goes straight to sales
    feedback: FeedbackLists | None = None  # none: reps record no sales feedback
    accounts: AccountRule | None = None  # none: the agreement has no account qualification rule

    def stage_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sales_stages)

    def grade_for(self, fit: float) -> str:
        """The first grade whose bound the fit reaches; the last grade has no bound, so one always does."""
        return next(g.grade for g in self.grades if g.fit_at_least is None or fit >= g.fit_at_least)

    def band_for(self, score: float) -> str:
        """The first priority band whose bound the score reaches; the last band has no bound, so one always does."""
        return next(b.band for b in self.priority if b.score_at_least is None or score >= b.score_at_least)
