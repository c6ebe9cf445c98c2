"""'leadpact dedupe': the likely duplicate people and accounts, and merging them on confirmation."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from leadpact.cli import app
from leadpact.services.clock import FixedClock
from tests.cli.conftest import AT, Handed
from tests.factories import capture, lead
from tests.test_cli_access import refused, run


def test_duplicates_are_listed_and_merged_only_once_confirmed(handed: Handed, clock: FixedClock) -> None:
    url = handed.url
    for email, first, last in (
        ("ann+news@acme.example", "Ann", "Lee"),
        ("bob@globex.example", "Bob", "Ross"),
        ("cy@initech.example", "Cy", "Twombly"),
    ):
        capture(handed.engine, clock, handed.inforce, email, first_name=first, last_name=last)
    capture(handed.engine, clock, handed.inforce, "dee@acme-corp.example", first_name="Dee")
    found = json.loads(run(url, "dedupe", "--threshold", "0.8", "--json"))
    assert [(p["keep"]["email"], p["other"]["email"]) for p in found["people"]] == [
        ("ann@acme.example", "ann+news@acme.example")
    ]
    assert [(a["keep"]["domain"], a["other"]["domain"]) for a in found["accounts"]] == [
        ("acme.example", "acme-corp.example")
    ]
    printed = run(url, "dedupe", "--threshold", "0.8")
    assert "ann+news@acme.example" in printed
    assert "acme-corp.example" in printed

    declined = CliRunner().invoke(
        app, ["--db", url, "dedupe", "merge", "ann@acme.example", "ann+news@acme.example"], input="n\n"
    )
    assert declined.exit_code == 1
    assert "Merge ann+news@acme.example (inquiry) into ann@acme.example (mql)?" in declined.output
    assert lead(handed.engine, "ann+news@acme.example").merged_into is None
    merged = run(url, "dedupe", "merge", "ann@acme.example", "ann+news@acme.example", stdin="y\n")
    assert "Merged lead" in merged
    assert lead(handed.engine, "ann+news@acme.example").merged_into == lead(handed.engine, "ann@acme.example").id
    assert "already merged" in refused(url, "dedupe", "merge", "ann@acme.example", "ann+news@acme.example", "--yes")
    survivor = lead(handed.engine, "ann@acme.example").id
    assert f"A duplicate merged into lead {survivor}" in run(url, "lead", "show", "ann+news@acme.example")

    done = json.loads(
        run(url, "dedupe", "merge-accounts", "acme.example", "acme-corp.example", "--yes", "--json", "--at", AT)
    )
    assert done == {"survivor": "acme.example", "merged": "acme-corp.example", "people": 1}
    assert "No likely duplicate people at or above 0.8." in run(url, "dedupe", "--threshold", "0.8")
    assert "no account with domain 'nowhere.example'" in refused(
        url, "dedupe", "merge-accounts", "acme.example", "nowhere.example"
    )
