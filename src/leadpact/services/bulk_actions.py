"""Acting on many leads at once, chosen on the leads list: disqualify them, enrol them in a nurture sequence, or
give them to another rep.

Each action needs the permission it needs one lead at a time: disqualifying is marketing's (``capture``, as for
one inquiry), enrolling is whoever manages campaigns', reassigning is a manager's (``manage_team``). It reads
every lead chosen locked, in id order as every change of leads does, decides for each whether the action applies
to it, and does it through the same services as for one lead; a lead it does not apply to (a customer cannot be
disqualified) is skipped, with why.

It is all or nothing, in the one transaction of the request. The skips are decided under the locks, before
anything is written, so what is left to fail is what nobody could foresee; then nothing changes, and the same
selection can be sent again. The person confirmed one action on one selection: a failure halfway through would
leave them to find out which leads it changed. A selection is at most ``MOST`` leads, so the locks are brief.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from leadpact.domain.errors import InvalidInput
from leadpact.domain.lifecycle import TRANSITIONS, WORKING, Move, Stage
from leadpact.domain.permissions import Action, Principal, Role
from leadpact.services import handoff, nurture, sales
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.services.team import user_named
from leadpact.store.tables import Lead, NurtureEnrolment, Team
from leadpact.store.unit_of_work import UnitOfWork

MOST = 500
"""The most leads one action takes: ten pages of the list."""

DISQUALIFIABLE = frozenset(stage for stage, move in TRANSITIONS if move == Move.DISQUALIFY)
"""The stages marketing may disqualify a lead from: an inquiry, or a lead in screening."""

MERGED = "merged into another lead"

NOT_NURTURED = {
    "qualified": "with sales",
    "assigned": "with a rep",
    "no_consent": "no consent to marketing email",
}
"""Why nothing may be sent to a lead (``nurture.why_stop``), in words; the others read as they are: the stage it is
in (disqualified, screening) or why its address is suppressed (unsubscribed, bounced, erased)."""


@dataclass(frozen=True)
class Skipped:
    lead_id: int
    email: str | None  # None: no such lead
    why: str


@dataclass
class Outcome:
    """What one action did: the leads it was done to (by email) and those it skipped, with why."""

    did: str  # what was done to each, in words: "disqualified", "enrolled in not-ready"
    done: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def summary(self) -> str:
        """The outcome in a sentence: "12 disqualified; 2 skipped: 1 in stage customer, 1 already disqualified"."""
        said = f"{len(self.done)} {'lead' if len(self.done) == 1 else 'leads'} {self.did}"
        if not self.skipped:
            return f"{said}."
        why = Counter(s.why for s in self.skipped)
        return f"{said}; {len(self.skipped)} skipped: " + ", ".join(f"{n} {reason}" for reason, n in why.items()) + "."


def _chosen(uow: UnitOfWork, ids: Sequence[int], outcome: Outcome) -> list[Lead]:
    """The leads chosen, read locked in id order; an id that is no lead, or a duplicate merged into another, is
    skipped."""
    wanted = sorted(set(ids))
    if not wanted:
        raise InvalidInput("choose at least one lead", "lead")
    if len(wanted) > MOST:
        raise InvalidInput(f"choose at most {MOST} leads at once, not {len(wanted)}", "lead")
    uow.serialize_writes()
    query = select(Lead).where(Lead.id.in_(wanted)).order_by(Lead.id).with_for_update()
    leads = {lead.id: lead for lead in uow.session.scalars(query.execution_options(populate_existing=True))}
    kept = []
    for lead_id in wanted:
        lead = leads.get(lead_id)
        if lead is None:
            outcome.skipped.append(Skipped(lead_id, None, "no such lead"))
        elif lead.merged_into is not None:
            outcome.skipped.append(Skipped(lead_id, lead.email, MERGED))
        else:
            kept.append(lead)
    return kept


def _each(leads: list[Lead], outcome: Outcome, skip: Callable[[Lead], str | None]) -> list[Lead]:
    """The leads the action applies to; each other one is skipped with what ``skip`` says of it."""
    kept = []
    for lead in leads:
        why = skip(lead)
        if why is None:
            kept.append(lead)
        else:
            outcome.skipped.append(Skipped(lead.id, lead.email, why))
    return kept


def disqualify(
    uow: UnitOfWork, clock: Clock, inforce: InForce, who: Principal, ids: Sequence[int], reason: str
) -> Outcome:
    """Take the inquiries and the leads in screening out for good, with one of the agreement's disqualifying
    reasons; a lead in any other stage is skipped."""
    who.require(Action.CAPTURE)
    reasons = [name for name, r in inforce.agreement.reject_reasons.items() if r.disqualify]
    if reason not in reasons:
        raise InvalidInput(f"'{reason}' is not a disqualifying reason; use one of: {', '.join(reasons)}", "reason")
    outcome = Outcome("disqualified")

    def skip(lead: Lead) -> str | None:
        if lead.stage == Stage.DISQUALIFIED:
            return "already disqualified"
        return None if lead.stage in DISQUALIFIABLE else f"in stage {lead.stage}"

    for lead in _each(_chosen(uow, ids, outcome), outcome, skip):
        sales.disqualify(uow, clock, inforce, lead, reason, who.name if who.user_id is not None else None)
        outcome.done.append(lead.email)
    return outcome


def enroll(uow: UnitOfWork, clock: Clock, inforce: InForce, who: Principal, ids: Sequence[int], name: str) -> Outcome:
    """Put the leads in a nurture sequence of the version in force; a lead already in it, or one nothing may be
    sent to (with sales, disqualified, no consent, its address suppressed), is skipped."""
    who.require(Action.MANAGE_CAMPAIGNS)
    nurture.sequence(uow, name)  # there is such a sequence, before any lead is read
    outcome = Outcome(f"enrolled in {name}")
    leads = _chosen(uow, ids, outcome)
    active = set(
        uow.session.scalars(
            select(NurtureEnrolment.lead_id).where(
                NurtureEnrolment.sequence == name,
                NurtureEnrolment.ended_at.is_(None),
                NurtureEnrolment.lead_id.in_([lead.id for lead in leads]),
            )
        )
    )

    def skip(lead: Lead) -> str | None:
        if lead.id in active:
            return f"already in {name}"
        why = nurture.why_stop(uow, lead)
        return None if why is None else NOT_NURTURED.get(why, why.replace("_", " "))

    kept = _each(leads, outcome, skip)
    if kept:
        outcome.done = nurture.enroll(uow, clock, inforce, name, [lead.email for lead in kept]).enrolled
    return outcome


def reassign(uow: UnitOfWork, clock: Clock, inforce: InForce, who: Principal, ids: Sequence[int], rep: str) -> Outcome:
    """Give the leads with sales (MQL, SAL, SQL) to the rep named, with a new SLA clock; a lead the rep had
    accepted stays accepted. A lead not with sales, or already the rep's, is skipped."""
    who.require(Action.MANAGE_TEAM)
    user = user_named(uow, rep)
    if user.role != Role.REP or user.disabled_at is not None or user.team_id is None:
        raise InvalidInput(f"{user.name} is not a rep of a team who can take leads", "rep")
    team = uow.session.get_one(Team, user.team_id)
    outcome = Outcome(f"reassigned to {user.name}")

    def skip(lead: Lead) -> str | None:
        if lead.stage not in WORKING:
            return f"in stage {lead.stage}"
        return f"already {user.name}'s" if lead.owner_id == user.id else None

    for lead in _each(_chosen(uow, ids, outcome), outcome, skip):
        handoff.hand_to(uow, clock, inforce, lead, team, user)
        outcome.done.append(lead.email)
    return outcome
