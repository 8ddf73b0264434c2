"""The "Articles" panel on service and resource pages (only articles the viewer may read)."""

from typing import Any

from zina.catalog.panels import Panel, register_panel

from .models import Article


def _articles_of(kind: str) -> Any:
    def context(user: Any, obj: Any) -> dict[str, Any]:
        articles = (
            Article.objects.visible_to(user)
            .filter(**{f"{kind}s": obj})
            .prefetch_related("revisions")
            .distinct()[:20]
        )
        return {"articles": articles, "subject": obj}

    return context


register_panel("service", Panel("articles", "knowledge/_panel.html", _articles_of("service"), 20))
register_panel("resource", Panel("articles", "knowledge/_panel.html", _articles_of("resource"), 20))
