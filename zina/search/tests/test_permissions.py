"""Search shows exactly what ``visible_to`` shows: for every reader, the same rows.

A varied corpus (two institutions; every audience; shared with one institution or with all;
linked to services and resources; drafts, archived articles, an article with a live Latvian
revision and an English draft; public, internal and planned services; resources), every row
containing one common word. For each reader — one user per role, the superuser, an inactive
user, an assigned partner, staff of the other institution, a scoped service owner and
anonymous — the search for that word returns the rows ``Model.objects.visible_to(reader)``
returns, no more and no fewer, with totals and facets that agree and mention nothing hidden.
Secret words of hidden articles never come back: not in results, snippets, suggestions
("did you mean") or approximate matches. A change of audience is seen at once, through the
operation (the outbox) and even behind the index's back (the database check).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import QueryDict
from django.test import Client

from zina.accounts import operations as account_ops
from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.catalog import operations as catalog_ops
from zina.catalog.choices import Status
from zina.catalog.models import Resource, Service
from zina.conftest import ANONYMOUS, refresh
from zina.knowledge import operations as ops
from zina.knowledge.choices import ArticleType, Audience
from zina.knowledge.models import Article, ArticleRevision
from zina.knowledge.tests.conftest import settings_of
from zina.search import queries
from zina.search.facets import facet_groups
from zina.search.queries import search

pytestmark = pytest.mark.django_db

# Every row of the corpus contains this word (typed with or without diacritics, inflected).
COMMON = "zebrakods"
# Only in titles of internal articles (not public ones) and of experts-only articles.
INTERNAL_SECRET = "slepenvards"
EXPERT_SECRET = "ekspertvards"
MODELS = {"article": Article, "service": Service, "resource": Resource}


# --- Fixtures ---------------------------------------------------------------------------------


@dataclass
class Corpus:
    articles: dict[str, Article] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    resources: dict[str, Resource] = field(default_factory=dict)
    # A marker word per article, found only in that article's text.
    markers: dict[str, str] = field(default_factory=dict)
    # A public article without the common word (not in ``articles``): never found by it.
    unrelated: int = 0

    def pks(self, kind: str) -> set[int]:
        rows = {"article": self.articles, "service": self.services, "resource": self.resources}
        return {obj.pk for obj in rows[kind].values()}


def _marker(name: str) -> str:
    """A word unique to one article (letters only, so the analyzer keeps it whole)."""
    return "zime" + "".join(ch for ch in name if ch.isalpha())


@pytest.fixture
def corpus(
    superuser: User,
    institution: Institution,
    other_institution: Institution,
    role_users: dict[str, Any],
) -> Corpus:
    c = Corpus()

    def service(inst: Institution, key: str, name: str, **extra: Any) -> Service:
        data = catalog_ops.ServiceData(
            identifier=key.upper(),
            name=name,
            description=f"Apraksts: {COMMON} pakalpojumam {key}.",
            **extra,
        )
        c.services[key] = catalog_ops.create_service(actor=superuser, institution=inst, data=data)
        return c.services[key]

    def resource(inst: Institution, key: str, name: str) -> Resource:
        data = catalog_ops.ResourceData(
            identifier=key.upper(),
            name=name,
            type="server",
            description=f"Serveris ar {COMMON} {key}",
        )
        c.resources[key] = catalog_ops.create_resource(actor=superuser, institution=inst, data=data)
        return c.resources[key]

    s_pub = service(
        institution,
        "vra-pub",
        f"Publiskais {COMMON} portāls",
        name_en=f"Public {COMMON} portal",
        description_en=f"The {COMMON} portal for residents.",
    )
    s_int = service(institution, "vra-int", f"Iekšējā {COMMON} sistēma", is_public=False)
    service(institution, "vra-plan", f"Plānotais {COMMON} pakalpojums", status=Status.PLANNED)
    service(other_institution, "spa-pub", f"Pabalstu {COMMON} pieprasīšana")
    service(other_institution, "spa-int", f"Pabalstu {COMMON} iekšsistēma", is_public=False)
    r_vra = resource(institution, "vra-db", f"Reģistru {COMMON} datubāze")
    resource(other_institution, "spa-db", f"Pabalstu {COMMON} datubāze")

    def article(
        key: str,
        *,
        where: Institution = institution,
        audience: str = Audience.INTERNAL,
        publish: bool = True,
        archive: bool = False,
        secret: str = "",
        author: User | None = None,
        **links: Any,
    ) -> Article:
        actor = author or superuser
        c.markers[key] = _marker(key)
        revision = ops.create_article(
            actor=actor,
            institution=where,
            settings=ops.ArticleSettings(
                type=ArticleType.SOLUTION,
                audience=audience,
                shared_with_all=links.get("shared_with_all", False),
                shared_with=links.get("shared_with", []),
                services=links.get("services", []),
                resources=links.get("resources", []),
            ),
            text=ops.ArticleText(
                title=f"{COMMON.capitalize()} {key} {secret}".strip(),
                symptoms=f"Neizdodas pieslēgties ({secret or 'kļūda'}).",
                resolution=f"Atjaunojiet {COMMON} sertifikātu.",
                body=f"Papildu informācija {c.markers[key]}.",
            ),
        )
        if publish or archive:
            ops.publish_revision(actor=superuser, revision=revision)
        if archive:
            ops.archive_article(actor=superuser, article=revision.article)
        c.articles[key] = Article.objects.get(pk=revision.article_id)
        return c.articles[key]

    spa = other_institution
    article("pub", audience=Audience.PUBLIC, services=[s_int])  # public, linked to a hidden one
    article("pub-svc", audience=Audience.PUBLIC, services=[s_pub])
    article("int", secret=INTERNAL_SECRET)
    article("int-svc", services=[s_int], resources=[r_vra], secret=INTERNAL_SECRET)
    article("exp", audience=Audience.EXPERTS, secret=EXPERT_SECRET)
    article("exp-svc", audience=Audience.EXPERTS, services=[s_int], secret=EXPERT_SECRET)
    article("exp-res", audience=Audience.EXPERTS, resources=[r_vra], secret=EXPERT_SECRET)
    article("partners", audience=Audience.PARTNERS, services=[s_int], secret=INTERNAL_SECRET)
    article("partners-draft", audience=Audience.PARTNERS, services=[s_int], publish=False)
    article("shared-spa", shared_with=[spa], secret=INTERNAL_SECRET)
    article("shared-all", shared_with_all=True, secret=INTERNAL_SECRET)
    article("exp-shared-all", audience=Audience.EXPERTS, shared_with_all=True)
    article("draft-pub", audience=Audience.PUBLIC, publish=False)
    article("draft-int", publish=False, secret=INTERNAL_SECRET)
    article("draft-exp", audience=Audience.EXPERTS, publish=False, secret=EXPERT_SECRET)
    article("archived-pub", audience=Audience.PUBLIC, archive=True)
    article("archived-int", archive=True)
    article(
        "by-specialist",
        audience=Audience.EXPERTS,
        author=role_users[Role.SUPPORT_SPECIALIST],
        secret=EXPERT_SECRET,
    )
    article("spa-pub", where=spa, audience=Audience.PUBLIC)
    article("spa-int", where=spa, secret=INTERNAL_SECRET)
    article("spa-shared-vra", where=spa, shared_with=[institution])
    article("spa-exp-shared-all", where=spa, audience=Audience.EXPERTS, shared_with_all=True)
    article("spa-draft", where=spa, publish=False)
    article("spa-archived-pub", where=spa, audience=Audience.PUBLIC, archive=True)

    # Live in Latvian, a draft in English (only editors find the draft).
    bilingual = article("bilingual", audience=Audience.PUBLIC)
    draft = ops.start_revision(actor=superuser, article=bilingual, language="en")
    ops.save_draft(
        actor=superuser,
        revision=draft,
        text=ops.ArticleText(
            title=f"English {COMMON} draft", body=f"Unpublished {COMMON} text {_marker('en')}."
        ),
        expected_version=draft.version,
    )
    c.markers["bilingual-en"] = _marker("en")

    # An article without the common word: never found by it, whoever searches.
    other = ops.create_article(
        actor=superuser,
        institution=institution,
        settings=ops.ArticleSettings(audience=Audience.PUBLIC),
        text=ops.ArticleText(title="Paroles maiņa", body="Cits teksts."),
    )
    ops.publish_revision(actor=superuser, revision=other)
    c.unrelated = other.article_id
    return c


@pytest.fixture
def readers(
    corpus: Corpus,
    role_users: dict[str, Any],
    superuser: User,
    make_user: Callable[..., User],
    institution: Institution,
    other_institution: Institution,
) -> dict[str, Any]:
    s_int, r_vra = corpus.services["vra-int"], corpus.resources["vra-db"]

    def scoped(user: User, role: str, scope: Service | Resource) -> User:
        account_ops.assign_role(
            actor=superuser, user=user, institution=scope.institution, role=role, scope=scope
        )
        return refresh(user)

    partner = scoped(make_user("partneris", institution, kind="partner"), Role.PARTNER, s_int)
    partner = scoped(partner, Role.PARTNER, r_vra)
    owner = scoped(make_user("saimnieks", institution), Role.SERVICE_OWNER, s_int)
    inactive = make_user("neaktivs", institution, Role.SUPPORT_EXPERT)
    account_ops.set_user_active(actor=superuser, user=inactive, active=False)
    return {
        **role_users,
        "superuser": superuser,
        "inactive": refresh(inactive),
        "assigned-partner": partner,
        "scoped-service-owner": owner,
        "spa-specialist": make_user("spa-specialists", other_institution, Role.SUPPORT_SPECIALIST),
        "spa-expert": make_user("spa-eksperts", other_institution, Role.SUPPORT_EXPERT),
    }


READERS = [
    *[role.value for role in Role],
    ANONYMOUS,
    "superuser",
    "inactive",
    "assigned-partner",
    "scoped-service-owner",
    "spa-specialist",
    "spa-expert",
]


# --- Helpers ----------------------------------------------------------------------------------


def visible(user: Any, kind: str, corpus: Corpus) -> set[int]:
    model = MODELS[kind]
    return set(
        model.objects.visible_to(user).filter(pk__in=corpus.pks(kind)).values_list("pk", flat=True)
    )


def visible_documents(user: Any, kind: str, corpus: Corpus) -> set[tuple[int, str]]:
    """(pk, language) of every document the user may read: an article in each language of
    which a revision is visible to them; a service in Latvian, and in English when it has an
    English name; a resource in Latvian."""
    pks = visible(user, kind, corpus)
    if kind == "article":
        return set(
            ArticleRevision.objects.visible_to(user)
            .filter(article_id__in=pks)
            .values_list("article_id", "language")
        )
    if kind == "service":
        docs = {(pk, "lv") for pk in pks}
        return docs | {
            (pk, "en")
            for pk in Service.objects.filter(pk__in=pks)
            .exclude(name_en="")
            .values_list("pk", flat=True)
        }
    return {(pk, "lv") for pk in pks}


def names(corpus: Corpus, kind: str, pks: set[int]) -> list[str]:
    rows = {"article": corpus.articles, "service": corpus.services, "resource": corpus.resources}
    by_pk = {obj.pk: key for key, obj in rows[kind].items()}
    return sorted(by_pk.get(pk, f"#{pk}") for pk in pks)


def plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


# --- Equivalence ------------------------------------------------------------------------------


def for_every_reader(readers: dict[str, Any], check: Callable[[str, Any], None]) -> None:
    """Run ``check(name, user)`` for every reader; report every reader that fails, not only
    the first (the corpus is built once per test: building it per reader is slow)."""
    failures = []
    for name in READERS:
        try:
            check(name, readers[name])
        except AssertionError as exc:
            failures.append(f"--- {name}: {exc}")
    assert not failures, "\n".join(failures)


def test_the_corpus_is_what_the_tests_think(corpus: Corpus, readers: dict[str, Any]) -> None:
    """Guards the premises: the readers differ, and the superuser sees every row."""
    root = readers["superuser"]
    for kind in MODELS:
        assert visible(root, kind, corpus) == corpus.pks(kind)
    assert visible(readers[ANONYMOUS], "resource", corpus) == set()
    assert visible(readers["inactive"], "article", corpus) == set()
    assert len({frozenset(visible(readers[r], "article", corpus)) for r in READERS}) >= 6
    assert set(READERS) == set(readers)
    # Visible to everyone, yet never found by the common word (it is not in ``articles``).
    assert Article.objects.visible_to(readers[ANONYMOUS]).filter(pk=corpus.unrelated).exists()


def test_search_returns_exactly_what_visible_to_returns(
    corpus: Corpus, readers: dict[str, Any]
) -> None:
    def check(reader: str, user: Any) -> None:
        for kind in MODELS:
            results = search(user, COMMON, kinds=[kind], per_page=1000)
            found = {hit.pk for hit in results.hits}
            want = visible(user, kind, corpus)
            assert found == want, (
                f"{kind}: unexpectedly found {names(corpus, kind, found - want)}; "
                f"missing {names(corpus, kind, want - found)}"
            )
            documents = {(hit.pk, hit.language) for hit in results.hits}
            assert documents == visible_documents(user, kind, corpus), kind
            assert len(documents) == len(results.hits), f"{kind}: a document twice"
            assert results.total == len(results.hits), kind
            assert {hit.kind for hit in results.hits} <= {kind}

    for_every_reader(readers, check)


def test_an_inflected_diacritic_free_query_finds_the_same_rows(
    corpus: Corpus, readers: dict[str, Any]
) -> None:
    """ "sertifikata" (no diacritics, another case) finds what "sertifikātu" is in: every
    article's Latvian text; nothing hidden."""

    def check(reader: str, user: Any) -> None:
        results = search(user, "sertifikata", kinds=["article"], per_page=1000)
        assert {hit.pk for hit in results.hits} == visible(user, "article", corpus)
        assert results.total == len(results.hits)
        assert {hit.language for hit in results.hits} <= {"lv"}

    for_every_reader(readers, check)


def test_totals_and_facets_agree_with_what_is_visible(
    corpus: Corpus, readers: dict[str, Any]
) -> None:
    def check(reader: str, user: Any) -> None:
        results = search(user, COMMON, per_page=1000, facets=True)
        by_kind = {kind: visible_documents(user, kind, corpus) for kind in MODELS}
        want_total = sum(len(docs) for docs in by_kind.values())
        assert results.total == want_total == len(results.hits)
        facets = results.facets
        if want_total == 0:
            assert all(not counts for counts in facets.values()), facets
            return
        # Each document is of one kind, one institution, one type, state and audience.
        assert facets["kind"] == {kind: len(docs) for kind, docs in by_kind.items() if docs}
        for name in ("kind", "institution", "type", "state", "audience"):
            assert sum(facets[name].values()) == results.total, (name, facets[name])
        # Institutions: only those of rows the user may see, with their counts.
        per_institution: dict[str, int] = {}
        for kind, docs in by_kind.items():
            rows = dict(
                MODELS[kind]
                .objects.filter(pk__in={pk for pk, _ in docs})
                .values_list("pk", "institution_id")
            )
            for pk, _language in docs:
                key = str(rows[pk])
                per_institution[key] = per_institution.get(key, 0) + 1
        assert facets["institution"] == per_institution
        # Services the user may see: the count of each is the number of visible documents
        # linked to it (whether hidden services may appear at all is the next test's).
        allowed = {str(pk) for pk in Service.objects.visible_to(user).values_list("pk", flat=True)}
        linked = set(Article.services.through.objects.values_list("article_id", "service_id"))
        per_service: dict[str, int] = {}
        for kind, docs in by_kind.items():
            for pk, _language in docs:
                ids = {pk} if kind == "service" else set()
                if kind == "article":
                    ids = {s for a, s in linked if a == pk}
                for s in ids:
                    if str(s) in allowed:
                        per_service[str(s)] = per_service.get(str(s), 0) + 1
        shown = {k: v for k, v in facets.get("services", {}).items() if k in allowed}
        assert shown == per_service

    for_every_reader(readers, check)


def test_facets_never_name_a_service_the_user_may_not_see(
    corpus: Corpus, readers: dict[str, Any]
) -> None:
    """The raw facets (which the API returns as they are) must not carry the number of a
    service the user may not see — e.g. the internal service a public article is linked to.
    The page labels facets through ``visible_to``; the API does not."""

    def check(reader: str, user: Any) -> None:
        results = search(user, COMMON, per_page=1000, facets=True)
        allowed = {str(pk) for pk in Service.objects.visible_to(user).values_list("pk", flat=True)}
        hidden = set(results.facets.get("services", {})) - allowed
        assert not hidden, (
            f"the services facet names services they may not see: "
            f"{names(corpus, 'service', {int(pk) for pk in hidden})}"
        )

    for_every_reader(readers, check)


def test_facet_options_on_the_page_name_only_what_the_user_may_see(
    corpus: Corpus, readers: dict[str, Any]
) -> None:
    def check(reader: str, user: Any) -> None:
        results = search(user, COMMON, per_page=1000, facets=True)
        params = QueryDict(f"q={COMMON}")
        groups = {g.name: g for g in facet_groups(user, results.facets, params)}
        services = set(Service.objects.visible_to(user).values_list("pk", flat=True))
        institutions = set(Institution.objects.visible_to(user).values_list("pk", flat=True))
        for option in groups["services"].options if "services" in groups else []:
            assert int(option.value) in services, option
            assert str(option.label) == str(Service.objects.get(pk=option.value)), option
        for option in groups["institution"].options if "institution" in groups else []:
            assert int(option.value) in institutions, option
        if results.total:
            assert sum(o.count for o in groups["kind"].options) == results.total
        else:
            assert groups == {}

    for_every_reader(readers, check)


def test_the_facets_request_of_the_page_counts_only_what_the_user_may_see(
    corpus: Corpus, readers: dict[str, Any]
) -> None:
    """The results page loads its facets and exact total from ``/search/facets/``: its
    counts agree with ``visible_to`` for every reader, and its options name nothing hidden."""

    def check(reader: str, user: Any) -> None:
        client = Client()
        if user is not None and getattr(user, "is_authenticated", False):
            client.force_login(user)
        response = client.get("/search/facets/", {"q": COMMON})
        assert response.status_code == 200
        user = response.wsgi_request.user  # an inactive user is an anonymous visitor here
        by_kind = {kind: visible_documents(user, kind, corpus) for kind in MODELS}
        want_total = sum(len(docs) for docs in by_kind.values())
        assert response.context["results"].total == want_total
        assert response.context["results"].counted
        groups = {g.name: g for g in response.context["groups"]}
        if not want_total:
            assert groups == {}
            return
        kinds = {o.value: o.count for o in groups["kind"].options}
        assert kinds == {kind: len(docs) for kind, docs in by_kind.items() if docs}
        services = set(Service.objects.visible_to(user).values_list("pk", flat=True))
        institutions = set(Institution.objects.visible_to(user).values_list("pk", flat=True))
        for option in groups["services"].options if "services" in groups else []:
            assert int(option.value) in services, option
        for option in groups["institution"].options if "institution" in groups else []:
            assert int(option.value) in institutions, option
        page = response.content.decode()
        for hidden in Service.objects.exclude(pk__in=services):
            assert f"services={hidden.pk}" not in page, hidden

    for_every_reader(readers, check)


def test_filters_narrow_within_what_is_visible(
    corpus: Corpus, readers: dict[str, Any], institution: Institution
) -> None:
    s_int = corpus.services["vra-int"]
    linked = set(s_int.articles.values_list("pk", flat=True))
    experts = set(Article.objects.filter(audience="experts").values_list("pk", flat=True))

    def check(reader: str, user: Any) -> None:
        results = search(
            user, COMMON, kinds=["article"], filters={"services": [s_int.pk]}, per_page=1000
        )
        assert {h.pk for h in results.hits} == visible(user, "article", corpus) & linked
        results = search(user, COMMON, filters={"institution": [institution.pk]}, per_page=1000)
        for kind, model in MODELS.items():
            own = set(model.objects.filter(institution=institution).values_list("pk", flat=True))
            found = {h.pk for h in results.hits if h.kind == kind}
            assert found == visible(user, kind, corpus) & own, kind
        # A filter alone (no words) lists what the user may see, too.
        results = search(
            user, "", kinds=["article"], filters={"audience": ["experts"]}, per_page=1000
        )
        assert {h.pk for h in results.hits} == visible(user, "article", corpus) & experts
        assert results.total == len(results.hits)

    for_every_reader(readers, check)


def test_as_you_type_suggestions_and_lists_show_nothing_hidden(
    corpus: Corpus, readers: dict[str, Any]
) -> None:
    def check(reader: str, user: Any) -> None:
        seen = visible(user, "article", corpus)
        results = search(user, COMMON[:6], kinds=["article"], per_page=1000, as_you_type=True)
        assert {h.pk for h in results.hits} == seen
        articles, _similar = queries.suggestions(user, f"Kā atjaunot {COMMON[:7]}", k=20)
        assert {h.pk for h in articles.hits} <= seen
        assert set(queries.ranked_ids(user, COMMON, "article")) == seen
        for kind in ("service", "resource"):
            assert set(queries.ranked_ids(user, COMMON, kind)) == visible(user, kind, corpus)

    for_every_reader(readers, check)


# --- Snippets and secrets ---------------------------------------------------------------------


def test_snippets_and_titles_never_carry_text_of_a_hidden_article(
    corpus: Corpus, readers: dict[str, Any]
) -> None:
    bilingual = corpus.articles["bilingual"]
    # Whose text each marker word is in.
    owner = {m: corpus.articles.get(k, bilingual).pk for k, m in corpus.markers.items()}

    def check(reader: str, user: Any) -> None:
        seen = visible(user, "article", corpus)
        hidden = {corpus.markers[key] for key, a in corpus.articles.items() if a.pk not in seen}
        english = ArticleRevision.objects.visible_to(user).filter(article=bilingual, language="en")
        if not english.exists():
            hidden.add(corpus.markers["bilingual-en"])
        for text in (f"{COMMON} sertifikāts", "zime", "informācija"):
            results = search(user, text, per_page=1000, as_you_type=text == "zime")
            for hit in results.hits:
                shown = set(re.findall(r"\w+", f"{hit.title} {plain(str(hit.snippet))}".lower()))
                assert not shown & hidden, (text, hit.title)
                if hit.kind == "article":
                    others = {m for m, pk in owner.items() if pk != hit.pk}
                    assert not shown & others, (text, hit.title)

    for_every_reader(readers, check)


SECRET_CASES = [
    # (reader, the secret word they must not learn)
    (ANONYMOUS, INTERNAL_SECRET),
    (ANONYMOUS, EXPERT_SECRET),
    (Role.PARTNER.value, INTERNAL_SECRET),  # a partner assigned to nothing: the public's view
    (Role.SUPPORT_SPECIALIST.value, EXPERT_SECRET),  # level 1 (the one they wrote aside)
    ("spa-expert", EXPERT_SECRET),  # experts articles of another institution, not shared
    ("inactive", INTERNAL_SECRET),
]


def _near_miss(word: str) -> str:
    """The word with its last letter changed: one edit away."""
    return word[:-1] + ("z" if word[-1] != "z" else "x")


def _articles_with(corpus: Corpus, word: str) -> set[int]:
    return set(
        ArticleRevision.objects.filter(title__icontains=word).values_list("article_id", flat=True)
    )


@pytest.mark.parametrize(("reader", "secret"), SECRET_CASES)
def test_a_secret_word_finds_only_what_the_user_may_see(
    corpus: Corpus, readers: dict[str, Any], reader: str, secret: str
) -> None:
    user = readers[reader]
    hidden = _articles_with(corpus, secret) - visible(user, "article", corpus)
    assert hidden  # the premise: they may not see some article with the word
    for text in (secret, secret.upper(), f'"{secret}"', secret[:7], _near_miss(secret)):
        for as_you_type in (False, True):
            results = search(user, text, per_page=1000, as_you_type=as_you_type, facets=True)
            assert not {h.pk for h in results.hits if h.kind == "article"} & hidden, text
            assert {h.kind for h in results.hits} <= {"article"}, text
            assert results.total == len(results.hits), text
            for hit in results.hits:
                assert hit.pk in visible(user, "article", corpus)


def test_level1_staff_find_internal_but_not_expert_secrets(
    corpus: Corpus, readers: dict[str, Any]
) -> None:
    specialist = readers[Role.SUPPORT_SPECIALIST]
    found = search(specialist, INTERNAL_SECRET, kinds=["article"], per_page=100)
    assert found.total > 0
    expert_only = search(specialist, EXPERT_SECRET, kinds=["article"], per_page=100)
    # Only the experts article they wrote themselves.
    assert [h.pk for h in expert_only.hits] == [corpus.articles["by-specialist"].pk]
    assert expert_only.total == 1


@pytest.mark.parametrize("reader", [ANONYMOUS, "inactive", Role.PARTNER.value])
def test_the_public_finds_no_internal_secret(
    corpus: Corpus, readers: dict[str, Any], reader: str
) -> None:
    for text in (INTERNAL_SECRET, EXPERT_SECRET, _near_miss(INTERNAL_SECRET)):
        results = search(readers[reader], text, per_page=100, facets=True)
        assert results.total == 0, text
        assert results.hits == []
        assert not results.approximate
        assert all(not counts for counts in results.facets.values())


def test_did_you_mean_works_for_someone_who_may_see_the_word(
    corpus: Corpus, readers: dict[str, Any]
) -> None:
    """The control for the test below: the suggestion exists for a reader of the article."""
    for reader in ("superuser", Role.SUPPORT_EXPERT.value):
        results = search(readers[reader], _near_miss(INTERNAL_SECRET), per_page=10)
        assert results.did_you_mean == INTERNAL_SECRET, reader


def test_did_you_mean_does_not_leak_words_of_hidden_articles(
    corpus: Corpus, readers: dict[str, Any]
) -> None:
    """ "Did you mean" suggests words from the index vocabulary. A word that appears only in
    articles the user may not read must not be suggested to them: it would disclose the
    text of those articles one word at a time (typing near-misses of guessed words)."""
    leaks = []
    for reader, secret in SECRET_CASES:
        if _articles_with(corpus, secret) & visible(readers[reader], "article", corpus):
            continue  # they may read an article with the word: suggesting it is fine
        results = search(readers[reader], _near_miss(secret), per_page=10)
        if secret in results.did_you_mean:
            leaks.append(f"{reader} searched {_near_miss(secret)!r}, was offered {secret!r}")
        assert results.total == 0
    assert not leaks, "; ".join(leaks)


# --- Changes take effect at once --------------------------------------------------------------


def test_narrowing_the_audience_hides_the_article_at_once(
    corpus: Corpus, readers: dict[str, Any]
) -> None:
    anonymous = AnonymousUser()
    article = corpus.articles["pub-svc"]
    before = search(anonymous, COMMON, kinds=["article"], per_page=1000, facets=True)
    assert article.pk in {h.pk for h in before.hits}
    ops.update_article_settings(
        actor=readers[Role.KNOWLEDGE_MANAGER],
        article=article,
        settings=settings_of(article, audience=Audience.INTERNAL),
    )
    after = search(anonymous, COMMON, kinds=["article"], per_page=1000, facets=True)
    assert article.pk not in {h.pk for h in after.hits}
    assert after.total == before.total - 1 == len(after.hits)
    assert sum(after.facets["kind"].values()) == after.total
    assert after.facets["audience"].get("internal", 0) == 0
    # Staff of the institution still find it.
    staff = search(readers[Role.ADMINISTRATOR], COMMON, kinds=["article"], per_page=1000)
    assert article.pk in {h.pk for h in staff.hits}


def test_archiving_and_unsharing_take_effect_at_once(
    corpus: Corpus, readers: dict[str, Any], superuser: User
) -> None:
    spa = readers["spa-specialist"]
    shared = corpus.articles["shared-spa"]
    assert shared.pk in {h.pk for h in search(spa, COMMON, kinds=["article"]).hits}
    ops.update_article_settings(
        actor=superuser, article=shared, settings=settings_of(shared, shared_with=[])
    )
    assert shared.pk not in {h.pk for h in search(spa, COMMON, kinds=["article"]).hits}

    public = corpus.articles["pub"]
    anonymous = AnonymousUser()
    assert public.pk in {h.pk for h in search(anonymous, COMMON, kinds=["article"]).hits}
    ops.archive_article(actor=superuser, article=public)
    results = search(anonymous, COMMON, per_page=1000)
    assert public.pk not in {h.pk for h in results.hits if h.kind == "article"}
    assert results.total == len(visible_documents(anonymous, "article", corpus)) + len(
        visible_documents(anonymous, "service", corpus)
    )


def test_a_change_behind_the_index_is_caught_by_the_database_check(
    corpus: Corpus,
) -> None:
    """No outbox row: the index still says "public", the database says "internal". The
    hit is not shown, and the total does not count it."""
    anonymous = AnonymousUser()
    article = corpus.articles["pub-svc"]
    before = search(anonymous, COMMON, kinds=["article"], per_page=1000)
    assert article.pk in {h.pk for h in before.hits}
    Article.objects.filter(pk=article.pk).update(audience=Audience.INTERNAL)
    after = search(anonymous, COMMON, kinds=["article"], per_page=1000)
    assert article.pk not in {h.pk for h in after.hits}
    assert after.total == before.total - 1 == len(after.hits)
    assert {h.pk for h in after.hits} == visible(anonymous, "article", corpus)


def test_a_row_deleted_behind_the_index_is_not_shown(corpus: Corpus) -> None:
    anonymous = AnonymousUser()
    service = corpus.services["spa-pub"]
    before = search(anonymous, COMMON, kinds=["service"], per_page=1000)
    assert service.pk in {h.pk for h in before.hits}
    Service.objects.filter(pk=service.pk).update(is_public=False)
    after = search(anonymous, COMMON, kinds=["service"], per_page=1000)
    assert service.pk not in {h.pk for h in after.hits}
    assert after.total == before.total - 1

    article = corpus.articles["spa-pub"]
    ArticleRevision.objects.filter(article=article).delete()
    Article.objects.filter(pk=article.pk).delete()
    results = search(anonymous, COMMON, kinds=["article"], per_page=1000)
    assert article.pk not in {h.pk for h in results.hits}
    assert results.total == len(results.hits)


def test_deactivating_a_user_empties_their_search_at_once(
    corpus: Corpus, readers: dict[str, Any], superuser: User
) -> None:
    expert = readers[Role.SUPPORT_EXPERT]
    assert search(expert, COMMON, per_page=1000).total > 0
    account_ops.set_user_active(actor=superuser, user=expert, active=False)
    expert = refresh(expert)
    results = search(expert, COMMON, per_page=1000, facets=True)
    assert results.total == 0
    assert results.hits == []


def test_the_author_of_a_revision_finds_the_article_they_do_not_own(
    corpus: Corpus, readers: dict[str, Any], superuser: User
) -> None:
    """An experts-only article a level-1 specialist wrote: they see it as its author (not
    as an expert). Once someone else owns it, their revision alone still lets them find it,
    as ``visible_to`` says — the database check reads the authors afresh."""
    specialist = readers[Role.SUPPORT_SPECIALIST]
    article = corpus.articles["by-specialist"]
    Article.objects.filter(pk=article.pk).update(owner=superuser)
    assert article.pk in visible(specialist, "article", corpus)
    hits = search(specialist, COMMON, kinds=["article"], per_page=1000).hits
    assert article.pk in {h.pk for h in hits}
    # Not as an expert: the experts-only article of the same institution stays hidden.
    assert corpus.articles["exp"].pk not in {h.pk for h in hits}
