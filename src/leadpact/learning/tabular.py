"""A customer table as the profile sees it: read from any CSV export, each column typed, and turned into numbers.

A table exported from an ERP or a CRM has no schema: numbers arrive as text, with thousands separators, currency
signs or decimal commas; missing values are written many ways (empty, ``NA``, ``null``, ``?``); some columns are
identifiers (a customer number, an email) that say nothing about who buys, some hold one value in every row.
``type_column`` decides what each column is from its values alone; an identifier or a constant column is left
out, with the reason, so that the profile says what it did not use.

The ``Encoder`` holds what was decided and turns any table with those columns (the learning table, or a list to
score, whose columns may be missing or in another order) into one matrix of numbers: a number as itself, a date
as days since 1970, a category as the code of its level (levels too rare to learn from share one code), and a
missing value as NaN.
"""

from __future__ import annotations

import csv
import io
import math
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd  # type: ignore[import-untyped]

from leadpact.domain.errors import InvalidInput

MISSING_TOKENS = frozenset(
    {"", "na", "n/a", "nan", "null", "none", "nil", "?", "-", "--", "#n/a", "missing", "undefined", "(blank)"}
)
"""Cell values that mean "no value", compared without regard to case."""

NUMBER_SHARE = 0.95
"""A column is numeric when at least this share of its values read as numbers (the rest become missing), or when
at least half do and the rest are a few codes (``unknown``, ``never``, ``n.a.``), which become missing too."""
CODES = 5
ID_SHARE = 0.9
"""A text column whose values differ in at least this share of the rows names each row: an identifier."""
ID_MIN_ROWS = 20
MAX_LEVELS = 200
"""The most frequent levels of a category kept; the rest share the code of "another value"."""
MIN_LEVEL_ROWS = 5
DAY_SECONDS = 86_400
_ID_NAME = re.compile(r"(?i)(^|[^a-z])(id|ids|key|uuid|guid|no|nr|num|number|row|index)([^a-z]|$)|id$")
_DATE_LIKE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([ T].*)?$|^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}( .*)?$")
_DATE_FORMATS = ("ISO8601", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%m/%d/%y", "%d/%m/%y")
_DECIMAL_COMMA = re.compile(r"^[-+]?\d+,\d{1,2}$|^[-+]?\d+,\d{4,}$|^[-+]?\d{1,3}(\.\d{3})+,\d+$")
_THOUSANDS_DOT_DECIMAL = re.compile(r"\d,\d{3}\.\d")
_NOISE = re.compile("[\\s\u00a0'\u2019$€£¥%]")


class Kind(StrEnum):
    """What a column holds, as read from its values."""

    NUMBER = "number"
    DATE = "date"
    CATEGORY = "category"
    ID = "identifier"
    CONSTANT = "constant"
    EMPTY = "empty"


USED = (Kind.NUMBER, Kind.DATE, Kind.CATEGORY)


@dataclass(frozen=True)
class Column:
    """One column and how its values are read; ``note`` says why a column that is not used was left out."""

    name: str
    kind: Kind
    levels: tuple[str, ...] = ()
    decimal_comma: bool = False
    date_format: str | None = None
    note: str = ""

    @property
    def used(self) -> bool:
        return self.kind in USED

    @property
    def other(self) -> int:
        """The code of a level that is not one of ``levels`` (too rare when learned, or new in a scored list)."""
        return len(self.levels)


def read_table(source: Path | bytes, name: str) -> pd.DataFrame:
    """The CSV as text cells ('' when empty), headers stripped; comma, semicolon, tab or bar separated.

    Raises ``InvalidInput`` naming the file (``name``) and, for a malformed row, its line.
    """
    try:
        data = source.read_bytes() if isinstance(source, Path) else source
    except OSError as exc:
        raise InvalidInput(f"{name}: cannot read the file ({exc.strerror or exc})") from exc
    text = _decoded(data)
    first = text.split("\n", 1)[0]
    if not first.strip():
        raise InvalidInput(f"{name}: the file is empty or its first line names no columns")
    delimiter = _delimiter(first)
    headers = [h.strip() or f"column {i}" for i, h in enumerate(next(csv.reader([first], delimiter=delimiter)), 1)]
    twice = sorted({h for h in headers if headers.count(h) > 1})
    if twice:
        raise InvalidInput(f"{name}: the column {twice[0]!r} is named twice in the first line")
    try:
        with warnings.catch_warnings():  # a first row too long is only a warning to pandas: an error here
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                io.StringIO(text),
                sep=delimiter,
                names=headers,
                header=0,
                index_col=False,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=True,
            )
    except (pd.errors.ParserError, pd.errors.ParserWarning, ValueError) as exc:
        raise InvalidInput(f"{name}: {_parser_problem(text, delimiter, len(headers), str(exc))}") from exc
    frame.attrs["delimiter"] = delimiter
    return frame


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # the usual encoding of spreadsheet exports otherwise


def _delimiter(header: str) -> str:
    unquoted = re.sub(r'"[^"]*"', "", header)
    counts = {d: unquoted.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _parser_problem(text: str, delimiter: str, width: int, message: str) -> str:
    """Where the file breaks: the first row with more values than the first line names columns."""
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    for row in rows:
        if len(row) > width:
            return f"line {rows.line_num}: {len(row)} values where the first line names {width} columns"
    return message.strip().splitlines()[-1]


def cleaned(values: pd.Series) -> pd.Series:
    """The cells stripped, with every way of writing "no value" made NaN."""
    text = values.astype("string").str.strip()
    return text.mask(text.str.lower().isin(MISSING_TOKENS)).astype(object)


def parse_numbers(values: pd.Series, decimal_comma: bool) -> np.ndarray:
    """Cleaned cells as floats: thousands separators, currency signs, spaces and % removed; NaN where not a number."""
    text = values.astype("string").str.replace(_NOISE, "", regex=True)
    text = text.str.replace(r"^\((.*)\)$", r"-\1", regex=True)  # accounting's (123) for -123
    if decimal_comma:
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        text = text.str.replace(",", "", regex=False)
    numbers = np.array(pd.to_numeric(text, errors="coerce").astype(float).to_numpy(), dtype=float)
    numbers[~np.isfinite(numbers)] = np.nan
    return numbers


def parse_dates(values: pd.Series, date_format: str) -> np.ndarray:
    """Cleaned cells as days since 1970-01-01 (UTC); NaN where not a date of that format."""
    moments = pd.to_datetime(values, format=date_format, errors="coerce", utc=True)
    seconds = (moments - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    return np.asarray(seconds.to_numpy(dtype=float, na_value=np.nan) / DAY_SECONDS, dtype=float)


def type_column(name: str, raw: pd.Series, delimiter_semicolon: bool = False) -> Column:
    """What the column holds, decided from its values."""
    values = cleaned(raw)
    present = values.dropna()
    n = len(present)
    if n == 0:
        return Column(name, Kind.EMPTY, note="no value in any row")
    distinct = int(present.nunique())
    if distinct == 1 and n == len(values):
        return Column(name, Kind.CONSTANT, note=f"the same value ({present.iloc[0]}) in every row")
    comma = _decimal_comma(present, delimiter_semicolon)
    numbers = parse_numbers(present, comma)
    parsed = np.isfinite(numbers)
    codes = present[~parsed].nunique()
    if parsed.mean() >= NUMBER_SHARE or (parsed.mean() >= 0.5 and codes <= CODES and distinct - codes > 2 * CODES):
        found = numbers[parsed]
        if _numbered_rows(name, found, n):
            return Column(name, Kind.ID, note="a different whole number in every row: an identifier")
        return Column(name, Kind.NUMBER, decimal_comma=comma)
    date_format = _date_format(present)
    if date_format is not None:
        return Column(name, Kind.DATE, date_format=date_format)
    if n >= ID_MIN_ROWS and distinct >= ID_SHARE * n:
        return Column(name, Kind.ID, note="a different value in almost every row: an identifier or free text")
    counts = present.value_counts(sort=False)
    frequent = counts[counts >= min(MIN_LEVEL_ROWS, int(counts.max()))]
    ordered = sorted(frequent.items(), key=lambda item: (-int(item[1]), str(item[0])))[:MAX_LEVELS]
    return Column(name, Kind.CATEGORY, levels=tuple(str(level) for level, _ in ordered))


def _decimal_comma(present: pd.Series, semicolon: bool) -> bool:
    with_comma = present[present.astype("string").str.contains(",", regex=False)].astype("string")
    if with_comma.empty:
        return False
    if with_comma.str.match(_DECIMAL_COMMA).any():
        return True
    return semicolon and not with_comma.str.contains(_THOUSANDS_DOT_DECIMAL).any()


def _numbered_rows(name: str, numbers: np.ndarray, n: int) -> bool:
    """A whole number different in every row, named like an identifier or running densely: a row's number."""
    if n < ID_MIN_ROWS or len(np.unique(numbers)) < n or not np.all(numbers == np.round(numbers)):
        return False
    dense = float(numbers.max() - numbers.min()) + 1 <= 10 * n
    return dense or bool(_ID_NAME.search(name))


def _date_format(present: pd.Series) -> str | None:
    sample = present.astype("string").head(2000)
    if sample.str.match(_DATE_LIKE).mean() < NUMBER_SHARE:
        return None
    best, share = None, 0.0
    for date_format in _DATE_FORMATS:
        parsed = pd.to_datetime(sample, format=date_format, errors="coerce").notna().mean()
        if parsed > share:
            best, share = date_format, float(parsed)
    return best if share >= NUMBER_SHARE else None


@dataclass
class Encoder:
    """The columns of a learning table, typed, and how to turn a table with them into a matrix of numbers."""

    columns: list[Column]
    medians: list[float] = field(default_factory=list)
    """Each used column's typical value in the learning table, as the matrix holds it (for a category, the code of
    its most frequent level): the reference a row's value is compared with to explain its score."""

    @classmethod
    def learned(cls, frame: pd.DataFrame, names: Sequence[str]) -> Encoder:
        semicolon = frame.attrs.get("delimiter") == ";"
        encoder = cls([type_column(name, frame[name], semicolon) for name in names])
        matrix = encoder.matrix(frame)
        encoder.medians = [_typical(matrix[:, i], c) for i, c in enumerate(encoder.used)]
        return encoder

    @property
    def used(self) -> list[Column]:
        return [c for c in self.columns if c.used]

    @property
    def dropped(self) -> list[Column]:
        return [c for c in self.columns if not c.used]

    @property
    def categorical(self) -> np.ndarray:
        """Which columns of the matrix are category codes."""
        return np.array([c.kind == Kind.CATEGORY for c in self.used], dtype=bool)

    def missing_from(self, frame: pd.DataFrame) -> list[str]:
        """The used columns ``frame`` does not have (matched as ``matrix`` matches them)."""
        return [c.name for c in self.used if header_for(c.name, frame.columns) is None]

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """One row per row of ``frame``, one column per used column; a column ``frame`` lacks is all missing."""
        out = np.full((len(frame), len(self.used)), np.nan)
        for i, column in enumerate(self.used):
            header = header_for(column.name, frame.columns)
            if header is not None:
                out[:, i] = values_of(column, cleaned(frame[header]))
        return out

    def shown(self, index: int, value: float) -> str:
        """A value of the matrix's column ``index`` in words, as the table wrote it."""
        return shown(self.used[index], value)


def values_of(column: Column, values: pd.Series) -> np.ndarray:
    """Cleaned cells of one column as the matrix holds them."""
    if column.kind == Kind.NUMBER:
        return parse_numbers(values, column.decimal_comma)
    if column.kind == Kind.DATE:
        assert column.date_format is not None
        return parse_dates(values, column.date_format)
    text = values.astype("string")
    codes = pd.Index(list(column.levels), dtype=object).get_indexer(text.fillna("").to_numpy(dtype=object))
    codes = codes.astype(float)
    codes[codes < 0] = float(column.other)  # a level not kept
    codes[text.isna().to_numpy()] = np.nan
    return np.asarray(codes, dtype=float)


def shown(column: Column, value: float) -> str:
    """A value as a person reads it: a category's level, a date, or a number with thousands separators."""
    if math.isnan(value):
        return "missing"
    if column.kind == Kind.CATEGORY:
        code = int(value)
        return column.levels[code] if code < len(column.levels) else "another value"
    if column.kind == Kind.DATE:
        return str(pd.Timestamp(value * DAY_SECONDS, unit="s").date())
    return number_words(value)


def number_words(value: float) -> str:
    if value == round(value) and abs(value) < 1e15:
        return f"{round(value):,}"
    return f"{value:,.3g}" if abs(value) >= 1 else f"{value:.3g}"


def _typical(values: np.ndarray, column: Column) -> float:
    present = values[~np.isnan(values)]
    if present.size == 0:
        return float("nan")
    if column.kind == Kind.CATEGORY:
        return float(np.bincount(present.astype(int)).argmax())
    return float(np.median(present))


def header_for(name: str, headers: Iterable[str]) -> str | None:
    """The header of ``headers`` that is the column ``name``: the same, else the same but for case, spaces and
    punctuation (a scored list's ``Company Size`` is the learning table's ``company_size``)."""
    listed = [str(h) for h in headers]
    if name in listed:
        return name
    key = _key(name)
    return next((h for h in listed if _key(h) == key), None)


def _key(header: str) -> str:
    return re.sub(r"[\s_\-.]+", "", header.strip().lower())
