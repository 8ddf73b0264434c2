"""The Latvian demo data: institutions and one demo login per role (fictional people).

Idempotent: running it again leaves existing demo objects as they are. Every write goes
through the operations, so the demo also has an audit trail.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from zina.accounts import operations as ops
from zina.accounts.choices import MembershipKind, Responsibility, Role
from zina.accounts.models import Institution, RoleAssignment, User

DEMO_PASSWORD = "zina-demo-2026"  # noqa: S105  (demo only, printed to the console)

INSTITUTIONS = [
    ops.InstitutionData(
        code="dpm",
        name="Digitālās pārvaldības ministrija",
        name_en="Ministry of Digital Administration",
        short_name="DPM",
        registration_number="90000000001",
        email="pasts@dpm.example.lv",
        phone="+371 67000001",
    ),
    ops.InstitutionData(
        code="vra",
        name="Valsts reģistru aģentūra",
        name_en="State Registers Agency",
        short_name="VRA",
        registration_number="90000000002",
        email="info@vra.example.lv",
        phone="+371 67000002",
    ),
    ops.InstitutionData(
        code="spa",
        name="Sociālo pabalstu aģentūra",
        name_en="Social Benefits Agency",
        short_name="SPA",
        registration_number="90000000003",
        email="info@spa.example.lv",
        phone="+371 67000003",
    ),
]

# username, first name, last name, institution code, role, A/L, position
PEOPLE: list[tuple[str, str, str, str, str, str, str]] = [
    (
        "portfelis",
        "Inese",
        "Kalniņa",
        "vra",
        Role.SERVICE_PORTFOLIO_OWNER,
        "A",
        "Pakalpojumu pārvaldības nodaļas vadītāja",
    ),
    (
        "pakalpojums",
        "Jānis",
        "Bērziņš",
        "vra",
        Role.SERVICE_OWNER,
        "A",
        "Reģistru pakalpojumu vadītājs",
    ),
    (
        "sniedzejs",
        "Līga",
        "Ozola",
        "vra",
        Role.SERVICE_PROVIDER,
        "L",
        "Klientu apkalpošanas speciāliste",
    ),
    (
        "resursi",
        "Andris",
        "Liepiņš",
        "vra",
        Role.RESOURCE_PORTFOLIO_OWNER,
        "A",
        "IT departamenta direktors",
    ),
    (
        "resurss",
        "Ilze",
        "Krūmiņa",
        "vra",
        Role.RESOURCE_OWNER,
        "A",
        "Informācijas sistēmu vadītāja",
    ),
    (
        "atbalsts",
        "Kristaps",
        "Zariņš",
        "vra",
        Role.SUPPORT_SPECIALIST,
        "L",
        "Atbalsta dienesta speciālists",
    ),
    ("eksperts", "Dace", "Vītola", "vra", Role.SUPPORT_EXPERT, "L", "Sistēmu eksperte"),
    ("incidenti", "Māris", "Eglītis", "vra", Role.INCIDENT_MANAGER, "A", "Incidentu pārvaldnieks"),
    ("problemas", "Sanita", "Jansone", "vra", Role.PROBLEM_MANAGER, "A", "Problēmu pārvaldniece"),
    ("izmainas", "Edgars", "Kļaviņš", "vra", Role.CHANGE_MANAGER, "A", "Izmaiņu pārvaldnieks"),
    ("zinasanas", "Anna", "Pētersone", "vra", Role.KNOWLEDGE_MANAGER, "A", "Zināšanu pārvaldniece"),
    ("admins", "Guntis", "Lācis", "vra", Role.ADMINISTRATOR, "A", "Sistēmas administrators"),
    ("auditors", "Rita", "Siliņa", "vra", Role.AUDITOR, "L", "Iekšējā auditore"),
    ("partneris", "Oskars", "Balodis", "vra", Role.PARTNER, "L", "SIA “Datu Tilts” izstrādātājs"),
]

SUPERUSER = ("sistema", "Sistēmas", "Pārzinis")


def _superuser() -> User:
    username, first, last = SUPERUSER
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_superuser(
            username=username, email="", password=DEMO_PASSWORD, first_name=first, last_name=last
        )
    return user


@transaction.atomic
def load_demo(progress: Any = None) -> list[tuple[str, str]]:
    """Load the demo data; return (username, description) for every demo login."""
    root = _superuser()
    institutions: dict[str, Institution] = {}
    for data in INSTITUTIONS:
        existing = Institution.objects.filter(code=data.code).first()
        institutions[data.code] = existing or ops.create_institution(actor=root, data=data)

    logins = [(root.username, "Instalācijas administrators (visas iestādes)")]
    password = ""
    for username, first, last, code, role, mark, title in PEOPLE:
        institution = institutions[code]
        user = User.objects.filter(username=username).first()
        if user is None:
            user = ops.create_user(
                actor=root,
                institution=institution,
                username=username,
                data=ops.UserData(
                    first_name=first,
                    last_name=last,
                    email=f"{username}@{code}.example.lv",
                    language="lv",
                ),
                kind=MembershipKind.PARTNER if role == Role.PARTNER else MembershipKind.STAFF,
                title=title,
                password=None,
            )
            # One hash for every demo login: the password hasher is slow on purpose.
            password = password or make_password(DEMO_PASSWORD)
            user.password = password
            user.save(update_fields=["password"])
        if not RoleAssignment.objects.filter(
            user=user, institution=institution, role=role
        ).exists():
            ops.assign_role(
                actor=root,
                user=user,
                institution=institution,
                role=role,
                responsibility=Responsibility(mark),
            )
        label = Role(role).label
        logins.append((username, f"{label} — {institution.short_name}"))
        if progress is not None:
            progress.write(".", ending="")
    load_demo_catalog(root)
    load_demo_articles(root)
    from zina.tickets.demo import load_ticket_demo

    logins += load_ticket_demo(root)
    return logins


def load_demo_catalog(root: User) -> None:
    """The demo catalog, imported through the catalog importer from its JSON file (which is
    also the documented example of the format). A partner is assigned to one external service
    and the resources behind it, so that the partner role sees exactly those."""
    from zina.catalog import operations as catalog_ops
    from zina.catalog import transfer
    from zina.catalog.models import Resource, Service

    path = Path(__file__).resolve().parent.parent / "catalog" / "fixtures" / "demo-catalog.json"
    bundle = transfer.read_file(path.name, path.read_bytes())
    report = catalog_ops.import_catalog(actor=root, bundle=bundle)
    if report.errors:
        raise RuntimeError("demo catalog: " + "; ".join(str(e) for e in report.errors[:5]))
    partner = User.objects.get(username="partneris")
    vra = Institution.objects.get(code="vra")
    partner_scopes: list[tuple[Any, str]] = [
        (Resource, "VRA-EXT-001"),
        (Resource, "VRA-WS-001"),
        (Service, "VRA-PAK-002"),
    ]
    for model, identifier in partner_scopes:
        obj: Any = model.objects.filter(institution=vra, identifier=identifier).first()
        if (
            obj is not None
            and not RoleAssignment.objects.filter(
                user=partner, role=Role.PARTNER, scope_id=obj.pk
            ).exists()
        ):
            ops.assign_role(actor=root, user=partner, institution=vra, role=Role.PARTNER, scope=obj)


def load_demo_articles(root: User) -> None:
    """The demo knowledge base from its JSON Lines file, written and published through the
    knowledge operations by the demo users, with feedback and improvement tasks. Skipped when
    articles already exist (the demo is loaded once)."""
    import json

    from django.contrib.auth.models import AnonymousUser

    from zina.catalog.models import Service
    from zina.knowledge import operations as kops
    from zina.knowledge.models import Article

    if Article.objects.exists():
        return
    path = Path(__file__).resolve().parent.parent / "knowledge" / "fixtures" / "demo-articles.jsonl"
    reporter = User.objects.get(username="atbalsts")
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        institution = Institution.objects.get(code=item["institution"])
        author = User.objects.get(username=item["owner"]) if item["owner"] else root
        services = list(Service.objects.filter(institution=institution, identifier=item["service"]))
        draft = kops.create_article(
            actor=author,
            institution=institution,
            settings=kops.ArticleSettings(
                type=item["type"], audience=item["audience"], services=services
            ),
            text=kops.ArticleText(**{k: item[k] for k in kops.ArticleText.__dataclass_fields__}),
            language=item["language"],
        )
        article = draft.article
        if item["state"] in ("not_validated", "published", "archived"):
            kops.submit_for_review(actor=author, revision=draft)
        if item["state"] in ("published", "archived"):
            kops.publish_revision(actor=root, revision=draft)
        if item["state"] == "archived":
            kops.archive_article(actor=root, article=article)
        if item["review_overdue"]:
            # Demo history: these articles were published long ago and their review is late.
            overdue = timezone.localdate() - timedelta(days=10 + article.pk % 30)
            Article.objects.filter(pk=article.pk).update(review_by=overdue)
        for feedback in item["feedback"]:
            if item["state"] == "published":
                kops.give_feedback(
                    actor=AnonymousUser() if item["audience"] == "public" else root,
                    article=article,
                    helpful=feedback["helpful"],
                    comment=feedback["comment"],
                )
        if item["flag"] and item["state"] == "published":
            kops.flag_article(
                actor=reporter if item["institution"] == "vra" else root,
                article=article,
                reason=item["flag"],
            )
