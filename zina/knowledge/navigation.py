"""Menu entries of the knowledge base."""

from django.utils.translation import gettext_lazy as _

from zina.accounts.roles import WRITE_KNOWLEDGE, has_any_capability
from zina.core.navigation import NavItem, register_nav

register_nav(
    NavItem(
        "knowledge",
        _("Knowledge"),
        "knowledge:article_list",
        _("Articles: solutions, known errors, instructions, FAQ; drafts and reviews."),
        lambda u: True,
        order=5,
    )
)
register_nav(
    NavItem(
        "approvals",
        _("Approvals"),
        "knowledge:approvals",
        _("Article revisions waiting for your approval."),
        lambda u: has_any_capability(u, {WRITE_KNOWLEDGE}),
        order=6,
        in_menu=False,
    )
)
register_nav(
    NavItem(
        "my_work",
        _("My knowledge work"),
        "knowledge:my_work",
        _("Your articles due for review, improvement tasks and drafts."),
        lambda u: has_any_capability(u, {WRITE_KNOWLEDGE}),
        order=7,
        in_menu=False,
    )
)
