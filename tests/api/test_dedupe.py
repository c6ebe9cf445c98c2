"""Duplicates over the API: the pairs with their probability, and merging leads and accounts (marketing, admin)."""

from __future__ import annotations

from tests.api.conftest import Api, refused
from tests.factories import capture, event, lead, record


def test_marketing_lists_the_pairs_and_merges_a_lead_and_an_account(api: Api) -> None:
    people = [
        ("ann@acme.example", "Ann", "Lee", "ACME"),
        ("ann+news@acme.example", "Ann", "Lee", "Acme Inc."),
        ("bob@globex.example", "Bob", "Ross", "Globex"),
        ("cy@initech.example", "Cy", "Twombly", "Initech"),
        ("dee@acme-corp.example", "Dee", "Moss", None),
    ]
    for email, first, last, company in people:
        capture(api.engine, api.clock, api.inforce, email, first_name=first, last_name=last, company=company)
    record(
        api.engine, api.clock, api.inforce, event("w1", "ann+news@acme.example", "webinar_attended", api.clock.now())
    )
    found = api.get("/dedupe/pairs", "mia", threshold=0.8)
    assert found.status_code == 200, found.text
    body = found.json()
    assert [(p["keep"]["email"], p["other"]["email"]) for p in body["people"]] == [
        ("ann@acme.example", "ann+news@acme.example")
    ]
    assert 0.8 <= body["people"][0]["probability"] <= 1.0
    assert [(a["keep"]["domain"], a["other"]["domain"], a["basis"]) for a in body["accounts"]] == [
        ("acme.example", "acme-corp.example", "domain")
    ]
    refused(api.get("/dedupe/pairs", "alice"), 403, "not_permitted")
    refused(api.get("/dedupe/pairs", "mia", threshold=2), 422, "invalid_input")

    merged = api.post("/dedupe/merge", "mia", {"keep": "ann@acme.example", "other": "ann+news@acme.example"})
    assert merged.status_code == 200, merged.text
    assert (merged.json()["events"], merged.json()["ledger_rows"]) == (1, 1)
    assert lead(api.engine, "ann+news@acme.example").merged_into == lead(api.engine, "ann@acme.example").id
    assert lead(api.engine, "ann@acme.example").engagement == 15.0
    refused(
        api.post("/dedupe/merge", "mia", {"keep": "ann@acme.example", "other": "ann+news@acme.example"}),
        422,
        "invalid_input",
        "already merged",
    )
    refused(api.post("/dedupe/merge", "raj", {"keep": "1", "other": "2"}), 403, "not_permitted")

    accounts = api.post("/dedupe/merge-accounts", "mia", {"keep": "acme.example", "other": "acme-corp.example"})
    assert accounts.json() == {"survivor": "acme.example", "merged": "acme-corp.example", "people": 1}
    assert api.get("/dedupe/pairs", "mia", threshold=0.8).json() == {"threshold": 0.8, "people": [], "accounts": []}
