"""'leadpact health': each bound of the agreement's health section with its limit, its value now, held or broken,
and the evidence; and --record, the daily check run from cron."""

from __future__ import annotations

import itertools
import json
import re

from sqlalchemy import Engine, func, select

from leadpact.services import agreements
from leadpact.services.clock import FixedClock
from leadpact.store.tables import HealthCheck, OutboxMessage
from leadpact.store.unit_of_work import UnitOfWork
from tests.conftest import EXAMPLE
from tests.services.test_health import BROKEN, NOW, sloppy
from tests.services.test_health_drift import TEXT as DRIFT_TEXT
from tests.test_cli_access import refused, run

AT = "2026-03-02T15:00:00Z"
"""The services tests' moment: the February history's contacts are long due."""


def recorded(engine: Engine) -> tuple[int, int]:
    """The daily checks recorded, and the agreement.health messages posted."""
    with UnitOfWork(engine) as uow:
        checks = uow.session.scalar(select(func.count()).select_from(HealthCheck))
        posted = uow.session.scalar(select(func.count()).where(OutboxMessage.topic == "agreement.health"))
        return int(checks or 0), int(posted or 0)


def table_rows(printed: str) -> dict[str, list[str]]:
    """The rows of the printed table, under its headings' rule up to the blank line: each bound's cells after its
    name, cells parted by two spaces or more."""
    lines = printed.splitlines()
    rule = next(i for i, line in enumerate(lines) if line.startswith("─"))
    rows = [re.split(r"\s{2,}", line.strip()) for line in itertools.takewhile(str.strip, lines[rule + 1 :])]
    return {row[0]: row[1:] for row in rows}


def test_a_broken_bound_is_shown_with_its_limit_value_and_evidence(url: str, sqlite_engine: Engine) -> None:
    sloppy(sqlite_engine)
    printed = run(url, "health", "--at", AT)
    assert "Health of the agreement in force (version 1) as of 2026-03-02 (America/Chicago)" in printed
    assert table_rows(printed) == {
        "acceptance_rate": ["at least 50 %", "100.0 %", "held"],
        "contact_within_sla": ["at least 80 %", "33.3 %", "broken"],
        "never_contacted": ["at most 40 %", "66.7 %", "broken"],
    }
    assert "contact within SLA: 33.3 %, below the agreed 80 %" in printed
    assert "  2 of the 3 leads assigned 2026-02-01 to 2026-02-28 were never contacted" in printed
    assert recorded(sqlite_engine) == (0, 0)  # showing records nothing

    shown = json.loads(run(url, "health", "--at", AT, "--json"))
    assert (shown["version"], shown["day"], shown["at"]) == (1, "2026-03-02", "2026-03-02T15:00:00+00:00")
    assert [(b["bound"], b["status"], b["broken"]) for b in shown["bounds"]] == [
        ("acceptance_rate", "held", False),
        ("contact_within_sla", "broken", True),
        ("never_contacted", "broken", True),
    ]
    contact = shown["bounds"][1]
    assert (contact["limit"], contact["limit_kind"], contact["value"]) == (0.8, "at_least", 1 / 3)
    assert contact["evidence"] == {"from": "2026-02-01", "to": "2026-03-02", "contact_due": 3, "contacted_in_sla": 1}


def test_record_runs_the_daily_check_once_a_day(url: str, sqlite_engine: Engine) -> None:
    sloppy(sqlite_engine)
    printed = run(url, "health", "--record", "--at", AT)
    assert (
        "Recorded the check of 2026-03-02: acceptance_rate, contact_within_sla, never_contacted; "
        f"broken: {', '.join(BROKEN)}." in printed
    )
    again = json.loads(run(url, "health", "--record", "--json", "--at", "2026-03-02T23:00:00Z"))
    assert again["recorded"] == []
    assert "The check of 2026-03-02 was recorded already" in run(url, "health", "--record", "--at", AT)
    assert recorded(sqlite_engine) == (3, 2)


def test_an_agreement_without_health_says_so_in_one_line(url: str, sqlite_engine: Engine) -> None:
    text = EXAMPLE.read_text()
    with UnitOfWork(sqlite_engine) as uow:
        agreements.adopt(uow, FixedClock(NOW), text[: text.index("\nhealth:")], "agreement.yaml", "Dana", "Sam")
    assert run(url, "health").startswith(
        "The agreement in force (version 1) has no health section: it sets no bounds to check."
    )
    assert json.loads(run(url, "health", "--json", "--record"))["bounds"] == []


def test_health_needs_an_agreement_and_a_moment_it_can_read(url: str, sqlite_engine: Engine) -> None:
    assert "no agreement" in refused(url, "health").lower()
    sloppy(sqlite_engine)
    assert refused(url, "health", "--at", "soon").startswith("--at: 'soon' is not an ISO 8601 time")


def test_the_model_drift_bounds_say_why_they_are_not_judged_without_a_model(url: str, sqlite_engine: Engine) -> None:
    with UnitOfWork(sqlite_engine) as uow:
        agreements.adopt(uow, FixedClock(NOW), DRIFT_TEXT, "agreement.yaml", "Dana", "Sam")
    printed = run(url, "health", "--at", AT)
    assert table_rows(printed) == {
        "population_shift": ["at most 0.25", "—", "not judged"],
        "model_calibration": ["at most 0.1", "—", "not judged"],
    }
    assert "population shift: not judged, no model trained yet: run 'leadpact model train'" in printed
    shown = json.loads(run(url, "health", "--at", AT, "--json"))
    assert [b["evidence"] for b in shown["bounds"]] == [
        {
            "from": "2025-12-03",
            "to": "2026-03-02",
            "model": None,
            "not_judged_because": "no model trained yet: run 'leadpact model train'",
        }
    ] * 2
