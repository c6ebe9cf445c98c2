"""Working leads over the API: a rep's moves from acceptance to a won or lost deal, who may make them, and the
queue."""

from __future__ import annotations

from sqlalchemy import select

from leadpact.store.tables import LeadField, Opportunity
from leadpact.store.unit_of_work import UnitOfWork
from tests.api.conftest import Api, refused
from tests.factories import capture, hand_off, history, lead, messages, owner_name

ANSWERS = {"budget": "yes", "authority": "decision_maker", "timing": "this_quarter"}


def handed(api: Api, email: str) -> tuple[str, str]:
    """A grade A lead handed to sales: (the rep it is assigned to, the other rep)."""
    hand_off(api.engine, api.clock, api.inforce, email)
    owner = owner_name(api.engine, email)
    assert owner in ("alice", "bob")
    return owner, ({"alice", "bob"} - {owner}).pop()


def _answers(api: Api, email: str) -> dict[str, str]:
    with UnitOfWork(api.engine) as uow:
        rows = uow.session.execute(
            select(LeadField.name, LeadField.value).where(LeadField.lead_id == lead(api.engine, email).id)
        )
        return dict(rows.all())


def test_a_rep_works_a_lead_from_acceptance_to_a_won_deal(api: Api) -> None:
    rep, _ = handed(api, "ann@acme.example")
    path = "/leads/ann@acme.example"
    accepted = api.post(f"{path}/accept", rep)
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["stage"], accepted.json()["owner"], accepted.json()["opportunity"]) == ("sal", rep, None)
    assert api.post(f"{path}/contact", rep).json()["first_contact"] is True
    assert api.post(f"{path}/contact", rep).json()["first_contact"] is False

    qualified = api.post(f"{path}/qualify", rep, {"answers": ANSWERS})
    assert qualified.status_code == 200, qualified.text
    assert (qualified.json()["stage"], qualified.json()["fit"]) == ("sql", 60.0)  # has-budget adds 10
    assert _answers(api, "ann@acme.example") == {f"answers.{k}": v for k, v in ANSWERS.items()}

    converted = api.post(f"{path}/convert", rep, {"amount": 48000, "close_date": "2026-06-30"})
    assert converted.status_code == 200, converted.text
    opportunity = converted.json()["opportunity"]
    assert (converted.json()["stage"], opportunity["stage"], opportunity["amount"], opportunity["close_date"]) == (
        "opportunity",
        "discovery",
        48000.0,
        "2026-06-30",
    )
    refused(api.post(f"{path}/stage", rep, {"stage": "negotiation"}), 409, "illegal_transition", "proposal")
    moved = api.post(f"{path}/stage", rep, {"stage": "proposal"})
    assert moved.json()["opportunity"]["stage"] == "proposal"

    won = api.post(f"{path}/won", rep)
    assert won.status_code == 200, won.text
    assert (won.json()["stage"], won.json()["opportunity"]["won"]) == ("customer", True)
    assert [(old, new) for old, new, _ in history(api.engine, "ann@acme.example")] == [
        (None, "inquiry"),
        ("inquiry", "mql"),
        ("mql", "sal"),
        ("sal", "sql"),
        ("sql", "opportunity"),
        ("opportunity", "customer"),
    ]
    assert [m["amount"] for m in messages(api.engine, "opportunity.won")] == [48000.0]


def test_bad_answers_and_amounts_are_refused_naming_the_field_and_change_nothing(api: Api) -> None:
    rep, _ = handed(api, "ann@acme.example")
    path = "/leads/ann@acme.example"
    api.post(f"{path}/accept", rep)
    wrong = {**ANSWERS, "timing": "someday"}
    refused(api.post(f"{path}/qualify", rep, {"answers": wrong}), 422, "invalid_input", "timing", "someday")
    partial = {"budget": "yes"}
    refused(api.post(f"{path}/qualify", rep, {"answers": partial}), 422, "invalid_input", "authority", "timing")
    assert lead(api.engine, "ann@acme.example").stage == "sal"
    assert _answers(api, "ann@acme.example") == {}
    api.post(f"{path}/qualify", rep, {"answers": ANSWERS})
    refused(api.post(f"{path}/convert", rep, {"amount": 0, "close_date": "2026-06-30"}), 422, "invalid_input", "amount")
    refused(api.post(f"{path}/convert", rep, {"amount": 10, "close_date": "soon"}), 422, "invalid_input", "close_date")
    assert lead(api.engine, "ann@acme.example").stage == "sql"


def test_moves_the_lifecycle_does_not_allow_are_refused_as_illegal(api: Api) -> None:
    rep, _ = handed(api, "ann@acme.example")
    path = "/leads/ann@acme.example"
    refused(api.post(f"{path}/won", rep), 409, "illegal_transition", "mql")
    refused(api.post(f"{path}/stage", rep, {"stage": "proposal"}), 409, "illegal_transition", "mql")
    api.post(f"{path}/accept", rep)
    refused(api.post(f"{path}/accept", rep), 409, "illegal_transition", "sal")
    assert [new for _, new, _ in history(api.engine, "ann@acme.example")] == ["inquiry", "mql", "sal"]


def test_a_reject_with_an_agreed_reason_recycles_the_lead_and_an_unknown_reason_is_refused(api: Api) -> None:
    rep, _ = handed(api, "ann@acme.example")
    path = "/leads/ann@acme.example"
    refused(api.post(f"{path}/reject", rep, {"reason": "too_busy"}), 422, "unknown_reason", "too_busy", "not_ready")
    refused(api.post(f"{path}/reject", rep, {}), 422, "invalid_input", "reason")
    rejected = api.post(f"{path}/reject", rep, {"reason": "not_ready"})
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["stage"], rejected.json()["owner"]) == ("recycled", None)
    assert [(m["rep"], m["reason"]) for m in messages(api.engine, "lead.rejected")] == [(rep, "not_ready")]


def test_a_reject_may_say_why_in_a_note_that_the_leads_activity_shows(api: Api) -> None:
    rep, _ = handed(api, "ann@acme.example")
    path = "/leads/ann@acme.example"
    refused(api.post(f"{path}/reject", rep, {"reason": "not_ready", "note": "x" * 2_001}), 422, "invalid_input", "note")
    note = "New budget cycle in Q3: call back then."
    rejected = api.post(f"{path}/reject", rep, {"reason": "not_ready", "note": note})
    assert rejected.status_code == 200, rejected.text
    activity = api.get(f"{path}/activity", "mia").json()
    assert [(a["what"], a["by"], a["detail"]) for a in activity if a["kind"] == "stage"][-1] == (
        "mql → recycled",
        rep,
        f"not ready: {note}",
    )
    assert "note" not in messages(api.engine, "lead.rejected")[0]  # a webhook carries no free words about a person


def test_a_lost_deal_needs_a_lost_reason_of_its_stage_and_recycles_the_lead(api: Api) -> None:
    rep, _ = handed(api, "ann@acme.example")
    path = "/leads/ann@acme.example"
    api.post(f"{path}/accept", rep)
    api.post(f"{path}/qualify", rep, {"answers": ANSWERS})
    api.post(f"{path}/convert", rep, {"amount": 5000, "close_date": "2026-05-31"})
    refused(api.post(f"{path}/lost", rep, {"reason": "price"}), 422, "unknown_reason", "discovery", "no_need")
    lost = api.post(f"{path}/lost", rep, {"reason": "no_need"})
    assert lost.status_code == 200, lost.text
    assert (lost.json()["stage"], lost.json()["opportunity"]["won"]) == ("recycled", False)
    with UnitOfWork(api.engine) as uow:
        assert uow.session.scalars(select(Opportunity.lost_reason)).all() == ["no_need"]


def test_marketing_may_not_accept_or_reject_and_a_rep_may_not_touch_another_reps_lead(api: Api) -> None:
    rep, other = handed(api, "ann@acme.example")
    path = "/leads/ann@acme.example"
    refused(api.post(f"{path}/accept", "mia"), 403, "not_permitted", "mia", "work leads")
    refused(api.post(f"{path}/reject", "mia", {"reason": "not_ready"}), 403, "not_permitted", "mia")
    refused(api.post(f"{path}/accept", other), 403, "not_permitted", f"not assigned to {other}")
    refused(api.post(f"{path}/reject", other, {"reason": "bad_data"}), 403, "not_permitted", other)
    refused(api.post(f"{path}/contact", other), 403, "not_permitted", other)
    assert (lead(api.engine, "ann@acme.example").stage, owner_name(api.engine, "ann@acme.example")) == ("mql", rep)


def test_a_manager_acts_as_the_leads_owner(api: Api) -> None:
    rep, _ = handed(api, "ann@acme.example")
    accepted = api.post("/leads/ann@acme.example/accept", "sam")
    assert accepted.status_code == 200, accepted.text
    explained = api.get("/leads/ann@acme.example", "sam").json()
    assert (explained["history"][-1]["to_stage"], explained["history"][-1]["by"]) == ("sal", rep)


def test_marketing_disqualifies_an_inquiry_with_a_disqualifying_reason(api: Api) -> None:
    capture(api.engine, api.clock, api.inforce, "spam@acme.example")
    path = "/leads/spam@acme.example/disqualify"
    refused(api.post(path, "alice", {"reason": "bad_data"}), 403, "not_permitted", "alice")
    refused(api.post(path, "mia", {"reason": "not_ready"}), 422, "unknown_reason", "not_ready", "bad_data")
    done = api.post(path, "mia", {"reason": "bad_data"})
    assert done.status_code == 200, done.text
    assert done.json()["stage"] == "disqualified"
    assert history(api.engine, "spam@acme.example")[-1] == ("inquiry", "disqualified", "bad_data")
    refused(api.post(path, "mia", {"reason": "bad_data"}), 409, "illegal_transition", "disqualified")


def test_an_action_on_an_unknown_lead_is_not_found(api: Api) -> None:
    refused(api.post("/leads/nobody@acme.example/accept", "alice"), 404, "not_found", "nobody@acme.example")


def test_a_rep_sees_their_queue_and_a_manager_names_the_rep(api: Api) -> None:
    rep, other = handed(api, "ann@acme.example")
    mine = api.get("/queue", rep)
    assert mine.status_code == 200, mine.text
    [item] = mine.json()
    assert (item["email"], item["stage"], item["priority"]) == ("ann@acme.example", "mql", "hot")
    assert item["sla"].startswith("accept due")
    assert item["due"] is not None
    assert api.get("/queue", "sam", rep=rep).json() == mine.json()
    assert api.get("/queue", other).json() == []
    refused(api.get("/queue", other, rep=rep), 403, "not_permitted", other)
    refused(api.get("/queue", "sam"), 422, "invalid_input", "rep")
    refused(api.get("/queue", "mia", rep=rep), 403, "not_permitted", "mia")
    refused(api.get("/queue", "sam", rep="zed"), 404, "not_found", "zed")
