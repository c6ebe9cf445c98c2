"""The dashboard and the campaigns page: what marketing and the managers watch, and where spend is recorded.

Every number on the dashboard comes from the reports (``services.reports`` over ``analytics``), computed
once per page for the chosen range of local dates in the agreement's time zone; the page only picks rows
and columns out of them, charts them and shows them again as tables. The campaigns page lists each
campaign with what it cost and the leads it brought, and lets marketing add campaigns and record a day's
cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from leadpact.analytics import calibration, costs, funnel, reasons, sla
from leadpact.analytics.report import Report
from leadpact.domain.errors import InvalidInput
from leadpact.domain.permissions import Action
from leadpact.domain.scoring import local_day, to_seconds
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.services import browse, campaigns, reports
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.web.render import render
from leadpact.web.session import Posting, Viewer, Viewing

router = APIRouter()

PALETTE = ("#2456c7", "#1f7a3d", "#a15c00", "#b3261e", "#6b3fa0", "#0f7c86", "#5b6675")
TOP_CAMPAIGNS = 8
"""The costliest campaigns charted; the table under the chart lists them all."""
LABEL_LENGTH = 24
CHART_SHOWS = "The chart shows the {} costliest campaigns with a cost recorded; the table lists every campaign."
FUNNEL = (
    ("leads", "Leads", None),
    ("mql", "MQL", "mql_rate"),
    ("sal", "Accepted (SAL)", "sal_rate"),
    ("sql", "SQL", "sql_rate"),
    ("opportunity", "Opportunities", "opportunity_rate"),
    ("won", "Won", "won_rate"),
)
"""The funnel's stages: (the report's column, what the page calls it, the column of its rate from the step before)."""

Row = dict[str, Any]


@dataclass(frozen=True)
class Table:
    """Some columns and rows of a report, as ``Report.as_dict`` gives them: what a page table shows."""

    columns: list[dict[str, str]]
    rows: list[Row]


@dataclass(frozen=True)
class Panel:
    """One chart of the dashboard and, under it, a table of the same numbers."""

    key: str
    title: str
    label: str  # what the chart shows, in words: read out by screen readers
    config: dict[str, Any]
    table: Table
    findings: list[str] = field(default_factory=list)  # shown with the chart
    notes: list[str] = field(default_factory=list)  # how the numbers are counted: shown with the table


@dataclass(frozen=True)
class Range:
    """The local dates the dashboard covers (either end open) and the words that say so."""

    first: date | None
    last: date | None

    def describe(self) -> str:
        if self.first is None and self.last is None:
            return "all history"
        return f"{self.first or 'the beginning'} to {self.last or 'now'}"


# --- the date range ---------------------------------------------------------------------------------------


def today(inforce: InForce, clock: Clock) -> date:
    """Today's date in the agreement's time zone."""
    return local_day(inforce.agreement, to_seconds(clock.now()))


def last_twelve_months(day: date) -> Range:
    """The year up to and including ``day``: from the day after the same date a year before."""
    try:
        year_before = day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        year_before = date(day.year - 1, 2, 28)
    return Range(year_before + timedelta(days=1), day)


def parse_day(text: str | None, name: str) -> date | None:
    """A date from a form or the address; empty means the range is open at that end."""
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidInput(f"{name}: '{text}' is not a date like 2026-01-31") from exc


def chosen_range(first: str | None, last: str | None, default: Range) -> Range:
    """The range asked for; with neither end given at all, ``default``."""
    if first is None and last is None:
        return default
    chosen = Range(parse_day(first, "from"), parse_day(last, "to"))
    if chosen.first and chosen.last and chosen.last < chosen.first:
        raise InvalidInput(f"to: {chosen.last} is before from: {chosen.first}; choose an end after the start")
    return chosen


# --- charts and tables from the reports -------------------------------------------------------------------


def table(report: Report, keys: tuple[str, ...], rows: list[Row] | None = None) -> Table:
    """The columns ``keys`` of ``report`` (in that order) and its rows, or the ``rows`` given."""
    shown = report.as_dict()
    by_key = {c["key"]: c for c in shown["columns"]}
    return Table([by_key[k] for k in keys], shown["rows"] if rows is None else rows)


def groups(report: Report) -> list[Row]:
    """A report's rows without its last row, "all"."""
    rows: list[Row] = report.as_dict()["rows"]
    return [row for row in rows if row["group"] != "all"]


def total(report: Report) -> Row:
    """A report's row "all"."""
    rows: list[Row] = report.as_dict()["rows"]
    return next(row for row in rows if row["group"] == "all")


def percent_of(value: float | None) -> float | None:
    """A share (0 to 1) as the percentage a chart axis shows."""
    return None if value is None else round(100 * value, 1)


def dataset(label: str, data: list[Any], index: int, **extra: Any) -> dict[str, Any]:
    colour = PALETTE[index % len(PALETTE)]
    return {"label": label, "data": data, "backgroundColor": colour, "borderColor": colour, **extra}


def axis(title: str, **extra: Any) -> dict[str, Any]:
    return {"beginAtZero": True, "title": {"display": True, "text": title}, **extra}


def bars(labels: list[str], datasets: list[dict[str, Any]], y: str, **options: Any) -> dict[str, Any]:
    """A bar chart's Chart.js configuration, its value axis titled ``y``."""
    return {
        "type": "bar",
        "data": {"labels": labels, "datasets": datasets},
        "options": {"scales": {"y": axis(y)}, "plugins": {"legend": {"display": len(datasets) > 1}}, **options},
    }


def funnel_panel(by_month: Report) -> Panel:
    all_ = total(by_month)
    rows = [{"stage": name, "count": all_[key], "rate": all_[rate] if rate else None} for key, name, rate in FUNNEL]
    columns = [
        {"key": "stage", "title": "stage", "kind": "text"},
        {"key": "count", "title": "leads", "kind": "count"},
        {"key": "rate", "title": "from the stage before", "kind": "share"},
    ]
    config = {
        "type": "bar",
        "data": {"labels": [r["stage"] for r in rows], "datasets": [dataset("leads", [r["count"] for r in rows], 0)]},
        "options": {"indexAxis": "y", "scales": {"x": axis("leads")}, "plugins": {"legend": {"display": False}}},
    }
    return Panel(
        "funnel",
        "Funnel",
        "Funnel: the leads captured in the range and how many reached MQL, accepted, SQL, opportunity and won",
        config,
        Table(columns, rows),
        notes=["A lead counts at every stage it ever reached; each rate is of the stage before."],
    )


def months_panel(by_month: Report) -> Panel:
    rows = groups(by_month)
    labels = [r["group"] for r in rows]
    series = (("leads", "leads"), ("mql", "MQL"), ("won", "won"))
    config = {
        "type": "line",
        "data": {
            "labels": labels,
            "datasets": [dataset(t, [r[k] for r in rows], i) for i, (k, t) in enumerate(series)],
        },
        "options": {"scales": {"y": axis("leads")}},
    }
    keys = ("group", "leads", "mql", "sal", "sql", "opportunity", "won", "revenue")
    return Panel(
        "months",
        "Leads by month of capture",
        "Leads captured per month, and how many of them became MQL and were won",
        config,
        table(by_month, keys),
    )


def short(name: str) -> str:
    """A name short enough to label a bar; the table under the chart has it whole."""
    return name if len(name) <= LABEL_LENGTH else name[: LABEL_LENGTH - 1] + "…"


def return_panel(
    key: str, report: Report, what: str, rows: list[Row], findings: tuple[str, ...] = (), across: bool = False
) -> Panel:
    """Cost per won deal and ROI of the groups ``rows`` on two value axes; the table has every group.

    ``across``: the bars run across the chart, so that long names fit as labels.
    """
    value, index = ("x", "y") if across else ("y", "x")
    datasets = [
        dataset("cost per won deal ($)", [r["cost_per_won"] for r in rows], 0, **{f"{value}AxisID": value}),
        dataset("ROI (%)", [percent_of(r["roi"]) for r in rows], 2, **{f"{value}AxisID": "roi"}),
    ]
    roi = axis("ROI (%)", axis=value, position="top" if across else "right", grid={"drawOnChartArea": False})
    config = {
        "type": "bar",
        "data": {"labels": [short(r["group"]) for r in rows], "datasets": datasets},
        "options": {
            "indexAxis": index,
            "scales": {value: axis("cost per won deal ($)"), "roi": roi, index: {"ticks": {"autoSkip": False}}},
        },
    }
    keys = ("group", "cost", "leads", "won", "revenue", "cost_per_lead", "cost_per_won", "roi", "note")
    return Panel(
        key,
        f"Cost per won deal and ROI by {what}",
        f"Cost per won deal and return on investment by {what}",
        config,
        table(report, keys),
        list(findings),
        list(report.notes),
    )


def sla_panel(key: str, report: Report, what: str) -> Panel:
    rows = groups(report)
    series = (
        ("accepted_in_sla_share", "accepted in SLA (%)"),
        ("contacted_in_sla_share", "contacted in SLA (%)"),
        ("never_contacted_share", "never contacted (%)"),
    )
    config = bars(
        [r["group"] for r in rows],
        [dataset(t, [percent_of(r[k]) for r in rows], i, borderWidth=0) for i, (k, t) in enumerate(series)],
        "% of leads due",
    )
    config["options"]["scales"]["y"]["suggestedMax"] = 100
    keys = (
        "group",
        "assignments",
        "accepted_in_sla_share",
        "contacted_in_sla_share",
        "never_contacted",
        "never_contacted_share",
        "median_hours_to_contact",
    )
    return Panel(
        key,
        f"SLA kept by {what}",
        f"Share of leads accepted and contacted within the SLA, and never contacted, by {what}",
        config,
        table(report, keys),
        notes=list(report.notes),
    )


def reasons_panel(report: Report, kind: str, title: str) -> Panel:
    rows: list[Row] = [r for r in report.as_dict()["rows"] if r["group"] == "all" and r["kind"] == kind]
    config = bars(
        [r["reason"] for r in rows], [dataset(kind, [r["count"] for r in rows], 3 if kind == "lost" else 4)], "times"
    )
    return Panel(
        f"{kind}-reasons",
        title,
        f"{title}: how often each reason was given",
        config,
        table(report, ("reason", "count", "share"), rows),
    )


def grades_panel(report: Report) -> Panel:
    rows = report.as_dict()["rows"]
    series = (("opportunity_rate", "to opportunity (%)"), ("won_rate", "to won (%)"))
    config = bars(
        [f"grade {r['group']}" for r in rows],
        [dataset(t, [percent_of(r[k]) for r in rows], i) for i, (k, t) in enumerate(series)],
        "% of the grade's leads",
    )
    keys = ("group", "leads", "opportunities", "opportunity_rate", "won", "won_rate")
    return Panel(
        "grades",
        "Conversion by grade",
        "Share of each grade's leads that reached an opportunity and that were won",
        config,
        table(report, keys),
        findings=list(report.notes),  # the report's verdicts: do the grades sort leads by what became of them
    )


@dataclass(frozen=True)
class Kpi:
    key: str
    title: str
    value: Any
    kind: str


@dataclass(frozen=True)
class Dashboard:
    kpis: list[Kpi]
    panels: list[Panel]


def dashboard_of(uow: UnitOfWork, clock: Clock, inforce: InForce, chosen: Range) -> Dashboard:
    """Every report the dashboard shows, computed over one connection for the range."""
    with reports.context(uow, clock, inforce, chosen.first, chosen.last) as ctx:
        by_month = funnel.funnel(ctx, "month")
        by_source = costs.costs(ctx, "source")
        by_campaign = costs.costs(ctx, "campaign")
        by_rep = sla.sla(ctx, "rep")
        by_team = sla.sla(ctx, "team")
        why = reasons.reasons(ctx, "stage")
        grades = calibration.calibration(ctx)
    cohort, spend, kept = total(by_month), total(by_source), total(by_team)
    kpis = [
        Kpi("leads", "leads captured", cohort["leads"], "count"),
        Kpi("mql", "MQL", cohort["mql"], "count"),
        Kpi("won", "deals won", cohort["won"], "count"),
        Kpi("revenue", "won revenue", cohort["revenue"], "money"),
        Kpi("cost", "campaign cost", spend["cost"], "money"),
        Kpi("cost_per_won", "cost per won deal", spend["cost_per_won"], "money"),
        Kpi("roi", "ROI", spend["roi"], "ratio"),
        Kpi("contacted_in_sla", "contacted in SLA", kept["contacted_in_sla_share"], "share"),
        Kpi("never_contacted", "never contacted", kept["never_contacted_share"], "share"),
    ]
    costliest = [r for r in groups(by_campaign) if r["cost"] is not None][:TOP_CAMPAIGNS]
    shown = () if len(costliest) == len(groups(by_campaign)) else (CHART_SHOWS.format(len(costliest)),)
    panels = [
        funnel_panel(by_month),
        months_panel(by_month),
        return_panel("source-return", by_source, "source", groups(by_source)),
        return_panel("campaign-return", by_campaign, "campaign", costliest, shown, across=True),
        sla_panel("rep-sla", by_rep, "rep"),
        sla_panel("team-sla", by_team, "team"),
        reasons_panel(why, "reject", "Reject reasons"),
        reasons_panel(why, "lost", "Lost reasons"),
        grades_panel(grades),
    ]
    return Dashboard(kpis, panels)


@router.get("/dashboard")
def dashboard(
    request: Request,
    viewer: Viewing,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    first: Annotated[str | None, Query(alias="from")] = None,
    last: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    viewer.principal.require(Action.READ_REPORTS)
    default = last_twelve_months(today(inforce, clock))
    chosen = chosen_range(first, last, default)
    board = dashboard_of(uow, clock, inforce, chosen)
    return render(
        request,
        "marketing/dashboard.html",
        board=board,
        chosen=chosen,
        default=default,
        timezone=inforce.agreement.timezone,
    )


# --- campaigns --------------------------------------------------------------------------------------------


def may_read_campaigns(viewer: Viewer) -> None:
    """Marketing manages campaigns; whoever reads the reports may look at them."""
    if not viewer.may(Action.MANAGE_CAMPAIGNS):
        viewer.principal.require(Action.READ_REPORTS)


def campaigns_page(
    request: Request,
    uow: UnitOfWork,
    inforce: InForce,
    clock: Clock,
    status: int = 200,
    message: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    rows = browse.campaigns(uow)
    channels = sorted({r.channel for r in rows if r.channel})
    return render(
        request,
        "marketing/campaigns.html",
        status=status,
        campaigns=rows,
        channels=channels,
        today=today(inforce, clock),
        message=message,
        error=error,
        form=form or {},
    )


@router.get("/campaigns")
def campaign_list(request: Request, viewer: Viewing, uow: Uow, clock: Now, inforce: Agreement) -> Response:
    may_read_campaigns(viewer)
    return campaigns_page(request, uow, inforce, clock)


def campaign_input(name: str, channel: str, started_on: str, ended_on: str) -> campaigns.CampaignInput:
    if not name.strip():
        raise InvalidInput("name: a campaign needs a name")
    started, ended = parse_day(started_on, "start"), parse_day(ended_on, "end")
    if started and ended and ended < started:
        raise InvalidInput(f"end: the campaign ends ({ended}) before it starts ({started})")
    return campaigns.CampaignInput(name.strip(), channel.strip() or None, started, ended)


@router.post("/campaigns")
def add_campaign(
    request: Request,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    name: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "",
    started_on: Annotated[str, Form()] = "",
    ended_on: Annotated[str, Form()] = "",
) -> Response:
    viewer.principal.require(Action.MANAGE_CAMPAIGNS)
    form = {"name": name, "channel": channel, "started_on": started_on, "ended_on": ended_on}
    try:
        given = campaign_input(name, channel, started_on, ended_on)
    except InvalidInput as error:
        return campaigns_page(request, uow, inforce, clock, 422, error=error.detail, form=form)
    _, recorded = campaigns.record_campaigns(uow, clock, [given])
    done = "added" if recorded.created else "updated" if recorded.updated else "already recorded as given"
    return campaigns_page(request, uow, inforce, clock, message=f"Campaign '{given.name}' {done}.")


def amount_of(text: str) -> float:
    """An amount as people type it: 1200, 1,200.50 or $1200; a cost is 0 or more."""
    try:
        amount = float(text.replace(",", "").strip().lstrip("$€£"))
    except ValueError as exc:
        raise InvalidInput(f"amount: '{text}' is not an amount like 1200.50") from exc
    if amount < 0:
        raise InvalidInput("amount: a cost is 0 or more")
    return amount


@router.post("/campaigns/costs")
def record_cost(
    request: Request,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    campaign: Annotated[str, Form()] = "",
    day: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
) -> Response:
    viewer.principal.require(Action.MANAGE_CAMPAIGNS)
    form = {"campaign": campaign, "day": day, "amount": amount}
    known = {str(c.id): c.name for c in browse.campaigns(uow)}
    try:
        if campaign not in known:
            raise InvalidInput("campaign: choose one of the campaigns (add it first if it is new)")
        spent_on = parse_day(day, "day")
        if spent_on is None:
            raise InvalidInput("day: say which day the cost was spent on")
        spent = amount_of(amount)
    except InvalidInput as error:
        return campaigns_page(request, uow, inforce, clock, 422, error=error.detail, form=form)
    recorded = campaigns.record_costs(uow, clock, [(int(campaign), spent_on, spent)])
    what = f"${spent:,.2f} for '{known[campaign]}' on {spent_on}"
    if recorded.created:
        message = f"Recorded {what}."
    elif recorded.updated:
        message = f"Recorded {what}, in place of the amount recorded for that day before."
    else:
        message = f"{what} was already recorded."
    return campaigns_page(request, uow, inforce, clock, message=message)
