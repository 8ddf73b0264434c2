"""Highlighted snippets cut from the original text (after the permission check)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

from django.utils.safestring import SafeString, mark_safe

from .analyzer import WORD, fold, normalize, term, term_cache

MAX_CHARS = 20_000  # snippets come from the beginning of very long texts


def _finder(words: set[str], language: str, terms: set[str], prefix: str) -> re.Pattern[str] | None:
    """One expression that finds, as whole words (as WORD finds them), those of ``words``
    whose term is one of ``terms`` or that start with ``prefix``; None when none does."""
    cache = term_cache(language)
    for word in words:
        # (Not ``words - cache.keys()``: that walks the whole cache, up to 500,000 words.)
        if word not in cache:
            cache[word] = term(word, language)
    wanted = [w for w in words if cache[w] in terms]
    if prefix:
        # Only words whose first letter folds to the prefix's are folded whole.
        firsts = {w[0] for w in words}
        firsts = {c for c in firsts if fold(c)[:1] == prefix[:1]}
        wanted += [
            w
            for w in words
            if w[0] in firsts and fold(w).startswith(prefix) and cache[w] not in terms
        ]
    if not wanted:
        return None
    # The longest alternative first, and only where a word ends; where it starts is checked
    # by ``_spans`` (a lookbehind here would keep the engine from skipping ahead quickly).
    wanted.sort(key=lambda w: (-len(w), w))
    return re.compile(rf"(?:{'|'.join(map(re.escape, wanted))})(?![^\W_])")


def _spans(finder: re.Pattern[str] | None, text: str) -> list[tuple[int, int]]:
    """Where ``finder`` finds whole words of ``text``. (A match that starts inside a longer
    word cannot hide a whole word: words hold no separators, so it ends with that word.)"""
    if finder is None:
        return []
    return [
        m.span()
        for m in finder.finditer(text)
        if not m.start() or not text[m.start() - 1].isalnum()
    ]


def matches(text: str, language: str, terms: set[str], prefix: str) -> list[tuple[int, int]]:
    """Spans of the words of ``text`` whose term is one of ``terms`` or that start with
    ``prefix`` (the analyzer's ``term``, without building tokens for every word)."""
    return _spans(_finder(set(WORD.findall(text)), language, terms, prefix), text)


def _clean(text: str) -> str:
    return normalize(" ".join(text[:MAX_CHARS].split()))


def highlight(
    text: str, language: str, terms: set[str], prefix: str = "", width: int = 240
) -> SafeString:
    """The passage of ``text`` with the most query terms, matches in ``<mark>``; HTML-escaped.
    Without matches, the beginning of the text."""
    text = _clean(text)
    return _passage(text, matches(text, language, terms, prefix), width)


def highlights(
    texts: Sequence[tuple[str, str]], terms: set[str], prefix: str = "", width: int = 240
) -> list[SafeString]:
    """``highlight`` for each (text, language) of one search's hits. Each distinct word of
    all the texts is analysed once, and each language's matching words are found by one
    expression (instead of analysing every word of every text)."""
    cleaned = [(_clean(text), language) for text, language in texts]
    finders: dict[str, re.Pattern[str] | None] = {}
    for language in {language for _, language in cleaned}:
        words: set[str] = set()
        for text, lang in cleaned:
            if lang == language:
                words.update(WORD.findall(text))
        finders[language] = _finder(words, language, terms, prefix)
    out = []
    for text, language in cleaned:
        out.append(_passage(text, _spans(finders[language], text), width))
    return out


def _passage(text: str, spans: list[tuple[int, int]], width: int) -> SafeString:
    if not spans:
        cut = text[:width]
        return mark_safe(escape(cut) + ("…" if len(text) > width else ""))  # noqa: S308
    # The window starting at a match that holds the most matches (spans are in text order).
    best_start, best_count, j = spans[0][0], 0, 0
    for i, (start, _) in enumerate(spans):
        j = max(j, i)
        while j < len(spans) and spans[j][1] <= start + width:
            j += 1
        if j - i > best_count:
            best_start, best_count = start, j - i
    begin = max(0, best_start - width // 4)
    if begin:
        space = text.rfind(" ", 0, begin)
        begin = space + 1 if space >= 0 and begin - space < 20 else begin
    end = min(len(text), begin + width)
    parts = ["…" if begin else ""]
    cursor = begin
    for start, stop in spans:
        if start < cursor or stop > end:
            continue
        parts += [escape(text[cursor:start]), "<mark>", escape(text[start:stop]), "</mark>"]
        cursor = stop
    parts += [escape(text[cursor:end]), "…" if end < len(text) else ""]
    return mark_safe("".join(parts))  # noqa: S308  (every piece of text is escaped)
