"""Bulk import of articles (issue 4 §9): JSON Lines and Markdown folders, defaults from the
command line, line-numbered errors, all or nothing, dry run, permissions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.utils import translation

from zina.accounts import operations as account_ops
from zina.accounts.choices import Role
from zina.accounts.models import Institution, User
from zina.catalog import operations as catalog_ops
from zina.catalog.models import Service
from zina.conftest import refresh
from zina.core.models import AuditEvent
from zina.knowledge import importer
from zina.knowledge import operations as ops
from zina.knowledge.choices import ArticleType, Audience, Licence, State
from zina.knowledge.models import Article, ArticleRevision

Row = dict[str, Any] | str


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are asserted in English (the source language)."""
    with translation.override("en"):
        yield


@pytest.fixture
def manager(make_user: Callable[..., User], institution: Institution) -> User:
    """A knowledge manager of VRA: writes and publishes anything there."""
    return make_user("zane", institution, Role.KNOWLEDGE_MANAGER)


@pytest.fixture
def writer(make_user: Callable[..., User], institution: Institution) -> User:
    """A level-1 support specialist of VRA: writes, may not publish."""
    return make_user("juris", institution, Role.SUPPORT_SPECIALIST)


@pytest.fixture
def colleague(make_user: Callable[..., User], institution: Institution) -> User:
    return make_user("ilze", institution, Role.SUPPORT_EXPERT)


@pytest.fixture
def add_service(superuser: User) -> Callable[..., Service]:
    """``add_service(institution, identifier, name, **fields)`` through the catalog operation."""

    def add(institution: Institution, identifier: str, name: str, **fields: Any) -> Service:
        data = catalog_ops.ServiceData(identifier=identifier, name=name, **fields)
        return catalog_ops.create_service(actor=superuser, institution=institution, data=data)

    return add


@pytest.fixture
def epak(add_service: Callable[..., Service], institution: Institution) -> Service:
    return add_service(institution, "VRA-EPAK", "E-pakalpojumu portāls")


def counts() -> dict[str, int]:
    """Row counts of everything an import may write."""
    return {
        "articles": Article.objects.count(),
        "revisions": ArticleRevision.objects.count(),
        "services": Article.services.through.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def jsonl(path: Path, rows: list[Row]) -> Path:
    """Write ``rows`` one per line: dicts as JSON, strings as they are."""
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(*args: Any) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import-articles", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def fails(*args: Any) -> tuple[str, list[str]]:
    """Run the command expecting errors: (the CommandError message, stderr lines)."""
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import-articles", *[str(a) for a in args], stdout=out, stderr=err)
    return str(exc.value), err.getvalue().splitlines()


def plan(actor: User, *paths: Path, **options: Any) -> importer.ImportReport:
    """A dry run through the importer's API (no command line)."""
    return importer.import_articles(
        actor=actor,
        batch=importer.read_paths(paths),
        options=importer.resolve_options(**options),
        dry_run=True,
    )


def verbs(article: Article) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_id=str(article.pk), verb__startswith="article.")
        .order_by("pk")
        .values_list("verb", flat=True)
    )


def by_title(title: str) -> Article:
    return Article.objects.get(revisions__title=title)


# --- JSON Lines ---------------------------------------------------------------------------------


def test_jsonl_with_publish_creates_live_articles_with_their_audit_trail(
    manager: User, colleague: User, epak: Service, tmp_path: Path
) -> None:
    path = jsonl(
        tmp_path / "faq.jsonl",
        [
            {
                "title": "Kā atjaunot paroli?",
                "body": "Atveriet **paroles atjaunošanas** lapu.",
                "type": "faq",
                "keywords": ["parole", " e-pasts "],
                "service": "VRA-EPAK",
                "institution": "vra",
            },
            "",
            "   ",
            {
                "title": "Portāls nerāda izziņas",
                "type": "Zināmā kļūda",
                "audience": "Eksperti",
                "symptoms": "Izziņu saraksts ir tukšs.",
                "environment": "Chrome 130",
                "cause": "Kešatmiņa",
                "resolution": "Iztīriet kešatmiņu.",
                "keywords": "izziņas, kešatmiņa",
                "owner": "ilze",
                "language": "en",
            },
        ],
    )
    before = counts()
    out, err = run(path, "--as", "zane", "--institution", "vra", "--publish")
    assert err == ""
    assert "articles: 2 to create, 2 to publish" in out
    assert "Imported 2 articles, 2 published." in out
    assert counts()["articles"] == before["articles"] + 2

    faq = by_title("Kā atjaunot paroli?")
    assert (faq.type, faq.audience, faq.owner) == (ArticleType.FAQ, Audience.INTERNAL, manager)
    assert list(faq.services.all()) == [epak]
    assert faq.review_by is not None  # set by publishing
    [revision] = faq.revisions.all()
    assert (revision.state, revision.is_live, revision.language) == (State.VALIDATED, True, "lv")
    assert (revision.author, revision.reviewed_by) == (manager, manager)
    assert revision.keywords == "parole, e-pasts"
    assert revision.body == "Atveriet **paroles atjaunošanas** lapu."
    assert verbs(faq) == ["article.created", "article.submitted", "article.published"]

    known = by_title("Portāls nerāda izziņas")
    assert (known.type, known.audience) == (ArticleType.KNOWN_ERROR, Audience.EXPERTS)
    assert known.owner == colleague
    live = known.live_revision()
    assert live is not None
    assert live.language == "en"
    assert (live.symptoms, live.environment, live.cause, live.resolution) == (
        "Izziņu saraksts ir tukšs.",
        "Chrome 130",
        "Kešatmiņa",
        "Iztīriet kešatmiņu.",
    )
    assert live.author == manager  # the importing user wrote it; the file names the owner
    assert verbs(known) == [
        "article.created",
        "article.submitted",
        "article.published",
        "article.owner_set",
    ]
    owner_set = AuditEvent.objects.get(object_id=str(known.pk), verb="article.owner_set")
    assert owner_set.actor == manager
    assert owner_set.before == {"owner_id": manager.pk}
    assert owner_set.after == {"owner_id": colleague.pk}


def test_without_publish_articles_stay_drafts(manager: User, tmp_path: Path) -> None:
    path = jsonl(tmp_path / "a.jsonl", [{"title": "Melnraksts"}])
    run(path, "--as", "zane", "--institution", "vra")
    article = by_title("Melnraksts")
    [revision] = article.revisions.all()
    assert (revision.state, revision.is_live, revision.number) == (State.DRAFT, False, 1)
    assert article.review_by is None
    assert verbs(article) == ["article.created"]


def test_defaults_come_from_the_options(
    manager: User, institution: Institution, tmp_path: Path
) -> None:
    path = jsonl(
        tmp_path / "a.jsonl",
        [
            {"title": "Pēc noklusējuma"},
            {"title": "Savs", "type": "instruction", "audience": "public", "language": "lv"},
        ],
    )
    run(path, "--as", "zane", "--institution", "vra", "--audience", "experts", "--language", "en")
    plain = by_title("Pēc noklusējuma")
    assert (plain.institution, plain.type, plain.audience, plain.owner) == (
        institution,
        ArticleType.SOLUTION,
        Audience.EXPERTS,
        manager,
    )
    assert plain.revisions.get().language == "en"
    own = by_title("Savs")
    assert (own.type, own.audience) == (ArticleType.INSTRUCTION, Audience.PUBLIC)
    assert own.revisions.get().language == "lv"


def test_built_in_defaults_are_internal_latvian_solution(manager: User, tmp_path: Path) -> None:
    path = jsonl(tmp_path / "a.jsonl", [{"title": "Bez iestatījumiem", "institution": "VRA"}])
    run(path, "--as", "zane")
    article = by_title("Bez iestatījumiem")
    assert (article.type, article.audience) == (ArticleType.SOLUTION, Audience.INTERNAL)
    assert article.revisions.get().language == "lv"


def test_options_accept_labels_and_refuse_unknown_values(manager: User, tmp_path: Path) -> None:
    path = jsonl(tmp_path / "a.jsonl", [{"title": "Etiķetes"}])
    run(
        path,
        "--as",
        "zane",
        "--institution",
        "vra",
        "--audience",
        "Publisks",
        "--language",
        "Angļu",
    )
    article = by_title("Etiķetes")
    assert article.audience == Audience.PUBLIC
    assert article.revisions.get().language == "en"

    before = counts()
    with pytest.raises(CommandError, match="Unknown institution “nav”"):
        run(path, "--as", "zane", "--institution", "nav")
    with pytest.raises(CommandError, match="Unknown audience “visiem”"):
        run(path, "--as", "zane", "--institution", "vra", "--audience", "visiem")
    with pytest.raises(CommandError, match="Unknown language “de”"):
        run(path, "--as", "zane", "--institution", "vra", "--language", "de")
    with pytest.raises(CommandError, match="No active user “neviens”"):
        run(path, "--as", "neviens", "--institution", "vra")
    assert counts() == before


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Zināmā kļūda", ArticleType.KNOWN_ERROR),
        ("zinama kluda", ArticleType.KNOWN_ERROR),
        ("ZINĀMĀ KĻŪDA", ArticleType.KNOWN_ERROR),
        ("known error", ArticleType.KNOWN_ERROR),
        ("known-error", ArticleType.KNOWN_ERROR),
        ("Known_Error", ArticleType.KNOWN_ERROR),
        ("Biežāk uzdotais jautājums", ArticleType.FAQ),
        ("biezak uzdotais jautajums", ArticleType.FAQ),
        ("Apiešanas risinājums", ArticleType.WORKAROUND),
        ("apiesanas risinajums", ArticleType.WORKAROUND),
        ("Pārtraukuma pārskats", ArticleType.INTERRUPTION_REPORT),
        ("Frequently asked question", ArticleType.FAQ),
    ],
)
def test_type_accepts_codes_and_labels_with_or_without_diacritics(
    manager: User, tmp_path: Path, value: str, code: str
) -> None:
    report = plan(
        manager, jsonl(tmp_path / "a.jsonl", [{"title": "T", "type": value}]), institution="vra"
    )
    assert report.errors == []
    [item] = report.planned
    assert item.settings.type == code


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("Publisks (0. līmenis)", Audience.PUBLIC),
        ("publisks (0. limenis)", Audience.PUBLIC),
        ("Publisks", Audience.PUBLIC),
        ("PUBLISKS", Audience.PUBLIC),
        ("Iekšējs (darbinieki)", Audience.INTERNAL),
        ("iekšējs", Audience.INTERNAL),
        ("ieksejs", Audience.INTERNAL),
        ("Eksperti (2. līmenis un saimnieki)", Audience.EXPERTS),
        ("eksperti", Audience.EXPERTS),
        ("Darbinieki un piesaistītie partneri", Audience.PARTNERS),
        ("darbinieki un piesaistitie partneri", Audience.PARTNERS),
        ("Internal (staff)", Audience.INTERNAL),
        ("partners", Audience.PARTNERS),
    ],
)
def test_audience_accepts_codes_and_labels_with_or_without_diacritics(
    manager: User, tmp_path: Path, value: str, code: str
) -> None:
    report = plan(
        manager, jsonl(tmp_path / "a.jsonl", [{"title": "T", "audience": value}]), institution="vra"
    )
    assert report.errors == []
    [item] = report.planned
    assert item.settings.audience == code


@pytest.mark.parametrize(
    ("value", "code"), [("Latviešu", "lv"), ("latviesu", "lv"), ("Angļu", "en"), ("English", "en")]
)
def test_language_accepts_labels(manager: User, tmp_path: Path, value: str, code: str) -> None:
    report = plan(
        manager, jsonl(tmp_path / "a.jsonl", [{"title": "T", "language": value}]), institution="vra"
    )
    [item] = report.planned
    assert item.language == code


def test_a_line_may_hold_characters_that_splitlines_would_break_on(
    manager: User, tmp_path: Path
) -> None:
    body = "Pirmā rinda\u2028otrā\x85trešā\x0cceturtā"
    path = tmp_path / "a.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + json.dumps({"title": "Dīvaini", "body": body}, ensure_ascii=False).encode()
    )
    report = plan(manager, path, institution="vra")
    assert report.errors == []
    [item] = report.planned
    assert item.text.body == body


# --- Markdown -----------------------------------------------------------------------------------


def test_markdown_folder_with_front_matter_and_heading_titles(
    manager: User, colleague: User, epak: Service, tmp_path: Path
) -> None:
    folder = tmp_path / "zinasanas"
    (folder / "b-apakšmape").mkdir(parents=True)
    (folder / ".git").mkdir()
    (folder / "a-parole.md").write_text(
        "---\n"
        'title: "Parole: kā to nomainīt"\n'
        "type: Biežāk uzdotais jautājums\n"
        "audience: publisks\n"
        "# a comment\n"
        "\n"
        "keywords: [parole, 'e-pasts', konts]\n"
        "service: VRA-EPAK\n"
        "owner: ilze\n"
        "symptoms: Nevar pieslēgties\n"
        "---\n"
        "# Virsraksts paliek tekstā\n"
        "\n"
        "Atveriet iestatījumus.\n",
        encoding="utf-8",
    )
    (folder / "c-bez-ievada.md").write_text(
        "\n# Kļūda 500 portālā #\n\nPārlādējiet lapu.\n\n# Otrs virsraksts\n", encoding="utf-8"
    )
    (folder / "b-apakšmape" / "instrukcija.MD").write_text(
        "---\ntype: instrukcija\nlanguage: en\n---\n"
        "```\n# not a heading, code\n```\n"
        "# Instruction from a subfolder\r\nText.\r\n",
        encoding="utf-8",
    )
    (folder / ".git" / "ignored.md").write_text("# Hidden\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not an article", encoding="utf-8")

    report = plan(manager, folder, institution="vra")
    assert report.errors == []
    assert [(p.source, p.text.title) for p in report.planned] == [
        (str(folder / "a-parole.md"), "Parole: kā to nomainīt"),
        (str(folder / "b-apakšmape" / "instrukcija.MD"), "Instruction from a subfolder"),
        (str(folder / "c-bez-ievada.md"), "Kļūda 500 portālā"),
    ]

    out, err = run(folder, "--as", "zane", "--institution", "vra", "--publish")
    assert err == ""
    assert "articles: 3 to create, 3 to publish" in out

    faq = by_title("Parole: kā to nomainīt")
    assert (faq.type, faq.audience, faq.owner) == (ArticleType.FAQ, Audience.PUBLIC, colleague)
    assert list(faq.services.all()) == [epak]
    live = faq.live_revision()
    assert live is not None
    assert live.body == "# Virsraksts paliek tekstā\n\nAtveriet iestatījumus."
    assert live.keywords == "parole, e-pasts, konts"
    assert live.symptoms == "Nevar pieslēgties"

    plain = by_title("Kļūda 500 portālā")
    assert plain.revisions.get().body == "Pārlādējiet lapu.\n\n# Otrs virsraksts"

    sub = by_title("Instruction from a subfolder")
    assert sub.type == ArticleType.INSTRUCTION
    revision = sub.revisions.get()
    assert revision.language == "en"
    assert revision.body == "```\n# not a heading, code\n```\nText."


def test_a_single_markdown_file_may_be_named(manager: User, tmp_path: Path) -> None:
    path = tmp_path / "viens.md"
    path.write_text("# Viens raksts\n\nTeksts.", encoding="utf-8")
    run(path, "--as", "zane", "--institution", "vra")
    assert by_title("Viens raksts").revisions.get().body == "Teksts."


def test_markdown_errors_name_the_file_and_the_front_matter_line(
    manager: User, tmp_path: Path
) -> None:
    folder = tmp_path / "md"
    folder.mkdir()
    (folder / "1-no-title.md").write_text("Tikai teksts, bez virsraksta.\n", encoding="utf-8")
    (folder / "2-unclosed.md").write_text("---\ntitle: Nav beigu\n# Virsraksts\n", encoding="utf-8")
    (folder / "3-keys.md").write_text(
        "---\ntitle: Atslēgas\ncolour: red\njust text\nbody: x\ntitle: again\n---\n",
        encoding="utf-8",
    )
    (folder / "4-values.md").write_text(
        "---\ntype: recepte\n\naudience: visiem\nservice: NAV\n---\n# " + "g" * 301 + "\n",
        encoding="utf-8",
    )
    (folder / "5-ok.md").write_text("# Labs\n", encoding="utf-8")
    with translation.override("en"):
        report = plan(manager, folder, institution="vra")
    name = str(folder)
    assert [str(e) for e in report.errors] == [
        f"{name}/1-no-title.md: No title: add “title:” to the front matter or a “# Heading” line.",
        f"{name}/2-unclosed.md:1: The front matter is not closed with a “---” line.",
        f"{name}/3-keys.md:3: Unknown keys: colour. Allowed: {', '.join(importer.KEYS)}.",
        f"{name}/3-keys.md:4: Write front matter lines as “key: value”.",
        f"{name}/3-keys.md:5: The text after the front matter is the body; remove “body:”.",
        f"{name}/3-keys.md:6: title: “title” is given twice.",
        f"{name}/4-values.md:7: title: At most 300 characters.",
        f"{name}/4-values.md:2: type: Unknown article type “recepte”. Allowed: "
        + ", ".join(ArticleType.values)
        + ".",
        f"{name}/4-values.md:4: audience: Unknown audience “visiem”. Allowed: "
        + ", ".join(Audience.values)
        + ".",
        f"{name}/4-values.md:5: service: Unknown service “NAV” in vra.",
    ]
    assert [p.text.title for p in report.planned] == ["Labs"]

    before = counts()
    message, lines = fails(folder, "--as", "zane", "--institution", "vra")
    assert message == "10 error(s): nothing was imported."
    assert lines == [str(e) for e in report.errors]
    assert counts() == before


# --- Errors: all or nothing ---------------------------------------------------------------------


def test_every_bad_line_is_reported_with_its_number_and_nothing_is_written(
    manager: User,
    make_user: Callable[..., User],
    superuser: User,
    institution: Institution,
    other_institution: Institution,
    epak: Service,
    add_service: Callable[..., Service],
    tmp_path: Path,
) -> None:
    add_service(other_institution, "SPA-PAB", "Pabalstu pieprasīšana")
    blocked = make_user("bloketais", institution, Role.SUPPORT_SPECIALIST)
    account_ops.set_user_active(actor=superuser, user=blocked, active=False)
    make_user("cits", other_institution, Role.SUPPORT_SPECIALIST)
    make_user("partneris", institution, kind="partner")
    rows: list[Row] = [
        {"title": "Labs raksts", "service": "VRA-EPAK"},  # 1: fine, yet not written
        "{not json",  # 2
        "[1, 2]",  # 3
        {"title": "Krāsains", "colour": "red", "size": 3},  # 4
        {"body": "Bez virsraksta"},  # 5
        {"title": "x" * 301},  # 6
        {"title": "Tips", "type": "recepte"},  # 7
        {"title": "Auditorija", "audience": "visiem"},  # 8
        {"title": "Valoda", "language": "de"},  # 9
        {"title": "Iestāde", "institution": "nav"},  # 10
        {"title": "Pakalpojums", "service": "NAV"},  # 11
        {"title": "Svešs pakalpojums", "service": "SPA-PAB"},  # 12
        {"title": "Īpašnieks", "owner": "nezinams"},  # 13
        {"title": "Bloķēts", "owner": "bloketais"},  # 14
        {"title": "Citas iestādes", "owner": "cits"},  # 15
        {"title": "Partneris", "owner": "partneris"},  # 16
        {"title": 123, "body": ["saraksts"]},  # 17
        {"title": "Atslēgvārdi", "keywords": "k" * 501},  # 18
        {"title": "Tips skaitlis", "type": 7},  # 19
    ]
    path = jsonl(tmp_path / "raksti.jsonl", rows)
    with translation.override("en"):
        report = plan(manager, path, institution="vra")
    f = str(path)
    assert [str(e) for e in report.errors] == [
        f"{f}:2: Not valid JSON: Expecting property name enclosed in double quotes (column 2).",
        f"{f}:3: Each line must be a JSON object.",
        f"{f}:4: Unknown keys: colour, size. Allowed: {', '.join(importer.KEYS)}.",
        f"{f}:5: title: Missing title.",
        f"{f}:6: title: At most 300 characters.",
        f"{f}:7: type: Unknown article type “recepte”. Allowed: {', '.join(ArticleType.values)}.",
        f"{f}:8: audience: Unknown audience “visiem”. Allowed: {', '.join(Audience.values)}.",
        f"{f}:9: language: Unknown language “de”. Allowed: lv, en.",
        f"{f}:10: institution: Unknown institution “nav”.",
        f"{f}:11: service: Unknown service “NAV” in vra.",
        f"{f}:12: service: Unknown service “SPA-PAB” in vra.",
        f"{f}:13: owner: Unknown or blocked user “nezinams”.",
        f"{f}:14: owner: Unknown or blocked user “bloketais”.",
        f"{f}:15: owner: “cits” is not a staff member of vra.",
        f"{f}:16: owner: “partneris” is not a staff member of vra.",
        f"{f}:17: title: Write text.",
        f"{f}:17: body: Write text.",
        f"{f}:17: title: Missing title.",
        f"{f}:18: keywords: At most 500 characters.",
        f"{f}:19: type: Unknown article type “7”. Allowed: {', '.join(ArticleType.values)}.",
    ]
    assert [p.line for p in report.planned] == [1]

    before = counts()
    message, lines = fails(path, "--as", "zane", "--institution", "vra", "--publish")
    assert message == "20 error(s): nothing was imported."
    assert lines == [str(e) for e in report.errors]
    assert counts() == before
    assert not Article.objects.filter(revisions__title="Labs raksts").exists()


def test_an_error_in_one_file_keeps_every_other_file_out(manager: User, tmp_path: Path) -> None:
    good = jsonl(tmp_path / "a.jsonl", [{"title": f"Raksts {i}"} for i in range(30)])
    folder = tmp_path / "md"
    folder.mkdir()
    (folder / "labs.md").write_text("# Labs\n", encoding="utf-8")
    (folder / "slikts.md").write_text("---\ntype: recepte\n---\n# Slikts\n", encoding="utf-8")
    before = counts()
    message, lines = fails(good, folder, "--as", "zane", "--institution", "vra", "--publish")
    assert message == "1 error(s): nothing was imported."
    assert lines == [
        f"{folder}/slikts.md:2: type: Unknown article type “recepte”. Allowed: "
        + ", ".join(ArticleType.values)
        + "."
    ]
    assert counts() == before


def test_an_institution_is_required(manager: User, tmp_path: Path) -> None:
    path = jsonl(tmp_path / "a.jsonl", [{"title": "Kur?"}, {"title": "Te", "institution": "vra"}])
    before = counts()
    _, lines = fails(path, "--as", "zane")
    assert lines == [
        f"{path}:1: institution: No institution: give --institution or an “institution” value."
    ]
    assert counts() == before


def test_non_utf8_files_are_refused_with_a_clear_message(manager: User, tmp_path: Path) -> None:
    path = tmp_path / "cp1257.jsonl"
    path.write_bytes(
        b'{"title": "Labs"}\n'
        + json.dumps({"title": "Dzīvesvieta"}, ensure_ascii=False).encode("cp1257")
        + b"\n"
    )
    folder = tmp_path / "md"
    folder.mkdir()
    (folder / "vecs.md").write_bytes("# Deklarēšana\n\nŠis teksts.".encode("cp1257"))
    with translation.override("en"):
        report = plan(manager, path, folder, institution="vra")
    messages = [str(e) for e in report.errors]
    assert messages == [
        f"{path}:2: cp1257.jsonl is not in UTF-8 (byte 32). In Excel choose “Save as” → "
        "“CSV UTF-8 (comma delimited)”, or convert the file to UTF-8.",
        f"{folder}/vecs.md:1: vecs.md is not in UTF-8 (byte 9). In Excel choose "
        "“Save as” → “CSV UTF-8 (comma delimited)”, or convert the file to UTF-8.",
    ]
    before = counts()
    with pytest.raises(CommandError, match=r"2 error\(s\): nothing was imported"):
        run(path, folder, "--as", "zane", "--institution", "vra")
    assert counts() == before


def test_paths_that_hold_no_articles_are_errors(manager: User, tmp_path: Path) -> None:
    empty = tmp_path / "tukša"
    empty.mkdir()
    (tmp_path / "raksti.csv").write_text("title\nX\n", encoding="utf-8")
    missing = tmp_path / "nav.jsonl"
    with translation.override("en"):
        report = plan(manager, empty, tmp_path / "raksti.csv", missing, tmp_path / "nav-mapes")
    assert [str(e) for e in report.errors] == [
        f"{empty}: The folder holds no Markdown (.md) files.",
        f"{tmp_path}/raksti.csv: Give a JSON Lines file (.jsonl), a Markdown file (.md) or a "
        "folder.",
        f"{missing}: No such file or folder.",
        f"{tmp_path}/nav-mapes: No such file or folder.",
    ]


# --- Dry run ------------------------------------------------------------------------------------


def test_dry_run_reports_what_would_be_created_and_writes_nothing(
    manager: User, colleague: User, epak: Service, tmp_path: Path
) -> None:
    path = jsonl(
        tmp_path / "a.jsonl",
        [
            {"title": "Pirmais", "service": "VRA-EPAK", "owner": "ilze"},
            {"title": "Otrais", "type": "faq", "audience": "public"},
        ],
    )
    before = counts()
    out, err = run(path, "--as", "zane", "--institution", "vra", "--publish", "--dry-run")
    assert err == ""
    assert counts() == before
    assert out.splitlines() == [
        f"{path}:1: Pirmais [vra · solution · internal · lv · VRA-EPAK · ilze · publish]",
        f"{path}:2: Otrais [vra · faq · public · lv · zane · publish]",
        "articles: 2 to create, 2 to publish",
        "Dry run: nothing was written.",
    ]


def test_dry_run_with_errors_fails_the_same_way(manager: User, tmp_path: Path) -> None:
    path = jsonl(tmp_path / "a.jsonl", [{"title": "Labs"}, {"nosaukums": "Slikts"}])
    before = counts()
    message, lines = fails(path, "--as", "zane", "--institution", "vra", "--dry-run")
    assert message == "1 error(s): nothing was imported."
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}:2: Unknown keys: nosaukums.")
    assert counts() == before


# --- Permissions --------------------------------------------------------------------------------


def test_no_right_to_write_in_an_institution_is_a_row_error(
    writer: User, other_institution: Institution, tmp_path: Path
) -> None:
    path = jsonl(
        tmp_path / "a.jsonl",
        [
            {"title": "Savā iestādē", "institution": "vra"},
            # Nothing else is looked up where the user may not write: no probing for users.
            {"title": "Svešā iestādē", "institution": "spa", "owner": "nezinams"},
        ],
    )
    before = counts()
    _, lines = fails(path, "--as", "juris")
    assert lines == [f"{path}:2: institution: “juris” may not write articles in spa."]
    assert counts() == before


def test_users_without_any_knowledge_role_may_not_import(
    make_user: Callable[..., User], institution: Institution, tmp_path: Path
) -> None:
    make_user("auditore", institution, Role.AUDITOR)
    path = jsonl(tmp_path / "a.jsonl", [{"title": "Revīzija"}])
    _, lines = fails(path, "--as", "auditore", "--institution", "vra")
    assert lines == [f"{path}:1: institution: “auditore” may not write articles in vra."]
    assert Article.objects.count() == 0


def test_publishing_needs_the_right_to_publish(writer: User, tmp_path: Path) -> None:
    path = jsonl(tmp_path / "a.jsonl", [{"title": "Gribu publicēt"}])
    before = counts()
    _, lines = fails(path, "--as", "juris", "--institution", "vra", "--publish")
    assert lines == [
        f"{path}:1: “juris” may not publish internal articles in vra: that needs a knowledge "
        "manager, an owner of a linked service or a KCS licence."
    ]
    assert counts() == before
    # Without --publish the same user imports drafts.
    run(path, "--as", "juris", "--institution", "vra")
    assert by_title("Gribu publicēt").revisions.get().state == State.DRAFT


@pytest.mark.parametrize(
    ("level", "internal", "public"),
    [
        (Licence.CANDIDATE, False, False),
        (Licence.CONTRIBUTOR, True, False),
        (Licence.PUBLISHER, True, True),
    ],
)
def test_kcs_licences_decide_what_may_be_published(
    writer: User,
    superuser: User,
    institution: Institution,
    tmp_path: Path,
    level: str,
    internal: bool,
    public: bool,
) -> None:
    ops.grant_licence(actor=superuser, user=writer, institution=institution, level=level)
    path = jsonl(
        tmp_path / "a.jsonl",
        [{"title": "Iekšējs"}, {"title": "Publisks", "audience": "public"}],
    )
    report = plan(refresh(writer), path, institution="vra", publish=True)
    assert [e.line for e in report.errors] == [
        n for n, ok in ((1, internal), (2, public)) if not ok
    ]
    if internal and public:
        run(path, "--as", "juris", "--institution", "vra", "--publish")
        assert all(a.live_revision() is not None for a in Article.objects.all())


def test_an_owner_of_the_linked_service_may_publish_its_articles(
    writer: User,
    superuser: User,
    institution: Institution,
    epak: Service,
    add_service: Callable[..., Service],
    tmp_path: Path,
) -> None:
    add_service(institution, "VRA-ARH", "Arhīva izziņas")
    account_ops.assign_role(
        actor=superuser,
        user=writer,
        institution=institution,
        role=Role.SERVICE_OWNER,
        responsibility="A",
        scope=epak,
    )
    path = jsonl(
        tmp_path / "a.jsonl",
        [
            {"title": "Par portālu", "service": "VRA-EPAK"},
            {"title": "Par arhīvu", "service": "VRA-ARH"},
        ],
    )
    report = plan(refresh(writer), path, institution="vra", publish=True)
    assert [e.line for e in report.errors] == [2]

    ok = jsonl(tmp_path / "ok.jsonl", [{"title": "Par portālu", "service": "VRA-EPAK"}])
    run(ok, "--as", "juris", "--institution", "vra", "--publish")
    live = by_title("Par portālu").live_revision()
    assert live is not None
    assert live.reviewed_by == writer


def test_a_partner_sees_only_the_services_they_may_see(
    make_user: Callable[..., User],
    superuser: User,
    institution: Institution,
    epak: Service,
    add_service: Callable[..., Service],
    tmp_path: Path,
) -> None:
    add_service(institution, "VRA-SLEPENS", "Iekšējs pakalpojums", is_public=False)
    partner = make_user("partneris", institution, kind="partner")
    account_ops.assign_role(
        actor=superuser, user=partner, institution=institution, role=Role.PARTNER, scope=epak
    )
    path = jsonl(
        tmp_path / "a.jsonl",
        [
            {"title": "Partnera raksts", "service": "VRA-EPAK"},
            {"title": "Slepenais", "service": "VRA-SLEPENS"},
        ],
    )
    report = plan(refresh(partner), path, institution="vra")
    assert [str(e) for e in report.errors] == [
        f"{path}:2: service: Unknown service “VRA-SLEPENS” in vra."
    ]

    ok = jsonl(tmp_path / "ok.jsonl", [{"title": "Partnera raksts", "service": "VRA-EPAK"}])
    run(ok, "--as", "partneris", "--institution", "vra")
    article = by_title("Partnera raksts")
    assert (article.owner, list(article.services.all())) == (partner, [epak])


def test_a_refusal_by_an_operation_rolls_back_the_articles_before_it(
    manager: User, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    real = importer.publish_revision

    def publish_once(**kwargs: Any) -> ArticleRevision:
        calls["n"] += 1
        if calls["n"] == 3:
            raise PermissionDenied
        return real(**kwargs)

    monkeypatch.setattr(importer, "publish_revision", publish_once)
    path = jsonl(tmp_path / "a.jsonl", [{"title": f"Raksts {i}"} for i in range(1, 5)])
    before = counts()
    message, lines = fails(path, "--as", "zane", "--institution", "vra", "--publish")
    assert lines == [f"{path}:3: Permission denied by the operation."]
    assert message == "1 error(s): nothing was imported."
    assert counts() == before


def test_the_superuser_may_import_anywhere_and_owns_by_default(
    superuser: User, colleague: User, tmp_path: Path
) -> None:
    path = jsonl(
        tmp_path / "a.jsonl",
        [{"title": "Saknes raksts"}, {"title": "Ilzes raksts", "owner": "ILZE"}],
    )
    run(path, "--as", "root", "--institution", "vra", "--publish")
    assert by_title("Saknes raksts").owner == superuser
    assert by_title("Ilzes raksts").owner == colleague
