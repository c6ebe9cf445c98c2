"""The SLA: how fast sales accepted and first contacted the leads handed to them, by rep, team or source.

The unit is an assignment: a lead in one rep's hands, from the moment it was dealt to them until it left
them (rejected, converted, withdrawn, or reassigned after a breach). The report covers the assignments that
started in the date range, as they stood at ``at``: an acceptance, a contact, a breach or an end recorded
after ``at`` has not happened yet. A group is the assignment's rep, the team it was dealt in, or the lead's
source.

- **started unaccepted** (key ``awaiting``): assignments that started waiting for the rep's acceptance. An
  assignment that takes over a lead after a contact breach starts already accepted (at the very moment it was
  dealt), and awaits nothing.
- **waiting now**: those of them still open and unaccepted at ``at``: the leads a rep has yet to accept or
  reject.
- **acceptance due**: those started unaccepted whose acceptance was settled by ``at``: accepted, ended, or
  past its accept-due moment. **Accepted in SLA** are those accepted by their accept-due moment; the share
  is of the acceptance due, so a lead rejected or taken away unaccepted counts against it, and one that
  may still be accepted in time does not count yet.
- **contact due**: assignments whose first contact was settled by ``at``: contacted, ended, or past their
  contact-due moment. **Contacted in SLA** are those whose rep first contacted the lead by the contact-due
  moment, as a share of the contact due; the rest were contacted late or not at all.
- **never contacted** counts leads, not assignments: the group's leads with a contact due that nobody in the
  group contacted by ``at``, as a share of the group's leads with a contact due. A lead reassigned after a
  breach and then called by the next rep was contacted: it counts against the first rep in the rep's row,
  and not against the team it stayed in.
- **hours to contact**: for the assignments contacted by ``at``, the working hours of the agreement's
  calendar from the assignment's start to the first contact; the report gives their median and 90th
  percentile (linear interpolation between the nearest values, as numpy's default).
- **accept breaches** and **contact breaches**: assignments with a breach recorded at a moment up to ``at``
  (a breach is recorded at its due moment, whether a check or a late action found it);
  **reassignments**: assignments that ended by ``at`` because a breach sent the lead to another rep.

The last row, "all", is every assignment in the range.
"""

from __future__ import annotations

from typing import Any

import ibis

from leadpact.analytics.history import HOUR, Context, quantiles, seconds
from leadpact.analytics.rescore import Column as Expression
from leadpact.analytics.rescore import Table
from leadpact.analytics.working_time import working_seconds
from leadpact.domain.report import Column, Definition, Kind, Option, Report, Row, share

BY = ("rep", "team", "source")

REASSIGNED = ("accept_breach", "contact_breach")
"""The end reasons of an assignment whose lead a breach sent to another rep."""

COUNTS = (
    "assignments",
    "awaiting",
    "waiting",
    "acceptance_due",
    "accepted_in_sla",
    "contact_due",
    "contacted_in_sla",
    "leads_contact_due",
    "never_contacted",
    "accept_breaches",
    "contact_breaches",
    "reassigned",
)

COLUMNS = (
    Column("assignments", "assignments"),
    Column("awaiting", "started unaccepted"),
    Column("waiting", "waiting now"),
    Column("acceptance_due", "acceptance due"),
    Column("accepted_in_sla", "accepted in SLA"),
    Column("accepted_in_sla_share", "accepted in SLA %", Kind.SHARE),
    Column("contact_due", "contact due"),
    Column("contacted_in_sla", "contacted in SLA"),
    Column("contacted_in_sla_share", "contacted in SLA %", Kind.SHARE),
    Column("leads_contact_due", "leads due a contact"),
    Column("never_contacted", "leads never contacted"),
    Column("never_contacted_share", "never contacted %", Kind.SHARE),
    Column("median_hours_to_contact", "median hours to contact", Kind.HOURS),
    Column("p90_hours_to_contact", "p90 hours to contact", Kind.HOURS),
    Column("accept_breaches", "accept breaches"),
    Column("contact_breaches", "contact breaches"),
    Column("reassigned", "reassignments"),
)


def _by_at(ctx: Context, moment: Expression) -> Expression:
    """A stored moment as UTC seconds, or null when it lies after ``at`` (it has not happened yet)."""
    s = seconds(moment)
    return ibis.cases((s <= ctx.scope.at, s), else_=ibis.null("int64"))


def assignments(ctx: Context) -> Table:
    """The assignments started in the range by ``at``, as they stood then.

    Columns: id, lead_id, user_id, team_id, assigned, accept_due, contact_due, and (null: not by ``at``)
    accepted, contacted, accept_breached, contact_breached, ended, end_reason; and started_accepted.
    """
    a = ctx.table("assignments")
    t = a.select(
        id=a.id,
        lead_id=a.lead_id,
        user_id=a.user_id,
        team_id=a.team_id,
        assigned=seconds(a.assigned_at),
        accept_due=seconds(a.accept_due),
        contact_due=seconds(a.contact_due),
        accepted=_by_at(ctx, a.accepted_at),
        contacted=_by_at(ctx, a.contacted_at),
        accept_breached=_by_at(ctx, a.accept_breached_at),
        contact_breached=_by_at(ctx, a.contact_breached_at),
        ended=_by_at(ctx, a.ended_at),
        end_reason=ibis.cases((seconds(a.ended_at) <= ctx.scope.at, a.end_reason), else_=ibis.null("string")),
        # a contact breach deals the lead on already accepted: its acceptance is the very moment it was dealt
        started_accepted=(a.accepted_at == a.assigned_at).fill_null(False),
    )
    return t.filter(ctx.scope.within(t.assigned))


def _grouped(ctx: Context, t: Table, by: str) -> Table:
    if by == "rep":
        users = ctx.table("users")
        joined = t.left_join(users, t.user_id == users.id)
        return joined.select(t, group=users.name.fill_null("(none)"))
    if by == "team":
        teams = ctx.table("teams")
        joined = t.left_join(teams, t.team_id == teams.id)
        return joined.select(t, group=teams.name.fill_null("(none)"))
    leads = ctx.table("leads")
    joined = t.left_join(leads, t.lead_id == leads.id)
    return joined.select(t, group=leads.source.fill_null("(none)"))


def per_assignment(ctx: Context, by: str) -> Table:
    """One row per assignment: its group, what it counts towards (booleans), and its hours to first contact."""
    t = _grouped(ctx, assignments(ctx), by)
    t = working_seconds(ctx.con, ctx.agreement, t, "assigned", "contacted", "to_contact")
    at = ctx.scope.at
    awaiting = ~t.started_accepted
    ended = t.ended.notnull()
    contact_due = t.contacted.notnull() | ended | (t.contact_due <= at)
    return t.select(
        "group",
        "lead_id",
        contacted_any=t.contacted.notnull(),
        awaiting=awaiting,
        waiting=awaiting & t.accepted.isnull() & ~ended,
        acceptance_due=awaiting & (t.accepted.notnull() | ended | (t.accept_due <= at)),
        accepted_in_sla=awaiting & t.accepted.notnull() & (t.accepted <= t.accept_due),
        contact_due=contact_due,
        contacted_in_sla=t.contacted.notnull() & (t.contacted <= t.contact_due),
        accept_breaches=t.accept_breached.notnull(),
        contact_breaches=t.contact_breached.notnull(),
        reassigned=t.end_reason.isin(REASSIGNED).fill_null(False),
        hours=t.to_contact.cast("float64") / HOUR,
    )


PER_ASSIGNMENT = tuple(name for name in COUNTS[1:] if name not in ("leads_contact_due", "never_contacted"))


def _counts(t: Table, group: list[str]) -> list[Row]:
    aggregates = {
        "assignments": t.count(),
        **{name: t.count(where=t[name].fill_null(False)) for name in PER_ASSIGNMENT},
    }
    grouped = t.group_by(group).aggregate(**aggregates) if group else t.aggregate(**aggregates)
    leads = t.group_by([*group, "lead_id"]).aggregate(
        due=t.lead_id.count(where=t.contact_due), reached=t.lead_id.count(where=t.contacted_any)
    )
    never = {
        "leads_contact_due": leads.count(where=leads.due > 0),
        "never_contacted": leads.count(where=(leads.due > 0) & (leads.reached == 0)),
    }
    per_lead = leads.group_by(group).aggregate(**never) if group else leads.aggregate(**never)
    rows: list[Row] = grouped.to_pyarrow().to_pylist()
    by_group = {tuple(r[g] for g in group): r for r in per_lead.to_pyarrow().to_pylist()}
    for row in rows:
        found = by_group.get(tuple(row[g] for g in group), {})
        row.update({name: found.get(name, 0) for name in never})
    return rows


def _hours(ctx: Context, t: Table, group: list[str]) -> dict[Any, Row]:
    found = quantiles(ctx.con, t, "hours", group, {"median": 0.5, "p90": 0.9}).to_pyarrow().to_pylist()
    return {row.get("group"): row for row in found}


def _row(name: str, counts: Row, hours: Row | None) -> Row:
    n = {key: int(counts.get(key) or 0) for key in COUNTS}
    return {
        "group": name,
        **n,
        "accepted_in_sla_share": share(n["accepted_in_sla"], n["acceptance_due"]),
        "contacted_in_sla_share": share(n["contacted_in_sla"], n["contact_due"]),
        "never_contacted_share": share(n["never_contacted"], n["leads_contact_due"]),
        "median_hours_to_contact": hours["median"] if hours else None,
        "p90_hours_to_contact": hours["p90"] if hours else None,
    }


def sla(ctx: Context, by: str) -> Report:
    """The SLA kept on the assignments started in the range, one row per ``by`` group and a last row for all."""
    t = per_assignment(ctx, by)
    hours = _hours(ctx, t, ["group"])
    rows = [_row(str(c["group"]), c, hours.get(c["group"])) for c in _counts(t, ["group"])]
    rows.sort(key=lambda row: (-row["assignments"], row["group"]))
    total = _row("all", _counts(t, [])[0], _hours(ctx, t, []).get(None))
    return Report(
        name="sla",
        title=f"SLA by {by}",
        columns=(Column("group", by, Kind.TEXT), *COLUMNS),
        rows=(*rows, total),
        scope=ctx.scope.describe(ctx.agreement),
        notes=(
            "Assignments started in the range; started unaccepted: those that needed the rep's acceptance; "
            "waiting now: those of them still open and unaccepted at the report's moment; shares are of those "
            "whose acceptance or contact was due or settled by then; never contacted counts leads nobody in the "
            "group called; hours are working hours from assignment to first contact.",
        ),
    )


REPORT = Definition(
    name="sla",
    summary="How fast sales accepted and first contacted the leads handed to them.",
    help=(
        "Per assignment started in the range: those still waiting for acceptance, accepted and contacted within "
        "the SLA, never contacted, median and 90th-percentile working hours to first contact, breaches and "
        "reassignments, as of --at."
    ),
    compute=sla,
    options=(Option("by", BY, "rep", "Group by rep, team or source."),),
)
