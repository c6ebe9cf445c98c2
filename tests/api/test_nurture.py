"""The nurture API: marketing adopts the sequences, lists and shows them, enrols leads; a lead's detail names the
sequence it is in."""

from __future__ import annotations

from pathlib import Path

from leadpact.services import nurture
from leadpact.store.unit_of_work import UnitOfWork
from tests.api.conftest import Api, refused
from tests.factories import capture

EXAMPLE = (Path(__file__).parents[2] / "src" / "leadpact" / "examples" / "nurture.yaml").read_text()


def test_marketing_adopts_lists_shows_and_enrols_and_the_lead_shows_its_sequence(api: Api) -> None:
    refused(api.get("/nurture", "mia"), 404, "not_found", "leadpact nurture adopt FILE")
    refused(api.post("/nurture", "alice", {"text": EXAMPLE}), 403, "not_permitted")
    refused(api.post("/nurture", "sam", {"text": EXAMPLE}), 403, "not_permitted", "not on marketing's side")
    broken = EXAMPLE.replace("wait_days: 10", "wait_days: soon")
    refused(
        api.post("/nurture", "dana", {"text": broken, "source": "n.yaml"}),
        422,
        "agreement_invalid",
        "n.yaml:16: sequences[0].steps[1].wait_days: expected a number, got 'soon'",
    )
    adopted = api.post("/nurture", "dana", {"text": EXAMPLE})
    assert adopted.status_code == 201, adopted.text
    assert (adopted.json()["version"], adopted.json()["adopted_by"]) == (1, "dana")

    listed = api.get("/nurture", "sam").json()
    assert [(s["name"], s["entry"], s["steps"]) for s in listed["sequences"]] == [
        ("not-ready", "not_ready", 3),
        ("first-touch", "below_floor", 2),
    ]
    shown = api.get("/nurture/not-ready", "mia").json()
    assert [(s["number"], s["wait_days"], s["branches"]) for s in shown["steps"]] == [
        (1, 0.0, {"email_click": 3}),
        (2, 10.0, {}),
        (3, 15.0, {}),
    ]
    assert shown["steps"][2]["targets"] == [
        "https://acme-robotics.example/customers/midwest-parts",
        "https://acme-robotics.example/demo",
    ]
    refused(api.get("/nurture/nope", "mia"), 404, "not_found", "no sequence named 'nope'")

    capture(api.engine, api.clock, api.inforce, "ivy@beta.example")
    refused(api.post("/nurture/not-ready/enroll", "sam", {"emails": ["ivy@beta.example"]}), 403, "not_permitted")
    refused(
        api.post("/nurture/not-ready/enroll", "mia", {"emails": ["ivy@beta.example", "zed@beta.example"]}),
        404,
        "not_found",
        "zed@beta.example",
    )
    enrolled = api.post("/nurture/not-ready/enroll", "mia", {"emails": ["ivy@beta.example"]})
    assert enrolled.json() == {"enrolled": ["ivy@beta.example"], "already": []}
    with UnitOfWork(api.engine) as uow:
        nurture.advance(uow, api.clock, api.inforce, "http://x")  # no consent: ivy leaves not-ready at step 1
    detail = api.get("/leads/ivy@beta.example", "mia").json()
    assert [(n["sequence"], n["step"], n["end_reason"]) for n in detail["nurture"]] == [
        ("first-touch", 1, None),  # the inquiry below the floor, entered by the pass: its step 1 waits a day
        ("not-ready", None, "no_consent"),
    ]
