"""Recording events: stored once, counted by the agreement, written to the ledger, scored in O(1).

Events are taken in batches (one event is a batch of one), grouped by lead. Whether an event counts is
decided in occurrence order against the events already counted for that lead, so an event that arrives
late may take the place of one counted before it: the displaced event gets a reversing ledger row. The
lead's engagement is kept as a value at an anchor moment and updated in O(1) per ledger row, in or out of
order. Qualification is checked at each new event; when events arrive late, the lead's whole history is
replayed instead, so the moment it qualified never depends on arrival order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update

from leadpact.domain.lifecycle import Stage
from leadpact.domain.scoring import (
    Cycle,
    EventFact,
    advance,
    by_moment,
    counted_events,
    qualification_moment,
    qualifies_now,
)
from leadpact.services import handoff
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.tables import Event, Lead, LedgerEntry
from leadpact.store.unit_of_work import UnitOfWork

CHUNK = 500


@dataclass(frozen=True)
class NewEvent:
    event_id: str
    lead_id: int
    type: str
    at: int
    campaign_id: int | None = None

    @property
    def fact(self) -> EventFact:
        return EventFact(self.at, self.event_id, self.type)


@dataclass
class IngestReport:
    recorded: int = 0
    duplicates: int = 0
    counted: int = 0
    not_in_agreement: int = 0
    displaced: int = 0
    qualified: int = 0
    outcomes: dict[str, str] = field(default_factory=dict)


def _chunks(items: Sequence[object], size: int = CHUNK) -> Iterable[Sequence[object]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def existing_event_ids(uow: UnitOfWork, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(ids):
        found.update(uow.session.scalars(select(Event.event_id).where(Event.event_id.in_(chunk))))
    return found


def ingest(uow: UnitOfWork, clock: Clock, inforce: InForce, batch: Sequence[NewEvent]) -> IngestReport:
    """Store, count and score a batch of events; hand off the leads that qualify."""
    report = IngestReport()
    fresh: dict[str, NewEvent] = {}
    for e in batch:
        if e.event_id in fresh:
            report.outcomes[e.event_id] = "duplicate"
        else:
            fresh[e.event_id] = e
    for event_id in existing_event_ids(uow, list(fresh)):
        del fresh[event_id]
        report.outcomes[event_id] = "duplicate"
    report.duplicates = len(batch) - len(fresh)
    agreement = inforce.agreement
    by_lead: dict[int, list[NewEvent]] = defaultdict(list)
    for e in fresh.values():
        by_lead[e.lead_id].append(e)
    leads = _load_leads(uow, list(by_lead))
    capped = [t for t, rule in agreement.events.items() if rule.once or rule.max_per_day is not None]
    prior = _counted_capped(uow, list(by_lead), capped)
    counted_ids: set[str] = set()
    displaced_ids: list[str] = []
    ledger: list[dict[str, object]] = []
    for lead_id, events in by_lead.items():
        lead = leads[lead_id]
        known = sorted((e for e in events if e.type in agreement.events), key=lambda e: e.fact)
        new_counted, displaced = _decide(inforce, known, prior.get(lead_id, []))
        counted_ids.update(e.event_id for e in new_counted)
        displaced_ids.extend(d.event_id for d in displaced)
        late = bool(displaced) or any(e.at < lead.latest_at for e in new_counted)
        before = (lead.engagement, lead.engagement_at)
        rows = [(e.at, e.event_id, agreement.events[e.type].points) for e in new_counted]
        rows += [(d.at, d.event_id, -agreement.events[d.type].points) for d in displaced]
        for at, item, points in sorted(rows):
            lead.engagement, lead.engagement_at = advance(
                lead.engagement, lead.engagement_at, points, at, agreement.half_life_days
            )
            lead.latest_at = max(lead.latest_at, at)
            ledger.append(
                {
                    "lead_id": lead_id,
                    "at": at,
                    "kind": "event",
                    "item": item,
                    "points": points,
                    "version": inforce.version,
                }
            )
        if not new_counted or not handoff.can_requalify(uow, lead):
            continue
        if late:
            moment = replayed_moment(uow, inforce, lead, new_counted, {d.event_id for d in displaced})
        elif lead.stage == Stage.MQL:
            continue  # events after the qualifying moment cannot move it
        else:
            moment = _next_moment(inforce, lead, before, new_counted)
        was = lead.stage
        handoff.settle(uow, clock, lead, moment, inforce)
        report.qualified += was != Stage.MQL and lead.stage == Stage.MQL
    if fresh:
        uow.session.execute(
            insert(Event),
            [
                {
                    "event_id": e.event_id,
                    "lead_id": e.lead_id,
                    "type": e.type,
                    "occurred_at": e.at,
                    "campaign_id": e.campaign_id,
                    "counted": e.event_id in counted_ids,
                }
                for e in fresh.values()
            ],
        )
    for chunk in _chunks(displaced_ids):
        uow.session.execute(update(Event).where(Event.event_id.in_(chunk)).values(counted=False))
    if ledger:
        uow.session.execute(insert(LedgerEntry), ledger)
    for e in fresh.values():
        in_agreement = e.type in agreement.events
        report.outcomes[e.event_id] = (
            "counted" if e.event_id in counted_ids else ("not counted" if in_agreement else "not in agreement")
        )
        report.not_in_agreement += not in_agreement
    report.recorded = len(fresh)
    report.counted = len(counted_ids)
    report.displaced = len(displaced_ids)
    return report


def _load_leads(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, Lead]:
    leads: dict[int, Lead] = {}
    for chunk in _chunks(ids):
        for lead in uow.session.scalars(select(Lead).where(Lead.id.in_(chunk))):
            leads[lead.id] = lead
    return leads


def _counted_capped(uow: UnitOfWork, lead_ids: Sequence[int], types: list[str]) -> dict[int, list[EventFact]]:
    """Counted events of capped types (``once``, ``max_per_day``) already stored for these leads."""
    out: dict[int, list[EventFact]] = defaultdict(list)
    if not types:
        return out
    for chunk in _chunks(lead_ids):
        rows = uow.session.execute(
            select(Event.lead_id, Event.occurred_at, Event.event_id, Event.type).where(
                Event.lead_id.in_(chunk), Event.counted.is_(True), Event.type.in_(types)
            )
        )
        for lead_id, at, event_id, kind in rows:
            out[lead_id].append(EventFact(at, event_id, kind))
    return out


def _decide(
    inforce: InForce, new: Sequence[NewEvent], prior: Sequence[EventFact]
) -> tuple[list[NewEvent], list[EventFact]]:
    """Which new events count, and which counted ones they displace, under the canonical order rule."""
    agreement = inforce.agreement
    counted: list[NewEvent] = []
    displaced: list[EventFact] = []
    by_type: dict[str, list[NewEvent]] = defaultdict(list)
    for e in new:
        by_type[e.type].append(e)
    for kind, events in by_type.items():
        rule = agreement.events[kind]
        if not (rule.once or rule.max_per_day is not None):
            counted.extend(events)
            continue
        before = [p for p in prior if p.type == kind]
        keep = {f.event_id for f in counted_events(agreement, [*before, *(e.fact for e in events)])}
        counted.extend(e for e in events if e.event_id in keep)
        displaced.extend(p for p in before if p.event_id not in keep)
    return sorted(counted, key=lambda e: e.fact), displaced


def _cycle(lead: Lead) -> Cycle:
    recycled = lead.stage == Stage.RECYCLED or (lead.stage == Stage.MQL and lead.qualified_from == Stage.RECYCLED)
    return Cycle(cooldown_until=lead.cooldown_until if recycled else None)


def _next_moment(
    inforce: InForce, lead: Lead, before: tuple[float, int], new_counted: Sequence[NewEvent]
) -> int | None:
    """In-order events: check the rule at each new event moment, from the stored state, in O(1) each."""
    agreement = inforce.agreement
    cycle = _cycle(lead)
    value, anchor = before
    for at, items in by_moment(new_counted, lambda e: e.at):
        for e in items:
            value, anchor = advance(value, anchor, agreement.events[e.type].points, at, agreement.half_life_days)
        if cycle.cooldown_until is not None and at < cycle.cooldown_until:
            continue
        immediate = any(agreement.events[e.type].immediate for e in items)
        if qualifies_now(agreement, lead.fit, lead.fit + value, immediate):
            return at
    return None


def replayed_moment(
    uow: UnitOfWork, inforce: InForce, lead: Lead, new_counted: Sequence[NewEvent], displaced: set[str]
) -> int | None:
    """Late events: replay the lead's whole history to find the first qualifying moment."""
    uow.session.flush()
    stored = uow.session.execute(
        select(Event.occurred_at, Event.event_id, Event.type).where(Event.lead_id == lead.id, Event.counted.is_(True))
    ).tuples()
    counted = sorted(
        {EventFact(at, event_id, kind) for at, event_id, kind in stored if event_id not in displaced}
        | {e.fact for e in new_counted}
    )
    fit_changes = list(
        uow.session.execute(
            select(LedgerEntry.at, LedgerEntry.points).where(LedgerEntry.lead_id == lead.id, LedgerEntry.kind == "fit")
        ).tuples()
    )
    return qualification_moment(inforce.agreement, [(int(a), float(p)) for a, p in fit_changes], counted, _cycle(lead))
