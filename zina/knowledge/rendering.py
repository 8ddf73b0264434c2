"""Markdown from users, rendered and sanitised.

Markdown is converted to HTML and then cleaned by nh3 (the Ammonia sanitiser) with a small
allow-list: no scripts, styles, event handlers, iframes or ``javascript:`` links survive, so an
article renders inert wherever it is shown.
"""

from __future__ import annotations

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
    "h2", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "del",
    "sup", "sub", "dl", "dt", "dd", "kbd", "img",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def render_markdown(text: str) -> SafeString:
    """Markdown → sanitised HTML, safe to insert into any page."""
    html = markdown.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    # The page's own title is the h1; a "# Heading" in the text becomes a section heading.
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308  (sanitised by nh3 just above)
