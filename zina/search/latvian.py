"""Latvian light stemmer (Kreslins), as in Lucene's ``LatvianStemmer``, over folded text.

Our analyzer folds diacritics before stemming, so a word typed without them ("zinasanu")
and the same word typed with them ("zināšanas") reach the stemmer as the same letters. The
suffix table is Lucene's with its diacritics folded (duplicates kept once, in Lucene's
order); vowel counts and the palatalisation rules are Lucene's, folded the same way — the
ones that only swapped a soft consonant for a hard one (ņ→n, ļ→l, č→c) are already done by
folding.
"""

from __future__ import annotations

from functools import lru_cache

# (suffix, minimum vowel count of the word, palatalises): Lucene's table, folded.
_AFFIXES: tuple[tuple[str, int, bool], ...] = (
    ("ajiem", 3, False),
    ("ajai", 3, False),
    ("ajam", 2, False),
    ("ajos", 2, False),
    ("ajas", 2, False),
    ("iem", 2, True),
    ("aja", 2, False),
    ("ais", 2, False),
    ("ai", 2, False),
    ("ei", 2, False),
    ("am", 1, False),
    ("em", 1, False),
    ("im", 1, False),
    ("um", 1, False),
    ("us", 1, True),
    ("as", 1, False),
    ("es", 1, False),
    ("os", 1, True),
    ("ij", 1, False),
    ("is", 1, False),
    ("ie", 1, False),
    ("u", 1, True),
    ("a", 1, True),
    ("i", 1, True),
    ("e", 1, False),
    ("o", 1, False),
    ("s", 0, False),
)
_VOWELS = frozenset("aeiou")


def _unpalatalize(stem: str, removed: str) -> str:
    # -u is genitive plural of declensions II, V and VI: kš → kst (folded: ks → kst).
    if removed.startswith("u") and stem.endswith("ks"):
        return stem + "t"
    if stem[-2:] in ("pj", "bj", "mj", "vj"):  # a labial consonant took an epenthetic j
        return stem[:-1]
    return stem


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The stem of a lowercased, folded Latvian word."""
    vowels = sum(1 for ch in word if ch in _VOWELS)
    for affix, min_vowels, palatalizes in _AFFIXES:
        if vowels > min_vowels and len(word) >= len(affix) + 3 and word.endswith(affix):
            base = word[: -len(affix)]
            return _unpalatalize(base, affix) if palatalizes else base
    return word
