"""Fixed vocabularies of the request management system (labels translated; Latvian first)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """What a ticket (pieteikums) is about."""

    INCIDENT = "incident", _("Incident")
    PROBLEM = "problem", _("Problem")
    CHANGE = "change", _("Change request")
    REQUEST = "request", _("Service request")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")


# Short prefixes of ticket references ("INC-1042"); mail subjects carry them too.
PREFIXES = {
    Kind.INCIDENT: "INC",
    Kind.PROBLEM: "PRB",
    Kind.CHANGE: "CHG",
    Kind.REQUEST: "REQ",
    Kind.COMPLAINT: "CMP",
    Kind.SUGGESTION: "SUG",
}


class State(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    KNOWN_ERROR = "known_error", _("Known error")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# States in which work is still expected (queues, SLA clocks, the status page).
OPEN_STATES = frozenset(
    {
        State.NEW,
        State.ASSIGNED,
        State.IN_PROGRESS,
        State.WAITING,
        State.AWAITING_APPROVAL,
        State.APPROVED,
        State.KNOWN_ERROR,
    }
)
FINISHED_STATES = frozenset({State.RESOLVED, State.CLOSED, State.CANCELLED, State.REJECTED})


class Channel(models.TextChoices):
    """How the request reached the institution (N6-2 support channels)."""

    PORTAL = "portal", _("Portal")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    VISITOR_DESK = "visitor_desk", _("Visitor service desk")
    VIDEO = "video", _("Video call")
    SOCIAL = "social", _("Social networks")
    ASSISTANT = "assistant", _("Virtual assistant")
    MONITORING = "monitoring", _("Monitoring")
    STAFF = "staff", _("Recorded by staff")


class Level(models.IntegerChoices):
    """Support levels (N6-2): 0 self-service, 1 support specialist, 2 support expert."""

    SELF_SERVICE = 0, _("Level 0 — self-service")
    FIRST = 1, _("Level 1 — support specialist")
    SECOND = 2, _("Level 2 — support expert")


class Impact(models.IntegerChoices):
    HIGH = 1, _("High — many recipients or a whole service")
    MEDIUM = 2, _("Medium — a group of recipients")
    LOW = 3, _("Low — one recipient")


class Urgency(models.IntegerChoices):
    HIGH = 1, _("High — work has stopped")
    MEDIUM = 2, _("Medium — work is hindered")
    LOW = 3, _("Low — it can wait")


# Impact × urgency → priority (the usual ITIL matrix).
PRIORITY_MATRIX = {
    (1, 1): "P1",
    (1, 2): "P2",
    (2, 1): "P2",
    (1, 3): "P3",
    (2, 2): "P3",
    (3, 1): "P3",
    (2, 3): "P4",
    (3, 2): "P4",
    (3, 3): "P4",
}


class ChangeType(models.TextChoices):
    STANDARD = "standard", _("Standard (pre-approved)")
    NORMAL = "normal", _("Normal")
    EMERGENCY = "emergency", _("Emergency")


class WaitingOn(models.TextChoices):
    RECIPIENT = "recipient", _("The recipient")
    THIRD_PARTY = "third_party", _("A third party")


class EntryKind(models.TextChoices):
    """Lines of a ticket's work log and timeline."""

    REPLY = "reply", _("Public reply")
    NOTE = "note", _("Internal note")
    INCOMING = "incoming", _("Message from the reporter")
    EVENT = "event", _("Event")


class LinkKind(models.TextChoices):
    """Ticket → ticket. Read "incident CAUSED_BY problem", "problem FIXED_BY change"."""

    CAUSED_BY = "caused_by", _("Caused by")
    FIXED_BY = "fixed_by", _("Fixed by")
    RELATED = "related", _("Related")
    ACTION = "action", _("Resulting action")


class SlaMetric(models.TextChoices):
    RESPONSE = "response", _("Response")
    RESOLUTION = "resolution", _("Resolution")
