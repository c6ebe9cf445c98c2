"""The agreement over the API: versions and their differences, candidates, backtests, and the two sign-offs."""

from __future__ import annotations

from tests.api.conftest import Api, refused
from tests.conftest import EXAMPLE
from tests.factories import agreement_text, hand_off

STRICTER = agreement_text(("score_at_least: 60, grades", "score_at_least: 75, grades"))
"""The example with a higher qualification threshold."""


def test_everyone_reads_the_agreement_in_force_and_its_versions(api: Api) -> None:
    answer = api.get("/agreement", "alice")
    assert answer.status_code == 200, answer.text
    current = answer.json()
    assert (current["version"], current["name"], current["marketing_signoff"], current["sales_signoff"]) == (
        1,
        "Acme Robotics lead agreement",
        "Dana Lee",
        "Sam Ortiz",
    )
    assert current["text"] == EXAMPLE.read_text()
    assert current["in_force"] is True
    assert current["adopted_at"] == "2026-03-02T15:00:00Z"
    assert [v["version"] for v in api.get("/agreement/versions", "mia").json()] == [1]
    assert api.get("/agreement/versions/1", "mia").json() == current
    refused(api.get("/agreement/versions/7", "mia"), 404, "not_found", "version 7")
    assert api.get("/agreement/diff", "mia", **{"from": 1, "to": 1}).json() == {"from": 1, "to": 1, "changes": []}
    refused(api.get("/agreement/diff", "mia", **{"from": 1, "to": 3}), 404, "not_found", "version 3")
    refused(api.get("/agreement/diff", "mia", **{"from": 1}), 422, "invalid_input", "to")


def test_two_managers_co_sign_a_candidate_and_it_becomes_the_version_in_force(api: Api) -> None:
    uploaded = api.post("/agreement/candidates", "dana", {"text": STRICTER, "source": "stricter.yaml"})
    assert uploaded.status_code == 201, uploaded.text
    candidate = uploaded.json()
    assert (candidate["uploaded_by"], candidate["source"], candidate["against_version"]) == ("dana", "stricter.yaml", 1)
    assert candidate["changes"] == ["qualification threshold: 60 -> 75"]
    assert (candidate["waiting_for"], candidate["adopted_version"]) == (["marketing", "sales"], None)
    path = f"/agreement/candidates/{candidate['id']}"
    assert api.get(path, "alice").json() == candidate
    assert [c["id"] for c in api.get("/agreement/candidates", "sam").json()] == [candidate["id"]]

    refused(api.post(f"{path}/sign", "root"), 403, "not_permitted", "root", "sign agreement")
    refused(api.post(f"{path}/sign", "alice"), 403, "not_permitted", "alice")
    refused(api.post(f"{path}/sign", "raj"), 403, "not_permitted", "neither side")
    first = api.post(f"{path}/sign", "dana")
    assert first.status_code == 200, first.text
    assert (first.json()["marketing_signed_by"], first.json()["waiting_for"], first.json()["adopted_version"]) == (
        "dana",
        ["sales"],
        None,
    )
    refused(api.post(f"{path}/sign", "dana"), 409, "conflict", "already signed for marketing")
    assert api.get("/agreement", "mia").json()["version"] == 1

    second = api.post(f"{path}/sign", "sam")
    assert second.status_code == 200, second.text
    assert (second.json()["sales_signed_by"], second.json()["waiting_for"], second.json()["adopted_version"]) == (
        "sam",
        [],
        2,
    )
    current = api.get("/agreement", "mia").json()
    assert (current["version"], current["text"], current["marketing_signoff"], current["sales_signoff"]) == (
        2,
        STRICTER,
        "dana",
        "sam",
    )
    assert [v["version"] for v in api.get("/agreement/versions", "mia").json()] == [1, 2]
    assert api.get("/agreement/versions/1", "mia").json()["in_force"] is False
    assert api.get("/agreement/diff", "mia", **{"from": 1, "to": 2}).json()["changes"] == [
        "qualification threshold: 60 -> 75"
    ]
    refused(api.post(f"{path}/sign", "sam"), 409, "conflict", "already adopted as version 2")


def test_a_broken_candidate_is_refused_with_every_problem_by_line(api: Api) -> None:
    broken = agreement_text(
        ("score_at_least: 60, grades", "score_at_least: sixty, grades"), ("half_life_days: 30", "half_life_dayz: 30")
    )
    body = refused(
        api.post("/agreement/candidates", "sam", {"text": broken, "source": "next.yaml"}), 422, "agreement_invalid"
    )
    assert body["problems"] == [
        "next.yaml:22: engagement.half_life_dayz: unknown key; expected one of: events, half_life_days",
        "next.yaml:36: qualified.score_at_least: expected a number, got 'sixty'",
    ]
    same = {"text": EXAMPLE.read_text(), "source": "same.yaml"}
    refused(api.post("/agreement/candidates", "sam", same), 409, "conflict", "identical to version 1")
    refused(api.post("/agreement/candidates", "sam", {"source": "x.yaml"}), 422, "invalid_input", "text")
    assert api.get("/agreement/candidates", "sam").json() == []


def test_marketing_and_reps_may_not_propose_a_candidate(api: Api) -> None:
    refused(api.post("/agreement/candidates", "mia", {"text": STRICTER}), 403, "not_permitted", "mia")
    refused(api.post("/agreement/candidates", "alice", {"text": STRICTER}), 403, "not_permitted", "alice")
    refused(api.get("/agreement/candidates/1", "mia"), 404, "not_found", "candidate 1")
    assert api.get("/agreement/candidates", "mia").json() == []


def test_a_candidate_is_backtested_against_the_version_in_force(api: Api) -> None:
    hand_off(api.engine, api.clock, api.inforce, "hot@acme.example")  # score 80: an MQL under both thresholds
    hand_off(api.engine, api.clock, api.inforce, "edge@acme.example", title="Plant Manager")  # fit 38 + 30: 68
    candidate = api.post("/agreement/candidates", "dana", {"text": STRICTER, "source": "stricter.yaml"}).json()
    path = f"/agreement/candidates/{candidate['id']}/backtest"
    answer = api.get(path, "sam", since="2026-03-01")
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["current"], result["candidate"]) == ("version 1 (in force)", "stricter.yaml")
    total = result["months"][-1]
    assert (total["added"], total["dropped"]) == (0, 1)
    assert [(c["email"], c["current"]["mql"], c["candidate"]["mql"]) for c in result["changed"]] == [
        ("edge@acme.example", True, False)
    ]
    refused(api.get(path, "mia"), 403, "not_permitted", "mia")
    refused(api.get("/agreement/candidates/99/backtest", "sam"), 404, "not_found", "99")
    assert api.get("/agreement", "sam").json()["version"] == 1
