"""Recording marketing campaigns and what they cost, one day at a time, from any source.

A campaign is known by its name; recording it again updates the channel and dates given (a value left out
keeps what is there). A cost belongs to a campaign and a day: recording the same day again replaces the
amount, so a re-sent cost report never counts twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from leadpact.services import audit
from leadpact.services.clock import Clock
from leadpact.store.tables import Campaign, CampaignCost
from leadpact.store.unit_of_work import UnitOfWork


@dataclass
class Recorded:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class CampaignInput:
    name: str
    channel: str | None = None
    started_on: date | None = None
    ended_on: date | None = None


def record_campaigns(uow: UnitOfWork, clock: Clock, inputs: Sequence[CampaignInput]) -> tuple[dict[str, int], Recorded]:
    """Create each campaign, or bring the one of that name up to date; ({name: id}, what happened)."""
    recorded = Recorded()
    names = sorted({c.name for c in inputs})
    existing = {c.name: c for c in uow.session.scalars(select(Campaign).where(Campaign.name.in_(names)))}
    for given in inputs:
        campaign = existing.get(given.name)
        if campaign is None:
            campaign = existing[given.name] = Campaign(name=given.name)
            uow.session.add(campaign)
            recorded.created += 1
        changes = {"channel": given.channel, "started_on": given.started_on, "ended_on": given.ended_on}
        changed = False
        for key, value in changes.items():
            if value is not None and getattr(campaign, key) != value:
                setattr(campaign, key, value)
                changed = True
        if campaign.id is not None:
            recorded.updated += changed
            recorded.unchanged += not changed
    uow.session.flush()
    if recorded.created or recorded.updated:
        audit.record(
            uow,
            clock.now(),
            "campaigns.save",
            ", ".join(names)[:200],
            created=recorded.created,
            updated=recorded.updated,
        )
    return {name: campaign.id for name, campaign in existing.items()}, recorded


def record_costs(uow: UnitOfWork, clock: Clock, costs: Sequence[tuple[int, date, float]]) -> Recorded:
    """Each campaign's spend on a day, as (campaign id, day, amount); a later report for a day replaces it."""
    recorded = Recorded()
    wanted = {(campaign, day): amount for campaign, day, amount in costs}
    if not wanted:
        return recorded
    existing = uow.session.scalars(
        select(CampaignCost).where(
            CampaignCost.campaign_id.in_({c for c, _ in wanted}), CampaignCost.incurred_on.in_({d for _, d in wanted})
        )
    )
    for cost in existing:
        key = (cost.campaign_id, cost.incurred_on)
        if key not in wanted:
            continue
        amount = wanted.pop(key)
        if cost.amount != amount:
            cost.amount = amount
            recorded.updated += 1
        else:
            recorded.unchanged += 1
    uow.session.add_all(CampaignCost(campaign_id=c, incurred_on=d, amount=a) for (c, d), a in wanted.items())
    recorded.created = len(wanted)
    if recorded.created or recorded.updated:
        campaigns = len({c for c, _, _ in costs})
        audit.record(
            uow,
            clock.now(),
            "costs.save",
            f"{campaigns} campaign(s)",
            created=recorded.created,
            updated=recorded.updated,
        )
    return recorded
