"""Campaigns and what they cost, a day at a time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from leadpact.api.deps import Caller
from leadpact.api.routes.common import PREFIX, documented, errors, permitted
from leadpact.api.schemas import CampaignIn, CampaignOut, CostIn, CostsOut
from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.domain.permissions import Action, Principal
from leadpact.http.deps import Now, Uow
from leadpact.services import browse, campaigns
from leadpact.store.unit_of_work import UnitOfWork

router = APIRouter(prefix=PREFIX, tags=["campaigns"], responses=errors(401, 403, 422))
Manager = Annotated[Principal, permitted(Action.MANAGE_CAMPAIGNS)]


def _campaign(uow: UnitOfWork, name: str) -> CampaignOut:
    found = browse.campaigns(uow, name)
    if not found:
        raise NotFound(f"no campaign named '{name}'; see GET /api/v1/campaigns")
    return CampaignOut.model_validate(found[0])


@router.get("/campaigns", summary="List campaigns with their costs")
def list_campaigns(caller: Caller, uow: Uow) -> list[CampaignOut]:
    """Every campaign by name, with its total recorded cost (null when none was recorded: unknown, not free),
    the days with a cost, and the leads it brought. Needs a role that reads reports."""
    caller.require(Action.READ_REPORTS)
    return [CampaignOut.model_validate(row) for row in browse.campaigns(uow)]


@router.post(
    "/campaigns",
    status_code=201,
    summary="Create or update a campaign",
    responses={200: documented(CampaignOut, "The campaign existed and was updated."), **errors(422)},
)
def record_campaign(caller: Manager, body: CampaignIn, uow: Uow, clock: Now, response: Response) -> CampaignOut:
    """A campaign by name: created (201), or its channel and dates updated with the values given (200).
    Needs a marketing or admin token."""
    _, recorded = campaigns.record_campaigns(
        uow, clock, [campaigns.CampaignInput(body.name, body.channel or None, body.started_on, body.ended_on)]
    )
    response.status_code = 201 if recorded.created else 200
    return _campaign(uow, body.name)


@router.post("/campaigns/{name}/costs", summary="Record a campaign's costs", responses=errors(404, 422))
def record_costs(caller: Manager, name: str, body: CostIn | list[CostIn], uow: Uow, clock: Now) -> CostsOut:
    """What the campaign spent on a day (`{"date", "amount"}`), or on many days (a list of them). Recording a
    day again replaces its amount, so a cost report sent twice never counts twice. Needs a marketing or admin
    token."""
    campaign = _campaign(uow, name)
    costs = body if isinstance(body, list) else [body]
    days: dict[object, int] = {}
    for index, cost in enumerate(costs):
        if cost.day in days:
            raise InvalidInput(f"{index}.date: {cost.day} is given twice (first at {days[cost.day]})")
        days[cost.day] = index
    recorded = campaigns.record_costs(uow, clock, [(campaign.id, cost.day, cost.amount) for cost in costs])
    return CostsOut(
        campaign=_campaign(uow, name),
        created=recorded.created,
        updated=recorded.updated,
        unchanged=recorded.unchanged,
    )
