"""How every command prints a table: its columns declared once, laid out to the width of the terminal.

A table must read well in an ordinary terminal of 80 or 120 columns. A number is never cut or wrapped: its column
is at least as wide as its widest value, and where space is short money and large counts are abbreviated ($34.1k)
rather than cut. An email, an id or a stage stays whole on one line, so it can be read and copied. Text wraps at
its words and gives way first. Each table declares the columns it shows by default; ``--wide`` shows every one and
``--columns`` the ones named. Columns that still do not fit continue in a table below, the first column repeated,
rather than being squeezed to "…".
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.box import Box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table as RichTable

from leadpact.cli.common import out
from leadpact.domain.errors import InvalidInput
from leadpact.domain.report import NOTHING, Kind, shown

Columns = Annotated[
    str | None,
    typer.Option(
        "--columns",
        help="Show only these columns of the table, in this order: their names, comma separated, as --json names "
        "the fields where it has them (e.g. email,stage,score). A name that is no column is refused with the "
        "names there are.",
        show_default=False,
    ),
]
Wide = Annotated[bool, typer.Option("--wide", help="Show every column of the table, not only the default ones.")]


class Whole(StrEnum):
    """A value kept whole on one line at any width: it is read, or copied, as one."""

    WORD = "word"  # left-aligned: an email, an id, a stage, a moment
    FIGURE = "figure"  # right-aligned: a number as the command writes it (a score, points, a probability)


@dataclass(frozen=True)
class Column:
    """A column of a table: its name (what --columns takes), what its values are, its heading (the name when none
    is given), and whether it is left out unless asked for (with --wide, or named by --columns).

    A value of a report kind (a count, money, a share...) is written by ``domain.report.shown``; a ``Kind.TEXT``
    or ``Whole`` value as the command gives it. None is a dash, as in the reports.
    """

    key: str
    kind: Kind | Whole = Kind.TEXT
    title: str = ""
    wide: bool = False

    @property
    def heading(self) -> str:
        return self.title or self.key


@dataclass(frozen=True)
class View:
    """Which columns a command's tables show: the default ones, every one (``wide``) or those ``names`` names, in
    that order."""

    names: tuple[str, ...] | None = None
    wide: bool = False

    def check(self, keys: Iterable[str]) -> None:
        """Refuse a name that is none of the columns' ``keys``, saying which names there are."""
        known = list(dict.fromkeys(keys))
        unknown = [name for name in self.names or () if name not in known]
        if unknown:
            raise InvalidInput(f"no column {', '.join(unknown)}; the columns are {', '.join(known)}", "columns")

    def within(self, columns: Sequence[Column]) -> View:
        """This view for one of several tables that share --columns: the names this one has (maybe none)."""
        if self.names is None:
            return self
        return View(tuple(name for name in self.names if any(column.key == name for column in columns)))

    def pick(self, columns: Sequence[Column]) -> list[int]:
        """The places of the columns shown, in the order shown."""
        if self.names is not None:
            where = {column.key: i for i, column in enumerate(columns)}
            return [where[name] for name in self.names if name in where]
        return [i for i, column in enumerate(columns) if self.wide or not column.wide]


DEFAULT = View()


def view(columns: str | None, wide: bool) -> View:
    """The view the --columns and --wide options ask for."""
    if columns is None:
        return View(wide=wide)
    if wide:
        raise InvalidInput("--columns and --wide: choose one")
    names = tuple(dict.fromkeys(name.strip() for name in columns.split(",") if name.strip()))
    if not names:
        raise InvalidInput("name at least one column, e.g. --columns email,stage", "columns")
    return View(names)


class Table:
    """A table of declared columns, filled row by row (a value for every column, shown or not), printed to the
    console's width."""

    def __init__(self, columns: Sequence[Column], chosen: View = DEFAULT, title: str | None = None) -> None:
        chosen.check(column.key for column in columns)
        self.columns = tuple(columns)
        self.view = chosen
        self.shown = chosen.pick(columns)
        self.title = title
        self.rows: list[tuple[Any, ...]] = []

    def add(self, *values: Any) -> None:
        if len(values) != len(self.columns):
            raise ValueError(f"{len(values)} values for {len(self.columns)} columns")
        self.rows.append(values)

    @property
    def left_out(self) -> list[str]:
        """The columns the default view leaves out (none when the columns are chosen)."""
        return [] if self.view != DEFAULT else [c.key for i, c in enumerate(self.columns) if i not in self.shown]

    def print(self, console: Console = out, hint: bool = True, empty: str | None = None) -> None:
        """The title, then the table as wide as the console, continued below with its first column repeated if
        its columns do not fit side by side; then, if ``hint``, how many columns --wide would add. A table without
        rows is only the line ``empty`` when one is given."""
        if empty is not None and not self.rows:
            console.print(empty)
            return
        if not self.shown:
            return
        if self.title:
            console.print(self.title)
        laid = [_Laid.of(self.columns[i], [row[i] for row in self.rows]) for i in self.shown]
        for n, panel in enumerate(_panels(laid, console.width)):
            if n:
                console.print()
            _fit(panel, console.width)
            console.print(_rendered(panel, len(self.rows)))
        if hint:
            hinted(console, self.left_out)


def indented(line: str, console: Console = out) -> None:
    """A line under a table, such as a report's note, indented by two; wrapped, it stays indented."""
    console.print(
        textwrap.fill(line, console.width, initial_indent="  ", subsequent_indent="  ", break_long_words=False)
    )


def hinted(console: Console, left_out: Sequence[str]) -> None:
    """Say that the default view left columns out, and how to see them."""
    if left_out:
        console.print(f"(--wide shows {len(left_out)} more column{'s' if len(left_out) > 1 else ''})")


GAP = 2
"""The blank between two columns: the rule's blank upright and the next cell's left padding."""
TEXT_LEAST = 10
"""The narrowest a text column gets before the table continues below: a longer word folds."""


def _longest(texts: Iterable[str]) -> int:
    return max((cell_len(text) for text in texts), default=0)


def _longest_word(texts: Iterable[str]) -> int:
    return _longest(word for text in texts for word in text.split())


def _written(kind: Kind | Whole, value: Any, short: bool) -> str:
    if isinstance(kind, Kind):
        return shown(kind, value, short)
    return NOTHING if value is None else str(value)


@dataclass
class _Laid:
    """A column being laid out: its cells in full and abbreviated, the widths it may narrow to, stage by stage (each
    no wider than the one before), and the width it has now."""

    column: Column
    full: list[str]
    short: list[str]
    natural: int  # every cell and the heading on one line
    paired: int  # the heading on two lines at most
    worded: int  # and text wrapped at its words
    headed: int  # and the heading wrapped at each of its words
    abbreviation: int  # and numbers written short
    least: int  # and text's longest words folded
    width: int = 0
    abbreviated: bool = False

    @classmethod
    def of(cls, column: Column, values: list[Any]) -> _Laid:
        full = [_written(column.kind, value, short=False) for value in values]
        short = [_written(column.kind, value, short=True) for value in values]
        word = _longest_word([column.heading])
        pair = next(w for w in itertools.count(word) if len(textwrap.wrap(column.heading, w)) <= 2)
        natural = max(cell_len(column.heading), _longest(full))
        if column.kind == Kind.TEXT:
            words = _longest_word(full)
            paired, worded, headed = max(pair, _longest(full)), max(pair, words), max(word, words)
            return cls(column, full, short, natural, paired, worded, headed, headed, max(word, min(words, TEXT_LEAST)))
        paired, headed, abbreviation = max(pair, _longest(full)), max(word, _longest(full)), max(word, _longest(short))
        return cls(column, full, short, natural, paired, paired, headed, abbreviation, abbreviation)

    @property
    def cells(self) -> list[str]:
        return self.short if self.abbreviated else self.full

    @property
    def right(self) -> bool:
        return self.column.kind not in (Kind.TEXT, Whole.WORD)


_Measure = Callable[["_Laid"], int]


def _excess(laid: Sequence[_Laid], width: int, each: _Measure = lambda column: column.width) -> int:
    return sum(each(column) for column in laid) + GAP * (len(laid) - 1) - width


def _narrow(laid: Sequence[_Laid], floor: _Measure, width: int) -> None:
    """Narrow the columns wider than their ``floor``, the widest first, until the table fits ``width``."""
    for _ in range(_excess(laid, width)):
        roomy = [column for column in laid if column.width > floor(column)]
        if not roomy:
            return
        max(roomy, key=lambda column: column.width).width -= 1


def _fit(laid: Sequence[_Laid], width: int) -> None:
    """Narrow the columns to ``width`` in the order that costs the reader least: headings wrap to two lines, then
    text wraps at its words, then headings wrap at each word, then numbers are abbreviated (the column that saves
    most first), then long words of text fold. Only a table too wide even then (a column wider than the whole
    terminal) has any value folded."""
    for column in laid:
        column.width, column.abbreviated = column.natural, False
    _narrow(laid, lambda column: column.paired, width)
    _narrow(laid, lambda column: column.worded, width)
    _narrow(laid, lambda column: column.headed, width)
    while _excess(laid, width) > 0:
        savings = [column for column in laid if column.abbreviation < column.width and not column.abbreviated]
        if not savings:
            break
        column = max(savings, key=lambda column: column.width - column.abbreviation)
        column.width, column.abbreviated = column.abbreviation, True
    _narrow(laid, lambda column: column.least, width)
    _narrow(laid, lambda column: 1, width)


def _panels(laid: list[_Laid], width: int) -> list[list[_Laid]]:
    """The columns in tables one below the other, each starting with the first column again: the whole table if
    it fits the width at its narrowest, else as many columns side by side as fit with their text and headings
    wrapped but nothing abbreviated or folded."""
    if _excess(laid, width, lambda column: column.least) <= 0:
        return [laid]
    panels, current = [], [laid[0]]
    for column in laid[1:]:
        if len(current) > 1 and _excess([*current, column], width, lambda column: column.headed) > 0:
            panels.append(current)
            current = [laid[0]]
        current.append(column)
    return [*panels, current]


RULED = Box("    \n    \n ─  \n    \n    \n    \n    \n    \n")
"""No borders: a rule under the headings only, broken between the columns so that it shows where each starts."""


def _rendered(laid: Sequence[_Laid], rows: int) -> RichTable:
    table = RichTable(box=RULED, show_edge=False, pad_edge=False, padding=(0, 0, 0, 1))
    for column in laid:
        table.add_column(
            column.column.heading, width=column.width, justify="right" if column.right else "left", overflow="fold"
        )
    for i in range(rows):
        table.add_row(*(column.cells[i] for column in laid))
    return table
