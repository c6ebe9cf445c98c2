"""Costs and return: what each source or campaign cost, what it cost per lead, qualified lead and deal, and its ROI.

- **Cost** is the sum of the campaigns' daily costs (``campaign_costs.amount``) whose day (a local date in
  the agreement's time zone) lies in the date range and is not after the local date of ``at``: a cost booked
  for a later day has not been spent yet. By source, a cost belongs to its campaign's channel (a campaign
  with no channel counts as "(none)"); by campaign, to the campaign.
- **Leads** are the cohort the funnel follows: the leads captured in the date range. By source, a lead
  belongs to its first-touch campaign's channel, and to its own recorded source only when it came with no
  campaign (or one with no channel): costs and leads then line up even where the recorded source is free
  text. By campaign, a lead belongs to its first-touch campaign ("(none)" when it has none). MQL, SQL,
  opportunities and won count the cohort's leads that ever reached that stage by ``at``, and won revenue is
  the amount of the cohort's deals won by ``at``, exactly as in the funnel.
- **Cost per** lead, MQL, SQL, opportunity and won deal is the cost over that count. **ROI** is
  (won revenue - cost) / cost: 1.5 means the group returned its cost and 150 % more.
- Every campaign (by campaign) or every campaign channel (by source) is listed, whether it brought leads in
  the range, had costs in it, both or neither, and so is every group of the cohort's leads. A group with no
  cost recorded in the range has no cost (shown empty, not as zero) and says "no cost recorded"; its costs
  per unit and its ROI cannot be computed. A cost recorded as 0 is a cost of 0.
- The last row, "all", adds up every cost in the range and the whole cohort, including leads no campaign
  brought; it has no cost only when no cost at all was recorded in the range.
"""

from __future__ import annotations

from datetime import date

import ibis

from leadpact.analytics.funnel import counts, per_lead
from leadpact.analytics.history import FUNNEL, Context, keep
from leadpact.analytics.rescore import Table
from leadpact.domain.report import Column, Definition, Kind, Option, Report, Row, per, share
from leadpact.domain.scoring import local_day

BY = ("source", "campaign")

NO_COST = "no cost recorded"

UNITS = (("lead", "leads"), ("mql", "mql"), ("sql", "sql"), ("opportunity", "opportunity"), ("won", "won"))
"""The units a cost is divided by: (name in ``cost_per_<name>``, the count column)."""

COLUMNS = (
    Column("cost", "cost", Kind.MONEY),
    Column("note", "note", Kind.TEXT),
    Column("leads", "leads"),
    Column("mql", "MQL"),
    Column("sql", "SQL"),
    Column("opportunity", "opportunities"),
    Column("won", "won"),
    Column("revenue", "won revenue", Kind.MONEY),
    Column("cost_per_lead", "per lead", Kind.MONEY),
    Column("cost_per_mql", "per MQL", Kind.MONEY),
    Column("cost_per_sql", "per SQL", Kind.MONEY),
    Column("cost_per_opportunity", "per opportunity", Kind.MONEY),
    Column("cost_per_won", "per won", Kind.MONEY),
    Column("roi", "ROI", Kind.RATIO),
)


def cost_days(ctx: Context) -> tuple[date | None, date | None, date]:
    """The local dates costs are counted on: (first or None, last or None, the day of ``at``)."""

    def day(moment: int) -> date:
        return local_day(ctx.agreement, moment)

    scope = ctx.scope
    first = day(scope.start) if scope.start is not None else None
    last = day(scope.end - 1) if scope.end is not None else None  # the range ends just before ``end``
    return first, last, day(scope.at)


def spend(ctx: Context) -> Table:
    """The costs counted, one row per cost: group_source (the campaign's channel), group_campaign, amount."""
    costs = ctx.table("campaign_costs")
    campaigns = ctx.table("campaigns")
    first, last, today = cost_days(ctx)
    counted = costs.incurred_on <= ibis.literal(today)
    if first is not None:
        counted &= costs.incurred_on >= ibis.literal(first)
    if last is not None:
        counted &= costs.incurred_on <= ibis.literal(last)
    joined = costs.filter(counted).join(campaigns, costs.campaign_id == campaigns.id)
    return joined.select(
        group_source=campaigns.channel.fill_null("(none)"),
        group_campaign=campaigns.name,
        amount=costs.amount,
    )


def _costs(ctx: Context, by: str) -> tuple[dict[str, float], float | None]:
    """The cost of each group with a cost counted, and of all of them (None: no cost counted at all)."""
    t = spend(ctx)
    rows = t.group_by(group=t[f"group_{by}"]).aggregate(cost=t.amount.sum()).to_pyarrow().to_pylist()
    total = t.aggregate(cost=t.amount.sum()).to_pyarrow().to_pylist()[0]["cost"]
    return {str(row["group"]): float(row["cost"]) for row in rows}, None if total is None else float(total)


def _groups(ctx: Context, by: str) -> list[str]:
    """Every campaign, or every campaign channel: listed whether or not they cost or brought anything."""
    campaigns = ctx.table("campaigns")
    key = campaigns.name if by == "campaign" else campaigns.channel.fill_null("(none)")
    rows = campaigns.select(group=key).distinct().to_pyarrow().to_pylist()
    return [str(row["group"]) for row in rows]


def _row(name: str, cost: float | None, counts: Row) -> Row:
    n = {key: int(counts.get(key) or 0) for key in ("leads", *(s.value for s in FUNNEL))}
    revenue = float(counts.get("revenue") or 0.0)
    row: Row = {
        "group": name,
        "cost": cost,
        "note": NO_COST if cost is None else None,
        "leads": n["leads"],
        "mql": n["mql"],
        "sql": n["sql"],
        "opportunity": n["opportunity"],
        "won": n["customer"],
        "revenue": revenue,
        "roi": None if cost is None else share(revenue - cost, cost),
    }
    for unit, count in UNITS:
        row[f"cost_per_{unit}"] = per(cost, row[count])
    return row


def _order(row: Row) -> tuple[bool, float, int, str]:
    """The costliest first, then the groups with no cost recorded, most leads first."""
    return (row["cost"] is None, -(row["cost"] or 0.0), -row["leads"], row["group"])


def _leads(ctx: Context, by: str) -> Table:
    """The funnel's cohort, grouped as the costs are: by campaign, or by the first-touch campaign's channel."""
    if by == "campaign":
        return per_lead(ctx, by)
    t = per_lead(ctx, "source")
    campaigns = ctx.table("campaigns")
    joined = t.left_join(campaigns, t.campaign_id == campaigns.id)
    return joined.select(*(t[c] for c in t.columns if c != "group"), group=ibis.coalesce(campaigns.channel, t.source))


def costs(ctx: Context, by: str) -> Report:
    """Cost, cost per funnel stage and ROI, one row per ``by`` group and a last row for all of them."""
    spent, spent_in_all = _costs(ctx, by)
    t = _leads(ctx, by)
    t = keep(ctx.con, t.select("group", "lead_id", *(s.value for s in FUNNEL), "revenue"))  # read twice: joined once
    reached = {str(row["group"]): row for row in counts(t, ["group"])}
    names = set(_groups(ctx, by)) | set(spent) | set(reached)
    rows = sorted((_row(name, spent.get(name), reached.get(name, {})) for name in names), key=_order)
    total = _row("all", spent_in_all, counts(t, [])[0])
    return Report(
        name="costs",
        title=f"Costs and ROI by {by}",
        columns=(Column("group", by, Kind.TEXT), *COLUMNS),
        rows=(*rows, total),
        scope=ctx.scope.describe(ctx.agreement),
        notes=(
            "Cost: campaign costs whose day is in the range; leads: the cohort captured in the range.",
            "ROI = (won revenue - cost) / cost; a group with no cost recorded has no cost, cost per unit or ROI.",
        ),
    )


REPORT = Definition(
    name="costs",
    summary="Cost, cost per lead, MQL, SQL, opportunity and won deal, and ROI by source or campaign.",
    help=(
        "Cost is the campaign costs whose local day is in the range (and not after --at); leads are the cohort "
        "captured in the range. A campaign with no cost recorded is listed as such, never as zero."
    ),
    compute=costs,
    options=(Option("by", BY, "source", "Group by source (the campaigns' channel) or campaign."),),
)
