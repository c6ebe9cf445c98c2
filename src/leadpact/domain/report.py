"""What every report hands back (a title, typed columns and rows of plain values), and how a report is catalogued.

The CLI renders a report as a table, JSON or CSV, and the web dashboard charts the same rows, so a report is
data, not text. Each column says what kind of number it holds (a count, money, a share between 0 and 1, days,
working hours...), which is all a renderer needs to format it. A value that cannot be computed, such as a
rate over nothing or the cost of a campaign with no cost recorded, is None: shown as such, never as zero.

A report of the catalog is a ``Definition``: its name, what it answers, the options it takes and its
computation. The CLI's report commands, the API's report routes and the web's report pages are made from the
catalog (``services.reports.CATALOG``), so a new report is its module and one line there.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import IO, Any, assert_never

from leadpact.domain.errors import InvalidInput


class Kind(StrEnum):
    TEXT = "text"
    COUNT = "count"
    MONEY = "money"
    SHARE = "share"  # a fraction between 0 and 1, shown as a percentage
    RATIO = "ratio"  # a plain number such as ROI (1.5 = 150 % return)
    NUMBER = "number"
    DAYS = "days"
    HOURS = "hours"


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    kind: Kind = Kind.COUNT


Row = dict[str, Any]


@dataclass(frozen=True)
class Report:
    """One report: its title, what it covers, its columns and its rows (the last may be the total)."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    scope: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    sections: tuple[Report, ...] = ()  # further tables of the same report

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def as_dict(self) -> dict[str, Any]:
        return {
            "report": self.name,
            "title": self.title,
            "scope": dict(self.scope),
            "columns": [{"key": c.key, "title": c.title, "kind": c.kind.value} for c in self.columns],
            "rows": [{c.key: clean(row.get(c.key)) for c in self.columns} for row in self.rows],
            "notes": list(self.notes),
            **({"sections": [s.as_dict() for s in self.sections]} if self.sections else {}),
        }

    def write_csv(self, handle: IO[str]) -> None:
        """A header line of column keys, then the rows; an empty cell is a value that could not be computed.

        Each further section follows after an empty line, with its own header line.
        """
        writer = csv.writer(handle, lineterminator="\n")
        for i, part in enumerate((self, *self.sections)):
            if i:
                writer.writerow([])
            writer.writerow([c.key for c in part.columns])
            for row in part.rows:
                writer.writerow(["" if (value := clean(row.get(c.key))) is None else value for c in part.columns])


@dataclass(frozen=True)
class Backtest:
    """A candidate agreement next to a stored version over the recorded history: per month, the load, and every
    lead whose qualification changes."""

    current: str
    candidate: str
    months: Report
    load: Report
    changed: tuple[Row, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "current": self.current,
            "candidate": self.candidate,
            "scope": dict(self.months.scope),
            "months": self.months.as_dict()["rows"],
            "columns": self.months.as_dict()["columns"],
            "load": self.load.as_dict()["rows"],
            "changed": list(self.changed),
        }


@dataclass(frozen=True)
class Option:
    """A report's one choice, such as how it groups its rows (``by``) or how it shares credit (``model``)."""

    name: str
    choices: tuple[str, ...]
    default: str
    help: str

    def check(self, value: str | None) -> str:
        """The choice made (the default when none is given); one not on offer is refused, naming the option."""
        chosen = self.default if value is None else value
        if chosen not in self.choices:
            raise InvalidInput(f"'{chosen}' is not one of {', '.join(self.choices)}", self.name)
        return chosen


@dataclass(frozen=True)
class Definition:
    """A report of the catalog: its name, what it answers in one line and at length, its options, and its
    computation, called with an analytics context and each option by name."""

    name: str
    summary: str
    help: str
    compute: Callable[..., Report]
    options: tuple[Option, ...] = ()

    def chosen(self, given: Mapping[str, str | None]) -> dict[str, str]:
        """Every option's choice from ``given`` (option name -> value, None when not given); a value for an
        option this report does not take is refused."""
        takes = {option.name for option in self.options}
        for name, value in given.items():
            if value is not None and name not in takes:
                offered = " and ".join(f"'{n}'" for n in sorted(takes))
                takes_what = f"only {offered}" if takes else "no option"
                raise InvalidInput(f"the {self.name} report takes {takes_what}", name)
        return {option.name: option.check(given.get(option.name)) for option in self.options}


def clean(value: Any) -> Any:
    """Plain JSON values: NaN and infinities (a rate over nothing) become None, whole floats stay floats."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


NOTHING = "—"
"""How a value that cannot be computed is shown."""


def shown(kind: Kind, value: Any, short: bool = False) -> str:
    """A report value as people read it, the same in the CLI and on the pages: money with a $ and thousands,
    shares and ROI as percentages (an ROI of 1.5 is 150%), days and hours to a tenth, and a dash for none.

    ``short`` is for where space is scarce, such as a table in an 80-column terminal: a count, an amount of money,
    days or hours of 10,000 or more is abbreviated to three significant figures ($34.1k, 1.23M) rather than cut.
    """
    value = clean(value)
    if value is None:
        return NOTHING
    if short and kind not in (Kind.TEXT, Kind.SHARE, Kind.RATIO) and abs(value) >= ABBREVIATED_FROM:
        return ("$" if kind == Kind.MONEY else "") + abbreviated(value)
    match kind:
        case Kind.TEXT:
            return str(value)
        case Kind.COUNT:
            return f"{value:,.0f}"
        case Kind.MONEY:
            return f"${value:,.0f}"
        case Kind.SHARE:
            return f"{100 * value:.1f}%"
        case Kind.RATIO:
            return f"{100 * value:.0f}%"
        case Kind.NUMBER | Kind.DAYS | Kind.HOURS:
            return f"{value:,.1f}"
        case _:  # pragma: no cover - the type check proves every case above is handled
            assert_never(kind)


ABBREVIATED_FROM = 10_000
"""The smallest value ``shown(..., short=True)`` abbreviates: below it, the whole number is no wider."""


def abbreviated(value: float) -> str:
    """A number of 1,000 or more to three significant figures with its thousands' suffix: 34,120 is 34.1k, 129,300
    is 129k, 1,234,567 is 1.23M, 5e9 is 5.00B (and 4e12 is 4000B: there is no larger suffix)."""
    scaled, suffixes = abs(value) / 1000, "kMB"
    while scaled >= 999.5 and len(suffixes) > 1:  # 999,999 rounds to 1.00M, not 1000k
        scaled, suffixes = scaled / 1000, suffixes[1:]
    digits = 2 if scaled < 9.995 else 1 if scaled < 99.95 else 0
    return f"{'-' if value < 0 else ''}{scaled:.{digits}f}{suffixes[0]}"


def share(part: float | None, whole: float | None) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    if part is None or not whole:
        return None
    return part / whole


def per(amount: float | None, count: int | None) -> float | None:
    """A cost per unit: None when there is no cost recorded or nothing to divide it by."""
    if amount is None or not count:
        return None
    return amount / count
