from typing import Any

from django.http import HttpRequest

from .navigation import nav_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    items = nav_for(request.user)
    path = request.path
    current = max(
        (i for i in items if path.startswith(i.url) and i.url != "/"),
        key=lambda i: len(i.url),
        default=None,
    )
    return {
        "nav_items": [i for i in items if i.in_menu],
        "nav_current": current.key if current else "",
    }
