"""Labels of the knowledge base's audit verbs."""

from django.utils.translation import gettext_lazy as _

from zina.core.audit import register_verbs

register_verbs(
    {
        "article.created": _("Article created"),
        "article.settings_changed": _("Article settings changed"),
        "article.revision_started": _("Revision started"),
        "article.draft_saved": _("Draft saved"),
        "article.draft_discarded": _("Draft discarded"),
        "article.submitted": _("Submitted for approval"),
        "article.published": _("Published"),
        "article.archived": _("Archived"),
        "article.review_confirmed": _("Review confirmed"),
        "article.owner_set": _("Owner changed"),
        "article.feedback": _("Feedback received"),
        "article.flagged": _("Reported as outdated or incorrect"),
        "article.flag_rejected": _("Report rejected"),
        "article.ticket_linked": _("Linked to a ticket"),
        "article.related": _("Related article added"),
        "article.unrelated": _("Related article removed"),
        "article.attachment_added": _("File attached"),
        "article.attachment_removed": _("File removed"),
        "licence.granted": _("KCS licence granted"),
        "licence.withdrawn": _("KCS licence withdrawn"),
        "knowledge.procedure_set": _("Procedure set"),
    }
)
