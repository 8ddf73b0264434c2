"""The search engine behind one small interface: embedded Tantivy indexes on local disk, one
for each kind of document (a shard: ``<index dir>/<kind>/``).

Why a shard per kind: a search reads only the shards of the kinds it may find — the portal,
suggestions and the assistant look for articles among 100,000 documents, not among the
1,100,000 that tickets make — and each kind keeps its own BM25 statistics (Tantivy averages a
field's length over every document of an index, so kinds sharing fields in one index would
distort each other's length normalisation). Results of several shards are merged by score
(or date); facet counts and totals are summed.

Text arrives analysed by our analyzer (space-separated terms); queries arrive as a
:class:`Query` of analysed terms plus filters. Another engine (OpenSearch, for installations
beyond one machine) would implement the same methods: ``write``, ``search``, ``refs``,
``clear``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import tantivy
from tantivy import Occur
from tantivy import Query as Q

from zina.core.permissions import NOTHING as Q_NOTHING
from zina.core.rules import All, AnyOf, Everything, Leaf, Not, Rule

from .analyzer import LANGUAGES, folded_words, index_terms
from .registry import WEIGHTS, IndexDoc, doc_types

log = logging.getLogger(__name__)

SCHEMA_VERSION = "6"  # bump when the schema or the analyzer changes: indexes rebuild
TEXT_FIELDS = tuple(WEIGHTS)
# Index fields: name -> (boost, the weight classes it holds, each written that many times).
# Titles keep a field of their own: its short length norm is worth StackFAQ nDCG@10 +0.05
# over one field with titles repeated (0.885 against 0.836–0.839 with titles written 3–5
# times). The other classes share one field, the weight as repetition (a word's term
# frequency carries it): a query word is two term queries per language instead of three,
# and block-max WAND has fewer scorers to merge.
FIELDS: dict[str, tuple[float, dict[str, int]]] = {
    "title": (WEIGHTS["title"], {"title": 1}),
    "text": (1.0, {name: max(1, round(WEIGHTS[name])) for name in ("summary", "body")}),
}
PREFIX_MAX = 5  # the longest prefix indexed as a term
PREFIX_SCORE = 1.5  # what a word starting with the typed prefix adds
FUZZY_BOOST = 0.8  # a word found only by typo tolerance (its weight is a title word's 0.4)
KEYWORD_FACETS = ("kind", "type", "state", "audience")
NUMBER_FACETS = ("institution", "services")


def _schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_text_field("key", tokenizer_name="raw", index_option="basic")
    b.add_text_field("ref", tokenizer_name="raw", index_option="basic")
    b.add_text_field("lang", stored=True, tokenizer_name="raw", index_option="basic")
    for name in KEYWORD_FACETS:
        b.add_text_field(name, stored=True, fast=True, tokenizer_name="raw", index_option="basic")
    b.add_unsigned_field("pk", indexed=True, fast=True)
    for name in NUMBER_FACETS:
        b.add_unsigned_field(name, indexed=True, fast=True)
    b.add_integer_field("ts", indexed=True, fast=True)
    # Kind and language as one number (``tag``): a hit's are read without its stored document.
    b.add_unsigned_field("tag", fast=True)
    # Stored too: the probe (see ``_probe``) checks a candidate's tokens against the rule,
    # read from ACL_FIELDS fast fields of two 32-bit token hashes each ("acl0"…), and from the
    # stored document only when a document has more tokens than they hold ("acln").
    b.add_text_field("acl", stored=True, tokenizer_name="raw", index_option="basic")
    for i in range(ACL_FIELDS):
        b.add_unsigned_field(f"acl{i}", fast=True)
    b.add_unsigned_field("acln", fast=True)
    # Text arrives analysed by our analyzer as space-separated terms; Tantivy only splits on
    # spaces. (Measured: building PreTokenizedString objects in Python cost more than the
    # rest of indexing; snippets re-analyse the permission-checked text for offsets anyway.)
    for name in FIELDS:
        b.add_text_field(name, tokenizer_name="whitespace", index_option="position")
    # Folded, unstemmed words of titles and summaries: prefixes and "did you mean".
    b.add_text_field("words", tokenizer_name="whitespace", index_option="freq")
    # Their beginnings of 2 to PREFIX_MAX letters: a short typed prefix is one term.
    b.add_text_field("prefixes", tokenizer_name="whitespace", index_option="basic")
    return b.build()


@dataclass
class Query:
    """An analysed search: ``words`` are OR-ed (each one a set of alternative terms);
    ``phrases`` must all match (each a list of alternative phrasings, a phrasing being
    (position, term) pairs); ``prefix`` is a partly typed last word."""

    words: list[set[str]] = field(default_factory=list)
    phrases: list[list[list[tuple[int, str]]]] = field(default_factory=list)
    prefix: str = ""
    # The query's words as typed, folded (typo tolerance compares them with indexed words).
    typed: list[str] = field(default_factory=list)
    fuzzy: bool = False
    rule: Rule = field(default_factory=Everything)
    filters: dict[str, Sequence[Any]] = field(default_factory=dict)
    since_ts: int | None = None
    limit: int = 10
    offset: int = 0
    newest_first: bool = False
    facets: bool = False
    # Counting visits every match; top-k alone lets Tantivy skip blocks (block-max WAND).
    count: bool = True
    # Facet "changed within": band name → earliest timestamp.
    date_bounds: dict[str, int] = field(default_factory=dict)

    @property
    def has_text(self) -> bool:
        return bool(self.words or self.phrases or self.prefix)


@dataclass
class Hit:
    kind: str
    pk: int
    language: str
    score: float
    ts: int = 0  # read when results are ordered by date (to merge shards)


@dataclass
class Result:
    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


class IndexUnavailable(Exception):
    """The index is missing, corrupt or of another schema: it must be rebuilt."""


def is_damage(exc: BaseException) -> bool:
    """Did the engine fail because its files are damaged (rather than because of a query)?
    Tantivy reports missing or unreadable files as ValueError/OSError and panics on some
    scribbled ones."""
    if type(exc).__name__ == "PanicException" or isinstance(exc, OSError):
        return True
    message = str(exc).lower()
    return isinstance(exc, ValueError) and any(
        word in message for word in ("failed to open", "io error", "corrupt", "no such file")
    )


class TantivyEngine:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.schema = _schema()
        self.lock = threading.RLock()
        self._index: dict[str, tantivy.Index] | None = None
        self._seen: tuple[Any, Any] = (None, None)
        self.damaged = False
        # The share of documents each permission rule admitted in its last probe.
        self._shares: dict[Any, float] = {}

    # -- opening ---------------------------------------------------------------------------

    @property
    def _version_file(self) -> Path:
        return self.path / "zina-schema"

    def exists(self) -> bool:
        # (Every search asks: plain strings, no Path objects.)
        base = str(self.path)
        return os.path.exists(f"{base}/zina-schema") and all(
            os.path.exists(f"{base}/{kind}/meta.json") for kind in doc_types()
        )

    @property
    def index(self) -> dict[str, tantivy.Index]:
        """The open shards by kind (opened on first use)."""
        if self._index is None:
            with self.lock:
                if self._index is None:
                    self._index = self._open()
        return self._index

    def _stamp(self, name: str) -> Any:
        try:
            st = (self.path / name).stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns)

    def forget(self) -> None:
        with self.lock:
            self._index = None

    def refresh(self) -> None:
        """Notice what other processes did: a rebuilt index is reopened, new commits are
        read."""
        seen = (self._stamp("zina-schema"), self._stamp("zina-cursor"))
        if seen == self._seen:
            return
        if seen[0] != self._seen[0]:
            self.forget()
        else:
            self.reload()
        self._seen = seen

    def _open(self) -> dict[str, tantivy.Index]:
        if not self.exists():
            raise IndexUnavailable(f"no index at {self.path}")
        if self._version_file.read_text().strip() != SCHEMA_VERSION:
            raise IndexUnavailable("the index has another schema version")
        try:
            shards = {}
            for sub in sorted(self.path.iterdir()):
                if sub.is_dir() and (sub / "meta.json").exists():
                    shards[sub.name] = tantivy.Index(self.schema, path=str(sub), reuse=True)
                    shards[sub.name].searcher()
            self._seen = (self._stamp("zina-schema"), self._stamp("zina-cursor"))
        except BaseException as exc:
            if not is_damage(exc) and not isinstance(exc, Exception):
                raise
            self.damaged = True
            raise IndexUnavailable(f"the index cannot be opened: {exc}") from exc
        return shards

    def create(self) -> None:
        """An empty index of the current schema (whatever was there is removed)."""
        with self.lock:
            self._index = None
            if self.path.exists():
                shutil.rmtree(self.path)
            self.path.mkdir(parents=True)
            self.damaged = False
            shards = {kind: self._new_shard(kind) for kind in sorted(doc_types())}
            self._version_file.write_text(SCHEMA_VERSION)
            self._index = shards

    def _new_shard(self, kind: str) -> tantivy.Index:
        """An empty shard for documents of ``kind``."""
        path = self.path / kind
        path.mkdir()
        tantivy.Index(self.schema, path=str(path), reuse=False)
        return tantivy.Index(self.schema, path=str(path), reuse=True)

    def reload(self) -> None:
        for shard in (self._index or {}).values():
            shard.reload()

    # -- writing ---------------------------------------------------------------------------

    @staticmethod
    def prepare(doc: IndexDoc) -> dict[str, Any]:
        """A document's fields as the index stores them, text analysed — plain data, so
        worker processes can prepare documents for the process that writes."""
        words_ = folded_words(f"{doc.title}\n{doc.summary}")
        fields: dict[str, Any] = {
            "key": doc.key,
            "ref": doc.ref,
            "lang": doc.language,
            "kind": doc.kind,
            "pk": doc.pk,
            "type": doc.type or "-",
            "state": doc.state or "-",
            "audience": doc.audience or "-",
            "institution": doc.institution or 0,
            "services": list(doc.services),
            "ts": int(doc.date.timestamp()) if doc.date else 0,
            "tag": tag(doc.kind, doc.language),
            "acl": [f"kind:{doc.kind}", *doc.acl],
            "words": words_,
            "prefixes": " ".join(
                sorted(
                    {w[:n] for w in words_.split() for n in range(2, min(len(w), PREFIX_MAX) + 1)}
                )
            ),
        }
        # The access tokens and the keyword facets (``name=value``) for the probe's check.
        held = [*fields["acl"], *(f"{n}={fields[n]}" for n in KEYWORD_FACETS)]
        fields["hashes"] = sorted({token_hash(t) for t in held})
        terms = {}
        for name in TEXT_FIELDS:
            text = getattr(doc, name)
            terms[name] = index_terms(text, doc.language) if text else ""
        # Separate values: a phrase does not run from one into the next.
        for field_name, (_, classes) in FIELDS.items():
            fields[field_name] = [
                terms[c] for c, times in classes.items() if terms[c] for _ in range(times)
            ]
        return fields

    @staticmethod
    def _document(fields: dict[str, Any]) -> tantivy.Document:
        d = tantivy.Document()
        for name in ("key", "ref", "lang", "kind", *KEYWORD_FACETS[1:], "words", "prefixes"):
            d.add_text(name, fields[name])
        d.add_unsigned("pk", fields["pk"])
        d.add_unsigned("institution", fields["institution"])
        for service in fields["services"]:
            d.add_unsigned("services", service)
        d.add_integer("ts", fields["ts"])
        d.add_unsigned("tag", fields["tag"])
        for token in fields["acl"]:
            d.add_text("acl", token)
        hashes = fields["hashes"]
        d.add_unsigned("acln", len(hashes))
        for i in range(ACL_FIELDS):
            low, high = hashes[2 * i : 2 * i + 1], hashes[2 * i + 1 : 2 * i + 2]
            d.add_unsigned(f"acl{i}", (low[0] if low else 0) | ((high[0] if high else 0) << 32))
        for name in FIELDS:
            for part in fields[name]:
                d.add_text(name, part)
        return d

    def write(
        self,
        upserts: Iterable[IndexDoc],
        deletes: Iterable[str] = (),
        *,
        heap: int = 50_000_000,
        threads: int = 1,
        progress: Any = None,
    ) -> int:
        """Replace every document of the refs in ``deletes`` and of the upserted rows, then
        add the upserts; one commit. Returns the number of documents added."""
        prepared = (self.prepare(doc) for doc in upserts)
        return self.write_prepared(prepared, deletes, heap=heap, threads=threads, progress=progress)

    def write_prepared(
        self,
        upserts: Iterable[dict[str, Any]],
        deletes: Iterable[str] = (),
        *,
        heap: int = 50_000_000,
        threads: int = 1,
        progress: Any = None,
    ) -> int:
        added = 0
        with self.lock:
            shards = self.index
            writers: dict[str, Any] = {}

            def writer(kind: str) -> Any:
                if kind not in writers:
                    if kind not in shards:
                        shards[kind] = self._new_shard(kind)
                    writers[kind] = shards[kind].writer(heap_size=heap, num_threads=threads)
                return writers[kind]

            try:
                for ref in deletes:
                    kind = ref.partition(":")[0]
                    if kind in shards:
                        writer(kind).delete_documents_by_term("ref", ref)
                for doc in upserts:
                    writer(doc["kind"]).add_document(self._document(doc))
                    added += 1
                    if progress is not None:
                        progress(1)
                for w in writers.values():
                    w.commit()
                for w in writers.values():
                    w.wait_merging_threads()
            except BaseException as exc:
                for w in writers.values():
                    with contextlib.suppress(Exception):  # one already committed or consumed
                        w.rollback()
                if not is_damage(exc):
                    raise
                self.forget()
                self.damaged = True
                raise IndexUnavailable(str(exc)) from exc
            self.reload()
        return added

    # -- reading ---------------------------------------------------------------------------

    def _rule(self, rule: Rule) -> Any:
        return self._compile_rule(simplified(rule))

    def _compile_rule(self, rule: Rule) -> Any:
        if isinstance(rule, Everything):
            return Q.all_query()
        if isinstance(rule, Leaf):
            if not rule.tokens:
                return Q.empty_query()
            if len(rule.tokens) <= 8:  # cheaper to build than a term set
                terms = [Q.term_query(self.schema, "acl", t) for t in sorted(rule.tokens)]
                if len(terms) == 1:
                    return terms[0]
                return Q.boolean_query([(Occur.Should, t) for t in terms])
            return Q.term_set_query(self.schema, "acl", sorted(rule.tokens))
        if isinstance(rule, All):
            # A negative part is a MustNot clause: no scorer over every document is needed
            # unless nothing positive is left ("A and not B" reads only A's and B's postings).
            clauses = []
            for part in rule.parts:
                negated = _negated(part)
                if negated is None:
                    clauses.append((Occur.Must, self._compile_rule(part)))
                else:
                    clauses.append((Occur.MustNot, self._compile_rule(negated)))
            if clauses and all(occur == Occur.MustNot for occur, _ in clauses):
                clauses.append((Occur.Must, Q.all_query()))
            return Q.boolean_query(clauses)
        if isinstance(rule, AnyOf):
            negated = _negated(rule)
            if negated is not None:  # "not A, or B": every document but those "A and not B"
                return self._compile_rule(Not(negated))
            return Q.boolean_query([(Occur.Should, self._compile_rule(p)) for p in rule.parts])
        if isinstance(rule, Not):
            return Q.boolean_query(
                [(Occur.Must, Q.all_query()), (Occur.MustNot, self._compile_rule(rule.part))]
            )
        raise TypeError(f"unknown rule {rule!r}")

    def _text(self, query: Query) -> Any:
        # Every term of every word is one clause of a flat OR: the score is the sum of what
        # matches, and a flat union of term queries lets Tantivy skip blocks (block-max WAND)
        # when nothing else constrains the query. Typo tolerance and the partly typed last
        # word expand to every matching word of the index, so they look in the folded words
        # of titles and summaries only (a smaller vocabulary than all the text's).
        clauses: list[tuple[Any, Any]] = [
            (Occur.Should, self._boosted(Q.term_query(self.schema, name, term), boost))
            for alternatives in query.words
            for name, (boost, _) in FIELDS.items()
            for term in sorted(alternatives)
        ]
        if query.fuzzy:
            for word in dict.fromkeys(query.typed):
                if len(word) >= 4:
                    fuzzy = Q.fuzzy_term_query(
                        self.schema, "words", word, distance=1 if len(word) < 8 else 2
                    )
                    clauses.append((Occur.Should, Q.boost_query(fuzzy, FUZZY_BOOST)))
        for phrasings in query.phrases:
            options = [
                self._boosted(
                    Q.phrase_query(self.schema, name, list(phrasing))
                    if len(phrasing) > 1
                    else Q.term_query(self.schema, name, phrasing[0][1]),
                    boost,
                )
                for phrasing in phrasings
                for name, (boost, _) in FIELDS.items()
            ]
            clauses.append((Occur.Must, Q.boolean_query([(Occur.Should, o) for o in options])))
        if query.prefix:
            # A short prefix is one term of "prefixes"; a longer one expands to the few words
            # it starts (measured at 1.1M documents: expanding "pa" visited every posting of
            # every word starting with it). Either way a constant score.
            if len(query.prefix) <= PREFIX_MAX:
                starts = Q.const_score_query(
                    Q.term_query(self.schema, "prefixes", query.prefix), PREFIX_SCORE
                )
            else:
                starts = Q.boost_query(
                    Q.phrase_prefix_query(self.schema, "words", [query.prefix]), PREFIX_SCORE
                )
            options = [starts]
            if query.fuzzy and len(query.prefix) >= 4:
                options.append(
                    Q.boost_query(
                        Q.fuzzy_term_query(self.schema, "words", query.prefix, 1, True, True), 0.5
                    )
                )
            clauses.append((Occur.Should, Q.disjunction_max_query(options, 0.1)))
        return Q.boolean_query(clauses)

    @staticmethod
    def _boosted(query: Any, boost: float) -> Any:
        return query if boost == 1.0 else Q.boost_query(query, boost)

    def _filters(self, query: Query) -> Any:
        parts = [(Occur.Must, self._rule(query.rule))]
        for name, values in query.filters.items():
            if not values:
                continue
            parts.append((Occur.Must, Q.term_set_query(self.schema, name, list(values))))
        if query.since_ts is not None:
            parts.append(
                (
                    Occur.Must,
                    Q.range_query(
                        self.schema, "ts", tantivy.FieldType.Integer, query.since_ts, None
                    ),
                )
            )
        return Q.boolean_query(parts)

    def compile(self, query: Query) -> Any:
        if (
            query.has_text
            and isinstance(query.rule, Everything)
            and not any(query.filters.values())
            and query.since_ts is None
        ):
            return self._text(query)  # nothing to filter: no filter clause at all (see _text)
        filters = self._filters(query)
        if not query.has_text:
            return filters
        return Q.boolean_query(
            [(Occur.Must, self._text(query)), (Occur.Must, Q.const_score_query(filters, 0.0))]
        )

    def search(self, query: Query) -> Result:
        try:
            return self._search(query)
        except IndexUnavailable:
            raise
        except BaseException as exc:
            if not is_damage(exc):
                raise
            log.error("the search index is damaged: %s", exc)
            self.forget()
            self.damaged = True
            raise IndexUnavailable(str(exc)) from exc

    def _search(self, query: Query) -> Result:
        shards = self._shards(query)
        if len(shards) == 1:
            kind, sub = shards[0]
            return self._search_shard(kind, sub)
        # Several shards: the best offset + limit of each, merged, then the page.
        need = query.offset + query.limit
        results = [self._search_shard(k, replace(sub, offset=0, limit=need)) for k, sub in shards]
        by_date = query.newest_first or not query.has_text
        merged = sorted(
            (hit for result in results for hit in result.hits),
            key=(lambda h: -h.ts) if by_date else (lambda h: -h.score),
        )
        hits = merged[query.offset : need]
        total = sum(r.total for r in results) if query.count else len(hits)
        result = Result(hits=hits, total=total)
        if query.facets:
            for r in results:
                for name, counts in r.facets.items():
                    into = result.facets.setdefault(name, {})
                    for value, n in counts.items():
                        into[value] = into.get(value, 0) + n
        return result

    def _shards(self, query: Query) -> list[tuple[str, Query]]:
        """The shards a search reads, each with the query as it reads there: the rule where
        ``kind:<its kind>`` always holds (and no other kind's token does), no kind filter.
        Shards whose kind the rule or the kind filter rules out are not read at all."""
        wanted = set(query.filters.get("kind") or ())
        filters = {name: values for name, values in query.filters.items() if name != "kind"}
        base = simplified(query.rule)
        out = []
        for kind in self.index:
            if wanted and kind not in wanted:
                continue
            rule = in_shard(base, kind)
            if isinstance(rule, Leaf) and not rule.tokens:
                continue
            out.append((kind, replace(query, rule=rule, filters=filters)))
        return out or [(next(iter(self.index), ""), replace(query, rule=_NOTHING))]

    def _search_shard(self, kind: str, query: Query) -> Result:
        if kind not in self.index:  # no shard at all (an index of no kinds)
            return Result(hits=[], total=0)
        searcher = self.index[kind].searcher()
        if searcher.num_docs >= PROBE_MIN_DOCS and self._worth_probing(query):
            probed = self._probe(kind, searcher, query)
            if probed is not None:
                return self._result(kind, searcher, query, probed, None)
        compiled = self.compile(query)
        if query.newest_first or not query.has_text:
            found = searcher.search(
                compiled,
                limit=query.limit,
                offset=query.offset,
                order_by_field="ts",
                count=query.count,
            )
        else:
            found = searcher.search(
                compiled, limit=query.limit, offset=query.offset, count=query.count
            )
        return self._result(kind, searcher, query, found, compiled)

    def _result(self, kind: str, searcher: Any, query: Query, found: Any, compiled: Any) -> Result:
        addresses = [address for _, address in found.hits]
        hits = []
        if addresses:
            pks = searcher.fast_field_values("pk", addresses)
            tags = searcher.fast_field_values("tag", addresses)
            by_date = query.newest_first or not query.has_text
            times = searcher.fast_field_values("ts", addresses) if by_date else [0] * len(pks)
            known = _tags()
            for (score, address), pk, tag_, ts in zip(found.hits, pks, tags, times, strict=True):
                language = (known.get(tag_) or _stored_tag(searcher, address))[1]
                hits.append(
                    Hit(
                        kind=kind,
                        pk=int(pk or 0),
                        language=language,
                        score=float(score) if query.has_text else 0.0,
                        ts=int(ts or 0),
                    )
                )
        counted = getattr(found, "count", None) if query.count else None
        result = Result(hits=hits, total=counted if counted is not None else len(hits))
        if query.facets:
            result.facets = self._facets(searcher, compiled, query.date_bounds)
        return result

    # -- top hits under a broad filter -----------------------------------------------------
    #
    # A filter clause makes Tantivy visit every document the words match (an intersection
    # cannot skip blocks), while the words alone are a flat OR that block-max WAND answers
    # from a few blocks. When the filter lets most documents through (staff reading their
    # institution's records), the best few times as many hits without the filter, kept when
    # their stored access tokens pass the rule, give the same page much faster: the best
    # admitted documents among the best N are the best admitted documents overall. When too
    # few of them pass, the filtered query runs as before. The share of documents a rule
    # admitted last time sizes the next probe (or rules it out).

    def _worth_probing(self, query: Query) -> bool:
        return (
            query.has_text
            and not query.count
            and not query.facets
            and not query.newest_first
            and query.since_ts is None
            and set(query.filters) <= PROBE_FILTERS
            and not (isinstance(query.rule, Everything) and not any(query.filters.values()))
        )

    def _share(self, searcher: Any, rule: Rule, total: int) -> float:
        """At most what share of the index ``rule`` (simplified) admits, from term counts."""
        if isinstance(rule, Everything):
            return 1.0
        if isinstance(rule, Leaf):
            return min(1.0, sum(searcher.doc_freq("acl", t) for t in rule.tokens) / total)
        if isinstance(rule, All):
            return min(self._share(searcher, p, total) for p in rule.parts)
        if isinstance(rule, AnyOf):
            return min(1.0, sum(self._share(searcher, p, total) for p in rule.parts))
        return 1.0  # a negation: no cheap bound

    def _probe(self, kind: str, searcher: Any, query: Query) -> Any:
        rule = simplified(query.rule)
        filters = {
            name: {f"{name}={v}" for v in values}
            for name, values in query.filters.items()
            if values
        }
        key = (
            kind,
            _rule_key(rule),
            tuple(sorted((n, tuple(sorted(v))) for n, v in filters.items())),
        )
        share = self._shares.get(key)
        if share is None:
            share = self._share(searcher, rule, max(int(searcher.num_docs), 1))
        need = query.offset + query.limit
        want = max(PROBE_MIN_HITS, int(need / max(share, 1e-6) * 1.5))
        if want > PROBE_MAX_HITS:
            return None
        text = self._text(query)
        wanted = _tokens(rule).union(*filters.values())
        seen = 0
        kept: list[tuple[float, Any]] = []
        while True:
            found = searcher.search(text, limit=want, count=False)
            fresh = found.hits[seen:]
            held = self._held(searcher, [address for _, address in fresh], wanted)
            for hit, tokens in zip(fresh, held, strict=True):
                if rule.matches(tokens) and all(tokens & v for v in filters.values()):
                    kept.append(hit)
            seen = len(found.hits)
            exhausted = seen < want
            if seen >= PROBE_MIN_HITS:
                self._remember(key, max(len(kept), 1) / seen)
            if len(kept) >= need or exhausted:
                return _Found(kept[query.offset : need])
            # Too few passed: once more with as many candidates as the share seen implies.
            more = int(need / (max(len(kept), 1) / max(seen, 1)) * 1.5)
            if more > PROBE_MAX_HITS or more <= want:
                return None
            want = more

    def _held(self, searcher: Any, addresses: list[Any], wanted: set[str]) -> list[frozenset[str]]:
        """Which of the ``wanted`` tokens (access tokens, and ``name=value`` of the keyword
        facets) each document holds: from the hashes in its fast fields (30 times cheaper
        than its stored document, which is read only when it has more tokens than they hold).
        A hash that collides with a wanted token's can only let a document through to the
        database check of every hit, or hide it from this page: never show it."""
        if not addresses:
            return []
        by_hash = {token_hash(t): t for t in wanted}
        counts = searcher.fast_field_values("acln", addresses)
        columns = [searcher.fast_field_values(f"acl{i}", addresses) for i in range(ACL_FIELDS)]
        out = []
        for j, address in enumerate(addresses):
            if counts[j] is None or counts[j] > 2 * ACL_FIELDS:
                stored = searcher.doc(address)
                held = {*stored.get_all("acl")}
                held |= {f"{n}={stored.get_first(n)}" for n in KEYWORD_FACETS}
                out.append(frozenset(held & wanted))
                continue
            found = set()
            for column in columns:
                pair = column[j] or 0
                for value in (pair & 0xFFFFFFFF, pair >> 32):
                    token = by_hash.get(value)
                    if token is not None:
                        found.add(token)
            out.append(frozenset(found))
        return out

    def _remember(self, key: Any, share: float) -> None:
        if len(self._shares) >= 4096:
            self._shares.clear()
        self._shares[key] = share

    def _facets(
        self, searcher: Any, compiled: Any, date_bounds: dict[str, int]
    ) -> dict[str, dict[str, int]]:
        spec: dict[str, Any] = {
            name: {"terms": {"field": name, "size": 50}}
            for name in (*KEYWORD_FACETS, *NUMBER_FACETS)
        }
        # "Changed within N days": Tantivy's ranges may not overlap, so count disjoint bands
        # (newest first) and add them up.
        bands = sorted(date_bounds.items(), key=lambda kv: -kv[1])
        if bands:
            edges = [b for _, b in bands]
            spec["date"] = {
                "range": {
                    "field": "ts",
                    "ranges": [
                        {"key": key, "from": edge, **({"to": edges[i - 1]} if i else {})}
                        for i, (key, edge) in enumerate(bands)
                    ],
                }
            }
        raw = searcher.aggregate(compiled, spec)
        facets: dict[str, dict[str, int]] = {}
        for name in (*KEYWORD_FACETS, *NUMBER_FACETS):
            buckets = raw.get(name, {}).get("buckets", [])
            facets[name] = {
                str(int(b["key"]) if isinstance(b["key"], float) else b["key"]): int(b["doc_count"])
                for b in buckets
                if b["doc_count"]
            }
        if bands:
            counts = {b["key"]: int(b["doc_count"]) for b in raw["date"]["buckets"]}
            running = 0
            facets["date"] = {}
            for key, _ in bands:
                running += counts.get(key, 0)
                if running:
                    facets["date"][key] = running
        return facets

    def refs(self, kind: str) -> dict[int, int]:
        """Primary keys of one kind in the index, with their number of documents."""
        if kind not in self.index:
            return {}
        searcher = self.index[kind].searcher()
        found = searcher.search(Q.all_query(), limit=max(searcher.num_docs, 1), count=False)
        counts: dict[int, int] = {}
        for pk in searcher.fast_field_values("pk", [a for _, a in found.hits]):
            counts[int(pk or 0)] = counts.get(int(pk or 0), 0) + 1
        return counts

    def num_docs(self) -> int:
        return sum(int(shard.searcher().num_docs) for shard in self.index.values())

    def clear(self) -> None:
        with self.lock:
            for shard in self.index.values():
                writer = shard.writer(heap_size=15_000_000, num_threads=1)
                writer.delete_all_documents()
                writer.commit()
                writer.wait_merging_threads()
                shard.reload()


def tag(kind: str, language: str) -> int:
    """A document's kind and language as one number (stable across processes)."""
    return zlib.crc32(f"{kind}:{language}".encode())


def _tags() -> dict[int, tuple[str, str]]:
    known = _TAGS.get("known")
    if known is None or len(known) != len(doc_types()) * len(LANGUAGES):
        known = {tag(k, lang): (k, lang) for k in doc_types() for lang in LANGUAGES}
        _TAGS["known"] = known
    return known


def _stored_tag(searcher: Any, address: Any) -> tuple[str, str]:
    """Kind and language from the stored document (a kind no longer registered)."""
    stored = searcher.doc(address)
    return str(stored.get_first("kind")), str(stored.get_first("lang"))


_TAGS: dict[str, dict[int, tuple[str, str]]] = {}
_NOTHING = Leaf(Q_NOTHING, frozenset())
# A probe asks for half as many hits again as the rule's share implies, at least the first
# bound; a probe that would need more than the second runs the filtered query instead.
PROBE_MIN_HITS = 50
# A shard this small is cheaper to search with the filter than to probe (at 220,000 documents
# the probe's own work in Python was a third of an anonymous search through the whole path).
PROBE_MIN_DOCS = 50_000
# (Measured at 1.1M documents, a level-1 specialist's CPU p50 through the whole path: 160 ->
# 34 ms, 300 -> 34 ms, 1000 -> 26 ms, 2500 -> 25 ms, but anonymous p95 23 -> 67 ms: a narrow
# public filter is cheaper to intersect than 2,500 candidates are to check.)
PROBE_MAX_HITS = 1000
# Filters a probe checks (keyword facets, held as tokens; the rest: the filtered query).
PROBE_FILTERS = set(KEYWORD_FACETS)
ACL_FIELDS = 10


@dataclass
class _Found:
    """Probed hits in the shape of Tantivy's search result."""

    hits: list[tuple[float, Any]]
    count: int | None = None


def simplified(rule: Rule) -> Rule:
    """The same rule for the index, smaller: unions of leaves merged into one leaf (a leaf is
    "any of these tokens"), nested unions and conjunctions flattened, parts that match
    nothing or everything dropped or absorbed, double negations removed. (Permission rules
    are written for readability and carry many empty leaves — roles the user does not
    hold; each level of nesting costs the index a scorer per document it visits.) Leaves
    made here carry no meaningful ``Q``: only the index reads them."""
    if isinstance(rule, Leaf):
        return rule if rule.tokens else _NOTHING
    if isinstance(rule, Not):
        part = simplified(rule.part)
        if isinstance(part, Everything):
            return _NOTHING
        if isinstance(part, Leaf) and not part.tokens:
            return Everything()
        return part.part if isinstance(part, Not) else Not(part)
    if isinstance(rule, All):
        parts: list[Rule] = []
        for part in map(simplified, rule.parts):
            if isinstance(part, Leaf) and not part.tokens:
                return _NOTHING
            if isinstance(part, All):
                parts.extend(part.parts)
            elif not isinstance(part, Everything):
                parts.append(part)
        if not parts:
            return Everything() if rule.parts else rule
        return parts[0] if len(parts) == 1 else All(tuple(parts))
    if isinstance(rule, AnyOf):
        tokens: set[str] = set()
        others: list[Rule] = []
        for part in map(simplified, rule.parts):
            if isinstance(part, Everything):
                return part
            for piece in part.parts if isinstance(part, AnyOf) else (part,):
                if isinstance(piece, Leaf):
                    tokens |= piece.tokens
                else:
                    others.append(piece)
        if tokens:
            others.insert(0, Leaf(Q_NOTHING, frozenset(tokens)))
        if not others:
            return _NOTHING
        return others[0] if len(others) == 1 else AnyOf(tuple(others))
    return rule


def in_shard(rule: Rule, kind: str) -> Rule:
    """``rule`` (already ``simplified``) as it reads within the shard of ``kind``: there every
    document holds ``kind:<kind>`` and none holds another kind's token."""
    if isinstance(rule, Everything):
        return rule
    own = f"kind:{kind}"

    def walk(part: Rule) -> Rule:
        if isinstance(part, Leaf):
            if own in part.tokens:
                return Everything()
            return Leaf(Q_NOTHING, frozenset(t for t in part.tokens if not t.startswith("kind:")))
        if isinstance(part, All):
            return All(tuple(map(walk, part.parts)))
        if isinstance(part, AnyOf):
            return AnyOf(tuple(map(walk, part.parts)))
        if isinstance(part, Not):
            return Not(walk(part.part))
        return part

    return simplified(walk(rule))


def token_hash(token: str) -> int:
    """A token's 32-bit hash as the ``acl*`` fast fields hold it (0 marks an empty half)."""
    return zlib.crc32(token.encode()) or 1


def _tokens(rule: Rule) -> set[str]:
    """Every token a (simplified) rule reads."""
    if isinstance(rule, Leaf):
        return set(rule.tokens)
    if isinstance(rule, All | AnyOf):
        return set().union(*(_tokens(p) for p in rule.parts))
    if isinstance(rule, Not):
        return _tokens(rule.part)
    return set()


def _rule_key(rule: Rule) -> Any:
    """A hashable form of a rule's index reading (its tokens and shape)."""
    if isinstance(rule, Leaf):
        return tuple(sorted(rule.tokens))
    if isinstance(rule, All | AnyOf):
        return (type(rule).__name__, *(_rule_key(p) for p in rule.parts))
    if isinstance(rule, Not):
        return ("Not", _rule_key(rule.part))
    return type(rule).__name__


def _negated(rule: Rule) -> Rule | None:
    """``R`` such that ``rule`` is "not R", when ``rule`` is a negation or a union with one:
    not A → A; (not A) or (not B) or C or D → A and B and not (C or D)."""
    if isinstance(rule, Not):
        return rule.part
    if isinstance(rule, AnyOf):
        negative = [p.part for p in rule.parts if isinstance(p, Not)]
        if not negative:
            return None
        positive = [p for p in rule.parts if not isinstance(p, Not)]
        if not positive:
            return All(tuple(negative))
        return All((*negative, Not(AnyOf(tuple(positive)))))
    return None


def phrasings(words_: list[str]) -> list[list[tuple[int, str]]]:
    """A quoted phrase analysed in each language (positions as indexed: stop words are
    dropped without gaps)."""
    text = " ".join(words_)
    options = []
    for language in ("lv", "en"):
        phrasing = list(enumerate(index_terms(text, language).split()))
        if phrasing and phrasing not in options:
            options.append(phrasing)
    return options


__all__ = ["Hit", "IndexUnavailable", "Query", "Result", "TantivyEngine", "phrasings"]
