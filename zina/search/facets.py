"""Reading filters from a query string and labelling facet counts for display.

Labels for services and institutions are read through ``visible_to``; a value the user may
not see is never named (its count already excludes what they may not see).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from zina.accounts.models import Institution
from zina.catalog.models import Service

from . import registry
from .queries import FILTERS, SINCE_DAYS

TITLES = {
    "kind": _("Kind"),
    "type": _("Type"),
    "services": _("Service"),
    "institution": _("Institution"),
    "state": _("State"),
    "audience": _("Audience"),
}
AUDIENCES = {"public": _("public"), "internal": _("internal")}


@dataclass
class Option:
    value: str
    label: Any
    count: int
    selected: bool
    href: str


@dataclass
class Group:
    name: str
    title: Any
    options: list[Option]


def read_filters(params: QueryDict) -> tuple[dict[str, list[Any]], int | None]:
    filters: dict[str, list[Any]] = {}
    for name in FILTERS:
        values: list[Any] = [v for v in params.getlist(name) if v][:20]
        if name in ("institution", "services"):
            values = [int(v) for v in values if v.isdigit() and len(v) <= 18]
        if values:
            filters[name] = values
    since = params.get("since", "")
    return filters, (int(since) if since.isdigit() and int(since) in SINCE_DAYS else None)


def _labels(
    user: Any, name: str, values: list[str], known: dict[str, dict[str, str]] | None = None
) -> dict[str, Any]:
    if name == "kind":
        types = registry.doc_types()
        return {v: types[v].label for v in values if v in types}
    if known is not None and name in known:  # read through visible_to by the search
        return {v: known[name][v] for v in values if v in known[name]}
    if name in ("services", "institution"):
        model = Service if name == "services" else Institution
        ids = [int(v) for v in values if v.isdigit()]
        return {str(o.pk): str(o) for o in model.objects.visible_to(user).filter(pk__in=ids)}
    labels: dict[str, Any] = dict(AUDIENCES) if name == "audience" else {}
    for doc_type in registry.doc_types().values():
        labels.update(doc_type.labels.get(name, {}))
    return {v: labels.get(v, v) for v in values if v != "-"}


def _toggle(params: QueryDict, name: str, value: str) -> str:
    """The query string with ``name=value`` added, or removed when it is there."""
    toggled = params.copy()
    toggled.pop("page", None)
    values = toggled.getlist(name)
    toggled.setlist(
        name, [v for v in values if v != value] if value in values else [*values, value]
    )
    return "?" + toggled.urlencode()


def facet_groups(
    user: Any,
    facets: dict[str, dict[str, int]],
    params: QueryDict,
    labels: dict[str, dict[str, str]] | None = None,
) -> list[Group]:
    """The facet options to show; ``labels``: the names of services and institutions the
    search already read through ``visible_to`` (``Results.facet_labels``)."""
    groups = []
    for name, title in TITLES.items():
        counts = facets.get(name, {})
        labels_ = _labels(user, name, list(counts), labels)
        selected = set(params.getlist(name))
        options = [
            Option(value, labels_[value], count, value in selected, _toggle(params, name, value))
            for value, count in sorted(counts.items(), key=lambda kv: -kv[1])
            if value in labels_ and value != "0"
        ]
        if options:
            groups.append(Group(name, title, options))
    return groups


SINCE_LABELS = {
    7: _("in the last 7 days"),
    30: _("in the last 30 days"),
    365: _("in the last year"),
}


def date_options(facets: dict[str, dict[str, int]], params: QueryDict) -> list[Option]:
    """ "Changed within" choices with their counts; choosing the current one removes it."""
    counts = facets.get("date", {})
    current = params.get("since", "")
    options = []
    for days in SINCE_DAYS:
        chosen = params.copy()
        chosen.pop("page", None)
        if current == str(days):
            chosen.pop("since", None)
        else:
            chosen["since"] = str(days)
        options.append(
            Option(
                str(days),
                SINCE_LABELS[days],
                counts.get(str(days), 0),
                current == str(days),
                "?" + chosen.urlencode(),
            )
        )
    return options
