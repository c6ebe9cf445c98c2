"""The campaigns page: each campaign with what it cost and the leads it brought; marketing adds campaigns and
records a day's cost. Each campaign has a page of its own: its costs by month, the leads it brought (the leads
list filtered by it), how far they got and what it returned, all as the reports count them."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from leadpact.domain.errors import InvalidInput
from leadpact.domain.permissions import Action
from leadpact.http.deps import Agreement, Now, Uow
from leadpact.services import browse, campaigns
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock
from leadpact.store.unit_of_work import UnitOfWork
from leadpact.web.dates import parse_day, today
from leadpact.web.panels import funnel_panel
from leadpact.web.render import render
from leadpact.web.session import Posting, Viewer, Viewing

router = APIRouter()


def may_read_campaigns(viewer: Viewer) -> None:
    """Marketing manages campaigns; whoever reads the reports may look at them."""
    if not viewer.may(Action.MANAGE_CAMPAIGNS):
        viewer.principal.require(Action.READ_REPORTS)


def campaigns_page(
    request: Request,
    uow: UnitOfWork,
    inforce: InForce,
    clock: Clock,
    status: int = 200,
    message: str | None = None,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    rows = browse.campaigns(uow)
    channels = sorted({r.channel for r in rows if r.channel})
    return render(
        request,
        "marketing/campaigns.html",
        status=status,
        campaigns=rows,
        channels=channels,
        today=today(inforce, clock),
        message=message,
        error=error,
        form=form or {},
    )


@router.get("/campaigns")
def campaign_list(request: Request, viewer: Viewing, uow: Uow, clock: Now, inforce: Agreement) -> Response:
    may_read_campaigns(viewer)
    return campaigns_page(request, uow, inforce, clock)


TOP_LEADS = 10
"""The campaign's leads its page lists, highest score first; the leads list has them all."""


@router.get("/campaigns/{campaign_id:int}")
def campaign_page(
    request: Request, viewer: Viewing, uow: Uow, clock: Now, inforce: Agreement, campaign_id: int
) -> Response:
    may_read_campaigns(viewer)
    found = campaigns.performance(uow, clock, inforce, campaign_id)
    name = found.campaign.name
    # the dashboard's funnel panel, of this campaign's leads: its row of the funnel by campaign is their total
    funnel = funnel_panel(replace(found.funnel, rows=({**found.reached, "group": "all"},))) if found.reached else None
    top = browse.page_of_leads(uow, inforce, clock.now(), browse.LeadFilter(campaign=name), TOP_LEADS)
    return render(
        request,
        "marketing/campaign.html",
        found=found,
        returned=found.returned,
        funnel=funnel,
        top=top,
        leads_link="/leads?" + urlencode({"campaign": name}),
        today=today(inforce, clock),
    )


def campaign_input(name: str, channel: str, started_on: str, ended_on: str) -> campaigns.CampaignInput:
    if not name.strip():
        raise InvalidInput("name: a campaign needs a name")
    started, ended = parse_day(started_on, "start"), parse_day(ended_on, "end")
    if started and ended and ended < started:
        raise InvalidInput(f"end: the campaign ends ({ended}) before it starts ({started})")
    return campaigns.CampaignInput(name.strip(), channel.strip() or None, started, ended)


@router.post("/campaigns")
def add_campaign(
    request: Request,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    name: Annotated[str, Form()] = "",
    channel: Annotated[str, Form()] = "",
    started_on: Annotated[str, Form()] = "",
    ended_on: Annotated[str, Form()] = "",
) -> Response:
    viewer.principal.require(Action.MANAGE_CAMPAIGNS)
    form = {"name": name, "channel": channel, "started_on": started_on, "ended_on": ended_on}
    try:
        given = campaign_input(name, channel, started_on, ended_on)
    except InvalidInput as error:
        return campaigns_page(request, uow, inforce, clock, 422, error=error.detail, form=form)
    _, recorded = campaigns.record_campaigns(uow, clock, [given])
    done = "added" if recorded.created else "updated" if recorded.updated else "already recorded as given"
    return campaigns_page(request, uow, inforce, clock, message=f"Campaign '{given.name}' {done}.")


def amount_of(text: str) -> float:
    """An amount as people type it: 1200, 1,200.50 or $1200; a cost is 0 or more."""
    try:
        amount = float(text.replace(",", "").strip().lstrip("$€£"))
    except ValueError as exc:
        raise InvalidInput(f"amount: '{text}' is not an amount like 1200.50") from exc
    if amount < 0:
        raise InvalidInput("amount: a cost is 0 or more")
    return amount


@router.post("/campaigns/costs")
def record_cost(
    request: Request,
    viewer: Posting,
    uow: Uow,
    clock: Now,
    inforce: Agreement,
    campaign: Annotated[str, Form()] = "",
    day: Annotated[str, Form()] = "",
    amount: Annotated[str, Form()] = "",
) -> Response:
    viewer.principal.require(Action.MANAGE_CAMPAIGNS)
    form = {"campaign": campaign, "day": day, "amount": amount}
    known = {str(c.id): c.name for c in browse.campaigns(uow)}
    try:
        if campaign not in known:
            raise InvalidInput("campaign: choose one of the campaigns (add it first if it is new)")
        spent_on = parse_day(day, "day")
        if spent_on is None:
            raise InvalidInput("day: say which day the cost was spent on")
        spent = amount_of(amount)
    except InvalidInput as error:
        return campaigns_page(request, uow, inforce, clock, 422, error=error.detail, form=form)
    recorded = campaigns.record_costs(uow, clock, [(int(campaign), spent_on, spent)])
    what = f"${spent:,.2f} for '{known[campaign]}' on {spent_on}"
    if recorded.created:
        message = f"Recorded {what}."
    elif recorded.updated:
        message = f"Recorded {what}, in place of the amount recorded for that day before."
    else:
        message = f"{what} was already recorded."
    return campaigns_page(request, uow, inforce, clock, message=message)
