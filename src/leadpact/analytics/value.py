"""What a lead is worth, by source, campaign or grade, and so the most marketing should pay for one.

- **Leads** are the funnel's cohort (the leads captured in the date range); **MQL** and **won** count the
  cohort's leads that ever reached those stages by ``at``; **won revenue** is the amount of their deals won by
  ``at``. By source and campaign the leads are grouped as the costs report groups them (a lead's source is its
  first-touch campaign's channel, else its recorded source), so cost per lead lines up; by grade, by the grade
  of the lead's fit before sales' answers.
- **Won revenue per lead** and **per MQL** divide the won revenue by those counts.
- **Expected value of a new lead** = conversion (won / leads) * average won deal (won revenue / won deals).
  Its spread: the conversion's 95 % Wilson score interval (a binomial interval that stays within 0 and 1 on
  small counts) times the 95 % interval of the average deal (mean ± 1.96 standard errors of the won deals'
  amounts, not below 0). A group with fewer than two won deals has no spread of its own: its average deal's
  interval is the whole cohort's (and none while the cohort has fewer than two won deals either).
- **Cost per lead** is the costs report's: the campaign costs in the range over the group's leads (none by
  grade, and none for a group with no cost recorded). **The most to pay for a lead** is its expected value:
  paying more loses money on average; the low end of the spread is the cautious bid. **Headroom** is that
  most minus the cost per lead now paid.

Leads still open count in the conversion as not won yet, so a recent cohort's value is understated; pick a
range whose leads have had time to close.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ibis

from leadpact.analytics.calibration import Z95, wilson
from leadpact.analytics.costs import _costs, _leads
from leadpact.analytics.funnel import per_lead
from leadpact.analytics.history import Context, fetch, keep, opportunities
from leadpact.analytics.rescore import Table
from leadpact.domain.report import Column, Definition, Kind, Option, Report, Row, per, share

BY = ("source", "campaign", "grade")

COLUMNS = (
    Column("leads", "leads"),
    Column("mql", "MQL"),
    Column("won", "won"),
    Column("revenue", "won revenue", Kind.MONEY),
    Column("revenue_per_lead", "per lead", Kind.MONEY),
    Column("revenue_per_mql", "per MQL", Kind.MONEY),
    Column("conversion", "lead→won", Kind.SHARE),
    Column("conversion_low", "lead→won low", Kind.SHARE),
    Column("conversion_high", "lead→won high", Kind.SHARE),
    Column("average_deal", "average deal", Kind.MONEY),
    Column("expected_value", "expected value", Kind.MONEY),
    Column("expected_low", "value low", Kind.MONEY),
    Column("expected_high", "value high", Kind.MONEY),
    Column("cost_per_lead", "cost per lead", Kind.MONEY),
    Column("max_cost_per_lead", "pay at most", Kind.MONEY),
    Column("headroom", "headroom", Kind.MONEY),
)


@dataclass(frozen=True)
class Deals:
    """The won deals of a group: how many, the sum of their amounts and of their squares."""

    n: int
    total: float
    squares: float

    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    def interval(self) -> tuple[float, float] | None:
        """The 95 % interval of the mean amount (not below 0), or None with fewer than two deals."""
        if self.n < 2:
            return None
        mean = self.total / self.n
        variance = max(0.0, (self.squares - self.n * mean**2) / (self.n - 1))
        half = Z95 * math.sqrt(variance / self.n)
        return max(0.0, mean - half), mean + half


def _deals(t: Table, deals: Table, group: list[str]) -> dict[str | None, Deals]:
    """Per group (or None, for all), the cohort's deals won by ``at``."""
    won = deals.filter(deals.won == ibis.literal(True))
    joined = t.join(won, t.lead_id == won.lead_id).select(
        *(t[g] for g in group), deal=won.id, amount=won.amount.cast("float64")
    )
    aggregates = {"n": joined.deal.count(), "total": joined.amount.sum(), "squares": (joined.amount**2).sum()}
    grouped = joined.group_by(group).aggregate(**aggregates) if group else joined.aggregate(**aggregates)
    return {
        (str(row["group"]) if group else None): Deals(
            int(row["n"] or 0), float(row["total"] or 0), float(row["squares"] or 0)
        )
        for row in fetch(grouped)
    }


def _row(name: str, counts: Row, deals: Deals, cohort: Deals, cost: float | None, costed: bool) -> Row:
    leads, mql, won = (int(counts.get(k) or 0) for k in ("leads", "mql", "customer"))
    revenue = float(counts.get("revenue") or 0.0)
    conversion = share(won, leads)
    lowest, highest = wilson(won, leads)
    average = deals.mean()
    expected = None if conversion is None else conversion * (average or 0.0)
    spread = deals.interval() or cohort.interval()
    low = high = None
    if lowest is not None and highest is not None and spread is not None:
        low, high = lowest * spread[0], highest * spread[1]
    cost_per_lead = per(cost, leads) if costed else None
    return {
        "group": name,
        "leads": leads,
        "mql": mql,
        "won": won,
        "revenue": revenue,
        "revenue_per_lead": share(revenue, leads),
        "revenue_per_mql": share(revenue, mql),
        "conversion": conversion,
        "conversion_low": lowest,
        "conversion_high": highest,
        "average_deal": average,
        "expected_value": expected,
        "expected_low": low,
        "expected_high": high,
        "cost_per_lead": cost_per_lead,
        "max_cost_per_lead": expected,
        "headroom": None if expected is None or cost_per_lead is None else expected - cost_per_lead,
    }


def value(ctx: Context, by: str) -> Report:
    """One row per ``by`` group, the most leads first, and a last row for the whole cohort."""
    costed = by != "grade"
    t = _leads(ctx, by) if costed else per_lead(ctx, by)
    t = keep(ctx.con, t.select("group", "lead_id", "mql", "customer", "revenue"))  # read four times: joined once
    spent, spent_in_all = _costs(ctx, by) if costed else ({}, None)
    deals = opportunities(ctx)
    aggregates = {
        "leads": t.lead_id.count(),
        "mql": t.mql.count(),
        "customer": t.customer.count(),
        "revenue": t.revenue.sum(),
    }
    counted = {str(row["group"]): row for row in fetch(t.group_by("group").aggregate(**aggregates))}
    won = _deals(t, deals, ["group"])
    cohort = _deals(t, deals, []).get(None, Deals(0, 0.0, 0.0))
    rows = [
        _row(name, row, won.get(name, Deals(0, 0.0, 0.0)), cohort, spent.get(name), costed)
        for name, row in counted.items()
    ]
    if by == "grade":
        order = [g.grade for g in ctx.agreement.grades]
        rows.sort(key=lambda row: order.index(row["group"]) if row["group"] in order else len(order))
    else:
        rows.sort(key=lambda row: (-row["leads"], row["group"]))
    total = _row("all", fetch(t.aggregate(**aggregates))[0], cohort, cohort, spent_in_all, costed)
    return Report(
        name="value",
        title=f"What a lead is worth by {by}",
        columns=(Column("group", by, Kind.TEXT), *COLUMNS),
        rows=(*rows, total),
        scope=ctx.scope.describe(ctx.agreement),
        notes=(
            "Expected value of a new lead = lead→won * average won deal; low and high: the 95 % Wilson interval of "
            "lead→won times the 95 % interval of the average deal (the cohort's when a group has fewer than 2 wins).",
            "Pay at most the expected value per lead (value low is the cautious bid); headroom = that - cost per lead.",
            "Leads still open count as not won: a recent cohort's value is understated.",
        )
        + (() if costed else ("Costs are recorded by campaign, so there is no cost per lead by grade.",)),
    )


REPORT = Definition(
    name="value",
    summary="What a lead is worth: won revenue per lead and MQL, expected value with its spread, and cost per lead.",
    help=(
        "Per source, campaign or grade of the leads captured in the range: won revenue per lead and per MQL, the "
        "expected value of a new lead (lead→won conversion * average won deal) with a 95 % interval from a Wilson "
        "interval on the conversion and the spread of the won deals' amounts, next to the cost per lead: the most "
        "to pay for a lead is its expected value."
    ),
    compute=value,
    options=(Option("by", BY, "source", "Group by source (the campaigns' channel), campaign or grade."),),
)
