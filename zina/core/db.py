"""Plain statements where the ORM's compilation costs more than the query: bulk writes for
imports (INSERTs through executemany), and the few one-row statements on every request.

Django's ``bulk_create`` builds a model instance and compiles SQL for every row; for imports
of hundreds of thousands of rows that overhead dominates. ``bulk_insert`` takes plain values,
prepares each through its model field (so JSON, dates and decimals are adapted exactly as the
ORM would) and sends them in batches. It runs no ``save()``, signals or defaults: pass every
column the table needs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def bulk_insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[Sequence[Any]],
    batch_size: int = 2000,
) -> int:
    """Insert ``rows`` (values in the order of ``fields``; foreign keys by ``*_id``)."""
    sql, columns = _insert(model, fields)
    count = 0
    batch: list[list[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(
                [f.get_db_prep_save(v, connection) for f, v in zip(columns, row, strict=True)]
            )
            if len(batch) >= batch_size:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _insert(model: type[models.Model], fields: Sequence[str]) -> tuple[str, list[Any]]:
    """The INSERT statement of ``fields`` of ``model``, and those fields."""
    opts = model._meta
    columns: list[Any] = [opts.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608  (names come from the model)
        quote(opts.db_table),
        ", ".join(quote(f.column) for f in columns),
        ", ".join(["%s"] * len(columns)),
    )
    return sql, columns


def insert_one(model: type[models.Model], values: dict[str, Any]) -> int:
    """Insert one row (values by field name, adapted as the ORM would; no ``save()``, signals
    or defaults) and return its primary key."""
    sql, columns = _insert(model, list(values))
    pk: Any = model._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(
            f"{sql} RETURNING {connection.ops.quote_name(pk.column)}",
            [
                f.get_db_prep_save(v, connection)
                for f, v in zip(columns, values.values(), strict=True)
            ],
        )
        (new_id,) = cursor.fetchone()
    return int(new_id)


def select_rows(
    model: type[models.Model], fields: Sequence[str], **equal: Any
) -> list[tuple[Any, ...]]:
    """``fields`` of the rows of ``model`` whose fields equal these values (by field name;
    foreign keys by their id)."""
    opts = model._meta
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        field: Any = opts.get_field(name)
        return quote(field.column)

    sql = "SELECT {} FROM {} WHERE {}".format(  # noqa: S608  (names come from the model)
        ", ".join(map(column, fields)),
        quote(opts.db_table),
        " AND ".join(f"{column(name)} = %s" for name in equal),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, list(equal.values()))
        return cursor.fetchall()
