"""Recording events through the API: each event's fate in a batch, and the group commit of single events.

``record_all`` is what every path records with: a batch request, and the recorder's groups of single events.

The ``Recorder`` is one thread fed by a queue, doing the database work of ``POST /api/v1/events`` for many
requests at once. It gathers the events that come while it works into a group, records the group in one
transaction exactly as one batch in the order the events arrived, and answers each request once that
transaction has committed: nothing is acknowledged before it is stored. The group's fixed costs (the
transaction, the write lock, the agreement in force, the lookups, the commit) are shared. Under load a group
waits a little (``LINGER``) for as many events as the recent groups held; an idle server records a lone event
at once.

The caller's token is checked twice. Before the request's body is read, as on every route: the first time a
token is seen the recorder looks it up (a queued job of its own), and it remembers the tokens it found good.
And in the group's transaction, where each of the group's tokens is read again with the write: no event is
recorded under a token revoked, or a role changed, before that transaction began. A remembered token since
revoked passes the first check, so a malformed body sent with it is refused as malformed (422) rather than as
unauthenticated (401).
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from leadpact.domain.errors import LeadpactError, NotAuthenticated, NotFound, NotPermitted
from leadpact.domain.permissions import Action, Principal
from leadpact.services import agreements, auth, intake
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.bulk import lookup
from leadpact.store.tables import Lead
from leadpact.store.unit_of_work import UnitOfWork

DUPLICATE = "duplicate"
MOST = 250
"""Single events one transaction takes at most, so that a long queue is answered in steps."""
LINGER = 0.005
"""Seconds a group, once it holds an event, may wait for as many events as the recent groups held."""
KNOWN = 1000
"""Good tokens remembered (by digest) at most; past that the recorder forgets them all and looks them up anew."""


@dataclass(frozen=True)
class Recorded:
    """What became of a recorded event: counted, not counted, not in agreement, or duplicate."""

    event_id: str
    lead_id: int
    outcome: str


Fate = Recorded | NotFound
"""An event's fate: recorded, or refused because no lead has its email."""


def record_all(uow: UnitOfWork, clock: Clock, inforce: InForce, events: Sequence[intake.EventInput]) -> list[Fate]:
    """Record ``events`` as one batch and give each its fate, in order; their emails must be well-formed.

    An event whose email no lead has is refused on its own; the others are recorded. An event id already
    stored, or repeated earlier in ``events``, is a duplicate and changes nothing.
    """
    emails = [intake.normalize_email(e.email) for e in events]
    leads: dict[str, int] = lookup(uow, Lead.__tablename__, "email", "id", sorted(set(emails)))
    report = intake.record_events(
        uow, clock, inforce, [e for e, email in zip(events, emails, strict=True) if email in leads]
    )
    fates: list[Fate] = []
    seen: set[str] = set()
    for e, email in zip(events, emails, strict=True):
        if email not in leads:
            fates.append(NotFound(f"email: no lead with email '{e.email}'; capture the lead first"))
            continue
        outcome = DUPLICATE if e.event_id in seen else report.outcomes[e.event_id]
        seen.add(e.event_id)
        fates.append(Recorded(e.event_id, leads[email], outcome))
    return fates


@dataclass(frozen=True)
class _Check:
    """A request waiting to hear who its API token belongs to."""

    secret: str
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Principal]


@dataclass(frozen=True)
class _Record:
    """A request waiting for its event's fate."""

    secret: str
    event: intake.EventInput
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Recorded]


_Job = _Check | _Record


class Recorder:
    """One thread that records the single events of many requests together, and checks their tokens."""

    def __init__(self, engine: Engine, clock: Clock, linger: float = LINGER) -> None:
        self._engine = engine
        self._clock = clock
        self._linger = linger
        self._state = threading.Lock()  # guards the thread and its queue, replaced together
        self._thread: threading.Thread | None = None
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._known: dict[str, Principal] = {}  # good tokens, by digest: written by the thread only

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread, if it is not running; a request also starts it (an app served without lifespan)."""
        with self._state:
            self._started()

    def stop(self) -> None:
        """Answer every request queued so far, then end the thread; a later request starts a new one."""
        with self._state:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._queue.put(None)
        thread.join()

    async def principal(self, secret: str) -> Principal:
        """Who the API token ``secret`` belongs to, as last found; NotAuthenticated when it is not known or
        revoked. A token found good before is not looked up again here: ``record`` checks it with the write."""
        known = self._known.get(auth.digest(secret))
        if known is not None:
            return known
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Principal] = loop.create_future()
        self._put(_Check(secret, loop, future))
        return await future

    async def record(self, secret: str, event: intake.EventInput) -> Recorded:
        """Record one event, sent with the token ``secret``, with the others gathered meanwhile; its fate once
        the transaction has committed.

        Raises NotAuthenticated or NotPermitted when the token, read again in the transaction, is no longer
        good for recording events; NotFound when no lead has the event's email; and the transaction's error
        when it failed as a whole (every request in it gets that error; sending the event again is safe).
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Recorded] = loop.create_future()
        self._put(_Record(secret, event, loop, future))
        return await future

    def _put(self, job: _Job) -> None:
        with self._state:
            self._started().put(job)

    def _started(self) -> queue.SimpleQueue[_Job | None]:
        """The running thread's queue, the thread started if need be (under ``_state``)."""
        if self._thread is None:
            self._queue = queue.SimpleQueue()  # each thread has its own queue, ended by a None
            self._thread = threading.Thread(
                target=self._run, args=(self._queue,), name="leadpact-recorder", daemon=True
            )
            self._thread.start()
        return self._queue

    def _run(self, jobs: queue.SimpleQueue[_Job | None]) -> None:
        target = 1  # the size of the recent groups: the largest, less one for each group since
        ended = False
        while not ended:
            group, ended = self._gather(jobs, target)
            if group:
                target = max(len(group), target - 1)
                _wake(group, self._record(group))

    def _gather(self, jobs: queue.SimpleQueue[_Job | None], target: int) -> tuple[list[_Record], bool]:
        """The next group of events, and whether the recorder was stopped; token checks are answered meanwhile.

        Waits for the first job as long as it takes; once the group holds an event, at most ``linger`` seconds
        more, until it holds ``target`` events.
        """
        group: list[_Record] = []
        deadline: float | None = None
        while len(group) < MOST:
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and (wait <= 0 or len(group) >= target):
                break
            taken = _take(jobs, wait, MOST - len(group))
            if not taken:  # waited long enough
                break
            checks = [job for job in taken if isinstance(job, _Check)]
            if checks:
                self._check(checks)
            group += [job for job in taken if isinstance(job, _Record)]
            if taken[-1] is None:  # stopped: what came before the end is still answered
                return group, True
            if group and deadline is None:
                deadline = time.monotonic() + self._linger
        return group, False

    def _check(self, checks: list[_Check]) -> None:
        try:
            with UnitOfWork(self._engine) as uow:
                callers = self._callers(uow, [c.secret for c in checks])
            answers: list[Principal | Exception] = [callers[c.secret] for c in checks]
        except Exception as error:  # the database failed: every request asking hears why
            answers = [error] * len(checks)
        _wake(checks, answers)

    def _record(self, group: list[_Record]) -> list[Fate | LeadpactError | Exception]:
        try:
            with UnitOfWork(self._engine) as uow:
                uow.serialize_writes()
                callers = self._callers(uow, [r.secret for r in group])
                refused = {secret: _refusal(caller) for secret, caller in callers.items()}
                allowed = [r.event for r in group if refused[r.secret] is None]
                fates = iter(record_all(uow, self._clock, agreements.in_force(uow), allowed))
        except Exception as error:  # the transaction failed as a whole: every request in it hears why
            return [error] * len(group)
        return [refused[r.secret] or next(fates) for r in group]

    def _callers(self, uow: UnitOfWork, secrets: list[str]) -> dict[str, Principal | NotAuthenticated]:
        """Who each token belongs to, read now; remembered when good, forgotten when not."""
        callers: dict[str, Principal | NotAuthenticated] = {}
        for secret in dict.fromkeys(secrets):
            key = auth.digest(secret)
            try:
                caller = callers[secret] = auth.token_principal(uow, secret)
            except NotAuthenticated as refused:
                self._known.pop(key, None)
                callers[secret] = refused
                continue
            if len(self._known) >= KNOWN:
                self._known.clear()
            self._known[key] = caller
        return callers


def _refusal(caller: Principal | NotAuthenticated) -> LeadpactError | None:
    """Why the caller may not record events, if they may not."""
    if isinstance(caller, NotAuthenticated):
        return caller
    try:
        caller.require(Action.CAPTURE)
    except NotPermitted as refused:
        return refused
    return None


def _take(jobs: queue.SimpleQueue[_Job | None], wait: float | None, most: int) -> list[_Job | None]:
    """The jobs queued, up to ``most``, once the first came within ``wait`` seconds (None: however long it
    takes); none when it did not. The end (None) is always last."""
    try:
        taken = [jobs.get(timeout=wait)]
    except queue.Empty:
        return []
    while taken[-1] is not None and len(taken) < most:
        try:
            taken.append(jobs.get_nowait())
        except queue.Empty:
            break
    return taken


def _wake(jobs: Sequence[_Job], answers: Sequence[object]) -> None:
    """Hand each job's answer to its request, with one wake-up for each event loop, not one for each request."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], object]]] = defaultdict(list)
    for job, answer in zip(jobs, answers, strict=True):
        by_loop[job.loop].append((job.future, answer))
    for loop, pairs in by_loop.items():
        try:
            loop.call_soon_threadsafe(_answer, pairs)
        except RuntimeError:  # the loop has closed: nobody waits there any more
            continue


def _answer(pairs: list[tuple[asyncio.Future[Any], object]]) -> None:
    """On the requests' event loop: each waiting request gets its answer, or its error raised."""
    for future, answer in pairs:
        if future.done():  # the request was cancelled (its client went away); its event is stored all the same
            continue
        if isinstance(answer, Exception):
            future.set_exception(answer)
        else:
            future.set_result(answer)
