"""Keeping this node's index in step with the database.

Operations write :class:`IndexOutbox` rows in their own transaction (through the audit
observer, or :func:`touch`). This node applies them to its local index: at once after commit
when ``ZINA_SEARCH_IMMEDIATE`` is on (one process), in the worker, and before every search —
so a search never reads an index older than the database. The node's watermark (the newest
outbox row time applied) is a file in the index directory: a new or rebuilt index starts its
own.
A crash between commit and indexing loses nothing; the outbox is replayed, and replaying is
harmless (documents are replaced, not appended).
"""

from __future__ import annotations

import fcntl
import logging
import multiprocessing
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from zina.core.db import bulk_insert

from . import registry
from .engine import IndexUnavailable, TantivyEngine
from .models import IndexOutbox

log = logging.getLogger(__name__)

BATCH = 2000
_engines: dict[Path, TantivyEngine] = {}
_engines_lock = threading.Lock()
_rebuilding = threading.Event()


def index_dir() -> Path:
    return Path(settings.ZINA_INDEX_DIR)


def engine() -> TantivyEngine:
    path = index_dir()
    with _engines_lock:
        if path not in _engines:
            _engines[path] = TantivyEngine(path)
        return _engines[path]


def forget_engines() -> None:
    """Drop open engines (tests switch index directories)."""
    with _engines_lock:
        _engines.clear()
        _applied.clear()
        _signatures.clear()


# -- the outbox ------------------------------------------------------------------------------


def touch(refs: Iterable[str]) -> None:
    """Record that these documents changed; call inside the change's transaction."""
    now = timezone.now()
    rows = [[ref, now] for ref in sorted(set(refs))]
    if not rows:
        return
    bulk_insert(IndexOutbox, ["ref", "created_at"], rows)
    if getattr(settings, "ZINA_SEARCH_IMMEDIATE", True):
        transaction.on_commit(_apply_after_commit)


def observe_audited(obj: models.Model) -> None:
    touch(registry.refs_touched_by(obj))


def _apply_after_commit() -> None:
    try:
        catch_up()
    except Exception:  # the outbox keeps the change; the next search or the worker applies it
        log.exception("indexing after commit failed")


# -- the cursor and the writer lock -----------------------------------------------------------


def _cursor_file(path: Path) -> Path:
    return path / "zina-cursor"


def read_cursor(path: Path | None = None) -> datetime | None:
    """This node's watermark: the newest outbox row time it has applied (None: nothing yet,
    replay the whole outbox)."""
    try:
        return datetime.fromisoformat(_cursor_file(path or index_dir()).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _write_cursor(value: datetime, path: Path | None = None) -> None:
    target = _cursor_file(path or index_dir())
    tmp = target.with_suffix(".tmp")
    tmp.write_text(value.isoformat())
    os.replace(tmp, target)


@contextmanager
def _writer_lock(blocking: bool) -> Iterator[bool]:
    """One writer per index directory across this node's processes."""
    lock_path = index_dir().parent / f".{index_dir().name}.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# -- applying ---------------------------------------------------------------------------------


def build_docs(refs: Iterable[str]) -> tuple[list[Any], list[str]]:
    """Fresh documents for these refs from the database, and the refs to delete first."""
    by_kind: dict[str, list[int]] = {}
    for ref in refs:
        kind, _, pk = ref.partition(":")
        if kind in registry.doc_types() and pk.isdigit():
            by_kind.setdefault(kind, []).append(int(pk))
    docs: list[Any] = []
    deletes: list[str] = []
    for kind, pks in by_kind.items():
        deletes += [f"{kind}:{pk}" for pk in pks]
        docs += list(registry.get(kind).build(pks))
    return docs, deletes


def _overlap() -> timedelta:
    return timedelta(seconds=getattr(settings, "ZINA_OUTBOX_OVERLAP_SECONDS", 300))


# Per index directory, in this process: outbox rows already applied inside the overlap
# window (id → time), and the window's (watermark, count, top id) when last read.
_applied: dict[Path, dict[int, datetime]] = {}
_signatures: dict[Path, tuple[Any, ...]] = {}


def _window(mark: datetime | None) -> Any:
    rows = IndexOutbox.objects.all()
    return rows if mark is None else rows.filter(created_at__gt=mark - _overlap())


def _signature(mark: datetime | None) -> tuple[Any, ...]:
    """(watermark, rows in the window, newest id): one plain statement on the indexed time
    column (it runs before every search; compiling the ORM aggregate cost more than it)."""
    quote = connection.ops.quote_name
    table = quote(IndexOutbox._meta.db_table)
    sql = f"SELECT COUNT(*), MAX({quote('id')}) FROM {table}"  # noqa: S608 (model names)
    params: list[Any] = []
    if mark is not None:
        sql += f" WHERE {quote('created_at')} > %s"
        params.append(connection.ops.adapt_datetimefield_value(mark - _overlap()))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        count, top = cursor.fetchone()
    return (mark, count, top)


def catch_up(*, blocking: bool = False) -> int:
    """Apply outbox rows this node has not applied. Returns how many rows were applied.

    The node's watermark is the newest row time it has applied; every pass re-reads the rows
    of the last ``ZINA_OUTBOX_OVERLAP_SECONDS`` before it, because a transaction stamps its
    rows before it commits (a row can appear "in the past"). Rows applied in the window are
    remembered, so re-reading costs one aggregate query when nothing is new."""
    eng = engine()
    path = index_dir()
    if not eng.exists():
        ensure_index()
        return 0
    mark = read_cursor(path)
    if _signatures.get(path) == _signature(mark):
        eng.refresh()
        return 0
    applied_count = 0
    with _writer_lock(blocking) as locked:
        if not locked:  # another process of this node is applying them right now
            return 0
        mark = read_cursor(path)
        applied = _applied.setdefault(path, {})
        newest = mark
        batch: list[tuple[int, str, datetime]] = []

        def flush() -> None:
            docs, deletes = build_docs({ref for _, ref, _ in batch})
            eng.write(docs, deletes)
            applied.update({row_id: created for row_id, _, created in batch})
            batch.clear()

        rows = _window(mark).order_by("id").values_list("id", "ref", "created_at")
        seen: list[tuple[int, datetime]] = []
        for row_id, ref, created in rows.iterator(chunk_size=BATCH):
            seen.append((row_id, created))
            newest = created if newest is None else max(newest, created)
            if row_id not in applied:
                batch.append((row_id, ref, created))
                applied_count += 1
                if len(batch) >= BATCH:
                    flush()
        if batch:
            flush()
        if newest is not None:
            _write_cursor(newest, path)
            horizon = newest - _overlap()
            for row_id in [i for i, created in applied.items() if created <= horizon]:
                del applied[row_id]
        # The signature of the rows actually read: a row committed meanwhile changes the
        # next signature, so the next pass reads it.
        kept = [i for i, c in seen if newest is None or c > newest - _overlap()]
        _signatures[path] = (newest, len(kept), max(kept, default=None))
    return applied_count


def prune_outbox(days: int | None = None) -> int:
    """Forget outbox rows every node has had ample time to apply."""
    keep = days if days is not None else getattr(settings, "ZINA_OUTBOX_KEEP_DAYS", 7)
    deleted, _ = IndexOutbox.objects.filter(
        created_at__lt=timezone.now() - timedelta(days=keep)
    ).delete()
    return deleted


# -- rebuilding -------------------------------------------------------------------------------


def indexable_count() -> int:
    return sum(d.model._default_manager.count() for d in registry.doc_types().values())


def _prepare(task: tuple[str, list[int]]) -> tuple[int, list[dict[str, Any]]]:
    """Build and analyse the documents of some rows (in a worker process when rebuilding)."""
    kind, pks = task
    return len(pks), [TantivyEngine.prepare(doc) for doc in registry.get(kind).build(pks)]


def _prepared(tasks: list[tuple[str, list[int]]], workers: int) -> Iterator[Any]:
    if workers <= 1:
        yield from map(_prepare, tasks)
        return
    from django.db import connections

    connections.close_all()  # each forked worker opens its own connection
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(_prepare, tasks)


def rebuild(progress: Callable[[int], None] | None = None, *, batch: int = 500) -> int:
    """Build a new index from the database beside the current one and swap it in. Changes
    committed meanwhile are in the outbox and are applied after the swap. Large rebuilds
    build and analyse documents in ``ZINA_INDEX_WORKERS`` processes."""
    from django.db import connection

    final = index_dir()
    fresh = final.with_name(final.name + ".new")
    start = timezone.now()  # rows older than this (less the overlap) are in the database read
    building = TantivyEngine(fresh)
    building.create()
    tasks = [
        (kind, pks[i : i + batch])
        for kind, doc_type in registry.doc_types().items()
        for pks in [list(doc_type.all_pks())]
        for i in range(0, len(pks), batch)
    ]
    rows = sum(len(pks) for _, pks in tasks)
    # Forked workers read committed data only: not from inside a transaction (tests).
    parallel = rows > 5 * batch and not connection.in_atomic_block
    workers = getattr(settings, "ZINA_INDEX_WORKERS", os.cpu_count() or 1) if parallel else 1

    def documents() -> Iterator[dict[str, Any]]:
        for count, docs in _prepared(tasks, workers):
            yield from docs
            if progress is not None:
                progress(count)

    # One writer thread with room for the whole index: one segment (see ZINA_INDEX_REBUILD_MB).
    heap = getattr(settings, "ZINA_INDEX_REBUILD_MB", 2000) * 1_000_000
    added = building.write_prepared(documents(), heap=heap, threads=1)
    _write_cursor(start, fresh)
    with _writer_lock(True):
        old = final.with_name(final.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            os.replace(final, old)
        os.replace(fresh, final)
        shutil.rmtree(old, ignore_errors=True)
    _applied.pop(final, None)  # a new index: what this process applied to the old one is moot
    _signatures.pop(final, None)
    engine().forget()
    engine().damaged = False
    catch_up(blocking=True)
    return added


def ensure_index() -> bool:
    """Make sure there is a usable index: build it now when the database is small, in the
    background otherwise (searches meanwhile say so). True when the index is usable."""
    eng = engine()
    if not eng.exists():  # deleted under a running process: do not trust what is open
        eng.forget()
    try:
        if eng.damaged:
            raise IndexUnavailable("the index was found damaged")
        eng.index  # noqa: B018  (opening checks the schema and the files)
        return True
    except IndexUnavailable as exc:
        log.warning("search index unavailable (%s); rebuilding", exc)
    if indexable_count() <= getattr(settings, "ZINA_SEARCH_SYNC_REBUILD", 20_000):
        with _writer_lock(True):
            if _usable(eng):
                return True
        rebuild()
        return True
    if not _rebuilding.is_set():
        _rebuilding.set()
        threading.Thread(target=_background_rebuild, daemon=True).start()
    return False


def _usable(eng: TantivyEngine) -> bool:
    if eng.damaged:
        return False
    try:
        eng.forget()
        eng.index  # noqa: B018
        return True
    except IndexUnavailable:
        return False


def _background_rebuild() -> None:
    from django.db import connection

    try:
        rebuild()
    except Exception:
        log.exception("rebuilding the search index failed")
    finally:
        _rebuilding.clear()
        connection.close()


def compare() -> dict[str, tuple[set[int], set[int], set[int]]]:
    """Per kind: rows missing from the index, documents whose rows are gone, and rows whose
    number of documents (languages) differs from what the database would index now."""
    eng = engine()
    report = {}
    for kind, doc_type in registry.doc_types().items():
        indexed = eng.refs(kind)
        in_db = set(doc_type.all_pks())
        missing = in_db - set(indexed)
        extra = set(indexed) - in_db
        expected: dict[int, int] = {}
        present = sorted(in_db & set(indexed))
        for i in range(0, len(present), 1000):
            for doc in doc_type.build(present[i : i + 1000]):
                expected[doc.pk] = expected.get(doc.pk, 0) + 1
        stale = {pk for pk in present if expected.get(pk, 0) != indexed[pk]}
        report[kind] = (missing, extra, stale)
    return report


def repair(refs: set[str]) -> int:
    """Re-index these documents from the database now (and delete what is gone)."""
    with _writer_lock(True):
        docs, deletes = build_docs(refs)
        engine().write(docs, deletes)
    return len(refs)


def follow(interval: float = 2.0, stop: threading.Event | None = None) -> None:
    """Keep this node's index current (run by ``zina worker`` in a thread)."""
    from django.db import close_old_connections

    stop = stop or threading.Event()
    last_prune = 0.0
    while not stop.is_set():
        try:
            close_old_connections()
            catch_up(blocking=True)
            if time.monotonic() - last_prune > 3600:
                prune_outbox()
                last_prune = time.monotonic()
        except Exception:
            log.exception("search indexer")
        stop.wait(interval)
