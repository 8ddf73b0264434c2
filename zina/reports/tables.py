"""What every metric returns: a table of figures, optionally drawn as a chart.

One shape for every figure in the reports app, so one template draws it (chart plus its
data table, for accessibility), one exporter writes it as CSV or XLSX, and one print view
prints it. Metric functions never render; views never compute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.utils.functional import Promise

# How a column's values are shown and exported:
#   text      any string (labels, references)
#   int       a count
#   percent   a share in 0..100 (float), shown with one decimal and "%"
#   minutes   a duration in minutes (float or int), shown as "2 h 5 min"
#   date      a date or datetime (Europe/Riga)
#   link      a (label, url) pair: the label is exported, the link is only on screen
ColumnKind = Literal["text", "int", "percent", "minutes", "date", "link"]


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class Chart:
    """How to draw the table: ``x`` is the category column, ``series`` the value columns.

    ``bar`` draws grouped bars, ``stacked`` stacked bars, ``line`` a line per series (for
    time series, with ``x`` a date column).
    """

    kind: Literal["bar", "stacked", "line"]
    x: str
    series: tuple[str, ...]


Cell = str | int | float | Decimal | date | datetime | tuple[str, str] | None


@dataclass
class Action:
    """A button beside a table row or under a table (e.g. "create article" for a gap)."""

    label: str | Promise
    url: str
    method: Literal["get", "post"] = "get"


@dataclass
class Table:
    """One metric: ``key`` is unique within a dashboard and names the export file."""

    key: str
    title: str | Promise
    columns: list[Column]
    rows: list[list[Cell]]
    chart: Chart | None = None
    description: str | Promise = ""  # what the figure means, in one sentence
    note: str | Promise = ""  # e.g. "No tickets in this period."
    actions: list[Action] = field(default_factory=list)
    # Per-row actions: parallel to ``rows`` (None for a row without one).
    row_actions: list[Action | None] = field(default_factory=list)

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)

    def values(self, key: str) -> list[Any]:
        i = [c.key for c in self.columns].index(key)
        return [row[i] for row in self.rows]


def percent(part: int | float | None, whole: int | float | None) -> float | None:
    """A share in percent, or None when there is nothing to divide by."""
    if not whole:
        return None
    return round(100.0 * float(part or 0) / float(whole), 1)
