"""The report pages, made from the report catalog (``services.reports.CATALOG``): a page lists every report,
and each report has a page with its dates, its options and its tables, the same numbers as
``leadpact report NAME`` and ``GET /api/v1/reports/NAME``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from leadpact.domain.errors import InvalidInput
from leadpact.domain.permissions import Action
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.services import reports
from leadpact.web.dates import chosen_range, last_twelve_months, today
from leadpact.web.render import render
from leadpact.web.session import Viewing

router = APIRouter()


@router.get("/reports")
def catalog(request: Request, viewer: Viewing) -> Response:
    viewer.principal.require(Action.READ_REPORTS)
    return render(request, "marketing/reports.html", catalog=list(reports.CATALOG.values()))


@router.get("/reports/{name}")
def report_page(
    request: Request,
    viewer: Viewing,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    name: str,
    first: Annotated[str | None, Query(alias="from")] = None,
    last: Annotated[str | None, Query(alias="to")] = None,
) -> Response:
    """One report for a range of dates (the last twelve months unless chosen) with the options chosen."""
    viewer.principal.require(Action.READ_REPORTS)
    definition = reports.definition(name)
    default = last_twelve_months(today(inforce, clock))
    given = {option.name: request.query_params.get(option.name) or None for option in definition.options}
    page: dict[str, Any] = {
        "definition": definition,
        "given": given,
        "default": default,
        "timezone": inforce.agreement.timezone,
    }
    try:
        chosen = chosen_range(first, last, default)
        report = reports.run(uow, clock, inforce, name, given, chosen.first, chosen.last)
    except InvalidInput as error:
        return render(request, "marketing/report.html", status=422, error=error.detail, chosen=default, **page)
    return render(request, "marketing/report.html", report=report, chosen=chosen, **page)
