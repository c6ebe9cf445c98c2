"""A qualifier at work in the browser: the screening queue, a call with answers, and a pass to sales, at 1280 px."""

from __future__ import annotations

from playwright.sync_api import Browser, expect
from sqlalchemy import Engine

from leadpact.services import auth, team
from leadpact.services.clock import FixedClock
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import HOT, capture, history, lead, owner_name
from tests.people import PASSWORD
from tests.screening import with_screening
from tests.web.conftest import Site, sign_in

ANN, BEA = "ann@acme.example", "bea@bolt.example"
WIDE = {"width": 1280, "height": 800}


def seed(engine: Engine, clock: FixedClock) -> tuple[int, int]:
    """The screening agreement, quinn of team sdr, and two webinar leads in screening: (ann's id, bea's id)."""
    inforce = adopt_example(engine, clock, with_screening())
    with UnitOfWork(engine) as uow:
        team.add_user(uow, clock, "quinn", "qualifier", team="sdr")
        auth.set_password(uow, clock, "quinn", PASSWORD)
    ann = capture(engine, clock, inforce, ANN, **HOT, source="webinar", first_name="Ann")
    bea = capture(engine, clock, inforce, BEA, **{**HOT, "title": "Director"}, source="webinar", first_name="Bea")
    return ann, bea


def test_a_qualifier_calls_answers_and_passes_a_lead_from_the_queue(site: Site, browser: Browser) -> None:
    ann, bea = seed(site.engine, site.clock)
    page = sign_in(browser, site, "quinn", WIDE)
    expect(page.get_by_role("heading", name="Screening")).to_be_visible()  # a qualifier lands on the queue
    row = page.locator(f"#lead-{ann}")
    expect(row).to_contain_text("call by 2 Mar 2026 13:00 CST")  # 4 working hours after 09:00 in Chicago
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # the form fits beside the lead

    row.get_by_label("Call").select_option("reached")
    row.get_by_label("Budget").select_option("no")
    row.get_by_role("button", name="Save").click()
    expect(page.locator("#flash .ok")).to_contain_text(f"{ANN}: call logged. answers recorded.")
    expect(row).to_contain_text("1 call, last: reached")

    row.get_by_label("Budget").select_option("yes")
    row.get_by_label("Authority").select_option("influencer")
    row.get_by_label("Note").fill("wants a demo Tuesday")
    row.locator("select[name=decision]").select_option("pass")
    row.get_by_role("button", name="Save").click()
    expect(page.locator("#flash .ok")).to_contain_text("passed to sales")
    expect(row).to_have_count(0)  # it left the queue
    assert (lead(site.engine, ANN).stage, owner_name(site.engine, ANN) in ("alice", "bob")) == ("mql", True)

    other = page.locator(f"#lead-{bea}")
    other.locator("select[name=decision]").select_option("pass")
    other.get_by_role("button", name="Save").click()
    expect(page.locator("#flash")).to_contain_text("budget: no answer is not ready for sales")
    other.locator("select[name=decision]").select_option("disqualify")
    other.get_by_label("Reason to disqualify").select_option("competitor")
    other.get_by_role("button", name="Save").click()
    expect(other).to_have_count(0)
    assert history(site.engine, BEA)[-1] == ("screening", "disqualified", "competitor")

    rep = owner_name(site.engine, ANN)
    assert rep is not None
    rep_page = sign_in(browser, site, rep, WIDE, next=f"/leads/{ann}")
    expect(rep_page.locator("#screening")).to_contain_text("passed by quinn")
    expect(rep_page.locator("#screening")).to_contain_text("wants a demo Tuesday")
    expect(rep_page.locator("#screening")).to_contain_text("budget: yes")
