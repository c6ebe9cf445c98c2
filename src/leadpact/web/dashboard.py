"""The dashboard: what marketing and the managers watch.

Every number on it comes from the reports of the catalog (``services.reports``) for the chosen range of local
dates in the agreement's time zone; the page only picks rows and columns out of them, charts them
(``web.panels``) and shows them again as tables. Above them, a banner names each health bound of the agreement
that its newest daily check found broken, with the evidence, whatever the range.

Everyone in marketing and every manager lands here, so the reports come through the app's cache
(``services.report_cache``): kept while the store does not change, they are given again at once, and the page
says when they were computed, with a button to compute them anew. The page is one answer sent in two parts: the
head, with the key figures, goes out as soon as their three reports are read, and the charts follow in the same
answer once theirs are, so the browser shows the figures while the charts are computed (and a client without
scripts still gets the whole page).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from leadpact.domain.permissions import Action
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.services import health, store_changes
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.services.report_cache import CachedReader, ReportCache
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
from leadpact.web.render import TEMPLATES, render
from leadpact.web.session import Posting, Viewing

router = APIRouter()

TOP_CAMPAIGNS = 8
"""The costliest campaigns charted; the table under the chart lists them all."""
CHART_SHOWS = "The chart shows the {} costliest campaigns with a cost recorded; the table lists every campaign."
PANELS_GO_HERE = b"<!-- the panels -->"
"""Where marketing/dashboard.html leaves the panels out: the head of the page is sent before them."""


@dataclass(frozen=True)
class Kpi:
    key: str
    title: str
    value: Any
    kind: str


@dataclass(frozen=True)
class Headline:
    """The head of the page: the key figures, and the health bounds whose newest daily check found them broken."""

    kpis: list[Kpi]
    broken: list[health.Check]
    computed_at: datetime  # when the oldest figure was computed; the charts that follow are not older


def headline_of(uow: UnitOfWork, inforce: InForce, report: CachedReader) -> Headline:
    """The key figures: the "all" rows of the funnel, the costs and the SLA."""
    cohort, spend = total(report("funnel", by="month")), total(report("costs", by="source"))
    kept = total(report("sla", by="team"))
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
    assert report.oldest is not None
    return Headline(kpis, health.broken(uow, inforce), report.oldest)


def panels_of(inforce: InForce, report: CachedReader) -> list[Panel]:
    """Every chart of the dashboard, each with its table."""
    by_month = report("funnel", by="month")
    by_source = report("costs", by="source")
    by_campaign = report("costs", by="campaign")
    by_rep = report("sla", by="rep")
    by_team = report("sla", by="team")
    why = report("reasons", by="stage")
    grades = report("grades")
    heard = report("feedback") if inforce.agreement.feedback else None
    costliest = [r for r in groups(by_campaign) if r["cost"] is not None][:TOP_CAMPAIGNS]
    shown = () if len(costliest) == len(groups(by_campaign)) else (CHART_SHOWS.format(len(costliest)),)
    return [
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


def local_time(moment: datetime, timezone: str) -> str:
    """A moment as the clock on the wall reads it in the agreement's time zone: 14:05."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%H:%M")


def chosen_of(inforce: InForce, clock: Clock, first: str | None, last: str | None) -> Range:
    """The range asked for: the last twelve months when neither end is given."""
    return chosen_range(first, last, last_twelve_months(today(inforce, clock)))


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
    chosen = chosen_of(inforce, clock, first, last)
    cache: ReportCache = request.app.state.report_cache
    change = store_changes.last_change(uow)  # one reading for both parts: the charts match the figures
    with cache.reader(uow, clock, inforce, chosen.first, chosen.last, change) as report:
        headline = headline_of(uow, inforce, report)
    timezone = inforce.agreement.timezone
    shell = render(
        request,
        "marketing/dashboard.html",
        board=headline,
        chosen=chosen,
        timezone=timezone,
        computed_at=local_time(headline.computed_at, timezone),
        max_age_minutes=cache.max_age // timedelta(minutes=1),
    )
    head, tail = bytes(shell.body).split(PANELS_GO_HERE)
    engine = request.app.state.engine

    def parts() -> Iterator[bytes]:
        yield head
        with (
            UnitOfWork(engine) as charts_uow,
            cache.reader(charts_uow, clock, inforce, chosen.first, chosen.last, change, headline.computed_at) as report,
        ):
            panels = panels_of(inforce, report)
        yield TEMPLATES.get_template("marketing/dashboard_panels.html").render(panels=panels, chosen=chosen).encode()
        yield tail

    return StreamingResponse(parts(), status_code=shell.status_code, media_type="text/html")


@router.post("/dashboard/recompute")
def recompute(
    request: Request,
    viewer: Posting,
    clock: Now,
    inforce: Agreement,
    first: Annotated[str | None, Form(alias="from")] = None,
    last: Annotated[str | None, Form(alias="to")] = None,
) -> Response:
    """Compute the range's reports anew at the next look, whatever the cache keeps."""
    viewer.principal.require(Action.READ_REPORTS)
    chosen = chosen_of(inforce, clock, first, last)
    cache: ReportCache = request.app.state.report_cache
    cache.forget(chosen.first, chosen.last)
    dates = {"from": str(chosen.first or ""), "to": str(chosen.last or "")}
    return RedirectResponse(f"/dashboard?{urlencode(dates)}", status_code=303)
