"""How the virtual assistant (virtuālais asistents) answers: from public articles only.

1. The question goes through the one search as an anonymous visitor (``kinds=["article"]``);
   each hit is checked again against ``Article.objects.visible_to(AnonymousUser())``.
2. The best article's live revision (in the hit's language) is cut into passages: the
   paragraphs of its resolution, symptoms, cause and body (Markdown rendered and sanitised,
   then reduced to plain text; a long paragraph is cut at sentence ends).
3. Each passage is scored with the search analyzer: every distinct content word of the
   question (its Latvian and English terms, diacritics folded — "parole" and "paroļu" and
   "parolu" meet) found in the passage adds its weight (rarer among the article's passages
   weighs more); the resolution gets a small head start because it is what answers. When
   the winner describes the problem (symptoms) the best resolution passage is answered
   instead: the symptoms confirmed the article, the resolution is the help.
4. Confidence, decided by :func:`is_confident` — see ``Signals`` and docs/portal.md.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import nh3
from django.contrib.auth.models import AnonymousUser
from django.urls import NoReverseMatch, reverse

from zina.knowledge.models import Article, ArticleRevision
from zina.knowledge.rendering import render_markdown
from zina.search.analyzer import STOP_WORDS, analyze, fold, term, variants, words
from zina.search.queries import search

MAX_QUESTION = 500  # characters; longer questions are refused with a message
CANDIDATES = 6  # hits read from the search (the answer, alternatives, and the runner-up)
ALTERNATIVES = 2
PASSAGE_CHARS = 600  # a longer paragraph is cut at sentence ends into pieces of about this
SECTIONS = ("resolution", "symptoms", "cause", "body")  # ties go to the earlier one
SECTION_WEIGHT = {"resolution": 1.25, "symptoms": 1.0, "cause": 0.9, "body": 1.0}

# The confidence rule (documented in docs/portal.md, tested in test_assistant_answering.py).
MIN_COVERAGE = 0.6  # share of the question's words the best article must contain
MIN_GAP = 0.1  # the best hit's score must lead the next article's by this share …
# … unless the best article covers more of the question than the next one does.

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
_BLOCK_BREAK = re.compile(r"\n\s*\n")
_LINE_TAGS = re.compile(r"<br\s*/?>|</(?:p|li|h[2-6]|tr|blockquote|pre|dd|dt|table)>", re.I)


@dataclass(frozen=True)
class Passage:
    """A piece of an article's text that can be answered on its own, as plain text."""

    section: str
    text: str
    order: int


@dataclass
class Alternative:
    pk: int
    title: str
    url: str


@dataclass
class Signals:
    """What confidence is decided from."""

    words: int  # distinct content words in the question
    coverage: float  # share of them found in the best article (title and text)
    passage_matched: bool  # the chosen passage (or the symptoms that chose it) has one
    top: float  # the best hit's search score
    second: float | None  # the next article's score, if any
    second_coverage: float  # share of the question's words in the next article
    approximate: bool  # the search found nothing exact and fell back to fuzzy matching


@dataclass
class Answer:
    """The assistant's reply to one question."""

    question: str
    article: Article | None = None
    title: str = ""
    url: str = ""
    language: str = ""
    passage: str = ""
    alternatives: list[Alternative] = field(default_factory=list)
    confident: bool = False
    signals: Signals | None = None


def is_confident(s: Signals) -> bool:
    """Confident when all hold: the search matched exactly (not by fuzzy spelling); the best
    article contains at least ``MIN_COVERAGE`` of the question's distinct content words; the
    answered passage matched at least one of them; and the best article is clearly ahead —
    its score leads the next article's by ``MIN_GAP`` of its own, or it covers more of the
    question than the next one does."""
    if s.approximate or s.words == 0:
        return False
    if s.coverage < MIN_COVERAGE or not s.passage_matched:
        return False
    if s.second is not None and s.top > 0:
        close = (s.top - s.second) / s.top < MIN_GAP
        if close and s.second_coverage >= s.coverage:
            return False
    return True


def question_words(text: str) -> list[frozenset[str]]:
    """The question's distinct content words, each as the set of terms it may match (Latvian
    and English stems of the folded word). The question's language is unknown, so a word that
    is a stop word in either language ("ko", "lai", "the") does not count, nor one letter."""
    seen: dict[frozenset[str], None] = {}
    for word, _, _ in words(text):
        if len(word) < 2 or any(word in STOP_WORDS[lang] for lang in STOP_WORDS):
            continue
        terms = frozenset(variants(word))
        if terms:
            seen.setdefault(terms, None)
    return list(seen)


_COMPOUND = re.compile(r"[^\W_]+(?:-[^\W_]+)+")


def text_terms(text: str, language: str) -> set[str]:
    """The terms of ``text``, plus those of its hyphenated words written as one ("e-pasts" is
    typed "epasts" too)."""
    found = {token.term for token in analyze(text, language)}
    for compound in _COMPOUND.findall(text):
        joined = term(fold(compound.replace("-", "")), language)
        if joined:
            found.add(joined)
    return found


def coverage(wanted: Sequence[frozenset[str]], terms: set[str]) -> float:
    if not wanted:
        return 0.0
    return sum(1 for w in wanted if w & terms) / len(wanted)


def plain_text(markdown_text: str) -> str:
    """Markdown → sanitised HTML (the article renderer) → plain text, one line per block or
    list item: nothing of the markup survives, so no HTML can reach a visitor or a ticket."""
    rendered = str(render_markdown(markdown_text))
    rendered = re.sub(r"<li>", "– ", rendered, flags=re.I)
    rendered = _LINE_TAGS.sub("\n", rendered)
    text = html.unescape(nh3.clean(rendered, tags=set()))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _pieces(text: str) -> list[str]:
    """A paragraph as is, or cut at sentence ends into pieces of about ``PASSAGE_CHARS``."""
    if len(text) <= PASSAGE_CHARS:
        return [text]
    out: list[str] = []
    current = ""
    for sentence in _SENTENCE_END.split(text):
        if len(sentence) > PASSAGE_CHARS:
            sentence = sentence[:PASSAGE_CHARS].rsplit(" ", 1)[0] + " …"
        if current and len(current) + 1 + len(sentence) > PASSAGE_CHARS:
            out.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        out.append(current)
    return out


def passages(revision: ArticleRevision) -> list[Passage]:
    """The revision's answerable pieces, in reading order within each section."""
    out: list[Passage] = []
    for section in SECTIONS:
        source = getattr(revision, section) or ""
        for block in _BLOCK_BREAK.split(source.replace("\r\n", "\n")):
            if not block.strip() or re.fullmatch(r"\s*#+ .*", block.strip()):
                continue  # a heading alone says too little to answer with
            text = plain_text(block)
            for piece in _pieces(text) if text else []:
                out.append(Passage(section=section, text=piece, order=len(out)))
    return out


def best_passage(
    found: Sequence[Passage], wanted: Sequence[frozenset[str]], language: str
) -> tuple[Passage | None, bool]:
    """The passage to answer with, and whether the passage that chose it matched a word of
    the question."""
    if not found:
        return None, False
    terms = [text_terms(p.text, language) for p in found]
    n = len(found)
    weight = {w: 1.0 + math.log((n + 1) / (1 + sum(1 for t in terms if w & t))) for w in wanted}
    scored: list[tuple[float, Passage]] = []
    for passage, passage_terms in zip(found, terms, strict=True):
        matched = [w for w in wanted if w & passage_terms]
        score = sum(weight[w] for w in matched) * SECTION_WEIGHT[passage.section]
        scored.append((score, passage))
    top_score, top = max(scored, key=lambda item: (item[0], -item[1].order))
    if top_score <= 0:
        # Matched by title or keywords only: the first resolution piece (else the first).
        fallback = next((p for p in found if p.section == "resolution"), found[0])
        return fallback, False
    if top.section == "symptoms":
        fixes = [(s, p) for s, p in scored if p.section == "resolution"]
        if fixes:
            return max(fixes, key=lambda item: (item[0], -item[1].order))[1], True
    return top, True


def article_url(pk: int) -> str:
    """The public page of an article: the portal's when it has one, else the knowledge
    base's own page (which anonymous visitors may read when the article is public)."""
    try:
        return reverse("portal:article", args=[pk])
    except NoReverseMatch:
        return reverse("knowledge:article_detail", args=[pk])


def _live(article: Article, language: str) -> ArticleRevision | None:
    for revision in article.revisions.all():
        if revision.is_live and revision.language == language:
            return revision
    return article.live_revision(language)


def answer(question: str) -> Answer:
    """Answer ``question`` from public articles only (see the module's docstring)."""
    anonymous = AnonymousUser()
    reply = Answer(question=question)
    wanted = question_words(question)
    results = search(
        anonymous,
        question,
        kinds=["article"],
        per_page=CANDIDATES,
        count=False,
        snippets=False,
        surface="assistant",
    )
    # One entry per article (a hit per language): the better-scoring language wins.
    hits: dict[int, Any] = {}
    for hit in results.hits:
        hits.setdefault(hit.pk, hit)
    public = {
        a.pk: a
        for a in Article.objects.visible_to(anonymous)
        .filter(pk__in=list(hits))
        .prefetch_related("revisions")
    }
    ranked = [hit for pk, hit in hits.items() if pk in public]
    if not ranked:
        return reply
    best, *others = ranked
    article = public[best.pk]
    revision = _live(article, best.language)
    if revision is None:  # unpublished between the two reads
        return reply
    language = revision.language
    found = passages(revision)
    chosen, matched = best_passage(found, wanted, language)
    best_terms = text_terms(f"{best.title}\n{best.text}", best.language)
    second = others[0] if others else None
    signals = Signals(
        words=len(wanted),
        coverage=coverage(wanted, best_terms),
        passage_matched=matched,
        top=best.score,
        second=second.score if second else None,
        second_coverage=(
            coverage(wanted, text_terms(f"{second.title}\n{second.text}", second.language))
            if second
            else 0.0
        ),
        approximate=results.approximate,
    )
    reply.article = article
    reply.title = revision.title
    reply.url = article_url(article.pk)
    reply.language = language
    reply.passage = chosen.text if chosen else ""
    for hit in others[:ALTERNATIVES]:
        other = _live(public[hit.pk], hit.language)
        if other is not None:
            reply.alternatives.append(
                Alternative(pk=hit.pk, title=other.title, url=article_url(hit.pk))
            )
    reply.signals = signals
    reply.confident = is_confident(signals)
    return reply
