"""Shared fixtures: a real SQLite file per test, and a real PostgreSQL when LEADPACT_TEST_DATABASE_URL is set.
Also the coverage rule for the domain: a run of the whole suite with --cov fails unless it covers every line and
branch of src/leadpact/domain/."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from leadpact.cli.common import PIPED_WIDTH
from leadpact.services import agreements
from leadpact.services.agreements import InForce
from leadpact.services.clock import FixedClock
from leadpact.store.database import connect, empty, migrate
from leadpact.store.unit_of_work import UnitOfWork

EXAMPLE = Path(__file__).parents[1] / "src" / "leadpact" / "examples" / "agreement.yaml"
PG_ENV = "LEADPACT_TEST_DATABASE_URL"


def _fresh_database(url: str, name: str) -> str:
    """The URL of database ``name`` on ``url``'s server, made afresh (whatever an earlier run left there)."""
    _drop_database(url, name)
    _on_server(url, f'CREATE DATABASE "{name}"')
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str, name: str) -> None:
    _on_server(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _on_server(url: str, sql: str) -> None:
    """Run ``sql`` on ``url``'s server from its maintenance database, so a database is dropped even after the one
    ``url`` names (a worker's) is gone."""
    admin = connect(make_url(url).set(database="postgres").render_as_string(hide_password=False))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(sql))
    finally:
        admin.dispose()


@contextmanager
def own_postgres(url: str, suffix: str) -> Iterator[Engine]:
    """A migrated database of its own next to the test database (``<test>_<suffix>``), so tests emptying the test
    database leave it alone; made afresh and dropped when done."""
    name = f"{make_url(url).database}_{suffix}"
    engine = connect(_fresh_database(url, name))
    migrate(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        _drop_database(url, name)


WORKER_DATABASE = pytest.StashKey[tuple[str, str]]()


def pytest_configure(config: pytest.Config) -> None:
    """Run in parallel (pytest -n), each worker has a PostgreSQL database of its own beside the test database
    (``<test>_gw0``, ...): its tests, and their ``own_postgres`` databases, never empty another worker's tables."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get(PG_ENV)
    if worker and url:
        name = f"{make_url(url).database}_{worker}"
        os.environ[PG_ENV] = _fresh_database(url, name)
        config.stash[WORKER_DATABASE] = (url, name)


def pytest_unconfigure(config: pytest.Config) -> None:
    worker_database = config.stash.get(WORKER_DATABASE, None)
    if worker_database:
        _drop_database(*worker_database)


# The engines of the database fixtures (here, tests/reports and tests/web): the PostgreSQL case carries the postgres
# mark, so `pytest -m "not postgres"` leaves out exactly the tests that need a server.
ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


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


SPARK_CONF = Path(__file__).parent / "spark-conf"


@pytest.fixture(scope="session")
def spark() -> Iterator[None]:
    """Spark in local mode, started once a worker for the tests marked ``spark`` (one worker runs them all: they share
    the ``spark`` xdist group), with the settings for tiny tables in tests/spark-conf."""
    if shutil.which("java") is None:
        pytest.skip("the Spark tests need Java 17 or newer (Debian: apt-get install openjdk-17-jre-headless)")
    pytest.importorskip("pyspark", reason="the Spark tests need the spark extra: pip install -e '.[spark]'")
    from leadpact.analytics import spark as spark_engine

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SPARK_CONF_DIR", str(SPARK_CONF))
        session = spark_engine.session()
        yield
        session.stop()


@pytest.fixture(scope="session", autouse=True)
def piped_width() -> Iterator[None]:
    """Commands print as to a file or a log (``PIPED_WIDTH`` columns) whatever runs the tests: a terminal of any
    width, or a parallel worker, whose COLUMNS says 80; from the session's start, so the worlds session fixtures
    build through the command line print so too. A test of another width sets COLUMNS itself."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", str(PIPED_WIDTH))
        yield


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))  # a Monday, 09:00 in Chicago


def adopt_example(engine: Engine, clock: FixedClock, text_: str | None = None) -> InForce:
    with UnitOfWork(engine) as uow:
        agreements.adopt(uow, clock, text_ or EXAMPLE.read_text(), "agreement.yaml", "Dana Lee", "Sam Ortiz")
    with UnitOfWork(engine) as uow:
        return agreements.in_force(uow)


DOMAIN = "*/leadpact/domain/*"
DOMAIN_GAPS = pytest.StashKey[str]()
PART = pytest.StashKey[bool]()


def pytest_deselected(items: Sequence[pytest.Item]) -> None:
    """A test left out (by -k, -m, --deselect, --lf) makes the run a part of the suite."""
    if items:
        items[0].config.stash[PART] = True


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    """The domain is the agreement's rules as pure functions: the whole suite must run every line and branch of it.
    Checked after pytest-cov has measured (its fail_under is the floor for the whole package), only when the run had
    --cov and was the whole suite: no paths given, no test left out, not stopped early. Running one file never fails
    here. In a parallel run (pytest -n) the check is the controller's, on the workers' combined measurements.
    """
    result = yield
    config = session.config
    plugin = config.pluginmanager.getplugin("_cov")
    cov = getattr(getattr(plugin, "cov_controller", None), "cov", None)
    chosen = config.option.keyword or config.option.markexpr or config.option.deselect  # parallel: seen here too
    whole_suite = config.args_source is pytest.Config.ArgsSource.TESTPATHS and not (
        config.stash.get(PART, False) or chosen or session.shouldstop or session.shouldfail
    )
    if cov is None or not whole_suite or config.option.collectonly or hasattr(config, "workerinput"):
        return result
    table = io.StringIO()
    covered = cov.report(include=[DOMAIN], show_missing=True, skip_covered=True, precision=2, file=table)
    if covered < 100:
        config.stash[DOMAIN_GAPS] = f"src/leadpact/domain/ is covered {covered:.2f}%, not 100%:\n{table.getvalue()}"
        session.testsfailed += 1
    return result


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    gaps = config.stash.get(DOMAIN_GAPS, None)
    if gaps:
        terminalreporter.write_sep("=", "domain coverage", red=True)
        terminalreporter.write(f"FAIL {gaps}", red=True, bold=True)
