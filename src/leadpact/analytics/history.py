"""The recorded history every report reads, as Ibis expressions: leads, the stages they reached, their deals.

Reports look at history as of a moment (``--at``): a stage change, a deal or a cost recorded after it has not
happened yet, and a deal closed after it is still open. Moments are compared as whole UTC seconds; the
stored datetimes (stage changes, assignments, deals) are converted with the engine's own epoch function, which
reads the naive-UTC values the store writes the same way on SQLite, PostgreSQL and DuckDB (rounded down to
the second, as the scoring's moments are).

A lead's grade in a report is its grade under the agreement in force from its fit before sales' answers: the
qualification answers (``answers.*``) are recorded by a rep after the hand-off, so a grade that counted them
would credit the grade with the rep's own findings. Calendar months and days are the agreement's time zone.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import ibis

from leadpact.analytics.backend import Backend
from leadpact.analytics.rescore import Column, Table
from leadpact.domain.agreement import Agreement
from leadpact.domain.lifecycle import Stage
from leadpact.domain.scoring import from_seconds, local_day, local_day_bounds

DAY = 86_400
HOUR = 3_600

FUNNEL = (Stage.SCREENING, Stage.MQL, Stage.SAL, Stage.SQL, Stage.OPPORTUNITY, Stage.CUSTOMER)
"""The stages a lead climbs after inquiry, in order (screening only under an agreement with a screening section)."""


@dataclass(frozen=True)
class Scope:
    """What a report covers: moments in [start, end) (None: unbounded), as recorded up to ``at`` (UTC seconds)."""

    at: int
    start: int | None = None
    end: int | None = None

    def within(self, moment: Column) -> Column:
        """Whether a moment falls in the date range and is already history at ``at``."""
        condition = moment <= self.at
        if self.start is not None:
            condition &= moment >= self.start
        if self.end is not None:
            condition &= moment < self.end
        return condition

    def describe(self, agreement: Agreement) -> dict[str, str | None]:
        def day(moment: int | None, shift: int = 0) -> str | None:
            return None if moment is None else local_day(agreement, moment + shift).isoformat()

        return {
            "from": day(self.start),
            "to": day(self.end, -1),
            "at": from_seconds(self.at).isoformat().replace("+00:00", "Z"),
            "timezone": agreement.timezone,
        }


def scope_for(agreement: Agreement, at: int, first: date | None, last: date | None) -> Scope:
    """The scope of the local dates ``first`` to ``last`` (inclusive, either open) as of ``at``."""
    start = local_day_bounds(agreement, first)[0] if first is not None else None
    end = local_day_bounds(agreement, last)[1] if last is not None else None
    return Scope(at=at, start=start, end=end)


@dataclass(frozen=True)
class Context:
    """One report's inputs: the Ibis connection, the agreement in force and the scope."""

    con: Backend
    agreement: Agreement
    scope: Scope

    def table(self, name: str) -> Table:
        return self.con.table(name)


def fetch(expr: Table) -> list[dict[str, Any]]:
    """The rows of a (small, aggregated) expression as plain dicts."""
    rows: list[dict[str, Any]] = expr.to_pyarrow().to_pylist()
    return rows


def keep(con: Backend, expr: Table) -> Table:
    """The expression computed once into a temporary table: later queries read it instead of nesting it.

    Queries built from several replays would otherwise nest deeper than SQLite's parser allows.
    """
    return con.create_table(f"leadpact_kept_{uuid.uuid4().hex}", expr, temp=True)


def seconds(moment: Column) -> Column:
    """A stored UTC datetime as whole seconds since the epoch, rounded down as ``scoring.to_seconds`` does.

    The floor is explicit: PostgreSQL's and DuckDB's epoch carries the fraction of a second, which a cast to
    an integer would round, while SQLite's drops it.
    """
    return moment.epoch_seconds().cast("float64").floor().cast("int64")


def leads(ctx: Context) -> Table:
    """Every lead captured by ``at``: lead_id, email, created, source, campaign_id, owner_id.

    A duplicate merged into another lead is left out: its events and deals count for the survivor.
    """
    t = ctx.table("leads")
    out = t.filter(t.merged_into.isnull()).select(
        lead_id=t.id,
        email=t.email,
        created=seconds(t.created_at),
        source=t.source.fill_null("(none)"),
        campaign_id=t.campaign_id,
        owner_id=t.owner_id,
    )
    return out.filter(out.created <= ctx.scope.at)


def cohort(ctx: Context) -> Table:
    """The leads captured within the scope's date range: the cohort the funnel follows."""
    t = leads(ctx)
    return t.filter(ctx.scope.within(t.created))


def stage_changes(ctx: Context) -> Table:
    """Every stage change recorded by ``at``: id, lead_id, from_stage, to_stage, at, by_user_id, reason."""
    t = ctx.table("stage_changes")
    out = t.select(
        id=t.id,
        lead_id=t.lead_id,
        from_stage=t.from_stage,
        to_stage=t.to_stage,
        at=seconds(t.at),
        by_user_id=t.by_user_id,
        reason=t.reason,
    )
    return out.filter(out.at <= ctx.scope.at)


def reached(ctx: Context) -> Table:
    """Per lead with any stage change: the first moment it reached each funnel stage (null: never).

    Columns: lead_id and one per stage of ``FUNNEL`` (screening, mql, sal, sql, opportunity, customer).
    """
    t = stage_changes(ctx)
    firsts = {stage.value: t.at.min(where=t.to_stage == stage.value) for stage in FUNNEL}
    return t.group_by("lead_id").aggregate(**firsts)


def opportunities(ctx: Context) -> Table:
    """Every deal opened by ``at``, as it stood then.

    Columns: id, lead_id, owner_id, amount, close_date, created, closed (null: open at ``at``), won (null:
    open), lost_reason, stage (its sales stage at ``at``).
    """
    o = ctx.table("opportunities")
    deals = o.select(
        id=o.id,
        lead_id=o.lead_id,
        owner_id=o.owner_id,
        amount=o.amount,
        close_date=o.close_date,
        created=seconds(o.created_at),
        closed_s=seconds(o.closed_at),
        won_flag=o.won,
        reason=o.lost_reason,
    )
    deals = deals.filter(deals.created <= ctx.scope.at)
    c = ctx.table("opportunity_changes")
    changes = c.select(opportunity_id=c.opportunity_id, change_id=c.id, stage=c.to_stage, at=seconds(c.at))
    changes = changes.filter(changes.at <= ctx.scope.at)
    latest = ibis.row_number().over(
        group_by=changes.opportunity_id, order_by=[changes.at.desc(), changes.change_id.desc()]
    )
    current = changes.mutate(latest=latest)
    current = current.filter(current.latest == 0).select("opportunity_id", "stage")
    joined = deals.left_join(current, deals.id == current.opportunity_id)
    closed = deals.closed_s.notnull() & (deals.closed_s <= ctx.scope.at)
    return joined.select(
        deals.id,
        deals.lead_id,
        deals.owner_id,
        deals.amount,
        deals.close_date,
        deals.created,
        closed=ibis.cases((closed, deals.closed_s), else_=ibis.null("int64")),
        won=ibis.cases((closed, deals.won_flag), else_=ibis.null("boolean")),
        lost_reason=ibis.cases((closed, deals.reason), else_=ibis.null("string")),
        stage=current.stage,
    )


def month_starts(agreement: Agreement, lo: int, hi: int) -> list[tuple[int, str]]:
    """The local months touching [lo, hi]: (first second of the month, "YYYY-MM")."""
    first = local_day(agreement, lo)
    year, month = first.year, first.month
    out: list[tuple[int, str]] = []
    while True:
        start = local_day_bounds(agreement, date(year, month, 1))[0]
        if start > hi:
            return out
        out.append((start, f"{year:04d}-{month:02d}"))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def span(table: Table, column: str) -> tuple[int, int] | None:
    """The smallest and largest value of an epoch column, or None when it has none."""
    values = table[column].cast("int64")
    row = table.aggregate(lo=values.min(), hi=values.max()).to_pyarrow().to_pylist()[0]
    return None if row["lo"] is None else (int(row["lo"]), int(row["hi"]))


def month_of(agreement: Agreement, moment: Column, bounds: tuple[int, int] | None) -> Column:
    """The local month ("YYYY-MM") of an epoch column whose values lie within ``bounds``."""
    if bounds is None or bounds[0] > bounds[1]:
        return ibis.null("string")
    starts = month_starts(agreement, *bounds)
    branches = [(moment < start, label) for (start, _), (_, label) in zip(starts[1:], starts, strict=False)]
    if not branches:
        return ibis.literal(starts[0][1])
    return ibis.cases(*branches, else_=starts[-1][1])


def quantiles(con: Backend, table: Table, value: str, by: Sequence[str], points: Mapping[str, float]) -> Table:
    """Per group of ``by``, each named quantile of ``value`` (nulls ignored), as numpy's default computes it.

    The quantile p of n sorted values sits at position p·(n - 1), interpolating linearly between the values on
    either side; the median of 1, 2, 3, 4 is 2.5. DuckDB's and PostgreSQL's ``percentile_cont`` and Spark's
    ``percentile`` compute exactly that; SQLite has no percentile, so there it is written with a window rank.
    """
    v = table.filter(table[value].notnull())
    group = list(by)
    if con.name != "sqlite":
        exact = {name: v[value].cast("float64").quantile(p) for name, p in points.items()}
        return v.group_by(group).aggregate(**exact) if group else v.aggregate(**exact)
    rank = ibis.row_number().over(group_by=group or None, order_by=v[value])
    ranked = v.mutate(_rank=rank, _n=v[value].count().over(group_by=group or None))
    aggregates: dict[str, Column] = {"_n": ranked._n.max()}
    for name, p in points.items():
        position = (ranked._n - 1) * p
        aggregates[f"{name}_lo"] = ranked[value].min(where=ranked._rank == position.floor())
        aggregates[f"{name}_hi"] = ranked[value].max(where=ranked._rank == position.ceil())
    grouped = ranked.group_by(group).aggregate(**aggregates) if group else ranked.aggregate(**aggregates)
    out = {}
    for name, p in points.items():
        position = (grouped._n - 1) * p
        low, high = grouped[f"{name}_lo"].cast("float64"), grouped[f"{name}_hi"].cast("float64")
        out[name] = low + (high - low) * (position - position.floor())
    return grouped.select(*group, **out)
