"""A rep's queue: the leads with them, hottest first, then by the SLA time that runs out first, each with the
reasons for its score and its SLA clock.

A rep may hold thousands of open leads, so the queue is read a page at a time. The order is taken from each lead's
stored score (fit plus its engagement decayed to one moment) and its assignment's clock, a few numbers a lead;
only the leads of the page are read in full. Scores decay as time passes, so the order is taken as of one moment
and the pages after the first keep that moment: a lead keeps its place while paging unless something that orders
it changes (an event, an accept). Leads handed to the rep after that moment arrive apart (``arrivals``), shown at
the top of the page rather than among the pages already read.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, DateTime, and_, case, func, select, type_coerce

from leadpact.domain.agreement import Agreement
from leadpact.domain.errors import InvalidInput
from leadpact.domain.scoring import decay, engagement_at, ledger_totals, to_seconds
from leadpact.domain.wording import title_of
from leadpact.services.agreements import InForce
from leadpact.services.explain import sla_state
from leadpact.store.tables import Assignment, Event, Lead, LedgerEntry, User, UTCDateTime
from leadpact.store.unit_of_work import UnitOfWork

PAGE = 25
"""Leads on a page of the queue."""
CHUNK = 500
"""Leads read in full per query when the whole queue is asked for (``IN`` lists stay short)."""
FAR = datetime.max
"""The due time of a lead whose clocks have both stopped: after every running one."""
EPOCH, MICROSECOND = datetime(1970, 1, 1), datetime.resolution

_running = case(
    (Assignment.accepted_at.is_(None), Assignment.accept_due),
    (Assignment.contacted_at.is_(None), Assignment.contact_due),
    else_=None,
)
_due: ColumnElement[datetime] = type_coerce(_running, UTCDateTime)
"""When the assignment's running SLA clock runs out: accept first, then first contact; none once both are done."""
_due_utc: ColumnElement[datetime] = type_coerce(_running, DateTime())
"""The same, read as the naive UTC the store holds: the order compares thousands of them, and making each one
aware would cost more than the rest of reading it."""


@dataclass
class QueueItem:
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
    due: datetime | None
    sla: str


Place = tuple[int, datetime, float, int]
"""A lead's place in the queue's order: its priority band (the band's index, hottest first), the SLA time that runs
out first (naive UTC; ``FAR`` when none runs), its score negated (the higher first), and its id to break ties."""


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after ``place``, in the order taken as of ``at``. Written in links as ``token``."""

    at: datetime
    place: Place

    @property
    def token(self) -> str:
        band, due, neg_score, lead_id = self.place
        at = _micros(self.at.astimezone(UTC).replace(tzinfo=None))
        return "~".join((str(at), str(band), "" if due == FAR else str(_micros(due)), repr(neg_score), str(lead_id)))

    @classmethod
    def parse(cls, token: str) -> Cursor:
        try:
            at, band, due, score, lead_id = token.split("~")
            place = (int(band), _moment(int(due)) if due else FAR, float(score), int(lead_id))
            return cls(_moment(int(at)).replace(tzinfo=UTC), place)
        except (ValueError, OverflowError) as exc:
            raise InvalidInput(
                f"'{token}' is not a place in the queue; open the queue from its first page", "after"
            ) from exc


@dataclass
class QueuePage:
    items: list[QueueItem]
    at: datetime  # the moment the order was taken: the scores are as of then
    total: int  # the rep's open leads in that order
    first: int  # the place of the page's first lead in it, from 1
    next: Cursor | None  # where the next page starts; None on the last page
    size: int  # leads a page holds


@dataclass(frozen=True)
class Lapse:
    """A lead whose SLA clock ran out: what the rep owed, and since when."""

    lead_id: int
    email: str
    name: str
    what: str  # "accept" or "first contact"
    due: datetime


@dataclass(frozen=True)
class Waiting:
    """The leads the rep has not accepted yet, and how many of them are past the time to accept."""

    count: int
    overdue: int


def queue(uow: UnitOfWork, inforce: InForce, rep: User, now: datetime) -> list[QueueItem]:
    """The rep's whole queue as of ``now``, in order (the API and the CLI list it all)."""
    places = sorted(_places(uow, inforce.agreement, rep, now, Assignment.assigned_at <= now))
    return [
        item
        for start in range(0, len(places), CHUNK)
        for item in _items(uow, inforce, rep, places[start : start + CHUNK], now)
    ]


def page(
    uow: UnitOfWork, inforce: InForce, rep: User, now: datetime, after: Cursor | None = None, size: int = PAGE
) -> QueuePage:
    """``size`` leads of the rep's queue: the first ones as of ``now``, or those after a cursor, in the order taken
    as of the cursor's moment among the leads the rep held then."""
    at = after.at if after is not None else now
    places = _places(uow, inforce.agreement, rep, at, Assignment.assigned_at <= at)
    later = places if after is None else [p for p in places if p > after.place]
    shown = heapq.nsmallest(size, later)  # the page alone is sorted: a rep's thousands of leads need not be
    following = Cursor(at, shown[-1]) if len(later) > size else None
    start = len(places) - len(later)
    return QueuePage(_items(uow, inforce, rep, shown, now), at, len(places), start + 1, following, size)


def arrivals(uow: UnitOfWork, inforce: InForce, rep: User, since: datetime, now: datetime) -> list[QueueItem]:
    """The open leads handed to the rep after ``since``, in the queue's order as of ``now``."""
    handed = and_(Assignment.assigned_at > since, Assignment.assigned_at <= now)
    return _items(uow, inforce, rep, sorted(_places(uow, inforce.agreement, rep, now, handed)), now)


def item(uow: UnitOfWork, inforce: InForce, rep: User, lead_id: int, now: datetime) -> QueueItem | None:
    """One lead of the rep's queue as of ``now``, as its row shows it; None once the lead has left the queue."""
    found = _items(uow, inforce, rep, _places(uow, inforce.agreement, rep, now, Lead.id == lead_id), now)
    return found[0] if found else None


def lapsed(uow: UnitOfWork, rep: User, since: datetime, now: datetime, most: int) -> tuple[list[Lapse], int]:
    """The rep's open leads whose SLA clock ran out after ``since`` and by ``now``: the ``most`` latest, and how
    many there are."""
    ran_out = and_(_open(rep), _due > since, _due <= now)
    rows = uow.session.execute(
        select(Lead.id, Lead.email, Lead.first_name, Lead.last_name, Assignment.accepted_at, _due)
        .join(Assignment, Assignment.lead_id == Lead.id)
        .where(ran_out)
        .order_by(_due.desc(), Lead.id)
        .limit(most)
    )
    lapses = [
        Lapse(lead_id, email, _name(first, last), "accept" if accepted is None else "first contact", due)
        for lead_id, email, first, last, accepted, due in rows
    ]
    if len(lapses) < most:
        return lapses, len(lapses)
    return lapses, int(uow.session.scalar(select(func.count()).select_from(Assignment).where(ran_out)) or 0)


def waiting(uow: UnitOfWork, rep: User, now: datetime) -> Waiting:
    """What the navigation counts for a rep on every page: one aggregate over the rep's open assignments."""
    count, overdue = uow.session.execute(
        select(func.count(), func.coalesce(func.sum(case((Assignment.accept_due <= now, 1), else_=0)), 0)).where(
            _open(rep), Assignment.accepted_at.is_(None)
        )
    ).one()
    return Waiting(int(count), int(overdue))


def _open(rep: User) -> ColumnElement[bool]:
    return and_(Assignment.user_id == rep.id, Assignment.ended_at.is_(None))


def _places(uow: UnitOfWork, agreement: Agreement, rep: User, at: datetime, which: ColumnElement[bool]) -> list[Place]:
    """The places of the rep's open leads that meet ``which``, in the order as of ``at`` (not sorted).

    Only the numbers the order needs are read; the score is the lead's stored fit plus its stored engagement
    decayed to ``at``, as the ledger gives it.
    """
    rows = uow.session.execute(
        select(Lead.id, Lead.fit, Lead.engagement, Lead.engagement_at, _due_utc)
        .join(Assignment, Assignment.lead_id == Lead.id)
        .where(_open(rep), which)
    )
    moment, half_life = to_seconds(at), agreement.half_life_days
    bounds = [b.score_at_least for b in agreement.priority]
    places: list[Place] = []
    for lead_id, fit, engagement, engaged_at, due in rows:  # thousands of rows: plain loops, no call per band
        score = fit + engagement_at(engagement, engaged_at, moment, half_life)
        band = 0
        for bound in bounds:
            if bound is None or score >= bound:
                break
            band += 1
        places.append((band, due or FAR, -score, lead_id))
    return places


def _items(uow: UnitOfWork, inforce: InForce, rep: User, places: Sequence[Place], now: datetime) -> list[QueueItem]:
    """The leads at ``places`` read in full, in that order: a few queries for all of them, none per lead.

    A lead that left the rep since its place was taken (sent back, converted) is left out.
    """
    if not places:
        return []
    agreement, ids = inforce.agreement, [lead_id for *_, lead_id in places]
    held = {
        lead.id: (lead, assignment)
        for lead, assignment in uow.session.execute(
            select(Lead, Assignment).join(Assignment, Assignment.lead_id == Lead.id).where(_open(rep), Lead.id.in_(ids))
        )
    }
    at = to_seconds(now)
    ledger: dict[int, list[tuple[str, str, int, float]]] = {}
    for lead_id, kind, item, moment, points in uow.session.execute(
        select(LedgerEntry.lead_id, LedgerEntry.kind, LedgerEntry.item, LedgerEntry.at, LedgerEntry.points)
        .where(LedgerEntry.lead_id.in_(ids), LedgerEntry.at <= at)
        .order_by(LedgerEntry.at, LedgerEntry.id)
    ):
        ledger.setdefault(lead_id, []).append((kind, item, moment, points))
    types = dict(uow.session.execute(select(Event.event_id, Event.type).where(Event.lead_id.in_(ids))).all())
    items = []
    for _, due, neg_score, lead_id in places:
        if lead_id not in held:
            continue
        lead, assignment = held[lead_id]
        score = -neg_score
        items.append(
            QueueItem(
                lead.id,
                lead.email,
                _name(lead.first_name, lead.last_name),
                lead.company,
                lead.stage,
                score,
                agreement.grade_for(lead.fit),
                agreement.band_for(score),
                lead.source,
                _reasons(agreement, ledger.get(lead.id, []), types, at),
                None if due == FAR else due.replace(tzinfo=UTC),
                sla_state(assignment, now),
            )
        )
    return items


def _reasons(
    agreement: Agreement, rows: Iterable[tuple[str, str, int, float]], types: dict[str, str], at: int
) -> list[str]:
    """Why the lead scores: its two strongest fit rules (as the agreement titles them), then its two events worth
    most now (as the lead page's explanation lists them)."""
    half_life = agreement.half_life_days
    rows = list(rows)
    fit = ledger_totals((item, points) for kind, item, _, points in rows if kind == "fit")
    events = ledger_totals((item, points) for kind, item, _, points in rows if kind != "fit")
    worth = dict.fromkeys(events, 0.0)  # in the order the events happened, as the explanation lists them
    for kind, item, moment, points in rows:
        if kind != "fit" and item in worth:
            worth[item] += decay(points, at - moment, half_life)
    strongest_fit = sorted(fit.items(), key=lambda f: -f[1])[:2]
    strongest_events = sorted(worth.items(), key=lambda e: -e[1])[:2]
    return [f"{title_of(agreement, rule)} {points:+g}" for rule, points in strongest_fit] + [
        f"{types.get(item, '?')} {value:+.1f}" for item, value in strongest_events
    ]


def _name(first: str | None, last: str | None) -> str:
    return " ".join(p for p in (first, last) if p)


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def _moment(micros: int) -> datetime:
    return EPOCH + micros * MICROSECOND
