"""Events over the API: one at a time (the load benchmark's contract) and in batches, idempotent by event id."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from leadpact.store.tables import Event, LedgerEntry
from leadpact.store.unit_of_work import UnitOfWork
from tests.api.conftest import Api, refused
from tests.factories import HOT, capture, lead

AT = "2026-03-02T14:00:00Z"


def _stored(api: Api) -> dict[str, tuple[str, bool]]:
    """Every stored event: {event id: (type, counted)}."""
    with UnitOfWork(api.engine) as uow:
        rows = uow.session.execute(select(Event.event_id, Event.type, Event.counted))
        return {event_id: (type_, counted) for event_id, type_, counted in rows}


def _ledger_rows(api: Api) -> int:
    with UnitOfWork(api.engine) as uow:
        return uow.session.scalar(select(func.count(LedgerEntry.id)).where(LedgerEntry.kind == "event")) or 0


def event(event_id: str, email: str = "ann@acme.example", type_: str = "contact_form", **more: Any) -> dict[str, Any]:
    return {"event_id": event_id, "email": email, "type": type_, "occurred_at": AT, **more}


def test_an_event_is_recorded_once_and_a_repeat_answers_duplicate(api: Api) -> None:
    lead_id = capture(api.engine, api.clock, api.inforce, "ann@acme.example", **HOT)
    first = api.post("/events", "mia", event("e-1"))
    assert first.status_code == 201, first.text
    assert first.json() == {"event_id": "e-1", "lead_id": lead_id, "outcome": "counted"}
    assert lead(api.engine, "ann@acme.example").stage == "mql"  # fit 50 + the contact form's 30 reaches 60
    again = api.post("/events", "mia", event("e-1", type_="demo_request"))
    assert again.status_code == 200, again.text
    assert again.json() == {"event_id": "e-1", "lead_id": lead_id, "outcome": "duplicate"}
    assert _stored(api) == {"e-1": ("contact_form", True)}
    assert _ledger_rows(api) == 1


def test_the_outcome_says_what_the_agreement_made_of_the_event(api: Api) -> None:
    capture(api.engine, api.clock, api.inforce, "ann@acme.example")
    views = [api.post("/events", "mia", event(f"view-{i}", type_="pricing_page_view")) for i in (1, 2)]
    assert [v.json()["outcome"] for v in views] == ["counted", "not counted"]  # at most one a day
    odd = api.post("/events", "mia", event("odd-1", type_="podcast_listened", campaign="Spring podcast"))
    assert (odd.status_code, odd.json()["outcome"]) == (201, "not in agreement")
    assert _stored(api) == {
        "view-1": ("pricing_page_view", True),
        "view-2": ("pricing_page_view", False),
        "odd-1": ("podcast_listened", False),
    }


def test_a_bad_event_is_refused_naming_the_field_and_stores_nothing(api: Api) -> None:
    capture(api.engine, api.clock, api.inforce, "ann@acme.example")
    refused(api.post("/events", "mia", event("e-1", email="nobody@acme.example")), 404, "not_found", "nobody@acme")
    refused(api.post("/events", "mia", event("e-1", occurred_at="yesterday")), 422, "invalid_input", "occurred_at")
    refused(api.post("/events", "mia", {"event_id": "e-1", "email": "ann@acme.example"}), 422, "invalid_input", "type")
    refused(api.post("/events", "mia", event("e-1", email="ann")), 422, "invalid_input", "email")
    assert _stored(api) == {}


def test_only_marketing_and_admins_record_events(api: Api) -> None:
    capture(api.engine, api.clock, api.inforce, "ann@acme.example")
    refused(api.post("/events", "alice", event("e-1")), 403, "not_permitted", "alice")
    refused(api.post("/events/batch", "sam", {"events": [event("e-1")]}), 403, "not_permitted", "sam")
    assert api.post("/events", "root", event("e-1")).status_code == 201
    assert set(_stored(api)) == {"e-1"}


def test_a_batch_records_the_good_events_and_refuses_each_bad_one_on_its_own(api: Api) -> None:
    capture(api.engine, api.clock, api.inforce, "ann@acme.example", **HOT)
    capture(api.engine, api.clock, api.inforce, "bob@acme.example")
    batch = [
        event("b-1"),
        event("b-2", email="nobody@acme.example"),
        event("b-3", email="bob@acme.example", type_="webinar_attended"),
        event("b-4", occurred_at="last tuesday"),
        {"event_id": "b-5", "email": "bob@acme.example", "occurred_at": AT},
        event("b-1"),
        "not an event",
        event("b-6", email="BOB@acme.example", type_="email_open"),
    ]
    answer = api.post("/events/batch", "mia", {"events": batch})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    results = body["results"]
    assert [r["index"] for r in results] == list(range(len(batch)))
    assert [r.get("outcome") for r in results] == [
        "counted",
        None,
        "counted",
        None,
        None,
        "duplicate",
        None,
        "counted",
    ]
    errors = {r["index"]: r["error"] for r in results if "error" in r}
    assert {i: e["code"] for i, e in errors.items()} == {
        1: "not_found",
        3: "invalid_input",
        4: "invalid_input",
        6: "invalid_input",
    }
    assert "nobody@acme.example" in errors[1]["detail"]
    assert "occurred_at" in errors[3]["detail"]
    assert "type" in errors[4]["detail"]
    assert [r["event_id"] for r in results] == ["b-1", "b-2", "b-3", "b-4", "b-5", "b-1", None, "b-6"]
    assert (body["recorded"], body["duplicates"], body["failed"]) == (3, 1, 4)
    assert _stored(api) == {
        "b-1": ("contact_form", True),
        "b-3": ("webinar_attended", True),
        "b-6": ("email_open", True),
    }
    assert lead(api.engine, "ann@acme.example").stage == "mql"


def test_the_same_batch_sent_twice_records_nothing_the_second_time(api: Api) -> None:
    capture(api.engine, api.clock, api.inforce, "ann@acme.example")
    batch = {"events": [event(f"e-{i}", type_="email_click") for i in range(3)]}
    first = api.post("/events/batch", "mia", batch).json()
    assert [r["outcome"] for r in first["results"]] == ["counted", "counted", "not counted"]  # two clicks a day
    ledger = _ledger_rows(api)
    second = api.post("/events/batch", "mia", batch).json()
    assert [r["outcome"] for r in second["results"]] == ["duplicate"] * 3
    assert (second["recorded"], second["duplicates"], second["failed"]) == (0, 3, 0)
    assert _ledger_rows(api) == ledger
    assert len(_stored(api)) == 3


def test_a_batch_holds_one_to_a_thousand_events(api: Api) -> None:
    refused(api.post("/events/batch", "mia", {"events": []}), 422, "invalid_input", "events")
    many = {"events": [event(f"e-{i}") for i in range(1001)]}
    refused(api.post("/events/batch", "mia", many), 422, "invalid_input", "events")
    refused(api.post("/events/batch", "mia", [event("e-1")]), 422, "invalid_input")
    assert _stored(api) == {}


def test_a_batch_of_only_bad_events_answers_each_and_records_nothing(api: Api) -> None:
    answer = api.post("/events/batch", "mia", {"events": [event("e-1", email="nobody@acme.example"), {}]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [r["error"]["code"] for r in body["results"]] == ["not_found", "invalid_input"]
    assert "event_id: Field required" in body["results"][1]["error"]["detail"]
    assert (body["recorded"], body["duplicates"], body["failed"]) == (0, 0, 2)
    assert _stored(api) == {}


def test_a_single_event_from_an_unknown_or_unpermitted_token_is_refused_before_its_body_is_read(api: Api) -> None:
    wrong = {"Authorization": "Bearer lpt_not-a-token"}
    refused(api.client.post("/api/v1/events", json={}, headers=wrong), 401, "not_authenticated", "not known")
    refused(api.post("/events", "alice", {}), 403, "not_permitted", "alice")
    refused(api.post("/events", "mia", {}), 422, "invalid_input", "event_id")
