"""Reports that close the loop, one route per report of the catalog (``services.reports.CATALOG``).

Each route is made from the report's definition: its summary and help become the route's documentation, and
its options (``by``, ``model``) its query parameters, with their choices and default. An option given to a
report that does not take it is refused, not ignored.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from leadpact.api.routes.common import PREFIX, errors, permitted
from leadpact.api.schemas import Moment, ReportOut
from leadpact.domain.permissions import Action, Principal
from leadpact.domain.report import Definition, Option
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.services import reports
from leadpact.services.clock import Clock, FixedClock

First = Annotated[date | None, Query(alias="from", description="First local date covered (the agreement's time zone).")]
Last = Annotated[date | None, Query(alias="to", description="Last local date covered, inclusive.")]
At = Annotated[Moment | None, Query(description="Look from this moment instead of now (ISO 8601).")]
Reader = Annotated[Principal, permitted(Action.READ_REPORTS)]

ANSWER = (
    "Every report answers typed columns and rows; a value that cannot be computed is null, never zero. "
    "Needs a role that reads reports."
)


def parameter(option: Option) -> dict[str, Any]:
    """An option as the OpenAPI description of a query parameter."""
    schema = {"type": "string", "enum": list(option.choices), "default": option.default}
    return {"name": option.name, "in": "query", "required": False, "description": option.help, "schema": schema}


def route(router: APIRouter, report: Definition) -> None:
    """``GET /reports/{report.name}``: the report over the recorded history as of ``at`` (now by default)."""

    def run(
        request: Request,
        caller: Reader,
        uow: Uow,
        clock: Now,
        inforce: Agreement,
        first: First = None,
        last: Last = None,
        at: At = None,
    ) -> ReportOut:
        options = {name: request.query_params.get(name) for name in reports.option_names()}
        looking: Clock = FixedClock(at) if at is not None else clock
        answer = reports.run(uow, looking, inforce, report.name, options, first, last)
        return ReportOut.model_validate(answer.as_dict())

    router.add_api_route(
        f"/reports/{report.name}",
        run,
        methods=["GET"],
        summary=report.summary,
        description=f"{report.help}\n\n{ANSWER}",
        operation_id=f"report_{report.name}",
        openapi_extra={"parameters": [parameter(option) for option in report.options]} if report.options else None,
    )


def unknown(name: str, caller: Reader) -> None:
    """A name that is no report: not found, with the reports there are."""
    reports.definition(name)


def router() -> APIRouter:
    """A route for each report of the catalog as it stands, and a refusal naming them for any other name."""
    made = APIRouter(prefix=PREFIX, tags=["reports"], responses=errors(401, 403, 404, 409, 422))
    for report in reports.CATALOG.values():
        route(made, report)
    made.add_api_route("/reports/{name}", unknown, methods=["GET"], include_in_schema=False)
    return made
