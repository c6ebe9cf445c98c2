"""A rep's pipeline in the browser, at laptop and phone widths: a board of columns by sales stage (a list grouped by
stage on a phone), deals moved with a button, their amount and close date edited in place, long columns paged;
and the same edit on the lead page."""

from __future__ import annotations

import json
from datetime import date

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from sqlalchemy import select

from leadpact.services import intake, opportunities, sales, team
from leadpact.store.tables import AuditEntry, Opportunity, OpportunityChange
from leadpact.store.unit_of_work import UnitOfWork
from tests.factories import HOT, days
from tests.web.conftest import DESKTOP, PHONE, Site, sign_in

WIDTHS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
ANSWERS = {"budget": "yes", "authority": "decision_maker", "timing": "this_quarter"}


def deals(site: Site, count: int) -> list[str]:
    """``count`` deals of alice's (bob is away) in discovery, deal n worth 1,000 times n + 1, expected to close n
    days after the 1st of June."""
    names = [f"deal{n:02}" for n in range(count)]
    emails = [f"{n}@{n}.example" for n in names]
    with UnitOfWork(site.engine) as uow:
        team.set_available(uow, site.clock, "bob", False)
        inputs = [intake.LeadInput(e, first_name=n, **HOT) for n, e in zip(names, emails, strict=True)]
        intake.capture_leads(uow, site.clock, site.inforce, inputs)
    with UnitOfWork(site.engine) as uow:
        events = [intake.EventInput(f"demo-{e}", e, "demo_request", site.clock.now()) for e in emails]
        intake.record_events(uow, site.clock, site.inforce, events)
    with UnitOfWork(site.engine) as uow:
        for n, email in enumerate(emails):
            lead = intake.lead_for_change(uow, email)
            sales.accept(uow, site.clock, site.inforce, lead)
            sales.qualify(uow, site.clock, site.inforce, lead, ANSWERS)
            opportunities.convert(uow, site.clock, site.inforce, lead, 1000.0 * (n + 1), date(2026, 6, 1) + days(n))
    return names


def card(page: Page, name: str) -> Locator:
    return page.locator(".deal-card", has=page.get_by_role("link", name=name, exact=True))


def column_names(page: Page, stage: str) -> list[str]:
    names: list[str] = page.locator(f"#stage-{stage} .deal-card > a").evaluate_all(
        "links => links.map(a => a.textContent)"
    )
    return names


def opportunity(site: Site, name: str) -> Opportunity:
    with UnitOfWork(site.engine) as uow:
        found = uow.session.scalars(
            select(Opportunity).where(Opportunity.lead_id == intake.find_lead(uow, f"{name}@{name}.example").id)
        ).one()
        uow.session.expunge(found)
        return found


@WIDTHS
def test_a_rep_moves_a_deal_across_the_board_with_buttons(
    site: Site, browser: Browser, viewport: dict[str, int]
) -> None:
    names = deals(site, 3)
    page = sign_in(browser, site, "alice", viewport, next="/pipeline")

    expect(page.get_by_role("heading", name="My pipeline")).to_be_visible()
    assert column_names(page, "discovery") == names
    discovery, proposal = page.locator("#stage-discovery"), page.locator("#stage-proposal")
    expect(discovery.get_by_role("heading")).to_contain_text("3 open · $6,000")
    expect(proposal).to_contain_text("No open deals in proposal")
    left, right = discovery.bounding_box(), proposal.bounding_box()
    assert left is not None
    assert right is not None
    if viewport is DESKTOP:  # columns side by side
        assert right["x"] > left["x"] + left["width"] - 1
        assert right["y"] == left["y"]
    else:  # a list grouped by stage
        assert right["y"] > left["y"] + left["height"] - 1
        assert right["x"] == left["x"]
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    card(page, "deal01").get_by_role("button", name="Move to proposal").click()  # one click: moving back undoes it
    expect(page.locator("#flash .ok")).to_contain_text("deal01@deal01.example: opportunity moved")
    expect(proposal.get_by_role("heading")).to_contain_text("1 open · $2,000")
    assert column_names(page, "proposal") == ["deal01"]
    card(page, "deal01").get_by_role("button", name="Move to negotiation").click()
    expect(page.locator("#stage-negotiation .deal-card")).to_have_count(1)
    card(page, "deal01").get_by_role("button", name="Back to proposal").click()
    expect(page.locator("#stage-proposal .deal-card")).to_have_count(1)
    expect(card(page, "deal01").get_by_role("button", name="Back to discovery")).to_be_visible()
    assert column_names(page, "discovery") == ["deal00", "deal02"]

    with UnitOfWork(site.engine) as uow:
        moves = uow.session.execute(
            select(OpportunityChange.from_stage, OpportunityChange.to_stage)
            .where(OpportunityChange.opportunity_id == opportunity(site, "deal01").id)
            .order_by(OpportunityChange.id)
        ).all()
    assert [tuple(m) for m in moves] == [
        (None, "discovery"),
        ("discovery", "proposal"),
        ("proposal", "negotiation"),
        ("negotiation", "proposal"),
    ]


@WIDTHS
def test_a_rep_edits_a_deals_amount_and_close_date_in_place(
    site: Site, browser: Browser, viewport: dict[str, int]
) -> None:
    deals(site, 2)
    page = sign_in(browser, site, "alice", viewport, next="/pipeline")
    kpis = page.locator(".kpis")
    expect(kpis).to_contain_text("$3,000")

    deal = card(page, "deal00")
    deal.get_by_text("Edit amount or date").click()
    expect(deal.get_by_label("Amount ($)")).to_have_value("1000")
    expect(deal.get_by_label("Expected close date")).to_have_value("2026-06-01")
    deal.get_by_label("Amount ($)").fill("27500")
    deal.get_by_label("Expected close date").fill("2026-07-15")
    deal.get_by_role("button", name="Save").click()

    expect(page.locator("#flash .ok")).to_contain_text("amount and expected close date saved")
    expect(deal).to_contain_text("$27,500 · close 2026-07-15")
    expect(kpis).to_contain_text("$29,500")
    assert column_names(page, "discovery") == ["deal01", "deal00"]  # the soonest expected close first
    saved = opportunity(site, "deal00")
    assert (saved.amount, saved.close_date) == (27500.0, date(2026, 7, 15))
    with UnitOfWork(site.engine) as uow:
        trail = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "lead.revise")).one()
    assert (trail.actor, trail.via) == ("alice", "web")
    assert json.loads(trail.detail)["was_amount"] == 1000.0

    # a negative amount is refused where it is typed, and by the server when sent anyway
    deal.get_by_text("Edit amount or date").click()
    deal.get_by_label("Amount ($)").fill("-5")
    deal.get_by_role("button", name="Save").click()
    assert deal.get_by_label("Amount ($)").evaluate("input => input.validity.rangeUnderflow")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    refused = page.request.post(
        f"{site.url}/leads/{saved.lead_id}/revise",
        form={"csrf": token or "", "view": "pipeline", "amount": "-5", "close_date": "2026-07-15"},
    )
    assert refused.status == 422
    assert "amount is 0 or more" in refused.text()
    assert opportunity(site, "deal00").amount == 27500.0


@WIDTHS
def test_a_long_column_shows_its_first_cards_and_more_on_asking(
    site: Site, browser: Browser, viewport: dict[str, int]
) -> None:
    names = deals(site, 23)
    page = sign_in(browser, site, "alice", viewport, next="/pipeline")

    expect(page.locator("#stage-discovery").get_by_role("heading")).to_contain_text("23 open · $276,000")
    assert column_names(page, "discovery") == names[:20]
    page.locator("#stage-discovery").get_by_role("link", name="Show more").click()
    expect(page.locator("#stage-discovery .deal-card")).to_have_count(23)
    assert column_names(page, "discovery") == names
    expect(page.locator("#stage-discovery").get_by_role("link", name="Show more")).to_have_count(0)

    card(page, "deal21").get_by_role("button", name="Move to proposal").click()  # a card shown by "more" works too
    expect(page.locator("#stage-proposal .deal-card")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


@WIDTHS
def test_a_deal_is_edited_from_its_lead_page_too(site: Site, browser: Browser, viewport: dict[str, int]) -> None:
    deals(site, 1)
    lead_id = opportunity(site, "deal00").lead_id
    page = sign_in(browser, site, "alice", viewport, next=f"/leads/{lead_id}")

    page.get_by_text("Edit amount or date").click()
    page.get_by_label("Amount ($)").fill("4200")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".deal")).to_contain_text("$4,200 · close 2026-06-01")
    expect(page.locator("#flash .ok")).to_contain_text("amount and expected close date saved")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
