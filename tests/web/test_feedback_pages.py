"""Sales feedback and the activity timeline on the lead page, and the dashboard's feedback panel: over HTTP on
both engines, and in the browser at 1280 px."""

from __future__ import annotations

import html
import re

from playwright.sync_api import Browser, expect
from sqlalchemy import select

from leadpact.services import intake, sales
from leadpact.store.tables import Feedback
from leadpact.store.unit_of_work import UnitOfWork
from tests.factories import hand_off, hours, owner_name
from tests.web.conftest import Site, sign_in
from tests.web.test_lead_page import KIM, Web, web  # noqa: F401  (the fixture, shared)


def test_a_rep_records_feedback_from_the_lead_page_and_it_shows_in_the_timeline_and_the_dashboard(web: Web) -> None:  # noqa: F811
    lead_id = hand_off(web.engine, web.clock, web.inforce, KIM)
    alice = web.person("alice", "rep", "/queue")
    assert 'id="feedback"' not in alice.client.get(f"/leads/{lead_id}").text  # nothing to give feedback on yet
    web.clock.at += hours(1)
    for action in ("accept", "contact"):
        assert alice.post(f"/leads/{lead_id}/{action}", {"view": "lead"}).status_code == 303
    page = alice.client.get(f"/leads/{lead_id}").text
    assert 'id="feedback"' in page
    assert '<option value="contact" selected>the contact</option>' in page

    form = {"moment": "contact", "competitor": "automata", "message": "", "note": "Runs SAP."}
    answer = alice.client.post(
        f"/leads/{lead_id}/feedback",
        data={"csrf": alice.csrf, **form, "requests": ["sap_connector", "mobile_app"]},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/leads/{lead_id}?done=feedback"
    shown = alice.client.get(answer.headers["location"]).text
    assert "feedback recorded" in shown
    timeline = html.unescape(shown[shown.index('id="activity"') :])
    kinds = re.findall(r'data-kind="(\w+)"', timeline)
    assert kinds == ["event", "stage", "stage", "handoff", "stage", "contact", "feedback"]
    assert "feedback on contact: competitor automata; requests mobile app, sap connector" in timeline
    assert "Runs SAP." in timeline

    refused = alice.post(f"/leads/{lead_id}/feedback", {"moment": "contact", "competitor": "acme"}, htmx=True)
    assert refused.status_code == 422
    assert "use one of: roboworks, automata, in_house" in html.unescape(refused.text)
    mia = web.person("mia", "marketing", "/dashboard")
    assert mia.post(f"/leads/{lead_id}/feedback", {"moment": "contact", "note": "hi"}).status_code == 403
    with UnitOfWork(web.engine) as uow:
        assert [f.competitor for f in uow.session.scalars(select(Feedback))] == ["automata"]

    board = html.unescape(mia.client.get("/dashboard").text)
    panel = board[board.index('data-panel="feedback"') :]
    assert "Sales feedback: competitors" in panel
    assert "Most asked: mobile_app (1 times" in panel or "Most asked: sap_connector (1 times" in panel


def test_the_lead_page_timeline_and_feedback_form_at_1280_px(site: Site, browser: Browser) -> None:
    lead_id = hand_off(site.engine, site.clock, site.inforce, KIM, first_name="Kim", company="BigCo")
    rep = owner_name(site.engine, KIM)
    assert rep is not None
    with UnitOfWork(site.engine) as uow:
        found = intake.find_lead(uow, KIM)
        sales.accept(uow, site.clock, site.inforce, found)
        sales.contact(uow, site.clock, found)
    page = sign_in(browser, site, rep, {"width": 1280, "height": 800}, next=f"/leads/{lead_id}")
    form = page.locator("#feedback form")
    expect(form).to_be_visible()
    form.get_by_label("Competitor met").select_option("roboworks")
    form.get_by_label("sap connector").check()
    form.get_by_label("What opened the door").select_option("webinar_series")
    form.get_by_label("Note").fill("Evaluating two vendors.")
    form.get_by_role("button", name="Record feedback").click()
    expect(page.locator("#flash .ok")).to_contain_text("feedback recorded")
    last = page.locator("#activity tbody tr").last
    expect(last).to_have_attribute("data-kind", "feedback")
    expect(last).to_contain_text("competitor roboworks; requests sap connector; message webinar series")
    expect(last).to_contain_text("Evaluating two vendors.")
    # at 1280 px the timeline's four columns fit the page: nothing scrolls sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
