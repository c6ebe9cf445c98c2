"""Replaying qualification: when each lead would first have become an MQL under an agreement, from its history.

The replay asks of every lead what the agreement's qualification rule says about its recorded events, without
the stage history: the rule is replayed, not looked up. Fit is judged on the lead's current fields before
sales' answers (see ``history``), so it is the same at every moment. The events counted are those the
agreement counts (its types, ``once``, ``max_per_day`` on local days), up to the replay's moment. At each
second in which counted events happened, the score is the fit plus the engagement then, all of that second's
events included; the lead qualifies at the first such second at which its grade is in ``qualified.grades``
and the score reaches ``score_at_least``, or at which an ``immediate`` event happened and its grade is in
``immediate_grades``. A lead whose fit alone meets the rule qualifies when it was captured. Only the first
qualification is replayed: whether a recycled lead came back depends on what sales did, which a replay
cannot know.

The engagement at each event second is a running sum: with h the half-life and r the lead's first counted
second, E(t) = 2^(-(t - r)/h) · Σ points_j · 2^((t_j - r)/h) over the seconds t_j ≤ t. The factors stay
within floating point as long as a lead's history spans fewer than about 1,000 half-lives; a longer one is
refused rather than computed wrong.

With a screening section, the same seconds are asked the screening rule too (score floor, grades, the lead's
source judged in Python as ``screening.screens_now`` judges it): the moment replayed is the first at which the
agreement takes the lead, to sales or to the qualifiers, and the replay says which. The screening rule is asked
first, as the online path asks it: a lead that meets both at that moment goes to the qualifiers.

Each lead's peak score, the highest score it reached at any of those seconds (or its fit, if higher), is
what the grade calibration report bands and ranks leads by.

What a replay finds of each lead is kept in the store by the rescore; a replay reads the kept results that still
hold (``kept_replays``) and replays the other leads only.
"""

from __future__ import annotations

from typing import Any

import ibis

from leadpact.analytics import kept_replays
from leadpact.analytics.backend import Backend
from leadpact.analytics.history import keep, seconds
from leadpact.analytics.rescore import Table, counting, grade_of, judge_fit, real
from leadpact.domain.agreement import Agreement
from leadpact.domain.errors import InvalidInput
from leadpact.domain.scoring import DAY_SECONDS, LN2
from leadpact.domain.screening import source_screened

SAFE_EXPONENT = 700.0
"""e^700 is about 1e304: the largest growth factor the running sum may take before floating point overflows."""

ROUNDING = 1e-9
"""A score within this of the threshold reaches it: running sums and stepwise decay differ in the last bits."""


def fits(con: Backend, agreement: Agreement) -> Table:
    """Every lead's fit before sales' answers and its grade: lead_id, created, merged (merged into another lead), fit,
    screened_source, grade."""
    judged = judge_fit(con, agreement, answers=False)
    fit = real(con, 0.0)
    for points in judged.points:  # summed in rule order, as the online path sums them
        fit = fit + points.fill_null(0.0)
    t = judged.chain.select(
        lead_id=judged.leads.id,
        created=seconds(judged.leads.created_at),
        merged=judged.leads.merged_into.notnull(),
        fit=fit,
        screened_source=_screened_source(con, agreement, judged.leads.source),
    )
    return t.mutate(grade=grade_of(t.fit, agreement))


def _screened_source(con: Backend, agreement: Agreement, source: Any) -> Any:
    """Whether the lead's source is one screening takes: its distinct values judged by the domain's own rule."""
    rule = agreement.screening
    if rule is None or rule.when.sources is None:
        return ibis.literal(rule is not None)
    values = con.table("leads").select("source").distinct().to_pyarrow().column("source").to_pylist()
    taken = [v for v in values if v is not None and source_screened(rule, v)]
    return source.isin(taken).fill_null(False) if taken else ibis.literal(False)


def _screens(agreement: Agreement, score: Any, grade: Any, source: Any) -> Any:
    """The screening rule as an expression (false without a screening section)."""
    rule = agreement.screening
    if rule is None:
        return ibis.literal(False)
    when = rule.when
    holds = source
    if when.score_at_least is not None:
        holds = holds & (score >= when.score_at_least - ROUNDING)
    if when.grades is not None:
        holds = holds & grade.isin(list(when.grades))
    return holds


def moments(con: Backend, agreement: Agreement, at: int | None, leads: Table | None = None) -> Table:
    """The seconds with counted events up to ``at`` (None: all), of ``leads`` (a table of lead_id; None: every
    lead): lead_id, occurred_at, points (their sum), immediate (0/1)."""
    events = con.table("events")
    if at is not None:
        events = events.filter(events.occurred_at <= at)
    if leads is not None:  # caps count per lead (per record within it): a lead's verdicts need only its events
        events = events.semi_join(leads, "lead_id")
    v = counting(con, agreement).verdicts(events, known_only=True)
    v = v.filter(v.counted)
    immediate_types = [rule.type for rule in agreement.events.values() if rule.immediate]
    flag = ibis.cases((v.type.isin(immediate_types), 1), else_=0) if immediate_types else ibis.literal(0)
    return v.group_by(["lead_id", "occurred_at"]).aggregate(points=v.points.sum(), immediate=flag.max())


def _check_span(m: Table, half_life_days: float) -> None:
    """Refuses histories whose growth factors would overflow; ``m`` holds each lead's ``first`` second."""
    widest = (m.occurred_at - m.first).max().to_pyarrow().as_py()
    if widest is not None and widest * LN2 / (half_life_days * DAY_SECONDS) > SAFE_EXPONENT:
        raise InvalidInput(
            f"a lead's history spans {widest / DAY_SECONDS:,.0f} days, more than 1,000 half-lives of "
            f"{half_life_days:g} days: too long to replay"
        )


def _running(m: Table) -> Any:
    """Each lead's seconds from its first up to the current one (one row per second, so rows are seconds)."""
    return ibis.window(group_by=m.lead_id, order_by=m.occurred_at, rows=(None, 0))


def scores(con: Backend, agreement: Agreement, at: int | None, fit: Table, leads: Table | None = None) -> Table:
    """The score at each second with counted events (``moments``): lead_id, occurred_at, score, immediate, fit,
    grade.

    ``fit`` is the leads' ``fits``. The steps are kept in temporary tables:
    SQLite plans the windows over a join of them as one query very slowly.
    """
    m = moments(con, agreement, at, leads)
    half_life = agreement.half_life_days
    if half_life is None:
        m = keep(con, m)
        engagement = m.points.sum().over(_running(m))
    else:
        m = keep(con, m.mutate(first=m.occurred_at.min().over(group_by=m.lead_id)))
        _check_span(m, half_life)
        growth = ((m.occurred_at - m.first).cast("float64") * (LN2 / (half_life * DAY_SECONDS))).exp()
        weighted = m.mutate(growth=growth, grown=m.points * growth)
        running = weighted.grown.sum().over(_running(weighted))
        m = weighted.mutate(engagement=running / weighted.growth)
        engagement = m.engagement
    m = keep(con, m.mutate(engagement=engagement))
    joined = m.join(fit, m.lead_id == fit.lead_id)
    return joined.select(
        m.lead_id, m.occurred_at, m.immediate, fit.fit, fit.grade, fit.screened_source, score=fit.fit + m.engagement
    )


def replayed(con: Backend, agreement: Agreement, at: int | None, fit: Table, leads: Table | None = None) -> Table:
    """What the replay up to ``at`` finds of each lead with counted events (of ``leads``; None: every lead):
    lead_id, first (the first second the rule held), first_screened (the first screening took it), top (the
    highest score at an event second)."""
    rule = agreement.qualified
    threshold = rule.score_at_least - ROUNDING
    s = scores(con, agreement, at, fit, leads)
    by_score = s.grade.isin(list(rule.grades)) & (s.score >= threshold)
    by_event = (s.immediate == 1) & s.grade.isin(list(rule.immediate_grades))
    by_screening = _screens(agreement, s.score, s.grade, s.screened_source)
    return s.group_by("lead_id").aggregate(
        first=s.occurred_at.min(where=by_score | by_event | by_screening),
        first_screened=s.occurred_at.min(where=by_screening),
        top=s.score.max(),
    )


FOUND = ("first", "first_screened", "top")
"""What a replay finds of a lead (``replayed``)."""


def found(con: Backend, agreement: Agreement, at: int | None, fit: Table) -> Table:
    """The leads of ``fit`` (``fits``) with what the replay up to ``at`` finds of each, in a temporary table: fit's
    columns, first, first_screened, top (null: no counted event). The kept replays that still hold are read; the
    other leads are replayed now."""
    checked = kept_replays.checked(con, agreement, at, fit)
    if checked is None:
        fit = keep(con, fit)
        return keep(con, _beside(fit, replayed(con, agreement, at, fit)))
    checked = keep(con, checked)
    stale = checked.filter(~checked.holds).select(*fit.columns)
    fresh = checked.filter(checked.holds).select(*fit.columns, *FOUND)
    if int(stale.count().to_pyarrow().as_py()) == 0:
        return fresh
    stale = keep(con, stale)
    return keep(con, fresh.union(_beside(stale, replayed(con, agreement, at, stale, stale.select("lead_id")))))


def _beside(fit: Table, found: Table) -> Table:
    """Each lead of ``fit`` with what ``replayed`` found of it (``found``)."""
    t = fit.left_join(found, fit.lead_id == found.lead_id)
    return t.select(*(fit[c] for c in fit.columns), *(found[c] for c in FOUND))


def qualifications(con: Backend, agreement: Agreement, at: int) -> Table:
    """Every lead captured by ``at``: lead_id, created, merged, fit, grade, qualified_at (null: never), screened
    (whether the agreement took it to the qualifiers then, not straight to sales), peak (highest score)."""
    rule = agreement.qualified
    threshold = rule.score_at_least - ROUNDING
    f = found(con, agreement, at, fits(con, agreement))
    f = f.filter(f.created <= at)
    screens_on_capture = _screens(agreement, f.fit, f.grade, f.screened_source)
    on_capture = (f.grade.isin(list(rule.grades)) & (f.fit >= threshold)) | screens_on_capture
    qualified_at = ibis.cases(
        (on_capture & (f.first.isnull() | (f.created <= f.first)), f.created),
        else_=f.first,
    )
    screened = (screens_on_capture & (qualified_at == f.created)) | (f.first_screened == qualified_at)
    peak = ibis.cases((f.top.notnull() & (f.top > f.fit), f.top), else_=f.fit)
    return f.select(
        f.lead_id,
        f.created,
        f.merged,
        f.fit,
        f.grade,
        qualified_at=qualified_at,
        screened=screened.fill_null(False),
        peak=peak,
    )
