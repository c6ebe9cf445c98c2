"""'leadpact lead show' and 'leadpact lead list': a lead explained, and leads found, as the database holds them."""

from __future__ import annotations

import json
import math

import pytest

from leadpact.services.clock import FixedClock
from tests.cli.conftest import AT, Handed
from tests.factories import capture, lead
from tests.learning.leadmodel_world import keep_model, trained_model
from tests.test_cli_access import refused, run

ANN = "ann@acme.example"


def test_a_lead_is_explained_by_its_rules_events_sla_and_history(handed: Handed) -> None:
    ann = lead(handed.engine, ANN)
    words = run(handed.url, "lead", "show", ANN, "--at", AT)
    for line in (
        f"Ann <{ANN}> (lead {ann.id})  VP Operations Acme",
        "Score 80.0 = fit 50 + engagement 30.0   grade A   priority warm   stage mql   owner alice   "
        "as of 2026-03-02 16:00 UTC, agreement v1",
        "senior-title",
        "contact_form",
        "SLA: with alice since 2026-03-02 15:00; accept by 2026-03-02 19:00, first contact by 2026-03-03 15:00",
    ):
        assert line in words
    by_id = json.loads(run(handed.url, "lead", "show", str(ann.id), "--at", AT, "--json"))
    assert (by_id["email"], by_id["stage"], by_id["owner"], by_id["fit"]) == (ANN, "mql", "alice", ann.fit)
    assert [h["to_stage"] for h in by_id["history"]] == ["inquiry", "mql"]
    assert "nobody@acme.example" in refused(handed.url, "lead", "show", "nobody@acme.example")


def test_leads_are_listed_highest_score_first_and_filtered(handed: Handed, clock: FixedClock) -> None:
    capture(handed.engine, clock, handed.inforce, "bo@beta.example", company="Beta", source="webinar")
    listed = json.loads(run(handed.url, "lead", "list", "--at", AT, "--json"))
    assert [(row["email"], row["stage"], row["owner"]) for row in listed] == [
        (ANN, "mql", "alice"),
        ("bo@beta.example", "inquiry", None),
    ]
    table = run(handed.url, "lead", "list", "--stage", "inquiry", "--at", AT)
    assert "bo@beta.example" in table
    assert ANN not in table
    assert [row["email"] for row in json.loads(run(handed.url, "lead", "list", "--search", "beta", "--json"))] == [
        "bo@beta.example"
    ]
    assert [row["email"] for row in json.loads(run(handed.url, "lead", "list", "--limit", "1", "--json"))] == [ANN]
    assert "No lead matches." in run(handed.url, "lead", "list", "--owner", "alice", "--source", "webinar")


def test_a_lead_is_explained_with_the_newest_models_chance_once_there_is_one(
    handed: Handed, tmp_path_factory: pytest.TempPathFactory
) -> None:
    assert "Predicted" not in run(handed.url, "lead", "show", ANN, "--at", AT)
    keep_model(handed.engine, trained_model(tmp_path_factory.getbasetemp()))
    printed = run(handed.url, "lead", "show", ANN, "--at", AT)
    assert "Predicted by model v1: " in printed
    assert "the chance it reaches an opportunity within 30 days of its hand-off; the lead described at its latest " in (
        " ".join(printed.split())
    )
    predicted = json.loads(run(handed.url, "lead", "show", ANN, "--at", AT, "--json"))["predicted"]
    logit = math.log(predicted["probability"] / (1 - predicted["probability"]))
    assert abs(predicted["base"] + sum(c["effect"] for c in predicted["contributions"]) - logit) < 1e-6
    assert f"{predicted['probability']:.1%}" in printed
    strongest = predicted["contributions"][0]
    assert f"{strongest['effect']:+.3f}" in printed  # the largest effect leads the table
