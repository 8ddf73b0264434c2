"""Benchmark: how well search finds the knowledge article a user's question is about.

Data: StackFAQ — 125 StackExchange web-apps threads (Gmail, Google Docs, GitHub, …), each
with about ten paraphrased user questions written by people. Karan & Šnajder (2018),
"Paraphrase-focused learning to rank for domain-specific frequently asked questions
retrieval", Expert Systems with Applications 91:418–433; file from the ML-Recipes/BERT-FAQ
repository (MIT licence). The text is StackExchange content, CC BY-SA: keep this attribution
wherever the data is shipped or shown.

Every thread becomes one published, public article (title = ``question``, body = the
``answer`` list joined) in a scratch SQLite database, created through the article importer
(``create_article`` → ``submit_for_review`` → ``publish_revision``, as ``zina
import-articles --publish`` does). Every paraphrase in ``rephr`` (a lone ``"*"`` is a
placeholder and is skipped) is then a query, run through the real search path
(``zina.search.queries.search`` as an anonymous visitor, articles only, ten per page), and
scored by where its own thread's article ranks: Recall@1, Recall@5, MRR@10 and nDCG@10 (one
relevant document per query, so nDCG@10 = 1/log2(rank + 1) when rank ≤ 10, else 0).

Two baselines run on the same articles and queries in the same run:

- ``icontains``: what peer helpdesks do (django-helpdesk style): the query split into words,
  ``Q(title__icontains=w) | Q(body__icontains=w) | …`` OR-ed over every word, on the live
  revisions an anonymous visitor may see; ranked by how many words matched, then by id.
- ``bm25``: plain BM25 without our analyzer: a separate Tantivy index in a temp directory with
  Tantivy's own ``default`` tokenizer (lowercase; no stemming, no folding, no stop words) over
  the same title and body, with the same title boost, queried with the paraphrase's words OR-ed.

Any data set of the same JSON shape can be measured: ``--dataset PATH`` and ``--lang en|lv``
(the documents' language). Run: make bench-relevance [DATASET=… DATASET_LANG=…]. Prints
progress, then one JSON line of figures. BENCH_RELEVANCE_MISSES=N prints the N worst zina
misses (queries whose article ranked lowest or not at all) to stderr.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_DATASET = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "datasets"
    / "stackfaq"
    / "stackExchange-FAQ.json"
)
ATTRIBUTION = (
    "StackFAQ: Karan & Šnajder (2018), Expert Systems with Applications 91:418–433; "
    "StackExchange content, CC BY-SA (via ML-Recipes/BERT-FAQ, MIT)."
)
TOP = 10
TARGET_NDCG = 0.85
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass
class Thread:
    title: str
    body: str
    queries: list[str]


def load_dataset(path: Path) -> list[Thread]:
    """StackFAQ's shape: ``{"root": {"qapair": [{"question", "answer": [...], "rephr": [...]}]}}``.
    Tolerates an answer given as one string and empty or null paraphrases (both occur)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    pairs = data["root"]["qapair"] if isinstance(data, dict) else data
    threads: list[Thread] = []
    for pair in pairs:
        answers = pair.get("answer") or []
        if isinstance(answers, str):
            answers = [answers]
        queries = [
            r.strip()
            for r in pair.get("rephr") or []
            if isinstance(r, str) and r.strip() and r.strip() != "*"
        ]
        threads.append(
            Thread(
                title=str(pair["question"]).strip(),
                body="\n\n".join(str(a).strip() for a in answers if a),
                queries=queries,
            )
        )
    return threads


# -- scoring --------------------------------------------------------------------------------------


def score(ranks: Sequence[int | None]) -> dict[str, Any]:
    """Figures for the rank (1-based, None when not in the top ten) of each query's article."""
    n = len(ranks) or 1

    def within(k: int) -> int:
        return sum(1 for r in ranks if r is not None and r <= k)

    return {
        "recall_at_1": round(within(1) / n, 4),
        "recall_at_5": round(within(5) / n, 4),
        "mrr_at_10": round(sum(1 / r for r in ranks if r is not None and r <= TOP) / n, 4),
        "ndcg_at_10": round(
            sum(1 / math.log2(r + 1) for r in ranks if r is not None and r <= TOP) / n, 4
        ),
        "queries": len(ranks),
    }


def rank_of(wanted: int, found: Sequence[int]) -> int | None:
    for position, pk in enumerate(found[:TOP], 1):
        if pk == wanted:
            return position
    return None


# -- loading --------------------------------------------------------------------------------------


def load_articles(threads: Sequence[Thread], language: str) -> list[int]:
    """Import every thread as a published public article; their primary keys, in order."""
    from zina.accounts.models import Institution, User
    from zina.knowledge import importer
    from zina.knowledge.choices import Audience

    actor = User.objects.create_superuser("bench", password="x")  # noqa: S106
    institution = Institution.objects.create(code="bench", name="Relevance benchmark")
    lines = [
        json.dumps({"title": t.title, "body": t.body, "type": "faq"}, ensure_ascii=False)
        for t in threads
    ]
    batch = importer.read_jsonl("dataset.jsonl", "\n".join(lines).encode("utf-8"))
    options = importer.ImportOptions(
        institution=institution, audience=Audience.PUBLIC, language=language, publish=True
    )
    report = importer.import_articles(actor=actor, batch=batch, options=options)
    if report.errors:
        raise SystemExit(f"import failed: {[str(e) for e in report.errors[:5]]}")
    assert len(report.created) == len(threads)
    return [rev.article_id for rev in report.created]


# -- the systems ----------------------------------------------------------------------------------


def zina_search() -> Callable[[str], list[int]]:
    from django.contrib.auth.models import AnonymousUser

    from zina.search.queries import search

    anonymous = AnonymousUser()

    def run(text: str) -> list[int]:
        results = search(anonymous, text, kinds=["article"], per_page=TOP)
        return [hit.pk for hit in results.hits if hit.kind == "article"]

    return run


def icontains_search() -> Callable[[str], list[int]]:
    """OR-chained ``icontains`` per word over the revision's text fields; ranked by the number
    of query words found, then by id (django-helpdesk and similar desks)."""
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import Case, IntegerField, Q, Value, When

    from zina.knowledge.models import ArticleRevision

    fields = ("title", "symptoms", "resolution", "body", "keywords")
    live = ArticleRevision.objects.visible_to(AnonymousUser()).filter(is_live=True)

    def run(text: str) -> list[int]:
        found_words = list(dict.fromkeys(w.lower() for w in _WORD.findall(text)))
        if not found_words:
            return []
        matches = []
        for word in found_words:
            q = Q()
            for name in fields:
                q |= Q(**{f"{name}__icontains": word})
            matches.append(q)
        any_word = Q()
        for q in matches:
            any_word |= q
        matched = sum(
            (Case(When(q, then=Value(1)), default=Value(0)) for q in matches),
            start=Value(0, output_field=IntegerField()),
        )
        rows = (
            live.filter(any_word)
            .annotate(matched=matched)
            .order_by("-matched", "article_id", "id")
            .values_list("article_id", flat=True)[: TOP * 2]
        )
        return list(dict.fromkeys(rows))[:TOP]

    return run


def bm25_search(
    threads: Sequence[Thread], pks: Sequence[int], directory: Path
) -> Callable[[str], list[int]]:
    """Plain BM25: Tantivy's ``default`` tokenizer, same title and body, same title boost."""
    import tantivy

    from zina.search.registry import WEIGHTS

    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field("pk", stored=True, fast=True)
    builder.add_text_field("title", tokenizer_name="default")
    builder.add_text_field("body", tokenizer_name="default")
    schema = builder.build()
    directory.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(schema, path=str(directory))
    writer = index.writer(heap_size=50_000_000, num_threads=1)
    for thread, pk in zip(threads, pks, strict=True):
        doc = tantivy.Document()
        doc.add_unsigned("pk", pk)
        doc.add_text("title", thread.title)
        doc.add_text("body", thread.body)
        writer.add_document(doc)
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    searcher = index.searcher()
    boosts = {"title": WEIGHTS["title"], "body": WEIGHTS["body"]}

    def run(text: str) -> list[int]:
        # Words only, lowercased: no query syntax (quotes, +, -, :, AND/OR/NOT) survives.
        plain = " ".join(_WORD.findall(text.lower()))
        if not plain:
            return []
        query = index.parse_query(plain, ["title", "body"], field_boosts=boosts)
        hits = searcher.search(query, limit=TOP).hits
        return [int(searcher.doc(address)["pk"][0]) for _, address in hits]

    return run


# -- the run --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--lang", choices=("en", "lv"), default="en")
    args = parser.parse_args()
    dataset: Path = args.dataset.resolve()
    misses_wanted = int(os.environ.get("BENCH_RELEVANCE_MISSES", "0"))

    workdir = Path(tempfile.mkdtemp(prefix="zina-bench-relevance-"))
    os.environ["ZINA_DATA_DIR"] = str(workdir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("ZINA_INDEX_DIR", None)
    # Articles reach the index through the outbox; it is applied once, by the rebuild below,
    # rather than after the import's commit, so the two timings stay apart.
    os.environ["ZINA_SEARCH_IMMEDIATE"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zina.settings")
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from zina.search import indexer

        if dataset == DEFAULT_DATASET.resolve():
            print(ATTRIBUTION, file=sys.stderr)
        threads = load_dataset(dataset)
        total_queries = sum(len(t.queries) for t in threads)
        call_command("migrate", verbosity=0)

        print(f"load: {len(threads)} articles ({args.lang}) from {dataset.name} …", file=sys.stderr)
        t0 = time.perf_counter()
        pks = load_articles(threads, args.lang)
        t_load = time.perf_counter()
        indexed = indexer.rebuild()
        t_index = time.perf_counter()
        assert indexer.engine().num_docs() == len(threads), "not every article was indexed"
        print(
            f"  imported in {t_load - t0:.1f} s, indexed {indexed} documents in "
            f"{t_index - t_load:.1f} s",
            file=sys.stderr,
        )

        systems: dict[str, Callable[[str], list[int]]] = {
            "zina": zina_search(),
            "icontains": icontains_search(),
            "bm25": bm25_search(threads, pks, workdir / "bm25"),
        }
        figures: dict[str, Any] = {}
        timings: dict[str, float] = {}
        worst: list[tuple[int, str, str, list[int]]] = []
        for name, run in systems.items():
            print(f"{name}: {total_queries} queries …", file=sys.stderr)
            ranks: list[int | None] = []
            s0 = time.perf_counter()
            for thread, pk in zip(threads, pks, strict=True):
                for text in thread.queries:
                    found = run(text)
                    rank = rank_of(pk, found)
                    ranks.append(rank)
                    if name == "zina" and misses_wanted and (rank is None or rank > 1):
                        worst.append((rank or TOP + 1, text, thread.title, found[:3]))
            timings[name] = time.perf_counter() - s0
            figures[name] = score(ranks)
            print(
                f"  nDCG@10 {figures[name]['ndcg_at_10']:.4f}  "
                f"R@1 {figures[name]['recall_at_1']:.4f}  "
                f"R@5 {figures[name]['recall_at_5']:.4f}  "
                f"MRR@10 {figures[name]['mrr_at_10']:.4f}  "
                f"({timings[name] * 1000 / max(total_queries, 1):.1f} ms/query)",
                file=sys.stderr,
            )

        if worst:
            titles = {pk: t.title for t, pk in zip(threads, pks, strict=True)}
            print(f"worst zina misses (of {len(worst)} not ranked first):", file=sys.stderr)
            for rank, text, title, found in sorted(worst, key=lambda w: -w[0])[:misses_wanted]:
                shown = "none" if rank > TOP else str(rank)
                print(f"  [{shown}] {text!r} → want {title!r}", file=sys.stderr)
                for pk in found:
                    print(f"        got {titles.get(pk, pk)!r}", file=sys.stderr)

        figures.update(
            {
                "benchmark": "relevance",
                "dataset": str(args.dataset),
                "lang": args.lang,
                "articles": len(threads),
                "database": connection.vendor,
                "target_ndcg_at_10": TARGET_NDCG,
                "meets_target": figures["zina"]["ndcg_at_10"] >= TARGET_NDCG,
                "load_s": round(t_load - t0, 2),
                "index_s": round(t_index - t_load, 2),
                "ms_per_query": {
                    k: round(v * 1000 / max(total_queries, 1), 2) for k, v in timings.items()
                },
                "attribution": ATTRIBUTION if dataset == DEFAULT_DATASET.resolve() else "",
            }
        )
        print(json.dumps(figures, ensure_ascii=False))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
