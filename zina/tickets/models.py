"""Tickets (pieteikumi): incidents, problems, changes, service requests, complaints and
suggestions — one table with a kind, so queues, SLA clocks, links, search and reports treat
them alike; fields that belong to one kind stay empty on the others."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zina.catalog.choices import Priority
from zina.core.models import TimeStampedModel
from zina.core.permissions import RestrictedManager

from .choices import (
    PREFIXES,
    ChangeType,
    Channel,
    EntryKind,
    Impact,
    Kind,
    Level,
    LinkKind,
    SlaMetric,
    State,
    Urgency,
    WaitingOn,
)


class Team(TimeStampedModel):
    """A group of an institution's staff that works one queue (level 1 or level 2)."""

    institution = models.ForeignKey(
        "accounts.Institution",
        on_delete=models.PROTECT,
        related_name="teams",
        verbose_name=_("institution"),
    )
    name = models.CharField(_("name"), max_length=200)
    level = models.PositiveSmallIntegerField(_("support level"), choices=Level.choices, default=1)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="teams", verbose_name=_("members")
    )
    email = models.EmailField(_("e-mail"), blank=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["institution_id", "level", "name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.UniqueConstraint(fields=["institution", "name"], name="uniq_team_name"),
        ]

    def __str__(self) -> str:
        return self.name


def reference_of(kind: str, pk: object) -> str:
    """A ticket's reference as people quote it: the kind's prefix and the number (I-123)."""
    return f"{PREFIXES.get(Kind(kind), 'T') if kind in Kind.values else 'T'}-{pk}"


class Ticket(TimeStampedModel):
    """One request to an institution: an interruption (incident), its cause (problem), a
    change, a service request, a complaint or a suggestion. Its state changes only through
    the operations layer, which enforces each kind's workflow and audits it."""

    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices, db_index=True)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.NEW, db_index=True
    )
    institution = models.ForeignKey(
        "accounts.Institution",
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("institution"),
    )
    # A shared desk (e.g. a unified customer service centre) that took the request and handed
    # it over keeps seeing it.
    received_by = models.ForeignKey(
        "accounts.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="received_tickets",
        verbose_name=_("received by"),
    )
    subject = models.CharField(_("subject"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    channel = models.CharField(
        _("channel"), max_length=20, choices=Channel.choices, default=Channel.STAFF
    )
    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("service"),
    )
    resource = models.ForeignKey(
        "catalog.Resource",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("resource"),
    )
    impact = models.PositiveSmallIntegerField(
        _("impact"), choices=Impact.choices, default=Impact.LOW
    )
    urgency = models.PositiveSmallIntegerField(
        _("urgency"), choices=Urgency.choices, default=Urgency.MEDIUM
    )
    priority = models.CharField(
        _("priority"), max_length=2, choices=Priority.choices, default=Priority.P4, db_index=True
    )
    level = models.PositiveSmallIntegerField(
        _("support level"), choices=Level.choices, default=Level.FIRST
    )
    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("team"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    # The reporter: a user with an account, or only a name and an address (citizens).
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reported_tickets",
        verbose_name=_("reporter"),
    )
    reporter_name = models.CharField(_("reporter's name"), max_length=200, blank=True)
    reporter_email = models.EmailField(_("reporter's e-mail"), blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=2, default="lv")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    # Availability interruption (pieejamības pārtraukums): the status page and availability
    # reports read these.
    interruption = models.BooleanField(_("availability interruption"), default=False)
    interruption_start = models.DateTimeField(_("interruption from"), null=True, blank=True)
    interruption_end = models.DateTimeField(_("interruption until"), null=True, blank=True)

    # Waiting: on whom, since when (the SLA clock pauses while waiting on the recipient).
    waiting_on = models.CharField(
        _("waiting on"), max_length=12, choices=WaitingOn.choices, blank=True
    )
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)

    # SLA clock. Due times already include the working minutes spent paused.
    sla_start = models.DateTimeField(_("SLA clock started"), null=True, blank=True)
    response_due = models.DateTimeField(_("response due"), null=True, blank=True, db_index=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True, db_index=True)
    paused_minutes = models.PositiveIntegerField(_("paused working minutes"), default=0)
    responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    resolution = models.TextField(_("resolution"), blank=True)

    # Problems.
    root_cause = models.TextField(_("root cause"), blank=True)
    workaround = models.TextField(_("workaround"), blank=True)
    known_error_article = models.ForeignKey(
        "knowledge.Article",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("known-error article"),
    )

    # Changes.
    change_type = models.CharField(
        _("change type"), max_length=10, choices=ChangeType.choices, blank=True
    )
    planned_start = models.DateTimeField(_("planned from"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned until"), null=True, blank=True)
    expected_downtime_minutes = models.PositiveIntegerField(
        _("expected downtime (minutes)"), null=True, blank=True
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    implementation_result = models.TextField(_("implementation result"), blank=True)

    # Complaints and suggestions.
    evaluation = models.TextField(_("evaluation"), blank=True)
    answer = models.TextField(_("answer to the author"), blank=True)

    # Many reports of one interruption: the master incident; merged duplicates.
    master = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="linked_reports",
        verbose_name=_("master incident"),
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged",
        verbose_name=_("merged into"),
    )

    time_spent_minutes = models.PositiveIntegerField(_("time spent (minutes)"), default=0)
    # Optimistic locking: forms carry the version they were rendered with.
    version = models.PositiveIntegerField(default=1)

    objects = RestrictedManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["institution", "state", "kind"]),
            models.Index(fields=["assignee", "state"]),
            models.Index(fields=["team", "state"]),
            models.Index(fields=["service", "state"]),
            models.Index(fields=["interruption", "state"]),
            # Reports (zina/reports, measured by bench/reports.py): every figure counts the
            # tickets whose created/responded/resolved/closed time falls in the period, so
            # each of those times is indexed. SQLite plans without statistics (Django never
            # runs ANALYZE) and then takes any equality — on kind, or on the institution of the
            # viewer's scope — for more selective than a date range, and reads a third of the
            # table; an index that leads with that equality and ends with the date lets it
            # read only the period. Names are stable: bench/reports.py drops every "rpt_"
            # index for its baseline and builds it again.
            models.Index(fields=["created_at"], name="rpt_tkt_created"),
            models.Index(fields=["kind", "created_at"], name="rpt_tkt_kind_created"),
            models.Index(fields=["institution", "created_at"], name="rpt_tkt_inst_created"),
            models.Index(fields=["received_by", "created_at"], name="rpt_tkt_recv_created"),
            models.Index(fields=["resolved_at"], name="rpt_tkt_resolved"),
            models.Index(fields=["kind", "resolved_at"], name="rpt_tkt_kind_resolved"),
            models.Index(fields=["institution", "resolved_at"], name="rpt_tkt_inst_resolved"),
            models.Index(fields=["received_by", "resolved_at"], name="rpt_tkt_recv_resolved"),
            # SLA response figures (the clocked kinds) and the link rate's incidents that were
            # closed without being marked resolved.
            models.Index(fields=["kind", "responded_at"], name="rpt_tkt_kind_responded"),
            models.Index(fields=["kind", "closed_at"], name="rpt_tkt_kind_closed"),
            # Open tickets of the clocked kinds (past-due counts): state and kind together,
            # or SQLite reads every ticket of those kinds.
            models.Index(fields=["state", "kind"], name="rpt_tkt_state_kind"),
            # Availability and the status page: interruption incidents by start, and changes
            # with a maintenance window by its end — each branch of the candidates' OR gets
            # its own index, or SQLite reads every incident and change.
            models.Index(
                fields=["kind", "interruption", "interruption_start"], name="rpt_tkt_interruptions"
            ),
            models.Index(fields=["kind", "planned_end"], name="rpt_tkt_kind_planned_end"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return reference_of(self.kind, self.pk)

    def get_absolute_url(self) -> str:
        return reverse("tickets:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        from .choices import OPEN_STATES

        return self.state in OPEN_STATES

    @property
    def reporter_label(self) -> str:
        if self.reporter is not None:
            return self.reporter.get_full_name() or self.reporter.get_username()
        return self.reporter_name or self.reporter_email or self.reporter_phone


class TicketEntry(models.Model):
    """One line of a ticket's work log: a public reply (sent to the reporter), an internal
    note, a message from the reporter, or an event (state change, escalation, hand-over)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    author_label = models.CharField(_("author"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    verb = models.CharField(max_length=40, blank=True)  # events: what happened
    data = models.JSONField(default=dict, blank=True)
    minutes = models.PositiveIntegerField(_("time spent (minutes)"), default=0)
    message_id = models.CharField(max_length=300, blank=True, db_index=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("work log entry")
        verbose_name_plural = _("work log entries")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_public(self) -> bool:
        return self.kind in (EntryKind.REPLY, EntryKind.INCOMING)


def _attachment_path(instance: TicketAttachment, filename: str) -> str:
    return f"tickets/{instance.ticket_id}/{instance.checksum[:16]}-{filename[-100:]}"


class TicketAttachment(models.Model):
    """A file attached to a ticket or to one of its work-log entries."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    entry = models.ForeignKey(
        TicketEntry, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    file = models.FileField(upload_to=_attachment_path, max_length=300)
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(max_length=120, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    checksum = models.CharField(max_length=64)
    internal = models.BooleanField(_("internal"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class TicketLink(models.Model):
    """Ticket → ticket: an incident caused by a problem, a problem fixed by a change, a
    complaint's resulting action, or simply related."""

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(_("relation"), max_length=12, choices=LinkKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RestrictedManager()

    class Meta:
        verbose_name = _("ticket link")
        verbose_name_plural = _("ticket links")
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="uniq_ticket_link2"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="ticket_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"


class SlaEvent(models.Model):
    """A warning before an SLA breach, or the breach itself, recorded once per ticket and
    metric (the reports count breaches from here)."""

    WARNING, BREACH = "warning", "breach"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_events")
    metric = models.CharField(_("metric"), max_length=10, choices=SlaMetric.choices)
    event = models.CharField(
        _("event"), max_length=10, choices=[(WARNING, _("Warning")), (BREACH, _("Breach"))]
    )
    due_at = models.DateTimeField(_("due"))
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("SLA event")
        verbose_name_plural = _("SLA events")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "metric", "event"], name="uniq_sla_event"),
        ]
        indexes = [
            # Reports: the breaches recorded in a period, newest first (sla.breaches).
            models.Index(fields=["event", "at"], name="rpt_slaevent_event_at"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.metric} {self.event}"


class MailMessage(models.Model):
    """One message read from an institution's intake mailbox, recorded once in the same
    transaction as the ticket or entry it became, so a poller that stops half-way neither loses
    nor repeats a message. Quarantined messages keep their raw bytes for staff to inspect."""

    class Status(models.TextChoices):
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")
        DUPLICATE = "duplicate", _("Duplicate")
        QUARANTINED = "quarantined", _("Quarantined")

    mailbox = models.CharField(_("mailbox"), max_length=200)
    institution = models.ForeignKey(
        "accounts.Institution",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("institution"),
    )
    uidvalidity = models.PositiveBigIntegerField()
    uid = models.PositiveBigIntegerField()
    message_id = models.CharField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(default=0)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    detail = models.TextField(_("details"), blank=True)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="mail_messages"
    )
    entry = models.ForeignKey(
        TicketEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    raw = models.BinaryField(null=True, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)

    objects = RestrictedManager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("incoming message")
        verbose_name_plural = _("incoming messages")
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "uidvalidity", "uid"], name="uniq_mail_message_uid"
            ),
        ]
        indexes = [
            models.Index(fields=["institution", "message_id"]),
            models.Index(fields=["status", "received_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.mailbox} {self.uidvalidity}/{self.uid} {self.status}"
