"""'leadpact agreement': check, adopt, list, show, diff and backtest, each as words and as what it stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from leadpact.domain.agreement_file import parse_agreement
from leadpact.domain.wording import parts
from leadpact.services import agreements
from leadpact.services.clock import FixedClock
from leadpact.store.tables import AgreementVersion
from leadpact.store.unit_of_work import UnitOfWork
from tests.cli.conftest import AT, Handed
from tests.conftest import EXAMPLE, adopt_example
from tests.factories import agreement_text, lead
from tests.test_cli_access import refused, run

STRICTER = ("qualified: {score_at_least: 60,", "qualified: {score_at_least: 85,")
"""The example with a higher bar: ann (score 80) would not have qualified."""


def versions(engine: Engine) -> list[tuple[int, str, datetime]]:
    with UnitOfWork(engine) as uow:
        rows = uow.session.execute(
            select(AgreementVersion.version, AgreementVersion.name, AgreementVersion.adopted_at).order_by(
                AgreementVersion.version
            )
        )
        return [(version, name, adopted_at) for version, name, adopted_at in rows]


def adopt_text(engine: Engine, clock: FixedClock, text: str) -> None:
    with UnitOfWork(engine) as uow:
        agreements.adopt(uow, clock, text, "stricter.yaml", "Dana Lee", "Sam Ortiz")


def test_a_file_is_checked_without_storing_anything(url: str, sqlite_engine: Engine, tmp_path: Path) -> None:
    printed = run(url, "agreement", "check", str(EXAMPLE))
    assert f"{EXAMPLE}: valid. 8 fit rules, 11 event types, qualifies at score 60 for grades A, B." in printed
    broken = tmp_path / "broken.yaml"
    broken.write_text(agreement_text(("score_at_least: 60,", "score_at_least: high,")))
    assert "qualified.score_at_least" in refused(url, "agreement", "check", str(broken))
    assert "cannot read it" in refused(url, "agreement", "check", str(tmp_path / "missing.yaml"))
    assert versions(sqlite_engine) == []


def test_an_adopted_file_becomes_the_next_version_from_the_moment_given(url: str, sqlite_engine: Engine) -> None:
    printed = run(
        url, "agreement", "adopt", str(EXAMPLE), "--marketing", "Dana Lee", "--sales", "Sam Ortiz", "--at", AT
    )
    assert f"Adopted {EXAMPLE} as version 1, signed by Dana Lee and Sam Ortiz." in printed
    assert versions(sqlite_engine) == [(1, "Acme Robotics lead agreement", datetime(2026, 3, 2, 16, tzinfo=UTC))]
    again = refused(url, "agreement", "adopt", str(EXAMPLE), "--marketing", "Dana Lee", "--sales", "Sam Ortiz")
    assert "identical to version 1" in again
    assert len(versions(sqlite_engine)) == 1


def test_the_versions_are_listed_oldest_first(url: str, sqlite_engine: Engine, clock: FixedClock) -> None:
    assert "No agreement adopted yet." in run(url, "agreement", "list")
    adopt_example(sqlite_engine, clock)
    adopt_text(sqlite_engine, clock, agreement_text(STRICTER))
    listed = json.loads(run(url, "agreement", "list", "--json"))
    assert [(v["version"], v["marketing"], v["sales"], v["adopted_at"]) for v in listed] == [
        (1, "Dana Lee", "Sam Ortiz", "2026-03-02T15:00:00+00:00"),
        (2, "Dana Lee", "Sam Ortiz", "2026-03-02T15:00:00+00:00"),
    ]
    table = run(url, "agreement", "list")
    assert "sha256" not in table  # a digest for the curious: --wide shows it
    wide = run(url, "agreement", "list", "--wide")
    assert all(v["sha256"][:12] in wide for v in listed)


def test_a_version_is_shown_in_plain_words_or_as_adopted(url: str, sqlite_engine: Engine, clock: FixedClock) -> None:
    adopt_example(sqlite_engine, clock)
    words = run(url, "agreement", "show")
    assert [part.title for part in parts(parse_agreement(EXAMPLE.read_text(), str(EXAMPLE)))] == [
        line for line in words.splitlines() if line and not line.startswith(" ")
    ][2:]  # every part of the agreement, after the version and its signatures
    for line in (
        "Acme Robotics lead agreement - version 1, adopted 2026-03-02 15:00 UTC",
        "Signed by Dana Lee (marketing) and Sam Ortiz (sales)",
        "Time zone America/Chicago;",
        "A lead is handed to sales (MQL) when its score reaches 60 with grade A or B.",
        "hot: score of 80 or more",
        "future: any lower score",
        "emea: when",
        "americas: otherwise",
    ):
        assert line in words
    assert run(url, "agreement", "show", "1", "--raw") == EXAMPLE.read_text()
    assert "there is no agreement version 2" in refused(url, "agreement", "show", "2")


def test_two_versions_are_compared_in_plain_words(url: str, sqlite_engine: Engine, clock: FixedClock) -> None:
    adopt_example(sqlite_engine, clock)
    adopt_text(sqlite_engine, clock, agreement_text(STRICTER))
    changes = run(url, "agreement", "diff", "1", "2")
    assert changes.splitlines() == ["From version 1 to version 2:", "  - qualification threshold: 60 -> 85"]
    assert "Versions 2 and 2 agree on everything." in run(url, "agreement", "diff", "2", "2")


def test_a_backtest_lists_the_leads_a_candidate_changes_and_changes_nothing(handed: Handed, tmp_path: Path) -> None:
    candidate = tmp_path / "stricter.yaml"
    candidate.write_text(agreement_text(STRICTER))
    printed = run(handed.url, "agreement", "backtest", str(candidate), "--at", AT)
    assert "1 leads change: 0 more MQLs under the candidate (0 of them never had an opportunity), 1 fewer." in printed
    ann = lead(handed.engine, "ann@acme.example")
    assert (
        f"ann@acme.example (lead {ann.id}): MQL on 2026-03-02 -> no MQL in the period; recorded: no opportunity"
        in printed
    )
    result = json.loads(run(handed.url, "agreement", "backtest", str(candidate), "--at", AT, "--json"))
    assert [change["email"] for change in result["changed"]] == ["ann@acme.example"]
    assert len(versions(handed.engine)) == 1
    assert lead(handed.engine, "ann@acme.example").stage == "mql"
