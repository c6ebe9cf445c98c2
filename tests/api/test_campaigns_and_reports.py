"""Campaigns and their costs over the API, and the reports that read them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from leadpact.store.tables import Campaign, CampaignCost
from leadpact.store.unit_of_work import UnitOfWork
from tests.api.conftest import Api, refused
from tests.factories import HOT, capture, hand_off

REPORTS = ("funnel", "costs", "sla", "reasons", "grades", "sourced", "attribution", "forecast")


def _costs(api: Api) -> dict[tuple[str, date], float]:
    with UnitOfWork(api.engine) as uow:
        rows = uow.session.execute(
            select(Campaign.name, CampaignCost.incurred_on, CampaignCost.amount).join(
                Campaign, Campaign.id == CampaignCost.campaign_id
            )
        )
        return {(name, day): amount for name, day, amount in rows}


def test_marketing_records_a_campaign_and_its_daily_costs(api: Api) -> None:
    spring = {"name": "Spring webinar", "channel": "webinar", "started_on": "2026-02-01"}
    created = api.post("/campaigns", "mia", spring)
    assert created.status_code == 201, created.text
    assert created.json() | {"id": 0} == {
        "id": 0,
        "name": "Spring webinar",
        "channel": "webinar",
        "started_on": "2026-02-01",
        "ended_on": None,
        "cost": None,  # nothing recorded yet: unknown, not free
        "cost_days": 0,
        "leads": 0,
    }
    updated = api.post("/campaigns", "mia", {"name": "Spring webinar", "ended_on": "2026-03-31"})
    assert (updated.status_code, updated.json()["channel"], updated.json()["ended_on"]) == (
        200,
        "webinar",
        "2026-03-31",
    )

    one = api.post("/campaigns/Spring webinar/costs", "mia", {"date": "2026-02-27", "amount": 1000})
    assert one.status_code == 200, one.text
    assert (one.json()["created"], one.json()["campaign"]["cost"]) == (1, 1000.0)
    days = [{"date": "2026-02-27", "amount": 1200}, {"date": "2026-03-01", "amount": 300.5}]
    many = api.post("/campaigns/Spring webinar/costs", "mia", days).json()
    assert (many["created"], many["updated"], many["unchanged"]) == (1, 1, 0)
    assert (many["campaign"]["cost"], many["campaign"]["cost_days"]) == (1500.5, 2)
    again = api.post("/campaigns/Spring webinar/costs", "mia", days).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert _costs(api) == {("Spring webinar", date(2026, 2, 27)): 1200.0, ("Spring webinar", date(2026, 3, 1)): 300.5}

    capture(api.engine, api.clock, api.inforce, "ann@acme.example", campaign="Spring webinar")
    listed = api.get("/campaigns", "sam").json()
    assert [(c["name"], c["cost"], c["leads"]) for c in listed] == [("Spring webinar", 1500.5, 1)]


def test_bad_campaigns_and_costs_are_refused_naming_the_field_and_store_nothing(api: Api) -> None:
    backwards = {"name": "Late", "started_on": "2026-03-01", "ended_on": "2026-02-01"}
    refused(api.post("/campaigns", "mia", backwards), 422, "invalid_input", "ended_on")
    refused(api.post("/campaigns", "mia", {"name": " "}), 422, "invalid_input", "name")
    refused(
        api.post("/campaigns/Nowhere/costs", "mia", {"date": "2026-03-01", "amount": 5}), 404, "not_found", "Nowhere"
    )
    api.post("/campaigns", "mia", {"name": "Ads"})
    refused(
        api.post("/campaigns/Ads/costs", "mia", {"date": "2026-03-01", "amount": -5}), 422, "invalid_input", "amount"
    )
    twice = [
        {"date": "2026-03-01", "amount": 5},
        {"date": "2026-03-02", "amount": 1},
        {"date": "2026-03-01", "amount": 6},
    ]
    refused(api.post("/campaigns/Ads/costs", "mia", twice), 422, "invalid_input", "2.date", "2026-03-01")
    refused(api.post("/campaigns/Ads/costs", "mia", {"day": "2026-03-01", "amount": 5}), 422, "invalid_input", "date")
    assert _costs(api) == {}
    assert [c["name"] for c in api.get("/campaigns", "mia").json()] == ["Ads"]


def test_only_marketing_and_admins_manage_campaigns_and_reps_do_not_read_them(api: Api) -> None:
    refused(api.post("/campaigns", "sam", {"name": "Ads"}), 403, "not_permitted", "sam")
    refused(api.get("/campaigns", "alice"), 403, "not_permitted", "alice")
    assert api.post("/campaigns", "root", {"name": "Ads"}).status_code == 201


def test_the_funnel_report_counts_the_leads_by_source(api: Api) -> None:
    hand_off(api.engine, api.clock, api.inforce, "hot@acme.example", source="website")
    capture(api.engine, api.clock, api.inforce, "warm@acme.example", source="website", **HOT)
    capture(api.engine, api.clock, api.inforce, "cold@bank.example", source="ads")
    answer = api.get("/reports/funnel", "mia", **{"from": "2026-03-01", "to": "2026-03-31"})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["report"], report["title"], report["scope"]["from"], report["scope"]["to"]) == (
        "funnel",
        "Funnel by source",
        "2026-03-01",
        "2026-03-31",
    )
    assert report["columns"][0] == {"key": "group", "title": "source", "kind": "text"}
    assert [(r["group"], r["leads"], r["mql"]) for r in report["rows"]] == [
        ("website", 2, 1),
        ("ads", 1, 0),
        ("all", 3, 1),
    ]
    by_grade = api.get("/reports/funnel", "sam", by="grade").json()
    assert [(r["group"], r["leads"]) for r in by_grade["rows"]] == [("A", 2), ("B", 0), ("C", 0), ("D", 1), ("all", 3)]
    before = api.get("/reports/funnel", "sam", at="2026-03-01T00:00:00Z").json()
    assert before["rows"][-1]["leads"] == 0


def test_every_report_answers_its_typed_rows(api: Api) -> None:
    hand_off(api.engine, api.clock, api.inforce, "hot@acme.example", source="website")
    for name in REPORTS:
        answer = api.get(f"/reports/{name}", "sam")
        assert answer.status_code == 200, (name, answer.text)
        report = answer.json()
        assert report["report"] == name
        keys = {c["key"] for c in report["columns"]}
        assert all(set(row) == keys for row in report["rows"]), name


def test_reports_refuse_unknown_names_options_and_readers(api: Api) -> None:
    refused(api.get("/reports/pipeline", "mia"), 404, "not_found", "pipeline", "funnel")
    refused(api.get("/reports/funnel", "mia", by="colour"), 422, "invalid_input", "by", "source, campaign")
    refused(api.get("/reports/sourced", "mia", by="source"), 422, "invalid_input", "by", "sourced")
    refused(api.get("/reports/funnel", "mia", model="linear"), 422, "invalid_input", "model", "'by'")
    refused(api.get("/reports/attribution", "mia", model="magic"), 422, "invalid_input", "model", "u_shaped")
    refused(api.get("/reports/funnel", "mia", **{"from": "March"}), 422, "invalid_input", "from")
    refused(api.get("/reports/funnel", "mia", **{"from": "2026-03-02", "to": "2026-03-01"}), 422, "invalid_input")
    refused(api.get("/reports/funnel", "mia", at="soon"), 422, "invalid_input", "at")
    refused(api.get("/reports/funnel", "alice"), 403, "not_permitted", "alice")
