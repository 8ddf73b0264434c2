"""The analyzer (the same at index and query time) and the snippet highlighter: plain unit
tests, no database.

Latvian words typed with or without diacritics, in any case and in any inflection, must reach
the index as one term; offsets must point into the NFC text so that snippets cut the original
words; highlighted snippets must never let the text's own markup through."""

from __future__ import annotations

import re
import unicodedata

import pytest
from django.utils.safestring import SafeString

from zina.search.analyzer import (
    STOP_WORDS,
    Token,
    analyze,
    fold,
    normalize,
    term,
    variants,
    words,
)
from zina.search.latvian import stem
from zina.search.snippets import highlight, highlights


def lv(word: str) -> str | None:
    return term(word, "lv")


def terms(text: str, language: str = "lv") -> list[str]:
    return [t.term for t in analyze(text, language)]


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# --- Inflected forms conflate -----------------------------------------------------------------

# Words of the service desk, every form (with and without diacritics, any case) → one term.
SERVICE_DESK_WORDS = [
    (
        "pakalpojums",
        "pakalpojums pakalpojuma pakalpojumu pakalpojumiem pakalpojumam pakalpojumi "
        "pakalpojumus pakalpojumos pakalpojumā pakalpojuma PAKALPOJUMIEM Pakalpojumā",
    ),
    ("pārtraukums", "pārtraukums partraukumiem pārtraukuma pārtraukumu partraukumus"),
    ("zināšanas", "zināšanas zinasanu zināšanām zināšanās ZINĀŠANU zinasanas"),
    ("problēma", "problēma problemam problēmas problēmu problēmai problēmā problēmām"),
    ("incidents", "incidents incidentu incidenta incidentam incidenti incidentiem incidentos"),
    ("šķērslis", "ŠĶĒRSLIS skerslis Šķērslis SKERSLIS šķēršļi"),
    ("parole", "parole paroles parolei paroli parolē parolēm parolēs PAROLES"),
]


@pytest.mark.parametrize(
    ("lemma", "forms"), SERVICE_DESK_WORDS, ids=[w for w, _ in SERVICE_DESK_WORDS]
)
def test_inflected_forms_conflate(lemma: str, forms: str) -> None:
    expected = lv(lemma)
    assert expected
    stems = {form: lv(form) for form in forms.split()}
    assert set(stems.values()) == {expected}, stems


def test_examples_from_the_brief() -> None:
    assert lv("pakalpojums") == lv("pakalpojuma") == lv("pakalpojumu") == lv("pakalpojumiem")
    assert lv("pārtraukums") == lv("partraukumiem")
    assert lv("zināšanas") == lv("zinasanu")
    assert lv("problēma") == lv("problemam")
    assert lv("incidents") == lv("incidentu")
    assert lv("ŠĶĒRSLIS") == lv("skerslis")


def test_case_and_diacritics_are_folded() -> None:
    assert fold("ŠĶĒRSLIS") == "skerslis"
    assert fold("Ģērbtuve Ļoti Ņaudēt Čaklā Žagata Ūdens Īss Ķēķis") == (
        "gerbtuve loti naudet cakla zagata udens iss kekis"
    )
    assert fold("plain ascii") == "plain ascii"
    # Other diacritics are stripped too; other scripts keep their letters.
    assert fold("Ölçü Café") == "olcu cafe"
    assert fold("Привет") == "привет"
    # A decomposed (NFD) word folds to the same letters as the composed one.
    assert fold(nfd("Šķērslis")) == fold("Šķērslis") == "skerslis"


def test_term_is_the_same_with_and_without_diacritics_in_any_case() -> None:
    for word in ("Zināšanas", "ZINĀŠANAS", "zinasanas", "ZiNaSaNaS", nfd("zināšanas")):
        assert lv(word) == "zinasan", word


# --- Lucene's TestLatvianStemmer, where it survives folding ------------------------------------

# (Lucene's expected stem, every form Lucene's test checks); compared after folding both.
LUCENE_NOUNS = [
    # decl. I
    ("tēv", "tēvs tēvi tēva tēvu tēvam tēviem tēvus tēvā tēvos"),
    # decl. II: c → č, n → ņ, and a labial with an epenthetic j
    ("lāc", "lācis lāči lāča lāču lācim lāčiem lāci lāčus lācī lāčos"),
    ("akmen", "akmens akmeņi akmeņu akmenim akmeņiem akmeni akmeņus akmenī akmeņos"),
    ("kurm", "kurmis kurmji kurmja kurmju kurmim kurmjiem kurmi kurmjus kurmī kurmjos"),
    # decl. III
    ("liet", "lietus lieti lietu lietum lietiem lietū lietos"),
    # decl. IV
    ("lap", "lapa lapas lapu lapai lapām lapā lapās"),
    ("puik", "puika puikas puiku puikam puikām puikā puikās"),
    # decl. V
    ("egl", "egle egles egļu eglei eglēm egli eglē eglēs"),
    # decl. VI
    ("gov", "govs govis govju govij govīm govi govī govīs"),
    # adjectives, definite and indefinite
    (
        "zil",
        "zils zilais zili zilie zila zilā zilas zilās zilu zilo zilam zilajam ziliem zilajiem "
        "zilai zilajai zilām zilajām zilus zilos zilajā zilajos zilajās",
    ),
    # Palatalisation undone (kš → kst; the rest is done by folding)
    ("krāsn", "krāsns krāšņu"),
    ("zvaigzn", "zvaigzne zvaigžņu"),
    ("kāpsl", "kāpslis kāpšļu"),
    ("zizl", "zizlis zižļu"),
    ("viln", "vilnis viļņu"),
    ("lell", "lelle leļļu"),
    ("pinn", "pinne piņņu"),
    ("rīkst", "rīkste rīkšu"),
    # From the brief: the common words of each declension
    ("adat", "adata adatas adatai adatu adatā adatām adatās"),
    ("kaķ", "kaķis kaķa kaķim kaķi kaķī kaķu kaķiem kaķus kaķos"),
    ("cilvēk", "cilvēks cilvēka cilvēkam cilvēku cilvēkā cilvēki cilvēkiem cilvēkus cilvēkos"),
    ("sird", "sirds sirdis sirdij sirdī sirdīm sirdīs"),
    ("skap", "skapis skapja skapim skapi skapī skapji skapjiem skapjus skapjos skapju"),
    ("tirg", "tirgus tirgum tirgū tirgi tirgiem tirgos"),
]


@pytest.mark.parametrize(("expected", "forms"), LUCENE_NOUNS, ids=[s for s, _ in LUCENE_NOUNS])
def test_lucene_latvian_stemmer_cases(expected: str, forms: str) -> None:
    got = {form: lv(form) for form in forms.split()}
    assert got == dict.fromkeys(forms.split(), fold(expected))
    # The stemmer alone (on folded text) gives the same.
    assert {stem(fold(form)) for form in forms.split()} == {fold(expected)}


def test_stems_keep_three_letters_and_a_vowel() -> None:
    """Lucene's length rules: a 3+ letter stem with at least one vowel."""
    assert stem("usa") == "usa"
    assert stem("60ms") == "60ms"
    assert stem("") == ""
    assert lv("upe") == "upe"  # too short to strip "e"


# --- Offsets, positions, normalisation ----------------------------------------------------------


def test_nfc_and_nfd_input_give_the_same_tokens() -> None:
    text = "Pārtraukums pakalpojumā “Zināšanu bāze”: šķēršļi un ŅEMŠANA"
    decomposed = nfd(text)
    assert decomposed != text
    assert analyze(decomposed, "lv") == analyze(text, "lv")
    assert normalize(decomposed) == text


@pytest.mark.parametrize("form", ["nfc", "nfd"])
def test_offsets_point_at_the_original_words_in_the_normalized_text(form: str) -> None:
    original = "Kļūda: ŠĶĒRSLIS pakalpojumā «E-pakalpojumu portāls» (ārkārtas) 2024. gadā!"
    text = nfd(original) if form == "nfd" else original
    normalized = normalize(text)
    assert normalized == original
    tokens = analyze(text, "lv")
    surface = [normalized[t.start : t.end] for t in tokens]
    assert surface == [
        "Kļūda",
        "ŠĶĒRSLIS",
        "pakalpojumā",
        "E",
        "pakalpojumu",
        "portāls",
        "ārkārtas",
        "2024",
        "gadā",
    ]
    for t in tokens:
        assert t.term == lv(normalized[t.start : t.end])
    # words(): the same spans, folded and unstemmed.
    assert [(w, normalized[s:e]) for w, s, e in words(text)] == [(fold(w), w) for w in surface]


def test_ascii_text_is_returned_unchanged_by_normalize() -> None:
    text = "Printer offline"
    assert normalize(text) is text
    assert [(t.start, t.end) for t in analyze(text, "en")] == [(0, 7), (8, 15)]


def test_stop_words_are_dropped_and_leave_position_gaps() -> None:
    tokens = analyze("Pakalpojums un problēma ir pārtraukta uz nakti", "lv")
    assert [(t.term, t.position) for t in tokens] == [
        (lv("pakalpojums"), 0),
        (lv("problēma"), 2),
        (lv("pārtraukta"), 4),
        (lv("nakti"), 6),
    ]
    assert lv("un") is None
    assert lv("UZ") is None
    assert lv("Pēc") is None  # folded "pec" is a stop word
    english = analyze("The connection to the server is slow", "en")
    assert [(t.term, t.position) for t in english] == [
        ("connect", 1),
        ("server", 4),
        ("slow", 6),
    ]


def test_stop_words_are_folded() -> None:
    for language, stop in STOP_WORDS.items():
        assert all(w == fold(w) for w in stop), language


def test_words_are_letters_and_digits() -> None:
    assert [w for w, _, _ in words("Windows 11_Pro; e-pasts, kļūda#42")] == [
        "windows",
        "11",
        "pro",
        "e",
        "pasts",
        "kluda",
        "42",
    ]
    assert analyze("", "lv") == []
    assert analyze("  — ... ", "lv") == []


def test_unknown_language_is_analysed_as_latvian() -> None:
    text = "Pakalpojumi nedarbojas"
    assert analyze(text, "de") == analyze(text, "lv")


def test_tokens_are_named_tuples() -> None:
    (token,) = analyze("Parole", "lv")
    assert token == Token(term="parol", start=0, end=6, position=0)


# --- English ------------------------------------------------------------------------------------


def test_english_snowball_stemming() -> None:
    assert term("connections", "en") == term("connected", "en") == term("Connecting", "en")
    assert term("connections", "en") == "connect"
    assert term("passwords", "en") == term("password", "en")
    assert term("the", "en") is None
    assert terms("Connections CONNECTED", "en") == ["connect", "connect"]


def test_english_folds_diacritics_too() -> None:
    assert term("Café", "en") == term("cafe", "en")


def test_variants_give_the_latvian_and_the_english_term() -> None:
    assert variants("connections") == {lv("connections"), term("connections", "en")}
    assert "connect" in variants("connections")
    assert variants("pakalpojumiem") == {"pakalpojum", term("pakalpojumiem", "en")}
    assert variants("Zināšanas") == variants("zinasanas")
    # A Latvian stop word still has its English term; a word that is a stop word in both
    # languages has none.
    assert variants("un") == {term("un", "en")}
    assert None not in variants("un")
    assert variants("no") == set()


# --- Highlighting --------------------------------------------------------------------------------


def marked(snippet: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", snippet)


def without_marks(snippet: str) -> str:
    return re.sub(r"</?mark>", "", snippet)


def test_highlight_escapes_html_in_the_text() -> None:
    text = '<script>alert("parole")</script> Parole & <b>paroles</b> maiņa <img src=x onerror=1>'
    out = highlight(text, "lv", {lv("parole")})
    assert isinstance(out, SafeString)
    assert "<script>" not in out
    assert "<b>" not in out
    assert "<img" not in out
    assert "&lt;script&gt;" in out
    assert "&amp;" in out
    # The only tags are our own marks.
    assert "<" not in without_marks(out)
    assert ">" not in without_marks(out)
    assert marked(out) == ["parole", "Parole", "paroles"]


def test_highlight_escapes_when_nothing_matches() -> None:
    out = highlight("<script>alert(1)</script> sveiki", "lv", {"nekas"})
    assert "<script>" not in out
    assert out.startswith("&lt;script&gt;")
    assert marked(out) == []


def test_highlight_wraps_every_inflected_match() -> None:
    text = "Pakalpojums nav pieejams. Pakalpojuma pārtraukums ietekmē pakalpojumiem piesaistītos."
    out = highlight(text, "lv", {lv("pakalpojumu")})
    assert marked(out) == ["Pakalpojums", "Pakalpojuma", "pakalpojumiem"]
    assert without_marks(out) == text


def test_highlight_finds_words_with_diacritics_from_a_query_without() -> None:
    out = highlight("Zināšanu bāze un ŠĶĒRSLIS", "lv", {lv("zinasanas"), lv("skerslis")})
    assert marked(out) == ["Zināšanu", "ŠĶĒRSLIS"]


def test_highlight_of_decomposed_text_marks_the_composed_words() -> None:
    out = highlight(nfd("Pārtraukums pakalpojumā"), "lv", {lv("partraukums")})
    assert marked(out) == ["Pārtraukums"]
    assert without_marks(out) == "Pārtraukums pakalpojumā"


def test_highlight_marks_a_prefix_being_typed() -> None:
    out = highlight("E-pakalpojumu portāls un pakārtotie pakalpojumi", "lv", set(), "pakalpo")
    assert marked(out) == ["pakalpojumu", "pakalpojumi"]


def test_highlight_does_not_mark_stop_words() -> None:
    out = highlight("Parole un lietotājs", "lv", {lv("parole"), "un"})
    assert marked(out) == ["Parole"]


def test_highlight_without_matches_gives_the_beginning() -> None:
    text = " ".join(f"vārds{i}" for i in range(200))
    out = highlight(text, "lv", {"nekas"}, width=100)
    assert out == text[:100] + "…"
    short = highlight("Īss   teksts\n ar  atstarpēm", "lv", set())
    assert short == "Īss teksts ar atstarpēm"


def test_highlight_picks_the_passage_with_the_matches_in_long_text() -> None:
    filler = "Lorem ipsum dolor sit amet consectetur adipiscing. " * 40
    text = filler + "Printeris nedrukā: printera draiveris jāpārinstalē. " + filler
    out = highlight(text, "lv", {lv("printeris")}, width=120)
    assert marked(out) == ["Printeris", "printera"]
    assert out.startswith("…")
    assert out.endswith("…")
    assert len(without_marks(out)) <= 120 + 2
    # The passage starts at a word boundary shortly before the first match.
    body = without_marks(out)[1:-1]
    assert text.index(body) > 0
    assert text[text.index(body) - 1] == " "


def test_highlight_prefers_the_passage_with_most_matches() -> None:
    filler = "Lorem ipsum dolor sit amet consectetur adipiscing. " * 20
    text = (
        "Parole minēta vienreiz. "
        + filler
        + "Parole, paroles maiņa, parolei derīgums, paroli neatkārtot. "
        + filler
    )
    out = highlight(text, "lv", {lv("parole")}, width=120)
    assert marked(out) == ["Parole", "paroles", "parolei", "paroli"]
    assert "vienreiz" not in out


def test_highlight_match_at_the_very_end() -> None:
    text = "Lorem ipsum dolor sit amet. " * 30 + "Beigās ir incidents"
    out = highlight(text, "lv", {lv("incidents")}, width=80)
    assert marked(out) == ["incidents"]
    assert out.endswith("<mark>incidents</mark>")
    assert out.startswith("…")


def test_highlight_marks_whole_words_only() -> None:
    """A matching word inside a longer word (letters, digits; not an underscore or a hyphen)
    is not marked; at the text's edges and next to punctuation it is."""
    text = "parole paroleX Xparole parole2 2parole parole_a a_parole e-parole parole."
    out = highlight(text, "lv", {lv("parole")})
    assert without_marks(out) == text
    assert out == (
        "<mark>parole</mark> paroleX Xparole parole2 2parole <mark>parole</mark>_a "
        "a_<mark>parole</mark> e-<mark>parole</mark> <mark>parole</mark>."
    )


def test_highlights_of_a_search_are_those_of_each_text() -> None:
    """``highlights`` analyses the words of all hits at once: the snippets are the same as
    ``highlight`` gives for each text alone, whatever the other texts hold."""
    texts = [
        ("Paroles maiņa: parole jāmaina reizi gadā. Pakalpojums <b>paroles</b>.", "lv"),
        ("Password reset: passwords expire; reset the password yearly.", "en"),
        ("Pakalpojumu portāls un pakārtotie pakalpojumi; paroleX nav parole.", "lv"),
        (nfd("Pārtraukums pakalpojumā, ŠĶĒRSLIS"), "lv"),
        ("Nekā kopīga", "lv"),
        ("", "en"),
    ]
    terms = {lv("parole"), "password", lv("skerslis"), lv("partraukums")}
    for prefix in ("", "pakalpo", "res"):
        together = highlights(texts, terms, prefix, width=60)
        assert together == [highlight(t, lang, terms, prefix, width=60) for t, lang in texts]
    assert highlights([], terms) == []
