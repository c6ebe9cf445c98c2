"""Attribution: the pipeline and revenue each campaign is credited with, under one of six models.

**Touches.** A lead's touches are its recorded events that carry a campaign (every such event, whether the
agreement scores its type or not), and its capture: a lead captured with a campaign has touched that
campaign at the moment it was captured. The capture is left out when one of the lead's events already
carries the same campaign at or before that moment, as the demo's and most forms' first event does (the
form fill, the badge scan, the webinar sign-up is the capture); it is what gives a credit to the campaigns
whose leads arrive without an event, such as a purchased list or a CSV import of leads. Touches are ordered
by time, then by event id, a capture coming before an event at the same second. Only events that happened
by ``at`` count.

**Deals and their journeys.** Pipeline: each opportunity created in the date range (by ``at``) that is open
or won at ``at``, its amount credited over the lead's touches made before the deal was created. Revenue: each
opportunity won in the date range (by ``at``), its amount credited over the lead's touches made before it
was won. A deal's journey is those touches, ``n`` of them, in order; its moment is its creation (pipeline)
or its win (revenue). A lead with several deals has a journey per deal.

**Models.** Each model gives every touch of a journey a credit; a deal's credits sum to 1, so each deal's
amount is shared out whole and the campaigns' credits add up to the deals' amounts. Raw weights are divided
by their sum over the journey, which is what settles the degenerate cases below.

- ``first``: the first touch gets 1.
- ``last``: the last touch gets 1.
- ``linear``: each touch gets 1/n.
- ``u_shaped``: 40 % to the first touch, 40 % to the last, 20 % shared equally by the touches between them.
  One touch gets all of it; two touches get 50 % each.
- ``w_shaped``: three milestone touches get 30 % each: the first touch, the lead-creation touch (the last
  touch at or before the moment the lead first became an MQL) and the opportunity-creation touch (the last
  touch before the deal was created: for pipeline the journey's last touch; for revenue the touches between
  the deal's creation and its win are not milestones). The other touches share 10 % equally. A touch that
  is several milestones gets their shares added (first and lead creation: 60 %). When a milestone has no
  touch (no touch before the MQL or before the deal's creation), or no touch is left besides the milestones,
  the shares given are scaled up to sum to 1: one touch gets all; two touches where the first is also the
  lead-creation touch get 2/3 and 1/3; three touches that are the three milestones get 1/3 each.
- ``time_decay``: a touch made Δ before the deal's moment weighs 2^(-Δ / 7 days); each touch gets its
  weight over the sum of the journey's weights.

**Rows.** One row per campaign a credited journey touched: the pipeline and revenue credited to it and the
deals touched (the deals, pipeline or revenue, whose journey holds a touch of it, whatever credit that touch
got: a deal counts once in each campaign it touched, so that column does not add up). Deals with no touch
before their moment go whole to the row "(no touch)", so that the last row "all", the amounts of all the
deals, equals the sum of the rows above it.
"""

from __future__ import annotations

from typing import Any

import ibis

from leadpact.analytics.history import Context, fetch, keep, leads, opportunities, reached
from leadpact.analytics.rescore import Table, decay_factor, real
from leadpact.domain.report import Column, Definition, Kind, Option, Report, Row

MODELS = ("first", "last", "linear", "u_shaped", "w_shaped", "time_decay")

RULES = {
    "first": "the first touch before each deal gets all of its amount",
    "last": "the last touch before each deal gets all of its amount",
    "linear": "each touch before a deal gets an equal share of its amount",
    "u_shaped": "40 % to the first touch, 40 % to the last, 20 % shared by the touches between",
    "w_shaped": "30 % each to the first, the lead-creation and the opportunity-creation touch, 10 % shared by the rest",
    "time_decay": "each touch weighs 2^(-days before the deal / 7), shares in proportion to the weights",
}

HALF_LIFE_DAYS = 7.0
"""The time-decay model's half-life: a touch a week before the deal weighs half as much as one at it."""

NO_TOUCH = "(no touch)"

JOURNEY = ("measure", "deal_id")
"""What identifies a journey: a deal, once for the pipeline it opened and once for the revenue it won."""

COLUMNS = (
    Column("campaign", "campaign", Kind.TEXT),
    Column("channel", "channel", Kind.TEXT),
    Column("pipeline", "pipeline credited", Kind.MONEY),
    Column("revenue", "revenue credited", Kind.MONEY),
    Column("deals", "deals touched"),
)


def touches(ctx: Context, of: Table) -> Table:
    """Every touch made by ``at`` by the leads in ``of`` (a table with lead_id: the deals, whose leads' touches
    are all the report credits, a few among all the events): lead_id, campaign_id, at (UTC seconds), seq (event
    id; 0 for a capture)."""
    e = ctx.table("events")
    e = e.semi_join(of, e.lead_id == of.lead_id)
    events = e.select(
        lead_id=e.lead_id.cast("int64"),
        campaign_id=e.campaign_id.cast("int64"),
        at=e.occurred_at.cast("int64"),
        seq=e.id.cast("int64"),
    )
    events = events.filter(events.campaign_id.notnull() & (events.at <= ctx.scope.at))
    lead = leads(ctx)
    captured = lead.filter(lead.campaign_id.notnull()).semi_join(of, lead.lead_id == of.lead_id)
    recorded = [
        captured.lead_id == events.lead_id,
        captured.campaign_id == events.campaign_id,
        events.at <= captured.created,
    ]
    captures = captured.anti_join(events, recorded).select(
        lead_id=captured.lead_id.cast("int64"),
        campaign_id=captured.campaign_id.cast("int64"),
        at=captured.created,
        seq=ibis.literal(0, type="int64"),
    )
    return events.union(captures, distinct=False)


def deals(ctx: Context) -> Table:
    """The deals credited: measure ("pipeline" or "revenue"), deal_id, lead_id, amount, created, moment."""
    o = opportunities(ctx)

    def part(measure: str, rows: Table, moment: Any) -> Table:
        return rows.select(
            measure=ibis.literal(measure),
            deal_id=rows.id.cast("int64"),
            lead_id=rows.lead_id.cast("int64"),
            amount=rows.amount.cast("float64"),
            created=rows.created,
            moment=moment,
        )

    opened = o.filter(ctx.scope.within(o.created) & o.won.fill_null(True))
    won = o.filter(o.won.fill_null(False) & ctx.scope.within(o.closed))
    return part("pipeline", opened, opened.created).union(part("revenue", won, won.closed), distinct=False)


def journeys(ctx: Context, d: Table, t: Table) -> Table:
    """Each deal's touches before its moment, one row per touch, with its position in the journey.

    Columns: the deal's, campaign_id, at, seq, mql (when the lead first became an MQL), pos (0 for the
    first touch), n (the journey's length), and the positions of the lead-creation and opportunity-creation
    touches (-1: none). ``d`` is the ``deals``, ``t`` their leads' ``touches``.
    """
    joined = d.inner_join(t, [d.lead_id == t.lead_id, t.at < d.moment]).select(
        d.measure, d.deal_id, d.lead_id, d.amount, d.created, d.moment, t.campaign_id, t.at, t.seq
    )
    stages = reached(ctx)
    joined = joined.left_join(stages, joined.lead_id == stages.lead_id).select(joined, mql=stages.mql)
    journey = list(JOURNEY)

    def touches_until(condition: Any) -> Any:
        return condition.ifelse(1, 0).sum().over(group_by=journey)

    # Touches are in time order, so those at or before a moment come first: the last of them sits at their
    # count less one.
    return joined.mutate(
        pos=ibis.row_number().over(group_by=journey, order_by=[joined.at, joined.seq]),
        n=joined.seq.count().over(group_by=journey),
        lead_made=touches_until(joined.at <= joined.mql) - 1,
        deal_made=touches_until(joined.at < joined.created) - 1,
    )


def _share(flag: Any, con: Any, weight: float) -> Any:
    return flag.ifelse(real(con, weight), real(con, 0.0))


def _rest(t: Table, roles: Any, con: Any, weight: float) -> Any:
    """``weight`` shared equally by the touches of the journey that hold no role."""
    others = (~roles).ifelse(1, 0).sum().over(group_by=list(JOURNEY))
    return (~roles).ifelse(real(con, weight) / ibis.greatest(others, 1).cast("float64"), real(con, 0.0))


def raw_weight(t: Table, model: str, con: Any) -> Any:
    """Each touch's weight under ``model`` before it is divided by the journey's sum of weights."""
    first = t.pos == 0
    last = t.pos == t.n - 1
    if model == "first":
        return _share(first, con, 1.0)
    if model == "last":
        return _share(last, con, 1.0)
    if model == "linear":
        return real(con, 1.0)
    if model == "u_shaped":
        return _share(first, con, 0.4) + _share(last, con, 0.4) + _rest(t, first | last, con, 0.2)
    if model == "w_shaped":
        lead_creation = t.pos == t.lead_made
        opportunity_creation = t.pos == t.deal_made
        roles = first | lead_creation | opportunity_creation
        milestones = _share(first, con, 0.3) + _share(lead_creation, con, 0.3) + _share(opportunity_creation, con, 0.3)
        return milestones + _rest(t, roles, con, 0.1)
    return decay_factor(t.moment - t.at, HALF_LIFE_DAYS)


def credits(ctx: Context, d: Table, t: Table, model: str) -> Table:
    """Each touch's credited amount: the journey's columns and credit (amount times the touch's share)."""
    t = journeys(ctx, d, t)
    weighted = t.mutate(weight=raw_weight(t, model, ctx.con))
    total = weighted.weight.sum().over(group_by=list(JOURNEY))
    return weighted.mutate(credit=weighted.amount * weighted.weight / total)


def _sums(t: Table, value: str) -> dict[str, Any]:
    return {
        "pipeline": t[value].sum(where=t.measure == "pipeline"),
        "revenue": t[value].sum(where=t.measure == "revenue"),
        "deals": t.deal_id.nunique(),
    }


def per_campaign(ctx: Context, d: Table, t: Table, model: str) -> list[Row]:
    """One row per campaign a journey touched: campaign, channel, pipeline, revenue, deals."""
    c = credits(ctx, d, t, model)
    sums = c.group_by("campaign_id").aggregate(**_sums(c, "credit"))
    campaigns = ctx.table("campaigns")
    named = sums.inner_join(campaigns, sums.campaign_id == campaigns.id).select(
        sums.pipeline, sums.revenue, sums.deals, campaign=campaigns.name, channel=campaigns.channel
    )
    return [_row(r["campaign"], r["channel"], r) for r in fetch(named)]


def untouched(d: Table, t: Table) -> Row:
    """The deals with no touch before their moment, as one row."""
    bare = d.anti_join(t, [d.lead_id == t.lead_id, t.at < d.moment])
    return _row(NO_TOUCH, None, fetch(bare.aggregate(**_sums(bare, "amount")))[0])


def everything(d: Table) -> Row:
    """All the deals credited, as one row: their amounts and how many there are."""
    return _row("all", None, fetch(d.aggregate(**_sums(d, "amount")))[0])


def _row(campaign: str, channel: str | None, sums: Row) -> Row:
    return {
        "campaign": campaign,
        "channel": channel,
        "pipeline": float(sums["pipeline"] or 0.0),
        "revenue": float(sums["revenue"] or 0.0),
        "deals": int(sums["deals"] or 0),
    }


def attribution(ctx: Context, model: str) -> Report:
    """Pipeline and revenue credited to campaigns under ``model``, a row per campaign, then "(no touch)", "all"."""
    d = keep(ctx.con, deals(ctx))
    t = keep(ctx.con, touches(ctx, d))
    rows = sorted(per_campaign(ctx, d, t, model), key=lambda r: (-r["revenue"], -r["pipeline"], r["campaign"]))
    bare = untouched(d, t)
    if bare["deals"]:
        rows.append(bare)
    return Report(
        name="attribution",
        title=f"Attribution to campaigns, {model.replace('_', '-')} model",
        columns=COLUMNS,
        rows=(*rows, everything(d)),
        scope=ctx.scope.describe(ctx.agreement),
        notes=(
            f"{model}: {RULES[model]}.",
            "Pipeline: deals created in the range that are open or won; revenue: deals won in the range. "
            "Each deal's amount is shared over its lead's campaign touches before it was created (pipeline) "
            "or won (revenue); a deal with none goes to (no touch).",
            "A deal counts once in every campaign it touched, so deals touched does not add up to all.",
        ),
    )


REPORT = Definition(
    name="attribution",
    summary="Pipeline and revenue credited to campaigns from the touches before each deal.",
    help=(
        "Pipeline is the deals created in the range that are open or won; revenue is the deals won in the range. "
        "Deals with no campaign touch are shown as (no touch), so the totals match the deals' amounts. The notes "
        "state the model's rule; docs/reports.md has them all."
    ),
    compute=attribution,
    options=(
        Option(
            "model", MODELS, "u_shaped", "How credit is shared: first, last, linear, u_shaped, w_shaped or time_decay."
        ),
    ),
)
