"""Sales feedback and a lead's activity over the API: who may record it, what is refused, what comes back."""

from __future__ import annotations

from tests.api.conftest import Api, refused
from tests.factories import hand_off, owner_name

PATH = "/leads/ann@acme.example"


def test_the_rep_records_feedback_on_a_lost_deal_and_the_activity_lists_it(api: Api) -> None:
    hand_off(api.engine, api.clock, api.inforce, "ann@acme.example")
    rep = owner_name(api.engine, "ann@acme.example")
    assert rep is not None
    other = ({"alice", "bob"} - {rep}).pop()
    body = {"moment": "contact", "competitor": "automata", "requests": ["mobile_app"], "note": "Wants an app."}
    refused(api.post(f"{PATH}/feedback", rep, body), 422, "invalid_input", "has no contact logged")
    api.post(f"{PATH}/accept", rep)
    api.post(f"{PATH}/contact", rep)
    refused(api.post(f"{PATH}/feedback", other, body), 403, "not_permitted")
    refused(api.post(f"{PATH}/feedback", "mia", body), 403, "not_permitted")
    bad = refused(api.post(f"{PATH}/feedback", rep, {**body, "requests": ["teleport"]}), 422, "invalid_input")
    assert "use one of: sap_connector, mobile_app, api_rate_limits" in bad["detail"]
    refused(api.post(f"{PATH}/feedback", rep, {**body, "colour": "red"}), 422, "invalid_input", "colour")

    answer = api.post(f"{PATH}/feedback", rep, body)
    assert answer.status_code == 200, answer.text
    assert {k: answer.json()[k] for k in ("moment", "competitor", "requests", "message", "note", "opportunity_id")} == {
        "moment": "contact",
        "competitor": "automata",
        "requests": ["mobile_app"],
        "message": None,
        "note": "Wants an app.",
        "opportunity_id": None,
    }

    api.post(f"{PATH}/qualify", rep, {"answers": {"budget": "no", "authority": "user", "timing": "later"}})
    api.post(f"{PATH}/convert", rep, {"amount": 7000, "close_date": "2026-06-30"})
    api.post(f"{PATH}/lost", rep, {"reason": "no_decision"})
    lost = api.post(f"{PATH}/feedback", "sam", {"moment": "lost", "competitor": "in_house"})  # a manager, for the rep
    assert lost.status_code == 200, lost.text
    assert lost.json()["opportunity_id"] is not None

    assert api.get(f"{PATH}/activity", rep).status_code == 403  # as its explanation: the lead is no longer theirs
    activity = api.get(f"{PATH}/activity", "sam")
    assert activity.status_code == 200, activity.text
    kinds = [item["kind"] for item in activity.json()]
    assert kinds[0] == "event"
    assert kinds.count("feedback") == 2
    assert activity.json()[-1]["what"] == "feedback on lost: competitor in house"
    assert activity.json()[-1]["by"] == rep  # the deal's owner's feedback, recorded by the manager for them
    assert api.get(f"{PATH}/activity", "mia").status_code == 200
