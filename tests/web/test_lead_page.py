"""The rep's pages over HTTP on both engines: plain form posts (no script), refusals, the lead page's chart."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from leadpact.app import create_app
from leadpact.config import Settings
from leadpact.services import auth, explain, intake, team
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.tables import Opportunity
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import adopt_example
from tests.factories import add_team, hand_off, history, lead
from tests.learning.leadmodel_world import keep_model, trained_model

KIM = "kim@bigco.example"
PASSWORD = "correct horse battery"


@dataclass
class Person:
    client: TestClient
    csrf: str

    def post(self, path: str, form: dict[str, str], htmx: bool = False) -> Any:
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.post(path, data={"csrf": self.csrf, **form}, headers=headers, follow_redirects=False)


@dataclass
class Web:
    app: FastAPI
    engine: Engine
    clock: FixedClock
    inforce: InForce

    def person(self, name: str, role: str, first: str, side: str | None = None) -> Person:
        """``name`` with ``role``, signed in through the sign-in form and sent on to the page ``first``."""
        with UnitOfWork(self.engine) as uow:
            if role != "rep":
                team.add_user(uow, self.clock, name, role, email=f"{name}@acme.example", side=side)
            auth.set_password(uow, self.clock, name, PASSWORD)
        client = TestClient(self.app, base_url="http://localhost")
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert token is not None
        form = {"name": name, "password": PASSWORD, "csrf": token[1], "next": first}
        signed = client.post("/login", data=form)
        assert signed.status_code == 200, signed.text
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', signed.text)
        assert csrf is not None
        return Person(client, csrf[1])


@pytest.fixture
def web(engine: Engine, clock: FixedClock) -> Iterator[Web]:
    """The example agreement; every lead goes to alice, the americas team's only rep."""
    inforce = adopt_example(engine, clock)
    add_team(engine, clock, "americas", {"alice": 1})
    app = create_app(Settings(database_url=engine.url.render_as_string(hide_password=False)), clock)
    yield Web(app, engine, clock, inforce)
    app.state.engine.dispose()


def test_plain_form_posts_walk_a_lead_to_lost_and_come_back_with_a_confirmation(web: Web) -> None:
    lead_id = hand_off(web.engine, web.clock, web.inforce, KIM)
    alice = web.person("alice", "rep", "/queue")
    steps = [
        ("accept", "queue", {}, "/queue", "accepted"),
        ("contact", "queue", {}, "/queue", "contact logged"),
        ("qualify", "lead", {"q.budget": "yes", "q.authority": "user", "q.timing": "later"}, None, "sales-qualified"),
        ("convert", "lead", {"amount": "12000", "close_date": "2026-05-29"}, None, "converted"),
        ("stage", "pipeline", {"stage": "proposal"}, "/pipeline", "moved"),
        ("lost", "pipeline", {"reason": "price"}, "/pipeline", "lost"),
    ]
    for action, view, form, back, said in steps:
        answer = alice.post(f"/leads/{lead_id}/{action}", {"view": view, **form})
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == f"{back or f'/leads/{lead_id}'}?done={action}"
        page = alice.client.get(answer.headers["location"])
        assert re.search(f'<p class="ok">[^<]*{said}', page.text), page.text

    assert history(web.engine, KIM)[-1] == ("opportunity", "recycled", "price")
    with UnitOfWork(web.engine) as uow:
        opportunity = uow.session.scalars(select(Opportunity).where(Opportunity.lead_id == lead_id)).one()
        assert (opportunity.stage, opportunity.won, opportunity.lost_reason) == ("proposal", False, "price")
    closed = alice.client.get("/pipeline").text
    assert "No open deals in proposal" in closed
    assert re.search(r"lost</span>\s*price", closed)
    deal_page = alice.client.get(f"/leads/{lead_id}")  # no longer assigned to her, but the deal was hers
    assert deal_page.status_code == 200
    assert "Lost</strong> at proposal: price" in deal_page.text


def test_refusals_name_what_is_wrong_on_the_page_or_in_the_message_area(web: Web) -> None:
    lead_id = hand_off(web.engine, web.clock, web.inforce, KIM)
    alice = web.person("alice", "rep", "/queue")

    unknown = alice.post(f"/leads/{lead_id}/reject", {"view": "queue", "reason": "too_busy"})
    assert unknown.status_code == 422
    assert "&#39;too_busy&#39; is not a reject reason" in unknown.text
    assert "not_ready, no_budget, wrong_contact, bad_data, competitor" in unknown.text

    too_early = alice.post(
        f"/leads/{lead_id}/convert", {"view": "queue", "amount": "5", "close_date": "2026-04-01"}, htmx=True
    )
    assert too_early.status_code == 409
    assert (too_early.headers["HX-Retarget"], too_early.headers["HX-Reswap"]) == ("#flash", "innerHTML")
    assert 'data-code="illegal_transition"' in too_early.text
    assert "<html" not in too_early.text  # a fragment for the message area, not a page

    no_form_token = alice.client.post(f"/leads/{lead_id}/accept", data={"view": "queue"}, follow_redirects=False)
    assert no_form_token.status_code == 403
    assert lead(web.engine, KIM).stage == "mql"

    mia = web.person("mia", "marketing", f"/leads/{lead_id}")
    for page in ("/queue", "/pipeline"):
        refused = mia.client.get(page)
        assert refused.status_code == 403
        assert "is for sales reps" in html.unescape(refused.text)
    assert mia.post(f"/leads/{lead_id}/accept", {"view": "lead"}).status_code == 403
    assert mia.client.get(f"/leads/{lead_id}").status_code == 200  # marketing reads every lead
    assert lead(web.engine, KIM).stage == "mql"


def test_the_lead_page_charts_the_score_against_the_qualification_line(web: Web) -> None:
    lead_id = hand_off(web.engine, web.clock, web.inforce, KIM)
    sam = web.person("sam", "manager", f"/leads/{lead_id}", side="sales")

    page = sam.client.get(f"/leads/{lead_id}").text
    found = re.search(r'aria-label="([^"]*)" data-chart="([^"]*)"', page)
    assert found is not None
    label, config = html.unescape(found[1]), json.loads(html.unescape(found[2]))
    score, line = config["data"]["datasets"]
    with UnitOfWork(web.engine) as uow:
        explained = explain.explain(uow, web.inforce, intake.find_lead(uow, KIM), web.clock.now())
    assert label == f"Score over time: {explained.score:.1f} now; the agreement qualifies a lead at 60"
    assert score["data"][-1] == {"x": 0, "y": pytest.approx(explained.score)}
    assert [p["y"] for p in line["data"]] == [60, 60]
    assert line["borderDash"]
    assert config["options"]["scales"]["x"]["reverse"] is True  # now at the right

    assert 'Actions <small class="muted">(for alice)</small>' in page  # a sales manager may act for the rep
    answer = sam.post(f"/leads/{lead_id}/accept", {"view": "lead"}, htmx=True)
    assert answer.status_code == 200
    assert 'id="flash" hx-swap-oob="innerHTML"' in answer.text
    assert '<b id="stage">SAL</b>' in answer.text
    assert history(web.engine, KIM)[-1] == ("mql", "sal", None)


def test_a_rep_who_sends_a_lead_back_from_its_page_returns_to_the_queue(web: Web) -> None:
    lead_id = hand_off(web.engine, web.clock, web.inforce, KIM)
    alice = web.person("alice", "rep", "/queue")

    answer = alice.post(f"/leads/{lead_id}/reject", {"view": "lead", "reason": "bad_data"}, htmx=True)

    assert answer.status_code == 200
    assert answer.headers["HX-Redirect"] == "/queue?done=reject"  # the lead's page is no longer hers to see
    assert alice.client.get(f"/leads/{lead_id}").status_code == 403
    assert history(web.engine, KIM)[-1] == ("mql", "disqualified", "bad_data")


def test_the_lead_page_shows_the_models_chance_and_its_strongest_reasons_beside_the_score(
    web: Web, tmp_path_factory: pytest.TempPathFactory
) -> None:
    lead_id = hand_off(web.engine, web.clock, web.inforce, KIM)
    sam = web.person("sam", "manager", f"/leads/{lead_id}", side="sales")
    assert 'id="prediction"' not in sam.client.get(f"/leads/{lead_id}").text  # no model yet
    keep_model(web.engine, trained_model(tmp_path_factory.getbasetemp()))
    page = html.unescape(sam.client.get(f"/leads/{lead_id}").text)
    with UnitOfWork(web.engine) as uow:
        predicted = explain.explain(uow, web.inforce, intake.find_lead(uow, KIM), web.clock.now()).predicted
    assert predicted is not None
    shown = f"{predicted.probability * 100:.1f}%"
    assert f'<small class="muted">Predicted</small><b>{shown}</b>' in page
    assert "chance of an opportunity within 30 days, model v1" in page
    assert f"Why the model says {shown}" in page
    assert "beside the agreed score of 80" in page
    reasons = re.findall(r'<td data-label="What the model sees"><div>([^<]*)</div>', page)
    assert reasons
    assert reasons == [c.words for c in predicted.contributions if c.effect][:5]


def test_a_reject_note_is_kept_and_shown_in_the_leads_activity_and_a_note_too_long_is_refused(web: Web) -> None:
    lead_id = hand_off(web.engine, web.clock, web.inforce, KIM)
    alice = web.person("alice", "rep", "/queue")
    long = alice.post(f"/leads/{lead_id}/reject", {"view": "queue", "reason": "not_ready", "note": "x" * 2001})
    assert long.status_code == 422
    assert "note: a note is at most 2,000 characters; this one has 2,001" in html.unescape(long.text)
    assert lead(web.engine, KIM).stage == "mql"

    note = "  Moving to a new budget cycle in Q3; call back then.  "
    answer = alice.post(f"/leads/{lead_id}/reject", {"view": "queue", "reason": "not_ready", "note": note}, htmx=True)
    assert answer.status_code == 200, answer.text
    assert history(web.engine, KIM)[-1] == ("mql", "recycled", "not_ready")
    sam = web.person("sam", "manager", f"/leads/{lead_id}", side="sales")
    activity = html.unescape(sam.client.get(f"/leads/{lead_id}").text)
    assert "not ready: Moving to a new budget cycle in Q3; call back then." in activity


def test_what_sends_a_lead_or_a_deal_away_asks_first_naming_the_lead_and_accepting_does_not(web: Web) -> None:
    lead_id = hand_off(web.engine, web.clock, web.inforce, KIM)
    alice = web.person("alice", "rep", "/queue")

    def forms(path: str) -> dict[str, str | None]:
        """Each action form of the page: its action's last word, and the question it asks first (None: none)."""
        tags = re.findall(r"<form\b[^>]*>", alice.client.get(path).text)
        actions = [
            (re.search(r'action="/leads/\d+/(\w+)"', tag), re.search(r'data-confirm="([^"]*)"', tag)) for tag in tags
        ]
        return {a[1]: html.unescape(q[1]) if q else None for a, q in actions if a}

    queue = forms("/queue")
    assert queue["accept"] is None  # one click: reps accept all day, and an accepted lead may still be sent back
    assert queue["reject"] == (
        f"Reject {KIM}? It leaves your queue and goes back to marketing with the reason chosen: recycled to nurture, "
        "or disqualified for good."
    )
    for action, view, form in (
        ("accept", "queue", {}),
        ("qualify", "lead", {"q.budget": "yes", "q.authority": "user", "q.timing": "later"}),
        ("convert", "lead", {"amount": "12000", "close_date": "2026-05-29"}),
    ):
        assert alice.post(f"/leads/{lead_id}/{action}", {"view": view, **form}).status_code == 303
    for path, move in (
        (f"/leads/{lead_id}", f"Move the opportunity of {KIM} from discovery to the stage chosen?"),
        ("/pipeline", None),  # the board's one-click move to the next stage, undone by its move back
    ):
        deal = forms(path)
        assert deal["stage"] == move
        assert deal["revise"] is None  # a new amount or close date can be put back as easily
        assert deal["won"] == (
            f"Close the opportunity of {KIM} ($12,000) as won? {KIM} becomes a customer; a closed deal cannot be "
            "reopened."
        )
        assert deal["lost"] == (
            f"Close the opportunity of {KIM} ($12,000) as lost, with the reason chosen? The lead goes back to "
            "marketing; a closed deal cannot be reopened."
        )
