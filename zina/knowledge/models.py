"""Knowledge articles, their revisions (per language) and KCS licences."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zina.core.models import TimeStampedModel
from zina.core.permissions import RestrictedManager

from .choices import (
    ArticleRelationKind,
    ArticleType,
    Audience,
    FlagState,
    Language,
    Licence,
    ReaderKind,
    State,
    TicketRelation,
)


class Article(TimeStampedModel):
    """One logical knowledge article of an institution, in Latvian and/or English.

    Its text lives in :class:`ArticleRevision` rows; readers see the live revision of their
    language. Who may read it is decided by ``audience`` and sharing (see permissions.py).
    """

    institution = models.ForeignKey(
        "accounts.Institution",
        on_delete=models.PROTECT,
        related_name="articles",
        verbose_name=_("institution"),
    )
    type = models.CharField(_("type"), max_length=30, choices=ArticleType.choices)
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.INTERNAL
    )
    shared_with_all = models.BooleanField(_("shared with every institution"), default=False)
    shared_with = models.ManyToManyField(
        "accounts.Institution",
        blank=True,
        related_name="shared_articles",
        verbose_name=_("shared with institutions"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_articles",
        verbose_name=_("owner"),
    )
    services = models.ManyToManyField(
        "catalog.Service", blank=True, related_name="articles", verbose_name=_("services")
    )
    resources = models.ManyToManyField(
        "catalog.Resource", blank=True, related_name="articles", verbose_name=_("resources")
    )
    review_by = models.DateField(_("review by"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived"), null=True, blank=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [models.Index(fields=["institution", "audience"])]

    def __str__(self) -> str:
        live = self.live_revision()
        return live.title if live else f"#{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("knowledge:article_detail", args=[self.pk])

    def live_revision(self, language: str | None = None) -> ArticleRevision | None:
        """The published revision in ``language`` (else in any language), or None."""
        live = [r for r in self.revisions.all() if r.is_live]
        for r in live:
            if language is None or r.language == language:
                return r
        return live[0] if live else None


class ArticleRevision(models.Model):
    """One version of an article's text in one language, with its KCS state.

    A draft is edited in place; ``version`` increases on every save so that two people
    editing the same draft cannot overwrite each other (optimistic locking). Exactly one
    validated revision per language is live (``is_live``); publishing another swaps it in the
    same transaction, so readers never see a gap.
    """

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.LATVIAN
    )
    number = models.PositiveIntegerField(_("revision"))
    state = models.CharField(_("state"), max_length=15, choices=State.choices, default=State.DRAFT)
    is_live = models.BooleanField(_("live"), default=False)
    title = models.CharField(_("title"), max_length=300)
    symptoms = models.TextField(_("issue or symptoms"), blank=True)
    environment = models.TextField(_("environment"), blank=True)
    cause = models.TextField(_("cause"), blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    body = models.TextField(_("text (Markdown)"), blank=True)
    keywords = models.CharField(_("keywords"), max_length=500, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    reviewed_at = models.DateTimeField(_("approved"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    TEXT_FIELDS = ("title", "symptoms", "environment", "cause", "resolution", "body", "keywords")

    objects = RestrictedManager()

    class Meta:
        ordering = ["article", "language", "-number"]
        verbose_name = _("article revision")
        verbose_name_plural = _("article revisions")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language", "number"], name="uniq_revision_number"
            ),
            models.UniqueConstraint(
                fields=["article", "language"],
                condition=models.Q(is_live=True),
                name="one_live_revision_per_language",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.language} r{self.number})"


class KnowledgeLicence(TimeStampedModel):
    """A knowledge worker's KCS licence in an institution, granted by a knowledge manager."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="knowledge_licences"
    )
    institution = models.ForeignKey(
        "accounts.Institution", on_delete=models.PROTECT, related_name="knowledge_licences"
    )
    level = models.CharField(_("licence"), max_length=12, choices=Licence.choices)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("KCS licence")
        verbose_name_plural = _("KCS licences")
        constraints = [
            models.UniqueConstraint(fields=["user", "institution"], name="uniq_licence"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_level_display()}"


class ArticleFeedback(models.Model):
    """A reader's “Was this helpful?” answer, with an optional comment."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField(_("helpful"))
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A keyed hash of the reader's address, only to rate-limit anonymous feedback.
    address_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")

    def __str__(self) -> str:
        return f"{self.article_id}: {'+' if self.helpful else '-'}"


class ArticleViewCount(models.Model):
    """How often an article was read, per day and kind of reader (no personal data)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="view_counts")
    day = models.DateField()
    reader = models.CharField(max_length=10, choices=ReaderKind.choices)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "day", "reader"], name="uniq_view_count"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {self.day} {self.reader}: {self.count}"


class ArticleFlag(TimeStampedModel):
    """“Outdated or incorrect”: an improvement task for the article's owner, closed by
    publishing a new revision or by rejecting it with a reason."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="flags")
    reason = models.TextField(_("what is wrong"), max_length=4000)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reported by"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=FlagState.choices, default=FlagState.OPEN
    )
    resolution = models.TextField(_("answer"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    revision = models.ForeignKey(
        ArticleRevision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("improvement task")
        verbose_name_plural = _("improvement tasks")

    def __str__(self) -> str:
        return f"{self.article}: {self.reason[:60]}"


class KnowledgeProcedure(TimeStampedModel):
    """The institution's knowledge management procedure (“Zināšanu pārvaldības process”):
    review intervals per article type and the procedure's text, published to staff as an
    internal process article."""

    institution = models.OneToOneField(
        "accounts.Institution", on_delete=models.PROTECT, related_name="knowledge_procedure"
    )
    review_days = models.JSONField(_("review interval per type (days)"), default=dict)
    text = models.TextField(_("procedure (Markdown)"), blank=True)
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("knowledge management procedure")
        verbose_name_plural = _("knowledge management procedures")

    def __str__(self) -> str:
        return f"{self.institution}: {_('knowledge management procedure')}"


class ArticleTicketLink(models.Model):
    """An article linked to a ticket ("created from" or "used to resolve"). The ticket is
    referenced generically, so the tickets app plugs in without changing this table."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="ticket_links")
    ticket_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT)
    ticket_id = models.PositiveBigIntegerField()
    relation = models.CharField(_("relation"), max_length=20, choices=TicketRelation.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("article–ticket link")
        verbose_name_plural = _("article–ticket links")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "ticket_type", "ticket_id", "relation"], name="uniq_ticket_link"
            ),
        ]
        indexes = [models.Index(fields=["ticket_type", "ticket_id"])]

    def __str__(self) -> str:
        return f"{self.article_id} {self.relation} {self.ticket_type_id}:{self.ticket_id}"


class ArticleRelation(models.Model):
    """Article → article: related, or supersedes (the newer article replaces the older one)."""

    from_article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="relations")
    to_article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("relation"), max_length=12, choices=ArticleRelationKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["from_article", "to_article", "kind"], name="uniq_article_relation"
            ),
            models.CheckConstraint(
                condition=~models.Q(from_article=models.F("to_article")),
                name="article_not_related_to_itself",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_article_id} {self.kind} {self.to_article_id}"


def attachment_path(instance: ArticleAttachment, filename: str) -> str:
    # Stored under a random name: the user's file name is kept only as data.
    return f"attachments/{instance.article_id}/{uuid.uuid4().hex}"


class ArticleAttachment(models.Model):
    """A file attached to an article (type- and size-limited; served only to its readers)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name
