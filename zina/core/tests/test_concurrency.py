"""Concurrent writers: with WAL, IMMEDIATE transactions and a busy timeout, SQLite queues them
instead of failing with "database is locked". (On PostgreSQL the same test checks that the
operations are safe to run in parallel.)"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from zina.accounts import operations as ops
from zina.accounts.models import Institution, User
from zina.core.models import AuditEvent

THREADS = 4
WRITES = 15


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_all_succeed() -> None:
    root = User.objects.create_superuser("root-concurrency", password="x")
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(WRITES):
                ops.create_institution(
                    actor=root, data=ops.InstitutionData(code=f"t{n}-{i}", name=f"Iestāde {n} {i}")
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert Institution.objects.count() == THREADS * WRITES
    assert AuditEvent.objects.filter(verb="institution.created").count() == THREADS * WRITES
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
