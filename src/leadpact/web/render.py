"""Drawing pages: the templates, the filters they use, and the error page.

Every page shows a moment in the agreement's time zone, the zone named, and a fit rule by its title; and, while
the store runs on a demo clock (``services.store_clock``), says so at its top.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from leadpact.domain.report import Kind, shown
from leadpact.domain.wording import title_of
from leadpact.services.nurture import InSequence
from leadpact.services.store_clock import StoreTime

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


def moment_in(value: datetime | None, zone: tzinfo) -> str:
    """A moment as people read it, in ``zone`` and naming it: 21 Nov 2026 08:03 CST; a zone with no abbreviation
    (only an offset, like +04) by its name, Asia/Dubai."""
    if value is None:
        return "—"
    local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)
    abbreviation = local.tzname() or ""
    named = abbreviation if abbreviation.isalpha() else str(zone)
    return f"{local.day} {local:%b %Y %H:%M} {named}"


@pass_context
def moment(context: Context, value: datetime | None) -> str:
    """A moment in the time zone of the agreement in force, which every page is given (``render``)."""
    return moment_in(value, context.get("zone", UTC))


@pass_context
def whereabouts(context: Context, place: InSequence) -> str:
    """Where a lead stands in a nurture sequence, its moments in the agreement's zone."""
    zone = context.get("zone", UTC)
    return place.where(lambda at: moment_in(at, zone))


@pass_context
def titled(context: Context, rule_id: str) -> str:
    """A fit rule, named by its id, as the agreement in force titles it."""
    return title_of(context.get("in_force_agreement"), rule_id)


def iso(value: datetime | None) -> str:
    """A moment for scripts (the SLA countdown reads it)."""
    return value.isoformat() if value else ""


def money(value: float | None) -> str:
    return shown(Kind.MONEY, value)


def percent(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f}%"


def number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.{digits}f}"


def day(value: date | None) -> str:
    return value.isoformat() if value else "—"


def cell(kind: str, value: Any) -> str:
    """A report value by the kind of number its column holds, as the CLI shows it too (``domain.report.shown``)."""
    return shown(Kind(kind), value)


def chart(label: str, config: dict[str, Any]) -> Markup:
    """A canvas that static/app.js turns into a Chart.js chart of ``config`` (type, data, options).

    ``label`` says in words what the chart shows, for screen readers and the tests.
    """
    html = '<div class="chart"><canvas role="img" aria-label="{}" data-chart="{}"></canvas></div>'
    return Markup(html).format(label, json.dumps(config))


TEMPLATES.env.filters.update(
    moment=moment,
    whereabouts=whereabouts,
    titled=titled,
    iso=iso,
    money=money,
    percent=percent,
    number=number,
    day=day,
)
TEMPLATES.env.globals.update(chart=chart, cell=cell)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The page ``template`` with ``context``; every page also gets the signed-in viewer (None on the login page),
    now, the store's clock while one is set, and the agreement in force with its time zone."""
    viewer = getattr(request.state, "viewer", None)
    clock: StoreTime = request.app.state.clock
    reading = clock.reading()
    agreement = reading.agreement
    shared = {
        "viewer": viewer,
        "now": clock.now(),
        "store_clock": reading.setting,
        "in_force_agreement": agreement,
        "zone": ZoneInfo(agreement.timezone) if agreement else UTC,
    }
    return TEMPLATES.TemplateResponse(request, template, {**shared, **context}, status_code=status)


def error_page(request: Request, status: int, content: dict[str, Any]) -> Response:
    """A refusal or failure as a page; in an HTMX request, a fragment shown where the answer would have gone."""
    template = "fragments/error.html" if request.headers.get("HX-Request") else "error.html"
    response = render(
        request,
        template,
        status=status,
        code=content["code"],
        detail=content["detail"],
        problems=content.get("problems", []),
    )
    if request.headers.get("HX-Request"):
        response.headers["HX-Retarget"] = "#flash"  # errors land in the page's message area
        response.headers["HX-Reswap"] = "innerHTML"
    return response
