"""Bulk writes for the hot paths (event ingestion, rescore): one driver ``executemany`` per statement.

The ORM's per-row bookkeeping costs more than the database's own work when a million events arrive; these
helpers hand plain tuples straight to the driver, in the dialect's parameter style.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadpact.store.unit_of_work import UnitOfWork


def _marks(uow: UnitOfWork, count: int) -> list[str]:
    mark = "?" if uow.engine.dialect.paramstyle == "qmark" else "%s"
    return [mark] * count


def insert_rows(uow: UnitOfWork, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    if not rows:
        return
    marks = ", ".join(_marks(uow, len(columns)))
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    uow.session.connection().exec_driver_sql(sql, list(rows))


def update_rows(uow: UnitOfWork, table: str, columns: Sequence[str], key: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """``UPDATE table SET columns... WHERE key = ?``; each row holds the new values, then the key."""
    if not rows:
        return
    marks = _marks(uow, len(columns) + 1)
    assignments = ", ".join(f"{c} = {m}" for c, m in zip(columns, marks, strict=False))
    sql = f"UPDATE {table} SET {assignments} WHERE {key} = {marks[-1]}"
    uow.session.connection().exec_driver_sql(sql, list(rows))


def lookup(
    uow: UnitOfWork, table: str, key: str, value: str, keys: Sequence[Any], chunk: int = 2_000
) -> dict[Any, Any]:
    """{key: value} for those ``keys`` the table holds (the key column should be indexed)."""
    found: dict[Any, Any] = {}
    connection = uow.session.connection()
    for start in range(0, len(keys), chunk):
        part = tuple(keys[start : start + chunk])
        marks = ", ".join(_marks(uow, len(part)))
        sql = f"SELECT {key}, {value} FROM {table} WHERE {key} IN ({marks})"
        found.update((k, v) for k, v in connection.exec_driver_sql(sql, part))
    return found
