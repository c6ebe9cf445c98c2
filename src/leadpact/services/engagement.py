"""Recording events: stored once, counted by the agreement, written to the ledger, scored in O(1).

Events are taken in batches (one event is a batch of one), grouped by lead. Whether an event counts is
decided in occurrence order against the events already counted for that lead, so an event that arrives
late may take the place of one counted before it: the displaced event gets a reversing ledger row. The
lead's engagement is kept as a value at an anchor moment and updated in O(1) per ledger row, in or out of
order. Qualification is checked at each new event; when events arrive late, the lead's whole history is
replayed instead, so the moment it qualified never depends on arrival order. With a screening section the same
moments decide whether the lead goes to screening instead (``scoring.entry_now``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import select

from leadpact.domain.lifecycle import Stage
from leadpact.domain.scoring import (
    Cycle,
    EventFact,
    advance,
    by_moment,
    counted_events,
    entry_moment,
    entry_now,
)
from leadpact.domain.screening import screens_now
from leadpact.services import handoff
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.bulk import insert_rows, lookup, update_rows
from leadpact.store.tables import Account, Event, Lead, LedgerEntry
from leadpact.store.unit_of_work import UnitOfWork

CHUNK = 5_000
EVENTS = Event.__tablename__
LEDGER = LedgerEntry.__tablename__
LEADS = Lead.__tablename__


class NewEvent(NamedTuple):
    fact: EventFact
    lead_id: int
    campaign_id: int | None = None

    @classmethod
    def of(cls, event_id: str, lead_id: int, type_: str, at: int, campaign_id: int | None = None) -> NewEvent:
        return cls(EventFact(at, event_id, type_), lead_id, campaign_id)


@dataclass
class IngestReport:
    recorded: int = 0
    duplicates: int = 0
    counted: int = 0
    not_in_agreement: int = 0
    displaced: int = 0
    qualified: int = 0
    outcomes: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _Score:
    """The scoring columns of one lead, read and written without the ORM."""

    id: int
    stage: str
    fit: float
    engagement: float
    engagement_at: int
    latest_at: int
    source: str | None
    changed: bool = False


def _chunks(items: Sequence[object], size: int = CHUNK) -> Iterable[Sequence[object]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def existing_event_ids(uow: UnitOfWork, ids: Sequence[str]) -> set[str]:
    return set(lookup(uow, EVENTS, "event_id", "event_id", ids))


def ingest(uow: UnitOfWork, clock: Clock, inforce: InForce, batch: Sequence[NewEvent]) -> IngestReport:
    """Store, count and score a batch of events; hand off the leads that qualify."""
    uow.session.flush()
    report = IngestReport()
    fresh: dict[str, NewEvent] = {}
    for e in batch:
        if e.fact.event_id in fresh:
            report.outcomes[e.fact.event_id] = "duplicate"
        else:
            fresh[e.fact.event_id] = e
    for event_id in existing_event_ids(uow, list(fresh)):
        del fresh[event_id]
        report.outcomes[event_id] = "duplicate"
    report.duplicates = len(batch) - len(fresh)
    agreement = inforce.agreement
    by_lead: dict[int, list[EventFact]] = defaultdict(list)
    for e in fresh.values():
        if e.fact.type in agreement.events:
            by_lead[e.lead_id].append(e.fact)
    uow.serialize_writes()
    scores = _load_scores(uow, sorted(by_lead))
    capped_types = frozenset(t for t, r in agreement.events.items() if r.once or r.max_per_day is not None)
    prior = _counted_capped(uow, list(by_lead), capped_types)
    counted_ids: set[str] = set()
    displaced_ids: list[str] = []
    ledger: list[tuple[int, int, str, str, float, int]] = []
    moments: dict[int, handoff.Entry | None] = {}  # leads whose stage may change, with where they go and when
    replay: list[int] = []  # leads whose history must be replayed once the batch is stored
    for lead_id, facts in by_lead.items():
        score = scores[lead_id]
        new_counted, displaced = _decide(inforce, sorted(facts), prior.get(lead_id, []), capped_types)
        if not new_counted and not displaced:
            continue
        counted_ids.update(f.event_id for f in new_counted)
        displaced_ids.extend(d.event_id for d in displaced)
        # An event of the same second as the last change weighs in a decision made at that second: one already
        # handed over is replayed; an inquiry is still decided in order, at that second, with everything in it.
        # an event that only displaces others (a stricter cap) changes the past: the lead is replayed
        late = bool(displaced) or (
            new_counted[0].at < score.latest_at
            or (new_counted[0].at == score.latest_at and score.stage in (Stage.MQL, Stage.SCREENING))
        )
        before = (score.engagement, score.engagement_at)
        rows = [(f.at, f.event_id, agreement.events[f.type].points) for f in new_counted]
        rows += [(d.at, d.event_id, -agreement.events[d.type].points) for d in displaced]
        for at, item, points in sorted(rows) if displaced else rows:
            score.engagement, score.engagement_at = advance(
                score.engagement, score.engagement_at, points, at, agreement.half_life_days
            )
            score.latest_at = max(score.latest_at, at)
            ledger.append((lead_id, at, "event", item, points, inforce.version))
        score.changed = True
        if late and score.stage in (Stage.INQUIRY, Stage.RECYCLED, Stage.MQL, Stage.SCREENING):
            replay.append(lead_id)
        elif score.stage in (Stage.INQUIRY, Stage.RECYCLED) and _may_qualify(inforce, score, new_counted):
            entry = _next_entry(inforce, score, before, new_counted, _cooldown(uow, score))
            if entry is not None:
                moments[lead_id] = entry
    _write(uow, fresh.values(), counted_ids, displaced_ids, ledger, scores.values())
    for lead_id in replay:
        lead = uow.session.get_one(Lead, lead_id)
        if handoff.can_requalify(uow, lead):
            moments[lead_id] = replayed_entry(uow, inforce, lead)
    leads, _accounts = _load_leads(uow, list(moments))
    roster = handoff.Roster(uow)
    with uow.session.no_autoflush:  # hand-offs only read what they do not write; one flush at the end
        for lead_id, entry in moments.items():
            lead = leads[lead_id]
            was = lead.stage
            handoff.settle(uow, clock, lead, entry, inforce, roster)
            report.qualified += was != Stage.MQL and lead.stage == Stage.MQL
    uow.session.flush()
    for e in fresh.values():
        in_agreement = e.fact.type in agreement.events
        report.outcomes[e.fact.event_id] = (
            "counted" if e.fact.event_id in counted_ids else ("not counted" if in_agreement else "not in agreement")
        )
        report.not_in_agreement += not in_agreement
    report.recorded = len(fresh)
    report.counted = len(counted_ids)
    report.displaced = len(displaced_ids)
    return report


def _write(
    uow: UnitOfWork,
    fresh: Iterable[NewEvent],
    counted_ids: set[str],
    displaced_ids: list[str],
    ledger: list[tuple[int, int, str, str, float, int]],
    scores: Iterable[_Score],
) -> None:
    insert_rows(
        uow,
        EVENTS,
        ("event_id", "lead_id", "type", "occurred_at", "campaign_id", "counted"),
        [
            (e.fact.event_id, e.lead_id, e.fact.type, e.fact.at, e.campaign_id, e.fact.event_id in counted_ids)
            for e in fresh
        ],
    )
    update_rows(uow, EVENTS, ("counted",), "event_id", [(False, event_id) for event_id in displaced_ids])
    insert_rows(uow, LEDGER, ("lead_id", "at", "kind", "item", "points", "version"), ledger)
    changed = [(s.engagement, s.engagement_at, s.latest_at, s.id) for s in scores if s.changed]
    update_rows(uow, LEADS, ("engagement", "engagement_at", "latest_at"), "id", changed)
    if changed:
        uow.session.expire_all()  # loaded leads must see the new scores


def _load_leads(uow: UnitOfWork, ids: Sequence[int]) -> tuple[dict[int, Lead], list[Account]]:
    """The leads by id, and their accounts, which routing reads, in a few queries.

    The session holds unchanged objects only weakly: the caller keeps the accounts for as long as it routes.
    """
    leads: dict[int, Lead] = {}
    for chunk in _chunks(ids):
        leads.update((lead.id, lead) for lead in uow.session.scalars(select(Lead).where(Lead.id.in_(chunk))))
    account_ids = sorted({lead.account_id for lead in leads.values() if lead.account_id is not None})
    accounts: list[Account] = []
    for chunk in _chunks(account_ids):
        accounts += uow.session.scalars(select(Account).where(Account.id.in_(chunk)))
    return leads, accounts


def _load_scores(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, _Score]:
    scores: dict[int, _Score] = {}
    columns = (Lead.id, Lead.stage, Lead.fit, Lead.engagement, Lead.engagement_at, Lead.latest_at, Lead.source)
    for chunk in _chunks(ids):
        # PostgreSQL: the leads stay locked until this transaction ends, so a concurrent batch for the same lead
        # waits and then reads these writes (ids in order: two batches never wait on each other)
        query = select(*columns).where(Lead.id.in_(chunk)).order_by(Lead.id).with_for_update()
        for row in uow.session.execute(query):
            scores[row[0]] = _Score(*row)
    return scores


def _counted_capped(uow: UnitOfWork, lead_ids: Sequence[int], types: frozenset[str]) -> dict[int, list[EventFact]]:
    """Counted events of capped types (``once``, ``max_per_day``) recorded for these leads themselves.

    Events a merge brought from another record keep their own caps: a new event never competes with them.
    """
    out: dict[int, list[EventFact]] = defaultdict(list)
    if not types:
        return out
    for chunk in _chunks(lead_ids):
        rows = uow.session.execute(
            select(Event.lead_id, Event.occurred_at, Event.event_id, Event.type).where(
                Event.lead_id.in_(chunk),
                Event.recorded_for.is_(None),
                Event.counted.is_(True),
                Event.type.in_(sorted(types)),
            )
        )
        for lead_id, at, event_id, kind in rows:
            out[lead_id].append(EventFact(at, event_id, kind))
    return out


def _decide(
    inforce: InForce, new: Sequence[EventFact], prior: Sequence[EventFact], capped_types: frozenset[str]
) -> tuple[list[EventFact], list[EventFact]]:
    """Which new events count, and which counted ones they displace, under the canonical order rule."""
    agreement = inforce.agreement
    if not any(f.type in capped_types for f in new):
        return list(new), []
    counted: list[EventFact] = []
    displaced: list[EventFact] = []
    capped: dict[str, list[EventFact]] = defaultdict(list)
    for f in new:
        rule = agreement.events[f.type]
        if rule.once or rule.max_per_day is not None:
            capped[f.type].append(f)
        else:
            counted.append(f)
    for kind, facts in capped.items():
        before = [p for p in prior if p.type == kind]
        keep = {f.event_id for f in counted_events(agreement, [*before, *facts])}
        counted.extend(f for f in facts if f.event_id in keep)
        displaced.extend(p for p in before if p.event_id not in keep)
    return sorted(counted), displaced


def _may_qualify(inforce: InForce, score: _Score, new_counted: Sequence[EventFact]) -> bool:
    """A cheap bound: can any of these events bring the lead to the rule? Most of a large import cannot."""
    agreement = inforce.agreement
    rule = agreement.qualified
    grade = agreement.grade_for(score.fit)
    if grade in rule.immediate_grades and any(agreement.events[f.type].immediate for f in new_counted):
        return True
    gains = sum(max(agreement.events[f.type].points, 0.0) for f in new_counted)
    highest = score.fit + max(score.engagement, 0.0) + gains
    if screens_now(agreement, highest, grade, score.source):
        return True
    return grade in rule.grades and highest >= rule.score_at_least


def _cooldown(uow: UnitOfWork, score: _Score) -> int | None:
    if score.stage != Stage.RECYCLED:
        return None
    return uow.session.scalar(select(Lead.cooldown_until).where(Lead.id == score.id))


def _cycle(lead: Lead) -> Cycle:
    taken = lead.stage in (Stage.MQL, Stage.SCREENING) and lead.qualified_from == Stage.RECYCLED
    recycled = lead.stage == Stage.RECYCLED or taken
    return Cycle(cooldown_until=lead.cooldown_until if recycled else None)


def _next_entry(
    inforce: InForce,
    score: _Score,
    before: tuple[float, int],
    new_counted: Sequence[EventFact],
    cooldown_until: int | None,
) -> handoff.Entry | None:
    """In-order events: check the rule at each new event moment, from the stored state, in O(1) each."""
    agreement = inforce.agreement
    value, anchor = before
    for at, items in by_moment(new_counted, lambda f: f.at):
        for f in items:
            value, anchor = advance(value, anchor, agreement.events[f.type].points, at, agreement.half_life_days)
        if cooldown_until is not None and at < cooldown_until:
            continue
        immediate = any(agreement.events[f.type].immediate for f in items)
        stage = entry_now(agreement, score.fit, score.fit + value, immediate, score.source)
        if stage is not None:
            return at, stage
    return None


def replayed_entry(uow: UnitOfWork, inforce: InForce, lead: Lead) -> handoff.Entry | None:
    """Replay the lead's stored history: the first moment the agreement takes it in its current cycle, and where."""
    uow.session.flush()
    counted = sorted(
        EventFact(at, event_id, kind)
        for at, event_id, kind in uow.session.execute(
            select(Event.occurred_at, Event.event_id, Event.type).where(
                Event.lead_id == lead.id, Event.counted.is_(True)
            )
        )
    )
    fit_changes = [
        (int(at), float(points))
        for at, points in uow.session.execute(
            select(LedgerEntry.at, LedgerEntry.points).where(LedgerEntry.lead_id == lead.id, LedgerEntry.kind == "fit")
        )
    ]
    return entry_moment(inforce.agreement, fit_changes, counted, _cycle(lead), lead.source)
