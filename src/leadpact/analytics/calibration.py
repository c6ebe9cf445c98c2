"""Grade calibration: whether the agreement's grades, priority bands and threshold sort leads by what became of them.

The leads are those captured in the date range. Each lead is replayed under the agreement in force
(``replay``): its grade from its fit before sales' answers, and its peak score, the highest score its
recorded events gave it. Its priority band is the band of that peak, and its score decile ranks the peaks
of the period's leads: decile = floor(10 · r / n) + 1, where r is the number of leads with a lower peak and n
their number, so decile 10 holds the highest tenth and equal peaks share a decile. The threshold row
splits the leads into those whose replay qualifies them (the rule in force) and those it does not. The
outcomes are what was recorded by ``at``: the lead had an opportunity, the lead won a deal. Sales works the
leads it is handed, so leads below the threshold seldom reach an opportunity at all: the threshold rows show
what the rule let through and how that converted, not what sales would have made of the rest.

Each rate comes with its 95 % Wilson score interval, which stays within 0 and 1 and is honest for small
counts. Grades are in order when each grade converts to opportunities more often than the next; a grade is
told apart from the next when their intervals do not overlap.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import ibis

from leadpact.analytics.history import Context, opportunities
from leadpact.analytics.replay import qualifications
from leadpact.analytics.rescore import Table
from leadpact.domain.report import Column, Definition, Kind, Report, Row, share

Z95 = 1.959963984540054
"""The standard normal quantile of a two-sided 95 % interval."""

DECILES = 10


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float | None, float | None]:
    """The Wilson score interval of a proportion; (None, None) without trials."""
    if trials == 0:
        return None, None
    p = successes / trials
    centre = p + z * z / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    scale = 1 + z * z / trials
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)


COLUMNS = (
    Column("group", "group", Kind.TEXT),
    Column("leads", "leads"),
    Column("opportunities", "opportunity"),
    Column("opportunity_rate", "opp rate", Kind.SHARE),
    Column("opportunity_low", "95 % from", Kind.SHARE),
    Column("opportunity_high", "to", Kind.SHARE),
    Column("won", "won"),
    Column("won_rate", "won rate", Kind.SHARE),
    Column("won_low", "95 % from", Kind.SHARE),
    Column("won_high", "to", Kind.SHARE),
)


def per_lead(ctx: Context) -> Table:
    """The period's leads: grade, band, decile, reaches (the threshold), opportunity and won (0 or 1)."""
    agreement = ctx.agreement
    q = qualifications(ctx.con, agreement, ctx.scope.at)
    t = q.filter(ctx.scope.within(q.created), ~q.merged)
    deals = opportunities(ctx)
    outcome = deals.group_by("lead_id").aggregate(deals=deals.count(), won=deals.id.count(where=deals.won))
    t = t.left_join(outcome, t.lead_id == outcome.lead_id).select(
        t.lead_id,
        t.grade,
        t.peak,
        t.qualified_at,
        opportunity=ibis.cases((outcome.deals.fill_null(0) > 0, 1), else_=0),
        won=ibis.cases((outcome.won.fill_null(0) > 0, 1), else_=0),
    )
    bands = [(t.peak >= b.score_at_least, b.band) for b in agreement.priority if b.score_at_least is not None]
    fallback = agreement.priority[-1].band
    band = ibis.cases(*bands, else_=fallback) if bands else ibis.literal(fallback)
    rank = ibis.rank().over(order_by=t.peak)  # ties share the lowest rank: equal peaks, one decile
    size = t.count().over()
    decile = (rank * DECILES / size).floor().cast("int64") + 1
    return t.mutate(band=band, decile=decile, reaches=t.qualified_at.notnull())


GROUPS = ("grade", "band", "decile", "reaches")
"""What the report breaks the leads down by."""

Counts = tuple[int, int, int]
"""Leads, those with an opportunity, those won."""
NO_LEADS: Counts = (0, 0, 0)


def _counts(t: Table) -> dict[str, dict[str, Counts]]:
    """Per breakdown of ``GROUPS``, per group: the counts. One query groups by all four at once (at most grades x
    bands x deciles x 2 rows); each breakdown sums those rows."""
    grouped = t.group_by(list(GROUPS)).aggregate(leads=t.count(), opportunities=t.opportunity.sum(), won=t.won.sum())
    out: dict[str, dict[str, Counts]] = {key: {} for key in GROUPS}
    for r in grouped.to_pyarrow().to_pylist():
        counts = (int(r["leads"]), int(r["opportunities"] or 0), int(r["won"] or 0))
        for key in GROUPS:
            was = out[key].get(str(r[key]), NO_LEADS)
            out[key][str(r[key])] = (was[0] + counts[0], was[1] + counts[1], was[2] + counts[2])
    return out


def _row(group: str, counts: Counts) -> Row:
    leads, opps, won = counts
    o_low, o_high = wilson(opps, leads)
    w_low, w_high = wilson(won, leads)
    return {
        "group": group,
        "leads": leads,
        "opportunities": opps,
        "opportunity_rate": share(opps, leads),
        "opportunity_low": o_low,
        "opportunity_high": o_high,
        "won": won,
        "won_rate": share(won, leads),
        "won_low": w_low,
        "won_high": w_high,
    }


def _part(name: str, title: str, rows: Sequence[Row], ctx: Context) -> Report:
    return Report(name=name, title=title, columns=COLUMNS, rows=tuple(rows), scope=ctx.scope.describe(ctx.agreement))


def verdicts(grades: Sequence[Row], threshold: Sequence[Row], score: float) -> tuple[str, ...]:
    """Plain-words findings: do the grades come out in order, are neighbours told apart, does the threshold split."""
    out = []
    graded = [r for r in grades if r["leads"]]
    for better, worse in itertools.pairwise(graded):
        rate_b, rate_w = better["opportunity_rate"], worse["opportunity_rate"]
        order = "beats" if rate_b > rate_w else "does not beat"
        apart = (
            "and their 95 % intervals do not overlap"
            if better["opportunity_low"] > worse["opportunity_high"]
            else "but their 95 % intervals overlap"
        )
        out.append(
            f"Grade {better['group']} {order} {worse['group']} at turning into opportunities "
            f"({100 * rate_b:.1f} % against {100 * rate_w:.1f} %), {apart}."
        )
    above, below = (next((r for r in threshold if r["group"] == g), None) for g in ("qualifies", "does not qualify"))
    if above and below and above["leads"] and below["leads"]:
        separates = "separates" if above["opportunity_low"] > below["opportunity_high"] else "does not clearly separate"
        out.append(
            f"The threshold (score {score:g}) {separates} the leads: {100 * above['opportunity_rate']:.1f} % of those "
            f"it qualifies had an opportunity, against {100 * below['opportunity_rate']:.1f} % of the others."
        )
    return tuple(out)


def calibration(ctx: Context) -> Report:
    """Conversion to opportunity and to won by grade, with sections by priority band, score decile and threshold."""
    agreement = ctx.agreement
    counts = _counts(per_lead(ctx))
    by_grade, by_band, by_decile, by_reach = (counts[key] for key in GROUPS)
    grades = [_row(g.grade, by_grade.get(g.grade, NO_LEADS)) for g in agreement.grades]
    bands = [_row(b.band, by_band.get(b.band, NO_LEADS)) for b in agreement.priority]
    deciles = [_row(str(d), by_decile[str(d)]) for d in range(DECILES, 0, -1) if str(d) in by_decile]
    threshold = [
        _row("qualifies", by_reach.get("True", NO_LEADS)),
        _row("does not qualify", by_reach.get("False", NO_LEADS)),
    ]
    main = _part("grades", "Conversion by grade", grades, ctx)
    return Report(
        name="grades",
        title="Conversion by grade",
        columns=COLUMNS,
        rows=main.rows,
        scope=main.scope,
        notes=verdicts(grades, threshold, agreement.qualified.score_at_least),
        sections=(
            _part("grades_priority", "By priority band of the peak score", bands, ctx),
            _part("grades_decile", "By decile of the peak score (10 = highest)", deciles, ctx),
            _part("grades_threshold", "By the qualification rule", threshold, ctx),
        ),
    )


REPORT = Definition(
    name="grades",
    summary=(
        "Do the grades predict revenue? Conversion to opportunity and to won by grade, priority band, score decile."
    ),
    help=(
        "Each lead captured in the period is replayed under the agreement in force (grade before sales' answers, "
        "peak score); rates come with 95 % confidence intervals, and the report says whether A beats B beats C and "
        "whether the qualification threshold separates the leads that convert."
    ),
    compute=calibration,
)
