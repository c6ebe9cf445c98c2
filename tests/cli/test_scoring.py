"""'leadpact rescore': every lead recomputed under a new agreement version, once, and nothing when in line."""

from __future__ import annotations

import json

from sqlalchemy import Engine

from leadpact.services import agreements
from leadpact.services.clock import FixedClock
from leadpact.store.unit_of_work import UnitOfWork
from tests.cli.conftest import AT, Handed
from tests.factories import agreement_text, lead, ledger
from tests.test_cli_access import refused, run

ANN = "ann@acme.example"


def adopt_richer_forms(engine: Engine, clock: FixedClock) -> None:
    """Version 2: a contact form is worth 40 points instead of 30."""
    text = agreement_text(("contact_form:          {points: 30}", "contact_form:          {points: 40}"))
    with UnitOfWork(engine) as uow:
        agreements.adopt(uow, clock, text, "richer.yaml", "Dana Lee", "Sam Ortiz")


def test_a_rescore_amends_the_leads_a_new_version_changes_and_then_finds_nothing(
    handed: Handed, clock: FixedClock
) -> None:
    assert "--engine: 'bigquery' is not one of app, duckdb, spark" in refused(
        handed.url, "rescore", "--engine", "bigquery"
    )
    adopt_richer_forms(handed.engine, clock)
    report = json.loads(run(handed.url, "rescore", "--at", AT, "--json"))
    assert (report["leads"], report["version"], report["leads_changed"], report["ledger_rows"]) == (1, 2, 1, 1)
    assert report["replays_kept"] == 1  # the lead's replay under version 2, kept for the reports
    assert lead(handed.engine, ANN).engagement > 30
    assert ledger(handed.engine, ANN)[-1][2:] == (10.0, 2)  # the adjustment: +10 points under version 2
    printed = run(handed.url, "rescore", "--at", AT)
    assert "Rescored 1 leads under agreement version 2 on app" in printed
    assert "0 leads changed, 0 ledger adjustments, 0 event verdicts flipped, 0 replays kept anew." in printed
