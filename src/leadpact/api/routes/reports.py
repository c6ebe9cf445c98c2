"""Reports that close the loop: funnel, costs, SLA, reasons, grades, sourcing, attribution, forecast."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from leadpact.analytics import attribution, calibration, costs, forecast, funnel, reasons, sla, sourced
from leadpact.analytics.history import Context
from leadpact.analytics.report import Report
from leadpact.api.routes.common import PREFIX, errors, permitted
from leadpact.api.schemas import Moment, ReportOut
from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.domain.permissions import Action, Principal
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.services import reports
from leadpact.services.clock import Clock, FixedClock

router = APIRouter(prefix=PREFIX, tags=["reports"], responses=errors(401, 403, 404, 409, 422))


@dataclass(frozen=True)
class Option:
    """A report's one choice: how it groups (``by``) or how it shares credit (``model``)."""

    name: str
    default: str
    choices: tuple[str, ...]
    compute: Callable[[Context, str], Report]


CHOSEN: dict[str, Option] = {
    "funnel": Option("by", "source", funnel.BY, funnel.funnel),
    "costs": Option("by", "source", costs.BY, costs.costs),
    "sla": Option("by", "rep", sla.BY, sla.sla),
    "reasons": Option("by", "stage", reasons.BY, reasons.reasons),
    "attribution": Option("model", "u_shaped", attribution.MODELS, attribution.attribution),
}
PLAIN: dict[str, Callable[[Context], Report]] = {
    "grades": calibration.calibration,
    "sourced": sourced.sourced,
    "forecast": forecast.forecast,
}
NAMES = (*CHOSEN, *PLAIN)


def _compute(name: str, by: str | None, model: str | None) -> Callable[[Context], Report]:
    """The report's computation with its option checked; an option the report does not take is refused."""
    option = CHOSEN.get(name)
    given = {"by": by, "model": model}
    for key, value in given.items():
        if value is not None and (option is None or option.name != key):
            takes = f"takes '{option.name}'" if option else "takes neither 'by' nor 'model'"
            raise InvalidInput(f"{key}: the {name} report {takes}")
    if option is None:
        return PLAIN[name]
    choice = given[option.name] or option.default
    if choice not in option.choices:
        raise InvalidInput(f"{option.name}: '{choice}' is not one of {', '.join(option.choices)}")
    return lambda ctx: option.compute(ctx, choice)


@router.get("/reports/{name}", summary="Run a report")
def report(
    name: Annotated[str, Path(description=f"One of: {', '.join(NAMES)}.")],
    caller: Annotated[Principal, permitted(Action.READ_REPORTS)],
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    first: Annotated[
        date | None, Query(alias="from", description="First local date covered (the agreement's time zone).")
    ] = None,
    last: Annotated[date | None, Query(alias="to", description="Last local date covered, inclusive.")] = None,
    at: Annotated[Moment | None, Query(description="Look from this moment instead of now (ISO 8601).")] = None,
    by: Annotated[
        str | None,
        Query(
            description="How to group: funnel by source, campaign, month or grade; costs by source or campaign; "
            "sla by rep, team or source; reasons by stage, source or rep."
        ),
    ] = None,
    model: Annotated[
        str | None,
        Query(description="attribution only: first, last, linear, u_shaped (default), w_shaped or time_decay."),
    ] = None,
) -> ReportOut:
    """A report over the recorded history as of `at` (now by default), limited to local dates `from`..`to`
    when given: `funnel` (how far the leads captured got), `costs` (cost per lead, MQL, deal, and ROI), `sla`
    (how fast sales accepted and contacted), `reasons` (why leads were rejected and deals lost), `grades` (do
    the grades predict revenue), `sourced` (marketing- vs sales-sourced pipeline), `attribution` (revenue
    credited to campaigns) and `forecast` (open pipeline by close month). Every report answers typed columns
    and rows; a value that cannot be computed is null, never zero. Needs a role that reads reports."""
    if name not in NAMES:
        raise NotFound(f"no report named '{name}'; reports: {', '.join(NAMES)}")
    compute = _compute(name, by, model)
    looking: Clock = FixedClock(at) if at is not None else clock
    return ReportOut.model_validate(reports.run(uow, looking, inforce, compute, first, last).as_dict())
