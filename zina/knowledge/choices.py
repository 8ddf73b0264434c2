"""Fixed vocabularies of the knowledge base (labels translated; Latvian first)."""

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class ArticleType(models.TextChoices):
    SOLUTION = "solution", _("Solution")
    WORKAROUND = "workaround", _("Workaround")
    KNOWN_ERROR = "known_error", _("Known error")
    INSTRUCTION = "instruction", _("Instruction")
    FAQ = "faq", _("Frequently asked question")
    PROCESS = "process", _("Process description")
    CHANGE_NOTICE = "change_notice", _("Change or development-plan notice")
    INTERRUPTION_REPORT = "interruption_report", _("Interruption report")


class State(models.TextChoices):
    """KCS states of a revision."""

    DRAFT = "draft", _("Draft (work in progress)")
    NOT_VALIDATED = "not_validated", _("Not validated")
    VALIDATED = "validated", _("Validated (published)")
    ARCHIVED = "archived", _("Archived")


class Audience(models.TextChoices):
    """Who may read an article, from the widest to the narrowest circle."""

    PUBLIC = "public", _("Public (level 0)")
    INTERNAL = "internal", _("Internal (staff)")
    EXPERTS = "experts", _("Experts (level 2 and owners)")
    PARTNERS = "partners", _("Staff and assigned partners")


class Licence(models.TextChoices):
    """KCS licence levels: the competence to write, validate and publish knowledge."""

    CANDIDATE = "candidate", _("KCS candidate")
    CONTRIBUTOR = "contributor", _("KCS contributor")
    PUBLISHER = "publisher", _("KCS publisher")


class Language(models.TextChoices):
    LATVIAN = "lv", _("Latvian")
    ENGLISH = "en", _("English")


class FlagState(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved by a new revision")
    REJECTED = "rejected", _("Rejected")


class ReaderKind(models.TextChoices):
    """Whom a view is counted for (no personal data is kept)."""

    ANONYMOUS = "anonymous", _("Public (not logged in)")
    STAFF = "staff", _("Staff of the institution")
    OTHER = "other", _("Staff of other institutions")
    PARTNER = "partner", _("Partners")


class TicketRelation(models.TextChoices):
    """How an article relates to a ticket (KCS: capture while solving, reuse to resolve)."""

    CREATED_FROM = "created_from", _("Created from")
    USED_TO_RESOLVE = "used_to_resolve", _("Used to resolve")


class ArticleRelationKind(models.TextChoices):
    RELATED = "related", _("Related")
    SUPERSEDES = "supersedes", _("Supersedes")


# The structured template of each article type (KCS): which fields it uses, in order, and what
# they are called for that type. The Markdown body always follows.
TEMPLATES: dict[str, list[tuple[str, Any]]] = {
    ArticleType.SOLUTION: [
        ("symptoms", _("Issue or symptoms")),
        ("environment", _("Environment")),
        ("cause", _("Cause")),
        ("resolution", _("Resolution")),
    ],
    ArticleType.WORKAROUND: [
        ("symptoms", _("Issue or symptoms")),
        ("environment", _("Environment")),
        ("resolution", _("Workaround")),
    ],
    ArticleType.KNOWN_ERROR: [
        ("symptoms", _("Symptoms")),
        ("environment", _("Affected services and resources")),
        ("cause", _("Cause")),
        ("resolution", _("Workaround")),
    ],
    ArticleType.INSTRUCTION: [("environment", _("Applies to"))],
    ArticleType.FAQ: [("resolution", _("Short answer"))],
    ArticleType.PROCESS: [("environment", _("Scope"))],
    ArticleType.CHANGE_NOTICE: [
        ("symptoms", _("What changes")),
        ("environment", _("When and where")),
    ],
    ArticleType.INTERRUPTION_REPORT: [
        ("symptoms", _("What happened")),
        ("cause", _("Cause")),
        ("resolution", _("Course of removal and result")),
    ],
}
