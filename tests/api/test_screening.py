"""The qualifiers' API: the screening queue, calls, answers and decisions, and who may use them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from leadpact.app import create_app
from leadpact.config import Settings
from leadpact.services import auth, team
from leadpact.services.clock import FixedClock
from leadpact.store.unit_of_work import UnitOfWork
from tests.api.conftest import Api, refused, seed_api_people
from tests.conftest import adopt_example
from tests.factories import HOT, capture, hours, lead, owner_name
from tests.screening import with_screening

ANN, BEA = "ann@acme.example", "bea@bolt.example"
READY = {"budget": "yes", "authority": "decision_maker"}


@pytest.fixture
def api(engine: Engine, clock: FixedClock) -> Iterator[Api]:
    """Two webinar leads in screening; quinn screens for team sdr, with a token that acts as her."""
    inforce = adopt_example(engine, clock, with_screening())
    tokens = seed_api_people(engine, clock)
    with UnitOfWork(engine) as uow:
        team.add_user(uow, clock, "quinn", "qualifier", team="sdr")
        tokens["quinn"] = auth.create_token(uow, clock, "quinn's dialer", "", user="quinn")[0]
    capture(engine, clock, inforce, ANN, **HOT, source="webinar")
    capture(engine, clock, inforce, BEA, title="Plant Manager", employees=300, industry="retail", source="webinar")
    app = create_app(Settings(database_url=engine.url.render_as_string(hide_password=False)), clock)
    with TestClient(app) as client:
        yield Api(client, tokens, engine, clock, inforce)


def test_a_qualifier_calls_answers_and_passes_a_lead_that_a_rep_then_sees_with_the_note(api: Api) -> None:
    queue = api.get("/screening/queue", "quinn")
    assert queue.status_code == 200, queue.text
    assert [(i["email"], i["priority"], i["calls"]) for i in queue.json()] == [(ANN, "warm", 0), (BEA, "future", 0)]
    called = api.post(f"/screening/{ANN}/calls", "quinn", {"outcome": "reached", "note": "keen"})
    assert (called.status_code, called.json()["first_call"], called.json()["stage"]) == (200, True, "screening")
    refused(api.post(f"/screening/{ANN}/calls", "quinn", {"outcome": "busy"}), 422, "invalid_input", "outcome")
    answered = api.post(f"/screening/{ANN}/answers", "quinn", {"answers": {"budget": "no"}})
    assert answered.json()["fit"] == 50
    refused(api.post(f"/screening/{ANN}/decision", "quinn", {"decision": "pass"}), 422, "not_ready", "budget: 'no'")
    passed = api.post(f"/screening/{ANN}/decision", "quinn", {"decision": "pass", "answers": READY, "note": "Tue"})
    assert passed.status_code == 200, passed.text
    assert (passed.json()["stage"], passed.json()["fit"]) == ("mql", 60)
    rep = owner_name(api.engine, ANN)
    assert rep in ("alice", "bob")
    detail = api.get(f"/leads/{ANN}", rep).json()["screening"]
    assert (detail["qualifier"], detail["note"], detail["answers"], detail["calls"]) == ("quinn", "Tue", READY, 1)
    refused(api.get(f"/leads/{ANN}", "quinn"), 403, "not_permitted")  # no longer in screening: sales' lead now
    refused(api.post(f"/screening/{ANN}/decision", "quinn", {"decision": "not_yet"}), 422, "invalid_input", "mql")


def test_not_yet_and_disqualify_and_who_may_work_the_queue(api: Api) -> None:
    assert api.get(f"/leads/{BEA}", "quinn").json()["stage"] == "screening"  # a qualifier reads leads in screening
    refused(api.get("/screening/queue", "alice"), 403, "not_permitted")
    refused(api.get("/screening/queue", "mia"), 403, "not_permitted")
    assert api.get("/screening/queue", "sam").status_code == 200  # managers may
    refused(api.post(f"/screening/{BEA}/decision", "quinn", {"decision": "disqualify"}), 422, "invalid_input", "reason")
    refused(
        api.post(f"/screening/{BEA}/decision", "quinn", {"decision": "disqualify", "reason": "late"}),
        422,
        "unknown_reason",
    )
    api.clock.at += hours(1)
    out = api.post(f"/screening/{BEA}/decision", "quinn", {"decision": "not_yet", "answers": {"timing": "later"}})
    assert out.json()["stage"] == "recycled"
    gone = api.post(f"/screening/{ANN}/decision", "root", {"decision": "disqualify", "reason": "bad_data"})
    assert gone.json()["stage"] == "disqualified"
    assert api.get("/screening/queue", "quinn").json() == []
    assert lead(api.engine, BEA).cooldown_until is not None
