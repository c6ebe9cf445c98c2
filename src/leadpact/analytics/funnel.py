"""The funnel: how the leads captured in a period climbed from inquiry to won, by source, campaign, month or grade.

The funnel follows a cohort: the leads captured in the date range. A lead counts at a stage if its stage
history shows it ever reached that stage by ``at``, so a lead that was later recycled, lost or disqualified
still counts where it got to, and a lead that went round twice counts once. Under a screening section the
leads that went to the qualifiers count as screened (a lead passed from screening counts as an MQL too). Won
revenue is the amount of the cohort's deals won by ``at``. Each conversion rate is a stage's count over the one
before it. The days between two stages are from the first time the lead reached the first to the first time it
reached the second, for the leads that reached both; the report gives their median.
"""

from __future__ import annotations

from typing import Any

import ibis

from leadpact.analytics.history import (
    DAY,
    FUNNEL,
    Context,
    cohort,
    keep,
    month_of,
    opportunities,
    quantiles,
    reached,
    span,
)
from leadpact.analytics.replay import fits
from leadpact.analytics.rescore import Table
from leadpact.domain.report import Column, Definition, Kind, Option, Report, Row, share

BY = ("source", "campaign", "month", "grade")

STEPS = (
    ("to_mql", "created", "mql"),
    ("mql_to_sal", "mql", "sal"),
    ("sal_to_sql", "sal", "sql"),
    ("sql_to_opportunity", "sql", "opportunity"),
    ("opportunity_to_won", "opportunity", "customer"),
)
"""The steps whose median duration the funnel shows: (name, from moment, to moment)."""

COLUMNS = (
    Column("leads", "leads"),
    Column("screened", "screened"),
    Column("mql", "MQL"),
    Column("sal", "SAL"),
    Column("sql", "SQL"),
    Column("opportunity", "opportunities"),
    Column("won", "won"),
    Column("revenue", "won revenue", Kind.MONEY),
    Column("mql_rate", "MQL/lead", Kind.SHARE),
    Column("sal_rate", "SAL/MQL", Kind.SHARE),
    Column("sql_rate", "SQL/SAL", Kind.SHARE),
    Column("opportunity_rate", "opp/SQL", Kind.SHARE),
    Column("won_rate", "won/opp", Kind.SHARE),
    Column("days_to_mql", "days to MQL", Kind.DAYS),
    Column("days_mql_to_sal", "MQL→SAL days", Kind.DAYS),
    Column("days_sal_to_sql", "SAL→SQL days", Kind.DAYS),
    Column("days_sql_to_opportunity", "SQL→opp days", Kind.DAYS),
    Column("days_opportunity_to_won", "opp→won days", Kind.DAYS),
)


def per_lead(ctx: Context, by: str) -> Table:
    """The cohort, one row per lead: group, created, the first moment of each funnel stage, won revenue."""
    leads = cohort(ctx)
    stages = reached(ctx)
    deals = opportunities(ctx)
    won = deals.filter(deals.won.fill_null(False))
    revenue = won.group_by("lead_id").aggregate(revenue=won.amount.sum())
    t = leads.left_join(stages, leads.lead_id == stages.lead_id).select(leads, *(stages[s.value] for s in FUNNEL))
    t = t.left_join(revenue, t.lead_id == revenue.lead_id).select(t, revenue=revenue.revenue.fill_null(0.0))
    if by == "source":
        return t.mutate(group=t.source)
    if by == "campaign":
        campaigns = ctx.table("campaigns")
        joined = t.left_join(campaigns, t.campaign_id == campaigns.id)
        return joined.select(t, group=campaigns.name.fill_null("(none)"))
    if by == "month":
        return t.mutate(group=month_of(ctx.agreement, t.created, span(t, "created")))
    graded = fits(ctx.con, ctx.agreement)
    joined = t.left_join(graded, t.lead_id == graded.lead_id)
    return joined.select(t, group=graded.grade)


def counts(t: Table, group: list[str]) -> list[Row]:
    """Per group (or in all, with no group): leads, the leads that reached each funnel stage, won revenue."""
    aggregates = {
        "leads": t.lead_id.count(),
        **{stage.value: t[stage.value].count() for stage in FUNNEL},
        "revenue": t.revenue.sum(),
    }
    grouped = t.group_by(group).aggregate(**aggregates) if group else t.aggregate(**aggregates)
    rows: list[Row] = grouped.to_pyarrow().to_pylist()
    return rows


def _medians(ctx: Context, t: Table, group: list[str]) -> dict[Any, dict[str, float]]:
    parts = [
        t.filter(t[start].notnull() & t[end].notnull()).select(
            *group, step=ibis.literal(name), days=(t[end] - t[start]).cast("float64") / DAY
        )
        for name, start, end in STEPS
    ]
    durations = parts[0].union(*parts[1:], distinct=False)
    medians = quantiles(ctx.con, durations, "days", [*group, "step"], {"median": 0.5}).to_pyarrow().to_pylist()
    out: dict[Any, dict[str, float]] = {}
    for row in medians:
        out.setdefault(row.get("group"), {})[row["step"]] = row["median"]
    return out


def _row(name: str, counts: Row, medians: dict[str, float]) -> Row:
    n = {key: int(counts.get(key) or 0) for key in ("leads", *(s.value for s in FUNNEL))}
    return {
        "group": name,
        "leads": n["leads"],
        "screened": n["screening"],
        "mql": n["mql"],
        "sal": n["sal"],
        "sql": n["sql"],
        "opportunity": n["opportunity"],
        "won": n["customer"],
        "revenue": float(counts.get("revenue") or 0.0),
        "mql_rate": share(n["mql"], n["leads"]),
        "sal_rate": share(n["sal"], n["mql"]),
        "sql_rate": share(n["sql"], n["sal"]),
        "opportunity_rate": share(n["opportunity"], n["sql"]),
        "won_rate": share(n["customer"], n["opportunity"]),
        **{f"days_{step}": medians.get(step) for step, _, _ in STEPS},
    }


def funnel(ctx: Context, by: str) -> Report:
    """The cohort's funnel, one row per ``by`` group and a last row for all of it."""
    t = per_lead(ctx, by)
    t = keep(ctx.con, t.select("group", "lead_id", "created", *(s.value for s in FUNNEL), "revenue"))  # read 4 times
    medians = _medians(ctx, t, ["group"])
    rows = [_row(str(c["group"]), c, medians.get(c["group"], {})) for c in counts(t, ["group"])]
    if by == "grade":
        order = [g.grade for g in ctx.agreement.grades]
        present = {row["group"] for row in rows}
        rows += [_row(g, {}, {}) for g in order if g not in present]
        rows.sort(key=lambda row: order.index(row["group"]))
    elif by == "month":
        rows.sort(key=lambda row: row["group"])
    else:
        rows.sort(key=lambda row: (-row["leads"], row["group"]))
    total = _row("all", counts(t, [])[0], _medians(ctx, t, []).get(None, {}))
    return Report(
        name="funnel",
        title=f"Funnel by {by}",
        columns=(Column("group", by, Kind.TEXT), *COLUMNS),
        rows=(*rows, total),
        scope=ctx.scope.describe(ctx.agreement),
        notes=("A lead counts at every stage it ever reached; days are medians between first arrivals.",),
    )


REPORT = Definition(
    name="funnel",
    summary="Leads captured in the period and how far they got: MQL, SAL, SQL, opportunity, won, revenue.",
    help=(
        "A lead counts at every stage it ever reached, even if it was recycled or lost later. Also each step's "
        "conversion rate and the median days between first arrivals at each stage (the table shows them with "
        "--wide; --json and --csv always)."
    ),
    compute=funnel,
    options=(Option("by", BY, "source", "Group by source, campaign, month (of capture) or grade."),),
)
