"""Screening: what the qualifiers did with the leads the agreement sent them, and how the leads they passed fared.

The unit is a screening: one lead's turn with the qualifiers, from the moment the agreement sent it until a
qualifier decided (or late events withdrew it). The report covers the screenings that began in the date range,
as they stood at ``at``: a call or a decision recorded after ``at`` has not happened yet. A group is the
qualifier who decided (``(waiting)`` while nobody has, ``(nobody named)`` for a decision made with no
qualifier named), or the lead's source.

- **screened**: screenings in the range; **call due**: those whose first call was settled by ``at`` (made,
  or past its due moment); **called in SLA**: first called by the due moment, as a share of the call due;
  **first-call breaches**: screenings with a breach recorded at a moment up to ``at`` (recorded at the due
  moment, whether the SLA check or a late first call found it).
- **passed**, **not yet**, **disqualified**: the decisions made by ``at``; **pass rate**: passed over those
  decided by a qualifier (a withdrawal is the agreement's, not a decision).
- How the passed leads fared in sales: **accepted** (reached SAL after the pass), **SQL**, **won**.
"""

from __future__ import annotations

import ibis

from leadpact.analytics.history import Context, seconds
from leadpact.analytics.rescore import Table
from leadpact.domain.report import Column, Definition, Kind, Option, Report, Row, share

BY = ("qualifier", "source")

COUNTS = (
    "screened",
    "call_due",
    "called_in_sla",
    "call_breaches",
    "passed",
    "not_yet",
    "disqualified",
    "accepted",
    "sql",
    "won",
)

COLUMNS = (
    Column("screened", "screened"),
    Column("call_due", "call due"),
    Column("called_in_sla", "called in SLA"),
    Column("in_sla_rate", "in SLA", Kind.SHARE),
    Column("call_breaches", "first-call breaches"),
    Column("passed", "passed"),
    Column("not_yet", "not yet"),
    Column("disqualified", "disqualified"),
    Column("pass_rate", "pass rate", Kind.SHARE),
    Column("accepted", "accepted by sales"),
    Column("sql", "SQL"),
    Column("won", "won"),
)


def _flag(condition: ibis.Value) -> ibis.Value:
    return ibis.cases((condition, 1), else_=0)


def per_screening(ctx: Context, by: str) -> Table:
    """One row per screening in the range: group, and a 0/1 column per count."""
    at = ctx.scope.at
    s = ctx.table("screenings")
    s = s.select(
        lead_id=s.lead_id,
        entered=seconds(s.entered_at),
        due=seconds(s.call_due),
        called=seconds(s.first_call_at),
        breached=seconds(s.call_breached_at),
        decided=seconds(s.decided_at),
        decision=s.decision,
        qualifier_id=s.qualifier_id,
    )
    s = s.filter(ctx.scope.within(s.entered))
    made = s.called.notnull() & (s.called <= at)
    decided = s.decided.notnull() & (s.decided <= at)
    passed = decided & (s.decision == "pass")
    changes = ctx.table("stage_changes")
    changes = changes.select(lead_id=changes.lead_id, to_stage=changes.to_stage, at=seconds(changes.at))
    changes = changes.filter(changes.at <= at)
    joined = s.left_join(changes, (s.lead_id == changes.lead_id) & (changes.at >= s.decided) & passed)
    later = joined.group_by([s.lead_id, s.entered]).aggregate(
        reached_sal=_flag(joined.to_stage == "sal").max(),
        reached_sql=_flag(joined.to_stage == "sql").max(),
        reached_won=_flag(joined.to_stage == "customer").max(),
    )
    t = s.left_join(later, (s.lead_id == later.lead_id) & (s.entered == later.entered)).select(
        s,
        reached_sal=later.reached_sal.fill_null(0),
        reached_sql=later.reached_sql.fill_null(0),
        reached_won=later.reached_won.fill_null(0),
    )
    if by == "qualifier":
        users = ctx.table("users")
        t = t.left_join(users, t.qualifier_id == users.id).select(t, name=users.name)
        decided = t.decided.notnull() & (t.decided <= at)
        group = ibis.cases((~decided, "(waiting)"), (t.name.isnull(), "(nobody named)"), else_=t.name)
    else:
        leads = ctx.table("leads")
        t = t.left_join(leads, t.lead_id == leads.id).select(t, source=leads.source)
        group = t.source.fill_null("(none)")
    made = t.called.notnull() & (t.called <= at)
    decided = t.decided.notnull() & (t.decided <= at)
    return t.select(
        group=group,
        screened=ibis.literal(1),
        call_due=_flag(made | (t.due <= at)),
        called_in_sla=_flag(made & (t.called <= t.due)),
        call_breaches=_flag(t.breached.notnull() & (t.breached <= at)),
        passed=_flag(decided & (t.decision == "pass")),
        not_yet=_flag(decided & (t.decision == "not_yet")),
        disqualified=_flag(decided & (t.decision == "disqualify")),
        accepted=t.reached_sal,
        sql=t.reached_sql,
        won=t.reached_won,
    )


def _row(group: str, counts: Row) -> Row:
    n = {key: int(counts.get(key) or 0) for key in COUNTS}
    decided = n["passed"] + n["not_yet"] + n["disqualified"]
    return {
        "group": group,
        **n,
        "in_sla_rate": share(n["called_in_sla"], n["call_due"]),
        "pass_rate": share(n["passed"], decided),
    }


def screening(ctx: Context, by: str) -> Report:
    """The qualifiers' figures, one row per ``by`` group and a last row for all of them."""
    t = per_screening(ctx, by)
    sums = {key: t[key].sum() for key in COUNTS}
    rows = [_row(str(r["group"]), r) for r in t.group_by("group").aggregate(**sums).to_pyarrow().to_pylist()]
    rows.sort(key=lambda row: (-row["screened"], row["group"]))
    total = t.aggregate(**sums).to_pyarrow().to_pylist()[0]
    return Report(
        name="screening",
        title=f"Screening by {by}",
        columns=(Column("group", by, Kind.TEXT), *COLUMNS),
        rows=(*rows, _row("all", total)),
        scope=ctx.scope.describe(ctx.agreement),
        notes=(
            "Screenings that began in the period; pass rate is over the leads a qualifier decided; accepted, SQL "
            "and won count the passed leads that got there after the pass.",
        ),
    )


REPORT = Definition(
    name="screening",
    summary="The qualifiers' figures: screened, called within the SLA, pass rate, and how passed leads fared.",
    help=(
        "Each lead the agreement sent to screening in the period: whether its first call came within the "
        "screening SLA (a breach is recorded when it did not), what the qualifier decided (pass, not yet, "
        "disqualify), and whether the leads passed to sales were accepted, became SQL and were won."
    ),
    compute=screening,
    options=(Option("by", BY, "qualifier", "Group by the qualifier who decided, or by the lead's source."),),
)
