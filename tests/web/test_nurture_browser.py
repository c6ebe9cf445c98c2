"""The nurture page: marketing adopts the sequences and enrols leads from its forms (over HTTP on both engines, a
refused file names its lines and each form admits only those the API admits), finds each sequence's funnel and steps
from the menu in the browser, and a lead's page names the sequence and step it is in."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine

from leadpact.app import create_app
from leadpact.config import Settings
from leadpact.services import intake, mailer, nurture, privacy
from leadpact.services.clock import FixedClock
from leadpact.store.tables import NurtureMessage
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import add_team, capture
from tests.web.conftest import PHONE, Site, sign_in
from tests.web.test_lead_page import Web

EXAMPLE_PATH = Path(__file__).parents[2] / "src" / "leadpact" / "examples" / "nurture.yaml"
EXAMPLE = EXAMPLE_PATH.read_text()


@pytest.fixture
def web(engine: Engine, clock: FixedClock) -> Iterator[Web]:
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"alice": 1})
    app = create_app(Settings(database_url=engine.url.render_as_string(hide_password=False)), clock)
    yield Web(app, engine, clock, inforce)
    app.state.engine.dispose()


def text(response: Any) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def test_the_forms_refuse_a_broken_file_line_by_line_and_admit_only_whom_the_api_admits(web: Web) -> None:
    sam = web.person("sam", "manager", "/nurture", side="sales")
    assert "Adopt a new version" not in text(sam.client.get("/nurture"))
    assert sam.post("/nurture/adopt", {"text": EXAMPLE}).status_code == 403
    assert sam.post("/nurture/enroll", {"sequence": "not-ready", "emails": "ivy@beta.example"}).status_code == 403
    alice = web.person("alice", "rep", "/queue")
    assert alice.client.get("/nurture").status_code == 403

    dana = web.person("dana", "manager", "/nurture", side="marketing")
    broken = dana.post("/nurture/adopt", {"text": EXAMPLE.replace("wait_days: 10", "wait_days: soon")})
    assert broken.status_code == 422
    page = text(broken)
    assert "Nothing was stored: 1 problem to fix." in page
    assert "nurture.yaml:16: sequences[0].steps[1].wait_days: expected a number, got 'soon'" in page
    assert "16 - wait_days: soon Line 16: sequences[0].steps[1].wait_days: expected a number, got 'soon'" in page
    with UnitOfWork(web.engine) as uow:
        assert nurture.in_force(uow) is None
    files = {"file": ("sequences.yaml", EXAMPLE.encode(), "text/yaml")}
    adopted = dana.client.post("/nurture/adopt", data={"csrf": dana.csrf}, files=files, follow_redirects=False)
    assert (adopted.status_code, adopted.headers["location"]) == (303, "/nurture?adopted=1")
    assert "Version 1 adopted: it is in force from now." in text(dana.client.get("/nurture?adopted=1"))
    assert "Enrol leads" not in text(dana.client.get("/nurture"))  # enrolling is managing campaigns: marketing's
    assert dana.post("/nurture/enroll", {"sequence": "not-ready", "emails": "ivy@beta.example"}).status_code == 403

    capture(web.engine, web.clock, web.inforce, "ivy@beta.example")
    mia = web.person("mia", "marketing", "/nurture")
    unknown = mia.post("/nurture/enroll", {"sequence": "not-ready", "emails": "ivy@beta.example, zed@beta.example"})
    assert unknown.status_code == 404
    assert "Nobody was enrolled: no lead with email 'zed@beta.example'" in text(unknown)
    assert "ivy@beta.example, zed@beta.example</textarea>" in unknown.text  # what was typed is kept
    done = text(mia.post("/nurture/enroll", {"sequence": "not-ready", "emails": "ivy@beta.example"}))
    assert "1 enrolled in not-ready: ivy@beta.example." in done
    assert "no email will go to them (they leave at the next pass): ivy@beta.example: no consent" in done


def test_marketing_adopts_enrols_and_reads_each_sequences_funnel_and_a_lead_page_shows_its_step(
    browser: Browser, site: Site
) -> None:
    ivy = capture(site.engine, site.clock, site.inforce, "ivy@beta.example", first_name="Ivy")
    with UnitOfWork(site.engine) as uow:
        privacy.record_consent(uow, intake.find_lead(uow, "ivy@beta.example"), True, "form", site.clock.now())
    mia = sign_in(browser, site, "mia", viewport={"width": 1280, "height": 800}, next="/nurture")
    expect(mia.locator("main")).to_contain_text("No sequences yet")
    mia.get_by_label("or choose a file").set_input_files(EXAMPLE_PATH)
    mia.get_by_role("button", name="Check and adopt").click()
    expect(mia.get_by_role("status").filter(has_text="adopted")).to_have_text(
        "Version 1 adopted: it is in force from now."
    )
    mia.get_by_label("Sequence", exact=True).select_option("not-ready")
    mia.get_by_label("Emails").fill("ivy@beta.example")
    mia.get_by_role("button", name="Enrol").click()
    expect(mia.locator("[data-result='enrolled']")).to_contain_text("1 enrolled in not-ready: ivy@beta.example.")
    expect(mia.locator("[data-result='held']")).to_have_count(0)
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
    # the agreement's zone (Chicago), named
    expect(mia.locator("#nurture")).to_contain_text("sequence not-ready, step 1 sent, step 2 due 16 Mar 2026 ")
    expect(mia.locator("#nurture")).to_contain_text("sequence first-touch, step 1 due 3 Mar 2026 09:00 CST")


def test_the_nurture_page_fits_a_phone_with_each_funnels_figures_two_a_row(browser: Browser, site: Site) -> None:
    with UnitOfWork(site.engine) as uow:
        nurture.adopt(uow, site.clock, site.inforce, EXAMPLE, "nurture.yaml", "mia")
    page = sign_in(browser, site, "mia", viewport=PHONE, next="/nurture")
    funnel = page.get_by_role("group", name="Funnel of not-ready")
    expect(funnel.locator("[data-figure='sent']")).to_have_text("0")
    boxes = [box for box in (f.bounding_box() for f in funnel.locator("[data-figure]").all()) if box]
    assert len(boxes) == 4
    assert (len({round(b["x"]) for b in boxes}), len({round(b["y"]) for b in boxes})) == (2, 2)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing off the side
