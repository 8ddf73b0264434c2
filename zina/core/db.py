"""Bulk writes for imports: plain INSERTs through executemany.

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
    opts = model._meta
    columns: list[Any] = [opts.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608  (names come from the model)
        quote(opts.db_table),
        ", ".join(quote(f.column) for f in columns),
        ", ".join(["%s"] * len(columns)),
    )
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
