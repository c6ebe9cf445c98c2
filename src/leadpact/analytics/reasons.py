"""Reasons: why reps sent leads back and why deals were lost, by stage, source or rep; and what came of them.

Two kinds of reason are counted, each once per occurrence, at its moment within the date range and by ``at``:

- **reject**: a rep's stage change from mql, sal or sql to recycled or disqualified, with its reject
  reason. Its stage is the stage the lead was rejected from, its rep the rep who rejected it.
- **lost**: a deal closed lost, with its lost reason. Its stage is the sales stage the deal was lost in,
  its rep the deal's owner.

The source is the lead's source in both. A row is a group, a kind and a reason: its count, and its share of
the group's count of that kind (the shares of one group's rejects add up to 1, and so do its losses). The
last group, "all", counts every reason over all groups.

The section "Recycled, then converted" follows the leads sent back to nurture: per kind and reason, the
leads recycled with it in the range (a rep's reject that recycles, or a deal lost), and how many of them
later reached an opportunity again, and a won deal, by ``at``; "later" is after the lead's first recycle
with that reason in the range. A lead recycled with two reasons counts under each; its kind's "all" row
counts it once, from its first recycle of that kind.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis

from leadpact.analytics.history import Context, leads, opportunities, stage_changes
from leadpact.analytics.rescore import Table
from leadpact.domain.lifecycle import Stage
from leadpact.domain.report import Column, Definition, Kind, Option, Report, Row, share

BY = ("stage", "source", "rep")

KINDS = ("reject", "lost")

REJECTED_FROM = (Stage.MQL.value, Stage.SAL.value, Stage.SQL.value)
REJECTED_TO = (Stage.RECYCLED.value, Stage.DISQUALIFIED.value)

COLUMNS = (
    Column("kind", "kind", Kind.TEXT),
    Column("reason", "reason", Kind.TEXT),
    Column("count", "count"),
    Column("share", "share of kind", Kind.SHARE),
)

RECYCLED_COLUMNS = (
    Column("kind", "kind", Kind.TEXT),
    Column("reason", "reason", Kind.TEXT),
    Column("recycled", "leads recycled"),
    Column("opportunity", "later opportunity"),
    Column("opportunity_share", "later opportunity %", Kind.SHARE),
    Column("customer", "later won"),
    Column("customer_share", "later won %", Kind.SHARE),
)

SCHEMA = {"group": "string", "kind": "string", "reason": "string"}


def _rep_names(ctx: Context, t: Table, user_id: str) -> Table:
    users = ctx.table("users")
    joined = t.left_join(users, t[user_id] == users.id)
    return joined.select(t, rep=users.name.fill_null("(none)"))


def _sources(ctx: Context, t: Table) -> Table:
    known = leads(ctx)
    joined = t.left_join(known, t.lead_id == known.lead_id)
    return joined.select(t, source=known.source.fill_null("(none)"))


def rejects(ctx: Context) -> Table:
    """The reps' rejections in the range by ``at``: lead_id, stage (rejected from), reason, rep, source."""
    c = stage_changes(ctx)
    c = c.filter(
        c.from_stage.isin(REJECTED_FROM),
        c.to_stage.isin(REJECTED_TO),
        c.by_user_id.notnull(),
        ctx.scope.within(c.at),
    )
    t = c.select("lead_id", "by_user_id", stage=c.from_stage, reason=c.reason.fill_null("(none)"))
    return _sources(ctx, _rep_names(ctx, t, "by_user_id"))


def losses(ctx: Context) -> Table:
    """The deals lost in the range by ``at``: lead_id, stage (lost in), reason, rep (owner), source."""
    d = opportunities(ctx)
    d = d.filter(d.won.notnull() & ~d.won, ctx.scope.within(d.closed))
    t = d.select("lead_id", "owner_id", stage=d.stage.fill_null("(none)"), reason=d.lost_reason.fill_null("(none)"))
    return _sources(ctx, _rep_names(ctx, t, "owner_id"))


def occurrences(ctx: Context, by: str) -> Table:
    """Every reject and every loss counted: group, kind, reason."""
    parts = [
        t.select(group=t[by].cast("string"), kind=ibis.literal(kind), reason=t.reason.cast("string"))
        for kind, t in (("reject", rejects(ctx)), ("lost", losses(ctx)))
    ]
    return parts[0].union(parts[1], distinct=False)


def _counts(t: Table, keys: Sequence[str]) -> list[Row]:
    rows: list[Row] = t.group_by(list(keys)).aggregate(count=t.count()).to_pyarrow().to_pylist()
    return rows


def _shared(rows: list[Row]) -> list[Row]:
    """Each row with its share of its group's count of its kind."""
    totals: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row["group"], row["kind"])
        totals[key] = totals.get(key, 0) + int(row["count"])
    return [
        {
            "group": row["group"],
            "kind": row["kind"],
            "reason": row["reason"],
            "count": int(row["count"]),
            "share": share(row["count"], totals[(row["group"], row["kind"])]),
        }
        for row in rows
    ]


def _group_order(ctx: Context, by: str, groups: set[str]) -> list[str]:
    """Stages in the order a lead meets them (funnel, then sales stages); other groups by name."""
    known = [*REJECTED_FROM, *ctx.agreement.stage_names()] if by == "stage" else []
    return [g for g in known if g in groups] + sorted(groups - set(known))


def _ordered(rows: list[Row], groups: list[str]) -> list[Row]:
    position = {g: i for i, g in enumerate(groups)}
    return sorted(
        rows, key=lambda row: (position[row["group"]], KINDS.index(row["kind"]), -row["count"], row["reason"])
    )


def recycles(ctx: Context) -> Table:
    """The leads recycled in the range by ``at``, once per stage change: lead_id, kind, reason, at."""
    c = stage_changes(ctx)
    c = c.filter(
        c.from_stage.isin([*REJECTED_FROM, Stage.OPPORTUNITY.value]),
        c.to_stage == Stage.RECYCLED.value,
        c.by_user_id.notnull(),
        ctx.scope.within(c.at),
    )
    kind = ibis.cases((c.from_stage == Stage.OPPORTUNITY.value, "lost"), else_="reject")
    return c.select("lead_id", "at", kind=kind, reason=c.reason.fill_null("(none)"))


def _converted(ctx: Context, keys: Sequence[str]) -> list[Row]:
    """Per ``keys``: the leads recycled, and of them those that later reached an opportunity, and won."""
    r = recycles(ctx)
    firsts = r.group_by(["lead_id", *keys]).aggregate(first=r.at.min())
    c = stage_changes(ctx)
    later = c.filter(c.to_stage.isin([Stage.OPPORTUNITY.value, Stage.CUSTOMER.value])).select(
        later_lead=c.lead_id, later_stage=c.to_stage, later_at=c.at
    )
    joined = firsts.left_join(later, (firsts.lead_id == later.later_lead) & (later.later_at > firsts.first))
    per_lead = joined.group_by(["lead_id", *keys]).aggregate(
        opportunity=joined.later_at.min(where=joined.later_stage == Stage.OPPORTUNITY.value),
        customer=joined.later_at.min(where=joined.later_stage == Stage.CUSTOMER.value),
    )
    counted = per_lead.group_by(list(keys)).aggregate(
        recycled=per_lead.count(), opportunity=per_lead.opportunity.count(), customer=per_lead.customer.count()
    )
    rows: list[Row] = counted.to_pyarrow().to_pylist()
    return rows


def _recycled_row(row: Row) -> Row:
    recycled, opportunity, customer = (int(row[k]) for k in ("recycled", "opportunity", "customer"))
    return {
        "kind": row["kind"],
        "reason": row.get("reason", "all"),
        "recycled": recycled,
        "opportunity": opportunity,
        "opportunity_share": share(opportunity, recycled),
        "customer": customer,
        "customer_share": share(customer, recycled),
    }


def recycled_then_converted(ctx: Context) -> Report:
    """The section: per kind and reason, the leads recycled and how many later converted; each kind's total last."""
    by_reason = sorted(
        (_recycled_row(row) for row in _converted(ctx, ["kind", "reason"])),
        key=lambda row: (KINDS.index(row["kind"]), -row["recycled"], row["reason"]),
    )
    totals = {row["kind"]: _recycled_row(row) for row in _converted(ctx, ["kind"])}
    rows = [row for kind in KINDS for row in (*(r for r in by_reason if r["kind"] == kind), totals.get(kind)) if row]
    return Report(
        name="reasons.recycled",
        title="Recycled, then converted",
        columns=RECYCLED_COLUMNS,
        rows=tuple(rows),
        scope=ctx.scope.describe(ctx.agreement),
        notes=("Leads recycled in the range; converted counts what they reached after that recycle.",),
    )


def reasons(ctx: Context, by: str) -> Report:
    """Reject and lost reasons with counts and shares per ``by`` group, a last group for all, and the section."""
    t = occurrences(ctx, by)
    rows = _shared(_counts(t, ["group", "kind", "reason"]))
    rows = _ordered(rows, _group_order(ctx, by, {row["group"] for row in rows}))
    total = _shared([{**row, "group": "all"} for row in _counts(t, ["kind", "reason"])])
    total.sort(key=lambda row: (KINDS.index(row["kind"]), -row["count"], row["reason"]))
    return Report(
        name="reasons",
        title=f"Reject and lost reasons by {by}",
        columns=(Column("group", by, Kind.TEXT), *COLUMNS),
        rows=(*rows, *total),
        scope=ctx.scope.describe(ctx.agreement),
        notes=("Each share is of the group's count of that kind: its rejects, or its lost deals.",),
        sections=(recycled_then_converted(ctx),),
    )


REPORT = Definition(
    name="reasons",
    summary="Why reps sent leads back and why deals were lost, with counts and shares.",
    help=(
        "Reject and lost reasons in the range, each a share of its group's rejects or losses; a second table "
        "follows the recycled leads to the opportunities and wins they reached later."
    ),
    compute=reasons,
    options=(Option("by", BY, "stage", "Group by stage, source or rep."),),
)
