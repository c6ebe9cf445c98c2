"""A rep at work in the browser: the queue, the lead page and the pipeline, at laptop and phone widths."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Browser, Dialog, Page, Request, expect
from sqlalchemy import select

from leadpact.services import intake, opportunities, sales
from leadpact.store.tables import Assignment, Opportunity, OpportunityChange
from leadpact.store.unit_of_work import UnitOfWork
from tests.factories import days, event, hand_off, history, lead, owner_name, record
from tests.people import PASSWORD
from tests.web.conftest import DESKTOP, LAPTOP, PHONE, Site, sign_in

KIM = "kim@bigco.example"
ANSWERS = {"budget": "yes", "authority": "decision_maker", "timing": "this_quarter"}
COUNTDOWN = re.compile(r"\d+[dhm] .*(left|overdue)|overdue")


def sign_in_to(browser: Browser, site: Site, name: str, path: str) -> Page:
    """Signed in as ``name`` straight onto ``path``, rather than their home page (marketing's is the dashboard)."""
    page = browser.new_context(viewport=LAPTOP).new_page()  # type: ignore[arg-type]
    page.goto(f"{site.url}/login?next={path}")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{path}")
    return page


def confirms(page: Page, answer: bool) -> list[str]:
    """The questions the page asks (window.confirm), each answered yes or no as ``answer`` says, as they come."""
    asked: list[str] = []

    def reply(dialog: Dialog) -> None:
        asked.append(dialog.message)
        if answer:
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", reply)
    return asked


def posts(page: Page) -> list[str]:
    """The last part of the path of every POST the page sends, as they go."""
    sent: list[str] = []

    def seen(request: Request) -> None:
        if request.method == "POST":
            sent.append(request.url.rsplit("/", 1)[-1])

    page.on("request", seen)
    return sent


def test_a_rep_walks_a_lead_from_accept_to_won(site: Site, browser: Browser) -> None:
    lead_id = hand_off(site.engine, site.clock, site.inforce, KIM, first_name="Kim", last_name="Lau", company="BigCo")
    record(site.engine, site.clock, site.inforce, event("web-1", KIM, "webinar_attended", site.clock.now() - days(9)))
    rep = owner_name(site.engine, KIM)
    assert rep is not None
    page = sign_in(browser, site, rep)
    asked = confirms(page, answer=True)

    # the queue: a rep lands on it; one click accepts, the row redraws in place
    expect(page.get_by_role("heading", name="My queue")).to_be_visible()
    row = page.locator(f"#lead-{lead_id}")
    expect(row.locator("[data-due]")).to_have_text(COUNTDOWN)
    expect(row).to_contain_text("accept by 2 Mar 2026 13:00 CST")  # 4 working hours after 09:00 in Chicago
    expect(row).to_contain_text("webinar_attended")  # why it scores: its top fit rules and events
    row.get_by_role("button", name="Accept").click()
    expect(row).to_have_attribute("data-stage", "sal")
    expect(page.locator("#flash .ok")).to_contain_text(f"{KIM}: accepted")
    expect(row).to_contain_text("first contact by 3 Mar 2026 09:00 CST")
    row.get_by_role("button", name="Log contact").click()
    expect(row).to_contain_text("accepted and contacted")
    expect(row.get_by_role("button", name="Log another contact")).to_be_visible()

    # the lead page: the explanation, the chart, and the same actions
    row.get_by_role("link", name="Kim Lau").click()
    page.wait_for_url(f"**/leads/{lead_id}")
    expect(page.locator("canvas[data-chart]")).to_have_attribute("data-drawn", "1")
    expect(page.get_by_role("img", name=re.compile("Score over time"))).to_be_visible()
    expect(page.locator("#fit")).to_contain_text("Senior title")
    expect(page.locator("#events")).to_contain_text("0.812")  # 15 points, 9 days into a 30-day half-life
    page.get_by_text("Qualify", exact=True).click()
    questions = page.locator("form[action$='/qualify']")
    questions.get_by_label("Budget").select_option("yes")
    questions.get_by_label("Authority").select_option("decision_maker")
    questions.get_by_label("Timing").select_option("this_quarter")
    questions.get_by_role("button", name="Confirm qualification").click()
    expect(page.locator("#stage")).to_have_text("SQL")
    expect(page.locator("#fit")).to_contain_text("Has budget")  # the answer is a lead field the fit rules read
    page.get_by_text("Convert", exact=True).click()
    page.get_by_label("Amount ($)").fill("25000")
    page.get_by_label("Expected close date").fill("2026-06-30")
    page.get_by_role("button", name="Convert to opportunity").click()
    expect(page.locator("#stage")).to_have_text("Opportunity")
    expect(page.locator(".deal")).to_contain_text("$25,000 · close 2026-06-30")

    # the pipeline's board: move the deal on with one click, then win it
    page.get_by_role("link", name="My pipeline").click()
    deal = page.locator("#stage-discovery .deal-card")
    expect(deal).to_contain_text("Kim Lau")
    deal.get_by_role("button", name="Move to proposal").click()
    moved = page.locator("#stage-proposal .deal-card")
    expect(moved).to_contain_text("Kim Lau")
    expect(page.locator("#stage-discovery")).to_contain_text("No open deals in discovery")
    moved.get_by_role("button", name="Won").click()
    expect(page.locator("#closed")).to_contain_text("won")
    expect(page.locator("#flash .ok")).to_contain_text("won")
    assert [question.split("?")[0] for question in asked] == [  # only the win asked first
        f"Close the opportunity of {KIM} ($25,000) as won",
    ]

    assert history(site.engine, KIM)[1:] == [
        ("inquiry", "mql", None),
        ("mql", "sal", None),
        ("sal", "sql", None),
        ("sql", "opportunity", None),
        ("opportunity", "customer", None),
    ]
    with UnitOfWork(site.engine) as uow:
        opportunity = uow.session.scalars(select(Opportunity).where(Opportunity.lead_id == lead_id)).one()
        assert (opportunity.won, opportunity.stage, opportunity.amount) == (True, "proposal", 25000.0)
        assert opportunity.close_date == date(2026, 6, 30)
        moves = uow.session.scalars(
            select(OpportunityChange.to_stage).where(OpportunityChange.opportunity_id == opportunity.id)
        )
        assert list(moves) == ["discovery", "proposal"]
        assignment = uow.session.scalars(select(Assignment).where(Assignment.lead_id == lead_id)).one()
        assert assignment.accepted_at == assignment.contacted_at == site.clock.now()


def test_a_rep_rejects_a_lead_with_a_reason_and_it_leaves_the_queue(site: Site, browser: Browser) -> None:
    lead_id = hand_off(site.engine, site.clock, site.inforce, KIM)
    rep = owner_name(site.engine, KIM)
    assert rep is not None
    page = sign_in(browser, site, rep)
    confirms(page, answer=True)
    row = page.locator(f"#lead-{lead_id}")

    reasons = row.get_by_label("Reject reason").locator("option")
    assert reasons.evaluate_all("options => options.map(o => o.value)") == ["", *site.inforce.agreement.reject_reasons]
    row.get_by_label("Reject reason").select_option("not_ready")
    row.get_by_role("button", name="Reject").click()

    expect(row).to_have_count(0)
    expect(page.locator("#flash .ok")).to_contain_text("sent back to marketing")
    page.reload()
    expect(page.get_by_text("No leads are waiting for you")).to_be_visible()
    rejected = lead(site.engine, KIM)
    assert (rejected.stage, rejected.owner_id) == ("recycled", None)
    assert history(site.engine, KIM)[-1] == ("mql", "recycled", "not_ready")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280", "390"])
def test_reject_and_won_ask_first_naming_the_lead_and_dismissing_the_question_changes_nothing(
    site: Site, browser: Browser, viewport: dict[str, int]
) -> None:
    lead_id = hand_off(site.engine, site.clock, site.inforce, KIM)
    rep = owner_name(site.engine, KIM)
    assert rep is not None
    page = sign_in(browser, site, rep, viewport)
    asked = confirms(page, answer=False)
    posted = posts(page)
    row = page.locator(f"#lead-{lead_id}")

    row.get_by_label("Reject reason").select_option("bad_data")
    row.get_by_label("Note").fill("wrong number")
    row.get_by_role("button", name="Reject").click()
    row.get_by_role("button", name="Accept").click()  # one click, no question: the reject was never sent
    expect(row).to_have_attribute("data-stage", "sal")
    assert asked == [
        f"Reject {KIM}? It leaves your queue and goes back to marketing with the reason chosen: recycled to nurture, "
        "or disqualified for good."
    ]
    assert posted == ["accept"]

    with UnitOfWork(site.engine) as uow:
        kim = intake.find_lead(uow, KIM)
        sales.qualify(uow, site.clock, site.inforce, kim, ANSWERS)
        opportunities.convert(uow, site.clock, site.inforce, kim, 25_000, date(2026, 6, 30))
    page.goto(f"{site.url}/pipeline")
    deal = page.locator("#stage-discovery .deal-card")
    deal.get_by_role("button", name="Won").click()
    page.reload()
    expect(page.locator("#stage-discovery .deal-card")).to_contain_text(KIM)
    assert asked[1] == (
        f"Close the opportunity of {KIM} ($25,000) as won? {KIM} becomes a customer; a closed deal cannot be reopened."
    )
    assert posted == ["accept"]
    assert [to for _, to, _ in history(site.engine, KIM)] == ["inquiry", "mql", "sal", "sql", "opportunity"]
    with UnitOfWork(site.engine) as uow:
        assert uow.session.scalars(select(Opportunity.won).where(Opportunity.lead_id == lead_id)).one() is None


def test_the_queue_is_usable_at_phone_width(site: Site, browser: Browser) -> None:
    lead_id = hand_off(site.engine, site.clock, site.inforce, KIM)
    rep = owner_name(site.engine, KIM)
    assert rep is not None
    page = sign_in(browser, site, rep, PHONE)
    row = page.locator(f"#lead-{lead_id}")

    assert row.evaluate("tr => getComputedStyle(tr).display") == "block"  # the row is a card
    expect(page.locator("#queue thead")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing off the side
    expect(row.locator("[data-due]")).to_have_text(COUNTDOWN)
    accept = row.get_by_role("button", name="Accept")
    accept.scroll_into_view_if_needed()
    accept.click()
    expect(row).to_have_attribute("data-stage", "sal")
    expect(row.get_by_role("button", name="Log contact")).to_be_visible()


def test_only_the_owner_sees_and_takes_a_leads_actions(site: Site, browser: Browser) -> None:
    first = hand_off(site.engine, site.clock, site.inforce, KIM)
    second = hand_off(site.engine, site.clock, site.inforce, "lee@ship.example")
    owners = {owner_name(site.engine, KIM): first, owner_name(site.engine, "lee@ship.example"): second}
    assert set(owners) == {"alice", "bob"}  # round robin: one lead each

    alice = sign_in(browser, site, "alice")
    refused = alice.goto(f"{site.url}/leads/{owners['bob']}")
    assert refused is not None
    assert refused.status == 403
    expect(alice.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(alice.get_by_role("alert")).to_contain_text("is not assigned to alice")

    mia = sign_in_to(browser, site, "mia", f"/leads/{owners['alice']}")  # marketing reads every lead, works none
    expect(mia.locator("#stage")).to_have_text("MQL")
    expect(mia.locator("[data-due]")).to_have_text(COUNTDOWN)
    expect(mia.get_by_role("button", name="Accept")).to_have_count(0)
    expect(mia.get_by_role("button", name="Reject")).to_have_count(0)
    token = mia.locator('meta[name="csrf-token"]').get_attribute("content")
    posted = mia.request.post(f"{site.url}/leads/{owners['alice']}/accept", form={"csrf": token or "", "view": "lead"})
    assert posted.status == 403
    assert "may not work leads" in posted.text()
    assert lead(site.engine, KIM if owners["alice"] == first else "lee@ship.example").stage == "mql"
    queue = mia.goto(f"{site.url}/queue")
    assert queue is not None
    assert queue.status == 403
    expect(mia.get_by_role("alert")).to_contain_text("My queue is for sales reps")


def test_an_action_on_an_out_of_date_page_says_why_it_failed(site: Site, browser: Browser) -> None:
    lead_id = hand_off(site.engine, site.clock, site.inforce, KIM)
    rep = owner_name(site.engine, KIM)
    assert rep is not None
    page = sign_in(browser, site, rep)
    with UnitOfWork(site.engine) as uow:  # accepted meanwhile, from another tab
        sales.accept(uow, site.clock, site.inforce, intake.find_lead(uow, KIM))

    page.locator(f"#lead-{lead_id}").get_by_role("button", name="Accept").click()

    expect(page.locator("#flash .error")).to_contain_text("sal")
    expect(page.locator("#flash [data-code]")).to_have_attribute("data-code", "illegal_transition")
