"""Accounts over the API: one account with its people and engagement, the most engaged, its owner; a rep's cap."""

from __future__ import annotations

import httpx2

from tests.api.conftest import V1, Api, refused
from tests.factories import capture, event, hand_off, owner_name, record


def put(api: Api, path: str, who: str, body: object) -> httpx2.Response:
    response: httpx2.Response = api.client.put(V1 + path, headers=api.auth(who), json=body)
    return response


def test_an_account_is_read_with_its_people_and_given_an_owner_its_leads_then_go_to(api: Api) -> None:
    capture(api.engine, api.clock, api.inforce, "bo@acme.example", title="CFO", company="Acme")
    record(api.engine, api.clock, api.inforce, event("w-bo", "bo@acme.example", "webinar_attended", api.clock.now()))
    shown = api.get("/accounts/acme.example", "mia")
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert (body["domain"], body["name"], body["owner"], body["people_engaged"]) == ("acme.example", "Acme", None, 1)
    assert [(p["email"], p["title"], p["stage"]) for p in body["people"]] == [("bo@acme.example", "CFO", "inquiry")]
    assert abs(body["engagement"] - 15.0) < 1e-9
    assert [a["domain"] for a in api.get("/accounts", "raj").json()] == ["acme.example"]
    refused(api.get("/accounts/nowhere.example", "mia"), 404, "not_found", "nowhere.example")
    refused(api.get("/accounts/acme.example", "alice"), 403, "not_permitted")

    refused(put(api, "/accounts/acme.example/owner", "mia", {"owner": "bob"}), 403, "not_permitted")
    owned = put(api, "/accounts/acme.example/owner", "raj", {"owner": "bob"})
    assert owned.json()["owner"] == "bob"


def test_a_reps_cap_is_set_over_the_api_and_a_capped_rep_is_skipped(api: Api) -> None:
    capped = put(api, "/reps/alice/capacity", "raj", {"max_open": 1})
    assert capped.json() == {"name": "alice", "capacity": 3, "max_open": 1}
    for i in range(3):
        hand_off(api.engine, api.clock, api.inforce, f"l{i}@c{i}.example")
    assert [owner_name(api.engine, f"l{i}@c{i}.example") for i in range(3)].count("alice") == 1
    refused(put(api, "/reps/alice/capacity", "alice", {"max_open": None}), 403, "not_permitted")
    lifted = put(api, "/reps/alice/capacity", "raj", {"capacity": 2, "max_open": None})
    assert lifted.json() == {"name": "alice", "capacity": 2, "max_open": None}
