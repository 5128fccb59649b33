"""Fast bulk writes for generated or imported data: plain parameterised executemany.

The ORM's bulk_create builds a model instance and compiles SQL per row, which dominates
when loading millions of rows; the rows here are already validated plain tuples.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Model


def insert_rows(
    model: type[Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    batch: int = 10_000,
) -> int:
    """INSERT plain rows (values already in database form) into `model`'s table."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    return _execute_many(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows, batch)


def update_rows(
    model: type[Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    key: str = "id",
    batch: int = 10_000,
) -> int:
    """UPDATE `columns` by primary key; each row is (*values, key)."""
    table = connection.ops.quote_name(model._meta.db_table)
    sets = ", ".join(f"{connection.ops.quote_name(c)} = %s" for c in columns)
    where = connection.ops.quote_name(key)
    return _execute_many(f"UPDATE {table} SET {sets} WHERE {where} = %s", rows, batch)


def _execute_many(sql: str, rows: Iterable[Sequence[Any]], batch: int) -> int:
    count, chunk = 0, []
    with connection.cursor() as cursor:
        for row in rows:
            chunk.append(tuple(row))
            if len(chunk) >= batch:
                cursor.executemany(sql, chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(sql, chunk)
            count += len(chunk)
    return count


def refresh_statistics(*models: type[Model]) -> None:
    """After a bulk load, give PostgreSQL's planner fresh statistics at once instead of
    waiting for autovacuum (until then it guesses, and guesses badly on a million rows)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
