"""Reports on the recorded history: each one an Ibis computation over the store, on the app database or DuckDB.

A report reads through its own connection and writes nothing. Its scope is a range of local dates in the
agreement's time zone (either end open) and the moment it looks from (``at``, now by default): what was
recorded after that moment has not happened yet.

``CATALOG`` lists every report. The CLI's ``report`` commands, the API's report routes and the web's report
pages are made from it: a new report is its module under ``analytics`` (its computation and its ``REPORT``
definition) and one line here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Protocol

from leadpact.analytics import (
    attribution,
    calibration,
    costs,
    engines,
    feedback,
    forecast,
    funnel,
    reasons,
    screening,
    sla,
    sourced,
    value,
)
from leadpact.analytics import backtest as analytics_backtest
from leadpact.analytics.backtest import Side
from leadpact.analytics.history import Context, scope_for
from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.domain.report import Backtest, Definition, Report
from leadpact.domain.scoring import to_seconds
from leadpact.services import agreements, parquet_export, predictions
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.unit_of_work import UnitOfWork

CATALOG: Mapping[str, Definition] = {
    report.name: report
    for report in (
        funnel.REPORT,
        costs.REPORT,
        sourced.REPORT,
        sla.REPORT,
        reasons.REPORT,
        attribution.REPORT,
        forecast.REPORT,
        calibration.REPORT,
        feedback.REPORT,
        value.REPORT,
        screening.REPORT,
    )
}


def option_names() -> tuple[str, ...]:
    """Every option some report takes: an edge reads each, so that one given to a report that does not take it
    is refused rather than ignored."""
    return tuple(sorted({option.name for report in CATALOG.values() for option in report.options}))


def definition(name: str) -> Definition:
    """The report named ``name``, or NotFound listing the reports there are."""
    if name not in CATALOG:
        raise NotFound(f"no report named '{name}'; reports: {', '.join(CATALOG)}")
    return CATALOG[name]


class Reader(Protocol):
    """Computes a report by its name with its options (each by name; None or missing for the default)."""

    def __call__(self, name: str, /, **options: str | None) -> Report: ...


@contextmanager
def reader(
    uow: UnitOfWork,
    clock: Clock,
    inforce: InForce,
    first: date | None = None,
    last: date | None = None,
    engine: str = "app",
    parquet: Path | None = None,
) -> Iterator[Reader]:
    """Computes any number of reports over one connection for the local dates ``first`` to ``last``."""
    with context(uow, clock, inforce, first, last, engine, parquet) as ctx:

        def read(name: str, /, **options: str | None) -> Report:
            report = definition(name)
            return report.compute(ctx, **report.chosen(options))

        yield read


def run(
    uow: UnitOfWork,
    clock: Clock,
    inforce: InForce,
    name: str,
    options: Mapping[str, str | None] | None = None,
    first: date | None = None,
    last: date | None = None,
    engine: str = "app",
    parquet: Path | None = None,
) -> Report:
    """Compute one report of the catalog over the store (or its current export in ``parquet``); its options are
    checked before anything is read."""
    chosen = definition(name).chosen(options or {})
    with reader(uow, clock, inforce, first, last, engine, parquet) as read:
        return read(name, **chosen)


@contextmanager
def context(
    uow: UnitOfWork,
    clock: Clock,
    inforce: InForce,
    first: date | None = None,
    last: date | None = None,
    engine: str = "app",
    parquet: Path | None = None,
) -> Iterator[Context]:
    """A report context on ``engine`` for the local dates ``first`` to ``last`` as of the clock's now, reading the
    store or its current export in ``parquet``."""
    if first is not None and last is not None and last < first:
        raise InvalidInput(f"{last} is before the first day, {first}", "to")
    scope = scope_for(inforce.agreement, to_seconds(clock.now()), first, last)
    predictions.fill_for(uow.engine, [inforce.agreement])
    con = parquet_export.connect(uow, engine, engines.REPORT_TABLES, parquet)
    try:
        yield Context(con, inforce.agreement, scope)
    finally:
        con.disconnect()


def backtest(
    uow: UnitOfWork,
    clock: Clock,
    inforce: InForce,
    text: str,
    source: str,
    against: int | None = None,
    since: date | None = None,
    engine: str = "app",
    parquet: Path | None = None,
) -> Backtest:
    """Replay the history under the candidate agreement in ``text`` and under a stored version (the one in force)."""
    if since is not None and since > clock.now().date():
        raise InvalidInput(
            f"{since} is after {clock.now():%Y-%m-%d}, the moment looked from: no history to replay", "since"
        )
    candidate = parse_agreement(text, source)
    predictions.require(uow, candidate, source)
    predictions.fill_for(uow.engine, [candidate])
    row, current = agreements.load_version(uow, against)
    label = f"version {row.version}" + (" (in force)" if row.version == inforce.version else "")
    with context(uow, clock, InForce(row.version, current), since, None, engine, parquet) as ctx:
        return analytics_backtest.backtest(ctx, Side(label, current), Side(source, candidate))
