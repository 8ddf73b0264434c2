"""Level-0 self-service: what the portal records — deflections (a visitor left satisfied
instead of submitting), rate-limit hits, status-page subscriptions, and virtual-assistant
sessions with their turns. No personal data beyond what a visitor gives on purpose (an e-mail
address to subscribe); addresses of visitors are kept only as keyed hashes."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zina.core.permissions import RestrictedManager


def _token() -> str:
    return secrets.token_urlsafe(24)


class Deflection(models.Model):
    """A request that was not submitted because the portal's suggestions (or the assistant)
    answered it: the level-0 success metric."""

    class Source(models.TextChoices):
        SUBMIT_FORM = "submit_form", _("Submission form")
        ASSISTANT = "assistant", _("Virtual assistant")
        SEARCH = "search", _("Search")

    source = models.CharField(_("where"), max_length=12, choices=Source.choices)
    article = models.ForeignKey(
        "knowledge.Article",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("article"),
    )
    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service"),
    )
    institution = models.ForeignKey(
        "accounts.Institution",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("institution"),
    )
    kind = models.CharField(_("type of request"), max_length=12, blank=True)
    query = models.CharField(_("question"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("deflection")
        verbose_name_plural = _("deflections")

    def __str__(self) -> str:
        return f"{self.source} {self.created_at:%Y-%m-%d}"


class PortalHit(models.Model):
    """One rate-limited action from one address (keyed hash), pruned after a day."""

    action = models.CharField(max_length=20)
    address_hash = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["action", "address_hash", "at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M}"


class StatusSubscription(models.Model):
    """An e-mail address that wants to hear about one public service's interruptions and
    planned maintenance. Double opt-in: nothing is sent before ``confirmed_at``; every mail
    carries a one-click unsubscribe link (``token``)."""

    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.CASCADE,
        related_name="status_subscriptions",
        verbose_name=_("service"),
    )
    email = models.EmailField(_("e-mail"))
    language = models.CharField(_("language"), max_length=2, default="lv")
    token = models.CharField(max_length=64, unique=True, default=_token)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("status subscription")
        verbose_name_plural = _("status subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["service", "email"], name="uniq_status_subscription"),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} {self.email}"


class StatusNotice(models.Model):
    """A status update already mailed to subscribers (one per ticket event), so the worker
    never sends the same update twice."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=80)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "key"], name="uniq_status_notice"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.key}"


class AssistantSession(models.Model):
    """One conversation with the virtual assistant (virtuālais asistents)."""

    class Outcome(models.TextChoices):
        OPEN = "open", _("Open")
        HELPED = "helped", _("Helped")
        NOT_HELPED = "not_helped", _("Did not help")
        ESCALATED = "escalated", _("Became a request")

    key = models.CharField(max_length=64, unique=True, default=_token)
    language = models.CharField(_("language"), max_length=2, default="lv")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    address_hash = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.OPEN
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("request"),
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("assistant session")
        verbose_name_plural = _("assistant sessions")

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.outcome}"


class AssistantTurn(models.Model):
    """A question and the assistant's answer: the passage and article it answered from, the
    alternatives offered, and how confident it was."""

    session = models.ForeignKey(AssistantSession, on_delete=models.CASCADE, related_name="turns")
    question = models.TextField(_("question"))
    answer = models.TextField(_("answer"), blank=True)
    article = models.ForeignKey(
        "knowledge.Article",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("article"),
    )
    alternatives = models.JSONField(default=list, blank=True)
    confident = models.BooleanField(default=False)
    helpful = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("assistant turn")
        verbose_name_plural = _("assistant turns")

    def __str__(self) -> str:
        return f"{self.session_id}: {self.question[:40]}"
