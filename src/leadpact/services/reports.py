"""Reports on the recorded history: each one an Ibis computation over the store, on the app database or DuckDB.

A report reads through its own connection and writes nothing. Its scope is a range of local dates in the
agreement's time zone (either end open) and the moment it looks from (``at``, now by default): what was
recorded after that moment has not happened yet.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

from leadpact.analytics import backtest as analytics_backtest
from leadpact.analytics import engines
from leadpact.analytics.backtest import Backtest, Side
from leadpact.analytics.history import Context, scope_for
from leadpact.analytics.report import Report
from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.errors import InvalidInput
from leadpact.domain.scoring import to_seconds
from leadpact.services import agreements
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.unit_of_work import UnitOfWork


@contextmanager
def context(
    uow: UnitOfWork,
    clock: Clock,
    inforce: InForce,
    first: date | None = None,
    last: date | None = None,
    engine: str = "app",
) -> Iterator[Context]:
    """A report context on ``engine`` for the local dates ``first`` to ``last`` as of the clock's now."""
    if first is not None and last is not None and last < first:
        raise InvalidInput(f"--to {last} is before --from {first}")
    scope = scope_for(inforce.agreement, to_seconds(clock.now()), first, last)
    con = engines.connect(uow.engine.url, engine, engines.REPORT_TABLES)
    try:
        yield Context(con, inforce.agreement, scope)
    finally:
        con.disconnect()


def run(
    uow: UnitOfWork,
    clock: Clock,
    inforce: InForce,
    compute: Callable[[Context], Report],
    first: date | None = None,
    last: date | None = None,
    engine: str = "app",
) -> Report:
    """Compute one report over the store."""
    with context(uow, clock, inforce, first, last, engine) as ctx:
        return compute(ctx)


def backtest(
    uow: UnitOfWork,
    clock: Clock,
    inforce: InForce,
    text: str,
    source: str,
    against: int | None = None,
    since: date | None = None,
    engine: str = "app",
) -> Backtest:
    """Replay the history under the candidate agreement in ``text`` and under a stored version (the one in force)."""
    if since is not None and since > clock.now().date():
        raise InvalidInput(f"--since {since} is after --at {clock.now():%Y-%m-%d}: there is no history to replay")
    candidate = parse_agreement(text, source)
    row, current = agreements.load_version(uow, against)
    label = f"version {row.version}" + (" (in force)" if row.version == inforce.version else "")
    with context(uow, clock, InForce(row.version, current), since, None, engine) as ctx:
        return analytics_backtest.backtest(ctx, Side(label, current), Side(source, candidate))
