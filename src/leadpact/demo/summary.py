"""The demo's funnel, read back from what leadpact stored: stage history, assignments, opportunities, costs.

Stages count leads that ever reached them (a lead recycled and qualified again counts once). Rejections
are a rep's moves from mql, sal or sql back to nurture or out, by reason. A lead's grade at arrival is the
grade of the fit it had when it was captured, before any qualification answer, so it tells whether the
agreement's grades predict what happens next. Costs are the campaigns' daily costs, by channel; a lead's
source is its first-touch channel, so the two line up. A source no campaign cost was booked for (the leads
sales prospects itself) has no cost, rather than a cost of zero.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import distinct, func, select

from leadpact.domain.lifecycle import Stage
from leadpact.domain.scoring import to_seconds
from leadpact.services.agreements import InForce
from leadpact.store.tables import (
    Account,
    Assignment,
    Campaign,
    CampaignCost,
    Event,
    Lead,
    LedgerEntry,
    Opportunity,
    StageChange,
    User,
)
from leadpact.store.unit_of_work import UnitOfWork

REJECTED_FROM = (Stage.MQL, Stage.SAL, Stage.SQL)
REJECTED_TO = (Stage.RECYCLED, Stage.DISQUALIFIED)


@dataclass(frozen=True)
class FunnelLine:
    """One slice of the funnel (a source or a grade): its leads and what became of them."""

    name: str
    leads: int
    mql: int
    opportunities: int
    won: int
    revenue: float
    cost: float | None = None  # None: no cost booked

    @property
    def cost_per_lead(self) -> float | None:
        return self.cost / self.leads if self.cost is not None and self.leads else None

    @property
    def cost_per_won(self) -> float | None:
        return self.cost / self.won if self.cost is not None and self.won else None

    @property
    def opportunity_rate(self) -> float:
        return self.opportunities / self.leads if self.leads else 0.0


@dataclass(frozen=True)
class SlaSummary:
    """How sales kept the hand-off SLA: per assignment, and per lead handed over."""

    assignments: int
    awaiting_accept: int  # assignments that started unaccepted (a contact-breach reassignment starts accepted)
    accepted_in_time: int
    accepted_late: int
    contacted_in_time: int
    contacted_late: int
    accept_breaches: int
    contact_breaches: int
    reassigned: int
    handed_over: int
    never_contacted: int


@dataclass(frozen=True)
class DemoSummary:
    seed: int
    first_day: date
    last_day: date
    accounts: int
    campaigns: int
    events_sent: int
    events_recorded: int
    late_events: int
    inquiries: int
    mql: int
    sal: int
    sql: int
    opportunity: int  # leads that reached an opportunity
    opportunities: int  # deals: a lead that lost one may come back and open another
    won: int
    lost: int
    open_opportunities: int
    won_revenue: float
    recycled: int
    disqualified: int
    requalified: int
    total_cost: float
    sla: SlaSummary
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    lost_by_reason: dict[str, int] = field(default_factory=dict)
    sources: tuple[FunnelLine, ...] = ()
    grades: tuple[FunnelLine, ...] = ()
    example_rep: str | None = None
    example_lead: str | None = None
    example_customer: str | None = None


@dataclass(frozen=True)
class Sent:
    """What the world sent that the database cannot tell: every delivery, and how many arrived late."""

    seed: int
    first_day: date
    last_day: date
    events: int
    late: int


def summarize(uow: UnitOfWork, inforce: InForce, sent: Sent) -> DemoSummary:
    s = uow.session
    reached = {stage: _leads_reaching(uow, stage) for stage in (Stage.MQL, Stage.SAL, Stage.SQL)}
    opportunities: list[tuple[int, float, bool | None]] = [
        (lead, amount, won)
        for lead, amount, won in s.execute(select(Opportunity.lead_id, Opportunity.amount, Opportunity.won))
    ]
    won = [(lead, amount) for lead, amount, is_won in opportunities if is_won]
    rejected = s.execute(
        select(StageChange.reason, func.count())
        .where(
            StageChange.from_stage.in_(REJECTED_FROM),
            StageChange.to_stage.in_(REJECTED_TO),
            StageChange.by_user_id.is_not(None),
        )
        .group_by(StageChange.reason)
    )
    lost = s.execute(
        select(Opportunity.lost_reason, func.count())
        .where(Opportunity.won.is_(False))
        .group_by(Opportunity.lost_reason)
    )
    stages: dict[str, int] = dict(s.execute(select(Lead.stage, func.count()).group_by(Lead.stage)).all())
    requalified = s.scalar(
        select(func.count(distinct(StageChange.lead_id))).where(
            StageChange.from_stage == Stage.RECYCLED, StageChange.to_stage == Stage.MQL
        )
    )
    rep, lead, customer = _examples(uow)
    return DemoSummary(
        seed=sent.seed,
        first_day=sent.first_day,
        last_day=sent.last_day,
        accounts=_rows(uow, Account),
        campaigns=_rows(uow, Campaign),
        events_sent=sent.events,
        events_recorded=_rows(uow, Event),
        late_events=sent.late,
        inquiries=sum(stages.values()),
        mql=len(reached[Stage.MQL]),
        sal=len(reached[Stage.SAL]),
        sql=len(reached[Stage.SQL]),
        opportunity=len({lead for lead, *_ in opportunities}),
        opportunities=len(opportunities),
        won=len(won),
        lost=sum(1 for *_, is_won in opportunities if is_won is False),
        open_opportunities=sum(1 for *_, is_won in opportunities if is_won is None),
        won_revenue=sum(amount for _, amount in won),
        recycled=stages.get(Stage.RECYCLED, 0),
        disqualified=stages.get(Stage.DISQUALIFIED, 0),
        requalified=requalified or 0,
        total_cost=float(s.scalar(select(func.coalesce(func.sum(CampaignCost.amount), 0.0))) or 0.0),
        sla=_sla(uow, reached[Stage.MQL]),
        rejected_by_reason=_sorted_counts((reason or "-", n) for reason, n in rejected),
        lost_by_reason=_sorted_counts((reason or "-", n) for reason, n in lost),
        sources=_by_source(uow, reached[Stage.MQL], opportunities),
        grades=_by_grade(uow, inforce, reached[Stage.MQL], opportunities),
        example_rep=rep,
        example_lead=lead,
        example_customer=customer,
    )


def _rows(uow: UnitOfWork, table: type[Account | Campaign | Event]) -> int:
    return int(uow.session.scalar(select(func.count()).select_from(table)) or 0)


def _sorted_counts(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Most frequent first."""
    counts: Counter[str] = Counter()
    for name, n in pairs:
        counts[name] += n
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _leads_reaching(uow: UnitOfWork, stage: Stage) -> set[int]:
    return set(uow.session.scalars(select(StageChange.lead_id).where(StageChange.to_stage == stage).distinct()))


def _line(
    name: str,
    members: set[int],
    mql: set[int],
    opportunities: list[tuple[int, float, bool | None]],
    cost: float | None = None,
) -> FunnelLine:
    mine = [(amount, won) for lead, amount, won in opportunities if lead in members]
    return FunnelLine(
        name=name,
        leads=len(members),
        mql=len(members & mql),
        opportunities=len(mine),
        won=sum(1 for _, won in mine if won),
        revenue=sum(amount for amount, won in mine if won),
        cost=cost,
    )


def _by_source(
    uow: UnitOfWork, mql: set[int], opportunities: list[tuple[int, float, bool | None]]
) -> tuple[FunnelLine, ...]:
    members: dict[str, set[int]] = defaultdict(set)
    for lead_id, source in uow.session.execute(select(Lead.id, Lead.source)):
        members[source or "(none)"].add(lead_id)
    spent = select(Campaign.channel, func.sum(CampaignCost.amount)).join(
        Campaign, Campaign.id == CampaignCost.campaign_id
    )
    costs = {c or "(none)": float(amount) for c, amount in uow.session.execute(spent.group_by(Campaign.channel))}
    names = sorted(set(members) | set(costs))
    lines = [_line(n, members[n], mql, opportunities, costs.get(n)) for n in names]
    return tuple(sorted(lines, key=lambda line: (-line.revenue, -line.leads, line.name)))


def _by_grade(
    uow: UnitOfWork, inforce: InForce, mql: set[int], opportunities: list[tuple[int, float, bool | None]]
) -> tuple[FunnelLine, ...]:
    created = {lead_id: to_seconds(at) for lead_id, at in uow.session.execute(select(Lead.id, Lead.created_at))}
    fit: dict[int, float] = dict.fromkeys(created, 0.0)
    rows = uow.session.execute(
        select(LedgerEntry.lead_id, LedgerEntry.at, LedgerEntry.points).where(LedgerEntry.kind == "fit")
    )
    for lead_id, at, points in rows:
        if at <= created[lead_id]:
            fit[lead_id] += points
    members: dict[str, set[int]] = defaultdict(set)
    for lead_id, points in fit.items():
        members[inforce.agreement.grade_for(points)].add(lead_id)
    grades = [g.grade for g in inforce.agreement.grades]
    return tuple(_line(g, members[g], mql, opportunities) for g in grades)


def _sla(uow: UnitOfWork, handed_over: set[int]) -> SlaSummary:
    rows = list(uow.session.scalars(select(Assignment)))
    awaiting = [a for a in rows if a.accepted_at is None or a.accepted_at > a.assigned_at]
    accepted = [a for a in awaiting if a.accepted_at is not None]
    called = [a for a in rows if a.contacted_at is not None]
    contacted_leads = {a.lead_id for a in called}
    return SlaSummary(
        assignments=len(rows),
        awaiting_accept=len(awaiting),
        accepted_in_time=sum(1 for a in accepted if a.accepted_at is not None and a.accepted_at <= a.accept_due),
        accepted_late=sum(1 for a in accepted if a.accepted_at is not None and a.accepted_at > a.accept_due),
        contacted_in_time=sum(1 for a in called if a.contacted_at is not None and a.contacted_at <= a.contact_due),
        contacted_late=sum(1 for a in called if a.contacted_at is not None and a.contacted_at > a.contact_due),
        accept_breaches=sum(1 for a in rows if a.accept_breached_at is not None),
        contact_breaches=sum(1 for a in rows if a.contact_breached_at is not None),
        reassigned=sum(1 for a in rows if a.end_reason in ("accept_breach", "contact_breach")),
        handed_over=len(handed_over),
        never_contacted=len(handed_over - contacted_leads),
    )


def _examples(uow: UnitOfWork) -> tuple[str | None, str | None, str | None]:
    """Real names for the hints: the rep with the most open leads (the most leads, when none is open), their
    first such lead, and the customer of the biggest deal won."""
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
