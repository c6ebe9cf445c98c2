"""What every report hands back: a title, typed columns and rows of plain values.

The CLI renders a report as a table, JSON or CSV, and the web dashboard charts the same rows, so a report is
data, not text. Each column says what kind of number it holds (a count, money, a share between 0 and 1, days,
working hours...), which is all a renderer needs to format it. A value that cannot be computed, such as a
rate over nothing or the cost of a campaign with no cost recorded, is None: shown as such, never as zero.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import IO, Any


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


def clean(value: Any) -> Any:
    """Plain JSON values: NaN and infinities (a rate over nothing) become None, whole floats stay floats."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


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
