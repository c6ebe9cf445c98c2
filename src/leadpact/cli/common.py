"""What every command shares: the consoles, the common options, the configured database and its unit of work."""

from __future__ import annotations

import dataclasses
import getpass
import json
import os
import shutil
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from leadpact.config import Settings
from leadpact.domain.audit import Actor
from leadpact.domain.errors import InvalidInput, LeadpactError
from leadpact.services import agreements, store_clock
from leadpact.services.agreements import InForce
from leadpact.services.clock import Clock, FixedClock, SystemClock, parse_moment
from leadpact.store.database import connect, current_revision
from leadpact.store.unit_of_work import UnitOfWork

T = TypeVar("T")


PIPED_WIDTH = 160
"""The width of output piped to a file or a CI log, unless COLUMNS says otherwise: not squeezed to 80 columns."""


def width() -> int:
    """How wide the output is: COLUMNS when set, else the terminal's width, else (piped) ``PIPED_WIDTH``."""
    return shutil.get_terminal_size((PIPED_WIDTH, 24)).columns


out = Console(markup=False, highlight=False, width=width())
"""The standard output; a command sets its width again as it starts (``cli.root``), from the environment then."""
err = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)

At = Annotated[
    str | None,
    typer.Option("--at", help="Act as of this moment (ISO 8601, e.g. 2026-11-23T15:00:00Z) instead of now."),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")]
Rep = Annotated[str | None, typer.Option("--rep", help="The rep acting; defaults to the lead's owner.")]
LeadRef = Annotated[str, typer.Argument(help="The lead's email address or id.")]
EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help="Where the computation runs: 'app' (the database itself), 'duckdb' (a copy read from the database, "
        "faster on large histories) or 'spark' (Apache Spark at LEADPACT_SPARK_MASTER, default local[2]; needs "
        "pip install 'leadpact[spark]' and Java 17).",
    ),
]
ParquetOption = Annotated[
    Path | None,
    typer.Option(
        "--parquet",
        metavar="DIR",
        help="Read the store's tables from this export (leadpact export parquet DIR) instead of the database; "
        "with --engine duckdb or spark, and only while the store is as it was exported.",
    ),
]


@dataclasses.dataclass
class State:
    settings: Settings = dataclasses.field(default_factory=Settings)
    clock: Clock | None = None  # the store's clock or real time, read once a command (``clock_for``)


state = State()


def clock_for(at: str | None) -> Clock:
    """The moment ``--at`` names; else the store's clock while one is set, else real time, read from the database
    once a command. Every command that reads or records a moment asks here, so what it records agrees with the
    served app's "now"."""
    if at:
        return FixedClock(parse_moment(at, "at"))
    if state.clock is None:
        state.clock = _store_time()
    return state.clock


def _store_time() -> Clock:
    """The store's clock, said on stderr (so ``--json`` output stays clean); real time when none is set."""
    engine = connect(state.settings.database_url)
    try:
        setting = store_clock.read(engine)
    finally:
        engine.dispose()
    if setting is None:
        return SystemClock()
    clock = setting.clock(SystemClock())
    err.print(
        f"note: this store runs on a demo clock: it is now {clock.now():%Y-%m-%d %H:%M} UTC here; "
        "'leadpact clock clear' returns it to real time"
    )
    return clock


@contextmanager
def unit_of_work() -> Iterator[UnitOfWork]:
    """A transaction on the configured database, which must be initialized."""
    engine = connect(state.settings.database_url)
    try:
        if current_revision(engine) is None:
            raise InvalidInput(
                f"the database {engine.url.render_as_string(hide_password=True)} is not set up; "
                "run 'leadpact init' first"
            )
        with UnitOfWork(engine, command_line()) as uow:
            yield uow
    finally:
        engine.dispose()


def command_line() -> Actor:
    """Who the command line's changes are recorded as made by: the account running it, on its host."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment, no entry in the password database
        user = f"uid {os.getuid()}"
    return Actor(user, "cli", socket.gethostname())


def with_agreement(work: Callable[[UnitOfWork, InForce], T]) -> T:
    with unit_of_work() as uow:
        return work(uow, agreements.in_force(uow))


def to_json(value: Any) -> str:
    def default(obj: Any) -> Any:
        if isinstance(obj, datetime | date):
            return obj.isoformat()
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return dataclasses.asdict(obj)
        raise TypeError(f"cannot show {type(obj).__name__} as JSON")

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    return json.dumps(value, default=default, indent=2)


def when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "-"


def as_at(at: datetime) -> str:
    """A UTC moment as --at takes it."""
    return at.isoformat().replace("+00:00", "Z")


NAMED = {"database_url": "--db", "kind": "KIND", "name": "NAME", "password": "password"}
"""How the command line names the fields it does not take as ``--field``: an option of another name, an argument
(as its usage line shows it), or the password it asks for."""


def worded(error: LeadpactError) -> str:
    """An error as one line of the command line: a wrong value is named as it is given (``--close-date: ...``)."""
    if isinstance(error, InvalidInput) and error.field:
        named = NAMED.get(error.field, f"--{error.field.replace('_', '-')}")
        return f"{named}: {error.problem}"
    return error.detail
