"""The forecast: open pipeline per expected close month, weighted by the agreement's and by history's odds.

**Open deals.** The deals open at ``at`` (created by then, not won or lost by then), grouped by the month of
their expected close date ("YYYY-MM"; a close date is a calendar date, already the agreement's local time).
A deal whose expected close date has passed stays in its own month: ``overdue`` counts the deals whose close
date is before ``at``'s local day, so a month before ``at``'s month is overdue in full. The date range
filters the expected close dates (both ends included).

**Weights.** Each deal's stage is its sales stage at ``at``.

- Weighted by agreement: the sum of amount times the probability the agreement in force gives the deal's
  stage. A stage the agreement does not list (a stage of an earlier agreement) has no probability.
- Weighted by history: the sum of amount times the stage's historical stage-to-won rate. The rate of a
  stage is, of the deals closed by ``at`` (won or lost, whatever their close date) that were ever in that
  stage by ``at``, the share that were won. A stage no closed deal has passed through has no rate.

A deal whose stage has no probability or no rate adds nothing to that weighted figure; a month none of whose
deals has one shows none (not zero). The last row "all" sums every month.

**Stages** (a section): per sales stage, the agreement's probability, the closed deals that passed through
it, how many of those were won, the historical rate (won / closed), and the open deals now in that stage and
their amount (within the same close-date range as the table, so they add up to its total).
"""

from __future__ import annotations

from typing import Any

import ibis

from leadpact.analytics.history import Context, fetch, opportunities, seconds
from leadpact.analytics.rescore import Table, real
from leadpact.domain.report import Column, Definition, Kind, Report, Row, share
from leadpact.domain.scoring import local_day

COLUMNS = (
    Column("month", "close month", Kind.TEXT),
    Column("deals", "open deals"),
    Column("overdue", "overdue"),
    Column("amount", "open amount", Kind.MONEY),
    Column("by_agreement", "weighted by agreement", Kind.MONEY),
    Column("by_history", "weighted by history", Kind.MONEY),
)

STAGE_COLUMNS = (
    Column("stage", "stage", Kind.TEXT),
    Column("probability", "agreement probability", Kind.SHARE),
    Column("closed", "closed deals through it"),
    Column("won", "won"),
    Column("rate", "historical rate", Kind.SHARE),
    Column("deals", "open deals"),
    Column("amount", "open amount", Kind.MONEY),
)


def stage_history(ctx: Context) -> Table:
    """Per stage a closed deal ever passed through: stage, closed (deals closed by ``at``), won."""
    deals = opportunities(ctx)
    closed = deals.filter(deals.closed.notnull())
    c = ctx.table("opportunity_changes")
    passed = c.filter(seconds(c.at) <= ctx.scope.at).select(opportunity_id=c.opportunity_id, stage=c.to_stage)
    passed = passed.distinct()
    through = passed.inner_join(closed, passed.opportunity_id == closed.id)
    return through.group_by("stage").aggregate(
        closed=through.opportunity_id.count(), won=through.won.ifelse(1, 0).sum()
    )


def probability(ctx: Context, stage: Any) -> Any:
    """The agreement's probability of a stage column (null for a stage it does not list)."""
    stages = ctx.agreement.sales_stages
    return ibis.cases(*((stage == s.name, real(ctx.con, s.probability)) for s in stages), else_=ibis.null("float64"))


def open_deals(ctx: Context) -> Table:
    """The deals open at ``at`` within the close-date range, weighted.

    Columns: id, stage, amount, year, month, overdue (1 or 0), probability, rate.
    """
    deals = opportunities(ctx)
    t = deals.filter(deals.closed.isnull())
    if ctx.scope.start is not None:
        t = t.filter(t.close_date >= local_day(ctx.agreement, ctx.scope.start))
    if ctx.scope.end is not None:
        t = t.filter(t.close_date < local_day(ctx.agreement, ctx.scope.end))
    history = stage_history(ctx)
    rate = history.won.cast("float64") / history.closed.cast("float64")
    joined = t.left_join(history, t.stage == history.stage).select(t, rate=rate)
    return joined.select(
        joined.id,
        joined.stage,
        amount=joined.amount.cast("float64"),
        year=joined.close_date.year().cast("int64"),
        month=joined.close_date.month().cast("int64"),
        overdue=(joined.close_date < local_day(ctx.agreement, ctx.scope.at)).ifelse(1, 0),
        probability=probability(ctx, joined.stage),
        rate=joined.rate,
    )


def _sums(t: Table) -> dict[str, Any]:
    return {
        "deals": t.id.count(),
        "overdue": t.overdue.sum(),
        "amount": t.amount.sum(),
        "by_agreement": (t.amount * t.probability).sum(),
        "by_history": (t.amount * t.rate).sum(),
    }


def _month_row(month: str, sums: Row) -> Row:
    def money(key: str) -> float | None:
        return None if sums[key] is None else float(sums[key])

    return {
        "month": month,
        "deals": int(sums["deals"] or 0),
        "overdue": int(sums["overdue"] or 0),
        "amount": float(sums["amount"] or 0.0),
        "by_agreement": money("by_agreement"),
        "by_history": money("by_history"),
    }


def stages(ctx: Context, deals: Table) -> list[Row]:
    """The stage table: the agreement's stages in order, then any other stage history or open deals hold."""
    history = {r["stage"]: r for r in fetch(stage_history(ctx))}
    now = {
        r["stage"]: r
        for r in fetch(deals.group_by("stage").aggregate(deals=deals.id.count(), amount=deals.amount.sum()))
    }
    listed = {s.name: s.probability for s in ctx.agreement.sales_stages}
    others = sorted((set(history) | set(now)) - set(listed) - {None})
    rows = []
    for stage in (*listed, *others):
        closed = int(history.get(stage, {}).get("closed") or 0)
        won = int(history.get(stage, {}).get("won") or 0)
        rows.append(
            {
                "stage": stage,
                "probability": listed.get(stage),
                "closed": closed,
                "won": won,
                "rate": share(won, closed),
                "deals": int(now.get(stage, {}).get("deals") or 0),
                "amount": float(now.get(stage, {}).get("amount") or 0.0),
            }
        )
    return rows


def _notes(ctx: Context, stage_rows: list[Row]) -> tuple[str, ...]:
    notes = [
        "Weighted by agreement: amount times the agreement's probability of the deal's stage. Weighted by history: "
        "amount times the share won of the deals closed by then that passed through the stage. A stage with no "
        "closed deal through it has no historical rate: its deals add nothing to the history-weighted figure.",
        f"overdue: open deals whose expected close date is before {local_day(ctx.agreement, ctx.scope.at)}.",
    ]
    unrated = [r for r in stage_rows if r["rate"] is None and r["deals"]]
    for r in unrated:
        notes.append(
            f"No closed deal has been through {r['stage']}: its {r['deals']} open deals "
            f"({r['amount']:,.2f}) add nothing to the history-weighted figures."
        )
    unlisted = [r for r in stage_rows if r["probability"] is None and r["deals"]]
    for r in unlisted:
        notes.append(
            f"The agreement lists no stage {r['stage']}: its {r['deals']} open deals add nothing to the "
            "agreement-weighted figures."
        )
    return tuple(notes)


def forecast(ctx: Context) -> Report:
    """Open pipeline per expected close month, weighted two ways, a total row, and the per-stage table."""
    t = open_deals(ctx)
    months = fetch(t.group_by(["year", "month"]).aggregate(**_sums(t)))
    rows = sorted(
        (_month_row(f"{r['year']:04d}-{r['month']:02d}", r) for r in months), key=lambda row: str(row["month"])
    )
    total = _month_row("all", fetch(t.aggregate(**_sums(t)))[0])
    stage_rows = stages(ctx, t)
    scope = ctx.scope.describe(ctx.agreement)
    return Report(
        name="forecast",
        title="Forecast of open pipeline by expected close month",
        columns=COLUMNS,
        rows=(*rows, total),
        scope=scope,
        notes=_notes(ctx, stage_rows),
        sections=(
            Report(
                name="forecast_stages",
                title="Sales stages: the agreement's probability and the historical stage-to-won rate",
                columns=STAGE_COLUMNS,
                rows=tuple(stage_rows),
                scope=scope,
            ),
        ),
    )


REPORT = Definition(
    name="forecast",
    summary="Open pipeline per expected close month, weighted by the agreement's stage probabilities and by history.",
    help=(
        "--from and --to filter the expected close dates. The historical weight of a stage is the share of the "
        "closed deals that passed through it and were won; the stage table shows both weights per stage."
    ),
    compute=forecast,
)
