"""How figures look on screen: cell values as text, and a table drawn as an inline SVG chart.

The chart is drawn on the server (no script, nothing fetched), so it prints, works under the
site's Content-Security-Policy and reads the same in every browser. It is an image with an
accessible name and description (``role="img"``, ``<title>``, ``<desc>``); the data table that
always follows it in the page is its text alternative. Series differ by colour *and* by fill
pattern or marker shape, with a legend, and every bar carries its value as text: nothing is
told by colour alone (WCAG 1.4.1). Colours have at least 3:1 contrast on white (WCAG 1.4.11).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .period import Period
from .tables import Cell, Column, ColumnKind, Table

# --- Values as text ---------------------------------------------------------------------

NUMERIC_KINDS: frozenset[str] = frozenset({"int", "percent", "minutes"})


def number(value: float | int | Decimal, decimals: int = 0) -> str:
    """A number in the active language's style (``1 234,5`` in Latvian, ``1,234.5`` in English)."""
    return formats.number_format(value, decimals, force_grouping=True)


def percent_text(value: float | int | Decimal, decimals: int = 1) -> str:
    return _("%(value)s%%") % {"value": number(value, decimals)}


def duration_text(minutes: float | int | Decimal) -> str:
    """Minutes as a person reads them: ``45 min``, ``2 h 5 min``, ``3 d 4 h``."""
    total = round(float(minutes))
    if total < 60:
        return _("%(minutes)d min") % {"minutes": total}
    hours, mins = divmod(total, 60)
    if hours < 24:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": mins}
    days, hours = divmod(hours, 24)
    return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}


def local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def date_text(value: date | datetime) -> str:
    """ISO-style dates (Europe/Riga): unambiguous in both languages, as in the ticket queue."""
    if isinstance(value, datetime):
        return local(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def display(value: Cell, kind: ColumnKind) -> str:
    """A cell as text for the screen (``—`` for no value)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, tuple):
        return str(value[0])
    if isinstance(value, date | datetime):
        return date_text(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        if kind == "percent":
            return percent_text(value)
        if kind == "minutes":
            return duration_text(value)
        if kind == "int":
            return number(value)
        return number(value, 0 if float(value).is_integer() else 1)
    return str(value)


def period_text(period: Period) -> str:
    """The period as a heading says it: ``2026. g. marts``, ``March 2026``, a week, a day."""
    if period.kind == "month":
        return formats.date_format(period.first_day, "YEAR_MONTH_FORMAT")
    if period.kind == "day":
        return formats.date_format(period.first_day, "DATE_FORMAT")
    span = f"{period.first_day.isoformat()} – {period.last_day.isoformat()}"
    if period.kind == "week":
        year, week, _day = period.first_day.isocalendar()
        return _("Week %(week)d of %(year)d (%(span)s)") % {
            "week": week,
            "year": year,
            "span": span,
        }
    return span


# --- Charts -----------------------------------------------------------------------------

WIDTH = 560
FONT = 13
TEXT = "#1b2631"
MUTED = "#535e69"
GRID = "#c9d0d6"
# Distinct in hue and all >= 3:1 against white; the pattern tells them apart in grey too.
PALETTE = (
    "#1d5499",
    "#b45309",
    "#1e7b34",
    "#7b3294",
    "#b42318",
    "#0e7490",
    "#4d5b69",
    "#7c5e10",
)
MARKERS = ("circle", "square", "triangle", "diamond")
DASHES = ("", "6 3", "2 3", "8 3 2 3")


def _colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _pattern(uid: str, i: int) -> str:
    """A fill pattern: the series colour with white lines or dots (series 0 is solid)."""
    colour = _colour(i)
    pid = f"{uid}-p{i}"
    kind = i % 6
    shapes = {
        1: '<path d="M-1,1 l2,-2 M0,8 l8,-8 M7,9 l2,-2" stroke="#fff" stroke-width="1.5"/>',
        2: '<circle cx="4" cy="4" r="1.4" fill="#fff"/>',
        3: '<path d="M0,0 L8,8 M8,0 L0,8" stroke="#fff" stroke-width="1.2"/>',
        4: '<path d="M0,4 H8" stroke="#fff" stroke-width="1.5"/>',
        5: '<path d="M4,0 V8" stroke="#fff" stroke-width="1.5"/>',
    }
    if kind == 0:
        return ""
    return (
        f'<pattern id="{pid}" width="8" height="8" patternUnits="userSpaceOnUse">'
        f'<rect width="8" height="8" fill="{colour}"/>{shapes[kind]}</pattern>'
    )


def _fill(uid: str, i: int) -> str:
    return _colour(i) if i % 6 == 0 else f"url(#{uid}-p{i})"


def _text_width(text: str, size: int = FONT) -> float:
    """A rough width of ``text`` in pixels (no font metrics on the server)."""
    return len(text) * size * 0.56


def _fit(text: str, width: float, size: int = FONT) -> str:
    if _text_width(text, size) <= width:
        return text
    keep = max(1, int(width / (size * 0.56)) - 1)
    return text[:keep].rstrip() + "…"


# Steps of a duration axis, in minutes: 5 and 15 minutes, half hours, hours, days, weeks.
MINUTE_STEPS = (1, 5, 10, 15, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 2880, 4320, 10080)


def _axis(top_value: float, kind: str) -> list[float]:
    """Round tick values from 0 to at least ``top_value``: at most six ticks, whole numbers
    for counts, 0–100 for percentages, hours and days for durations."""
    if kind == "percent" and top_value <= 100:
        return [0.0, 25.0, 50.0, 75.0, 100.0]
    if top_value <= 0:
        return [0.0, 1.0]
    if kind == "minutes":
        steps: list[float] = [float(m) for m in MINUTE_STEPS]
        step = next((m for m in steps if m * 5 >= top_value), 0.0)
        if not step:
            step = 10080.0 * math.ceil(top_value / 10080 / 5)
    else:
        exp = math.floor(math.log10(top_value / 5))
        step = 0.0
        for m in (1, 2, 2.5, 5, 10):
            candidate = m * 10.0**exp
            if kind == "int" and not float(candidate).is_integer():
                continue
            if candidate * 5 >= top_value:
                step = candidate
                break
        step = step or 10.0 ** (exp + 1)
    count = max(1, math.ceil(top_value / step - 1e-9))
    return [round(step * i, 9) for i in range(count + 1)]


def _num(value: Cell) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    return float(value)


def _category(value: Cell, column: Column, bucket: str | None = None) -> str:
    """An x-axis or row label; dates shortened to what the time bucket needs."""
    if isinstance(value, datetime | date) and bucket:
        moment = local(value) if isinstance(value, datetime) else value
        return moment.strftime({"hour": "%H:%M", "month": "%Y-%m"}.get(bucket, "%m-%d"))
    return display(value, column.kind)


@dataclass
class _Series:
    index: int
    label: str
    column: Column
    values: list[float | None]


def _series(table: Table) -> list[_Series]:
    assert table.chart is not None
    found = []
    for i, key in enumerate(table.chart.series):
        column = table.column(key)
        found.append(_Series(i, str(column.label), column, [_num(v) for v in table.values(key)]))
    return found


def _top_value(series: Sequence[_Series], stacked: bool) -> float:
    if stacked:
        rows = len(series[0].values) if series else 0
        return max((sum(s.values[r] or 0 for s in series) for r in range(rows)), default=0.0)
    return max((v for s in series for v in s.values if v is not None), default=0.0)


def _tick_text(value: float, column: Column) -> str:
    if column.kind == "percent":
        return percent_text(value, 0)
    if column.kind == "minutes":
        if value and value % 1440 == 0:
            return _("%(days)d d") % {"days": value // 1440}
        if value and value % 60 == 0:
            return _("%(hours)d h") % {"hours": value // 60}
        return duration_text(value)
    return number(value, 0 if float(value).is_integer() else 1)


def _svg(uid: str, title: str, desc: str, height: float, body: list[str], defs: list[str]) -> str:
    defs_text = f"<defs>{''.join(d for d in defs if d)}</defs>" if any(defs) else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" '
        f'viewBox="0 0 {WIDTH} {math.ceil(height)}" width="{WIDTH}" height="{math.ceil(height)}" '
        f'aria-labelledby="{uid}-title {uid}-desc" font-size="{FONT}" fill="{TEXT}">'
        f'<title id="{uid}-title">{escape(title)}</title>'
        f'<desc id="{uid}-desc">{escape(desc)}</desc>'
        f"{defs_text}{''.join(body)}</svg>"
    )


def _legend(
    uid: str, series: Sequence[_Series], top: float, line: bool = False
) -> tuple[str, float]:
    """Swatches (or line markers) with the series names, wrapped over as many rows as needed."""
    if len(series) < 2:
        return "", top
    x, y, parts = 0.0, top, ['<g class="legend">']
    for s in series:
        width = 22 + _text_width(s.label) + 18
        if x > 0 and x + width > WIDTH:
            x, y = 0.0, y + 20
        if line:
            parts.append(
                f'<line x1="{x:.1f}" y1="{y + 8:.1f}" x2="{x + 16:.1f}" y2="{y + 8:.1f}" '
                f'stroke="{_colour(s.index)}" stroke-width="2" '
                f"{_dash(s.index)}/>{_marker(s.index, x + 8, y + 8, 3.5)}"
            )
        else:
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 1:.1f}" width="16" height="14" '
                f'fill="{_fill(uid, s.index)}" stroke="{_colour(s.index)}"/>'
            )
        parts.append(f'<text x="{x + 22:.1f}" y="{y + 12.5:.1f}">{escape(s.label)}</text>')
        x += width
    parts.append("</g>")
    return "".join(parts), y + 28


def _dash(i: int) -> str:
    dash = DASHES[i % len(DASHES)]
    return f'stroke-dasharray="{dash}" ' if dash else ""


def _marker(i: int, x: float, y: float, r: float, extra: str = "") -> str:
    colour = _colour(i)
    shape = MARKERS[i % len(MARKERS)]
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}"{extra}/>'
    if shape == "square":
        return (
            f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r}" height="{2 * r}" '
            f'fill="{colour}"{extra}/>'
        )
    if shape == "triangle":
        points = (
            f"{x:.1f},{y - r * 1.2:.1f} {x + r * 1.1:.1f},{y + r:.1f} {x - r * 1.1:.1f},{y + r:.1f}"
        )
        return f'<polygon points="{points}" fill="{colour}"{extra}/>'
    d = r * 1.3
    points = f"{x:.1f},{y - d:.1f} {x + d:.1f},{y:.1f} {x:.1f},{y + d:.1f} {x - d:.1f},{y:.1f}"
    return f'<polygon points="{points}" fill="{colour}"{extra}/>'


def _describe(table: Table, kind_text: str, categories: int, series: Sequence[_Series]) -> str:
    names = ", ".join(s.label for s in series)
    return _(
        "%(kind)s of %(series)s over %(count)d categories. Every value is in the table below."
    ) % {"kind": kind_text, "series": names, "count": categories}


def _bars(uid: str, table: Table, stacked: bool) -> str:
    assert table.chart is not None
    x_col = table.column(table.chart.x)
    labels = [_category(v, x_col) for v in table.values(x_col.key)]
    series = _series(table)
    ticks = _axis(_top_value(series, stacked), series[0].column.kind)
    top = ticks[-1]
    label_w = min(220.0, max(60.0, max(_text_width(lbl) for lbl in labels) + 8))
    value_w = 84.0
    x0 = label_w + 8
    plot_w = WIDTH - x0 - value_w
    legend, y = _legend(uid, series, 0)
    axis_y = y + 14
    y = axis_y + 8
    per = 1 if stacked else len(series)
    bar_h = 20.0 if per == 1 else 14.0
    group_gap = 10.0
    parts = [legend]
    # Scale: gridlines with their values along the top.
    grid_bottom = y + len(labels) * (per * bar_h + group_gap)
    for t, tick in enumerate(ticks):
        gx = x0 + plot_w * tick / top
        anchor = "start" if t == 0 else "end" if t == len(ticks) - 1 else "middle"
        parts.append(
            f'<line class="grid" x1="{gx:.1f}" y1="{axis_y + 4:.1f}" x2="{gx:.1f}" '
            f'y2="{grid_bottom:.1f}" stroke="{GRID}"/>'
            f'<text class="tick" x="{gx:.1f}" y="{axis_y:.1f}" text-anchor="{anchor}" '
            f'fill="{MUTED}" font-size="11">{escape(_tick_text(tick, series[0].column))}</text>'
        )
    for r, label in enumerate(labels):
        parts.append(
            f'<text class="category" x="{label_w:.1f}" y="{y + (per * bar_h) / 2 + 4.5:.1f}" '
            f'text-anchor="end">{escape(_fit(label, label_w - 4))}</text>'
        )
        left = x0
        for s in series:
            value = s.values[r]
            if value is None:
                if not stacked:
                    parts.append(
                        f'<text class="value" x="{x0 + 4:.1f}" y="{y + bar_h / 2 + 4.5:.1f}" '
                        f'fill="{MUTED}">—</text>'
                    )
                    y += bar_h
                continue
            width = max(0.0, value) / top * plot_w
            text = display(value, s.column.kind)
            point_title = f"{label} — {s.label}: {text}" if len(series) > 1 else f"{label}: {text}"
            parts.append(
                f'<rect class="bar point series-{s.index}" x="{left:.1f}" y="{y:.1f}" '
                f'width="{width:.1f}" height="{bar_h - 2:.1f}" fill="{_fill(uid, s.index)}" '
                f'stroke="{_colour(s.index) if not stacked else "#fff"}" stroke-width="1">'
                f"<title>{escape(point_title)}</title></rect>"
            )
            if stacked:
                if width > _text_width(text, 11) + 8 and s.index % 6 == 0:
                    parts.append(
                        f'<text class="value inside" x="{left + width / 2:.1f}" '
                        f'y="{y + bar_h / 2 + 3:.1f}" text-anchor="middle" fill="#fff" '
                        f'font-size="11">{escape(text)}</text>'
                    )
                left += width
            else:
                parts.append(
                    f'<text class="value" x="{left + width + 4:.1f}" y="{y + bar_h / 2 + 3.5:.1f}">'
                    f"{escape(text)}</text>"
                )
                y += bar_h
        if stacked:
            total = sum(s.values[r] or 0 for s in series)
            parts.append(
                f'<text class="value total" x="{left + 4:.1f}" y="{y + bar_h / 2 + 3.5:.1f}" '
                f'font-weight="bold">{escape(display(total, series[0].column.kind))}</text>'
            )
            y += bar_h
        y += group_gap
    parts.append(
        f'<line class="axis" x1="{x0:.1f}" y1="{axis_y + 4:.1f}" x2="{x0:.1f}" '
        f'y2="{grid_bottom:.1f}" stroke="{TEXT}"/>'
    )
    kind_text = _("Stacked bar chart") if stacked else _("Bar chart")
    desc = _describe(table, kind_text, len(labels), series)
    defs = [_pattern(uid, s.index) for s in series]
    return _svg(uid, str(table.title), desc, y + 4, parts, defs)


@dataclass
class _Frame:
    """A chart with a vertical value axis and categories (time) along the bottom."""

    parts: list[str]
    xs: list[float]  # the centre of each category
    slot: float  # the width each category has
    base: float  # y of the zero line
    plot_h: float
    top: float

    def y(self, value: float) -> float:
        return self.base - max(0.0, value) / self.top * self.plot_h


def _frame(
    uid: str, series: Sequence[_Series], labels: list[str], stacked: bool, line: bool
) -> _Frame:
    ticks = _axis(_top_value(series, stacked), series[0].column.kind)
    top = ticks[-1]
    legend, y = _legend(uid, series, 0, line=line)
    x0, x1 = 64.0, WIDTH - 16.0
    plot_top, plot_h = y + 8, 220.0
    base = plot_top + plot_h
    n = len(labels)
    if line:  # points on the category lines, first and last at the ends
        slot = (x1 - x0) / max(1, n - 1)
        xs = [x0 + slot * i if n > 1 else (x0 + x1) / 2 for i in range(n)]
    else:  # bars in the middle of their slots
        slot = (x1 - x0) / max(1, n)
        xs = [x0 + slot * (i + 0.5) for i in range(n)]
    parts = [legend]
    for tick in ticks:
        gy = base - plot_h * tick / top
        parts.append(
            f'<line class="grid" x1="{x0:.1f}" y1="{gy:.1f}" x2="{x1:.1f}" y2="{gy:.1f}" '
            f'stroke="{GRID}"/><text class="tick" x="{x0 - 6:.1f}" y="{gy + 4:.1f}" '
            f'text-anchor="end" fill="{MUTED}" font-size="11">'
            f"{escape(_tick_text(tick, series[0].column))}</text>"
        )
    # As many date labels as fit without overlapping (every k-th, the last one when it fits).
    widest = max((_text_width(lbl, 11) for lbl in labels), default=0.0) + 8
    every = max(1, math.ceil(widest / max(slot, 1.0)), math.ceil(n / 12))
    last_room = ((n - 1) % every) * slot  # from the last labelled slot to the end
    for i, label in enumerate(labels):
        if i % every == 0 or (i == n - 1 and last_room >= widest):
            parts.append(
                f'<text class="tick x" x="{xs[i]:.1f}" y="{base + 18:.1f}" text-anchor="middle" '
                f'fill="{MUTED}" font-size="11">{escape(label)}</text>'
            )
    parts.append(
        f'<line class="axis" x1="{x0:.1f}" y1="{base:.1f}" x2="{x1:.1f}" y2="{base:.1f}" '
        f'stroke="{TEXT}"/>'
    )
    return _Frame(parts, xs, slot, base, plot_h, top)


def _line(uid: str, table: Table, bucket: str | None) -> str:
    assert table.chart is not None
    x_col = table.column(table.chart.x)
    labels = [_category(v, x_col, bucket) for v in table.values(x_col.key)]
    series = _series(table)
    frame = _frame(uid, series, labels, stacked=False, line=True)
    parts = frame.parts
    r = 3.5 if len(labels) <= 31 else 2.5
    for s in series:
        runs: list[list[str]] = [[]]
        marks = []
        for i, value in enumerate(s.values):
            if value is None:
                runs.append([])
                continue
            x, y = frame.xs[i], frame.y(value)
            runs[-1].append(f"{x:.1f},{y:.1f}")
            title = f"{labels[i]} — {s.label}: {display(value, s.column.kind)}"
            marks.append(
                _marker(s.index, x, y, r, f' class="point series-{s.index}"')[:-2]
                + f"><title>{escape(title)}</title></{_tag(s.index)}>"
            )
        for run in runs:
            if len(run) > 1:
                parts.append(
                    f'<polyline class="line series-{s.index}" points="{" ".join(run)}" '
                    f'fill="none" stroke="{_colour(s.index)}" stroke-width="2" '
                    f"{_dash(s.index)}/>"
                )
        parts.extend(marks)
    desc = _describe(table, _("Line chart"), len(labels), series)
    return _svg(uid, str(table.title), desc, frame.base + 28, parts, [])


def _columns(uid: str, table: Table, stacked: bool, bucket: str | None) -> str:
    """Vertical bars over time (a date category): one column per time bucket."""
    assert table.chart is not None
    x_col = table.column(table.chart.x)
    labels = [_category(v, x_col, bucket) for v in table.values(x_col.key)]
    series = _series(table)
    frame = _frame(uid, series, labels, stacked=stacked, line=False)
    parts = frame.parts
    group = frame.slot * 0.8
    width = group if stacked else group / len(series)
    for i, label in enumerate(labels):
        left = frame.xs[i] - group / 2
        bottom = frame.base
        for s in series:
            value = s.values[i]
            if value is None:
                if not stacked:
                    left += width
                continue
            height = frame.base - frame.y(value)
            y = bottom - height
            text = display(value, s.column.kind)
            point_title = f"{label} — {s.label}: {text}" if len(series) > 1 else f"{label}: {text}"
            parts.append(
                f'<rect class="bar point series-{s.index}" x="{left:.1f}" y="{y:.1f}" '
                f'width="{max(0.5, width - 1):.1f}" height="{height:.1f}" '
                f'fill="{_fill(uid, s.index)}" '
                f'stroke="{_colour(s.index) if not stacked else "#fff"}" stroke-width="0.5">'
                f"<title>{escape(point_title)}</title></rect>"
            )
            if stacked:
                bottom = y
            else:
                left += width
        total = sum(s.values[i] or 0 for s in series) if stacked else None
        if total:
            text = display(total, series[0].column.kind)
            if _text_width(text, 11) <= frame.slot:
                parts.append(
                    f'<text class="value total" x="{frame.xs[i]:.1f}" y="{bottom - 4:.1f}" '
                    f'text-anchor="middle" font-size="11">{escape(text)}</text>'
                )
    kind_text = _("Stacked bar chart") if stacked else _("Bar chart")
    desc = _describe(table, kind_text, len(labels), series)
    defs = [_pattern(uid, s.index) for s in series]
    return _svg(uid, str(table.title), desc, frame.base + 28, parts, defs)


def _tag(i: int) -> str:
    return {"circle": "circle", "square": "rect"}.get(MARKERS[i % len(MARKERS)], "polygon")


def render_chart(table: Table, uid: str, bucket: str | None = None) -> SafeString:
    """The table's chart as inline SVG (empty when it has none or no rows).

    ``uid`` makes the ids inside unique on the page; ``bucket`` (the period's time unit)
    shortens date labels. Bars run across the chart (room for long service names) unless
    the category is a date: then they stand as columns along a time axis. One ``.point``
    element per value that is not None: a bar, or a marker on a line.
    """
    if table.chart is None or not table.rows or not table.chart.series:
        return mark_safe("")
    stacked = table.chart.kind == "stacked"
    over_time = table.column(table.chart.x).kind == "date"
    if table.chart.kind == "line":
        svg = _line(uid, table, bucket)
    elif over_time:
        svg = _columns(uid, table, stacked, bucket)
    else:
        svg = _bars(uid, table, stacked)
    return mark_safe(svg)  # noqa: S308 - every text inside is escaped above


def chart_summary(table: Table) -> dict[str, Any]:
    """Facts about a chart that tests and the template may need."""
    series = _series(table) if table.chart else []
    return {
        "series": [s.label for s in series],
        "points": sum(1 for s in series for v in s.values if v is not None),
    }
