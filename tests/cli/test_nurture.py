"""'leadpact nurture': adopt the sequences, list and show them, enrol leads by hand, and read what the emails did;
'lead show' tells which sequence a lead is in."""

from __future__ import annotations

import json
from pathlib import Path

from leadpact.services import intake, nurture, privacy, team
from leadpact.services.clock import FixedClock, parse_moment
from leadpact.store.unit_of_work import UnitOfWork
from tests.cli.conftest import AT, Handed
from tests.factories import capture
from tests.test_cli_access import refused, run

EXAMPLE = Path(__file__).parents[2] / "src" / "leadpact" / "examples" / "nurture.yaml"


def test_marketing_adopts_the_sequences_and_enrols_leads_whose_emails_then_wait_without_a_server(
    handed: Handed, clock: FixedClock, tmp_path: Path
) -> None:
    with UnitOfWork(handed.engine) as uow:
        team.add_user(uow, clock, "maya", "marketing")
    assert "nurture adopt FILE" in refused(handed.url, "nurture", "list")
    assert "alice is not on marketing's side" in refused(handed.url, "nurture", "adopt", str(EXAMPLE), "--by", "alice")
    broken = tmp_path / "broken.yaml"
    broken.write_text(EXAMPLE.read_text().replace("entry: not_ready", "entry: not_reddy"))
    assert f"{broken}:7: sequences[0].entry: 'not_reddy' is not a recycling reason" in refused(
        handed.url, "nurture", "adopt", str(broken), "--by", "maya"
    )
    adopted = run(handed.url, "nurture", "adopt", str(EXAMPLE), "--by", "maya", "--at", AT)
    assert f"Adopted {EXAMPLE} as nurture version 1 (2 sequences), by maya." in adopted

    for email in ("bo@beta.example", "cy@beta.example"):
        capture(handed.engine, clock, handed.inforce, email, first_name=email[:2].title())
        with UnitOfWork(handed.engine) as uow:
            privacy.record_consent(uow, intake.find_lead(uow, email), True, "form", clock.now())
    listing = tmp_path / "list.csv"
    listing.write_text("name,email\nCy,cy@beta.example\n")
    enrolled = run(handed.url, "nurture", "enroll", "not-ready", "bo@beta.example", "--file", str(listing), "--at", AT)
    assert "Enrolled 2 lead(s) in not-ready." in enrolled
    assert "Already in it: bo@beta.example" in run(handed.url, "nurture", "enroll", "not-ready", "bo@beta.example")
    assert "no lead with email 'nobody@beta.example'" in refused(
        handed.url, "nurture", "enroll", "not-ready", "nobody@beta.example"
    )

    listed = json.loads(run(handed.url, "nurture", "list", "--json"))
    assert listed["version"] == 1
    assert [(s["name"], s["entry"], s["steps"], s["active"]) for s in listed["sequences"]] == [
        ("not-ready", "not_ready", 3, 2),
        ("first-touch", "below_floor", 2, 0),
    ]
    shown = run(handed.url, "nurture", "show", "not-ready")
    assert "Step 1, after 0 working day(s): {{ first_name or 'Hello' }}, a guide for when the time is right" in shown
    assert "branches: email_click -> step 3" in shown
    assert "no sequence named 'nope'" in refused(handed.url, "nurture", "show", "nope")

    clock.at = parse_moment(AT, "at")
    with UnitOfWork(handed.engine) as uow:  # the worker's pass: step 1 is due at once
        written = nurture.advance(uow, clock, handed.inforce, "http://127.0.0.1:8000")
    assert written.written == 2
    stats = run(handed.url, "nurture", "stats")
    assert "2 email(s) wait in the outbox: no LEADPACT_SMTP_URL is set, so nothing is sent." in stats
    figures = json.loads(run(handed.url, "nurture", "stats", "--json"))
    assert [(s["name"], s["enrolled"], s["steps"][0]["written"], s["steps"][0]["waiting"]) for s in figures] == [
        ("not-ready", 2, 2, 2),
        ("first-touch", 2, 0, 0),  # the inquiries below the floor, enrolled by the pass; step 1 waits a day
    ]
    assert "Nurture: not-ready, step 1 sent, step 2 due 2026-03-16 15:00" in run(
        handed.url, "lead", "show", "bo@beta.example", "--at", AT
    )
