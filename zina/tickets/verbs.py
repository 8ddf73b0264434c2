"""Labels of the request management system's audit verbs and work-log events."""

from django.utils.translation import gettext_lazy as _

from zina.core.audit import register_verbs

EVENT_LABELS = {
    "opened": _("Opened"),
    "changed": _("Details changed"),
    "assigned": _("Assigned"),
    "start": _("Work started"),
    "wait": _("Waiting"),
    "resume": _("Work resumed"),
    "resolve": _("Resolved"),
    "close": _("Closed"),
    "reopen": _("Reopened"),
    "cancel": _("Cancelled"),
    "submit": _("Submitted for approval"),
    "approve": _("Approved"),
    "reject": _("Rejected"),
    "known_error": _("Known error recorded"),
    "escalated": _("Escalated"),
    "handed_over": _("Handed over"),
    "linked": _("Linked"),
    "linked_from": _("Linked from another ticket"),
    "unlinked": _("Link removed"),
    "master_set": _("Master incident set"),
    "report_linked": _("Report linked"),
    "merged": _("Duplicate merged in"),
    "merged_into": _("Merged into another ticket"),
    "article_drafted": _("Article drafted from this ticket"),
    "article_used": _("Article used to resolve"),
    "self_service": _("Resolved by self-service"),
    "sla_breached": _("SLA breached"),
}

register_verbs(
    {
        "ticket.opened": _("Ticket opened"),
        "ticket.changed": _("Ticket changed"),
        "ticket.assigned": _("Ticket assigned"),
        "ticket.start": _("Work started"),
        "ticket.wait": _("Ticket waiting"),
        "ticket.resume": _("Work resumed"),
        "ticket.resolve": _("Ticket resolved"),
        "ticket.close": _("Ticket closed"),
        "ticket.reopen": _("Ticket reopened"),
        "ticket.cancel": _("Ticket cancelled"),
        "ticket.submit": _("Change submitted for approval"),
        "ticket.approve": _("Change approved"),
        "ticket.reject": _("Change rejected"),
        "ticket.known_error": _("Known error recorded"),
        "ticket.escalated": _("Ticket escalated"),
        "ticket.handed_over": _("Ticket handed over"),
        "ticket.reply": _("Public reply"),
        "ticket.note": _("Internal note"),
        "ticket.incoming": _("Message from the reporter"),
        "ticket.linked": _("Tickets linked"),
        "ticket.unlinked": _("Ticket link removed"),
        "ticket.master_set": _("Master incident set"),
        "ticket.merged": _("Ticket merged"),
        "ticket.self_service": _("Resolved by self-service"),
        "ticket.file_attached": _("File attached"),
        "team.created": _("Team created"),
        "team.changed": _("Team changed"),
    }
)
