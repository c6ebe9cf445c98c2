"""'leadpact init': a new database gets the schema, and running it again changes nothing."""

from __future__ import annotations

from pathlib import Path

from leadpact.store.database import connect, current_revision
from tests.test_cli_access import refused, run


def test_init_creates_the_schema_once_and_then_finds_it_up_to_date(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert "run 'leadpact init' first" in refused(url, "rep", "list")
    created = run(url, "init")
    engine = connect(url)
    try:
        revision = current_revision(engine)
    finally:
        engine.dispose()
    assert revision is not None
    assert f"{url} migrated from empty to schema {revision}." in created
    assert f"{url} is up to date (schema {revision})." in run(url, "init")
    assert "No agreement adopted yet." in run(url, "agreement", "list")


def test_a_database_url_that_is_not_one_is_refused_naming_the_db_option() -> None:
    assert refused("nonsense", "init") == "--db: 'nonsense' is not a database URL (e.g. sqlite:///leadpact.db)"
    assert refused("mysql://db.example/leads", "init") == "--db: mysql is not supported; use SQLite or PostgreSQL"
