"""The agreement's health: each bound of its ``health`` section measured as of a moment, and the daily check.

A bound's figure comes from the report that already computes it, over the bound's window of local days
(``domain.health.window``): the acceptance rate from the funnel (SAL of MQL), contact within SLA and never
contacted from the SLA report, grade calibration from the grades report (leads and opportunities by grade).
The two bounds that watch the predictive lead model, population shift and model calibration, are measured from
the stored model and the store's hand-offs (``services.drift``).

The daily check measures every bound once per local day of the agreement's time zone, whoever checks first:
a worker, another worker, the same worker after a restart. It records each bound's value, status and evidence
as a ``health_checks`` row (one per day and bound) and posts an ``agreement.health`` message for each bound
broken, in the same transaction. The check measures before it takes the lock, so that the reports' reading
never holds back the writers; under the lock it records only the bounds nobody recorded meanwhile.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any, assert_never

from sqlalchemy import func, select

from leadpact.domain.agreement import HealthBound, Indicator
from leadpact.domain.health import GradeCount, Reading, Status, calibration_reading, rate_reading, window
from leadpact.domain.report import Row
from leadpact.domain.scoring import local_day, to_seconds
from leadpact.services import drift, outbox, reports
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.tables import HealthCheck
from leadpact.store.unit_of_work import UnitOfWork

TOPIC = "agreement.health"
"""The outbox topic of a bound broken."""


@dataclass(frozen=True)
class Health:
    """The bounds of an agreement version measured as of a local day."""

    version: int
    day: date
    readings: tuple[Reading, ...]

    @property
    def broken(self) -> tuple[Reading, ...]:
        return tuple(r for r in self.readings if r.status is Status.BROKEN)


def today(inforce: InForce, clock: Clock) -> date:
    """The clock's day in the agreement's time zone: the day a check belongs to."""
    return local_day(inforce.agreement, to_seconds(clock.now()))


def measure(uow: UnitOfWork, clock: Clock, inforce: InForce, only: Collection[Indicator] | None = None) -> Health:
    """Every bound of the agreement in force (or those ``only`` names), measured as of the clock's now."""
    day = today(inforce, clock)
    bounds = [b for b in inforce.agreement.health if only is None or b.indicator in only]
    return Health(inforce.version, day, tuple(_measure(uow, clock, inforce, bound, day) for bound in bounds))


def _measure(uow: UnitOfWork, clock: Clock, inforce: InForce, bound: HealthBound, day: date) -> Reading:
    first, last = window(bound, day)

    def total(name: str, by: str | None) -> Row:
        report = reports.run(uow, clock, inforce, name, {"by": by}, first, last)
        return next(row for row in report.rows if row["group"] == "all")

    indicator = bound.indicator
    match indicator:
        case Indicator.ACCEPTANCE_RATE:
            funnel = total("funnel", "source")
            return rate_reading(bound, first, last, funnel["sal"], funnel["mql"])
        case Indicator.CONTACT_WITHIN_SLA:
            sla = total("sla", "team")
            return rate_reading(bound, first, last, sla["contacted_in_sla"], sla["contact_due"])
        case Indicator.NEVER_CONTACTED:
            sla = total("sla", "team")
            return rate_reading(bound, first, last, sla["never_contacted"], sla["leads_contact_due"])
        case Indicator.GRADE_CALIBRATION:
            grades = reports.run(uow, clock, inforce, "grades", {}, first, last)
            counts = [GradeCount(row["group"], row["leads"], row["opportunities"]) for row in grades.rows]
            return calibration_reading(bound, first, last, counts)
        case Indicator.POPULATION_SHIFT | Indicator.MODEL_CALIBRATION:
            return drift.reading(uow, clock, inforce, bound, first, last)
        case _:  # pragma: no cover - the type check proves every case above is handled
            assert_never(indicator)


def _checked(uow: UnitOfWork, day: date) -> set[str]:
    """The bounds already checked on ``day``."""
    return set(uow.session.scalars(select(HealthCheck.bound).where(HealthCheck.day == day)))


def due(uow: UnitOfWork, clock: Clock, inforce: InForce) -> Health | None:
    """The bounds of the agreement in force not checked yet today, measured now; None when there are none."""
    checked = _checked(uow, today(inforce, clock))
    waiting = [b.indicator for b in inforce.agreement.health if b.indicator.value not in checked]
    return measure(uow, clock, inforce, waiting) if waiting else None


def record(uow: UnitOfWork, clock: Clock, health: Health) -> tuple[Reading, ...]:
    """Record the readings of ``health`` no other check recorded first, with a message for each broken one."""
    uow.serialize_on(f"health_checks:{health.day.isoformat()}")  # a second check waits here, then finds them
    checked = _checked(uow, health.day)
    now = clock.now()
    recorded = tuple(r for r in health.readings if r.bound.indicator.value not in checked)
    for reading in recorded:
        shown = reading.as_dict()
        uow.append(
            HealthCheck,
            day=health.day,
            bound=reading.bound.indicator.value,
            version=health.version,
            value=reading.value,
            broken=reading.status is Status.BROKEN,
            evidence=json.dumps(shown),
            checked_at=now,
        )
        if reading.status is Status.BROKEN:
            outbox.post(uow, TOPIC, now, **shown, day=health.day.isoformat(), version=health.version)
    return recorded


def check(uow: UnitOfWork, clock: Clock, inforce: InForce) -> tuple[Reading, ...]:
    """The daily check: the bounds not checked yet today, measured and recorded; nothing once they all are."""
    health = due(uow, clock, inforce)
    return record(uow, clock, health) if health is not None else ()


@dataclass(frozen=True)
class Check:
    """A bound's recorded daily check: its day, the agreement version, and the reading as it was recorded."""

    day: date
    version: int
    broken: bool
    reading: dict[str, Any]  # ``Reading.as_dict``: the bound, limit, value, status, words and evidence

    @property
    def summary(self) -> str:
        return str(self.reading["summary"])

    @property
    def details(self) -> list[str]:
        return [str(line) for line in self.reading["details"]]


def latest(uow: UnitOfWork, inforce: InForce) -> list[Check]:
    """The newest daily check of each bound of the agreement in force, in the agreement's order."""
    names = [b.indicator.value for b in inforce.agreement.health]
    if not names:
        return []
    newest = (
        select(HealthCheck.bound, func.max(HealthCheck.day).label("day"))
        .where(HealthCheck.bound.in_(names))
        .group_by(HealthCheck.bound)
        .subquery()
    )
    rows = uow.session.scalars(
        select(HealthCheck).join(newest, (HealthCheck.bound == newest.c.bound) & (HealthCheck.day == newest.c.day))
    ).all()
    by_bound = {row.bound: row for row in rows}
    return [
        Check(row.day, row.version, row.broken, json.loads(row.evidence))
        for name in names
        if (row := by_bound.get(name)) is not None
    ]


def broken(uow: UnitOfWork, inforce: InForce) -> list[Check]:
    """The bounds of the agreement in force whose newest daily check found them broken: a bound that held again
    since is not among them."""
    return [c for c in latest(uow, inforce) if c.broken]
