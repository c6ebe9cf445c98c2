"""The versions pinned for Ibis hold what the analytics rely on (docs/decisions/0025).

Ibis 12.0 with sqlglot 30.18 or newer fails to create a table from an Arrow table on DuckDB and SQLite: the copy
of the store into DuckDB does exactly that. This test fails if the pin in pyproject.toml is lifted while the
break remains, and says so.
"""

from __future__ import annotations

import ibis
import pyarrow as pa  # type: ignore[import-untyped]
import pytest


@pytest.mark.parametrize("backend", ["duckdb", "sqlite"])
def test_a_table_is_created_from_an_arrow_table(backend: str) -> None:
    con = getattr(ibis, backend).connect()
    try:
        made = con.create_table("leads", pa.table({"id": [1, 2, 3]}))
        assert made.count().execute() == 3
        kept = con.create_table("kept", made.filter(made.id > 1), temp=True)
        assert kept.id.sum().execute() == 5
    finally:
        con.disconnect()
