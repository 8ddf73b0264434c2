"""Navigation by role: each app registers its entries with a predicate on the user.

The same registry feeds the main menu and the home page's "what you can do" cards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Promise
    url_name: str
    description: Promise
    allowed: Callable[[Any], bool]
    order: int = 100
    in_menu: bool = True

    @property
    def url(self) -> str:
        return reverse(self.url_name)


_items: dict[str, NavItem] = {}


def register_nav(item: NavItem) -> None:
    _items[item.key] = item


def nav_for(user: Any) -> list[NavItem]:
    return sorted((i for i in _items.values() if i.allowed(user)), key=lambda i: (i.order, i.key))
