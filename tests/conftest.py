"""Shared fixtures: a real SQLite file per test, and a real PostgreSQL when LEADPACT_TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from leadpact.services import agreements
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.database import connect, empty, migrate
from leadpact.store.unit_of_work import UnitOfWork

EXAMPLE = Path(__file__).parents[1] / "src" / "leadpact" / "examples" / "agreement.yaml"
PG_ENV = "LEADPACT_TEST_DATABASE_URL"
ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for every test: each test gets a fresh database fast."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = connect(f"sqlite:///{path}")
    migrate(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL tests need {PG_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    engine = connect(url)
    with engine.begin() as connection:  # an unreachable server fails here: no silent skip when it is asked for
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    """A migrated, empty database on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "leadpact.db"
        shutil.copy(sqlite_template, path)
        sqlite = connect(f"sqlite:///{path}")
        yield sqlite
        sqlite.dispose()
        return
    pg: Engine = request.getfixturevalue("postgres_engine")
    empty(pg)
    yield pg


@pytest.fixture
def sqlite_engine(tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    path = tmp_path / "leadpact.db"
    shutil.copy(sqlite_template, path)
    engine = connect(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))  # a Monday, 09:00 in Chicago


def adopt_example(engine: Engine, clock: FixedClock, text_: str | None = None) -> InForce:
    with UnitOfWork(engine) as uow:
        agreements.adopt(uow, clock, text_ or EXAMPLE.read_text(), "agreement.yaml", "Dana Lee", "Sam Ortiz")
    with UnitOfWork(engine) as uow:
        return agreements.in_force(uow)
