"""The nurture page in the browser: marketing finds each sequence's funnel and steps from the menu, and a lead's
page names the sequence and step it is in."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from leadpact.services import intake, mailer, nurture, privacy
from leadpact.store.tables import NurtureMessage
from leadpact.store.unit_of_work import UnitOfWork
from tests.factories import capture
from tests.web.conftest import Site, sign_in

EXAMPLE = (Path(__file__).parents[2] / "src" / "leadpact" / "examples" / "nurture.yaml").read_text()


def test_marketing_reads_each_sequences_funnel_and_a_lead_page_shows_its_step(browser: Browser, site: Site) -> None:
    mia = sign_in(browser, site, "mia", next="/nurture")
    expect(mia.locator("main")).to_contain_text("No sequences yet")
    with UnitOfWork(site.engine) as uow:
        nurture.adopt(uow, site.clock, site.inforce, EXAMPLE, "nurture.yaml", "mia")
    ivy = capture(site.engine, site.clock, site.inforce, "ivy@beta.example", first_name="Ivy")
    with UnitOfWork(site.engine) as uow:
        privacy.record_consent(uow, intake.find_lead(uow, "ivy@beta.example"), True, "form", site.clock.now())
        nurture.enroll(uow, site.clock, site.inforce, "not-ready", ["ivy@beta.example"])
    with UnitOfWork(site.engine) as uow:
        nurture.advance(uow, site.clock, site.inforce, site.url)
    with UnitOfWork(site.engine) as uow:
        message = uow.session.query(NurtureMessage).one()
        message.sent_at, message.outcome = site.clock.now(), "sent"  # as the worker records a send
        token = message.token
    with UnitOfWork(site.engine) as uow:
        mailer.opened(uow, site.clock, token)

    mia.get_by_role("link", name="Nurture").click()
    section = mia.locator("section[data-sequence='not-ready']")
    expect(section.locator("[data-figure='sent']")).to_have_text("1")
    expect(section.locator("[data-figure='opened']")).to_have_text("1")
    expect(section.locator("[data-figure='clicked']")).to_have_text("0")
    expect(section.locator("tr[data-step='1']")).to_contain_text("email_click → step 3")
    expect(section.locator("tr[data-step='3']")).to_contain_text("15 working day(s)")
    expect(mia.locator("section[data-sequence='first-touch']")).to_contain_text("Entry: below_floor")
    expect(mia.locator("main")).to_contain_text("emails wait in the outbox")

    mia.goto(f"{site.url}/leads/{ivy}")
    expect(mia.locator("#nurture")).to_contain_text("sequence not-ready, step 1 sent, step 2 due 2026-03-16 ")
    expect(mia.locator("#nurture")).to_contain_text("sequence first-touch, step 1 due 2026-03-03 15:00")
