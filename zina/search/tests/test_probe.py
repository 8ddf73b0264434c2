"""The engine's probe (the best hits without the filter, then those the filter admits) must
return exactly the page the filtered query returns, for broad and narrow filters alike."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from zina.core.permissions import NOTHING
from zina.core.rules import All, AnyOf, Everything, Not, leaf
from zina.search import engine as engine_module
from zina.search.engine import Query, TantivyEngine
from zina.search.queries import parse
from zina.search.registry import IndexDoc

WORDS = [
    "pieslēgties",
    "parole",
    "epasts",
    "printeris",
    "tīkls",
    "vpn",
    "serveris",
    "konts",
    "kļūda",
    "atjaunot",
    "licence",
    "dators",
    "tālrunis",
    "portāls",
    "deklarācija",
    "maksājums",
]


def _docs(n: int) -> list[IndexDoc]:
    rng = random.Random(5)
    docs = []
    for pk in range(1, n + 1):
        kind = "article" if pk % 3 else "ticket"
        text = " ".join(rng.choices(WORDS, weights=range(len(WORDS), 0, -1), k=12))
        institution = rng.choice([1, 1, 1, 2, 3])
        acl = {f"inst:{institution}"}
        if rng.random() < 0.1:
            acl.add("public")
        if rng.random() < 0.2:  # more tokens than the fast fields hold: the stored document
            acl |= {f"svc:{k}" for k in range(rng.choice([3, 30]))}
        docs.append(
            IndexDoc(
                kind=kind,
                pk=pk if kind == "article" else pk // 3,  # primary keys repeat across kinds
                language="lv",
                title=" ".join(rng.sample(WORDS, 3)),
                body=text,
                acl=acl,
                type=rng.choice(["faq", "solution"]),
                institution=institution,
            )
        )
    return docs


@pytest.fixture(autouse=True)
def _probe_small_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "PROBE_MIN_DOCS", 0)  # these shards hold 3,000


@pytest.fixture(scope="module")
def eng(tmp_path_factory: pytest.TempPathFactory) -> TantivyEngine:
    e = TantivyEngine(Path(tmp_path_factory.mktemp("probe")))
    e.create()
    e.write(_docs(3000))
    return e


RULES = {
    "broad": leaf(NOTHING, ["inst:1", "inst:2"]),
    # Every article, and tickets of one institution: each shard reads its own part.
    "kinds": leaf(NOTHING, ["kind:article", "inst:1"]),
    "institution": All((leaf(NOTHING, ["kind:article"]), leaf(NOTHING, ["inst:1"]))),
    "narrow": leaf(NOTHING, ["public"]),
    "union": AnyOf((leaf(NOTHING, ["inst:2"]), leaf(NOTHING, ["public"]))),
    "negated": All((leaf(NOTHING, ["kind:article"]), Not(leaf(NOTHING, ["inst:1"])))),
    "linked": AnyOf((leaf(NOTHING, ["svc:2"]), leaf(NOTHING, ["inst:3"]))),
    "not linked": All((leaf(NOTHING, ["inst:1"]), Not(leaf(NOTHING, ["svc:20"])))),
}


@pytest.mark.parametrize("rule_name", sorted(RULES))
@pytest.mark.parametrize("text", ["parole", "printeris tīkls", "vpn kļūda dators", "licenc"])
@pytest.mark.parametrize(("offset", "limit"), [(0, 6), (0, 21), (20, 21), (40, 11)])
def test_probe_returns_the_filtered_page(
    eng: TantivyEngine,
    monkeypatch: pytest.MonkeyPatch,
    rule_name: str,
    text: str,
    offset: int,
    limit: int,
) -> None:
    def run(filters: dict[str, list[str]] | None = None) -> list[tuple[str, int]]:
        query: Query = parse(text)
        query.rule, query.count, query.limit, query.offset = RULES[rule_name], False, limit, offset
        query.filters = filters or {}
        return [(h.kind, h.pk, round(h.score, 4)) for h in eng.search(query).hits]

    calls: list[bool] = []
    real = TantivyEngine._probe

    def spy(self: TantivyEngine, kind: str, searcher: object, query: Query) -> object:
        out = real(self, kind, searcher, query)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(TantivyEngine, "_probe", spy)
    probed, probed_filtered = run(), run({"type": ["faq"]})
    monkeypatch.setattr(engine_module, "PROBE_MAX_HITS", 0)  # never probe
    assert probed == run()
    assert probed_filtered == run({"type": ["faq"]})
    if rule_name in ("broad", "not linked") and offset == 0:
        assert calls[0], "a broad filter is answered by the probe"


def test_tokens_beyond_the_fast_fields_are_read_from_the_stored_document(
    eng: TantivyEngine,
) -> None:
    many = 0
    for shard in eng.index.values():
        searcher = shard.searcher()
        found = searcher.search(eng._text(parse("parole printeris")), limit=3000, count=False)
        addresses = [address for _, address in found.hits]
        wanted = {"svc:2", "svc:29", "inst:1", "public", "kind:ticket", "type=faq"}
        held = eng._held(searcher, addresses, wanted)
        for address, tokens in zip(addresses, held, strict=True):
            stored = searcher.doc(address)
            acl = {*stored.get_all("acl"), f"type={stored.get_first('type')}"}
            assert tokens == acl & wanted
            many += len(acl) > 2 * engine_module.ACL_FIELDS
    assert many, "some documents have more tokens than the fast fields hold"


def test_no_probe_without_a_filter_or_when_counting(eng: TantivyEngine) -> None:
    query = parse("parole")
    query.rule = Everything()
    assert not eng._worth_probing(query)
    query.rule, query.count = RULES["broad"], True
    assert not eng._worth_probing(query)
    query.count = False
    assert eng._worth_probing(query)
