"""The store's clock: the "now" of a demo world, kept in the database so that every edge works on the same one.

A world built up to a past moment is worked on as if that moment were now. If only the served app knew it, the
command line would look from real time and a lead would score one thing on a page and another in a terminal; so
the clock is a property of the database, not of a process. While it is set (the one row of ``store_clock``) it
read ``starts_at`` at the real moment ``set_at`` and runs on in real time from there, for the command line and
the served app alike; a moment a command is given (``--at``) still wins. Cleared, every edge is back on real
time. Setting and clearing it are admin changes, kept in the audit trail.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, inspect

from leadpact.domain.agreement import Agreement
from leadpact.domain.errors import InvalidInput, NoAgreement
from leadpact.services import activity, agreements, audit
from leadpact.services.clock import Clock, RunningClock, parse_moment
from leadpact.store.tables import StoreClock
from leadpact.store.unit_of_work import UnitOfWork

ROW = 1
"""The id of the store clock's one row."""
LATEST = "latest"
"""What names the last moment the database records as the clock's start."""
FRESH_SECONDS = 2.0
"""How long the served app trusts what it last read of the store: a clock set or cleared from the command line
shows on its pages and in its scores within this many seconds. Reading on every request would cost a query per
request, and per ``now()`` of the worker and the event recorder, for a row that changes once a demo."""


@dataclass(frozen=True)
class Setting:
    """The store clock as set: it read ``starts_at`` at the real moment ``set_at``; ``set_by`` set it, as the audit
    trail names them."""

    starts_at: datetime
    set_at: datetime
    set_by: str

    def clock(self, real: Clock) -> RunningClock:
        return RunningClock(self.starts_at, self.set_at, real)


def current(uow: UnitOfWork) -> Setting | None:
    """The store clock while one is set; None on real time, also in a database from before there was one."""
    if not inspect(uow.session.connection()).has_table(StoreClock.__tablename__):
        return None
    row = uow.session.get(StoreClock, ROW)
    return None if row is None else Setting(row.starts_at, row.set_at, row.set_by)


def read(engine: Engine) -> Setting | None:
    """The store clock of the database behind ``engine``, read in a transaction of its own."""
    with UnitOfWork(engine) as uow:
        return current(uow)


def start_of(uow: UnitOfWork, text: str, field: str | None = None) -> datetime:
    """The moment a clock is to start from, as given: ``latest`` (the last moment the database records a lead
    arriving, doing something or moving) or an ISO 8601 moment."""
    if text.strip() != LATEST:
        return parse_moment(text, field)
    latest = activity.latest(uow)
    if latest is None:
        raise InvalidInput(f"'{LATEST}': the database records no activity yet", field)
    return latest


def set_to(uow: UnitOfWork, real: Clock, starts_at: datetime) -> Setting:
    """Run the store on a clock that reads ``starts_at`` now and runs on in real time (``real``)."""
    uow.serialize_on(StoreClock.__tablename__)  # two setting it at once: the second replaces the first
    now = real.now()
    row = uow.session.get(StoreClock, ROW)
    if row is None:
        row = StoreClock(id=ROW)
        uow.session.add(row)
    row.starts_at, row.set_at, row.set_by = starts_at, now, audit.actor_name(uow)
    audit.record(uow, now, "clock.set", "the store's clock", starts_at=starts_at)
    return Setting(row.starts_at, row.set_at, row.set_by)


def clear(uow: UnitOfWork, real: Clock) -> Setting | None:
    """Return the store to real time; the clock it ran on, or None when it ran on real time already."""
    uow.serialize_on(StoreClock.__tablename__)
    was = current(uow)
    if was is None:
        return None
    uow.session.delete(uow.session.get_one(StoreClock, ROW))
    now = real.now()
    audit.record(uow, now, "clock.clear", "the store's clock", was=was.clock(real).now())
    return was


@dataclass(frozen=True)
class Reading:
    """What the served app last read of the store: its clock (None: real time), and the agreement in force (None
    before the first), whose time zone the pages show every moment in."""

    setting: Setting | None
    agreement: Agreement | None


class StoreTime:
    """The served app's clock: real time, or the store's clock while one is set; with the agreement in force.

    Every page, the API, the worker and the event recorder ask it for "now", so a clock set or cleared from the
    command line while the app runs reaches them all: what it read is trusted for ``fresh_for`` seconds, then read
    again. A reader that finds the reading stale reads it afresh while the others go on with the last one, so no
    request waits on another's read.
    """

    def __init__(self, engine: Engine, real: Clock, fresh_for: float = FRESH_SECONDS) -> None:
        self.real = real
        self._engine = engine
        self._fresh_for = fresh_for
        self._guard = threading.Lock()
        self._reading: Reading | None = None
        self._due = 0.0  # when (time.monotonic) the reading is read again

    def reading(self) -> Reading:
        with self._guard:
            held = self._reading
            if held is not None and time.monotonic() < self._due:
                return held
            self._due = time.monotonic() + self._fresh_for  # the others keep the held reading meanwhile
        fresh = _read(self._engine)
        with self._guard:
            self._reading = fresh
        return fresh

    def now(self) -> datetime:
        setting = self.reading().setting
        return setting.clock(self.real).now() if setting else self.real.now()


def _read(engine: Engine) -> Reading:
    with UnitOfWork(engine) as uow:
        setting = current(uow)
        try:
            agreement: Agreement | None = agreements.in_force(uow).agreement
        except NoAgreement:
            agreement = None
    return Reading(setting, agreement)
