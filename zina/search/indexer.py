"""Keeping this node's index in step with the database.

Operations write :class:`IndexOutbox` rows in their own transaction (through the audit
observer, or :func:`touch`). This node applies them to its local index: at once after commit
when ``ZINA_SEARCH_IMMEDIATE`` is on (one process), in the worker, and before every search —
so a search never reads an index older than the database. The node's cursor (the last
outbox id applied) is a file in the index directory: a new or rebuilt index starts its own.
A crash between commit and indexing loses nothing; the outbox is replayed, and replaying is
harmless (documents are replaced, not appended).
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
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


def touch_objects(objs: Iterable[models.Model]) -> None:
    refs: set[str] = set()
    for obj in objs:
        refs |= registry.refs_touched_by(obj)
    touch(refs)


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


def read_cursor(path: Path | None = None) -> int:
    try:
        return int(_cursor_file(path or index_dir()).read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def _write_cursor(value: int, path: Path | None = None) -> None:
    target = _cursor_file(path or index_dir())
    tmp = target.with_suffix(".tmp")
    tmp.write_text(str(value))
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


def _settled_cursor(rows: list[tuple[int, Any]], cursor: int) -> int:
    """How far the cursor may move: past contiguous ids, and past gaps old enough to be
    rolled-back transactions rather than ones still committing (PostgreSQL hands out ids
    before commit, so a later id can commit first)."""
    grace = timedelta(seconds=getattr(settings, "ZINA_OUTBOX_GAP_SECONDS", 30))
    now = timezone.now()
    for row_id, created in rows:
        if row_id != cursor + 1 and now - created < grace:
            break
        cursor = row_id
    return cursor


def catch_up(*, blocking: bool = False) -> int:
    """Apply outbox rows this node has not applied. Returns how many rows were read."""
    eng = engine()
    path = index_dir()
    if not eng.exists():
        ensure_index()
        return 0
    cursor = read_cursor(path)
    latest = IndexOutbox.objects.order_by("-id").values_list("id", flat=True).first() or 0
    if latest <= cursor:
        eng.refresh()
        return 0
    read = 0
    with _writer_lock(blocking) as locked:
        if not locked:  # another process of this node is applying them right now
            return 0
        cursor = read_cursor(path)
        while True:
            rows = list(
                IndexOutbox.objects.filter(id__gt=cursor)
                .order_by("id")
                .values_list("id", "ref", "created_at")[:BATCH]
            )
            if not rows:
                break
            docs, deletes = build_docs({ref for _, ref, _ in rows})
            eng.write(docs, deletes)
            read += len(rows)
            settled = _settled_cursor([(i, c) for i, _, c in rows], cursor)
            _write_cursor(settled, path)
            if settled < rows[-1][0]:
                break  # wait for the gap to fill (or to age)
            cursor = settled
    return read


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


def rebuild(progress: Callable[[int], None] | None = None, *, batch: int = 1000) -> int:
    """Build a new index from the database beside the current one and swap it in. Changes
    committed meanwhile are in the outbox and are applied after the swap."""
    final = index_dir()
    fresh = final.with_name(final.name + ".new")
    start = IndexOutbox.objects.order_by("-id").values_list("id", flat=True).first() or 0
    building = TantivyEngine(fresh)
    building.create()
    added = 0
    for doc_type in registry.doc_types().values():
        pks = list(doc_type.all_pks())
        for i in range(0, len(pks), batch * 50):
            chunk = pks[i : i + batch * 50]

            def docs(chunk: list[int] = chunk, doc_type: Any = doc_type) -> Iterator[Any]:
                for j in range(0, len(chunk), batch):
                    part = chunk[j : j + batch]
                    yield from doc_type.build(part)
                    if progress is not None:
                        progress(len(part))

            added += building.write(docs(), heap=200_000_000, threads=2)
    _write_cursor(start, fresh)
    with _writer_lock(True):
        old = final.with_name(final.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if final.exists():
            os.replace(final, old)
        os.replace(fresh, final)
        shutil.rmtree(old, ignore_errors=True)
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


def rebuilding() -> bool:
    return _rebuilding.is_set()


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
