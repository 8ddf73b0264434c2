"""Highlighted snippets cut from the original text (after the permission check)."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .analyzer import WORD, fold, normalize, term, term_cache

MAX_CHARS = 20_000  # snippets come from the beginning of very long texts


def matches(text: str, language: str, terms: set[str], prefix: str) -> list[tuple[int, int]]:
    """Spans of the words of ``text`` whose term is one of ``terms`` or that start with
    ``prefix`` (the analyzer's ``term``, without building tokens for every word)."""
    cache = term_cache(language)
    spans = []
    for match in WORD.finditer(text):
        word = match.group()
        found = cache[word] if word in cache else cache.setdefault(word, term(word, language))
        if found in terms or (prefix and fold(word).startswith(prefix)):
            spans.append(match.span())
    return spans


def highlight(
    text: str, language: str, terms: set[str], prefix: str = "", width: int = 240
) -> SafeString:
    """The passage of ``text`` with the most query terms, matches in ``<mark>``; HTML-escaped.
    Without matches, the beginning of the text."""
    text = normalize(" ".join(text[:MAX_CHARS].split()))
    spans = matches(text, language, terms, prefix)
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
