"""Every write of the knowledge base: articles, revisions and their KCS lifecycle, licences.

Lifecycle of a revision: draft (work in progress) → not validated (submitted) → validated
(published). Publishing swaps the live revision of that language in one transaction; the
article stays readable throughout. Archiving takes the article off every audience but staff.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings as django_settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from zina.accounts.models import Institution, User
from zina.catalog.models import Resource, Service
from zina.core.audit import record, snapshot
from zina.core.files import checked_upload
from zina.core.permissions import can, require

from .choices import (
    ArticleRelationKind,
    ArticleType,
    Audience,
    FlagState,
    Licence,
    ReaderKind,
    State,
    TicketRelation,
)
from .models import (
    Article,
    ArticleAttachment,
    ArticleFeedback,
    ArticleFlag,
    ArticleRelation,
    ArticleRevision,
    ArticleTicketLink,
    ArticleViewCount,
    KnowledgeLicence,
    KnowledgeProcedure,
)
from .permissions import may_link

# Review intervals by type until an institution sets its own procedure (days).
DEFAULT_REVIEW_DAYS = {
    ArticleType.SOLUTION: 365,
    ArticleType.WORKAROUND: 90,
    ArticleType.KNOWN_ERROR: 90,
    ArticleType.INSTRUCTION: 365,
    ArticleType.FAQ: 180,
    ArticleType.PROCESS: 365,
    ArticleType.CHANGE_NOTICE: 90,
    ArticleType.INTERRUPTION_REPORT: 365,
}


@dataclass
class ArticleText:
    """The text of one revision (the KCS template plus a Markdown body)."""

    title: str
    symptoms: str = ""
    environment: str = ""
    cause: str = ""
    resolution: str = ""
    body: str = ""
    keywords: str = ""


@dataclass
class ArticleSettings:
    type: str = ArticleType.SOLUTION
    audience: str = Audience.INTERNAL
    shared_with_all: bool = False
    shared_with: list[Institution] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)


class EditConflict(ValidationError):
    """Someone saved the draft after it was opened; nothing was overwritten."""

    def __init__(self, message: str, theirs: ArticleRevision, diff: str) -> None:
        super().__init__(message, code="conflict")
        self.theirs = theirs
        self.diff = diff


def _revision_snapshot(revision: ArticleRevision) -> dict[str, Any]:
    return snapshot(revision, ["language", "number", "state", "is_live", "title", "version"])


def _validate_settings(settings: ArticleSettings, institution: Institution) -> None:
    if settings.type not in ArticleType.values:
        raise ValidationError({"type": _("Unknown article type.")})
    if settings.audience not in Audience.values:
        raise ValidationError({"audience": _("Unknown audience.")})
    linked: list[Any] = [*settings.services, *settings.resources]
    if any(obj.institution_id != institution.pk for obj in linked):
        raise ValidationError(
            {"services": _("Link services and resources of the article's own institution.")}
        )


def _apply_settings(article: Article, settings: ArticleSettings) -> None:
    article.type = settings.type
    article.audience = settings.audience
    article.shared_with_all = settings.shared_with_all


def _save_links(article: Article, settings: ArticleSettings) -> None:
    article.shared_with.set(settings.shared_with)
    article.services.set(settings.services)
    article.resources.set(settings.resources)


def _clean_text(revision: ArticleRevision, text: ArticleText) -> None:
    for key, value in asdict(text).items():
        setattr(revision, key, (value or "").strip())
    revision.full_clean(
        exclude=["article", "author", "based_on", "reviewed_by"],
        validate_unique=False,
        validate_constraints=False,
    )


@transaction.atomic
def create_article(
    *,
    actor: User,
    institution: Institution,
    settings: ArticleSettings,
    text: ArticleText,
    language: str = "lv",
) -> ArticleRevision:
    """Start an article: the article and its first draft revision, owned by the author."""
    require(actor, "write_knowledge", institution)
    _validate_settings(settings, institution)
    if not may_link(actor, institution, settings.services, settings.resources):
        raise ValidationError(
            {"services": _("Link the article to a service or resource you are assigned to.")}
        )
    article = Article(institution=institution, owner=actor)
    _apply_settings(article, settings)
    article.save()
    _save_links(article, settings)
    revision = ArticleRevision(article=article, language=language, number=1, author=actor)
    _clean_text(revision, text)
    revision.save()
    record(
        actor=actor,
        verb="article.created",
        obj=article,
        institution=institution,
        after={**snapshot(article), "revision": _revision_snapshot(revision)},
    )
    return revision


@transaction.atomic
def update_article_settings(*, actor: User, article: Article, settings: ArticleSettings) -> Article:
    """Change type, audience, sharing and links. Widening the audience to the public needs
    the right to publish."""
    require(actor, "edit", article)
    _validate_settings(settings, article.institution)
    widening = settings.audience == Audience.PUBLIC and article.audience != Audience.PUBLIC
    before = snapshot(article)
    _apply_settings(article, settings)
    if widening:  # checked with the new audience: publishing to the public needs a publisher
        require(actor, "publish", article)
    article.save()
    _save_links(article, settings)
    record(
        actor=actor,
        verb="article.settings_changed",
        obj=article,
        institution=article.institution,
        before=before,
        after=snapshot(article),
    )
    return article


def _next_number(article: Article, language: str) -> int:
    last = article.revisions.filter(language=language).aggregate(n=Max("number"))["n"]
    return (last or 0) + 1


@transaction.atomic
def start_revision(
    *, actor: User, article: Article, language: str = "lv", based_on: ArticleRevision | None = None
) -> ArticleRevision:
    """A new draft, copied from ``based_on`` (by default the live revision of the language),
    while the live revision stays published. One open draft per author and language."""
    require(actor, "edit", article)
    open_draft = article.revisions.filter(
        language=language, author=actor, state__in=[State.DRAFT, State.NOT_VALIDATED]
    ).first()
    if open_draft is not None:
        return open_draft
    source = based_on or article.revisions.filter(language=language, is_live=True).first()
    revision = ArticleRevision(
        article=article,
        language=language,
        number=_next_number(article, language),
        author=actor,
        based_on=source,
    )
    if source is not None:
        for name in ArticleRevision.TEXT_FIELDS:
            setattr(revision, name, getattr(source, name))
    revision.save()
    record(
        actor=actor,
        verb="article.revision_started",
        obj=article,
        institution=article.institution,
        after=_revision_snapshot(revision),
    )
    return revision


def text_diff(old: ArticleRevision | None, new: ArticleRevision) -> str:
    """A readable unified diff of every text field between two revisions."""
    lines: list[str] = []
    for name in ArticleRevision.TEXT_FIELDS:
        a = (getattr(old, name) if old else "").splitlines()
        b = getattr(new, name).splitlines()
        if a != b:
            label = str(getattr(ArticleRevision._meta.get_field(name), "verbose_name", name))
            lines += [f"## {label}"]
            lines += list(difflib.unified_diff(a, b, lineterm="", n=2))[2:]
    return "\n".join(lines)


@transaction.atomic
def save_draft(
    *, actor: User, revision: ArticleRevision, text: ArticleText, expected_version: int
) -> ArticleRevision:
    """Save the text of a draft. If someone saved it after ``expected_version`` was read, the
    save is refused with a diff of their changes, and nothing either of them wrote is lost
    (the caller still holds this text; theirs is in the database)."""
    require(actor, "edit", revision.article)
    current = ArticleRevision.objects.select_for_update().get(pk=revision.pk)
    if current.state not in (State.DRAFT, State.NOT_VALIDATED):
        raise ValidationError(_("Only drafts can be edited; start a new revision."))
    if current.version != expected_version:
        mine = ArticleRevision(**{n: getattr(text, n) for n in ArticleRevision.TEXT_FIELDS})
        raise EditConflict(
            _(
                "Someone else saved this draft while you were editing it. Compare the changes, "
                "then save again."
            ),
            theirs=current,
            diff=text_diff(mine, current),
        )
    before = _revision_snapshot(current)
    _clean_text(current, text)
    current.version += 1
    current.state = State.DRAFT
    current.save()
    record(
        actor=actor,
        verb="article.draft_saved",
        obj=current.article,
        institution=current.article.institution,
        before=before,
        after=_revision_snapshot(current),
    )
    return current


@transaction.atomic
def submit_for_review(*, actor: User, revision: ArticleRevision) -> ArticleRevision:
    """Mark a draft as ready: it waits (not validated) for someone who may publish it."""
    require(actor, "edit", revision.article)
    if revision.state != State.DRAFT:
        raise ValidationError(_("Only a draft can be submitted."))
    revision.state = State.NOT_VALIDATED
    revision.save(update_fields=["state", "updated_at"])
    record(
        actor=actor,
        verb="article.submitted",
        obj=revision.article,
        institution=revision.article.institution,
        after=_revision_snapshot(revision),
    )
    return revision


@transaction.atomic
def publish_revision(*, actor: User, revision: ArticleRevision) -> ArticleRevision:
    """Validate a revision and make it the live text of its language, replacing the previous
    live revision atomically. Candidates cannot validate their own work."""
    article = Article.objects.select_for_update().get(pk=revision.article_id)
    require(actor, "publish", article)
    revision = ArticleRevision.objects.select_for_update().get(pk=revision.pk)
    if revision.state not in (State.DRAFT, State.NOT_VALIDATED):
        raise ValidationError(_("This revision is already published or archived."))
    if revision.author_id == actor.pk and _is_candidate(actor, article):
        raise PermissionDenied
    previous = article.revisions.filter(language=revision.language, is_live=True).first()
    if previous is not None:
        previous.is_live = False
        previous.save(update_fields=["is_live", "updated_at"])
    revision.state = State.VALIDATED
    revision.is_live = True
    revision.reviewed_by = actor
    revision.reviewed_at = timezone.now()
    revision.save()
    article.archived_at = None
    article.review_by = timezone.localdate() + timedelta(days=review_days(article))
    article.save(update_fields=["archived_at", "review_by", "updated_at"])
    _resolve_flags(actor, revision)
    record(
        actor=actor,
        verb="article.published",
        obj=article,
        institution=article.institution,
        before=_revision_snapshot(previous) if previous else None,
        after=_revision_snapshot(revision),
    )
    return revision


def _is_candidate(user: User, article: Article) -> bool:
    from .permissions import licence_level

    return licence_level(user, article.institution_id) == Licence.CANDIDATE


@transaction.atomic
def revert_to(*, actor: User, revision: ArticleRevision) -> ArticleRevision:
    """Revert: a new draft with the text of an earlier revision (history is never rewritten)."""
    require(actor, "edit", revision.article)
    if revision.article.revisions.filter(
        language=revision.language, author=actor, state__in=[State.DRAFT, State.NOT_VALIDATED]
    ).exists():
        # Never overwrite work in progress, and never pretend the open draft is the revert.
        raise ValidationError(
            _("You have an unfinished draft of this article. Publish or discard it first.")
        )
    return start_revision(
        actor=actor, article=revision.article, language=revision.language, based_on=revision
    )


@transaction.atomic
def archive_article(*, actor: User, article: Article) -> Article:
    """Take an article out of use: no longer public; staff still find it, marked archived."""
    require(actor, "archive", article)
    before = snapshot(article)
    article.archived_at = timezone.now()
    article.save(update_fields=["archived_at", "updated_at"])
    article.revisions.filter(state__in=[State.DRAFT, State.NOT_VALIDATED]).update(
        state=State.ARCHIVED
    )
    record(
        actor=actor,
        verb="article.archived",
        obj=article,
        institution=article.institution,
        before=before,
        after=snapshot(article),
    )
    return article


@transaction.atomic
def grant_licence(
    *, actor: User, user: User, institution: Institution, level: str
) -> KnowledgeLicence:
    """Grant (or change) a KCS licence; knowledge managers decide."""
    require(actor, "manage_knowledge", institution)
    if level not in Licence.values:
        raise ValidationError({"level": _("Unknown licence level.")})
    from zina.accounts.roles import staff_institutions

    if institution.pk not in staff_institutions(user):
        raise ValidationError({"user": _("Licences are granted to the institution's own staff.")})
    licence, created = KnowledgeLicence.objects.get_or_create(
        user=user, institution=institution, defaults={"level": level}
    )
    before = None if created else snapshot(licence)
    licence.level = level
    licence.save()
    record(
        actor=actor,
        verb="licence.granted",
        obj=licence,
        institution=institution,
        before=before,
        after=snapshot(licence),
    )
    return licence


@transaction.atomic
def withdraw_licence(*, actor: User, licence: KnowledgeLicence) -> None:
    """Withdraw a KCS licence."""
    require(actor, "manage_knowledge", licence.institution)
    record(
        actor=actor,
        verb="licence.withdrawn",
        obj=licence,
        institution=licence.institution,
        before=snapshot(licence),
    )
    licence.delete()


# --- Readers: views, feedback, flags -----------------------------------------------------------

FEEDBACK_PER_ADDRESS_PER_HOUR = 20


def address_hash(address: str | None) -> str:
    """A keyed hash of an IP address: enough to rate-limit, useless to identify anyone."""
    if not address:
        return ""
    key = django_settings.SECRET_KEY.encode()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


def reader_kind(user: Any, article: Article) -> str:
    if not getattr(user, "is_authenticated", False):
        return ReaderKind.ANONYMOUS
    from zina.accounts.roles import staff_institutions

    staff = staff_institutions(user)
    if article.institution_id in staff:
        return ReaderKind.STAFF
    return ReaderKind.OTHER if staff else ReaderKind.PARTNER


def record_view(*, user: Any, article: Article) -> None:
    """Count one read of the article for today and this kind of reader."""
    kind = reader_kind(user, article)
    today = timezone.localdate()
    updated = ArticleViewCount.objects.filter(article=article, day=today, reader=kind).update(
        count=F("count") + 1
    )
    if not updated:
        try:
            with transaction.atomic():
                ArticleViewCount.objects.create(article=article, day=today, reader=kind, count=1)
        except IntegrityError:  # another request created today's row first
            ArticleViewCount.objects.filter(article=article, day=today, reader=kind).update(
                count=F("count") + 1
            )


@transaction.atomic
def give_feedback(
    *, actor: Any, article: Article, helpful: bool, comment: str = "", address: str | None = None
) -> ArticleFeedback:
    """Record “Was this helpful?”. Anyone who may read the article may answer; anonymous
    readers are rate-limited per address."""
    if not Article.objects.filter(pk=article.pk).visible_to(actor).exists():
        raise PermissionDenied
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise ValidationError({"comment": _("At most 2000 characters.")})
    authenticated = getattr(actor, "is_authenticated", False)
    hashed = address_hash(address)
    if not authenticated:
        recent = ArticleFeedback.objects.filter(
            address_hash=hashed, created_at__gte=timezone.now() - timedelta(hours=1)
        )
        if hashed and recent.count() >= FEEDBACK_PER_ADDRESS_PER_HOUR:
            raise ValidationError(_("Too much feedback from your address. Try again later."))
    feedback = ArticleFeedback.objects.create(
        article=article,
        helpful=helpful,
        comment=comment,
        user=actor if authenticated else None,
        address_hash="" if authenticated else hashed,
    )
    record(
        actor=actor,
        verb="article.feedback",
        obj=article,
        institution=article.institution,
        after={"helpful": helpful, "comment": bool(comment)},
    )
    return feedback


@transaction.atomic
def flag_article(*, actor: User, article: Article, reason: str) -> ArticleFlag:
    """Report an article as outdated or incorrect: an improvement task for its owner."""
    require(actor, "view", article)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say what is outdated or incorrect.")})
    flag = ArticleFlag(article=article, reason=reason, reporter=actor)
    flag.full_clean(exclude=["article", "reporter", "closed_by", "revision"])
    flag.save()
    record(
        actor=actor,
        verb="article.flagged",
        obj=article,
        institution=article.institution,
        after={"flag": flag.pk, "reason": reason[:300]},
    )
    return flag


@transaction.atomic
def reject_flag(*, actor: User, flag: ArticleFlag, reason: str) -> ArticleFlag:
    """Close an improvement task without a change, saying why."""
    require(actor, "edit", flag.article)
    if flag.state != FlagState.OPEN:
        raise ValidationError(_("This task is already closed."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"resolution": _("Give the reason for rejecting.")})
    flag.state = FlagState.REJECTED
    flag.resolution = reason
    flag.closed_by = actor
    flag.closed_at = timezone.now()
    flag.save()
    record(
        actor=actor,
        verb="article.flag_rejected",
        obj=flag.article,
        institution=flag.article.institution,
        after={"flag": flag.pk, "resolution": reason[:300]},
    )
    return flag


def _resolve_flags(actor: User, revision: ArticleRevision) -> None:
    """Publishing a revision closes the article's open improvement tasks."""
    revision.article.flags.filter(state=FlagState.OPEN).update(
        state=FlagState.RESOLVED, closed_by=actor, closed_at=timezone.now(), revision=revision
    )


# --- Review schedule and the institution's procedure -----------------------------------------


def review_days(article: Article) -> int:
    procedure = KnowledgeProcedure.objects.filter(institution_id=article.institution_id).first()
    configured = (procedure.review_days if procedure else {}) or {}
    days = configured.get(article.type) or DEFAULT_REVIEW_DAYS.get(ArticleType(article.type), 365)
    return int(days)


def due_for_review(within_days: int = 14, today: date | None = None) -> Any:
    """Articles in use whose review date has passed or comes within ``within_days``."""
    limit = (today or timezone.localdate()) + timedelta(days=within_days)
    return Article.objects.filter(archived_at__isnull=True, review_by__lte=limit).select_related(
        "owner", "institution"
    )


@transaction.atomic
def confirm_review(*, actor: User, article: Article) -> Article:
    """The owner checked the article and it is still correct: set the next review date."""
    require(actor, "edit", article)
    before = snapshot(article, ["review_by"])
    article.review_by = timezone.localdate() + timedelta(days=review_days(article))
    article.save(update_fields=["review_by", "updated_at"])
    record(
        actor=actor,
        verb="article.review_confirmed",
        obj=article,
        institution=article.institution,
        before=before,
        after=snapshot(article, ["review_by"]),
    )
    return article


@transaction.atomic
def set_procedure(
    *, actor: User, institution: Institution, review_days_by_type: dict[str, int], text: str
) -> KnowledgeProcedure:
    """Set the institution's knowledge management procedure and publish its text to staff as
    an internal process article."""
    require(actor, "manage_knowledge", institution)
    unknown = set(review_days_by_type) - set(ArticleType.values)
    if unknown:
        raise ValidationError({"review_days": _("Unknown article type.")})
    if any(not isinstance(d, int) or not 1 <= d <= 3650 for d in review_days_by_type.values()):
        raise ValidationError({"review_days": _("Review intervals are 1 to 3650 days.")})
    procedure, _created = KnowledgeProcedure.objects.get_or_create(institution=institution)
    before = snapshot(procedure, ["review_days", "text"])
    procedure.review_days = review_days_by_type
    procedure.text = text.strip()
    title = _("Knowledge management procedure")
    body = ArticleText(title=str(title), body=procedure.text)
    if procedure.article is None:
        draft = create_article(
            actor=actor,
            institution=institution,
            settings=ArticleSettings(type=ArticleType.PROCESS, audience=Audience.INTERNAL),
            text=body,
        )
        procedure.article = draft.article
    else:
        draft = start_revision(actor=actor, article=procedure.article)
        draft = save_draft(actor=actor, revision=draft, text=body, expected_version=draft.version)
    publish_revision(actor=actor, revision=draft)
    procedure.save()
    record(
        actor=actor,
        verb="knowledge.procedure_set",
        obj=procedure,
        institution=institution,
        before=before,
        after=snapshot(procedure, ["review_days", "text"]),
    )
    return procedure


# --- Links ---------------------------------------------------------------------------------------


@transaction.atomic
def link_ticket(*, actor: User, article: Article, ticket: Any, relation: str) -> ArticleTicketLink:
    """Link an article to a ticket: the ticket's work used it, or it was written from it."""
    require(actor, "view", article)
    require(actor, "view", ticket)
    if relation not in TicketRelation.values:
        raise ValidationError({"relation": _("Unknown relation.")})
    link, created = ArticleTicketLink.objects.get_or_create(
        article=article,
        ticket_type=ContentType.objects.get_for_model(ticket),
        ticket_id=ticket.pk,
        relation=relation,
        defaults={"created_by": actor},
    )
    if created:
        record(
            actor=actor,
            verb="article.ticket_linked",
            obj=article,
            institution=article.institution,
            after={"ticket": f"{link.ticket_type.model}:{ticket.pk}", "relation": relation},
        )
    return link


@transaction.atomic
def relate_articles(*, actor: User, article: Article, other: Article, kind: str) -> ArticleRelation:
    """Record that ``article`` is related to, or supersedes, ``other``."""
    require(actor, "edit", article)
    require(actor, "view", other)
    if kind not in ArticleRelationKind.values:
        raise ValidationError({"kind": _("Unknown relation.")})
    if article.pk == other.pk:
        raise ValidationError({"other": _("An article cannot be related to itself.")})
    relation, created = ArticleRelation.objects.get_or_create(
        from_article=article, to_article=other, kind=kind
    )
    if created:
        record(
            actor=actor,
            verb="article.related",
            obj=article,
            institution=article.institution,
            after={"other": other.pk, "kind": kind},
        )
    return relation


@transaction.atomic
def unrelate_articles(*, actor: User, relation: ArticleRelation) -> None:
    """Remove an article → article relation."""
    require(actor, "edit", relation.from_article)
    record(
        actor=actor,
        verb="article.unrelated",
        obj=relation.from_article,
        institution=relation.from_article.institution,
        before={"other": relation.to_article_id, "kind": relation.kind},
    )
    relation.delete()


# --- Attachments -------------------------------------------------------------------------------


@transaction.atomic
def add_attachment(*, actor: User, article: Article, upload: Any) -> ArticleAttachment:
    """Attach a file: allowed types only (checked by content, not just the name), size-limited."""
    require(actor, "edit", article)
    name, content_type = checked_upload(upload)
    attachment = ArticleAttachment(
        article=article, name=name, content_type=content_type, size=upload.size, uploaded_by=actor
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    record(
        actor=actor,
        verb="article.attachment_added",
        obj=article,
        institution=article.institution,
        after={"attachment": attachment.pk, "name": name, "size": upload.size},
    )
    return attachment


@transaction.atomic
def remove_attachment(*, actor: User, attachment: ArticleAttachment) -> None:
    """Remove an attachment (the file is deleted once the transaction commits)."""
    require(actor, "edit", attachment.article)
    record(
        actor=actor,
        verb="article.attachment_removed",
        obj=attachment.article,
        institution=attachment.article.institution,
        before={"attachment": attachment.pk, "name": attachment.name},
    )
    stored = attachment.file
    attachment.delete()
    transaction.on_commit(lambda: stored.delete(save=False))


@transaction.atomic
def set_article_owner(*, actor: User, article: Article, owner: User) -> Article:
    """Hand an article to a new owner (who must be staff of its institution). The owner, a
    knowledge manager, or whoever may publish it decides."""
    if not (article.owner_id == actor.pk or can(actor, "publish", article)):
        raise PermissionDenied
    from zina.accounts.roles import staff_institutions

    if article.institution_id not in staff_institutions(owner) or not owner.is_active:
        raise ValidationError({"owner": _("The owner must be active staff of the institution.")})
    before = snapshot(article, ["owner"])
    article.owner = owner
    article.save(update_fields=["owner", "updated_at"])
    record(
        actor=actor,
        verb="article.owner_set",
        obj=article,
        institution=article.institution,
        before=before,
        after=snapshot(article, ["owner"]),
    )
    return article


@transaction.atomic
def discard_draft(*, actor: User, revision: ArticleRevision) -> None:
    """Throw away an unpublished draft (its author, or whoever may publish the article). An
    article whose only revision was this draft goes with it."""
    article = revision.article
    if revision.state not in (State.DRAFT, State.NOT_VALIDATED):
        raise ValidationError(_("Only unpublished drafts can be discarded."))
    if revision.author_id != actor.pk and not can(actor, "publish", article):
        raise PermissionDenied
    record(
        actor=actor,
        verb="article.draft_discarded",
        obj=article,
        institution=article.institution,
        before=_revision_snapshot(revision),
    )
    revision.delete()
    if not article.revisions.exists():
        article.delete()
