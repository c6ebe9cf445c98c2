"""The dashboard: what marketing and the managers watch.

Every number on it comes from the reports of the catalog (``services.reports``), computed once per page for
the chosen range of local dates in the agreement's time zone; the page only picks rows and columns out of
them, charts them (``web.panels``) and shows them again as tables. Above them, a banner names each health bound
of the agreement that its newest daily check found broken, with the evidence, whatever the range.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from leadpact.domain.permissions import Action
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.services import health, reports
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.web.dates import Range, chosen_range, last_twelve_months, today
from leadpact.web.panels import (
    Panel,
    feedback_panel,
    funnel_panel,
    grades_panel,
    groups,
    months_panel,
    reasons_panel,
    return_panel,
    sla_panel,
    total,
)
from leadpact.web.render import render
from leadpact.web.session import Viewing

router = APIRouter()

TOP_CAMPAIGNS = 8
"""The costliest campaigns charted; the table under the chart lists them all."""
CHART_SHOWS = "The chart shows the {} costliest campaigns with a cost recorded; the table lists every campaign."


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
    broken: list[health.Check]  # the health bounds whose newest daily check found them broken: the banner


def dashboard_of(uow: UnitOfWork, clock: Clock, inforce: InForce, chosen: Range) -> Dashboard:
    """Every report the dashboard shows, computed over one connection for the range."""
    with reports.reader(uow, clock, inforce, chosen.first, chosen.last) as report:
        by_month = report("funnel", by="month")
        by_source = report("costs", by="source")
        by_campaign = report("costs", by="campaign")
        by_rep = report("sla", by="rep")
        by_team = report("sla", by="team")
        why = report("reasons", by="stage")
        grades = report("grades")
        heard = report("feedback") if inforce.agreement.feedback else None
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
        *([feedback_panel(heard)] if heard else []),
    ]
    return Dashboard(kpis, panels, health.broken(uow, inforce))


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
