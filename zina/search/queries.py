"""The one search every surface uses: pages, the API, suggestions, the portal, the assistant.

The index narrows by each kind's visibility rule (the same rule as its ``visible_to``); every
hit is then checked against the database before it is shown, so a change of audience takes
effect at once even if an index lags. Totals and facet counts come from the same filtered
index query, less any hit the database check refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString

from zina.accounts.models import Institution
from zina.catalog.models import Service
from zina.core.permissions import NOTHING, is_superuser
from zina.core.rules import All, AnyOf, Everything, Rule, leaf

from . import indexer, registry
from .analyzer import STOP_WORDS, variants, words
from .engine import IndexUnavailable, Query, phrasings
from .operations import log_search
from .snippets import highlights

_PHRASE = re.compile(r'"([^"]*)"?')
FILTERS = ("kind", "type", "state", "audience", "institution", "services")
SINCE_DAYS = (7, 30, 365)
SUGGEST_CHARS = 5000  # "did you mean" reads the beginning of each result's text


@dataclass
class Found:
    kind: str
    pk: int
    language: str
    title: str
    url: str
    snippet: SafeString
    score: float
    kind_label: Any
    meta: dict[str, Any] = field(default_factory=dict)
    text: str = ""


@dataclass
class Results:
    text: str
    hits: list[Found]
    total: int
    page: int = 1
    per_page: int = 20
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    # Names of the services and institutions in ``facets`` (all of them visible to the user).
    facet_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    did_you_mean: str = ""
    approximate: bool = False
    rebuilding: bool = False
    log_id: int | None = None
    # Whether ``total`` is the exact number of results. A search that does not count knows
    # it only when its page is the last one; otherwise ``total`` is the results up to this
    # page and ``more`` says that there is a next page.
    counted: bool = True
    more: bool = False

    @property
    def first_rank(self) -> int:
        return (self.page - 1) * self.per_page + 1

    @property
    def pages(self) -> int:
        if not self.counted:
            return self.page + 1 if self.more else self.page
        return max(1, -(-self.total // self.per_page))


def parse(text: str, *, as_you_type: bool = False) -> Query:
    """Words (each with its Latvian and English terms), quoted phrases, and a partly typed
    last word when searching as one types."""
    query = Query()
    for phrase in _PHRASE.findall(text):
        options = phrasings([w for w, _, _ in words(phrase)])
        if options:
            query.phrases.append(options)
    rest = _PHRASE.sub(" ", text)
    typed = [w for w, _, _ in words(rest)]
    for word in typed:
        alternatives = variants(word)
        if alternatives:
            query.words.append(alternatives)
            query.typed.append(word)
    if as_you_type and typed and rest[-1:].isalnum() and len(typed[-1]) >= 2:
        query.prefix = typed[-1]
    return query


def kind_rules(user: Any, kinds: Sequence[str]) -> dict[str, Rule]:
    """What ``user`` may see of each kind: its visibility rule, for documents of that kind."""
    if user is not None and getattr(user, "is_authenticated", False) and not user.is_active:
        return {kind: leaf(NOTHING, []) for kind in kinds}
    return {
        kind: All(
            (
                leaf(NOTHING, [f"kind:{kind}"]),
                Everything() if is_superuser(user) else registry.get(kind).rule(user),
            )
        )
        for kind in kinds
    }


def rule_for(user: Any, kinds: Sequence[str]) -> Rule:
    """What ``user`` may see of these kinds, as one index filter."""
    return AnyOf(tuple(kind_rules(user, kinds).values()))


def _terms(query: Query) -> set[str]:
    found: set[str] = set()
    for alternatives in query.words:
        found |= alternatives
    for options in query.phrases:
        for phrasing in options:
            found |= {t for _, t in phrasing}
    return found


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance when it is at most ``limit``, else ``limit + 1`` (only the band
    of cells within ``limit`` of the diagonal is computed)."""
    too_far = limit + 1
    if abs(len(a) - len(b)) > limit:
        return too_far
    # Each edit changes the set of letters by at most two: a cheap test that rejects most.
    if len(set(a).symmetric_difference(b)) > 2 * limit:
        return too_far
    previous = [j if j <= limit else too_far for j in range(len(b) + 1)]
    for i, ca in enumerate(a, 1):
        current = [too_far] * (len(b) + 1)
        current[0] = i if i <= limit else too_far
        best = current[0]
        for j in range(max(1, i - limit), min(len(b), i + limit) + 1):
            cell = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != b[j - 1]))
            current[j] = cell if cell < too_far else too_far
            best = min(best, current[j])
        if best > limit:
            return too_far
        previous = current
    return previous[-1]


def did_you_mean(text: str, shown: Sequence[Found]) -> str:
    """The query with unknown words replaced by the nearest words of the results typo
    tolerance found and the database check let through (so only words of what the user may
    read are offered), or ''."""
    counts: dict[str, int] = {}
    for hit in shown:
        for folded, _, _ in words(f"{hit.title}\n{hit.text[:SUGGEST_CHARS]}"):
            counts[folded] = counts.get(folded, 0) + 1
    changed = False
    out: list[str] = []
    for word, _, _ in words(text):
        if len(word) < 4 or word in STOP_WORDS["lv"] or word in counts:
            out.append(word)
            continue
        limit = 1 if len(word) <= 5 else 2
        best: tuple[int, int, str] | None = None
        for candidate, freq in counts.items():
            if candidate[:2] != word[:2]:
                continue
            distance = _edit_distance(word, candidate, limit)
            if distance <= limit and (best is None or (distance, -freq, candidate) < best):
                best = (distance, -freq, candidate)
        if best is not None:
            changed = True
            out.append(best[2])
        else:
            out.append(word)
    return " ".join(out) if changed else ""


def search(
    user: Any,
    text: str,
    *,
    kinds: Sequence[str] | None = None,
    filters: Mapping[str, Sequence[Any]] | None = None,
    since_days: int | None = None,
    page: int = 1,
    per_page: int = 20,
    as_you_type: bool = False,
    newest_first: bool = False,
    facets: bool = False,
    count: bool = True,
    snippets: bool = True,
    surface: str = "",
) -> Results:
    """Ranked, permission-checked results for ``text``. ``surface`` names where the search
    came from; when given, the search is logged (without the user).

    Without ``count`` (nor ``facets``), the engine looks for one hit beyond the page instead
    of counting every match: ``results.more`` tells whether there is a next page, and
    ``results.counted`` whether ``total`` is exact (it is when this page is the last)."""
    text = text.replace("\x00", "").strip()[:500]
    kinds = [k for k in (kinds or registry.doc_types()) if k in registry.doc_types()]
    query = parse(text, as_you_type=as_you_type)
    rules = kind_rules(user, kinds)
    if is_superuser(user) and set(kinds) == set(registry.doc_types()):
        query.rule = Everything()  # no filter clause (documents of no kind are refused below)
    else:
        query.rule = AnyOf(tuple(rules.values()))
    query.filters = {k: list(v) for k, v in (filters or {}).items() if k in FILTERS and v}
    now = timezone.now()
    if since_days:
        query.since_ts = int((now - timedelta(days=since_days)).timestamp())
    query.date_bounds = {
        str(days): int((now - timedelta(days=days)).timestamp()) for days in SINCE_DAYS
    }
    query.newest_first, query.facets = newest_first, facets
    query.count = count or facets
    # Without counting, one hit beyond the page tells whether there is a next one.
    query.limit = per_page if query.count else per_page + 1
    query.offset = (max(page, 1) - 1) * per_page
    results = Results(text=text, hits=[], total=0, page=max(page, 1), per_page=per_page)
    if not query.has_text and not query.filters:
        return results  # nothing to look for (empty, or only stop words and punctuation)
    for attempt in (1, 2):  # a second time after rebuilding an unusable index
        try:
            indexer.catch_up()
            eng = indexer.engine()
            found = eng.search(query)
            if query.has_text and _nothing_matched(eng, query, found):
                query.fuzzy = True
                found = eng.search(query)
                results.approximate = found.total > 0
            break
        except IndexUnavailable:
            if attempt == 2 or not indexer.ensure_index():
                results.rebuilding = True
                return results
    if facets:
        results.facets = visible_facets(user, found.facets, results.facet_labels)
    hits = found.hits[:per_page]
    results.hits, refused = _show(user, hits, query, rules, snippets=snippets)
    if query.fuzzy:
        results.did_you_mean = did_you_mean(text, results.hits)
    if query.count:
        results.total = max(0, found.total - refused)
    else:
        results.more = len(found.hits) > per_page
        results.total = query.offset + len(results.hits)
        # Past the last page nothing is known of the pages before.
        results.counted = not results.more and (bool(hits) or query.offset == 0)
    if surface:
        results.log_id = log_search(user=user, text=text, surface=surface, results=results.total)
    return results


def _nothing_matched(eng: Any, query: Query, found: Any) -> bool:
    """Did the words match nothing at all (so that fuzzy matching is tried)? An empty page
    past the first says so only when counted; otherwise the first hit is looked for."""
    if found.hits or query.count or query.offset == 0:
        return found.total == 0
    return not eng.search(replace(query, limit=1, offset=0)).hits


def checked(
    user: Any, keys: Sequence[tuple[str, int, str]], rules: dict[str, Rule] | None = None
) -> dict[tuple[str, int, str], Found]:
    """The hits (kind, pk, language) the user may see, from documents built afresh from the
    database and passed through the same visibility rule as ``visible_to`` — so an index
    that lags never shows what the database now hides."""
    by_kind: dict[str, set[int]] = {}
    for kind, pk, _ in keys:
        by_kind.setdefault(kind, set()).add(pk)
    found: dict[tuple[str, int, str], Found] = {}
    for kind, pks in by_kind.items():
        if kind not in registry.doc_types():
            continue  # an index document of a kind no longer registered: not shown
        doc_type = registry.get(kind)
        rule = (rules or {}).get(kind) or rule_for(user, [kind])
        for doc in doc_type.build(sorted(pks)):
            if rule.matches(doc.acl | {f"kind:{kind}"}):
                found[(kind, doc.pk, doc.language)] = Found(
                    kind=kind,
                    pk=doc.pk,
                    language=doc.language,
                    title=doc.title,
                    url=doc.url,
                    snippet=SafeString(""),
                    score=0.0,
                    kind_label=doc_type.label,
                    meta=doc.meta,
                    text=f"{doc.summary}\n{doc.body}",
                )
    return found


def _show(
    user: Any,
    hits: Sequence[Any],
    query: Query,
    rules: dict[str, Rule],
    *,
    snippets: bool = True,
) -> tuple[list[Found], int]:
    """Hits the database lets ``user`` see, with snippets; and how many it refused."""
    allowed = checked(user, [(h.kind, h.pk, h.language) for h in hits], rules)
    out: list[Found] = []
    for hit in hits:
        item = allowed.get((hit.kind, hit.pk, hit.language))
        if item is None:
            continue
        item.score = round(hit.score, 4)
        out.append(item)
    if snippets and out:
        cut = highlights([(i.text, i.language) for i in out], _terms(query), query.prefix)
        for item, snippet in zip(out, cut, strict=True):
            item.snippet = snippet
    return out, len(hits) - len(out)


def ranked_ids(user: Any, text: str, kind: str, limit: int = 500) -> list[int]:
    """Primary keys of the best ``limit`` rows of one kind the user may see, for lists that
    filter by words (their own order and paging stay)."""
    results = search(user, text, kinds=[kind], per_page=limit, as_you_type=True, count=False)
    return list(dict.fromkeys(hit.pk for hit in results.hits))


# Kinds that are the knowledge itself or the catalog; the rest (tickets) are "similar work".
NOT_SIMILAR = ("article", "service", "resource")


def suggestions(user: Any, text: str, k: int = 5) -> tuple[Results, Results | None]:
    """For text being typed (a ticket's subject and description): the top ``k`` articles, and
    similar tickets (possible duplicates) once tickets are indexed."""
    articles = search(user, text, kinds=["article"], per_page=k, as_you_type=True, count=False)
    others = [kind for kind in registry.doc_types() if kind not in NOT_SIMILAR]
    similar = search(user, text, kinds=others, per_page=k, count=False) if others else None
    return articles, similar


def visible_facets(
    user: Any, facets: dict[str, dict[str, int]], labels: dict[str, dict[str, str]] | None = None
) -> dict[str, dict[str, int]]:
    """Facet counts without values that name what the user may not see (a public article
    linked to an internal service must not disclose that service's id). The names of the
    services and institutions kept go into ``labels`` when given (the page shows them)."""
    cleaned = dict(facets)
    for name, model in (("services", Service), ("institution", Institution)):
        counts = facets.get(name, {})
        ids = [int(v) for v in counts if v.isdigit()]
        seen = (
            {str(o.pk): str(o) for o in model.objects.visible_to(user).filter(pk__in=ids)}
            if ids
            else {}
        )
        if labels is not None:
            labels[name] = seen
        cleaned[name] = {v: n for v, n in counts.items() if v in seen}
    return cleaned
