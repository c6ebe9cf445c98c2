"""The demo's year in a few facts, and the reports that tell what came of it.

Every number about the funnel, costs, the SLA, reasons and grades comes from the reports (``services.reports``),
the same computation ``leadpact report`` runs; this module computes none of them. It keeps only what no
report gives:

- what the world sent, which the database cannot tell: its seed, its days and the moment its year ends,
  its leads, the events it delivered (a retried delivery counts each time) and how many arrived a day or
  more late;
- what the database holds that no report counts: the accounts, the campaigns, the world's events recorded
  (each event id once), and what the nurture emails did (``services.nurture.stats``), their readers' opens,
  clicks and unsubscribes recorded as events of their own;
- what the hints name: the rep with the most open leads (the most leads, when none is open), that rep's
  first such lead, the customer of the biggest deal won, and the agreement's qualification score, which a
  backtest may try raised.

The story's reports look from the moment the year ends, so a seed always prints the same numbers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from leadpact.demo.world import EVENT_IDS
from leadpact.domain.report import Report
from leadpact.services import nurture, reports
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Account, Assignment, Campaign, Event, Lead, Opportunity, User
from leadpact.store.unit_of_work import UnitOfWork

STORY: tuple[tuple[str, dict[str, str]], ...] = (
    ("funnel", {"by": "source"}),
    ("costs", {"by": "source"}),
    ("sla", {"by": "team"}),
    ("reasons", {"by": "stage"}),
    ("grades", {}),
    ("screening", {"by": "qualifier"}),
    ("feedback", {}),
    ("value", {"by": "source"}),
)
"""The reports a first-time reader meets, in order: where leads came from and how far they got, what each
source cost and returned, whether sales kept the SLA, why leads were sent back and deals lost, whether the
agreement's grades predict what happens, what the qualifiers made of the inquiries they called, what reps heard
from the market, and what a lead from each source is worth."""


@dataclass(frozen=True)
class Sent:
    """What the world sent that the database cannot tell."""

    seed: int
    first_day: date
    last_day: date
    ended_at: datetime  # the year's last moment (UTC): the story's reports look from here
    leads: int
    events: int
    late: int


@dataclass(frozen=True)
class Nurtured:
    """The year's nurture: enrolments in the sequences, emails sent, opened, clicked and unsubscribed from, and the
    leads that qualified after an email."""

    enrolled: int = 0
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    unsubscribed: int = 0
    qualified: int = 0


@dataclass(frozen=True)
class DemoYear:
    """The year's facts no report gives, and names to look around with."""

    seed: int
    first_day: date
    last_day: date
    ended_at: datetime
    leads: int
    accounts: int
    campaigns: int
    events_sent: int
    events_recorded: int
    late_events: int
    example_rep: str | None
    example_lead: str | None
    example_customer: str | None
    threshold: float  # the score that qualifies a lead under the agreement the year ran under
    owned_accounts: int = 0  # named accounts with an owner
    example_account: str | None = None  # the owned account with the most leads
    nurtured: Nurtured = Nurtured()


def describe(uow: UnitOfWork, inforce: InForce, sent: Sent) -> DemoYear:
    """The year as run under ``inforce``: what was sent, what was stored, and the names for the hints."""
    rep, lead, customer = _examples(uow)
    return DemoYear(
        seed=sent.seed,
        first_day=sent.first_day,
        last_day=sent.last_day,
        ended_at=sent.ended_at,
        leads=sent.leads,
        accounts=_rows(uow, Account),
        campaigns=_rows(uow, Campaign),
        events_sent=sent.events,
        events_recorded=int(
            uow.session.scalar(select(func.count()).where(Event.event_id.startswith(EVENT_IDS, autoescape=True))) or 0
        ),
        late_events=sent.late,
        example_rep=rep,
        example_lead=lead,
        example_customer=customer,
        threshold=inforce.agreement.qualified.score_at_least,
        owned_accounts=int(uow.session.scalar(select(func.count()).where(Account.owner_id.is_not(None))) or 0),
        example_account=uow.session.scalar(
            select(Account.domain)
            .join(Lead, Lead.account_id == Account.id)
            .where(Account.owner_id.is_not(None))
            .group_by(Account.id, Account.domain)
            .order_by(func.count().desc(), Account.domain)
            .limit(1)
        ),
        nurtured=_nurtured(uow),
    )


def story(uow: UnitOfWork, inforce: InForce, year: DemoYear) -> tuple[Report, ...]:
    """The ``STORY`` reports over the whole history, as of the moment the year ended."""
    with reports.reader(uow, FixedClock(year.ended_at), inforce) as report:
        return tuple(report(name, **options) for name, options in STORY)


def _nurtured(uow: UnitOfWork) -> Nurtured:
    if nurture.in_force(uow) is None:
        return Nurtured()
    sequences = nurture.stats(uow)
    totals = {k: sum(s.total(k) for s in sequences) for k in ("sent", "opened", "clicked", "unsubscribed", "qualified")}
    return Nurtured(enrolled=sum(s.enrolled for s in sequences), **totals)


def _rows(uow: UnitOfWork, table: type[Account | Campaign]) -> int:
    return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def _examples(uow: UnitOfWork) -> tuple[str | None, str | None, str | None]:
    """The rep with the most open leads (the most leads, when none is open), their first such lead, and the
    customer of the biggest deal won."""
    rows = uow.session.execute(
        select(User.name, Assignment.lead_id, Assignment.ended_at)
        .join(Assignment, Assignment.user_id == User.id)
        .order_by(Assignment.id)
    ).all()
    pool = [(name, lead) for name, lead, ended in rows if ended is None] or [(name, lead) for name, lead, _ in rows]
    rep = lead = None
    if pool:
        counts = Counter(name for name, _ in pool)
        rep = min(counts, key=lambda name: (-counts[name], name))
        lead_id = next(lead_id for name, lead_id in pool if name == rep)
        lead = uow.session.scalar(select(Lead.email).where(Lead.id == lead_id))
    customer = uow.session.scalar(
        select(Lead.email)
        .join(Opportunity, Opportunity.lead_id == Lead.id)
        .where(Opportunity.won.is_(True))
        .order_by(Opportunity.amount.desc(), Lead.id)
        .limit(1)
    )
    return rep, lead, customer
