"""The dashboard's panels: a chart of some report rows (a Chart.js configuration) and a table of the same numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from leadpact.domain.report import Report

PALETTE = ("#2456c7", "#1f7a3d", "#a15c00", "#b3261e", "#6b3fa0", "#0f7c86", "#5b6675")
LABEL_LENGTH = 24
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


def feedback_panel(report: Report) -> Panel:
    """Competitors met, lost to and won against; with the most asked product request and the message that won most."""
    rows: list[Row] = report.as_dict()["rows"]
    series = (("contact", "met at contact"), ("lost", "lost to"), ("won", "won against"))
    config = bars(
        [short(r["competitor"]) for r in rows],
        [dataset(t, [r[k] for r in rows], i) for i, (k, t) in enumerate(series)],
        "leads or deals",
    )
    requests, messages = (section.as_dict()["rows"] for section in report.sections)
    findings = [
        f"Most asked: {r['request']} ({r['mentions']} times; open pipeline {r['open_amount']:,.0f}, "
        f"lost {r['lost_amount']:,.0f})."
        for r in requests[:1]
        if r["mentions"]
    ] + [
        f"Opened the most won revenue: {m['message']} ({m['won']} deals, {m['revenue']:,.0f})."
        for m in messages[:1]
        if m["revenue"]
    ]
    return Panel(
        "feedback",
        "Sales feedback: competitors",
        "Competitors met at contact, lost to and won against, from the feedback reps recorded",
        config,
        table(report, ("competitor", "contact", "lost", "won", "lost_amount", "won_amount", "win_rate")),
        findings=findings,
        notes=["'leadpact report feedback' lists the product requests and messages in full."],
    )
