"""Marketing campaigns: recording them and what they cost, one day at a time, from any source; and what one
campaign brought.

A campaign is known by its name; recording it again updates the channel and dates given (a value left out
keeps what is there). A cost belongs to a campaign and a day: recording the same day again replaces the
amount, so a re-sent cost report never counts twice.

What a campaign brought is the reports' own numbers, its row of the funnel and of costs and ROI by campaign
over all history: the leads it brought first (its cohort), how far they got, what they won, and its cost to
date. Its page and the dashboard cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from leadpact.domain.errors import NotFound
from leadpact.domain.report import Report, Row
from leadpact.services import audit, browse, reports
from leadpact.services.agreements import InForce
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


@dataclass(frozen=True)
class MonthCost:
    month: str  # "2026-01", a month of the days the costs were recorded for
    cost: float
    days: int  # the days of the month with a cost recorded


@dataclass(frozen=True)
class Performance:
    """One campaign, what it cost each month, and its rows of the funnel and of costs and ROI by campaign."""

    campaign: browse.CampaignRow
    months: list[MonthCost]
    funnel: Report  # by campaign, for its columns and notes
    reached: Row | None  # the campaign's row of the funnel; None when it brought no lead
    returned: Row  # the campaign's row of costs and ROI


def costs_by_month(uow: UnitOfWork, campaign_id: int) -> list[MonthCost]:
    """Every cost recorded for the campaign, added up by month, the earliest first."""
    query = select(CampaignCost.incurred_on, CampaignCost.amount).where(CampaignCost.campaign_id == campaign_id)
    months: dict[str, list[float]] = defaultdict(list)
    for day, amount in uow.session.execute(query):
        months[f"{day:%Y-%m}"].append(amount)
    return [MonthCost(month, sum(amounts), len(amounts)) for month, amounts in sorted(months.items())]


def performance(uow: UnitOfWork, clock: Clock, inforce: InForce, campaign_id: int) -> Performance:
    """What the campaign cost and brought, over all history as of now."""
    found = uow.session.get(Campaign, campaign_id)
    if found is None:
        raise NotFound(f"no campaign {campaign_id}")
    with reports.reader(uow, clock, inforce) as read:
        funnel = read("funnel", by="campaign")
        returned = read("costs", by="campaign")
    mine = [row for row in funnel.rows[:-1] if row["group"] == found.name]  # the last row is "all"
    return Performance(
        browse.campaigns(uow, found.name)[0],
        costs_by_month(uow, found.id),
        funnel,
        mine[0] if mine else None,
        next(row for row in returned.rows[:-1] if row["group"] == found.name),
    )
