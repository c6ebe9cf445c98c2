"""The reports as a RevOps engineer would write them by hand: one SQL query per table, on DuckDB or Spark SQL.

Each query computes a table of a report of the catalog (its main table or a further section) at the report's
default options over the tables of a Parquet export (all time, as of ``at``), one row per group: the group's key
columns first, then the figures the report shows for it, in the order its entry names them. ``check_report``
asserts that a report's tables and the queries' rows agree group by group. What the queries leave out (a total
row, a column) is said by the report's entry in ``HAND_WRITTEN``.

Templates name a stored datetime's UTC seconds as ``SECONDS(column)``, which each engine's dialect spells out
(``DIALECTS``); what the agreement decides (the sales sources, the stage probabilities, the working calendar)
is written into the query as literals, and the fit rules are judged in Python on the fields' distinct values,
as bench/rescore.py's hand-written rescore judges them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]

import rescore as rescore_bench
from leadpact.analytics.calibration import Z95
from leadpact.analytics.replay import ROUNDING
from leadpact.analytics.rescore import utc_offsets
from leadpact.analytics.working_time import working_days
from leadpact.domain.agreement import Agreement
from leadpact.domain.report import Report
from leadpact.domain.scoring import DAY_SECONDS, LN2, local_day, local_day_bounds

Rows = list[tuple[Any, ...]]


class Raw:
    """Hand-written SQL on the engine's own connection, over the same views the Ibis connection reads."""

    def __init__(self, con: Any, engine: str) -> None:
        self.con, self.engine = con, engine

    def rows(self, sql: str) -> Rows:
        if self.engine == "duckdb":
            return [tuple(r) for r in self.con.con.execute(sql).fetchall()]
        return [tuple(r) for r in self.con._session.sql(sql).collect()]

    def temp_table(self, name: str, columns: dict[str, list[Any]], types: dict[str, Any] | None = None) -> None:
        arrow = pa.table({n: pa.array(v, type=(types or {}).get(n)) for n, v in columns.items()})
        if self.engine == "duckdb":
            self.con.con.register(f"{name}_arrow", arrow)
            self.con.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
        else:
            self.con._session.createDataFrame(arrow).createOrReplaceTempView(name)


# --- the dialects -------------------------------------------------------------------------------------------------

DIALECTS: dict[str, Callable[[str], str]] = {
    "duckdb": lambda column: f"CAST(epoch({column}) AS BIGINT)",
    "spark": lambda column: f"unix_timestamp({column})",
}
"""Per engine, a stored (naive UTC) datetime column as whole seconds since the epoch."""

QUANTILES = {"duckdb": "quantile_cont", "spark": "percentile"}
"""Per engine, the exact quantile interpolating linearly between the nearest values, as numpy's default does."""

SECONDS = re.compile(r"SECONDS\(([\w.]+)\)")


def in_dialect(sql: str, engine: str) -> str:
    """The template's ``SECONDS(column)`` and ``QUANTILE(column, p)`` written in the engine's dialect."""
    epoch = DIALECTS[engine]
    return SECONDS.sub(lambda found: epoch(found.group(1)), sql).replace("QUANTILE(", f"{QUANTILES[engine]}(")


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _texts(values: list[str] | tuple[str, ...]) -> str:
    """A SQL list of string literals (one that matches nothing when empty)."""
    return ", ".join(_text(v) for v in values) if values else "NULL"


def _listed(values: tuple[str, ...], column: str) -> str:
    """A one-column table of string literals, usable on both engines (empty: no row)."""
    if not values:
        return f"SELECT CAST(NULL AS STRING) AS {column} WHERE 1 = 0"
    return f"SELECT * FROM (VALUES {', '.join(f'({_text(v)})' for v in values)}) AS v({column})"


def _wilson(successes: str, trials: str, low: bool) -> str:
    """The 95 % Wilson score interval's low or high end of successes / trials (null without trials)."""
    z, n = repr(Z95), f"CAST({trials} AS DOUBLE)"
    p = f"(CAST({successes} AS DOUBLE) / {n})"
    centre = f"({p} + {z} * {z} / (2 * {n}))"
    spread = f"({z} * SQRT({p} * (1 - {p}) / {n} + {z} * {z} / (4 * {n} * {n})))"
    scale = f"(1 + {z} * {z} / {n})"
    end = f"GREATEST(0.0, ({centre} - {spread}) / {scale})" if low else f"LEAST(1.0, ({centre} + {spread}) / {scale})"
    return f"CASE WHEN {trials} > 0 THEN {end} END"


# --- the queries --------------------------------------------------------------------------------------------------

DEALS = """deals AS (
    SELECT o.id, o.lead_id, o.owner_id, o.amount, o.close_date, SECONDS(o.created_at) AS created,
           CASE WHEN SECONDS(o.closed_at) <= {at} THEN SECONDS(o.closed_at) END AS closed,
           CASE WHEN SECONDS(o.closed_at) <= {at} THEN o.won END AS won,
           CASE WHEN SECONDS(o.closed_at) <= {at} THEN o.lost_reason END AS lost_reason, s.stage
    FROM opportunities o LEFT JOIN (
        SELECT c.opportunity_id, c.to_stage AS stage,
               ROW_NUMBER() OVER (PARTITION BY c.opportunity_id ORDER BY SECONDS(c.at) DESC, c.id DESC) AS latest
        FROM opportunity_changes c WHERE SECONDS(c.at) <= {at}
    ) s ON s.opportunity_id = o.id AND s.latest = 1
    WHERE SECONDS(o.created_at) <= {at}
)"""
"""The deals opened by ``at`` as they stood then: closed, won and lost reason only once closed by ``at``, and the
sales stage of their latest change by ``at``."""

REACHED = """r AS (
    SELECT lead_id,
           MIN(CASE WHEN to_stage = 'screening' THEN SECONDS(c.at) END) AS screening,
           MIN(CASE WHEN to_stage = 'mql' THEN SECONDS(c.at) END) AS mql,
           MIN(CASE WHEN to_stage = 'sal' THEN SECONDS(c.at) END) AS sal,
           MIN(CASE WHEN to_stage = 'sql' THEN SECONDS(c.at) END) AS sql_,
           MIN(CASE WHEN to_stage = 'opportunity' THEN SECONDS(c.at) END) AS opportunity,
           MIN(CASE WHEN to_stage = 'customer' THEN SECONDS(c.at) END) AS customer
    FROM stage_changes c WHERE SECONDS(c.at) <= {at} GROUP BY lead_id
)"""
"""Per lead with a stage change by ``at`` (``r``): the first moment it reached each funnel stage (null: never)."""

WON_REVENUE = """won AS (
    SELECT lead_id, SUM(amount) AS revenue FROM opportunities
    WHERE won AND SECONDS(created_at) <= {at} AND SECONDS(closed_at) <= {at} GROUP BY lead_id
)"""
"""Per lead with a deal won by ``at`` (``won``): the won deals' amounts."""

FUNNEL_SQL = """
WITH {reached}, {won_revenue}, cohort AS (
    SELECT COALESCE(l.source, '(none)') AS grp, SECONDS(l.created_at) AS created, r.*,
           COALESCE(w.revenue, 0.0) AS revenue
    FROM leads l LEFT JOIN r ON r.lead_id = l.id LEFT JOIN won w ON w.lead_id = l.id
    WHERE l.merged_into IS NULL AND SECONDS(l.created_at) <= {at}
), counted AS (
    SELECT COALESCE(grp, 'all') AS grp, COUNT(*) AS leads, COUNT(screening) AS screened, COUNT(mql) AS mql,
           COUNT(sal) AS sal, COUNT(sql_) AS sql_, COUNT(opportunity) AS opportunity, COUNT(customer) AS won,
           SUM(revenue) AS revenue,
           QUANTILE((mql - created) / 86400.0, 0.5) AS to_mql,
           QUANTILE((sal - mql) / 86400.0, 0.5) AS mql_to_sal,
           QUANTILE((sql_ - sal) / 86400.0, 0.5) AS sal_to_sql,
           QUANTILE((opportunity - sql_) / 86400.0, 0.5) AS sql_to_opportunity,
           QUANTILE((customer - opportunity) / 86400.0, 0.5) AS opportunity_to_won
    FROM cohort GROUP BY GROUPING SETS ((grp), ())
)
SELECT grp, leads, screened, mql, sal, sql_, opportunity, won, revenue,
       CAST(mql AS DOUBLE) / NULLIF(leads, 0), CAST(sal AS DOUBLE) / NULLIF(mql, 0),
       CAST(sql_ AS DOUBLE) / NULLIF(sal, 0), CAST(opportunity AS DOUBLE) / NULLIF(sql_, 0),
       CAST(won AS DOUBLE) / NULLIF(opportunity, 0),
       to_mql, mql_to_sal, sal_to_sql, sql_to_opportunity, opportunity_to_won
FROM counted
"""
"""The funnel by source: per source, the leads captured by ``at``, how many ever reached each stage, the won
revenue, each step's rate and the median days between first arrivals at its stages."""

COSTS_SQL = """
WITH {reached}, {won_revenue}, cohort AS (
    SELECT COALESCE(c.channel, l.source, '(none)') AS grp, COUNT(*) AS leads, COUNT(r.mql) AS mql,
           COUNT(r.sql_) AS sql_, COUNT(r.opportunity) AS opportunity, COUNT(r.customer) AS won,
           SUM(COALESCE(w.revenue, 0.0)) AS revenue
    FROM leads l LEFT JOIN r ON r.lead_id = l.id LEFT JOIN won w ON w.lead_id = l.id
    LEFT JOIN campaigns c ON c.id = l.campaign_id
    WHERE l.merged_into IS NULL AND SECONDS(l.created_at) <= {at}
    GROUP BY COALESCE(c.channel, l.source, '(none)')
), spent AS (
    SELECT COALESCE(c.channel, '(none)') AS grp, SUM(k.amount) AS cost
    FROM campaign_costs k JOIN campaigns c ON c.id = k.campaign_id
    WHERE k.incurred_on <= DATE '{today}' GROUP BY COALESCE(c.channel, '(none)')
), channels AS (
    SELECT COALESCE(channel, '(none)') AS grp FROM campaigns UNION SELECT grp FROM spent UNION SELECT grp FROM cohort
), totalled AS (
    SELECT g.grp, s.cost, COALESCE(h.leads, 0) AS leads, COALESCE(h.mql, 0) AS mql, COALESCE(h.sql_, 0) AS sql_,
           COALESCE(h.opportunity, 0) AS opportunity, COALESCE(h.won, 0) AS won, COALESCE(h.revenue, 0.0) AS revenue
    FROM channels g LEFT JOIN spent s ON s.grp = g.grp LEFT JOIN cohort h ON h.grp = g.grp
    UNION ALL
    SELECT 'all', s.cost, h.leads, h.mql, h.sql_, h.opportunity, h.won, h.revenue
    FROM (SELECT SUM(cost) AS cost FROM spent) s CROSS JOIN (
        SELECT SUM(leads) AS leads, SUM(mql) AS mql, SUM(sql_) AS sql_, SUM(opportunity) AS opportunity,
               SUM(won) AS won, SUM(revenue) AS revenue
        FROM cohort
    ) h
)
SELECT grp, cost, leads, mql, sql_, opportunity, won, revenue, (revenue - cost) / NULLIF(cost, 0) AS roi,
       cost / NULLIF(leads, 0), cost / NULLIF(mql, 0), cost / NULLIF(sql_, 0), cost / NULLIF(opportunity, 0),
       cost / NULLIF(won, 0)
FROM totalled
"""
"""Costs by source: each campaign channel's spend up to the day of ``at``, the cohort's counts by channel, the
ROI and the cost per lead and per stage reached."""

SOURCED_SQL = """
WITH side AS (
    SELECT id AS lead_id, {side} AS grp FROM leads
), cohort AS (
    SELECT s.grp, COUNT(*) AS leads FROM leads l JOIN side s ON s.lead_id = l.id
    WHERE l.merged_into IS NULL AND SECONDS(l.created_at) <= {at} GROUP BY s.grp
), {deals}, pipeline AS (
    SELECT s.grp, COUNT(*) AS opportunities, SUM(d.amount) AS pipeline,
           SUM(CASE WHEN d.closed IS NULL THEN 1 ELSE 0 END) AS open_,
           SUM(CASE WHEN d.closed IS NULL THEN d.amount ELSE 0.0 END) AS open_pipeline,
           SUM(CASE WHEN d.won THEN 1 ELSE 0 END) AS won,
           SUM(CASE WHEN d.won THEN d.amount ELSE 0.0 END) AS revenue
    FROM deals d JOIN side s ON s.lead_id = d.lead_id GROUP BY s.grp
), sides AS (
    SELECT COALESCE(c.grp, p.grp) AS grp, COALESCE(c.leads, 0) AS leads, COALESCE(p.opportunities, 0) AS opportunities,
           COALESCE(p.pipeline, 0.0) AS pipeline, COALESCE(p.open_, 0) AS open_,
           COALESCE(p.open_pipeline, 0.0) AS open_pipeline, COALESCE(p.won, 0) AS won,
           COALESCE(p.revenue, 0.0) AS revenue
    FROM cohort c FULL OUTER JOIN pipeline p ON p.grp = c.grp
), totalled AS (
    SELECT * FROM sides
    UNION ALL
    SELECT 'all', SUM(leads), SUM(opportunities), SUM(pipeline), SUM(open_), SUM(open_pipeline), SUM(won), SUM(revenue)
    FROM sides
)
SELECT grp, leads, opportunities, pipeline, open_, open_pipeline, won, revenue,
       pipeline / NULLIF(SUM(CASE WHEN grp <> 'all' THEN pipeline END) OVER (), 0) AS pipeline_share,
       revenue / NULLIF(SUM(CASE WHEN grp <> 'all' THEN revenue END) OVER (), 0) AS revenue_share
FROM totalled
"""
"""Marketing-sourced and sales-sourced: each side's cohort, deals opened, open, won, and its shares."""

SLA_SQL = """
WITH calendar AS (
    SELECT * FROM (VALUES {calendar}) AS k(starts, ends, opens, closes, worked)
), a AS (
    SELECT a.lead_id, COALESCE(u.name, '(none)') AS grp, SECONDS(a.assigned_at) AS assigned,
           SECONDS(a.accept_due) AS accept_due, SECONDS(a.contact_due) AS contact_due,
           CASE WHEN SECONDS(a.accepted_at) <= {at} THEN SECONDS(a.accepted_at) END AS accepted,
           CASE WHEN SECONDS(a.contacted_at) <= {at} THEN SECONDS(a.contacted_at) END AS contacted,
           SECONDS(a.accept_breached_at) <= {at} AS accept_breached,
           SECONDS(a.contact_breached_at) <= {at} AS contact_breached,
           SECONDS(a.ended_at) <= {at} AS ended,
           SECONDS(a.ended_at) <= {at} AND a.end_reason IN ('accept_breach', 'contact_breach') AS reassigned,
           COALESCE(a.accepted_at = a.assigned_at, FALSE) AS started_accepted
    FROM assignments a LEFT JOIN users u ON u.id = a.user_id
    WHERE SECONDS(a.assigned_at) <= {at}
), f AS (
    SELECT a.grp, a.lead_id, a.contacted IS NOT NULL AS contacted_any,
           NOT a.started_accepted AS awaiting,
           NOT a.started_accepted AND a.accepted IS NULL AND NOT COALESCE(a.ended, FALSE) AS waiting,
           NOT a.started_accepted AND (a.accepted IS NOT NULL OR a.ended OR a.accept_due <= {at}) AS acceptance_due,
           NOT a.started_accepted AND a.accepted <= a.accept_due AS accepted_in_sla,
           a.contacted IS NOT NULL OR a.ended OR a.contact_due <= {at} AS contact_due,
           a.contacted <= a.contact_due AS contacted_in_sla,
           a.accept_breached, a.contact_breached, a.reassigned,
           CASE WHEN a.contacted IS NOT NULL THEN
               CAST(GREATEST(0, (t.worked + LEAST(GREATEST(a.contacted, t.opens), t.closes) - t.opens)
                    - (s.worked + LEAST(GREATEST(a.assigned, s.opens), s.closes) - s.opens)) AS DOUBLE) / 3600
           END AS hours
    FROM a LEFT JOIN calendar s ON a.assigned >= s.starts AND a.assigned < s.ends
    LEFT JOIN calendar t ON a.contacted >= t.starts AND a.contacted < t.ends
), per_lead AS (
    SELECT grp, lead_id, MAX(CASE WHEN contact_due THEN 1 ELSE 0 END) AS due,
           MAX(CASE WHEN contacted_any THEN 1 ELSE 0 END) AS reached
    FROM f GROUP BY GROUPING SETS ((grp, lead_id), (lead_id))
), never AS (
    SELECT COALESCE(grp, 'all') AS grp, SUM(due) AS leads_contact_due,
           SUM(CASE WHEN due = 1 AND reached = 0 THEN 1 ELSE 0 END) AS never
    FROM per_lead GROUP BY grp
), counted AS (
    SELECT COALESCE(grp, 'all') AS grp, COUNT(*) AS assignments,
           SUM(CASE WHEN awaiting THEN 1 ELSE 0 END) AS awaiting,
           SUM(CASE WHEN waiting THEN 1 ELSE 0 END) AS waiting,
           SUM(CASE WHEN acceptance_due THEN 1 ELSE 0 END) AS acceptance_due,
           SUM(CASE WHEN accepted_in_sla THEN 1 ELSE 0 END) AS accepted_in_sla,
           SUM(CASE WHEN contact_due THEN 1 ELSE 0 END) AS contact_due,
           SUM(CASE WHEN contacted_in_sla THEN 1 ELSE 0 END) AS contacted_in_sla,
           SUM(CASE WHEN accept_breached THEN 1 ELSE 0 END) AS accept_breaches,
           SUM(CASE WHEN contact_breached THEN 1 ELSE 0 END) AS contact_breaches,
           SUM(CASE WHEN reassigned THEN 1 ELSE 0 END) AS reassigned,
           QUANTILE(hours, 0.5) AS median_hours, QUANTILE(hours, 0.9) AS p90_hours
    FROM f GROUP BY GROUPING SETS ((grp), ())
)
SELECT c.grp, c.assignments, c.awaiting, c.waiting, c.acceptance_due, c.accepted_in_sla,
       CAST(c.accepted_in_sla AS DOUBLE) / NULLIF(c.acceptance_due, 0), c.contact_due, c.contacted_in_sla,
       CAST(c.contacted_in_sla AS DOUBLE) / NULLIF(c.contact_due, 0), n.leads_contact_due, n.never,
       CAST(n.never AS DOUBLE) / NULLIF(n.leads_contact_due, 0), c.median_hours, c.p90_hours,
       c.accept_breaches, c.contact_breaches, c.reassigned
FROM counted c JOIN never n ON n.grp = c.grp
"""
"""The SLA by rep: per rep, the assignments started by ``at`` and how they were accepted and contacted; hours to
contact are working hours of the agreement's calendar (one row per local day: its UTC bounds, its working
window and the working seconds before it)."""

REASONS_SQL = """
WITH {deals}, occurred AS (
    SELECT from_stage AS grp, 'reject' AS kind, COALESCE(reason, '(none)') AS reason
    FROM stage_changes c
    WHERE from_stage IN ('mql', 'sal', 'sql') AND to_stage IN ('recycled', 'disqualified')
      AND by_user_id IS NOT NULL AND SECONDS(c.at) <= {at}
    UNION ALL
    SELECT COALESCE(stage, '(none)'), 'lost', COALESCE(lost_reason, '(none)') FROM deals WHERE NOT won
), counted AS (
    SELECT COALESCE(grp, 'all') AS grp, kind, reason, COUNT(*) AS n FROM occurred
    GROUP BY GROUPING SETS ((grp, kind, reason), (kind, reason))
)
SELECT grp, kind, reason, n, CAST(n AS DOUBLE) / SUM(n) OVER (PARTITION BY grp, kind) AS share FROM counted
"""
"""Reject and lost reasons by stage: the reps' rejections by the stage left, the lost deals by the sales stage they
were lost in; each reason's count and share of its group's count of its kind."""

ATTRIBUTION_SQL = """
WITH ev AS (
    SELECT lead_id, campaign_id, occurred_at AS touched, id AS seq FROM events
    WHERE campaign_id IS NOT NULL AND occurred_at <= {at}
), touches AS (
    SELECT lead_id, campaign_id, touched, seq FROM ev
    UNION ALL
    SELECT l.id, l.campaign_id, SECONDS(l.created_at), 0 FROM leads l
    WHERE l.merged_into IS NULL AND l.campaign_id IS NOT NULL AND SECONDS(l.created_at) <= {at}
      AND NOT EXISTS (
          SELECT 1 FROM ev WHERE ev.lead_id = l.id AND ev.campaign_id = l.campaign_id
                           AND ev.touched <= SECONDS(l.created_at)
      )
), {deals}, credited AS (
    SELECT 'pipeline' AS measure, id AS deal_id, lead_id, amount, created AS moment FROM deals
    WHERE won IS NULL OR won
    UNION ALL
    SELECT 'revenue', id, lead_id, amount, closed FROM deals WHERE won
), journeys AS (
    SELECT d.measure, d.deal_id, d.amount, t.campaign_id,
           ROW_NUMBER() OVER (PARTITION BY d.measure, d.deal_id ORDER BY t.touched, t.seq) - 1 AS pos,
           COUNT(*) OVER (PARTITION BY d.measure, d.deal_id) AS n
    FROM credited d JOIN touches t ON t.lead_id = d.lead_id AND t.touched < d.moment
), credits AS (
    SELECT measure, deal_id, campaign_id,
           amount * CASE WHEN n = 1 THEN 1.0 WHEN n = 2 THEN 0.5 WHEN pos = 0 OR pos = n - 1 THEN 0.4
                         ELSE 0.2 / (n - 2) END AS credit
    FROM journeys
), untouched AS (
    SELECT * FROM credited d
    WHERE NOT EXISTS (SELECT 1 FROM touches t WHERE t.lead_id = d.lead_id AND t.touched < d.moment)
)
SELECT c.name, c.channel, COALESCE(SUM(CASE WHEN k.measure = 'pipeline' THEN k.credit END), 0.0),
       COALESCE(SUM(CASE WHEN k.measure = 'revenue' THEN k.credit END), 0.0), COUNT(DISTINCT k.deal_id)
FROM credits k JOIN campaigns c ON c.id = k.campaign_id GROUP BY c.name, c.channel
UNION ALL
SELECT '(no touch)', NULL, COALESCE(SUM(CASE WHEN measure = 'pipeline' THEN amount END), 0.0),
       COALESCE(SUM(CASE WHEN measure = 'revenue' THEN amount END), 0.0), COUNT(DISTINCT deal_id)
FROM untouched HAVING COUNT(*) > 0
UNION ALL
SELECT 'all', NULL, COALESCE(SUM(CASE WHEN measure = 'pipeline' THEN amount END), 0.0),
       COALESCE(SUM(CASE WHEN measure = 'revenue' THEN amount END), 0.0), COUNT(DISTINCT deal_id)
FROM credited
"""
"""U-shaped attribution: each deal's amount (opened and open or won: pipeline; won: revenue) shared over its lead's
campaign touches before it, 40 % to the first, 40 % to the last, 20 % over those between; per campaign."""

STAGE_HISTORY = """history AS (
    SELECT p.stage, COUNT(*) AS closed, SUM(CASE WHEN d.won THEN 1 ELSE 0 END) AS won
    FROM (
        SELECT DISTINCT c.opportunity_id, c.to_stage AS stage FROM opportunity_changes c WHERE SECONDS(c.at) <= {at}
    ) p
    JOIN deals d ON d.id = p.opportunity_id WHERE d.closed IS NOT NULL
    GROUP BY p.stage
)"""
"""Per sales stage (``history``): the deals closed by ``at`` that were ever at it, and how many of them were won.
Reads ``deals``."""

FORECAST_SQL = """
WITH {deals}, {stage_history}, open_deals AS (
    SELECT CAST(year(d.close_date) AS STRING) || '-' || LPAD(CAST(month(d.close_date) AS STRING), 2, '0') AS month,
           d.amount, d.close_date, {probability} AS probability, CAST(h.won AS DOUBLE) / h.closed AS rate
    FROM deals d LEFT JOIN history h ON h.stage = d.stage WHERE d.closed IS NULL
)
SELECT COALESCE(month, 'all'), COUNT(*) AS deals, SUM(CASE WHEN close_date < DATE '{today}' THEN 1 ELSE 0 END),
       SUM(amount), SUM(amount * probability) AS by_agreement, SUM(amount * rate) AS by_history
FROM open_deals
GROUP BY GROUPING SETS ((month), ())
"""
"""The forecast: the deals open at ``at`` by expected close month, weighted by the agreement's stage probability
and by the stage's historical rate (won over closed deals that passed through it)."""

GRADES_SQL = """
WITH fit AS (
    SELECT l.id AS lead_id, {fit} AS fit
    FROM leads l LEFT JOIN accounts a ON a.id = l.account_id
    LEFT JOIN m_title t ON t.value = l.title
    LEFT JOIN m_employees s ON s.value = a.employees
    LEFT JOIN m_industry i ON i.value = a.industry
    LEFT JOIN m_email m ON m.value = l.email
    WHERE l.merged_into IS NULL AND SECONDS(l.created_at) <= {at}
), graded AS (
    SELECT lead_id, fit, {grade} AS grade FROM fit f
), ranked AS (
    SELECT e.lead_id, e.occurred_at, r.points, r.immediate, r.cap,
           ROW_NUMBER() OVER (
               PARTITION BY COALESCE(e.recorded_for, e.lead_id), e.type,
                   CASE WHEN r.daily THEN CAST(FLOOR((e.occurred_at + {offset}) / 86400.0) AS BIGINT) ELSE 0 END
               ORDER BY e.occurred_at, e.event_id
           ) AS rn
    FROM events e JOIN replay_rules r ON r.type = e.type
    WHERE e.occurred_at <= {at}
), m AS (
    SELECT lead_id, occurred_at, SUM(points) AS points, MAX(immediate) AS immediate
    FROM ranked WHERE cap IS NULL OR rn <= cap GROUP BY lead_id, occurred_at
), w AS (
    SELECT lead_id, occurred_at, points, immediate,
           EXP(CAST(occurred_at - MIN(occurred_at) OVER (PARTITION BY lead_id) AS DOUBLE) * {rate}) AS growth
    FROM m
), running AS (
    SELECT lead_id, occurred_at, immediate,
           SUM(points * growth) OVER (PARTITION BY lead_id ORDER BY occurred_at ROWS UNBOUNDED PRECEDING) / growth
               AS engagement
    FROM w
), replayed AS (
    SELECT g.lead_id, MAX(g.fit + r.engagement) AS top,
           MIN(CASE WHEN (g.grade IN ({qualified}) AND g.fit + r.engagement >= {threshold})
                         OR (r.immediate = 1 AND g.grade IN ({immediate}))
                    THEN r.occurred_at END) AS first
    FROM running r JOIN graded g ON g.lead_id = r.lead_id GROUP BY g.lead_id
), {deals}, outcome AS (
    SELECT lead_id, COUNT(*) AS deals, SUM(CASE WHEN won THEN 1 ELSE 0 END) AS won FROM deals GROUP BY lead_id
), per_lead AS (
    SELECT g.grade, CASE WHEN p.top > g.fit THEN p.top ELSE g.fit END AS peak,
           (g.grade IN ({qualified}) AND g.fit >= {threshold}) OR p.first IS NOT NULL AS reaches,
           CASE WHEN o.deals > 0 THEN 1 ELSE 0 END AS opportunity, CASE WHEN o.won > 0 THEN 1 ELSE 0 END AS won
    FROM graded g LEFT JOIN replayed p ON p.lead_id = g.lead_id LEFT JOIN outcome o ON o.lead_id = g.lead_id
), ranks AS (
    SELECT *, {band} AS band,
           CAST(FLOOR((RANK() OVER (ORDER BY peak) - 1) * 10.0 / COUNT(*) OVER ()) AS BIGINT) + 1 AS decile
    FROM per_lead
), counted AS (
    SELECT CASE WHEN GROUPING(grade) = 0 THEN 'grades' WHEN GROUPING(band) = 0 THEN 'grades_priority'
                WHEN GROUPING(decile) = 0 THEN 'grades_decile' ELSE 'grades_threshold' END AS part,
           CASE WHEN GROUPING(grade) = 0 THEN grade WHEN GROUPING(band) = 0 THEN band
                WHEN GROUPING(decile) = 0 THEN CAST(decile AS STRING)
                WHEN reaches THEN 'qualifies' ELSE 'does not qualify' END AS grp,
           COUNT(*) AS leads, SUM(opportunity) AS opportunities, SUM(won) AS won
    FROM ranks GROUP BY GROUPING SETS ((grade), (band), (decile), (reaches))
)
SELECT part, grp, leads, opportunities, CAST(opportunities AS DOUBLE) / leads, {opportunity_low}, {opportunity_high},
       won, CAST(won AS DOUBLE) / leads, {won_low}, {won_high}
FROM counted
"""
"""Conversion by grade, priority band, score decile and the qualification rule. Each lead captured by ``at`` is
graded by its fit before sales' answers (fit rules judged on the fields' distinct values) and its qualification
replayed: the events the agreement counts (its caps per record, type and local day), summed per second into a
decayed running sum (as bench/backtest.py's baseline), the first second its grade and score (or an immediate
event) meet the rule, and its peak score. Per group: the leads, those with a deal and with a won deal, with Wilson
intervals."""


FEEDBACK_SQL = """
WITH {deals}, named AS (
    SELECT DISTINCT f.competitor, f.moment, f.lead_id, f.opportunity_id FROM feedback f
    WHERE f.competitor IS NOT NULL AND SECONDS(f.at) <= {at}
), found AS (
    SELECT n.competitor, SUM(CASE WHEN n.moment = 'contact' THEN 1 ELSE 0 END) AS contact,
           SUM(CASE WHEN n.moment = 'lost' THEN 1 ELSE 0 END) AS lost, {lost_at}
           SUM(CASE WHEN n.moment = 'won' THEN 1 ELSE 0 END) AS won,
           SUM(CASE WHEN n.moment = 'lost' THEN COALESCE(d.amount, 0.0) ELSE 0.0 END) AS lost_amount,
           SUM(CASE WHEN n.moment = 'won' THEN COALESCE(d.amount, 0.0) ELSE 0.0 END) AS won_amount
    FROM named n LEFT JOIN deals d ON d.id = n.opportunity_id GROUP BY n.competitor
), listed AS (
    {listed} UNION SELECT competitor FROM found
)
SELECT x.competitor, COALESCE(f.contact, 0), COALESCE(f.lost, 0), {lost_at_columns} COALESCE(f.won, 0),
       COALESCE(f.lost_amount, 0.0), COALESCE(f.won_amount, 0.0),
       CAST(f.won AS DOUBLE) / NULLIF(f.won + f.lost, 0)
FROM listed x LEFT JOIN found f ON f.competitor = x.competitor
"""
"""Sales feedback on competitors: per competitor (the agreement's and any recorded), the leads met at contact, the
deals lost to it (in all and per sales stage) and won against it, their amounts and the win rate."""

VALUE_SQL = """
WITH {reached}, {deals}, won AS (
    SELECT lead_id, COUNT(*) AS n, SUM(amount) AS total, SUM(amount * amount) AS squares FROM deals WHERE won
    GROUP BY lead_id
), cohort AS (
    SELECT COALESCE(c.channel, l.source, '(none)') AS grp, r.mql, r.customer, w.n, w.total, w.squares
    FROM leads l LEFT JOIN r ON r.lead_id = l.id LEFT JOIN won w ON w.lead_id = l.id
    LEFT JOIN campaigns c ON c.id = l.campaign_id
    WHERE l.merged_into IS NULL AND SECONDS(l.created_at) <= {at}
), spent AS (
    SELECT COALESCE(c.channel, '(none)') AS grp, SUM(k.amount) AS cost
    FROM campaign_costs k JOIN campaigns c ON c.id = k.campaign_id
    WHERE k.incurred_on <= DATE '{today}' GROUP BY COALESCE(c.channel, '(none)')
), spent_all AS (
    SELECT grp, cost FROM spent UNION ALL SELECT 'all', SUM(cost) FROM spent
), grouped AS (
    SELECT COALESCE(grp, 'all') AS grp, COUNT(*) AS leads, COUNT(mql) AS mql, COUNT(customer) AS won_leads,
           COALESCE(SUM(total), 0.0) AS revenue, COALESCE(SUM(n), 0) AS deals, COALESCE(SUM(total), 0.0) AS total,
           COALESCE(SUM(squares), 0.0) AS squares
    FROM cohort GROUP BY GROUPING SETS ((grp), ())
), whole AS (
    SELECT deals, total, squares FROM grouped WHERE grp = 'all'
), spread AS (
    SELECT g.*, s.cost, CAST(g.won_leads AS DOUBLE) / g.leads AS conversion,
           CASE WHEN g.deals > 0 THEN g.total / g.deals END AS average,
           CASE WHEN g.deals >= 2 THEN {group_half} ELSE {whole_half} END AS half,
           CASE WHEN g.deals >= 2 THEN g.total / g.deals ELSE w.total / w.deals END AS centre,
           g.deals >= 2 OR w.deals >= 2 AS spread
    FROM grouped g CROSS JOIN whole w LEFT JOIN spent_all s ON s.grp = g.grp
)
SELECT grp, leads, mql, won_leads, revenue, revenue / leads, revenue / NULLIF(mql, 0), conversion,
       {conversion_low}, {conversion_high}, average, conversion * COALESCE(average, 0.0),
       CASE WHEN spread THEN {conversion_low} * GREATEST(0.0, centre - half) END,
       CASE WHEN spread THEN {conversion_high} * (centre + half) END,
       cost / leads, conversion * COALESCE(average, 0.0), conversion * COALESCE(average, 0.0) - cost / leads
FROM spread
"""
"""What a lead is worth by source (a lead's campaign channel, else its source): the cohort's won revenue per lead
and MQL, its expected value (conversion times average won deal) with its 95 % spread, and the cost per lead."""

SCREENING_SQL = """
WITH s AS (
    SELECT lead_id, SECONDS(entered_at) AS entered, SECONDS(call_due) AS due, SECONDS(first_call_at) AS called,
           SECONDS(call_breached_at) AS breached, SECONDS(decided_at) AS decided, decision, qualifier_id
    FROM screenings WHERE SECONDS(entered_at) <= {at}
), later AS (
    SELECT s.lead_id, s.entered, MAX(CASE WHEN c.to_stage = 'sal' THEN 1 ELSE 0 END) AS sal,
           MAX(CASE WHEN c.to_stage = 'sql' THEN 1 ELSE 0 END) AS sql_,
           MAX(CASE WHEN c.to_stage = 'customer' THEN 1 ELSE 0 END) AS won
    FROM s JOIN stage_changes c ON c.lead_id = s.lead_id AND SECONDS(c.at) <= {at} AND SECONDS(c.at) >= s.decided
    WHERE s.decided <= {at} AND s.decision = 'pass'
    GROUP BY s.lead_id, s.entered
), grouped AS (
    SELECT CASE WHEN s.decided IS NULL OR s.decided > {at} THEN '(waiting)' WHEN u.name IS NULL THEN '(nobody named)'
                ELSE u.name END AS grp,
           s.*, COALESCE(l.sal, 0) AS sal, COALESCE(l.sql_, 0) AS sql_, COALESCE(l.won, 0) AS won,
           s.decided <= {at} AS decided_by
    FROM s LEFT JOIN later l ON l.lead_id = s.lead_id AND l.entered = s.entered
    LEFT JOIN users u ON u.id = s.qualifier_id
), counted AS (
    SELECT COALESCE(grp, 'all') AS grp, COUNT(*) AS screened,
           COALESCE(SUM(CASE WHEN called <= {at} OR due <= {at} THEN 1 ELSE 0 END), 0) AS call_due,
           COALESCE(SUM(CASE WHEN called <= {at} AND called <= due THEN 1 ELSE 0 END), 0) AS called_in_sla,
           COALESCE(SUM(CASE WHEN breached <= {at} THEN 1 ELSE 0 END), 0) AS call_breaches,
           COALESCE(SUM(CASE WHEN decided_by AND decision = 'pass' THEN 1 ELSE 0 END), 0) AS passed,
           COALESCE(SUM(CASE WHEN decided_by AND decision = 'not_yet' THEN 1 ELSE 0 END), 0) AS not_yet,
           COALESCE(SUM(CASE WHEN decided_by AND decision = 'disqualify' THEN 1 ELSE 0 END), 0) AS disqualified,
           COALESCE(SUM(sal), 0) AS accepted, COALESCE(SUM(sql_), 0) AS sql_, COALESCE(SUM(won), 0) AS won
    FROM grouped GROUP BY GROUPING SETS ((grp), ())
)
SELECT grp, screened, call_due, called_in_sla, CAST(called_in_sla AS DOUBLE) / NULLIF(call_due, 0), call_breaches,
       passed, not_yet, disqualified, CAST(passed AS DOUBLE) / NULLIF(passed + not_yet + disqualified, 0),
       accepted, sql_, won
FROM counted
"""
"""Screening by qualifier: the screenings begun by ``at``, their first calls, the decisions, and how far the passed
leads went in sales after the pass."""


REASONS_RECYCLED_SQL = """
WITH c AS (
    SELECT c.lead_id, c.from_stage, c.to_stage, c.reason, c.by_user_id, SECONDS(c.at) AS moment
    FROM stage_changes c WHERE SECONDS(c.at) <= {at}
), firsts AS (
    SELECT lead_id, CASE WHEN from_stage = 'opportunity' THEN 'lost' ELSE 'reject' END AS kind,
           COALESCE(reason, '(none)') AS reason, MIN(moment) AS first
    FROM c WHERE from_stage IN ('mql', 'sal', 'sql', 'opportunity') AND to_stage = 'recycled'
      AND by_user_id IS NOT NULL
    GROUP BY lead_id, CASE WHEN from_stage = 'opportunity' THEN 'lost' ELSE 'reject' END, COALESCE(reason, '(none)')
), per_lead AS (
    SELECT f.kind, f.reason, f.lead_id, MAX(CASE WHEN l.to_stage = 'opportunity' THEN 1 ELSE 0 END) AS opportunity,
           MAX(CASE WHEN l.to_stage = 'customer' THEN 1 ELSE 0 END) AS customer
    FROM firsts f LEFT JOIN c l
      ON l.lead_id = f.lead_id AND l.to_stage IN ('opportunity', 'customer') AND l.moment > f.first
    GROUP BY f.kind, f.reason, f.lead_id
)
SELECT kind, reason, COUNT(*), SUM(opportunity), CAST(SUM(opportunity) AS DOUBLE) / COUNT(*), SUM(customer),
       CAST(SUM(customer) AS DOUBLE) / COUNT(*)
FROM per_lead GROUP BY kind, reason
"""
"""Recycled, then converted: per kind and reason, the leads a rep recycled (from a reject or a lost deal) and how
many of them reached an opportunity, and a won deal, after their first such recycle."""

FORECAST_STAGES_SQL = """
WITH {deals}, {stage_history}, now AS (
    SELECT stage, COUNT(*) AS deals, SUM(amount) AS amount FROM deals WHERE closed IS NULL AND stage IS NOT NULL
    GROUP BY stage
), listed AS (
    {stages}
), stages AS (
    SELECT stage FROM listed UNION SELECT stage FROM history UNION SELECT stage FROM now
)
SELECT s.stage, l.probability, COALESCE(h.closed, 0), COALESCE(h.won, 0), CAST(h.won AS DOUBLE) / h.closed,
       COALESCE(n.deals, 0), COALESCE(n.amount, 0.0)
FROM stages s LEFT JOIN listed l ON l.stage = s.stage LEFT JOIN history h ON h.stage = s.stage
LEFT JOIN now n ON n.stage = s.stage
"""
"""The forecast's sales stages: the agreement's probability, the closed deals through each stage and those won, and
the open deals in it now."""

FEEDBACK_REQUESTS_SQL = """
WITH {deals}, named AS (
    SELECT r.request, f.lead_id, f.id FROM feedback_requests r JOIN feedback f ON f.id = r.feedback_id
    WHERE SECONDS(f.at) <= {at}
), counted AS (
    SELECT request, COUNT(id) AS mentions, COUNT(DISTINCT lead_id) AS leads FROM named GROUP BY request
), stake AS (
    SELECT a.request, SUM(CASE WHEN d.closed IS NULL THEN d.amount END) AS open_amount,
           SUM(CASE WHEN NOT d.won THEN d.amount END) AS lost_amount
    FROM (SELECT DISTINCT request, lead_id FROM named) a JOIN deals d ON d.lead_id = a.lead_id GROUP BY a.request
), listed AS (
    {requests} UNION SELECT request FROM counted
)
SELECT x.request, COALESCE(c.mentions, 0), COALESCE(c.leads, 0), COALESCE(s.open_amount, 0.0),
       COALESCE(s.lost_amount, 0.0)
FROM listed x LEFT JOIN counted c ON c.request = x.request LEFT JOIN stake s ON s.request = x.request
"""
"""Sales feedback's product requests: how often each was asked and for how many leads, and those leads' open
pipeline and lost deals."""

FEEDBACK_MESSAGES_SQL = """
WITH {deals}, named AS (
    SELECT f.message, f.lead_id, f.id FROM feedback f WHERE f.message IS NOT NULL AND SECONDS(f.at) <= {at}
), counted AS (
    SELECT message, COUNT(id) AS mentions, COUNT(DISTINCT lead_id) AS leads FROM named GROUP BY message
), worked AS (
    SELECT o.message, COUNT(d.id) AS won, SUM(d.amount) AS revenue
    FROM (SELECT DISTINCT message, lead_id FROM named) o JOIN deals d ON d.lead_id = o.lead_id AND d.won
    GROUP BY o.message
), listed AS (
    {messages} UNION SELECT message FROM counted
)
SELECT x.message, COALESCE(c.mentions, 0), COALESCE(c.leads, 0), COALESCE(w.won, 0), COALESCE(w.revenue, 0.0)
FROM listed x LEFT JOIN counted c ON c.message = x.message LEFT JOIN worked w ON w.message = x.message
"""
"""Sales feedback's messages: how often each was named and for how many leads, and those leads' won deals."""


# --- what each query is written with ------------------------------------------------------------------------------


def _common(agreement: Agreement, at: int) -> dict[str, str]:
    return {
        "at": str(at),
        "today": local_day(agreement, at).isoformat(),
        "deals": DEALS.format(at=at),
        "reached": REACHED.format(at=at),
        "won_revenue": WON_REVENUE.format(at=at),
        "stage_history": STAGE_HISTORY.format(at=at),
    }


def _sourced(agreement: Agreement, at: int) -> dict[str, str]:
    named = sorted({s.strip().lower() for s in agreement.sales_sources})
    side = f"CASE WHEN LOWER(TRIM(source)) IN ({_texts(named)}) THEN 'sales' ELSE 'marketing' END"
    return {"side": side if named else "'marketing'"}


CALENDAR_DAYS = 800
"""How far before ``at`` the SLA's working calendar reaches: further than any assignment of the bench's stores."""


def _sla(agreement: Agreement, at: int) -> dict[str, str]:
    days = working_days(agreement, at - CALENDAR_DAYS * DAY_SECONDS, at)
    first = local_day(agreement, at - CALENDAR_DAYS * DAY_SECONDS)
    rows = []
    for k, day in enumerate(days):
        starts, ends = local_day_bounds(agreement, first + timedelta(days=k))
        rows.append(f"({starts}, {ends}, {day.opens}, {day.closes}, {day.before})")
    return {"calendar": ", ".join(rows)}


def _forecast(agreement: Agreement, at: int) -> dict[str, str]:
    stages = agreement.sales_stages
    branches = " ".join(f"WHEN d.stage = {_text(s.name)} THEN {s.probability!r}" for s in stages)
    listed = ", ".join(f"({_text(s.name)}, CAST({s.probability!r} AS DOUBLE))" for s in stages)
    return {
        "probability": f"CASE {branches} END" if branches else "CAST(NULL AS DOUBLE)",
        "stages": f"SELECT * FROM (VALUES {listed}) AS v(stage, probability)"
        if stages
        else "SELECT CAST(NULL AS STRING) AS stage, CAST(NULL AS DOUBLE) AS probability WHERE 1 = 0",
    }


GRADED_RULES = {  # the fit rules before sales' answers: the judged table and column holding each one's points
    "senior-title": "t.senior_title",
    "manager-title": "t.manager_title",
    "target-size": "s.target_size",
    "target-industry": "i.target_industry",
    "adjacent-industry": "i.adjacent_industry",
    "free-mail": "m.free_mail",
    "student": "t.student",
}


def _grades(agreement: Agreement, at: int) -> dict[str, str]:
    rules = [r.id for r in agreement.fit_rules if not r.condition.field.startswith("answers.")]
    assert set(rules) == set(GRADED_RULES), f"the fit rules are not bench/rescore.py's: {rules}"
    assert agreement.screening is None, "the hand-written replay does not ask a screening rule"
    assert agreement.half_life_days is not None, "the hand-written replay decays the engagement"
    fit = " + ".join(f"COALESCE({GRADED_RULES[r]}, 0.0)" for r in rules)
    bounded = [g for g in agreement.grades if g.fit_at_least is not None]
    fallback = next((g.grade for g in agreement.grades if g.fit_at_least is None), agreement.grades[-1].grade)
    grades = " ".join(f"WHEN f.fit >= {g.fit_at_least!r} THEN {_text(g.grade)}" for g in bounded)
    bands = " ".join(
        f"WHEN peak >= {b.score_at_least!r} THEN {_text(b.band)}"
        for b in agreement.priority
        if b.score_at_least is not None
    )
    rule = agreement.qualified
    return {
        "fit": fit,
        "grade": f"CASE {grades} ELSE {_text(fallback)} END",
        "band": f"CASE {bands} ELSE {_text(agreement.priority[-1].band)} END",
        "qualified": _texts(rule.grades),
        "immediate": _texts(rule.immediate_grades),
        "threshold": repr(rule.score_at_least - ROUNDING),
        "rate": repr(LN2 / (agreement.half_life_days * DAY_SECONDS)),
        "opportunity_low": _wilson("opportunities", "leads", low=True),
        "opportunity_high": _wilson("opportunities", "leads", low=False),
        "won_low": _wilson("won", "leads", low=True),
        "won_high": _wilson("won", "leads", low=False),
    }


def judged_tables(raw: Raw, agreement: Agreement, leave_out: set[str] | None = None) -> None:
    """bench/rescore.py's tables of the fit rules judged in Python on each field's distinct values, written as
    temporary tables on the engine (but those in ``leave_out``)."""
    for table, (kind, query, rule_ids) in rescore_bench.FIT_TABLES.items():
        if table in (leave_out or set()):
            continue
        values = [row[0] for row in raw.rows(query)]
        judged = rescore_bench.judged_rows(agreement, values, rule_ids)
        names = ["value", *(rescore_bench._column(r) for r in rule_ids)]
        types = {name: pa.float64() for name in names[1:]}
        types["value"] = pa.string() if kind == "TEXT" else pa.int64()
        raw.temp_table(table, {n: [row[k] for row in judged] for k, n in enumerate(names)}, types)


def _replay_tables(raw: Raw, agreement: Agreement) -> dict[str, str]:
    """bench/rescore.py's judged tables of the fit rules before sales' answers and the agreement's event rules, as
    temporary tables; and the zone's UTC offset of an event (``offset``) over the events' span."""
    judged_tables(raw, agreement, leave_out={"m_budget"})
    rules = list(agreement.events.values())
    columns: dict[str, list[Any]] = {
        "type": [r.type for r in rules],
        "points": [float(r.points) for r in rules],
        "cap": [1 if r.once else r.max_per_day for r in rules],
        "daily": [not r.once and r.max_per_day is not None for r in rules],
        "immediate": [int(r.immediate) for r in rules],
    }
    raw.temp_table("replay_rules", columns, {"cap": pa.int64(), "immediate": pa.int64()})
    lo, hi = raw.rows("SELECT MIN(occurred_at), MAX(occurred_at) FROM events")[0]
    offsets = utc_offsets(agreement.timezone, int(lo), int(hi))
    branches = " ".join(
        f"WHEN e.occurred_at < {start} THEN {offsets[k][1]}" for k, (start, _) in enumerate(offsets[1:])
    )
    return {"offset": f"CASE {branches} ELSE {offsets[-1][1]} END" if branches else str(offsets[0][1])}


def _feedback(agreement: Agreement, at: int) -> dict[str, str]:
    stages = agreement.stage_names()
    lists = agreement.feedback
    return {
        "listed": _listed(lists.competitors if lists else (), "competitor"),
        "requests": _listed(lists.product_requests if lists else (), "request"),
        "messages": _listed(lists.messages if lists else (), "message"),
        "lost_at": "".join(
            f"SUM(CASE WHEN n.moment = 'lost' AND d.stage = {_text(s)} THEN 1 ELSE 0 END) AS lost_at_{k}, "
            for k, s in enumerate(stages)
        ),
        "lost_at_columns": "".join(f"COALESCE(f.lost_at_{k}, 0), " for k in range(len(stages))),
    }


def _half(prefix: str) -> str:
    """1.96 standard errors of the mean won deal, from a count, a sum and a sum of squares (``prefix``.deals ...)."""
    n, total, squares = f"{prefix}.deals", f"{prefix}.total", f"{prefix}.squares"
    variance = f"GREATEST(0.0, ({squares} - {n} * ({total} / {n}) * ({total} / {n})) / ({n} - 1))"
    return f"{Z95!r} * SQRT({variance} / {n})"


def _value(agreement: Agreement, at: int) -> dict[str, str]:
    return {
        "group_half": _half("g"),
        "whole_half": f"CASE WHEN w.deals >= 2 THEN {_half('w')} END",
        "conversion_low": _wilson("won_leads", "leads", low=True),
        "conversion_high": _wilson("won_leads", "leads", low=False),
    }


def _none(agreement: Agreement, at: int) -> dict[str, str]:
    """Nothing: the query needs no literal besides ``at``, the day of ``at`` and the deals."""
    return {}


@dataclass(frozen=True)
class Section:
    """The hand-written query of a report's further table: the ``table``-th of its sections (counted from 1)."""

    table: int
    template: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    total: bool = False  # whether the query gives the table's total row ("all") too


@dataclass(frozen=True)
class HandWritten:
    """A report's hand-written queries: the main table's, its sections', what they are written with, how they line
    up with the report.

    ``key``: the report's columns naming a row (the query's first columns; ``part``, the name of the report's
    table, when one query covers its sections too); ``columns``: the report's columns the query gives next, in
    order (a query may give more, left unchecked); ``left_out``: what of the report the queries do not compute;
    ``prepare``: makes the temporary tables they read before each run (timed with it) and gives what they are
    written with that depends on the data.
    """

    template: str
    columns: tuple[str, ...]
    literals: Callable[[Agreement, int], dict[str, str]] = _none
    key: tuple[str, ...] = ("group",)
    left_out: str = ""
    prepare: Callable[[Raw, Agreement], dict[str, str]] | None = None
    sections: tuple[Section, ...] = ()

    def tables(self) -> list[Section]:
        """The main table's query (table 0, with its total row) and the sections'."""
        return [Section(0, self.template, self.key, self.columns, total=True), *self.sections]


FUNNEL_COLUMNS = (
    "leads",
    "screened",
    "mql",
    "sal",
    "sql",
    "opportunity",
    "won",
    "revenue",
    "mql_rate",
    "sal_rate",
    "sql_rate",
    "opportunity_rate",
    "won_rate",
    "days_to_mql",
    "days_mql_to_sal",
    "days_sal_to_sql",
    "days_sql_to_opportunity",
    "days_opportunity_to_won",
)

SLA_COLUMNS = (
    "assignments",
    "awaiting",
    "waiting",
    "acceptance_due",
    "accepted_in_sla",
    "accepted_in_sla_share",
    "contact_due",
    "contacted_in_sla",
    "contacted_in_sla_share",
    "leads_contact_due",
    "never_contacted",
    "never_contacted_share",
    "median_hours_to_contact",
    "p90_hours_to_contact",
    "accept_breaches",
    "contact_breaches",
    "reassigned",
)

VALUE_COLUMNS = (
    "leads",
    "mql",
    "won",
    "revenue",
    "revenue_per_lead",
    "revenue_per_mql",
    "conversion",
    "conversion_low",
    "conversion_high",
    "average_deal",
    "expected_value",
    "expected_low",
    "expected_high",
    "cost_per_lead",
    "max_cost_per_lead",
    "headroom",
)

GRADE_COLUMNS = (
    "leads",
    "opportunities",
    "opportunity_rate",
    "opportunity_low",
    "opportunity_high",
    "won",
    "won_rate",
    "won_low",
    "won_high",
)

HAND_WRITTEN: dict[str, HandWritten] = {
    "funnel": HandWritten(FUNNEL_SQL, FUNNEL_COLUMNS, left_out="nothing"),
    "costs": HandWritten(
        COSTS_SQL,
        (
            "cost",
            "leads",
            "mql",
            "sql",
            "opportunity",
            "won",
            "revenue",
            "roi",
            "cost_per_lead",
            "cost_per_mql",
            "cost_per_sql",
            "cost_per_opportunity",
            "cost_per_won",
        ),
        left_out="the note of a channel with no cost recorded",
    ),
    "sourced": HandWritten(
        SOURCED_SQL,
        (
            "leads",
            "opportunities",
            "pipeline",
            "open",
            "open_pipeline",
            "won",
            "revenue",
            "pipeline_share",
            "revenue_share",
        ),
        _sourced,
        left_out="nothing",
    ),
    "sla": HandWritten(SLA_SQL, SLA_COLUMNS, _sla, left_out="nothing"),
    "reasons": HandWritten(
        REASONS_SQL,
        ("count", "share"),
        key=("group", "kind", "reason"),
        left_out="the kinds' total rows of the section 'Recycled, then converted'",
        sections=(
            Section(
                1,
                REASONS_RECYCLED_SQL,
                ("kind", "reason"),
                ("recycled", "opportunity", "opportunity_share", "customer", "customer_share"),
            ),
        ),
    ),
    "attribution": HandWritten(
        ATTRIBUTION_SQL, ("channel", "pipeline", "revenue", "deals"), key=("campaign",), left_out="nothing"
    ),
    "forecast": HandWritten(
        FORECAST_SQL,
        ("deals", "overdue", "amount", "by_agreement", "by_history"),
        _forecast,
        key=("month",),
        left_out="nothing",
        sections=(
            Section(1, FORECAST_STAGES_SQL, ("stage",), ("probability", "closed", "won", "rate", "deals", "amount")),
        ),
    ),
    "grades": HandWritten(
        GRADES_SQL,
        GRADE_COLUMNS,
        _grades,
        key=("part", "group"),
        left_out="nothing",
        prepare=_replay_tables,
    ),
    "feedback": HandWritten(
        FEEDBACK_SQL,
        (  # lost at each sales stage of the bench's agreement
            "contact",
            "lost",
            "lost_at_discovery",
            "lost_at_proposal",
            "lost_at_negotiation",
            "won",
            "lost_amount",
            "won_amount",
            "win_rate",
        ),
        _feedback,
        key=("competitor",),
        left_out="nothing",
        sections=(
            Section(1, FEEDBACK_REQUESTS_SQL, ("request",), ("mentions", "leads", "open_amount", "lost_amount")),
            Section(2, FEEDBACK_MESSAGES_SQL, ("message",), ("mentions", "leads", "won", "revenue")),
        ),
    ),
    "value": HandWritten(VALUE_SQL, VALUE_COLUMNS, _value, left_out="nothing"),
    "screening": HandWritten(
        SCREENING_SQL,
        (
            "screened",
            "call_due",
            "called_in_sla",
            "in_sla_rate",
            "call_breaches",
            "passed",
            "not_yet",
            "disqualified",
            "pass_rate",
            "accepted",
            "sql",
            "won",
        ),
        left_out="nothing",
    ),
}
"""The reports with a hand-written query, each at its default options."""


def queries(name: str, engine: str, agreement: Agreement, at: int, prepared: dict[str, str] | None = None) -> list[str]:
    """The hand-written queries of report ``name`` in the engine's dialect, its main table's first
    (``prepared``: what its preparation gave)."""
    written = HAND_WRITTEN[name]
    literals = {**_common(agreement, at), **written.literals(agreement, at), **(prepared or {})}
    return [in_dialect(table.template.format(**literals), engine) for table in written.tables()]


def report_sql(name: str, raw: Raw, agreement: Agreement, at: int) -> Callable[[], list[Rows]]:
    """A run of report ``name``'s hand-written queries on ``raw``'s engine (its temporary tables made first): the
    rows of each."""
    written = HAND_WRITTEN[name]

    def run() -> list[Rows]:
        prepared = written.prepare(raw, agreement) if written.prepare is not None else None
        return [raw.rows(sql) for sql in queries(name, raw.engine, agreement, at, prepared)]

    return run


def _same(a: Any, b: Any) -> bool:
    """Whether a report's value and a query's are the same: both none, equal text, or numbers within 1e-9."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, str) or isinstance(b, str):
        return str(a) == str(b)
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-6)


def _rows(report: Report, table: Section) -> list[dict[str, Any]]:
    """The rows of the report's table that the query computes, each with the name of its table (``part``): with
    ``part`` in the key, the main table's and every section's."""
    tables = [report, *report.sections]
    chosen = tables if "part" in table.key else [tables[table.table]]
    return [{"part": part.name, **row} for part in chosen for row in part.rows]


def _check_table(name: str, report: Report, table: Section, rows: Rows) -> None:
    k, columns = len(table.key), table.columns
    mine = {tuple(str(v) for v in r[:k]): r[k : k + len(columns)] for r in rows}
    assert len(mine) == len(rows), f"{name}: the hand-written query repeats a group"
    theirs = {
        tuple(str(row[c]) for c in table.key): row
        for row in _rows(report, table)
        if table.total or "all" not in (row[c] for c in table.key)
    }
    for group, values in mine.items():
        expected = theirs.get(group)
        assert expected is not None, f"{name}: group {group} missing from the report"
        for column, value in zip(columns, values, strict=True):
            assert _same(expected[column], value), f"{name}: {group}.{column}: report {expected[column]}, hand {value}"
    for group, row in theirs.items():
        empty = all(not row[c] for c in columns if not isinstance(row[c], str))
        assert group in mine or empty, f"{name}: group {group} of the report missing from the hand-written query"


def check_report(name: str, report: Report, results: list[Rows]) -> None:
    """Assert that a report's tables and its hand-written queries' rows agree, group by group (but the totals)."""
    for table, rows in zip(HAND_WRITTEN[name].tables(), results, strict=True):
        _check_table(name, report, table, rows)
