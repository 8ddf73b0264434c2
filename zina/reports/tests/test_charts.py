"""The SVG charts and the way values read: an image with an accessible name and description,
one mark per value, labels as text, series told apart by more than colour, text escaped;
percentages, durations, numbers and periods in Latvian and in English."""

from __future__ import annotations

import re
from datetime import date, datetime
from xml.etree import ElementTree

import pytest
from django.utils import timezone, translation

from zina.reports.charts import (
    display,
    duration_text,
    number,
    percent_text,
    period_text,
    render_chart,
)
from zina.reports.period import Period
from zina.reports.tables import Chart, Column, Table

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ElementTree.Element:
    """The chart must be well-formed XML (it is inline SVG)."""
    return ElementTree.fromstring(svg)  # noqa: S314 - our own markup


def points(root: ElementTree.Element) -> list[ElementTree.Element]:
    return [e for e in root.iter() if "point" in (e.get("class") or "").split()]


def table(kind: str = "bar", rows: list[list[object]] | None = None) -> Table:
    return Table(
        key="t.demo",
        title="Tickets by service",
        columns=[
            Column("service", "Service"),
            Column("open", "Open", "int"),
            Column("closed", "Closed", "int"),
        ],
        rows=rows
        if rows is not None
        else [["E-adrese", 5, 3], ["Reģistrs", 2, None], ["<b>Pabalsti</b> & co", 0, 1]],
        chart=Chart(kind, "service", ("open", "closed")),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("kind", ["bar", "stacked", "line"])
def test_chart_is_a_named_image_with_one_mark_per_value(kind: str) -> None:
    with translation.override("en"):
        svg = render_chart(table(kind), "fig1")
    root = parse(svg)
    assert root.get("role") == "img"
    labelled = (root.get("aria-labelledby") or "").split()
    assert labelled == ["fig1-title", "fig1-desc"]
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None
    assert desc is not None
    assert title.get("id") == "fig1-title"
    assert title.text == "Tickets by service"
    assert desc.get("id") == "fig1-desc"
    assert "Open, Closed" in (desc.text or "")
    assert "table below" in (desc.text or "")
    assert len(points(root)) == 5  # six cells, one of them None
    # Every mark has a tooltip naming its category, series and value.
    for mark in points(root):
        tip = mark.find(f"{SVG}title")
        assert tip is not None
        assert ":" in (tip.text or "")


@pytest.mark.parametrize("kind", ["bar", "stacked", "line"])
def test_series_differ_by_more_than_colour(kind: str) -> None:
    rows = [["E-adrese", 5, 3], ["Reģistrs", 2, 4], ["Pabalsti", 0, 1]]
    root = parse(render_chart(table(kind, rows=rows), "fig2"))
    legend = [e for e in root.iter(f"{SVG}g") if e.get("class") == "legend"]
    assert legend, "two series need a legend"
    texts = [t.text for t in legend[0].iter(f"{SVG}text")]
    assert texts == ["Open", "Closed"]
    if kind == "line":
        # Different marker shapes and dash patterns.
        tags = {m.tag for m in points(root)}
        assert tags == {f"{SVG}circle", f"{SVG}rect"}
        dashed = [p for p in root.iter(f"{SVG}polyline") if p.get("stroke-dasharray")]
        assert dashed
    else:
        # The second series is filled with a pattern (not only another colour).
        patterns = list(root.iter(f"{SVG}pattern"))
        assert [p.get("id") for p in patterns] == ["fig2-p1"]
        fills = {m.get("fill") for m in points(root) if "series-1" in (m.get("class") or "")}
        assert fills == {"url(#fig2-p1)"}


def test_bars_carry_their_values_as_text() -> None:
    root = parse(render_chart(table("bar"), "f"))
    values = [t.text for t in root.iter(f"{SVG}text") if "value" in (t.get("class") or "")]
    assert "5" in values
    assert "—" in values  # the missing value says so
    categories = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "category"]
    assert categories == ["E-adrese", "Reģistrs", "<b>Pabalsti</b> & co"]


def test_stacked_bars_show_totals() -> None:
    root = parse(render_chart(table("stacked"), "f"))
    totals = [t.text for t in root.iter(f"{SVG}text") if "total" in (t.get("class") or "")]
    assert totals == ["8", "2", "1"]


def test_text_is_escaped() -> None:
    t = table("bar")
    t.title = "A <script> & title"
    svg = render_chart(t, "f")
    assert "<script>" not in svg
    assert "&lt;b&gt;Pabalsti&lt;/b&gt; &amp; co" in svg
    parse(svg)


def test_no_chart_without_rows_or_definition() -> None:
    assert render_chart(table("bar", rows=[]), "f") == ""
    no_chart = table("bar")
    no_chart.chart = None
    assert render_chart(no_chart, "f") == ""


def test_percent_axis_ends_at_100() -> None:
    t = Table(
        key="t.sla",
        title="SLA",
        columns=[Column("p", "Priority"), Column("ok", "Met", "percent")],
        rows=[["P1", 40.0], ["P2", 55.5]],
        chart=Chart("bar", "p", ("ok",)),
    )
    with translation.override("en"):
        root = parse(render_chart(t, "f"))
    ticks = [t.text for t in root.iter(f"{SVG}text") if "tick" in (t.get("class") or "")]
    assert ticks[0] == "0.0%" or ticks[0] == "0%" or ticks[0].startswith("0")
    assert ticks[-1].startswith("100")
    # One series: no legend needed, the title names it.
    assert not [e for e in root.iter(f"{SVG}g") if e.get("class") == "legend"]


def test_line_chart_over_dates_and_hours() -> None:
    days = Table(
        key="t.days",
        title="Per day",
        columns=[Column("d", "Day", "date"), Column("n", "Tickets", "int")],
        rows=[[date(2026, 3, d), d] for d in range(1, 32)],
        chart=Chart("line", "d", ("n",)),
    )
    root = parse(render_chart(days, "f", "day"))
    assert len(points(root)) == 31
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick x"]
    assert labels[0] == "03-01"
    assert 4 <= len(labels) <= 12  # thinned out so they do not overlap
    riga = timezone.get_current_timezone()
    hours = Table(
        key="t.hours",
        title="Per hour",
        columns=[Column("h", "Hour", "date"), Column("n", "Tickets", "int")],
        rows=[[datetime(2026, 3, 10, h, tzinfo=riga), h] for h in range(24)],
        chart=Chart("line", "h", ("n",)),
    )
    root = parse(render_chart(hours, "f", "hour"))
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "tick x"]
    assert labels[0] == "00:00"


@pytest.mark.parametrize("kind", ["bar", "stacked"])
def test_bars_over_time_stand_as_columns(kind: str) -> None:
    t = Table(
        key="t.over_time",
        title="Over time",
        columns=[Column("d", "Day", "date"), Column("a", "A", "int"), Column("b", "B", "int")],
        rows=[[date(2026, 3, d), d % 3, 1] for d in range(1, 32)],
        chart=Chart(kind, "d", ("a", "b")),  # type: ignore[arg-type]
    )
    root = parse(render_chart(t, "f", "day"))
    bars = points(root)
    assert len(bars) == 62
    # Columns: a time axis along the bottom, not 31 category rows down the side.
    assert not [e for e in root.iter(f"{SVG}text") if e.get("class") == "category"]
    heights = [float(b.get("height") or 0) for b in bars]
    widths = {round(float(b.get("width") or 0), 1) for b in bars}
    assert max(heights) > 0
    assert len(widths) == 1
    assert float(root.get("height") or 0) < 400


def test_long_labels_are_shortened_in_the_chart_only() -> None:
    name = "Ļoti garš pakalpojuma nosaukums, kas neietilpst diagrammas kreisajā malā nekādi"
    root = parse(render_chart(table("bar", rows=[[name, 1, 2]]), "f"))
    categories = [t.text or "" for t in root.iter(f"{SVG}text") if t.get("class") == "category"]
    assert categories[0].endswith("…")
    tips = [t.text or "" for t in root.iter(f"{SVG}title")]
    assert any(name in tip for tip in tips)  # the whole name in the tooltip


def test_all_zero_values_draw_without_dividing_by_zero() -> None:
    root = parse(render_chart(table("stacked", rows=[["A", 0, 0], ["B", 0, 0]]), "f"))
    assert len(points(root)) == 4


# --- Values as text --------------------------------------------------------------------------


def test_durations() -> None:
    with translation.override("en"):
        assert duration_text(0) == "0 min"
        assert duration_text(45.4) == "45 min"
        assert duration_text(125) == "2 h 5 min"
        assert duration_text(60) == "1 h 0 min"
        assert duration_text(3000) == "2 d 2 h"


def test_numbers_and_percentages_per_language() -> None:
    with translation.override("en"):
        assert number(1234567) == "1,234,567"
        assert percent_text(97.5) == "97.5%"
        assert display(12.25, "percent") == "12.2%" or display(12.25, "percent") == "12.3%"
        assert display(None, "int") == "—"
        assert display(("INC-1", "/t/1/"), "link") == "INC-1"
    with translation.override("lv"):
        assert re.fullmatch(r"1\s234\s567", number(1234567))
        assert percent_text(97.5).startswith("97,5")


def test_dates_in_riga() -> None:
    utc = datetime(2026, 7, 1, 21, 30, tzinfo=timezone.UTC)
    assert display(utc, "date") == "2026-07-02 00:30"  # summer time, UTC+3
    assert display(date(2026, 7, 1), "date") == "2026-07-01"


def test_period_text() -> None:
    with translation.override("en"):
        assert period_text(Period.of("month", date(2026, 3, 5))) == "March 2026"
        assert period_text(Period.of("week", date(2026, 3, 11))) == (
            "Week 11 of 2026 (2026-03-09 – 2026-03-15)"
        )
        assert period_text(Period("custom", date(2026, 1, 1), date(2026, 2, 1))) == (
            "2026-01-01 – 2026-02-01"
        )
    with translation.override("lv"):
        assert "marts" in period_text(Period.of("month", date(2026, 3, 5)))


@pytest.mark.parametrize(
    ("top", "kind", "ticks"),
    [
        (3, "int", [0, 1, 2, 3]),
        (6, "int", [0, 2, 4, 6]),
        (1200, "int", [0, 250, 500, 750, 1000, 1250]),
        (0, "int", [0, 1]),
        (55.5, "percent", [0, 25, 50, 75, 100]),
        (45, "minutes", [0, 10, 20, 30, 40, 50]),
        (3000, "minutes", [0, 720, 1440, 2160, 2880, 3600]),
    ],
)
def test_axis_ticks_are_round(top: float, kind: str, ticks: list[float]) -> None:
    from zina.reports.charts import _axis

    assert _axis(top, kind) == ticks
