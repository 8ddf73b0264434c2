"""The one permission entry point.

Every app registers, per model, a *view rule* (a ``Q`` filter saying which rows a user may
see) and *action rules* (``can(user, action, obj)`` predicates). Every surface — pages, the
API, search, exports, feeds — reads through :func:`visible_to` / ``Model.objects.visible_to``
and checks writes with :func:`can`. A second, hand-written visibility rule elsewhere is a bug.

Superusers (installation administrators) may do everything; anonymous users see only what a
view rule grants to ``AnonymousUser`` explicitly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q

ViewRule = Callable[[Any], Q]
ActionRule = Callable[[Any, Any], bool]

NOTHING = Q(pk__in=[])


@dataclass
class ModelRules:
    view: ViewRule
    actions: dict[str, ActionRule] = field(default_factory=dict)


_registry: dict[type[models.Model], ModelRules] = {}


def register(model: type[models.Model], *, view: ViewRule, **actions: ActionRule) -> None:
    """Declare who may see rows of ``model`` and who may perform each action on them."""
    _registry[model] = ModelRules(view=view, actions=dict(actions))


def register_actions(model: type[models.Model], **actions: ActionRule) -> None:
    """Add actions to a model registered by another app (e.g. the catalog's actions on an
    institution)."""
    rules_for(model).actions.update(actions)


def rules_for(model: type[models.Model]) -> ModelRules:
    concrete = model._meta.concrete_model or model
    try:
        return _registry[concrete]
    except KeyError:
        raise LookupError(f"no permission rules registered for {concrete.__name__}") from None


def is_superuser(user: Any) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_superuser", False))


def view_filter(user: Any, model: type[models.Model]) -> Q:
    if is_superuser(user):
        return Q()
    if getattr(user, "is_authenticated", False) and not user.is_active:
        return NOTHING
    return rules_for(model).view(user)


def visible_to(user: Any, queryset: models.QuerySet[Any]) -> models.QuerySet[Any]:
    """Rows of ``queryset`` that ``user`` may see."""
    return queryset.filter(view_filter(user, queryset.model))


def can(user: Any, action: str, obj: Any) -> bool:
    """May ``user`` perform ``action`` on ``obj`` (an instance, or a model class for creation)?"""
    if user is None:
        return False
    authenticated = bool(getattr(user, "is_authenticated", False))
    if authenticated and not user.is_active:
        return False
    if is_superuser(user):
        return True
    # obj.__class__, not type(obj): request.user is a SimpleLazyObject that proxies __class__.
    model: type[models.Model] = obj if isinstance(obj, type) else obj.__class__
    rules = rules_for(model)
    if action == "view" and not isinstance(obj, type):
        return model._default_manager.filter(pk=obj.pk).filter(rules.view(user)).exists()
    if not authenticated:  # anonymous visitors may only view, and only what the rule grants
        return False
    rule = rules.actions.get(action)
    if rule is None:
        return False
    return bool(rule(user, obj))


def require(user: Any, action: str, obj: Any) -> None:
    """Raise ``PermissionDenied`` unless :func:`can` allows the action."""
    if not can(user, action, obj):
        raise PermissionDenied


class RestrictedQuerySet(models.QuerySet):
    """A queryset that knows the permission rule: ``Model.objects.visible_to(user)``."""

    def visible_to(self, user: Any) -> Self:
        return self.filter(view_filter(user, self.model))


RestrictedManager = models.Manager.from_queryset(RestrictedQuerySet)
