"""The backtest: what a candidate agreement would have done with the recorded history, next to the one in force.

Both agreements replay every lead's events (``replay``) up to the backtest's moment; nothing stored changes.
An agreement takes a lead in the period when its replayed first taking falls in the period (from ``--since``,
by ``at``): straight to sales, or to the qualifiers under a screening section. A lead taken straight to sales
is an MQL of the period; one taken to the qualifiers is screened, and an MQL too when its recorded history
shows the qualifiers passed it (a stage change from screening to mql): whether they would pass it is a
person's call, which a replay cannot make. Months are the local months of the agreement in force. What the
leads went on to do is what was recorded: whether the lead ever had an opportunity, was won, and its won
revenue. A duplicate merged into another lead is left out, as in every report.

- Per month of the taking, for each agreement: its MQLs and screened leads, and the shares of the MQLs that
  became opportunities and that were won.
- Per month, the MQLs recorded: the leads whose stage history first shows them becoming MQLs in that month,
  the leads the funnel counts as MQLs (by the month they became MQLs, where the funnel follows the leads
  captured in its dates), and how many MQLs the replay of the version compared against has that the record
  has not, and the other way round.
- Recall, per month in which deals were won: the won deals (closed in the period) and their revenue, and the
  share of that revenue each agreement had taken (to sales or to the qualifiers) by the time the deal was
  opened, and what the candidate missed.
- Added and dropped: the candidate's MQLs the version in force did not have, how many of them never had an
  opportunity, and the MQLs in force the candidate would not have produced.
- Load: each agreement's MQLs of the period routed by its own routing rules to teams, shared among a team's
  reps by capacity (a relative share), per week of the period, next to the leads first dealt to each rep per
  week as recorded (a lead reassigned after a breach counts once, for the rep it was first dealt to).
- The per-month added and dropped MQLs count leads that are MQLs of the period under one agreement only; a
  lead that qualifies under both in different months moves between months and is neither.
- Changed: every lead whose qualification in the period differs (MQL, or screened), with both outcomes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import ibis

from leadpact.analytics.history import (
    DAY,
    Context,
    Scope,
    fetch,
    keep,
    month_of,
    opportunities,
    seconds,
    stage_changes,
)
from leadpact.analytics.replay import qualifications
from leadpact.analytics.rescore import Column as Expr
from leadpact.analytics.rescore import Table, judge_fit
from leadpact.domain.agreement import Agreement, FitRule
from leadpact.domain.lifecycle import Stage
from leadpact.domain.report import Backtest, Column, Kind, Report, Row, share
from leadpact.domain.scoring import from_seconds, local_day

WEEK = 7 * DAY


@dataclass(frozen=True)
class Side:
    """One agreement of the comparison and how to name it."""

    label: str
    agreement: Agreement


def routes(con: Any, agreement: Agreement) -> Table:
    """Every lead's team under the agreement's routing rules (first match wins): lead_id, team."""
    rules = agreement.handoff.routing
    tests = tuple(FitRule(f"route-{i}", rule.when, 1.0) for i, rule in enumerate(rules) if rule.when)
    judged = judge_fit(con, dataclasses.replace(agreement, fit_rules=tests))
    fallback = next((rule.team for rule in rules if rule.when is None), None)
    conditional = [rule for rule in rules if rule.when]
    branches = [(points.notnull(), rule.team) for points, rule in zip(judged.points, conditional, strict=True)]
    team: Expr = ibis.cases(*branches, else_=fallback) if branches else ibis.literal(fallback, type="string")
    return judged.chain.select(lead_id=judged.leads.id, team=team)


def recorded(ctx: Context) -> Table:
    """Per lead with a stage history: when it first became an MQL as recorded (null: never), and whether the
    qualifiers passed it (a move from screening to mql) by ``at``."""
    t = stage_changes(ctx)
    to_mql = t.to_stage == Stage.MQL.value
    return t.group_by("lead_id").aggregate(
        recorded_at=t.at.min(where=to_mql),
        passes=t.lead_id.count(where=to_mql & (t.from_stage == Stage.SCREENING.value)),
    )


def per_lead(ctx: Context, current: Agreement, candidate: Agreement) -> Table:
    """Every lead with both replays, both routings, its recorded MQL and its recorded outcome, kept in a
    temporary table.

    The parts are kept one by one: as one query they would nest deeper than SQLite's parser allows.
    """
    con, at = ctx.con, ctx.scope.at
    cur, cand = keep(con, qualifications(con, current, at)), keep(con, qualifications(con, candidate, at))
    cur_team, cand_team = keep(con, routes(con, current)), keep(con, routes(con, candidate))
    deals = opportunities(ctx)
    won = deals.won.fill_null(False)
    outcome = keep(
        con,
        deals.group_by("lead_id").aggregate(
            opportunity=deals.count(), won=deals.id.count(where=won), revenue=deals.amount.sum(where=won)
        ),
    )
    record = keep(con, recorded(ctx))
    leads = ctx.table("leads")
    leads = leads.filter(leads.merged_into.isnull())
    t = cur.join(cand, cur.lead_id == cand.lead_id).select(
        cur.lead_id,
        cur_at=cur.qualified_at,
        cur_screened=cur.screened,
        cand_at=cand.qualified_at,
        cand_screened=cand.screened,
    )
    t = t.join(leads, t.lead_id == leads.id).select(t, email=leads.email, created=seconds(leads.created_at))
    t = t.left_join(record, t.lead_id == record.lead_id).select(
        t, recorded_at=record.recorded_at, passed=record.passes.fill_null(0) > 0
    )
    t = t.left_join(cur_team, t.lead_id == cur_team.lead_id).select(t, cur_team=cur_team.team)
    t = t.left_join(cand_team, t.lead_id == cand_team.lead_id).select(t, cand_team=cand_team.team)
    t = t.left_join(outcome, t.lead_id == outcome.lead_id).select(
        t,
        opportunity=outcome.opportunity.fill_null(0) > 0,
        won=outcome.won.fill_null(0) > 0,
        revenue=outcome.revenue.fill_null(0.0),
    )
    return keep(con, t)


def _in_period(scope: Scope, moment: Expr) -> Expr:
    return moment.notnull() & scope.within(moment)


def _mql(scope: Scope, t: Table, side: str) -> Expr:
    """Whether the side's agreement makes the lead an MQL of the period: taken straight to sales, or to the
    qualifiers who, as recorded, passed it."""
    return _in_period(scope, t[f"{side}_at"]) & (~t[f"{side}_screened"] | t.passed)


def _screened(scope: Scope, t: Table, side: str) -> Expr:
    """Whether the side's agreement takes the lead to the qualifiers in the period."""
    return _in_period(scope, t[f"{side}_at"]) & t[f"{side}_screened"]


def _month_rows(ctx: Context, t: Table, bounds: tuple[int, int] | None) -> dict[str, Row]:
    """Per month of the taking, each side's MQLs, how many became opportunities and were won, and its screened
    leads; per month of the recorded first MQL, the MQLs recorded."""
    rows: dict[str, Row] = {}
    for side, other in (("cur", "cand"), ("cand", "cur")):
        flagged = t.mutate(
            month=month_of(ctx.agreement, t[f"{side}_at"], bounds),
            mql=_mql(ctx.scope, t, side),
            screened=_screened(ctx.scope, t, side),
            other=_mql(ctx.scope, t, other),
        )
        flagged = flagged.filter(flagged.mql | flagged.screened)
        mql = flagged.mql
        counts = flagged.group_by("month").aggregate(
            mql=flagged.lead_id.count(where=mql),
            screened=flagged.lead_id.count(where=flagged.screened),
            opportunity=flagged.lead_id.count(where=mql & flagged.opportunity),
            won=flagged.lead_id.count(where=mql & flagged.won),
            alone=flagged.lead_id.count(where=mql & ~flagged.other),
            alone_dead=flagged.lead_id.count(where=mql & ~flagged.other & ~flagged.opportunity),
        )
        for c in counts.to_pyarrow().to_pylist():
            row = rows.setdefault(c["month"], _empty_month(c["month"]))
            row.update({f"{side}_{key}": c[key] for key in ("mql", "screened", "opportunity", "won")})
            if side == "cand":
                row.update(added=c["alone"], added_never_converted=c["alone_dead"])
            else:
                row.update(dropped=c["alone"])
    record = t.filter(_in_period(ctx.scope, t.recorded_at))
    record = record.mutate(month=month_of(ctx.agreement, record.recorded_at, bounds))
    for c in record.group_by("month").aggregate(n=record.count()).to_pyarrow().to_pylist():
        rows.setdefault(c["month"], _empty_month(c["month"]))["recorded_mql"] = c["n"]
    return rows


def _empty_month(month: str) -> Row:
    return {"month": month, **dict.fromkeys(SUMMED, 0)}


def _recall_rows(ctx: Context, t: Table, rows: dict[str, Row], bounds: tuple[int, int] | None) -> None:
    """Per month deals were won in: the won deals, and the revenue each side had qualified before the deal."""
    deals = opportunities(ctx)
    won = deals.filter(deals.won.fill_null(False) & ctx.scope.within(deals.closed))
    j = won.join(t, won.lead_id == t.lead_id)

    def qualified(moment: Expr) -> Expr:
        return moment.notnull() & (moment <= j.created)

    per_month = j.select(
        month=month_of(ctx.agreement, j.closed, bounds),
        amount=j.amount,
        cur=ibis.cases((qualified(j.cur_at), j.amount), else_=0.0),
        cand=ibis.cases((qualified(j.cand_at), j.amount), else_=0.0),
    )
    sums = per_month.group_by("month").aggregate(
        won_deals=per_month.count(),
        won_revenue=per_month.amount.sum(),
        cur_revenue=per_month.cur.sum(),
        cand_revenue=per_month.cand.sum(),
    )
    for s in sums.to_pyarrow().to_pylist():
        row = rows.setdefault(s["month"], _empty_month(s["month"]))
        row.update({k: s[k] for k in ("won_deals", "won_revenue", "cur_revenue", "cand_revenue")})


def _finish(row: Row) -> Row:
    """Shares from the counts."""
    return {
        **row,
        "cur_opportunity_share": share(row["cur_opportunity"], row["cur_mql"]),
        "cand_opportunity_share": share(row["cand_opportunity"], row["cand_mql"]),
        "cur_won_share": share(row["cur_won"], row["cur_mql"]),
        "cand_won_share": share(row["cand_won"], row["cand_mql"]),
        "cur_recall": share(row["cur_revenue"], row["won_revenue"]),
        "cand_recall": share(row["cand_revenue"], row["won_revenue"]),
        "cand_missed_revenue": row["won_revenue"] - row["cand_revenue"],
    }


MONTH_COLUMNS = (
    Column("month", "month", Kind.TEXT),
    Column("cur_mql", "MQL now"),
    Column("cand_mql", "MQL cand."),
    Column("recorded_mql", "MQL recorded"),
    Column("cur_screened", "screened now"),
    Column("cand_screened", "screened cand."),
    Column("cur_opportunity_share", "→opp now", Kind.SHARE),
    Column("cand_opportunity_share", "→opp cand.", Kind.SHARE),
    Column("cur_won_share", "→won now", Kind.SHARE),
    Column("cand_won_share", "→won cand.", Kind.SHARE),
    Column("won_deals", "deals won"),
    Column("won_revenue", "revenue won", Kind.MONEY),
    Column("cur_recall", "recall now", Kind.SHARE),
    Column("cand_recall", "recall cand.", Kind.SHARE),
    Column("cand_missed_revenue", "missed by cand.", Kind.MONEY),
    Column("added", "added MQL"),
    Column("added_never_converted", "added, no opp"),
    Column("dropped", "dropped MQL"),
)
SUMMED = (
    "cur_mql",
    "cur_screened",
    "cur_opportunity",
    "cur_won",
    "cand_mql",
    "cand_screened",
    "cand_opportunity",
    "cand_won",
    "recorded_mql",
    "added",
    "added_never_converted",
    "dropped",
    "won_deals",
    "won_revenue",
    "cur_revenue",
    "cand_revenue",
)


def _period(ctx: Context, t: Table) -> tuple[int, int]:
    """The period's first and last second: from --since (or the first taking of either side, or the first MQL
    recorded) to ``at``."""
    if ctx.scope.start is not None:
        return ctx.scope.start, ctx.scope.at
    firsts = fetch(t.aggregate(cur=t.cur_at.min(), cand=t.cand_at.min(), recorded=t.recorded_at.min()))[0]
    known = [v for v in firsts.values() if v is not None]
    return (min(known) if known else ctx.scope.at), ctx.scope.at


def _load(ctx: Context, t: Table, weeks: float) -> Report:
    """Each rep's MQLs per week under each side (the team's MQLs shared by capacity), and what they got."""
    per_team = []
    for side in ("cur", "cand"):
        mine = t.filter(_mql(ctx.scope, t, side))
        per_team.append(mine.select(side=ibis.literal(side), team=mine[f"{side}_team"]))
    both = per_team[0].union(per_team[1], distinct=False)
    team_counts = {
        (r["side"], r["team"]): r["n"]
        for r in both.group_by(["side", "team"]).aggregate(n=both.count()).to_pyarrow().to_pylist()
    }
    users, teams = ctx.table("users"), ctx.table("teams")
    reps = users.filter(users.role == "rep").join(teams, users.team_id == teams.id)
    reps = reps.select(rep_id=users.id, rep=users.name, team=teams.name, capacity=users.capacity)
    a = ctx.table("assignments")
    # a lead's first assignment: reassignments after a breach would count the same lead again
    first = ibis.row_number().over(group_by=a.lead_id, order_by=[a.assigned_at, a.id])
    dealt = a.select(user_id=a.user_id, at=seconds(a.assigned_at), nth=first)
    dealt = dealt.filter((dealt.nth == 0) & ctx.scope.within(dealt.at))
    got = dealt.group_by("user_id").aggregate(n=dealt.count())
    joined = reps.left_join(got, reps.rep_id == got.user_id).select(reps, assigned=got.n.fill_null(0))
    people = joined.to_pyarrow().to_pylist()
    capacity: dict[str, int] = {}
    for p in people:
        capacity[p["team"]] = capacity.get(p["team"], 0) + max(p["capacity"], 0)
    rows = []
    for p in sorted(people, key=lambda p: (p["team"], p["rep"])):
        portion = share(max(p["capacity"], 0), capacity[p["team"]]) or 0.0
        rows.append(
            {
                "rep": p["rep"],
                "team": p["team"],
                "capacity": p["capacity"],
                "cur_per_week": team_counts.get(("cur", p["team"]), 0) * portion / weeks,
                "cand_per_week": team_counts.get(("cand", p["team"]), 0) * portion / weeks,
                "assigned_per_week": p["assigned"] / weeks,
            }
        )
    return Report(
        name="backtest_load",
        title="Leads per rep per week",
        columns=(
            Column("rep", "rep", Kind.TEXT),
            Column("team", "team", Kind.TEXT),
            Column("capacity", "capacity"),
            Column("cur_per_week", "MQL/week now", Kind.NUMBER),
            Column("cand_per_week", "MQL/week cand.", Kind.NUMBER),
            Column("assigned_per_week", "dealt first/week (recorded)", Kind.NUMBER),
        ),
        rows=tuple(rows),
        scope=ctx.scope.describe(ctx.agreement),
        notes=(
            f"Over {weeks:.1f} weeks. Capacity is a rep's relative share of the team's new leads: a team's MQLs "
            "are shared among its reps in proportion to it. Recorded: the leads first dealt to each rep.",
        ),
    )


OUTCOMES = (("mql", _mql), ("screened", _screened))
"""What the changed list compares: whether the lead is an MQL of the period, and whether it was screened in it."""


def _changed(ctx: Context, t: Table) -> tuple[Row, ...]:
    flags = {f"{side}_{what}": of(ctx.scope, t, side) for side in ("cur", "cand") for what, of in OUTCOMES}
    differs = t.filter((flags["cur_mql"] != flags["cand_mql"]) | (flags["cur_screened"] != flags["cand_screened"]))
    columns = ("lead_id", "email", "cur_at", "cand_at", "opportunity", "won", "revenue")
    rows = differs.select(*columns, **flags).order_by("lead_id")
    out = []
    for r in fetch(rows):
        out.append(
            {
                "id": r["lead_id"],
                "email": r["email"],
                "current": _outcome(ctx.agreement, r["cur_mql"], r["cur_screened"], r["cur_at"]),
                "candidate": _outcome(ctx.agreement, r["cand_mql"], r["cand_screened"], r["cand_at"]),
                "recorded": {"opportunity": r["opportunity"], "won": r["won"], "revenue": r["revenue"]},
            }
        )
    return tuple(out)


def _outcome(agreement: Agreement, mql: bool, screened: bool, moment: int | None) -> dict[str, Any]:
    """Whether the lead is an MQL of the period and whether it went to the qualifiers in it, and when the
    agreement first took it (in the period or not): the UTC moment, and its local date in the agreement's time
    zone, the calendar the months are counted on."""
    if moment is None:
        return {"mql": mql, "screened": screened, "qualified_at": None, "qualified_on": None}
    day = local_day(agreement, moment).isoformat()
    return {"mql": mql, "screened": screened, "qualified_at": from_seconds(moment).isoformat(), "qualified_on": day}


def _against_record(ctx: Context, t: Table, current: str) -> str:
    """How the MQLs replayed under the version compared against differ from the MQLs recorded, and why."""
    replayed, record = _mql(ctx.scope, t, "cur"), _in_period(ctx.scope, t.recorded_at)
    start = ctx.scope.start
    earlier = record & (t.created < start) if start is not None else ibis.literal(False)
    n = fetch(
        t.aggregate(
            replay_only=t.lead_id.count(where=replayed & ~record),
            record_only=t.lead_id.count(where=record & ~replayed),
            earlier=t.lead_id.count(where=earlier),
        )
    )[0]
    since = ctx.scope.describe(ctx.agreement)["from"]
    funnel = f"; {n['earlier']:,} of them were captured before {since}, which the funnel from {since} leaves out"
    return (
        "MQL recorded: the leads whose stage history first shows them becoming MQLs in the month, the funnel's "
        "MQLs counted by the month they became MQLs rather than the month they were captured"
        f"{funnel if start is not None else ''}. A lead the qualifiers passed counts in the month it went to them "
        f"in the replay, and in the month they passed it in the record. Of the MQLs of the period, "
        f"{n['replay_only']:,} are the replay's of {current} only and {n['record_only']:,} the record's only: a "
        "replay judges fit on the lead's fields as they are now (a field learned after capture counts from the "
        "start), replays only a lead's first taking, and judges the whole history by one version."
    )


def backtest(ctx: Context, current: Side, candidate: Side) -> Backtest:
    """Replay the history under both agreements and compare them."""
    t = per_lead(ctx, current.agreement, candidate.agreement)
    start, end = _period(ctx, t)
    bounds = (start, end)
    rows = _month_rows(ctx, t, bounds)
    _recall_rows(ctx, t, rows, bounds)
    months = [_finish(rows[m]) for m in sorted(rows)]
    total = _finish({"month": "all", **{k: sum(r[k] for r in months) for k in SUMMED}})
    weeks = max((end - start) / WEEK, 1 / 7)
    report = Report(
        name="backtest",
        title=f"Backtest of {candidate.label} against {current.label}",
        columns=MONTH_COLUMNS,
        rows=(*months, total),
        scope=ctx.scope.describe(ctx.agreement),
        notes=(
            "now: the version compared against; cand.: the candidate. MQL: taken straight to sales, or to "
            "screening and, as recorded, passed by the qualifiers; screened: taken to the qualifiers (whether "
            "they would pass a lead is theirs to decide, which a replay cannot). Recall: the share of won revenue "
            "whose lead the agreement had taken by the time the deal was opened.",
            _against_record(ctx, t, current.label),
        ),
    )
    return Backtest(current.label, candidate.label, report, _load(ctx, t, weeks), _changed(ctx, t))
