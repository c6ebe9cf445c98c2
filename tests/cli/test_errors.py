"""A command that is refused prints one line, naming the option at fault as it is typed, and exits with 2."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from leadpact.cli import main
from leadpact.cli.common import worded
from leadpact.domain.errors import InvalidInput, NotFound
from leadpact.services.clock import FixedClock
from tests.conftest import adopt_example


def test_a_refusal_is_one_line_on_stderr_and_exit_status_2(
    url: str,
    sqlite_engine: Engine,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    adopt_example(sqlite_engine, clock)
    args = ["leadpact", "--db", url, "report", "funnel", "--from", "2026-03-01", "--to", "2026-02-01"]
    monkeypatch.setattr("sys.argv", args)
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 2
    printed = capsys.readouterr()
    assert printed.err == "error: --to: 2026-02-01 is before the first day, 2026-03-01\n"
    assert printed.out == ""


def test_a_value_a_service_refuses_is_named_by_its_option() -> None:
    assert worded(InvalidInput("'soon' is not a date", "close_date")) == "--close-date: 'soon' is not a date"
    assert worded(InvalidInput("'x' is not a database URL", "database_url")) == "--db: 'x' is not a database URL"
    assert worded(InvalidInput("'people' is not something to import", "kind")) == (
        "KIND: 'people' is not something to import"
    )
    assert worded(InvalidInput("--json and --csv: choose one")) == "--json and --csv: choose one"
    assert worded(NotFound("no user named 'zoe'")) == "no user named 'zoe'"
