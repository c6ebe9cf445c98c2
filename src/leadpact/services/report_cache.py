"""Reports kept in the app's memory while the store does not change: what the dashboard shows on every visit.

A report reads the recorded history, so it says something new only once the store changes. The app keeps each
report it computed under its inputs (name and options, the local dates, the agreement version) and the store's
last change (``last_change``), and hands it out again while both are the same. A report looks from now, and a few
figures move with the clock alone (an SLA's due moment passing before the worker records the breach), so a kept
report is also given only while it is at most ``MAX_AGE`` old; a person may ask for it anew at any time
(``forget``).

The last change (``services.store_changes``) is one query. On PostgreSQL it also names the transactions open at
that moment, so a report computed meanwhile is not given again once they have ended.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from leadpact.domain.report import Report
from leadpact.services import reports
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.services.store_changes import Change
from leadpact.store.unit_of_work import UnitOfWork

SIZE = 256
"""Reports kept at most; the least recently used goes first. A dashboard of one range holds eight or nine."""
MAX_AGE = timedelta(minutes=10)
"""How long a kept report is given again when nothing is written meanwhile."""


class Key(NamedTuple):
    """What a report is kept under: its inputs and the store's last change."""

    name: str
    options: tuple[tuple[str, str], ...]
    first: date | None
    last: date | None
    version: int
    change: Change


@dataclass(frozen=True)
class Kept:
    report: Report
    computed_at: datetime  # the moment the report looked from


class ReportCache:
    """The reports computed lately, each under its inputs and the store's last change; safe across threads."""

    def __init__(self, size: int = SIZE, max_age: timedelta = MAX_AGE) -> None:
        self.size = size
        self.max_age = max_age
        self._kept: OrderedDict[Key, Kept] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key, now: datetime) -> Kept | None:
        """The report kept under ``key`` if it was computed at most ``max_age`` before ``now`` (not after it)."""
        with self._lock:
            kept = self._kept.get(key)
            if kept is None:
                return None
            if not timedelta(0) <= now - kept.computed_at <= self.max_age:
                del self._kept[key]
                return None
            self._kept.move_to_end(key)
            return kept

    def put(self, key: Key, kept: Kept) -> None:
        with self._lock:
            self._kept[key] = kept
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def forget(self, first: date | None, last: date | None) -> None:
        """Drop every report kept for the local dates ``first`` to ``last``: the next reading computes them anew."""
        with self._lock:
            for key in [key for key in self._kept if (key.first, key.last) == (first, last)]:
                del self._kept[key]

    @contextmanager
    def reader(
        self,
        uow: UnitOfWork,
        clock: Clock,
        inforce: InForce,
        first: date | None,
        last: date | None,
        change: Change,
        since: datetime | None = None,
    ) -> Iterator[CachedReader]:
        """Reports for the local dates ``first`` to ``last`` as of the store's last ``change``: those kept (and
        computed ``since`` that moment, when given) as they are, the others computed and kept.

        A connection for the computing is opened at the first report not kept, and closed on leaving.
        """
        with ExitStack() as stack:
            yield CachedReader(self, stack, uow, clock, inforce, first, last, change, since)


class CachedReader:
    """Reads reports by name and options through the cache (see ``ReportCache.reader``)."""

    def __init__(
        self,
        cache: ReportCache,
        stack: ExitStack,
        uow: UnitOfWork,
        clock: Clock,
        inforce: InForce,
        first: date | None,
        last: date | None,
        change: Change,
        since: datetime | None,
    ) -> None:
        self._cache, self._stack = cache, stack
        self._uow, self._clock, self._inforce = uow, clock, inforce
        self._first, self._last, self._change, self._since = first, last, change, since
        self._computing: tuple[reports.Reader, datetime] | None = None  # the reader opened, the moment it looks from
        self.oldest: datetime | None = None
        """When the oldest report read so far was computed: the figures shown are at least that fresh."""

    def _key(self, name: str, options: dict[str, str]) -> Key:
        return Key(name, tuple(sorted(options.items())), self._first, self._last, self._inforce.version, self._change)

    def __call__(self, name: str, /, **options: str | None) -> Report:
        chosen = reports.definition(name).chosen(options)
        key = self._key(name, chosen)
        kept = self._cache.get(key, self._clock.now())
        if kept is None or (self._since is not None and kept.computed_at < self._since):
            if self._computing is None:
                now = self._clock.now()  # the reader looks from this moment, or a blink later
                opened = reports.reader(self._uow, self._clock, self._inforce, self._first, self._last)
                self._computing = self._stack.enter_context(opened), now
            compute, looked_from = self._computing
            kept = Kept(compute(name, **chosen), looked_from)
            self._cache.put(key, kept)
        self.oldest = kept.computed_at if self.oldest is None else min(self.oldest, kept.computed_at)
        return kept.report
