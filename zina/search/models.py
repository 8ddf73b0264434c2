"""The index outbox and the search log."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class IndexOutbox(models.Model):
    """A document (``kind:pk``) changed: written in the transaction of the change, applied to
    every node's index after commit. Nodes keep their own cursor into this table."""

    id = models.BigAutoField(primary_key=True)
    ref = models.CharField(max_length=80)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("index change")

    def __str__(self) -> str:
        return f"{self.pk} {self.ref}"


class SearchLog(models.Model):
    """One search as typed (no user, no address): the text, where, and how many results."""

    id = models.BigAutoField(primary_key=True)
    text = models.CharField(_("query"), max_length=200)
    normalized = models.CharField(max_length=200, db_index=True)
    surface = models.CharField(_("where"), max_length=20)
    results = models.PositiveIntegerField(_("results"))
    staff = models.BooleanField(_("by staff"), default=False)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("search")
        indexes = [models.Index(fields=["results", "created_at"])]

    def __str__(self) -> str:
        return self.text


class SearchClick(models.Model):
    """A result opened from a search: which one, at which rank."""

    id = models.BigAutoField(primary_key=True)
    search = models.ForeignKey(SearchLog, on_delete=models.CASCADE, related_name="clicks")
    kind = models.CharField(max_length=20)
    object_id = models.PositiveBigIntegerField()
    rank = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("search click")

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"
