"""Handing qualified leads to sales: routing, assignment, the SLA clock, and what happens on a breach.

With a screening section in the agreement, a lead that meets its rule goes to the qualifiers instead, with a
first-call clock of its own; a qualifier's pass hands it to sales here as any other MQL. A first call missed is a
breach too, recorded by the same check; the queue is the screening team's, so the lead stays in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, select

from leadpact.domain.accounts import account_engagement, meets
from leadpact.domain.agreement import BUYING_GROUP, ROUTING_ONLY_FIELDS, Agreement, Duration, Scalar
from leadpact.domain.calendar import add_working_time
from leadpact.domain.errors import Conflict
from leadpact.domain.lifecycle import Move, Stage, withdrawn_stage
from leadpact.domain.routing import Member, owner_takes, pick_member, team_for
from leadpact.domain.scoring import engagement_at, from_seconds, to_seconds
from leadpact.services import audit, lifecycle, nurture, outbox
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.services.facts import facts_of, facts_of_many
from leadpact.services.team import open_lead_counts
from leadpact.store.tables import Account, Assignment, Lead, ScreeningEntry, StageChange, Team, User
from leadpact.store.unit_of_work import UnitOfWork


def active_assignment(uow: UnitOfWork, lead: Lead) -> Assignment | None:
    return uow.session.scalars(
        select(Assignment).where(Assignment.lead_id == lead.id, Assignment.ended_at.is_(None))
    ).first()


def end_assignment(uow: UnitOfWork, lead: Lead, at: datetime, reason: str) -> Assignment | None:
    current = active_assignment(uow, lead)
    if current is not None:
        current.ended_at = at
        current.end_reason = reason
    return current


class Roster:
    """Teams and their reps, loaded once per batch of hand-offs; reps stay live ORM objects.

    Each rep's open leads are counted once and then kept up as the batch deals leads, since a batch of hand-offs
    does not flush what it writes until it ends. The routing facts of the leads the batch will route can be read
    for all of them at once (``know``), and SLA dues are worked out once per second the batch deals leads in.
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._teams: dict[str, tuple[Team, list[User]] | None] = {}
        self._open: dict[int, int] = {}
        self._facts: dict[int, dict[str, Scalar | None]] = {}
        self._dues: dict[tuple[int, Duration], int] = {}

    def know(self, leads: Sequence[Lead], agreement: Agreement) -> None:
        """Read the routing facts of leads about to be routed, in a few queries rather than a few per lead."""
        self._facts.update(facts_of_many(self.uow, leads, _lead_fields(agreement), agreement.model))

    def facts(self, lead: Lead, agreement: Agreement) -> dict[str, Scalar | None]:
        """The lead's routing facts: as read by ``know`` (once), else now."""
        known = self._facts.pop(lead.id, None)
        return known if known is not None else facts_of(self.uow, lead, _lead_fields(agreement), agreement.model)

    def due(self, agreement: Agreement, start: int, within: Duration) -> int:
        """The moment ``within`` of working time after ``start``."""
        key = (start, within)
        if key not in self._dues:
            self._dues[key] = add_working_time(agreement, start, within)
        return self._dues[key]

    def member(self, rep: User) -> Member:
        """The rep as routing sees them: capacity, availability, credit, and open leads against their cap (counted
        only for a rep who has one)."""
        if rep.max_open is not None and rep.id not in self._open:
            self._open[rep.id] = open_lead_counts(self.uow, [rep.id]).get(rep.id, 0)
        return Member(
            rep.name,
            rep.capacity,
            rep.available,
            rep.rr_credit,
            rep.last_assigned_at,
            rep.max_open,
            self._open.get(rep.id, 0),
        )

    def dealt(self, rep: User) -> None:
        self._open[rep.id] = self._open.get(rep.id, 0) + 1

    def team(self, name: str) -> tuple[Team, list[User]] | None:
        if name not in self._teams:
            team = self.uow.session.scalars(select(Team).where(Team.name == name)).first()
            reps = list(self.uow.session.scalars(_reps_of(team.id))) if team else []
            self._teams[name] = (team, reps) if team else None
        return self._teams[name]


def _reps_of(team_id: int) -> Select[User]:
    """The team's reps that routing deals leads to: those whose access is not disabled."""
    return select(User).where(User.team_id == team_id, User.role == "rep", User.disabled_at.is_(None))


@dataclass(frozen=True)
class _Choice:
    team: Team
    rep: User
    reps: list[User]
    credits: dict[str, float]


def _choose(
    uow: UnitOfWork, now: int, lead: Lead, inforce: InForce, exclude: frozenset[int], roster: Roster | None
) -> _Choice | tuple[str | None, str]:
    """The account's owner when the agreement gives them the lead, else the team the routing rules give and the
    member whose turn it is; else (team, why nobody)."""
    agreement = inforce.agreement
    roster = roster or Roster(uow)
    owner = _account_owner(uow, lead, exclude)
    if owner is not None and owner_takes(agreement.handoff.account_owner, roster.member(owner)):
        owner_team = uow.session.get(Team, owner.team_id) if owner.team_id is not None else None
        if owner_team is not None:
            return _Choice(owner_team, owner, [owner], {})
    routing_fields = _routing_fields(agreement)
    facts = roster.facts(lead, agreement)
    if any(name in ROUTING_ONLY_FIELDS for name in routing_fields):  # the score, band and buying group then
        score = lead.fit + engagement_at(lead.engagement, lead.engagement_at, now, agreement.half_life_days)
        facts.update(score=score, priority=agreement.band_for(score))
        if BUYING_GROUP in routing_fields:
            facts[BUYING_GROUP] = _buying_group(uow, lead, inforce, now)
    team_name = team_for(agreement, facts)
    found = roster.team(team_name) if team_name else None
    if found is None:
        return team_name, "no such team"
    team_, reps = found
    excluded = frozenset(r.name for r in reps if r.id in exclude)
    picked = pick_member([roster.member(r) for r in reps], excluded)
    if picked is None:
        return team_.name, "no available rep"
    chosen_name, credits = picked
    return _Choice(team_, next(r for r in reps if r.name == chosen_name), reps, credits)


def _routing_fields(agreement: Agreement) -> list[str]:
    return [rule.when.field for rule in agreement.handoff.routing if rule.when]


def _lead_fields(agreement: Agreement) -> list[str]:
    """The fields routing reads from the lead and its account (not those of the moment: score, band, buying group)."""
    return [name for name in _routing_fields(agreement) if name not in ROUTING_ONLY_FIELDS]


def _buying_group(uow: UnitOfWork, lead: Lead, inforce: InForce, now: int) -> bool:
    """Whether the lead's account meets the agreement's account rule now."""
    if lead.account_id is None:
        return False
    people = uow.session.execute(
        select(Lead.engagement, Lead.engagement_at).where(Lead.account_id == lead.account_id)
    ).all()
    engaged = account_engagement([(value, anchor) for value, anchor in people], now, inforce.agreement.half_life_days)
    return bool(meets(inforce.agreement.accounts, engaged[1]))


def _account_owner(uow: UnitOfWork, lead: Lead, exclude: frozenset[int]) -> User | None:
    """The rep who owns the lead's account, unless they are the one the lead is being taken from."""
    if lead.account_id is None:
        return None
    account = uow.session.get(Account, lead.account_id)
    if account is None or account.owner_id is None or account.owner_id in exclude:
        return None
    owner = uow.session.get(User, account.owner_id)
    return owner if owner is not None and owner.role == "rep" and owner.disabled_at is None else None


def assign(
    uow: UnitOfWork,
    clock: Clock,
    lead: Lead,
    inforce: InForce,
    exclude: frozenset[int] = frozenset(),
    accepted: bool = False,
    roster: Roster | None = None,
) -> User | None:
    """Route the lead to a team and deal it to a member, who is returned; None when nobody can take it now."""
    roster = roster or Roster(uow)
    choice = _choose(uow, to_seconds(clock.now()), lead, inforce, exclude, roster)
    if isinstance(choice, _Choice):
        roster.dealt(choice.rep)
        return _deal(uow, clock, lead, inforce, choice, accepted, roster)
    team_name, why = choice
    lead.owner_id = None
    outbox.post(uow, "lead.unassigned", clock.now(), lead_id=lead.id, team=team_name, why=why)
    return None


def hand_to(uow: UnitOfWork, clock: Clock, inforce: InForce, lead: Lead, team: Team, rep: User) -> None:
    """Give a lead with sales to the rep a manager chose, dealt as routing deals one: its assignment ends
    ("reassigned") and the rep's starts with a new SLA clock; a lead the former rep had accepted stays accepted."""
    current = end_assignment(uow, lead, clock.now(), "reassigned")
    accepted = current is not None and current.accepted_at is not None
    _deal(uow, clock, lead, inforce, _Choice(team, rep, [rep], {}), accepted, Roster(uow))
    audit.record(uow, clock.now(), "lead.reassign", f"lead {lead.id}", rep=rep.name)


def _deal(
    uow: UnitOfWork, clock: Clock, lead: Lead, inforce: InForce, choice: _Choice, accepted: bool, roster: Roster
) -> User:
    """Give the lead to the chosen rep and start the SLA clock."""
    now = clock.now()
    agreement = inforce.agreement
    chosen = choice.rep
    for rep in choice.reps:
        if rep.name in choice.credits:
            rep.rr_credit = choice.credits[rep.name]
    start = to_seconds(now)
    chosen.last_assigned_at = start
    handoff = agreement.handoff
    uow.append(
        Assignment,
        lead_id=lead.id,
        user_id=chosen.id,
        team_id=choice.team.id,
        version=inforce.version,
        assigned_at=now,
        accept_due=from_seconds(roster.due(agreement, start, handoff.accept_within)),
        contact_due=from_seconds(roster.due(agreement, start, handoff.first_contact_within)),
        accepted_at=now if accepted else None,
    )
    lead.owner_id = chosen.id
    outbox.post(uow, "lead.assigned", now, lead_id=lead.id, email=lead.email, rep=chosen.name, team=choice.team.name)
    return chosen


@dataclass(frozen=True)
class Rerouted:
    """A lead taken from a rep's queue: who has it now (None: it waits, unassigned, for a rep who can take it)."""

    email: str
    to: str | None


def reroute(uow: UnitOfWork, clock: Clock, inforce: InForce, rep: User) -> list[Rerouted]:
    """Deal every lead in the rep's queue to another rep, as the agreement routes it now.

    A lead the rep accepted stays accepted with its new rep. An MQL nobody else can take now waits, like any MQL
    nobody can take, for the SLA check to deal it; an accepted lead nobody else can take is refused, naming it:
    it would wait where no check finds it.
    """
    queued = select(Assignment.lead_id).where(Assignment.user_id == rep.id, Assignment.ended_at.is_(None))
    leads = uow.session.scalars(select(Lead).where(Lead.id.in_(queued)).order_by(Lead.id).with_for_update()).all()
    roster = Roster(uow)
    moved = []
    for lead in leads:
        current = active_assignment(uow, lead)
        if current is None or current.user_id != rep.id:
            continue  # acted on while it waited for the lock: no longer in the rep's queue
        current.ended_at, current.end_reason = clock.now(), "rerouted"
        accepted = current.accepted_at is not None
        taker = assign(uow, clock, lead, inforce, frozenset({rep.id}), accepted=accepted, roster=roster)
        if taker is None and accepted:
            raise Conflict(
                f"nobody else can take {lead.email}, which {rep.name} accepted: no other rep it routes to is "
                "available; mark one back or add one, then try again"
            )
        moved.append(Rerouted(lead.email, taker.name if taker else None))
    return moved


def hand_off(
    uow: UnitOfWork, clock: Clock, lead: Lead, qualified_at: int, inforce: InForce, roster: Roster | None = None
) -> None:
    """The agreement makes the lead an MQL as of ``qualified_at`` and sales gets it now."""
    nurture.leave(uow, lead.id, clock.now(), "qualified")  # at once: nothing more is sent to it
    _hand_over(uow, clock, lead, qualified_at, inforce, roster)


def _hand_over(
    uow: UnitOfWork, clock: Clock, lead: Lead, qualified_at: int, inforce: InForce, roster: Roster | None
) -> None:
    """``hand_off`` once the lead has left its nurture sequences."""
    origin = lead.stage
    lifecycle.move(uow, lead, Move.HAND_OFF, from_seconds(qualified_at), version=inforce.version)
    lead.qualified_at = qualified_at
    lead.qualified_from = origin
    outbox.post(uow, "lead.qualified", clock.now(), lead_id=lead.id, email=lead.email, version=inforce.version)
    assign(uow, clock, lead, inforce, roster=roster)


Entry = tuple[int, Stage]
"""Where the agreement takes a lead and as of when: (moment, screening or mql)."""


def screen(uow: UnitOfWork, clock: Clock, lead: Lead, entered_at: int, inforce: InForce) -> None:
    """The agreement sends the lead to the qualifiers as of ``entered_at``; the first-call clock starts now."""
    screening = inforce.agreement.screening
    if screening is None:
        raise ValueError("the agreement has no screening section")
    origin = lead.stage
    lifecycle.move(uow, lead, Move.SCREEN, from_seconds(entered_at), version=inforce.version)
    lead.qualified_from = origin
    start = to_seconds(clock.now())
    uow.append(
        ScreeningEntry,
        lead_id=lead.id,
        version=inforce.version,
        entered_at=from_seconds(entered_at),
        origin=origin,
        call_due=from_seconds(add_working_time(inforce.agreement, start, screening.first_call_within)),
    )
    outbox.post(uow, "lead.screening", clock.now(), lead_id=lead.id, email=lead.email, team=screening.team)


def open_screening(uow: UnitOfWork, lead: Lead) -> ScreeningEntry | None:
    return uow.session.scalars(
        select(ScreeningEntry)
        .where(ScreeningEntry.lead_id == lead.id, ScreeningEntry.decided_at.is_(None))
        .order_by(ScreeningEntry.id.desc())
    ).first()


def enter(uow: UnitOfWork, clock: Clock, lead: Lead, entry: Entry, inforce: InForce, roster: Roster | None) -> None:
    moment, stage = entry
    if stage == Stage.SCREENING:
        screen(uow, clock, lead, moment, inforce)
    else:
        hand_off(uow, clock, lead, moment, inforce, roster)


def _pending(uow: UnitOfWork, lead: Lead) -> bool:
    """Taken by the agreement, and nobody has acted on it yet: the agreement may still correct itself.

    A lead in screening stays the agreement's until a qualifier decides; an MQL a qualifier passed is theirs.
    """
    if lead.stage == Stage.SCREENING:
        return True
    if lead.stage != Stage.MQL or lead.qualified_from == Stage.SCREENING:
        return False
    current = active_assignment(uow, lead)
    return current is None or (current.accepted_at is None and current.contacted_at is None)


def can_requalify(uow: UnitOfWork, lead: Lead) -> bool:
    return lead.stage in (Stage.INQUIRY, Stage.RECYCLED) or _pending(uow, lead)


def settle(
    uow: UnitOfWork, clock: Clock, lead: Lead, entry: Entry | None, inforce: InForce, roster: Roster | None = None
) -> None:
    """Make the lead's stage agree with the entry (moment and stage) its full history gives."""
    if lead.stage in (Stage.INQUIRY, Stage.RECYCLED):
        if entry is not None:
            enter(uow, clock, lead, entry, inforce, roster)
        return
    if not _pending(uow, lead):
        return
    screening = open_screening(uow, lead) if lead.stage == Stage.SCREENING else None
    if entry is not None and entry[1] == lead.stage:
        moment = entry[0]
        current = to_seconds(screening.entered_at) if screening is not None else lead.qualified_at
        if moment == current:
            return
        change = uow.session.scalars(
            select(StageChange)
            .where(StageChange.lead_id == lead.id, StageChange.to_stage == lead.stage)
            .order_by(StageChange.id.desc())
            .limit(1)
        ).first()
        if change is not None:
            change.at = from_seconds(moment)
        if screening is not None:
            screening.entered_at = from_seconds(moment)
        else:
            lead.qualified_at = moment
        return
    origin = withdrawn_stage(Stage(lead.stage), Stage(lead.qualified_from or Stage.INQUIRY))
    if screening is not None:
        screening.decided_at = clock.now()
        screening.decision = "withdrawn"
    end_assignment(uow, lead, clock.now(), "withdrawn")
    lifecycle.record(uow, lead, origin, clock.now(), version=inforce.version, reason="late_events")
    lead.owner_id = None
    lead.qualified_at = None
    outbox.post(uow, "lead.withdrawn", clock.now(), lead_id=lead.id, email=lead.email)
    if entry is not None:  # it met the other rule: screening instead of sales, or sales instead of screening
        enter(uow, clock, lead, entry, inforce, roster)


def settle_all(
    uow: UnitOfWork, clock: Clock, entries: Sequence[tuple[Lead, Entry | None]], inforce: InForce, roster: Roster
) -> None:
    """``settle`` each lead, in turn. The inquiries the agreement hands straight to sales, most hand-offs of an
    import, leave their nurture sequences together first, in a statement rather than one each: handing a lead over
    never starts a sequence, so they leave in the same state as one by one."""
    straight: dict[int, int] = {}  # lead id: the moment it qualified
    for lead, entry in entries:
        if entry is not None and entry[1] == Stage.MQL and lead.stage in (Stage.INQUIRY, Stage.RECYCLED):
            straight[lead.id] = entry[0]
    nurture.leave_all(uow, sorted(straight), clock.now(), "qualified")
    roster.know([lead for lead, _entry in entries if lead.id in straight], inforce.agreement)
    for lead, entry in entries:
        if lead.id in straight:
            _hand_over(uow, clock, lead, straight[lead.id], inforce, roster)
        else:
            settle(uow, clock, lead, entry, inforce, roster)


@dataclass
class SlaReport:
    accept_breaches: int = 0
    contact_breaches: int = 0
    call_breaches: int = 0  # first calls of screening
    reassigned: int = 0
    escalated: int = 0
    assigned: int = 0
    lines: list[str] = field(default_factory=list)


def check_sla(uow: UnitOfWork, clock: Clock, inforce: InForce) -> SlaReport:
    """Record every breach due by now and act on it as the agreement says; assign waiting MQLs."""
    uow.serialize_writes()  # a rep accepting at this moment is either seen as accepted or waits for the check
    now = clock.now()
    report = SlaReport()
    locked = _lock_leads_on_a_clock(uow, now)
    open_assignments = uow.session.scalars(
        select(Assignment).where(Assignment.ended_at.is_(None)).order_by(Assignment.id)
    ).all()
    for assignment in open_assignments:
        if assignment.lead_id not in locked:
            continue  # handed over since the leads were locked: the next check sees it
        kind = None
        if assignment.accepted_at is None and assignment.accept_breached_at is None and assignment.accept_due <= now:
            assignment.accept_breached_at = assignment.accept_due
            report.accept_breaches += 1
            kind = "accept"
        elif (
            assignment.accepted_at is not None
            and assignment.contacted_at is None
            and assignment.contact_breached_at is None
            and assignment.contact_due <= now
        ):
            assignment.contact_breached_at = assignment.contact_due
            report.contact_breaches += 1
            kind = "contact"
        if kind is not None:
            _on_breach(uow, clock, assignment, kind, inforce, report)
    _check_first_calls(uow, clock, inforce, locked, report)
    waiting = uow.session.scalars(
        select(Lead).where(Lead.stage == Stage.MQL, Lead.owner_id.is_(None), Lead.merged_into.is_(None))
    )
    for lead in list(waiting):
        if lead.id in locked and assign(uow, clock, lead, inforce) is not None:
            report.assigned += 1
            report.lines.append(f"lead {lead.email}: assigned (it was waiting for an available rep)")
    return report


def _lock_leads_on_a_clock(uow: UnitOfWork, now: datetime) -> set[int]:
    """Lock every lead with an open assignment or waiting for one, and every lead in screening whose first call is
    overdue, in id order as every change of leads does.

    A rep or a qualifier acting on one of them at this moment waits for the check, or the check waits for them,
    and then reads what they did (PostgreSQL; SQLite has serialized the whole check already).
    """
    with_rep = select(Assignment.lead_id).where(Assignment.ended_at.is_(None))
    waiting = (Lead.stage == Stage.MQL) & Lead.owner_id.is_(None) & Lead.merged_into.is_(None)
    uncalled = select(ScreeningEntry.lead_id).where(_first_call_missed(now))
    query = (
        select(Lead.id)
        .where(Lead.id.in_(with_rep) | waiting | Lead.id.in_(uncalled))
        .order_by(Lead.id)
        .with_for_update()
    )
    return set(uow.session.scalars(query))


def _first_call_missed(now: datetime) -> ColumnElement[bool]:
    """An open screening with no first call by its due moment and no breach recorded yet."""
    return and_(
        ScreeningEntry.decided_at.is_(None),
        ScreeningEntry.first_call_at.is_(None),
        ScreeningEntry.call_breached_at.is_(None),
        ScreeningEntry.call_due <= now,
    )


def _check_first_calls(uow: UnitOfWork, clock: Clock, inforce: InForce, locked: set[int], report: SlaReport) -> None:
    """Record each first call missed at its due moment and tell the outbox (kind ``first_call``, no rep: the lead
    waits in the screening team's queue, where a qualifier may still call it)."""
    now = clock.now()
    screening = inforce.agreement.screening
    team = screening.team if screening is not None else None
    missed = uow.session.execute(
        select(ScreeningEntry, Lead)
        .join(Lead, Lead.id == ScreeningEntry.lead_id)
        .where(_first_call_missed(now))
        .order_by(ScreeningEntry.id)
    ).all()
    for entry, lead in missed:
        if lead.id not in locked:
            continue  # not locked above: the next check sees it
        entry.call_breached_at = entry.call_due
        report.call_breaches += 1
        outbox.post(
            uow,
            "sla.breached",
            now,
            lead_id=lead.id,
            email=lead.email,
            rep=None,
            team=team,
            kind="first_call",
            due=entry.call_due,
        )
        report.lines.append(f"lead {lead.email}: first-call SLA breached in screening; it stays in the queue")


def _on_breach(
    uow: UnitOfWork, clock: Clock, assignment: Assignment, kind: str, inforce: InForce, report: SlaReport
) -> None:
    """Reassign to another rep of the team, or tell the manager: when nobody else can take it, it stays."""
    lead = uow.session.get_one(Lead, assignment.lead_id)
    rep = uow.session.get_one(User, assignment.user_id)
    due = assignment.accept_due if kind == "accept" else assignment.contact_due
    now = clock.now()
    outbox.post(uow, "sla.breached", now, lead_id=lead.id, email=lead.email, rep=rep.name, kind=kind, due=due)
    choice = (
        _choose(uow, to_seconds(now), lead, inforce, frozenset({rep.id}), None)
        if inforce.agreement.handoff.on_breach == "reassign"
        else None
    )
    if isinstance(choice, _Choice):
        assignment.ended_at = now
        assignment.end_reason = f"{kind}_breach"
        new = _deal(uow, clock, lead, inforce, choice, kind == "contact", Roster(uow))
        report.reassigned += 1
        report.lines.append(f"lead {lead.email}: {kind} SLA breached by {rep.name}; reassigned to {new.name}")
        return
    team = uow.session.get(Team, assignment.team_id) if assignment.team_id else None
    manager = uow.session.get(User, team.manager_id) if team and team.manager_id else None
    outbox.post(
        uow,
        "sla.escalated",
        now,
        lead_id=lead.id,
        email=lead.email,
        rep=rep.name,
        kind=kind,
        manager=manager.name if manager else None,
        manager_email=manager.email if manager else None,
    )
    report.escalated += 1
    why = "; nobody else in the team can take it, so it stays" if choice is not None else ""
    report.lines.append(f"lead {lead.email}: {kind} SLA breached by {rep.name}{why}; escalated")
