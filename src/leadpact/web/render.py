"""Drawing pages: the templates, the filters they use, and the error page."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from leadpact.domain.report import Kind, shown

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")


def moment(value: datetime | None) -> str:
    """A UTC moment as people read it: 2026-11-21 14:03 UTC."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


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


TEMPLATES.env.filters.update(moment=moment, iso=iso, money=money, percent=percent, number=number, day=day)
TEMPLATES.env.globals.update(chart=chart, cell=cell)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The page ``template`` with ``context``; every page also gets the signed-in viewer (None on the login page)."""
    viewer = getattr(request.state, "viewer", None)
    clock = request.app.state.clock
    return TEMPLATES.TemplateResponse(
        request, template, {"viewer": viewer, "now": clock.now(), **context}, status_code=status
    )


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
