"""Sales feedback, summed up for marketing: the competitors met, the product requests, the messages that worked.

The feedback counted is what reps recorded in the date range, by ``at`` (``leadpact feedback``, or with the
contact, lost and won commands).

- **Competitors**, one row each: the leads at whose contact reps met it, the deals lost to it (in all and at
  each sales stage the deal was lost at) and the deals won against it; the amounts of those lost and won deals,
  and the win rate against it (won / (won + lost)).
- **Product requests**, one row each: how often reps recorded it and for how many leads; the revenue at stake is
  the amount of those leads' deals still open at ``at`` (open pipeline) and of those lost by ``at`` (lost).
- **Messages** (or campaigns) that opened the door, one row each: how often reps named it and for how many leads,
  and the won deals and won revenue of those leads by ``at``: the messages that worked, best first.

Every value of the agreement's lists is listed, named or not; a value recorded under an earlier agreement (or a
campaign named as the message) is listed too. A lead's deal counts once per value, however often it was named.
"""

from __future__ import annotations

from typing import Any

import ibis

from leadpact.analytics.history import Context, fetch, opportunities, seconds
from leadpact.analytics.rescore import Table
from leadpact.domain.report import Column, Definition, Kind, Report, Row, share


def recorded(ctx: Context) -> Table:
    """The feedback recorded in the date range by ``at``: id, lead_id, opportunity_id, moment, competitor,
    message."""
    f = ctx.table("feedback")
    out = f.select(
        id=f.id,
        lead_id=f.lead_id,
        opportunity_id=f.opportunity_id,
        moment=f.moment,
        competitor=f.competitor,
        message=f.message,
        at=seconds(f.at),
    )
    return out.filter(ctx.scope.within(out.at))


def _listed(listed: tuple[str, ...], found: dict[str, Any]) -> list[str]:
    """The agreement's values in its order, then any other value found, alphabetically."""
    return [*listed, *sorted(v for v in found if v not in listed)]


def _competitors(ctx: Context, f: Table, deals: Table) -> Report:
    named = f.filter(f.competitor.notnull()).select("competitor", "moment", "lead_id", "opportunity_id").distinct()
    joined = named.left_join(deals, named.opportunity_id == deals.id)
    rows = fetch(
        joined.group_by(competitor=named.competitor, moment=named.moment, stage=deals.stage).aggregate(
            n=named.lead_id.count(), amount=deals.amount.sum()
        )
    )
    stages = ctx.agreement.stage_names()
    found: dict[str, Row] = {}
    for r in rows:
        row = found.setdefault(
            r["competitor"], {"contact": 0, "lost": 0, "won": 0, "lost_amount": 0.0, "won_amount": 0.0}
        )
        row[r["moment"]] += r["n"]
        if r["moment"] in ("lost", "won"):
            row[f"{r['moment']}_amount"] += float(r["amount"] or 0.0)
        if r["moment"] == "lost" and r["stage"] in stages:
            row[f"lost_at_{r['stage']}"] = row.get(f"lost_at_{r['stage']}", 0) + r["n"]
    listed = ctx.agreement.feedback.competitors if ctx.agreement.feedback else ()
    out = []
    for name in _listed(listed, found):
        row = {"contact": 0, "lost": 0, "won": 0, "lost_amount": 0.0, "won_amount": 0.0, **found.get(name, {})}
        out.append(
            {
                "competitor": name,
                **row,
                **{f"lost_at_{s}": row.get(f"lost_at_{s}", 0) for s in stages},
                "win_rate": share(row["won"], row["won"] + row["lost"]),
            }
        )
    return Report(
        name="feedback",
        title="Sales feedback: competitors",
        columns=(
            Column("competitor", "competitor", Kind.TEXT),
            Column("contact", "met at contact"),
            Column("lost", "lost to"),
            *(Column(f"lost_at_{s}", f"lost at {s}") for s in stages),
            Column("won", "won against"),
            Column("lost_amount", "lost revenue", Kind.MONEY),
            Column("won_amount", "won revenue", Kind.MONEY),
            Column("win_rate", "win rate", Kind.SHARE),
        ),
        rows=tuple(out),
        scope=ctx.scope.describe(ctx.agreement),
    )


def _requests(ctx: Context, f: Table, deals: Table) -> Report:
    r = ctx.table("feedback_requests")
    named = r.join(f, r.feedback_id == f.id).select(request=r.request, lead_id=f.lead_id, id=f.id)
    counts = {
        row["request"]: row
        for row in fetch(named.group_by("request").aggregate(mentions=named.id.count(), leads=named.lead_id.nunique()))
    }
    asked = named.select("request", "lead_id").distinct()
    money = asked.join(deals, asked.lead_id == deals.lead_id)
    at_stake = {
        row["request"]: row
        for row in fetch(
            money.group_by(request=asked.request).aggregate(
                open_amount=deals.amount.sum(where=deals.closed.isnull()),
                lost_amount=deals.amount.sum(where=deals.won == ibis.literal(False)),
            )
        )
    }
    listed = ctx.agreement.feedback.product_requests if ctx.agreement.feedback else ()
    rows: list[Row] = [
        {
            "request": name,
            "mentions": int(counts.get(name, {}).get("mentions") or 0),
            "leads": int(counts.get(name, {}).get("leads") or 0),
            "open_amount": float(at_stake.get(name, {}).get("open_amount") or 0.0),
            "lost_amount": float(at_stake.get(name, {}).get("lost_amount") or 0.0),
        }
        for name in _listed(listed, counts)
    ]
    rows.sort(key=lambda row: (-row["mentions"], -(row["open_amount"] + row["lost_amount"])))
    return Report(
        name="feedback",
        title="Sales feedback: product requests",
        columns=(
            Column("request", "product request", Kind.TEXT),
            Column("mentions", "times asked"),
            Column("leads", "leads"),
            Column("open_amount", "open pipeline", Kind.MONEY),
            Column("lost_amount", "lost", Kind.MONEY),
        ),
        rows=tuple(rows),
        scope=ctx.scope.describe(ctx.agreement),
    )


def _messages(ctx: Context, f: Table, deals: Table) -> Report:
    named = f.filter(f.message.notnull())
    counts = {
        row["message"]: row
        for row in fetch(named.group_by("message").aggregate(mentions=named.id.count(), leads=named.lead_id.nunique()))
    }
    opened = named.select("message", "lead_id").distinct()
    won = deals.filter(deals.won == ibis.literal(True))
    joined = opened.join(won, opened.lead_id == won.lead_id)
    worked = {
        row["message"]: row
        for row in fetch(
            joined.group_by(message=opened.message).aggregate(won=won.id.count(), revenue=won.amount.sum())
        )
    }
    listed = ctx.agreement.feedback.messages if ctx.agreement.feedback else ()
    rows: list[Row] = [
        {
            "message": name,
            "mentions": int(counts.get(name, {}).get("mentions") or 0),
            "leads": int(counts.get(name, {}).get("leads") or 0),
            "won": int(worked.get(name, {}).get("won") or 0),
            "revenue": float(worked.get(name, {}).get("revenue") or 0.0),
        }
        for name in _listed(listed, counts)
    ]
    rows.sort(key=lambda row: (-row["revenue"], -row["mentions"]))
    return Report(
        name="feedback",
        title="Sales feedback: messages that opened the door",
        columns=(
            Column("message", "message or campaign", Kind.TEXT),
            Column("mentions", "times named"),
            Column("leads", "leads"),
            Column("won", "won deals"),
            Column("revenue", "won revenue", Kind.MONEY),
        ),
        rows=tuple(rows),
        scope=ctx.scope.describe(ctx.agreement),
    )


def feedback(ctx: Context) -> Report:
    """Competitors by stage and outcome, then product requests and messages as further sections."""
    f = recorded(ctx)
    deals = opportunities(ctx)
    main = _competitors(ctx, f, deals)
    return Report(
        name=main.name,
        title=main.title,
        columns=main.columns,
        rows=main.rows,
        scope=main.scope,
        notes=(
            "Feedback recorded in the range; deals as they stood at --at. A deal counts once per value named.",
            "Revenue at stake of a request: its leads' open pipeline and lost deals.",
        )
        + (() if ctx.agreement.feedback else ("The agreement in force has no feedback section.",)),
        sections=(_requests(ctx, f, deals), _messages(ctx, f, deals)),
    )


REPORT = Definition(
    name="feedback",
    summary="Sales feedback: competitors by stage and outcome, product requests by revenue at stake, messages.",
    help=(
        "What reps recorded on contact, lost and won from the agreement's feedback lists: competitors met, lost to "
        "and won against; product requests with their leads' open pipeline and lost amount; the messages or "
        "campaigns that opened the door, by won revenue."
    ),
    compute=feedback,
)
