"""One shard per kind: which shards a search reads, and how their hits are merged.

The engine is used directly (no database): documents of three kinds with random words, and
rules over their tokens. Every merged page must be the slice of one ranking over all shards,
totals and facet counts must be the sums of the shards', and a kind the rule or the kind
filter rules out must not be read at all.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from zina.core.permissions import NOTHING
from zina.core.rules import All, AnyOf, Everything, Leaf, Not, Rule, leaf
from zina.search.engine import Query, TantivyEngine, in_shard, simplified
from zina.search.queries import parse
from zina.search.registry import IndexDoc

WORDS = ["parole", "printeris", "tīkls", "vpn", "kļūda", "dators", "licence", "portāls"]
KINDS = ("article", "ticket", "service")


@pytest.fixture(scope="module")
def eng(tmp_path_factory: pytest.TempPathFactory) -> TantivyEngine:
    rng = random.Random(3)
    e = TantivyEngine(Path(tmp_path_factory.mktemp("shards")))
    e.create()
    docs = []
    hours = rng.sample(range(100_000), 600)  # distinct dates, kinds interleaved
    for pk in range(1, 601):
        kind = KINDS[pk % 3]
        docs.append(
            IndexDoc(
                kind=kind,
                pk=pk,
                language="lv",
                title=" ".join(rng.sample(WORDS, 2)),
                body=" ".join(rng.choices(WORDS, k=rng.randint(3, 30))),
                acl={f"inst:{rng.choice([1, 2])}"} | ({"public"} if pk % 4 == 0 else set()),
                type=rng.choice(["faq", "incident"]),
                date=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=hours[pk - 1]),
            )
        )
    e.write(docs)
    return e


def _query(text: str, rule: Rule, **kwargs: Any) -> Query:
    query = parse(text)
    query.rule = rule
    for name, value in kwargs.items():
        setattr(query, name, value)
    return query


RULES = {
    "everything": Everything(),
    "institution": leaf(NOTHING, ["inst:1"]),
    "per kind": AnyOf(
        (
            All((leaf(NOTHING, ["kind:article"]), leaf(NOTHING, ["public"]))),
            All((leaf(NOTHING, ["kind:ticket"]), leaf(NOTHING, ["inst:2"]))),
        )
    ),
}


@pytest.mark.parametrize("rule_name", sorted(RULES))
@pytest.mark.parametrize("newest_first", [False, True])
def test_pages_over_several_shards_are_slices_of_one_ranking(
    eng: TantivyEngine, rule_name: str, newest_first: bool
) -> None:
    rule = RULES[rule_name]
    whole = eng.search(_query("parole printeris", rule, limit=60, newest_first=newest_first))
    assert len({h.kind for h in whole.hits}) > 1, "the page should hold several kinds"
    if not newest_first:
        scores = [h.score for h in whole.hits]
        assert scores == sorted(scores, reverse=True)
    paged = []
    for offset in range(0, 60, 7):
        page = eng.search(
            _query("parole printeris", rule, limit=7, offset=offset, newest_first=newest_first)
        )
        paged += page.hits
    key = (lambda h: (h.kind, h.pk)) if not newest_first else (lambda h: h.ts)
    assert [key(h) for h in paged][:60] == [key(h) for h in whole.hits]
    assert len({(h.kind, h.pk) for h in paged}) == len(paged), "no hit on two pages"


def test_totals_and_facets_are_the_sums_of_the_shards(eng: TantivyEngine) -> None:
    rule = RULES["institution"]
    found = eng.search(_query("vpn", rule, limit=5, facets=True))
    per_kind = {
        kind: eng.search(_query("vpn", rule, limit=5, filters={"kind": [kind]})).total
        for kind in KINDS
    }
    assert found.total == sum(per_kind.values()) > 0
    assert found.facets["kind"] == {k: n for k, n in per_kind.items() if n}
    assert sum(found.facets["type"].values()) == found.total


def test_a_kind_ruled_out_is_not_read(eng: TantivyEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[str] = []
    real = TantivyEngine._search_shard

    def spy(self: TantivyEngine, kind: str, query: Query) -> Any:
        read.append(kind)
        return real(self, kind, query)

    monkeypatch.setattr(TantivyEngine, "_search_shard", spy)
    only_articles = All((leaf(NOTHING, ["kind:article"]), leaf(NOTHING, ["public"])))
    hits = eng.search(_query("parole", only_articles, limit=50)).hits
    assert read == ["article"]
    assert hits
    assert {h.kind for h in hits} == {"article"}
    read.clear()
    eng.search(_query("parole", RULES["per kind"], limit=5, filters={"kind": ["ticket"]}))
    assert read == ["ticket"]
    read.clear()
    found = eng.search(_query("parole", leaf(NOTHING, []), limit=5, facets=True))
    assert found.hits == []
    assert found.total == 0
    assert read == ["article"], "nothing to read: one shard answers with an empty result"


@pytest.mark.parametrize(
    ("rule", "kind", "expected"),
    [
        (leaf(NOTHING, ["kind:article", "inst:1"]), "article", Everything()),
        (leaf(NOTHING, ["kind:article", "inst:1"]), "ticket", leaf(NOTHING, ["inst:1"])),
        (leaf(NOTHING, ["kind:article"]), "ticket", leaf(NOTHING, [])),
        (RULES["per kind"], "article", leaf(NOTHING, ["public"])),
        (RULES["per kind"], "ticket", leaf(NOTHING, ["inst:2"])),
        (RULES["per kind"], "service", leaf(NOTHING, [])),
        (
            All((leaf(NOTHING, ["kind:ticket"]), Not(leaf(NOTHING, ["inst:1"])))),
            "ticket",
            Not(leaf(NOTHING, ["inst:1"])),
        ),
        (Everything(), "ticket", Everything()),
    ],
)
def test_a_rule_within_a_shard(rule: Rule, kind: str, expected: Rule) -> None:
    """Within a kind's shard its ``kind:`` token always holds and no other kind's does."""
    got = in_shard(simplified(rule), kind)
    want = simplified(expected)
    if isinstance(want, Leaf):
        assert isinstance(got, Leaf)
        assert got.tokens == want.tokens
    elif isinstance(want, Not):
        assert isinstance(got, Not)
        assert isinstance(got.part, Leaf)
        assert isinstance(want.part, Leaf)
        assert got.part.tokens == want.part.tokens
    else:
        assert type(got) is type(want)
