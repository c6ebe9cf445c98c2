"""Marketing-sourced or sales-sourced: each side's share of the pipeline and of the revenue.

A lead is **sales-sourced** when its source is one of the agreement's ``sales_sources`` (the leads reps and
SDRs prospect themselves, compared without regard to case or surrounding spaces); every other lead, one
with no source included, is **marketing-sourced**. A deal belongs to the side of its lead. For each side:

- **leads**: the cohort, the leads captured in the date range (by ``at``);
- **opportunities** and **pipeline**: the deals opened in the date range (by ``at``), whatever their lead's
  capture date: how many, and the sum of their amounts;
- **open** and **open pipeline**: those of them still open at ``at``: how many, and their amounts;
- **won** and **won revenue**: the deals won with their close moment in the date range (by ``at``),
  whenever they were opened: how many, and their amounts;
- **pipeline share** and **revenue share**: the side's pipeline over both sides' pipeline, and its won
  revenue over both sides' won revenue (none when there is nothing to share).

The last row, "all", is both sides together.
"""

from __future__ import annotations

import ibis

from leadpact.analytics.history import Context, cohort, opportunities
from leadpact.analytics.rescore import Column as Expr
from leadpact.analytics.rescore import Table
from leadpact.domain.report import Column, Definition, Kind, Report, Row, share

SIDES = ("marketing", "sales")

COLUMNS = (
    Column("group", "sourced by", Kind.TEXT),
    Column("leads", "leads"),
    Column("opportunities", "opportunities"),
    Column("pipeline", "pipeline", Kind.MONEY),
    Column("open", "open"),
    Column("open_pipeline", "open pipeline", Kind.MONEY),
    Column("won", "won"),
    Column("revenue", "won revenue", Kind.MONEY),
    Column("pipeline_share", "pipeline share", Kind.SHARE),
    Column("revenue_share", "revenue share", Kind.SHARE),
)


def side(ctx: Context, source: Expr) -> Expr:
    """The side of a lead's source: sales for one the agreement names as sales' own, else marketing."""
    named = sorted({s.strip().lower() for s in ctx.agreement.sales_sources})
    if not named:
        return ibis.literal("marketing")
    return ibis.cases((source.strip().lower().isin(named), "sales"), else_="marketing")


def sides(ctx: Context) -> Table:
    """Every lead's side: lead_id, group."""
    t = ctx.table("leads")
    return t.select(lead_id=t.id, group=side(ctx, t.source))


def _totals(t: Table, aggregates: dict[str, Expr]) -> dict[str, Row]:
    """The aggregates per side and for both ("all"), fetched."""
    rows = t.group_by("group").aggregate(**aggregates).to_pyarrow().to_pylist()
    both = t.aggregate(**aggregates).to_pyarrow().to_pylist()[0]
    return {**{str(row["group"]): row for row in rows}, "all": both}


def _leads(ctx: Context) -> dict[str, Row]:
    t, owner = cohort(ctx), sides(ctx)
    sided = t.join(owner, t.lead_id == owner.lead_id).select(t.lead_id, owner.group)
    return _totals(sided, {"leads": sided.lead_id.count()})


def _pipeline(ctx: Context) -> dict[str, Row]:
    deals, owner = opportunities(ctx), sides(ctx)
    d = deals.join(owner, deals.lead_id == owner.lead_id).select(deals, owner.group)
    opened = ctx.scope.within(d.created)
    still_open = opened & d.closed.isnull()
    won = d.won.fill_null(False) & ctx.scope.within(d.closed)  # a deal open at ``at`` has no close yet
    money = d.amount.cast("float64")
    return _totals(
        d,
        {
            "opportunities": d.id.count(where=opened),
            "pipeline": money.sum(where=opened),
            "open": d.id.count(where=still_open),
            "open_pipeline": money.sum(where=still_open),
            "won": d.id.count(where=won),
            "revenue": money.sum(where=won),
        },
    )


def _row(name: str, found: Row, whole: Row) -> Row:
    counts = {key: int(found.get(key) or 0) for key in ("leads", "opportunities", "open", "won")}
    money = {key: float(found.get(key) or 0.0) for key in ("pipeline", "open_pipeline", "revenue")}
    return {
        "group": name,
        **counts,
        **money,
        "pipeline_share": share(money["pipeline"], float(whole.get("pipeline") or 0.0)),
        "revenue_share": share(money["revenue"], float(whole.get("revenue") or 0.0)),
    }


def sourced(ctx: Context) -> Report:
    """Leads, pipeline and revenue of marketing-sourced and sales-sourced leads, and each side's share."""
    counted, money = _leads(ctx), _pipeline(ctx)
    found = {name: {**counted.get(name, {}), **money.get(name, {})} for name in (*SIDES, "all")}
    rows = [_row(name, found[name], found["all"]) for name in (*SIDES, "all")]
    named = ", ".join(ctx.agreement.sales_sources)
    return Report(
        name="sourced",
        title="Marketing-sourced and sales-sourced pipeline and revenue",
        columns=COLUMNS,
        rows=tuple(rows),
        scope=ctx.scope.describe(ctx.agreement),
        notes=(
            f"Sales-sourced: leads whose source is one of {named}; every other lead is marketing-sourced."
            if named
            else "The agreement names no sales sources: every lead is marketing-sourced.",
            "Pipeline: deals opened in the range; won revenue: deals won with their close in the range.",
        ),
    )


REPORT = Definition(
    name="sourced",
    summary="Share of pipeline and revenue from marketing-sourced and sales-sourced leads.",
    help=(
        "A lead is sales-sourced when its source is one of the agreement's sales_sources. Pipeline is the deals "
        "opened in the range; revenue is the deals won with their close in the range."
    ),
    compute=sourced,
)
