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
from itertools import compress
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from leadpact.domain.agreement import Agreement
from leadpact.domain.lifecycle import Stage
from leadpact.domain.scoring import (
    DAY_SECONDS,
    LN2,
    Cycle,
    EventFact,
    advance,
    by_moment,
    counted_events,
    entry_moment,
    entry_now,
    local_day_numbers,
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


class EventColumns(NamedTuple):
    """Events as columns, in lead order, then time, then event id, each event id once: an import's events."""

    event_ids: Sequence[str]
    lead_ids: Sequence[int]
    types: Sequence[str]
    ats: Sequence[int]
    campaign_ids: Sequence[int | None]

    def taking(self, keep: Iterable[bool]) -> EventColumns:
        """The events ``keep`` flags, one flag per event."""
        flags = list(keep)
        return EventColumns(
            list(compress(self.event_ids, flags)),
            list(compress(self.lead_ids, flags)),
            list(compress(self.types, flags)),
            list(compress(self.ats, flags)),
            list(compress(self.campaign_ids, flags)),
        )

    def part(self, start: int, end: int) -> EventColumns:
        """The events from place ``start`` to before ``end``."""
        return EventColumns(
            self.event_ids[start:end],
            self.lead_ids[start:end],
            self.types[start:end],
            self.ats[start:end],
            self.campaign_ids[start:end],
        )

    def new_events(self) -> list[NewEvent]:
        return [
            NewEvent(EventFact(at, event_id, kind), lead_id, campaign_id)
            for event_id, lead_id, kind, at, campaign_id in zip(*self, strict=True)
        ]


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
    points = {kind: rule.points for kind, rule in agreement.events.items()}
    half_life, version = agreement.half_life_days, inforce.version
    for lead_id, facts in by_lead.items():
        score = scores[lead_id]
        facts.sort()
        new_counted, displaced = _decide(inforce, facts, prior.get(lead_id, ()), capped_types)
        if not new_counted and not displaced:
            continue
        counted_ids.update(f.event_id for f in new_counted)
        # An event of the same second as the last change weighs in a decision made at that second: one already
        # handed over is replayed; an inquiry is still decided in order, at that second, with everything in it.
        # an event that only displaces others (a stricter cap) changes the past: the lead is replayed
        late = bool(displaced) or (
            new_counted[0].at < score.latest_at
            or (new_counted[0].at == score.latest_at and score.stage in (Stage.MQL, Stage.SCREENING))
        )
        before = (score.engagement, score.engagement_at)
        rows = [(f.at, f.event_id, points[f.type]) for f in new_counted]
        if displaced:
            displaced_ids.extend(d.event_id for d in displaced)
            rows = sorted(rows + [(d.at, d.event_id, -points[d.type]) for d in displaced])
        value, anchor = before
        for at, item, earned in rows:  # in time order
            value, anchor = advance(value, anchor, earned, at, half_life)
            ledger.append((lead_id, at, "event", item, earned, version))
        score.engagement, score.engagement_at = value, anchor
        score.latest_at = max(score.latest_at, rows[-1][0])
        score.changed = True
        if late and score.stage in (Stage.INQUIRY, Stage.RECYCLED, Stage.MQL, Stage.SCREENING):
            replay.append(lead_id)
        elif score.stage in (Stage.INQUIRY, Stage.RECYCLED) and _may_qualify(inforce, score, before[0], new_counted):
            entry = _next_entry(inforce, score, before, new_counted, _cooldown(uow, score))
            if entry is not None:
                moments[lead_id] = entry
    stored = [
        (e.fact.event_id, e.lead_id, e.fact.type, e.fact.at, e.campaign_id, e.fact.event_id in counted_ids)
        for e in fresh.values()
    ]
    _write(uow, stored, displaced_ids, ledger, scores.values())
    for lead_id in replay:
        lead = uow.session.get_one(Lead, lead_id)
        if handoff.can_requalify(uow, lead):
            moments[lead_id] = replayed_entry(uow, inforce, lead)
    report.qualified = _settle(uow, clock, inforce, moments)
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


class _StoredAlready(Exception):
    """An event taken as new is stored already: nothing of the batch was written."""


def ingest_in_order(
    uow: UnitOfWork, clock: Clock, inforce: InForce, events: EventColumns, taken_as_new: bool = False
) -> IngestReport:
    """``ingest`` for events in lead and time order (an import's), with the same outcome: each lead's events are
    counted, written to the ledger and scored a column at a time rather than an event at a time. The leads whose
    new events could change what was decided before (an event before their latest, counted capped events already
    stored) are left to ``ingest``. No outcome per event is reported.

    ``taken_as_new``: the event ids are not looked up first; the events are inserted in a savepoint, and when one is
    stored already (the insert fails on the unique event id), the savepoint is rolled back and the batch ingested
    again, looked up. Worth it when most batches are new, as a new file's are."""
    if taken_as_new:
        try:
            return _ingest_in_order(uow, clock, inforce, events, looked_up=False)
        except _StoredAlready:
            pass
    return _ingest_in_order(uow, clock, inforce, events, looked_up=True)


def _ingest_in_order(
    uow: UnitOfWork, clock: Clock, inforce: InForce, events: EventColumns, looked_up: bool
) -> IngestReport:
    uow.session.flush()
    stored = existing_event_ids(uow, events.event_ids) if looked_up else set()
    if stored:
        events = events.taking(event_id not in stored for event_id in events.event_ids)
    agreement = inforce.agreement
    kinds = sorted(agreement.events)
    codes = {kind: i for i, kind in enumerate(kinds)}
    code = np.fromiter((codes.get(kind, -1) for kind in events.types), dtype=np.int64, count=len(events.types))
    lead = np.array(events.lead_ids, dtype=np.int64)
    uow.serialize_writes()
    lead_ids = np.unique(lead[code >= 0]).tolist()
    scores = _load_scores(uow, lead_ids)
    capped_types = frozenset(t for t, r in agreement.events.items() if r.once or r.max_per_day is not None)
    counted = _counted_in_order(agreement, kinds, lead, code, np.array(events.ats, dtype=np.int64))
    later = set(_counted_capped(uow, lead_ids, capped_types)) | _late_leads(events, counted, scores)
    if later:
        apart = np.isin(lead, sorted(later))
        left, events = events.taking(apart.tolist()), events.taking((~apart).tolist())
        code, counted = code[~apart], counted[~apart]
    report = IngestReport(
        recorded=len(events.event_ids),
        duplicates=len(stored),
        counted=int(counted.sum()),
        not_in_agreement=int((code < 0).sum()),
    )
    moments, counted_ids = _score_in_order(uow, inforce, events, code, counted, scores)
    rows = list(zip(*events, counted.tolist(), strict=True))
    _write_in_order(uow, inforce, rows, counted_ids, scores.values(), looked_up)
    report.qualified = _settle(uow, clock, inforce, moments)
    if later:
        rest = ingest(uow, clock, inforce, left.new_events())
        report.recorded += rest.recorded
        report.duplicates += rest.duplicates
        report.counted += rest.counted
        report.not_in_agreement += rest.not_in_agreement
        report.displaced += rest.displaced
        report.qualified += rest.qualified
    return report


def _counted_in_order(
    agreement: Agreement, kinds: Sequence[str], lead: NDArray[np.int64], code: NDArray[np.int64], at: NDArray[np.int64]
) -> NDArray[np.bool_]:
    """Which of these events count, for events in lead and time order with no counted capped event stored before
    them: the canonical rule (``scoring.counted_events``) for every lead at once. ``code`` is each event's type's
    place in ``kinds`` (-1: a type the agreement does not count)."""
    rules = [agreement.events[kind] for kind in kinds]
    counted = code >= 0
    once = np.array([rule.once for rule in rules] + [False])[code]
    if once.any():
        counted &= ~once | (_places(lead, code) == 0)
    cap = np.array([-1 if rule.max_per_day is None else rule.max_per_day for rule in rules] + [-1])[code]
    capped = cap >= 0
    if capped.any():
        day = np.zeros_like(at)
        day[capped] = local_day_numbers(agreement, at[capped])
        counted &= ~capped | (_places(lead, code, day) < cap)
    return counted


def _places(*keys: NDArray[np.int64]) -> NDArray[np.int64]:
    """Each row's place among the rows with the same keys, in row order (0: the first)."""
    size = len(keys[0])
    order = np.lexsort((np.arange(size), *reversed(keys)))
    starts_group = np.zeros(size, dtype=bool)
    starts_group[:1] = True
    for key in keys:
        ordered = key[order]
        starts_group[1:] |= ordered[1:] != ordered[:-1]
    starts = np.flatnonzero(starts_group)
    places = np.empty(size, dtype=np.int64)
    places[order] = np.arange(size) - starts[np.cumsum(starts_group) - 1]
    return places


def _late_leads(events: EventColumns, counted: NDArray[np.bool_], scores: dict[int, _Score]) -> set[int]:
    """The leads whose first counted event is late: before their latest event, or at its second once the agreement
    has taken them (the order rule of ``ingest``)."""
    late: set[int] = set()
    seen: set[int] = set()
    flags = counted.tolist()
    for lead_id, at in zip(compress(events.lead_ids, flags), compress(events.ats, flags), strict=True):
        if lead_id in seen:
            continue
        seen.add(lead_id)
        score = scores[lead_id]
        if at < score.latest_at or (at == score.latest_at and score.stage in (Stage.MQL, Stage.SCREENING)):
            late.add(lead_id)
    return late


def _score_in_order(
    uow: UnitOfWork,
    inforce: InForce,
    events: EventColumns,
    code: NDArray[np.int64],
    counted: NDArray[np.bool_],
    scores: dict[int, _Score],
) -> tuple[dict[int, handoff.Entry | None], list[str]]:
    """Score each lead's counted events, all later than what it holds: its engagement (the decayed sum, as
    ``advance`` gives it event by event), and for those within reach of the rule, where it goes and when; and the
    event ids of the counted events, in order."""
    agreement = inforce.agreement
    kinds = sorted(agreement.events)
    taken = np.flatnonzero(counted)
    lead = np.array(events.lead_ids, dtype=np.int64)[taken]
    at = np.array(events.ats, dtype=np.int64)[taken]
    points = np.array([agreement.events[kind].points for kind in kinds] + [0.0])[code[taken]]
    immediate = np.array([agreement.events[kind].immediate for kind in kinds] + [False])[code[taken]]
    if not len(taken):
        return {}, []
    starts = np.flatnonzero(np.concatenate(([True], lead[1:] != lead[:-1])))
    ends = np.append(starts[1:], len(taken))
    owners = lead[starts].tolist()
    value = np.array([scores[lead_id].engagement for lead_id in owners])
    anchor = np.array([scores[lead_id].engagement_at for lead_id in owners], dtype=np.int64)
    until = np.maximum(anchor, at[ends - 1])
    half_life = agreement.half_life_days
    if half_life is None:
        engaged = value + np.add.reduceat(points, starts)
    else:
        rate = -LN2 / (half_life * DAY_SECONDS)
        earned = points * np.exp(rate * (np.repeat(until, ends - starts) - at))
        engaged = value * np.exp(rate * (until - anchor)) + np.add.reduceat(earned, starts)
    gains = np.add.reduceat(np.maximum(points, 0.0), starts).tolist()
    urgent = np.logical_or.reduceat(immediate, starts).tolist()
    ids = list(compress(events.event_ids, counted.tolist()))
    types = list(compress(events.types, counted.tolist()))
    moments: dict[int, handoff.Entry | None] = {}
    for k, (lead_id, engagement, anchored, latest) in enumerate(
        zip(owners, engaged.tolist(), until.tolist(), at[ends - 1].tolist(), strict=True)
    ):
        score = scores[lead_id]
        before = (score.engagement, score.engagement_at)
        score.engagement, score.engagement_at = engagement, anchored
        score.latest_at = max(score.latest_at, latest)
        score.changed = True
        if score.stage not in (Stage.INQUIRY, Stage.RECYCLED):
            continue
        if _within_reach(inforce, score, before[0], gains[k], urgent[k]):
            first, last = int(starts[k]), int(ends[k])
            new = [EventFact(int(at[i]), ids[i], types[i]) for i in range(first, last)]
            entry = _next_entry(inforce, score, before, new, _cooldown(uow, score))
            if entry is not None:
                moments[lead_id] = entry
    return moments, ids


def _settle(uow: UnitOfWork, clock: Clock, inforce: InForce, moments: dict[int, handoff.Entry | None]) -> int:
    """Make each lead's stage agree with where the agreement takes it and when; how many became MQLs."""
    leads, _accounts = _load_leads(uow, list(moments))
    roster = handoff.Roster(uow)
    with uow.session.no_autoflush:  # hand-offs only read what they do not write; one flush at the end
        was = {lead_id: leads[lead_id].stage for lead_id in moments}
        handoff.settle_all(uow, clock, [(leads[lead_id], entry) for lead_id, entry in moments.items()], inforce, roster)
    uow.session.flush()
    return sum(stage != Stage.MQL and leads[lead_id].stage == Stage.MQL for lead_id, stage in was.items())


def _write(
    uow: UnitOfWork,
    events: Sequence[tuple[str, int, str, int, int | None, bool]],
    displaced_ids: list[str],
    ledger: Sequence[tuple[int, int, str, str, float, int]],
    scores: Iterable[_Score],
) -> None:
    """Store the events (event id, lead, type, time, campaign, counted), uncount the displaced ones, append the
    ledger rows and keep the scores that changed."""
    insert_rows(uow, EVENTS, ("event_id", "lead_id", "type", "occurred_at", "campaign_id", "counted"), events)
    update_rows(uow, EVENTS, ("counted",), "event_id", [(False, event_id) for event_id in displaced_ids])
    insert_rows(uow, LEDGER, ("lead_id", "at", "kind", "item", "points", "version"), ledger)
    changed = [(s.engagement, s.engagement_at, s.latest_at, s.id) for s in scores if s.changed]
    update_rows(uow, LEADS, ("engagement", "engagement_at", "latest_at"), "id", changed)
    if changed:
        uow.session.expire_all()  # loaded leads must see the new scores


def _write_in_order(
    uow: UnitOfWork,
    inforce: InForce,
    events: Sequence[tuple[str, int, str, int, int | None, bool]],
    counted_ids: Sequence[str],
    scores: Iterable[_Score],
    looked_up: bool,
) -> None:
    """``_write`` for ``ingest_in_order``, which displaces nothing: the ledger rows, one per counted event with its
    type's points, are made from the stored events by one statement rather than sent one by one. Events not
    ``looked_up`` are inserted in a savepoint: ``_StoredAlready`` when one is stored, with nothing written."""
    connection = uow.session.connection()
    sqlite = uow.dialect == "sqlite"
    if sqlite:  # the write lock is held (``serialize_writes``): the events about to be stored come after the last
        last = connection.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {EVENTS}").scalar_one()
    columns = ("event_id", "lead_id", "type", "occurred_at", "campaign_id", "counted")
    if looked_up:
        insert_rows(uow, EVENTS, columns, events)
    else:
        connection.exec_driver_sql("SAVEPOINT events_taken_as_new")
        try:
            insert_rows(uow, EVENTS, columns, events)
        except IntegrityError as error:  # the rows before the stored one were inserted: undone
            connection.exec_driver_sql("ROLLBACK TO SAVEPOINT events_taken_as_new")
            connection.exec_driver_sql("RELEASE SAVEPOINT events_taken_as_new")
            raise _StoredAlready from error
        connection.exec_driver_sql("RELEASE SAVEPOINT events_taken_as_new")
    if counted_ids:
        mark = "?" if sqlite else "%s"
        rules = sorted(inforce.agreement.events.items())
        cases = " ".join(f"WHEN {mark} THEN {mark}" for _ in rules)
        points = [value for kind, rule in rules for value in (kind, float(rule.points))]
        where, of = ("id > ? AND counted", last) if sqlite else ("event_id = ANY(%s)", list(counted_ids))
        connection.exec_driver_sql(
            f"INSERT INTO {LEDGER} (lead_id, at, kind, item, points, version) "
            f"SELECT lead_id, occurred_at, {mark}, event_id, CASE type {cases} END, {mark} FROM {EVENTS} "
            f"WHERE {where} ORDER BY id",
            ("event", *points, inforce.version, of),
        )
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
    """Which new events (in occurrence order) count, and which counted ones they displace, under the canonical
    order rule; the events that count are returned in occurrence order."""
    counted: list[EventFact] = []
    capped: dict[str, list[EventFact]] = {}
    for f in new:
        if f.type in capped_types:
            capped.setdefault(f.type, []).append(f)
        else:
            counted.append(f)
    if not capped:
        return counted, []
    displaced: list[EventFact] = []
    for kind, facts in capped.items():
        before = [p for p in prior if p.type == kind]
        if not before:
            counted += counted_events(inforce.agreement, facts)
            continue
        keep = {f.event_id for f in counted_events(inforce.agreement, [*before, *facts])}
        counted.extend(f for f in facts if f.event_id in keep)
        displaced.extend(p for p in before if p.event_id not in keep)
    counted.sort()
    return counted, displaced


def _may_qualify(inforce: InForce, score: _Score, engaged: float, new_counted: Sequence[EventFact]) -> bool:
    """A cheap bound: can any of these events, earned by a lead whose engagement was ``engaged`` before them, bring
    it to the rule? Most of a large import cannot."""
    rules = inforce.agreement.events
    immediate = any(rules[f.type].immediate for f in new_counted)
    gains = sum(max(rules[f.type].points, 0.0) for f in new_counted)
    return _within_reach(inforce, score, engaged, gains, immediate)


def _within_reach(inforce: InForce, score: _Score, engaged: float, gains: float, immediate: bool) -> bool:
    """``_may_qualify`` from what the new events bring: the sum of their gains, and whether any is immediate. No
    moment among them has more engagement than the positive part of ``engaged`` (decay only brings it closer to
    0) and every gain: a later loss in the same batch must not hide a moment the rule was met."""
    agreement = inforce.agreement
    rule = agreement.qualified
    grade = agreement.grade_for(score.fit)
    if grade in rule.immediate_grades and immediate:
        return True
    highest = score.fit + max(engaged, 0.0) + gains
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
