"""Recording marketing campaigns and what they cost, one day at a time, from any source.

A campaign is known by its name; recording it again updates its channel and dates. A cost belongs to a
campaign and a day: recording the same day again replaces the amount, so a re-sent cost report never counts
twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from leadpact.domain.errors import InvalidInput
from leadpact.store.tables import Campaign, CampaignCost
from leadpact.store.unit_of_work import UnitOfWork


def record_campaign(
    uow: UnitOfWork, name: str, channel: str | None, started_on: date | None, ended_on: date | None
) -> Campaign:
    """Create the campaign, or bring an existing one of that name up to date."""
    name = name.strip()
    if not name:
        raise InvalidInput("name: a campaign needs a name")
    if started_on and ended_on and ended_on < started_on:
        raise InvalidInput(f"campaign {name}: it ends ({ended_on}) before it starts ({started_on})")
    campaign = uow.session.scalars(select(Campaign).where(Campaign.name == name)).first()
    if campaign is None:
        campaign = Campaign(name=name)
        uow.session.add(campaign)
    campaign.channel = channel
    campaign.started_on = started_on
    campaign.ended_on = ended_on
    uow.session.flush()
    return campaign


def record_costs(uow: UnitOfWork, costs: Sequence[tuple[int, date, float]]) -> None:
    """Each campaign's spend on a day, as (campaign id, day, amount); a later report for a day replaces it."""
    for _, day, amount in costs:
        if amount < 0:
            raise InvalidInput(f"amount: a cost is 0 or more, not {amount} (on {day})")
    wanted = {(campaign, day): amount for campaign, day, amount in costs}
    if not wanted:
        return
    existing = uow.session.scalars(
        select(CampaignCost).where(
            CampaignCost.campaign_id.in_({c for c, _ in wanted}), CampaignCost.incurred_on.in_({d for _, d in wanted})
        )
    )
    for cost in existing:
        key = (cost.campaign_id, cost.incurred_on)
        if key in wanted:
            cost.amount = wanted.pop(key)
    uow.session.add_all(CampaignCost(campaign_id=c, incurred_on=d, amount=a) for (c, d), a in wanted.items())
