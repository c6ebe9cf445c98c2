"""A customer table read from any CSV export: separators, encodings, missing values, numbers written as text,
identifiers and constant columns told apart, and bad files refused with the file and line named."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import pytest

from leadpact.domain.errors import InvalidInput
from leadpact.learning.tabular import Encoder, Kind, header_for, read_table, shown, type_column


def column(values: list[str], name: str = "x", semicolon: bool = False) -> tuple[Kind, str]:
    found = type_column(name, pd.Series(values, dtype=object), semicolon)
    return found.kind, found.note


def test_a_semicolon_file_with_decimal_commas_and_a_bom_reads_as_numbers() -> None:
    data = "\ufeffname;revenue;share\nA;1.234,50;12%\nB;99,5;3%\n".encode()
    frame = read_table(data, "list.csv")
    assert list(frame.columns) == ["name", "revenue", "share"]
    encoder = Encoder.learned(frame, ["revenue", "share"])
    assert encoder.matrix(frame).tolist() == [[1234.5, 12.0], [99.5, 3.0]]


def test_numbers_stored_as_text_with_separators_currency_and_gaps_are_numbers() -> None:
    values = ["$1,200", "3,400,000", "", "N/A", "(250)", "17", "2,050.75", "null", "9", "10"]
    frame = pd.DataFrame({"revenue": values})
    encoder = Encoder.learned(frame, ["revenue"])
    assert encoder.used[0].kind == Kind.NUMBER
    matrix = encoder.matrix(frame)[:, 0]
    assert matrix[[0, 1, 4, 5, 6]].tolist() == [1200.0, 3_400_000.0, -250.0, 17.0, 2050.75]
    assert np.isnan(matrix[[2, 3, 7]]).all()
    assert encoder.medians == [17.0]


def test_a_number_column_with_a_few_text_codes_stays_a_number() -> None:
    values = [str(v) for v in range(30)] + ["unknown"] * 10 + ["never"] * 5
    assert column(values, "days_since_contact")[0] == Kind.NUMBER
    bands = ["1-10", "11-50", "51-200", "201-1000", "1000+"] * 10
    assert column(bands, "size_band")[0] == Kind.CATEGORY


def test_identifiers_constants_and_empty_columns_are_told_apart_from_features() -> None:
    rows = 60
    assert column([f"C-{i:05d}" for i in range(rows)], "customer")[0] == Kind.ID
    assert column([str(70_000 + i * 3) for i in range(rows)], "account")[0] == Kind.ID  # a running number
    assert column([str(10**6 + i * 7919) for i in range(rows)], "lead_number")[0] == Kind.ID  # named one
    assert column([str(10**6 + i * 7919) for i in range(rows)], "revenue")[0] == Kind.NUMBER  # spread: a value
    assert column([f"{i * 1.37:.2f}" for i in range(rows)], "balance")[0] == Kind.NUMBER
    assert column(["crm"] * rows, "system") == (Kind.CONSTANT, "the same value (crm) in every row")
    assert column(["crm"] * (rows - 5) + [""] * 5, "system")[0] == Kind.CATEGORY  # present or not says something
    assert column([""] * rows, "notes")[0] == Kind.EMPTY


def test_rare_levels_and_levels_first_seen_in_a_list_share_one_code() -> None:
    learning = pd.DataFrame({"industry": ["retail"] * 10 + ["logistics"] * 6 + ["mining"] * 2 + [""] * 2})
    encoder = Encoder.learned(learning, ["industry"])
    assert encoder.used[0].levels == ("retail", "logistics")
    scored = pd.DataFrame({"Industry ": ["logistics", "mining", "space", "", "retail"]})
    codes = encoder.matrix(scored)[:, 0]
    assert codes[[0, 1, 2, 4]].tolist() == [1.0, 2.0, 2.0, 0.0]
    assert math.isnan(codes[3])
    assert [encoder.shown(0, v) for v in codes] == ["logistics", "another value", "another value", "missing", "retail"]


def test_dates_are_days_and_read_back_as_dates() -> None:
    frame = pd.DataFrame({"signed": ["2026-01-01", "2026-01-31", "", "2025-12-31"]})
    encoder = Encoder.learned(frame, ["signed"])
    assert encoder.used[0].kind == Kind.DATE
    days = encoder.matrix(frame)[:, 0]
    assert days[1] - days[0] == 30
    assert shown(encoder.used[0], days[3]) == "2025-12-31"


def test_a_list_names_its_columns_its_own_way() -> None:
    assert header_for("company_size", ["Email", "Company Size"]) == "Company Size"
    assert header_for("company_size", ["company_size", "Company Size"]) == "company_size"
    assert header_for("title", ["Email"]) is None


def test_an_unnamed_first_column_is_named_and_a_malformed_row_is_refused_with_its_line() -> None:
    frame = read_table(b",industry\n0,retail\n1,logistics\n", "export.csv")
    assert list(frame.columns) == ["column 1", "industry"]
    with pytest.raises(InvalidInput, match=r"^list\.csv: line 3: 3 values where the first line names 2 columns$"):
        read_table(b"a,b\n1,2\n1,2,3\n", "list.csv")
    with pytest.raises(InvalidInput, match=r"^list\.csv: line 2: 3 values where the first line names 2 columns$"):
        read_table(b"a,b\n1,2,3\n", "list.csv")  # not a first column taken for row names
    with pytest.raises(InvalidInput, match="the column 'a' is named twice"):
        read_table(b"a,b,a\n1,2,3\n", "list.csv")
    with pytest.raises(InvalidInput, match="empty"):
        read_table(b"\n", "empty.csv")


def test_a_spreadsheet_export_in_windows_encoding_is_read() -> None:
    frame = read_table("city,bought\nK\u00f6ln,yes\n".encode("cp1252"), "export.csv")
    assert frame["city"].tolist() == ["K\u00f6ln"]
