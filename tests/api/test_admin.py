"""An admin's API: webhook subscriptions, the audit trail, and a person's data; nobody else may use it."""

from __future__ import annotations

from sqlalchemy import func, select

from leadpact.store.tables import AuditEntry, Lead
from leadpact.store.unit_of_work import UnitOfWork
from tests.api.conftest import V1, Api, refused
from tests.factories import capture, hand_off, owner_name


def test_an_admin_adds_lists_and_removes_webhooks_and_sees_the_secret_only_once(api: Api) -> None:
    added = api.post("/webhooks", "root", {"url": "https://crm.acme.example/hook", "topics": ["lead.*"]})
    assert added.status_code == 201, added.text
    made = added.json()
    assert (made["url"], made["topics"], made["secret"][:6]) == ("https://crm.acme.example/hook", ["lead.*"], "whsec_")
    listed = api.get("/webhooks", "root").json()
    assert [(w["id"], w["topics"], w["waiting"], w["failing"]) for w in listed] == [(made["id"], ["lead.*"], 0, 0)]
    assert "secret" not in listed[0]
    refused(api.post("/webhooks", "root", {"url": "ftp://x.example"}), 422, "invalid_input", "url")
    refused(api.post("/webhooks", "root", {"url": "https://x.example", "topics": ["nope"]}), 422, "invalid_input")
    gone = api.client.delete(f"{V1}/webhooks/{made['id']}", headers=api.auth("root"))
    assert gone.status_code == 200
    assert api.get("/webhooks", "root").json() == []
    refused(api.client.delete(f"{V1}/webhooks/{made['id']}", headers=api.auth("root")), 404, "not_found")


def test_only_an_admin_manages_webhooks_reads_the_trail_and_handles_a_persons_data(api: Api) -> None:
    capture(api.engine, api.clock, api.inforce, "ann@acme.example")
    for who in ("mia", "dana", "alice"):
        refused(api.post("/webhooks", who, {"url": "https://x.example"}), 403, "not_permitted", who)
        refused(api.get("/webhooks", who), 403, "not_permitted")
        refused(api.get("/audit", who), 403, "not_permitted", "read audit")
        refused(api.get("/leads/ann@acme.example/export", who), 403, "not_permitted")
        refused(api.post("/leads/ann@acme.example/erase", who, {"reason": "x"}), 403, "not_permitted")
    assert api.get("/leads/ann@acme.example", "mia").status_code == 200  # still there


def test_changes_through_the_api_are_in_the_trail_with_the_token_and_its_address(api: Api) -> None:
    lead_id = hand_off(api.engine, api.clock, api.inforce, "ann@acme.example")
    rep = owner_name(api.engine, "ann@acme.example")
    assert rep is not None
    assert api.post(f"/leads/{lead_id}/accept", rep).status_code == 200
    assert api.post("/tokens", "root", {"name": "crm", "role": "marketing"}).status_code == 201
    trail = api.get("/audit", "root").json()
    assert [(e["actor"], e["via"], e["address"], e["action"], e["subject"]) for e in trail] == [
        ("root", "api", "testclient", "token.create", "token 8"),
        (rep, "api", "testclient", "lead.accept", f"lead {lead_id}"),
    ]
    assert trail[1]["detail"] == {"rep": rep}
    assert api.get("/audit", "root", since="2030-01-01T00:00:00Z").json() == []
    assert len(api.get("/audit", "root", limit=1).json()) == 1
    refused(api.get("/audit", "root", since="yesterday"), 422, "invalid_input", "since")


def test_an_admin_exports_and_erases_a_persons_data(api: Api) -> None:
    capture(api.engine, api.clock, api.inforce, "ann@acme.example", first_name="Ann", last_name="Ray")
    exported = api.get("/leads/ann@acme.example/export", "root")
    assert exported.status_code == 200, exported.text
    assert (exported.json()["lead"]["first_name"], exported.json()["lead"]["last_name"]) == ("Ann", "Ray")
    refused(api.post("/leads/ann@acme.example/erase", "root", {"reason": " "}), 422, "invalid_input", "reason")
    erased = api.post("/leads/ann@acme.example/erase", "root", {"reason": "asked on 2026-03-01"})
    assert erased.status_code == 200, erased.text
    body = erased.json()
    assert body["placeholder"] == f"erased-{body['lead_id']}@acme.example"
    refused(api.get("/leads/ann@acme.example/export", "root"), 404, "not_found", "was erased on 2026-03-02")
    with UnitOfWork(api.engine) as uow:
        lead = uow.session.get_one(Lead, body["lead_id"])
        assert (lead.email, lead.first_name, lead.last_name) == (body["placeholder"], None, None)
        actions = uow.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["lead.export", "lead.erase"]
        assert uow.session.scalar(select(func.count(Lead.id))) == 1
