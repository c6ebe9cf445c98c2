"""Leads over the API: capture, list with filters and pages, explain; who may see which."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import func, select

from leadpact.store.tables import Lead, LeadField
from leadpact.store.unit_of_work import UnitOfWork
from tests.api.conftest import Api, refused
from tests.factories import HOT, capture, hand_off, lead, owner_name
from tests.learning.leadmodel_world import keep_model, trained_model


def _lead_count(api: Api) -> int:
    with UnitOfWork(api.engine) as uow:
        return uow.session.scalar(select(func.count(Lead.id))) or 0


def test_marketing_captures_a_lead_and_a_second_capture_updates_it(api: Api) -> None:
    body = {"email": "Ann.Lee@Acme.example", "first_name": "Ann", "last_name": "Lee", "company": "Acme", **HOT}
    created = api.post("/leads", "mia", {**body, "source": "website", "custom": {"segment": "enterprise"}})
    assert created.status_code == 201, created.text
    answer = created.json()
    assert answer | {"id": 0} == {
        "id": 0,
        "email": "ann.lee@acme.example",
        "name": "Ann Lee",
        "company": "Acme",
        "stage": "inquiry",
        "score": 50.0,
        "fit": 50.0,
        "engagement": 0.0,
        "grade": "A",
        "priority": "warm",
        "owner": None,
        "source": "website",
    }
    updated = api.post("/leads", "mia", {"email": "ann.lee@acme.example", "title": "Engineer"})
    assert updated.status_code == 200, updated.text
    assert updated.json()["id"] == answer["id"]
    assert (updated.json()["fit"], updated.json()["grade"]) == (30.0, "B")  # the senior title's 20 points are gone
    stored = lead(api.engine, "ann.lee@acme.example")
    assert (stored.title, stored.company, stored.source, stored.country) == ("Engineer", "Acme", "website", "US")
    with UnitOfWork(api.engine) as uow:
        custom = uow.session.scalar(select(LeadField.value).where(LeadField.lead_id == stored.id))
    assert custom == "enterprise"


def test_a_country_is_taken_as_its_code_or_its_name_and_stored_as_the_code(api: Api) -> None:
    for written, code in (("Germany", "DE"), ("u.s.a.", "US"), ("fr", "FR")):
        email = f"{code.lower()}@acme.example"
        created = api.post("/leads", "mia", {"email": email, "country": written})
        assert created.status_code == 201, created.text
        assert lead(api.engine, email).country == code


def test_a_capture_with_a_bad_field_is_refused_naming_it_and_stores_nothing(api: Api) -> None:
    refused(api.post("/leads", "mia", {"email": "not-an-email"}), 422, "invalid_input", "email")
    refused(api.post("/leads", "mia", {"email": "a@acme.example", "country": "XX"}), 422, "invalid_input", "country")
    refused(
        api.post("/leads", "mia", {"email": "a@acme.example", "employees": "many"}), 422, "invalid_input", "employees"
    )
    refused(api.post("/leads", "mia", {"email": "a@acme.example", "nickname": "Al"}), 422, "invalid_input", "nickname")
    bad_custom = {"email": "a@acme.example", "custom": {"Lead Score": "9"}}
    refused(api.post("/leads", "mia", bad_custom), 422, "invalid_input", "custom")
    refused(api.post("/leads", "mia", {"first_name": "Al"}), 422, "invalid_input", "email: Field required")
    assert _lead_count(api) == 0


def test_reps_and_managers_cannot_capture_leads(api: Api) -> None:
    refused(api.post("/leads", "alice", {"email": "a@acme.example"}), 403, "not_permitted", "alice")
    refused(api.post("/leads", "sam", {"email": "a@acme.example"}), 403, "not_permitted", "sam")
    assert _lead_count(api) == 0


def test_the_lead_list_filters_and_pages_highest_score_first(api: Api) -> None:
    clock, inforce = api.clock, api.inforce
    capture(api.engine, clock, inforce, "cold@bank.example", title="Engineer", source="ads")
    capture(api.engine, clock, inforce, "warm@acme.example", first_name="Walt", **HOT, source="website")
    hand_off(api.engine, clock, inforce, "hot@acme.example", source="website")
    capture(api.engine, clock, inforce, "free@gmail.com", source="website")
    capture(api.engine, clock, inforce, "plant@acme.example", title="Plant Manager", source="ads")

    first = api.get("/leads", "mia", limit=2)
    assert first.status_code == 200, first.text
    page = first.json()
    assert (page["total"], page["limit"], page["offset"], page["next_offset"]) == (5, 2, 0, 2)
    emails = [item["email"] for item in page["items"]]
    while page["next_offset"] is not None:
        page = api.get("/leads", "mia", limit=2, offset=page["next_offset"]).json()
        emails += [item["email"] for item in page["items"]]
    assert emails[:2] == ["hot@acme.example", "warm@acme.example"]
    assert sorted(emails) == sorted(
        ["cold@bank.example", "warm@acme.example", "hot@acme.example", "free@gmail.com", "plant@acme.example"]
    )

    def listed(**params: str) -> list[str]:
        answer = api.get("/leads", "sam", **params)
        assert answer.status_code == 200, answer.text
        return [item["email"] for item in answer.json()["items"]]

    assert listed(source="website", grade="A") == ["hot@acme.example", "warm@acme.example"]
    assert listed(stage="mql") == ["hot@acme.example"]
    assert listed(priority="hot") == ["hot@acme.example"]
    assert listed(q="walt") == ["warm@acme.example"]
    assert listed(q="GMAIL") == ["free@gmail.com"]
    assert listed(q="%") == []  # a wildcard is searched for as itself
    assert listed(q="_") == []
    assert listed(q="a%e") == []
    owner = lead(api.engine, "hot@acme.example").owner_id
    assert owner is not None
    assert listed(owner="alice") + listed(owner="bob") == ["hot@acme.example"]


def test_the_lead_list_refuses_unknown_filters_naming_them(api: Api) -> None:
    refused(api.get("/leads", "mia", stage="hot"), 422, "invalid_input", "stage")
    refused(api.get("/leads", "mia", grade="Z"), 422, "invalid_input", "grade", "A, B, C, D")
    refused(api.get("/leads", "mia", priority="boiling"), 422, "invalid_input", "priority", "hot, warm, future")
    refused(api.get("/leads", "mia", limit=201), 422, "invalid_input", "limit")
    refused(api.get("/leads", "mia", offset=-1), 422, "invalid_input", "offset")


def test_a_rep_lists_only_the_leads_assigned_to_them(api: Api) -> None:
    hand_off(api.engine, api.clock, api.inforce, "one@acme.example")
    hand_off(api.engine, api.clock, api.inforce, "two@acme.example")
    capture(api.engine, api.clock, api.inforce, "nobody@acme.example")
    seen = {}
    for rep in ("alice", "bob"):
        answer = api.get("/leads", rep)
        assert answer.status_code == 200, answer.text
        assert answer.json()["total"] == 1
        seen[rep] = answer.json()["items"][0]
        assert seen[rep]["owner"] == rep
    assert {item["email"] for item in seen.values()} == {"one@acme.example", "two@acme.example"}
    refused(api.get("/leads", "alice", owner="bob"), 403, "not_permitted", "alice")


def test_a_lead_is_explained_point_by_point(api: Api) -> None:
    lead_id = hand_off(api.engine, api.clock, api.inforce, "ann@acme.example", event_id="form-1")
    answer = api.get(f"/leads/{lead_id}", "sam")
    assert answer.status_code == 200, answer.text
    x = answer.json()
    assert (x["email"], x["stage"], x["fit"], x["score"], x["grade"], x["version"]) == (
        "ann@acme.example",
        "mql",
        50.0,
        80.0,
        "A",
        1,
    )
    assert {f["rule"]: f["points"] for f in x["fit_rules"]} == {
        "senior-title": 20.0,
        "target-size": 15.0,
        "target-industry": 15.0,
    }
    assert {f["title"] for f in x["fit_rules"]} == {"Senior title", "Target size", "Target industry"}  # ids in words
    assert [(e["event_id"], e["type"], e["points"], e["factor"]) for e in x["events"]] == [
        ("form-1", "contact_form", 30.0, 1.0)
    ]
    assert x["sla"]["owner"] == x["owner"]
    assert x["sla"]["state"].startswith("accept due")
    assert [(h["from_stage"], h["to_stage"], h["by"]) for h in x["history"]] == [
        (None, "inquiry", "agreement v1"),
        ("inquiry", "mql", "agreement v1"),
    ]
    assert api.get("/leads/ann@acme.example", "mia").json() == x


def test_a_rep_sees_their_own_lead_but_not_another_reps(api: Api) -> None:
    hand_off(api.engine, api.clock, api.inforce, "ann@acme.example")
    owner = owner_name(api.engine, "ann@acme.example")
    other = ({"alice", "bob"} - {owner}).pop()
    assert api.get("/leads/ann@acme.example", str(owner)).json()["owner"] == owner
    refused(api.get("/leads/ann@acme.example", other), 403, "not_permitted", f"not assigned to {other}")


def test_a_refusal_names_nothing_of_the_lead_the_caller_may_not_see(api: Api) -> None:
    lead_id = hand_off(api.engine, api.clock, api.inforce, "ann@acme.example", first_name="Ann", last_name="Ray")
    other = ({"alice", "bob"} - {owner_name(api.engine, "ann@acme.example")}).pop()
    for response in (
        api.get(f"/leads/{lead_id}", other),
        api.post(f"/leads/{lead_id}/accept", other),
        api.post(f"/leads/{lead_id}/reject", other, {"reason": "not_ready"}),
    ):
        refused(response, 403, "not_permitted", f"lead {lead_id}", other)
        assert "ann@" not in response.text
        assert "Ray" not in response.text


def test_an_unknown_lead_is_not_found(api: Api) -> None:
    refused(api.get("/leads/nobody@acme.example", "mia"), 404, "not_found", "nobody@acme.example")
    refused(api.get("/leads/999", "mia"), 404, "not_found", "999")


def test_a_lead_is_explained_with_the_newest_models_chance_once_there_is_one(
    api: Api, tmp_path_factory: pytest.TempPathFactory
) -> None:
    lead_id = hand_off(api.engine, api.clock, api.inforce, "ann@acme.example", event_id="form-1")
    assert api.get(f"/leads/{lead_id}", "sam").json()["predicted"] is None
    keep_model(api.engine, trained_model(tmp_path_factory.getbasetemp()))
    answer = api.get(f"/leads/{lead_id}", "sam")
    assert answer.status_code == 200, answer.text
    predicted = answer.json()["predicted"]
    assert (predicted["version"], predicted["target"], predicted["horizon_days"]) == (1, "opportunity", 30)
    assert predicted["basis"] == "at its latest hand-off"
    assert predicted["at"] == api.clock.now().isoformat().replace("+00:00", "Z")
    logit = math.log(predicted["probability"] / (1 - predicted["probability"]))
    assert abs(predicted["base"] + sum(c["effect"] for c in predicted["contributions"]) - logit) < 1e-6
    by_feature = {c["feature"]: c for c in predicted["contributions"]}
    assert (by_feature["industry"]["value"], by_feature["title"]["value"]) == ("manufacturing", "VP Operations")
    assert by_feature["events.pricing_page_view"]["value"] == 0.0  # an event type the model knows, never done
    assert by_feature["industry"]["words"].startswith("industry = manufacturing ")
