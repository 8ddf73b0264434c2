"""Keeping the index in step with the database, and searching it.

Every write goes through the real operations (knowledge and catalog); the audit observer
writes the outbox in the operation's transaction and ``search`` catches up from it before it
reads. The index itself is inspected through the engine so that a result cannot come from the
database check alone. Each test has its own index directory (``zina/conftest.py``)."""

# The knowledge app's fixtures are imported below; as parameters they "redefine" the imports.
# ruff: noqa: F811

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from zina.accounts.models import Institution, User
from zina.catalog import operations as catalog_ops
from zina.catalog.models import Resource, Service
from zina.knowledge import operations as ops
from zina.knowledge.choices import ArticleType, Audience
from zina.knowledge.models import Article, ArticleRevision

# The knowledge app's fixtures, reused: articles and catalog entries made through operations.
from zina.knowledge.tests.conftest import (  # noqa: F401
    make_resource,
    make_service,
    settings_of,
    write,
)
from zina.search import indexer, registry
from zina.search.engine import SCHEMA_VERSION, TantivyEngine
from zina.search.indexer import _write_cursor, read_cursor
from zina.search.models import IndexOutbox
from zina.search.queries import Results, parse, ranked_ids, rule_for, search

pytestmark = pytest.mark.django_db

Write = Callable[..., ArticleRevision]


# --- Helpers -------------------------------------------------------------------------------------


def publish(actor: User, write: Write, title: str, body: str = "", **settings: Any) -> Article:
    """An article created and published (r1) by ``actor`` through the operations."""
    revision = write(actor, title, body=body, **settings)
    ops.publish_revision(actor=actor, revision=revision)
    return Article.objects.get(pk=revision.article_id)


def edit(actor: User, article: Article, title: str, body: str = "") -> ArticleRevision:
    """A new revision with this text, published (the live revision is replaced)."""
    draft = ops.start_revision(actor=actor, article=article)
    draft = ops.save_draft(
        actor=actor,
        revision=draft,
        text=ops.ArticleText(title=title, body=body),
        expected_version=draft.version,
    )
    return ops.publish_revision(actor=actor, revision=draft)


def hits(user: Any, text: str, **options: Any) -> list[tuple[str, int]]:
    return [(h.kind, h.pk) for h in search(user, text, **options).hits]


def article_hits(user: Any, text: str, **options: Any) -> set[int]:
    return {pk for kind, pk in hits(user, text, kinds=["article"], **options)}


def in_index(user: Any, text: str, kinds: tuple[str, ...] = ("article",)) -> set[int]:
    """Primary keys the index itself returns for ``user`` (no database check), after catching
    up from the outbox."""
    indexer.catch_up()
    query = parse(text)
    query.rule = rule_for(user, list(kinds))
    query.limit = 100
    return {h.pk for h in indexer.engine().search(query).hits}


def newest_outbox_time() -> datetime:
    """The newest ``created_at`` in the outbox: a caught-up node's watermark."""
    newest = IndexOutbox.objects.aggregate(newest=Max("created_at"))["newest"]
    assert newest is not None, "the outbox is empty"
    return newest


def assert_rebuilt_since(before: datetime) -> None:
    """The index was rebuilt after ``before``: its watermark is the time the rebuild read the
    database (not an outbox row's), so it is past every row already in the outbox."""
    mark = read_cursor()
    assert mark is not None
    assert before <= mark <= timezone.now()
    assert mark >= newest_outbox_time()


def outbox_rows(ref: str) -> Any:
    return IndexOutbox.objects.filter(ref=ref)


def index_dir() -> Path:
    return Path(django_settings.ZINA_INDEX_DIR)


def use_node(settings: Any, path: Path) -> None:
    """Switch this process to another node's index directory (nothing is open there yet)."""
    settings.ZINA_INDEX_DIR = path
    indexer.forget_engines()


def restart() -> None:
    """As if the process restarted: no index is open."""
    indexer.forget_engines()


def segment_files(path: Path) -> list[Path]:
    files = [p for p in path.iterdir() if p.suffix in {".idx", ".term", ".store", ".fast", ".pos"}]
    assert files, "the index has no segment files"
    return files


@pytest.fixture
def anonymous() -> AnonymousUser:
    return AnonymousUser()


# --- Found right after the operation ----------------------------------------------------------


def test_published_article_is_found_by_an_inflected_query_without_diacritics(
    superuser: User, write: Write, anonymous: AnonymousUser
) -> None:
    assert indexer.ensure_index()  # the index exists before the article does
    mark = read_cursor()
    assert mark is not None
    article = publish(
        superuser,
        write,
        "Pakalpojuma pārtraukums",
        "Zināšanu bāze nav pieejama; šķēršļi pieteikšanai.",
        audience=Audience.PUBLIC,
    )
    assert outbox_rows(f"article:{article.pk}").filter(created_at__gt=mark).exists()
    for query in ("pakalpojumiem partraukumi", "PAKALPOJUMS", "zinasanas", "skerslis"):
        assert article_hits(anonymous, query) == {article.pk}, query
    # The search caught up from the outbox: the watermark is at the newest row.
    assert read_cursor() == newest_outbox_time()
    assert in_index(anonymous, "pakalpojumu") == {article.pk}
    (hit,) = search(anonymous, "zinasanas").hits
    assert "<mark>Zināšanu</mark>" in hit.snippet
    assert hit.title == "Pakalpojuma pārtraukums"
    assert hit.language == "lv"


def test_a_draft_is_found_by_editors_but_not_by_the_public(
    superuser: User, write: Write, anonymous: AnonymousUser
) -> None:
    revision = write(superuser, "Printeris nedrukā", audience=Audience.PUBLIC)
    assert article_hits(superuser, "printeri") == {revision.article_id}
    assert article_hits(anonymous, "printeri") == set()
    assert in_index(anonymous, "printeri") == set()
    ops.publish_revision(actor=superuser, revision=revision)
    assert article_hits(anonymous, "printeri") == {revision.article_id}


def test_an_edit_changes_the_results(superuser: User, write: Write) -> None:
    article = publish(superuser, write, "Printeris nedrukā", "Pārbaudiet printera kabeli.")
    assert article_hits(superuser, "printera") == {article.pk}
    edit(superuser, article, "Skeneris neskenē", "Pārbaudiet skenera draiveri.")
    assert article_hits(superuser, "skeneri") == {article.pk}
    assert article_hits(superuser, "printeris") == set()
    assert in_index(superuser, "printeris") == set()
    # Still one document for the article (replaced, not added).
    assert indexer.engine().refs("article") == {article.pk: 1}
    (hit,) = search(superuser, "skeneris").hits
    assert hit.title == "Skeneris neskenē"


def test_an_unpublished_new_revision_does_not_replace_the_live_text(
    superuser: User, write: Write
) -> None:
    article = publish(superuser, write, "Printeris nedrukā")
    draft = ops.start_revision(actor=superuser, article=article)
    ops.save_draft(
        actor=superuser,
        revision=draft,
        text=ops.ArticleText(title="Skeneris neskenē"),
        expected_version=draft.version,
    )
    assert article_hits(superuser, "printeris") == {article.pk}
    assert article_hits(superuser, "skeneris") == set()


def test_archiving_takes_the_article_from_the_public_at_once(
    superuser: User, write: Write, anonymous: AnonymousUser
) -> None:
    article = publish(superuser, write, "Tīkla pārtraukums", audience=Audience.PUBLIC)
    assert article_hits(anonymous, "tikla partraukumi") == {article.pk}
    ops.archive_article(actor=superuser, article=article)
    assert article_hits(anonymous, "tikla partraukumi") == set()
    assert in_index(anonymous, "tikla partraukumi") == set()
    # Staff still find it (marked archived).
    assert article_hits(superuser, "tikla partraukumi") == {article.pk}


def test_discarding_a_draft_removes_the_article_from_the_index(
    superuser: User, write: Write
) -> None:
    revision = write(superuser, "Melnraksts par ugunsmūri")
    article_pk = revision.article_id
    assert article_hits(superuser, "ugunsmura") == {article_pk}
    ops.discard_draft(actor=superuser, revision=revision)
    assert not Article.objects.filter(pk=article_pk).exists()
    assert article_hits(superuser, "ugunsmura") == set()
    assert in_index(superuser, "ugunsmura") == set()
    assert article_pk not in indexer.engine().refs("article")


def test_an_audience_change_is_reflected_at_once(
    superuser: User, write: Write, anonymous: AnonymousUser
) -> None:
    article = publish(superuser, write, "Elektroniskā paraksta kļūda", audience=Audience.PUBLIC)
    assert article_hits(anonymous, "paraksts") == {article.pk}
    ops.update_article_settings(
        actor=superuser, article=article, settings=settings_of(article, audience=Audience.INTERNAL)
    )
    assert article_hits(anonymous, "paraksts") == set()
    assert in_index(anonymous, "paraksts") == set()
    assert article_hits(superuser, "paraksts") == {article.pk}
    article.refresh_from_db()
    ops.update_article_settings(
        actor=superuser, article=article, settings=settings_of(article, audience=Audience.PUBLIC)
    )
    assert article_hits(anonymous, "paraksts") == {article.pk}
    assert in_index(anonymous, "paraksts") == {article.pk}


# --- The outbox -------------------------------------------------------------------------------


def test_the_outbox_row_is_written_in_the_operations_transaction(
    superuser: User, write: Write
) -> None:
    before = IndexOutbox.objects.count()
    refs: list[str] = []

    def create_then_fail() -> None:
        with transaction.atomic():
            revision = write(superuser, "Atcelta darbība")
            refs.append(f"article:{revision.article_id}")
            assert IndexOutbox.objects.filter(ref=refs[0]).exists()
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        create_then_fail()
    (ref,) = refs
    assert not IndexOutbox.objects.filter(ref=ref).exists()
    assert IndexOutbox.objects.count() == before
    assert article_hits(superuser, "atcelta darbiba") == set()


def test_a_refused_operation_writes_no_outbox_row(superuser: User, write: Write) -> None:
    article = publish(superuser, write, "Publicēts raksts")
    live = article.revisions.get(is_live=True)
    before = IndexOutbox.objects.count()
    with pytest.raises(ValidationError):
        ops.publish_revision(actor=superuser, revision=live)
    assert IndexOutbox.objects.count() == before


def test_the_index_is_updated_right_after_commit(
    superuser: User, write: Write, django_capture_on_commit_callbacks: Any
) -> None:
    assert indexer.ensure_index()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        article = publish(superuser, write, "Uzreiz indeksēts")
    assert callbacks
    # No search yet: the commit itself applied the outbox to this node's index.
    assert read_cursor() == newest_outbox_time()
    assert article.pk in indexer.engine().refs("article")


def test_without_immediate_indexing_the_outbox_waits_for_the_next_search(
    superuser: User, write: Write, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    assert indexer.ensure_index()
    settings.ZINA_SEARCH_IMMEDIATE = False
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        article = publish(superuser, write, "Vēlāk indeksēts")
    assert callbacks == []
    assert article.pk not in indexer.engine().refs("article")
    mark = read_cursor()
    assert mark is not None
    assert mark < newest_outbox_time()
    assert article_hits(superuser, "velak indeksets") == {article.pk}
    assert read_cursor() == newest_outbox_time()


def test_a_crash_between_commit_and_indexing_loses_nothing(
    superuser: User,
    write: Write,
    make_service: Callable[..., Service],
    institution: Institution,
    settings: Any,
    tmp_path: Path,
) -> None:
    """The outbox rows are committed but no index saw them (the process died, or indexing
    was off): the node catches up from its watermark; a fresh node replays the outbox."""
    assert indexer.ensure_index()
    settings.ZINA_SEARCH_IMMEDIATE = False
    mark = read_cursor()
    assert mark is not None
    articles = [
        publish(superuser, write, f"Avārija {i}", "Serveris pārstartējās negaidīti.")
        for i in range(3)
    ]
    svc = make_service(institution, "VRA-AVAR", "Avārijas dienests")
    expected = {a.pk for a in articles}
    assert IndexOutbox.objects.filter(created_at__gt=mark).count() >= 4
    # Nothing applied yet: the index does not know them.
    assert set(indexer.engine().refs("article")) & expected == set()
    assert svc.pk not in indexer.engine().refs("service")

    # This node, restarted: catches up from its watermark. It re-reads the overlap before
    # the watermark too, and a new process does not know which of those rows it applied.
    restart()
    overlap = timedelta(seconds=settings.ZINA_OUTBOX_OVERLAP_SECONDS)
    window = IndexOutbox.objects.filter(created_at__gt=mark - overlap)
    assert indexer.catch_up() == window.count()
    assert read_cursor() == newest_outbox_time()
    assert set(indexer.engine().refs("article")) >= expected
    assert article_hits(superuser, "serveris parstartejas") == expected

    # A fresh node with an empty index and no watermark replays the whole outbox.
    use_node(settings, tmp_path / "node2" / "index")
    TantivyEngine(index_dir()).create()
    assert read_cursor() is None
    assert indexer.catch_up() == IndexOutbox.objects.count()
    assert read_cursor() == newest_outbox_time()
    assert set(indexer.engine().refs("article")) == expected
    assert indexer.engine().refs("service") == {svc.pk: 1}
    docs = indexer.engine().num_docs()
    assert docs == 4
    assert article_hits(superuser, "avarija") == expected

    # Within a process, rows already applied are not applied again, even when re-read.
    assert indexer.catch_up() == 0
    _write_cursor(mark)
    assert indexer.catch_up() == 0
    assert read_cursor() == newest_outbox_time()

    # Replaying again (a crash before the watermark was written, a lost cursor file) applies
    # the rows again but adds nothing: documents are replaced by their ref.
    restart()
    _write_cursor(mark)
    assert indexer.catch_up() == window.count()
    restart()
    (index_dir() / "zina-cursor").unlink()
    assert indexer.catch_up() == IndexOutbox.objects.count()
    assert read_cursor() == newest_outbox_time()
    assert indexer.engine().num_docs() == docs
    assert indexer.engine().refs("article") == dict.fromkeys(expected, 1)
    assert article_hits(superuser, "avarija") == expected
    assert search(superuser, "avarija", kinds=["article"]).total == 3

    # A fresh node without any index builds one from the database.
    use_node(settings, tmp_path / "node3" / "index")
    before = timezone.now()
    assert article_hits(superuser, "avarija") == expected
    assert_rebuilt_since(before)


def test_each_index_directory_has_its_own_cursor(
    superuser: User, write: Write, settings: Any, tmp_path: Path
) -> None:
    before = timezone.now()
    one = publish(superuser, write, "Pirmais mezgls")
    assert article_hits(superuser, "mezgls") == {one.pk}
    node1 = index_dir()
    assert_rebuilt_since(before)
    mark1 = read_cursor(node1)
    assert mark1 is not None
    assert (node1 / "zina-cursor").read_text() == mark1.isoformat()

    use_node(settings, tmp_path / "other" / "index")
    node2 = index_dir()
    two = publish(superuser, write, "Otrais mezgls")
    assert article_hits(superuser, "mezgls") == {one.pk, two.pk}
    assert_rebuilt_since(mark1)
    # The first node has not applied the second article yet; its watermark is where it was.
    assert read_cursor(node1) == mark1
    assert mark1 < newest_outbox_time()
    assert read_cursor(node2) != mark1

    use_node(settings, node1)
    assert article_hits(superuser, "mezgls") == {one.pk, two.pk}
    assert read_cursor(node1) == newest_outbox_time()


def test_a_missing_or_garbled_cursor_reads_as_none(tmp_path: Path) -> None:
    assert read_cursor(tmp_path) is None
    (tmp_path / "zina-cursor").write_text("garbage")
    assert read_cursor(tmp_path) is None
    (tmp_path / "zina-cursor").write_text("42")  # an outbox id, as older versions wrote
    assert read_cursor(tmp_path) is None
    mark = timezone.now()
    _write_cursor(mark, tmp_path)
    assert read_cursor(tmp_path) == mark
    assert not (tmp_path / "zina-cursor.tmp").exists()


# --- Rows that commit late: the overlap before the watermark -----------------------------------


def _hold_back(ref: str) -> int:
    """Take the outbox rows of ``ref`` out, as if their transaction had not committed yet;
    returns the smallest id they had (handed out already, as PostgreSQL does)."""
    rows = outbox_rows(ref)
    first = min(rows.values_list("id", flat=True))
    rows.delete()
    return first


def _commit_late(ref: str, row_id: int, created_at: datetime) -> None:
    """The held-back row commits now, with its id and the time its transaction stamped."""
    IndexOutbox.objects.create(id=row_id, ref=ref)
    IndexOutbox.objects.filter(id=row_id).update(created_at=created_at)


def test_a_row_committed_late_with_an_older_time_and_id_is_still_applied(
    superuser: User, write: Write, settings: Any
) -> None:
    """A transaction stamps its outbox rows (and, on PostgreSQL, takes their ids) before it
    commits; a later transaction may commit first and move the watermark past them. The
    next pass re-reads the overlap before the watermark and applies the late row."""
    assert indexer.ensure_index()
    settings.ZINA_SEARCH_IMMEDIATE = False
    late = publish(superuser, write, "Vēlu apstiprināts ieraksts")
    late_ref = f"article:{late.pk}"
    late_id = _hold_back(late_ref)
    early = publish(superuser, write, "Agri apstiprināts ieraksts")
    assert indexer.catch_up() > 0
    mark = read_cursor()
    assert mark is not None
    assert mark == newest_outbox_time()
    assert set(indexer.engine().refs("article")) == {early.pk}
    assert late_id < IndexOutbox.objects.aggregate(top=Max("id"))["top"]

    _commit_late(late_ref, late_id, mark - timedelta(seconds=10))
    assert indexer.catch_up() == 1
    assert indexer.engine().refs("article") == {early.pk: 1, late.pk: 1}
    assert read_cursor() == mark  # the watermark does not move back
    assert article_hits(superuser, "ieraksts") == {early.pk, late.pk}
    assert in_index(superuser, "apstiprinats") == {early.pk, late.pk}

    # Applied once: the next passes find nothing new and add no document.
    assert indexer.catch_up() == 0
    assert indexer.catch_up() == 0
    assert indexer.engine().refs("article") == {early.pk: 1, late.pk: 1}
    assert read_cursor() == mark


def test_a_row_older_than_the_overlap_is_not_applied(
    superuser: User, write: Write, settings: Any
) -> None:
    """The overlap bounds how late a row may commit (``ZINA_OUTBOX_OVERLAP_SECONDS``): a row
    stamped further before the watermark is not read again (``search-check --fix`` repairs
    what such a row missed)."""
    assert indexer.ensure_index()
    settings.ZINA_SEARCH_IMMEDIATE = False
    settings.ZINA_OUTBOX_OVERLAP_SECONDS = 30
    late = publish(superuser, write, "Pārāk vēlu apstiprināts")
    late_ref = f"article:{late.pk}"
    late_id = _hold_back(late_ref)
    early = publish(superuser, write, "Laikus apstiprināts")
    assert indexer.catch_up() > 0
    mark = read_cursor()
    assert mark is not None

    _commit_late(late_ref, late_id, mark - timedelta(seconds=60))
    assert indexer.catch_up() == 0
    assert indexer.engine().refs("article") == {early.pk: 1}
    assert read_cursor() == mark
    assert in_index(superuser, "apstiprinats") == {early.pk}

    # With a longer overlap the same row is within reach again.
    settings.ZINA_OUTBOX_OVERLAP_SECONDS = 120
    assert indexer.catch_up() == 1
    assert indexer.engine().refs("article") == {early.pk: 1, late.pk: 1}
    assert read_cursor() == mark


def test_catching_up_again_applies_nothing_and_duplicates_nothing(
    superuser: User,
    write: Write,
    make_service: Callable[..., Service],
    institution: Institution,
    settings: Any,
) -> None:
    assert indexer.ensure_index()
    settings.ZINA_SEARCH_IMMEDIATE = False
    mark = read_cursor()
    assert mark is not None
    articles = {publish(superuser, write, f"Atkārtots {i}").pk for i in range(3)}
    svc = make_service(institution, "VRA-ATK", "Atkārtots pakalpojums")
    new_rows = IndexOutbox.objects.filter(created_at__gt=mark).count()
    assert new_rows >= 4
    assert indexer.catch_up() == new_rows
    assert read_cursor() == newest_outbox_time()
    refs = (indexer.engine().refs("article"), indexer.engine().refs("service"))
    assert refs == (dict.fromkeys(articles, 1), {svc.pk: 1})
    docs = indexer.engine().num_docs()
    for _ in range(3):
        assert indexer.catch_up() == 0
    assert read_cursor() == newest_outbox_time()
    assert indexer.engine().num_docs() == docs
    assert (indexer.engine().refs("article"), indexer.engine().refs("service")) == refs

    # One more change: only its rows are applied.
    (first, *_) = articles
    ops.archive_article(actor=superuser, article=Article.objects.get(pk=first))
    newer = IndexOutbox.objects.filter(created_at__gt=read_cursor()).count()
    assert newer >= 1
    assert indexer.catch_up() == newer
    assert indexer.catch_up() == 0
    assert indexer.engine().num_docs() == docs


def test_a_fresh_node_replays_the_whole_outbox_and_its_watermark_is_the_newest_row(
    superuser: User, write: Write, settings: Any, tmp_path: Path
) -> None:
    settings.ZINA_SEARCH_IMMEDIATE = False
    articles = {publish(superuser, write, f"Jauns mezgls {i}").pk for i in range(3)}
    # Rows of every age, the newest not the last inserted (ids and times need not agree).
    rows = list(IndexOutbox.objects.order_by("id"))
    assert len(rows) >= 3
    stamps = [timezone.now() - timedelta(days=3, seconds=i) for i in range(len(rows))]
    for row, stamp in zip(rows, stamps, strict=True):
        IndexOutbox.objects.filter(id=row.id).update(created_at=stamp)
    use_node(settings, tmp_path / "fresh" / "index")
    TantivyEngine(index_dir()).create()
    assert read_cursor() is None
    assert indexer.catch_up() == len(rows)
    assert read_cursor() == max(stamps) == newest_outbox_time()
    assert read_cursor() == IndexOutbox.objects.get(id=rows[0].id).created_at
    assert indexer.engine().refs("article") == dict.fromkeys(articles, 1)
    assert indexer.catch_up() == 0
    assert in_index(superuser, "mezgls") == articles


def test_a_row_committed_while_catching_up_is_applied_by_the_next_pass(
    superuser: User, write: Write, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another thread or process commits a change while this pass is applying what it read
    (its own pass found the writer lock taken and left the work to this one)."""
    assert indexer.ensure_index()
    settings.ZINA_SEARCH_IMMEDIATE = False
    meanwhile = publish(superuser, write, "Pa vidu apstiprināts")
    meanwhile_ref = f"article:{meanwhile.pk}"
    held = list(outbox_rows(meanwhile_ref).values_list("ref", flat=True))
    outbox_rows(meanwhile_ref).delete()
    first = publish(superuser, write, "Pirmais apstiprināts")
    build_docs = indexer.build_docs

    def commit_meanwhile(refs: Any) -> Any:
        monkeypatch.setattr(indexer, "build_docs", build_docs)
        with transaction.atomic():
            indexer.touch(held)
        return build_docs(refs)

    monkeypatch.setattr(indexer, "build_docs", commit_meanwhile)
    assert indexer.catch_up() > 0
    assert indexer.engine().refs("article") == {first.pk: 1}
    assert indexer.catch_up() == 1
    assert indexer.engine().refs("article") == {first.pk: 1, meanwhile.pk: 1}


# --- A missing, corrupt or outdated index ----------------------------------------------------


def test_ensure_index_builds_a_missing_index(superuser: User, write: Write) -> None:
    article = publish(superuser, write, "Trūkstošs indekss")
    assert not index_dir().exists()
    before = timezone.now()
    assert indexer.ensure_index() is True
    assert (index_dir() / "zina-schema").read_text() == SCHEMA_VERSION
    assert_rebuilt_since(before)
    assert indexer.engine().refs("article") == {article.pk: 1}


def test_a_deleted_index_is_rebuilt_on_the_next_search(superuser: User, write: Write) -> None:
    article = publish(superuser, write, "Dzēsts indekss")
    assert article_hits(superuser, "dzests indekss") == {article.pk}
    shutil.rmtree(index_dir())
    restart()
    before = timezone.now()
    assert article_hits(superuser, "dzests indekss") == {article.pk}
    assert (index_dir() / "zina-schema").exists()
    assert_rebuilt_since(before)


def test_an_index_deleted_under_a_running_process_is_rebuilt(superuser: User, write: Write) -> None:
    """The index directory disappears while this process has it open (an operator removed
    it, a disk was replaced): the next search must rebuild it, and later changes must still
    reach it."""
    first = publish(superuser, write, "Pirmais ieraksts")
    assert article_hits(superuser, "ieraksts") == {first.pk}
    shutil.rmtree(index_dir())
    second = publish(superuser, write, "Otrais ieraksts")
    assert article_hits(superuser, "ieraksts") == {first.pk, second.pk}
    assert index_dir().exists(), "the deleted index was not rebuilt"
    restart()
    assert article_hits(superuser, "ieraksts") == {first.pk, second.pk}


def _garble_meta(path: Path) -> None:
    (path / "meta.json").write_text("garbage{")


def _garble_segments(path: Path) -> None:
    for file in segment_files(path):
        file.write_bytes(b"\x00garbage" * 64)


def _truncate_segments(path: Path) -> None:
    for file in segment_files(path):
        file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])


def _empty_meta(path: Path) -> None:
    (path / "meta.json").write_bytes(b"")


def _delete_positions(path: Path) -> None:
    for file in path.glob("*.pos"):
        file.unlink()


def _scribble_over_stored_documents(path: Path) -> None:
    for file in path.glob("*.store"):
        data = bytearray(file.read_bytes())
        for i in range(len(data) // 2):
            data[i] = 0x5A
        file.write_bytes(bytes(data))


CORRUPTIONS = {
    "garbage-meta": _garble_meta,
    "empty-meta": _empty_meta,
    "garbage-segments": _garble_segments,
    "truncated-segments": _truncate_segments,
    "missing-positions": _delete_positions,
    "scribbled-store": _scribble_over_stored_documents,
}


@pytest.mark.parametrize("corrupt", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_a_corrupt_index_is_rebuilt_and_search_does_not_fail(
    superuser: User, write: Write, corrupt: Callable[[Path], None]
) -> None:
    articles = {
        publish(superuser, write, f"Bojāts indekss {i}", "Diska kļūda " * 20).pk for i in range(3)
    }
    assert article_hits(superuser, "bojats indekss") == articles
    restart()
    corrupt(index_dir() / "article")  # the articles' shard
    results = search(superuser, "bojāti indeksi")
    assert {h.pk for h in results.hits} == articles
    assert results.total == 3
    assert not results.rebuilding
    assert indexer.engine().refs("article") == dict.fromkeys(articles, 1)


def test_an_index_of_another_schema_version_is_rebuilt(superuser: User, write: Write) -> None:
    article = publish(superuser, write, "Vecā shēma")
    assert article_hits(superuser, "shema") == {article.pk}
    restart()
    (index_dir() / "zina-schema").write_text("0")
    assert article_hits(superuser, "shema") == {article.pk}
    assert (index_dir() / "zina-schema").read_text() == SCHEMA_VERSION


def test_an_index_rebuilt_to_another_schema_by_another_process_is_reopened(
    superuser: User, write: Write
) -> None:
    """The version file changes under a running process: it must not keep the old index."""
    article = publish(superuser, write, "Cita shēma")
    assert article_hits(superuser, "shema") == {article.pk}
    (index_dir() / "zina-schema").write_text("0")
    assert article_hits(superuser, "shema") == {article.pk}
    assert (index_dir() / "zina-schema").read_text() == SCHEMA_VERSION


def test_a_rebuild_by_another_process_is_picked_up_by_a_running_one(
    superuser: User, write: Write
) -> None:
    """Another process (``zina reindex``) swaps in a new index while this one has the old one
    open; changes this process applies afterwards must land in the new index."""
    first = publish(superuser, write, "Pirms pārbūves")
    assert article_hits(superuser, "parbuves") == {first.pk}
    eng = indexer.engine()
    stale = eng.index
    seen = (eng._stamp("zina-schema"), eng._stamp("zina-cursor"))
    indexer.rebuild()  # as another process would: a new directory swapped in
    eng._index, eng._seen = stale, seen  # …while this process still holds the old one
    second = publish(superuser, write, "Pēc pārbūves")
    assert article_hits(superuser, "parbuves") == {first.pk, second.pk}
    restart()
    assert article_hits(superuser, "parbuves") == {first.pk, second.pk}
    assert indexer.engine().refs("article") == {first.pk: 1, second.pk: 1}


# --- Management commands ---------------------------------------------------------------------


def test_reindex_rebuilds_the_index(
    superuser: User,
    write: Write,
    make_service: Callable[..., Service],
    make_resource: Callable[..., Resource],
    institution: Institution,
) -> None:
    article = publish(superuser, write, "Pārbūvējams raksts")
    make_service(institution, "VRA-REIDX", "Pārbūves pakalpojums")
    make_resource(institution, "VRA-SRV", "Pārbūves serveris")
    assert article_hits(superuser, "parbuvejams") == {article.pk}
    indexer.engine().clear()
    assert indexer.engine().num_docs() == 0
    assert article_hits(superuser, "parbuvejams") == set()

    out = StringIO()
    before = timezone.now()
    call_command("reindex", verbosity=0, stdout=out)
    assert out.getvalue().strip() == "3 documents indexed from 3 rows."
    assert indexer.engine().num_docs() == 3
    assert_rebuilt_since(before)
    assert article_hits(superuser, "parbuvejams") == {article.pk}
    assert {k for k, _ in hits(superuser, "parbuves")} == {"service", "resource"}


def test_search_check_finds_and_fixes_a_missing_document(
    superuser: User,
    write: Write,
    make_service: Callable[..., Service],
    institution: Institution,
) -> None:
    article = publish(superuser, write, "Pārbaudāms raksts")
    make_service(institution, "VRA-CHK", "Pārbaudes pakalpojums")
    out = StringIO()
    call_command("search-check", stdout=out)
    assert "The index matches the database." in out.getvalue()

    indexer.engine().write([], deletes=[f"article:{article.pk}"])  # behind the outbox's back
    assert article_hits(superuser, "parbaudams") == set()
    out = StringIO()
    with pytest.raises(CommandError, match="--fix"):
        call_command("search-check", stdout=out)
    report = {line.split()[0]: line for line in out.getvalue().splitlines()}
    assert "1 missing, 0 not in the database, 0 with a different" in report["article"]
    assert "0 missing, 0 not in the database, 0 with a different" in report["service"]
    assert report["missing:"].strip() == f"missing: {article.pk}"

    out = StringIO()
    call_command("search-check", "--fix", stdout=out)
    assert "Re-indexed 1 rows." in out.getvalue()
    assert article_hits(superuser, "parbaudams") == {article.pk}
    out = StringIO()
    call_command("search-check", stdout=out)
    assert "The index matches the database." in out.getvalue()


def test_search_check_finds_and_fixes_extra_and_duplicated_documents(
    superuser: User, write: Write
) -> None:
    gone = publish(superuser, write, "Izdzēsts aiz muguras")
    doubled = publish(superuser, write, "Divreiz indeksēts")
    assert indexer.ensure_index()
    # A duplicate document written without deleting the old one.
    indexer.engine().write(registry.get("article").build([doubled.pk]))
    # A row removed without an operation (no outbox row).
    ArticleRevision.objects.filter(article=gone).delete()
    Article.objects.filter(pk=gone.pk).delete()
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("search-check", stdout=out)
    text = out.getvalue()
    assert "0 missing, 1 not in the database, 1 with a different number of languages" in text
    assert f"extra: {gone.pk}" in text
    assert f"stale: {doubled.pk}" in text
    call_command("search-check", "--fix", stdout=StringIO())
    assert indexer.engine().refs("article") == {doubled.pk: 1}
    call_command("search-check", stdout=StringIO())


def test_the_search_command_prints_results(
    superuser: User, write: Write, anonymous: AnonymousUser
) -> None:
    public = publish(superuser, write, "Parole aizmirsta", audience=Audience.PUBLIC)
    internal = publish(superuser, write, "Paroles politika iekšējai lietošanai")
    out = StringIO()
    call_command("search", "paroles", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "1 results"
    assert f"[article {public.pk} lv]" in lines[1]
    assert "Parole aizmirsta" in lines[1]

    out = StringIO()
    call_command("search", "paroles", "--user", "root", "--json", stdout=out)
    payload = json.loads(out.getvalue())
    assert payload["total"] == 2
    assert payload["did_you_mean"] == ""
    assert {h["id"] for h in payload["hits"]} == {public.pk, internal.pk}
    assert [h["rank"] for h in payload["hits"]] == [1, 2]
    hit = payload["hits"][0]
    assert set(hit) == {"rank", "kind", "id", "language", "score", "title", "url", "snippet"}
    assert hit["kind"] == "article"
    assert f"/{hit['id']}/" in hit["url"]

    out = StringIO()
    call_command("search", "paroel", "--json", stdout=out)
    assert json.loads(out.getvalue())["did_you_mean"] == "parole"

    with pytest.raises(CommandError, match="No user"):
        call_command("search", "parole", "--user", "nav-tada", stdout=StringIO())


# --- Queries ---------------------------------------------------------------------------------


def test_prefix_search_as_you_type(
    superuser: User,
    write: Write,
    make_service: Callable[..., Service],
    institution: Institution,
) -> None:
    article = publish(superuser, write, "Pakalpojumu katalogs", "Kur atrast pakalpojumus.")
    svc = make_service(institution, "VRA-EPAK", "E-pakalpojumu portāls")
    found = search(superuser, "pakalpo", as_you_type=True)
    assert {("article", article.pk), ("service", svc.pk)} <= {(h.kind, h.pk) for h in found.hits}
    assert ranked_ids(superuser, "pakalpo", "article") == [article.pk]
    assert ranked_ids(superuser, "katal", "article") == [article.pk]
    snippet = next(h for h in found.hits if h.kind == "article").snippet
    assert "<mark>pakalpojumus</mark>" in snippet
    # Several words: the last is the one being typed.
    assert article_hits(superuser, "pakalpojumu kata", as_you_type=True) == {article.pk}


def test_phrase_query_in_quotes(superuser: User, write: Write) -> None:
    exact = publish(superuser, write, "Paroles atjaunošanas lapa")
    reordered = publish(superuser, write, "Atjaunošanas rīks paroles mainīšanai")
    assert article_hits(superuser, "paroles atjaunošanas") == {exact.pk, reordered.pk}
    assert article_hits(superuser, '"paroles atjaunošanas"') == {exact.pk}
    # Phrases are analysed too: other inflections, no diacritics.
    assert article_hits(superuser, '"parole atjaunosana"') == {exact.pk}
    # An unterminated quote still makes a phrase.
    assert article_hits(superuser, '"paroles atjaunošanas') == {exact.pk}
    # A phrase and a word: the phrase must match.
    assert article_hits(superuser, '"paroles atjaunošanas" rīks') == {exact.pk}


def test_phrase_skips_stop_words_as_the_index_does(superuser: User, write: Write) -> None:
    gap = publish(superuser, write, "Lietotājs un parole")
    adjacent = publish(superuser, write, "Lietotājs parole")
    apart = publish(superuser, write, "Lietotājs aizmirsa paroli")
    assert article_hits(superuser, '"lietotājs un parole"') == {gap.pk, adjacent.pk}
    assert article_hits(superuser, '"lietotajs parole"') == {gap.pk, adjacent.pk}
    assert apart.pk in article_hits(superuser, "lietotajs parole")


def test_did_you_mean_and_approximate_results(superuser: User, write: Write) -> None:
    article = publish(superuser, write, "Parole aizmirsta", "Atveriet atjaunošanas lapu.")
    results = search(superuser, "paroel")
    assert results.did_you_mean == "parole"
    assert results.approximate is True
    assert {h.pk for h in results.hits} == {article.pk}
    exact = search(superuser, "parole")
    assert exact.did_you_mean == ""
    assert exact.approximate is False
    nothing = search(superuser, "xyzzyq")
    assert nothing.hits == []
    assert nothing.did_you_mean == ""
    assert nothing.approximate is False


def test_facets_are_counted(
    superuser: User,
    write: Write,
    make_service: Callable[..., Service],
    institution: Institution,
) -> None:
    svc = make_service(institution, "VRA-TIKL", "Tīkla pakalpojums")
    publish(superuser, write, "Tīkla problēma", services=[svc])
    publish(superuser, write, "Tīkls nestrādā", type=ArticleType.FAQ, audience=Audience.PUBLIC)
    results = search(superuser, "tikls", facets=True)
    assert results.total == 3
    assert results.facets["kind"] == {"article": 2, "service": 1}
    assert results.facets["type"] == {"solution": 1, "faq": 1, "-": 1}
    assert results.facets["audience"] == {"internal": 1, "public": 2}
    assert results.facets["institution"] == {str(institution.pk): 3}
    assert results.facets["services"] == {str(svc.pk): 2}
    assert search(superuser, "tikls").facets == {}


def test_pagination_and_total(superuser: User, write: Write) -> None:
    pks = {publish(superuser, write, f"Drukas rinda {i}").pk for i in range(5)}
    first = search(superuser, "drukas rinda", per_page=2)
    assert isinstance(first, Results)
    assert (first.total, first.pages, len(first.hits)) == (5, 3, 2)
    second = search(superuser, "drukas rinda", per_page=2, page=2)
    third = search(superuser, "drukas rinda", per_page=2, page=3)
    assert (second.total, second.page, len(second.hits)) == (5, 2, 2)
    assert (third.total, len(third.hits)) == (5, 1)
    seen = [h.pk for r in (first, second, third) for h in r.hits]
    assert sorted(seen) == sorted(pks)
    assert search(superuser, "drukas rinda", per_page=2, page=4).hits == []


def test_filters_by_type_kind_and_service(
    superuser: User,
    write: Write,
    make_service: Callable[..., Service],
    institution: Institution,
    other_institution: Institution,
) -> None:
    svc = make_service(institution, "VRA-DRUK", "Drukāšanas pakalpojums")
    solution = publish(superuser, write, "Drukāšana neizdodas", services=[svc])
    faq = publish(superuser, write, "Drukāšanas jautājumi", type=ArticleType.FAQ)
    abroad = publish(superuser, write, "Drukāšana citur", where=other_institution)
    assert article_hits(superuser, "drukasana") == {solution.pk, faq.pk, abroad.pk}
    assert article_hits(superuser, "drukasana", filters={"type": [ArticleType.FAQ]}) == {faq.pk}
    assert hits(superuser, "drukasana", kinds=["service"]) == [("service", svc.pk)]
    assert hits(superuser, "drukasana", filters={"kind": ["service"]}) == [("service", svc.pk)]
    assert set(hits(superuser, "drukasana", filters={"services": [svc.pk]})) == {
        ("article", solution.pk),
        ("service", svc.pk),
    }
    assert article_hits(
        superuser, "drukasana", filters={"institution": [other_institution.pk]}
    ) == {abroad.pk}
    # Filters alone, without words: newest first.
    only = search(superuser, "", filters={"type": [ArticleType.FAQ]})
    assert [h.pk for h in only.hits] == [faq.pk]
    assert search(superuser, "").hits == []


def test_services_and_resources_are_indexed_and_renames_reflected(
    superuser: User,
    make_service: Callable[..., Service],
    make_resource: Callable[..., Resource],
    institution: Institution,
    anonymous: AnonymousUser,
) -> None:
    svc = catalog_ops.create_service(
        actor=superuser,
        institution=institution,
        data=catalog_ops.ServiceData(
            identifier="VRA-EPAK",
            name="E-pakalpojumu portāls",
            name_en="E-services portal",
            description="Pieteikšanās elektroniskajiem pakalpojumiem.",
        ),
    )
    res = make_resource(institution, "VRA-DB", "Reģistru datubāze")
    # One document per language: the Latvian name and the English one both match.
    found = search(anonymous, "pakalpojumu portals")
    assert {(h.kind, h.pk, h.language) for h in found.hits} == {
        ("service", svc.pk, "lv"),
        ("service", svc.pk, "en"),
    }
    assert {h.title for h in search(anonymous, "services").hits} == {"E-services portal"}
    assert indexer.engine().refs("service") == {svc.pk: 2}
    assert hits(superuser, "registru datubazes") == [("resource", res.pk)]
    assert hits(anonymous, "registru datubazes") == []  # resources are internal

    catalog_ops.update_service(
        actor=superuser,
        service=svc,
        data=catalog_ops.ServiceData(identifier="VRA-EPAK", name="Elektronisko pakalpojumu vietne"),
    )
    assert hits(anonymous, "portals") == []
    assert hits(anonymous, "vietne") == [("service", svc.pk)]
    assert indexer.engine().refs("service") == {svc.pk: 1}  # the English name is gone

    catalog_ops.update_resource(
        actor=superuser,
        resource=res,
        data=catalog_ops.ResourceData(identifier="VRA-DB", name="Klientu datubāze", type="server"),
    )
    assert hits(superuser, "registru") == []
    assert hits(superuser, "klientu datubaze") == [("resource", res.pk)]

    # A service taken out of the public catalog leaves anonymous results at once.
    catalog_ops.update_service(
        actor=superuser,
        service=svc,
        data=catalog_ops.ServiceData(
            identifier="VRA-EPAK", name="Elektronisko pakalpojumu vietne", is_public=False
        ),
    )
    assert hits(anonymous, "vietne") == []
    assert in_index(anonymous, "vietne", ("service",)) == set()
    assert hits(superuser, "vietne") == [("service", svc.pk)]


def _backdate(article: Article, days: int) -> None:
    """Make the article's revisions ``days`` old, and tell the index (as an operation would)."""
    ArticleRevision.objects.filter(article=article).update(
        updated_at=timezone.now() - timedelta(days=days)
    )
    with transaction.atomic():
        indexer.touch(registry.refs_touched_by(article))


def test_since_days_and_newest_first(superuser: User, write: Write) -> None:
    old = publish(superuser, write, "Vecs ziņojums", type=ArticleType.CHANGE_NOTICE)
    older = publish(superuser, write, "Vēl vecāks ziņojums", type=ArticleType.CHANGE_NOTICE)
    new = publish(superuser, write, "Jauns ziņojums", type=ArticleType.CHANGE_NOTICE)
    _backdate(old, 20)
    _backdate(older, 100)
    assert article_hits(superuser, "zinojums", since_days=7) == {new.pk}
    assert article_hits(superuser, "zinojums", since_days=30) == {new.pk, old.pk}
    assert article_hits(superuser, "zinojums", since_days=365) == {new.pk, old.pk, older.pk}
    newest = search(superuser, "zinojums", newest_first=True)
    assert [h.pk for h in newest.hits] == [new.pk, old.pk, older.pk]
    listed = search(superuser, "", filters={"type": [ArticleType.CHANGE_NOTICE]})
    assert [h.pk for h in listed.hits] == [new.pk, old.pk, older.pk]


def test_an_english_article_is_stemmed_in_english(superuser: User, write: Write) -> None:
    article = publish(
        superuser,
        write,
        "Connections to the registry fail",
        "Restart the connected service.",
        language="en",
    )
    (hit,) = search(superuser, "connecting registries").hits
    assert (hit.pk, hit.language) == (article.pk, "en")
    assert "<mark>connected</mark>" in hit.snippet
    # Stop words are not indexed, and a phrase skips them the same way.
    assert article_hits(superuser, '"connection to the registry"') == {article.pk}
    assert article_hits(superuser, '"connection registry"') == {article.pk}
    assert article_hits(superuser, '"registry connection"') == set()


def test_a_translation_is_a_second_document(superuser: User, write: Write) -> None:
    article = publish(superuser, write, "Savienojums ar reģistru neizdodas")
    assert indexer.ensure_index()
    english = ops.start_revision(actor=superuser, article=article, language="en")
    english = ops.save_draft(
        actor=superuser,
        revision=english,
        text=ops.ArticleText(title="Connection to the registry fails"),
        expected_version=english.version,
    )
    ops.publish_revision(actor=superuser, revision=english)
    assert indexer.engine().refs("article") == {article.pk: 1}  # not caught up yet
    found = search(superuser, "registru registry")
    assert {(h.pk, h.language) for h in found.hits} == {(article.pk, "lv"), (article.pk, "en")}
    assert indexer.engine().refs("article") == {article.pk: 2}


@pytest.mark.parametrize("text", ["no", "to", "?!", "- -", '""'])
def test_a_query_with_no_searchable_word_finds_nothing(
    superuser: User, write: Write, text: str
) -> None:
    """Stop words (in both languages) and punctuation leave nothing to search for: that is
    not a search for everything (an empty text without filters finds nothing either)."""
    publish(superuser, write, "Parole aizmirsta")
    publish(superuser, write, "Printeris nedrukā")
    assert search(superuser, "").total == 0
    results = search(superuser, text)
    assert results.hits == []
    assert results.total == 0


def test_changed_within_facet_counts_and_filter(superuser: User, write: Write) -> None:
    fresh = publish(superuser, write, "Svaigs ziņojums par tīklu")
    old = publish(superuser, write, "Vecs ziņojums par tīklu")
    ArticleRevision.objects.filter(article=old).update(
        updated_at=timezone.now() - timedelta(days=100)
    )
    with transaction.atomic():
        indexer.touch([f"article:{old.pk}"])
    results = search(superuser, "zinojums tikls", facets=True)
    assert results.facets["date"] == {"7": 1, "30": 1, "365": 2}
    assert article_hits(superuser, "zinojums", since_days=30) == {fresh.pk}
    assert article_hits(superuser, "zinojums", since_days=365) == {fresh.pk, old.pk}


def _random_rule(rng: Any, tokens: list[str], depth: int = 0) -> Any:
    from django.db.models import Q

    from zina.core.rules import All, AnyOf, Everything, Not, leaf

    roll = rng.random()
    if depth >= 3 or roll < 0.3:
        return leaf(Q(), rng.sample(tokens, rng.randint(0, 3)))
    if roll < 0.35:
        return Everything()
    parts = tuple(_random_rule(rng, tokens, depth + 1) for _ in range(rng.randint(1, 3)))
    if roll < 0.6:
        return All(parts)
    if roll < 0.85:
        return AnyOf(parts)
    return Not(parts[0])


def test_the_index_filter_of_a_rule_selects_what_the_rule_matches(tmp_path: Path) -> None:
    """The engine compiles rules (negations inside conjunctions as "must not", unions with
    a negation rewritten by De Morgan's laws): for random rules over random token sets, the
    documents the index filter selects are those whose tokens ``rule.matches``."""
    import random

    from zina.search.engine import Query
    from zina.search.registry import IndexDoc

    rng = random.Random(20)
    tokens = [f"t:{i}" for i in range(6)]
    eng = TantivyEngine(tmp_path / "rules")
    eng.create()
    acls = {pk: set(rng.sample(tokens, rng.randint(0, 4))) for pk in range(1, 61)}
    eng.write(
        IndexDoc(kind="x", pk=pk, language="lv", title="t", acl=acl) for pk, acl in acls.items()
    )
    for _ in range(300):
        rule = _random_rule(rng, tokens)
        found = eng.search(Query(rule=rule, limit=100))
        want = {pk for pk, acl in acls.items() if rule.matches(acl | {"kind:x"})}
        assert {hit.pk for hit in found.hits} == want, rule
