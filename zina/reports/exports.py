"""Tables as files: CSV (one table) and XLSX (one table, or a whole dashboard).

The exports are made from the same :class:`~zina.reports.tables.Table` objects the page
shows, computed through the same :class:`~zina.reports.context.ReportContext`, so a file
never holds a figure its reader could not see on screen.

CSV is for machines: UTF-8 with a byte-order mark (so spreadsheet programs read Latvian
letters), a header row, plain numbers with a decimal point, ISO dates, percentages as
0..100 and durations in minutes (the header says which). Text cells that a spreadsheet would
run as a formula (beginning with ``= + - @``, a tab or a carriage return; ticket subjects are
anyone's input) get a leading apostrophe.

XLSX is for people: an "About" sheet first (dashboard, period, filters, when and by whom,
links to the sheets), then one sheet per table with a bold, frozen header row, an auto
filter, column widths, and typed cells (numbers, percentages with a % format, dates).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.http import HttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .charts import date_text, local
from .period import Period
from .tables import Cell, Column, Table

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHEET_NAME_MAX = 31
XLSX_STRING_MAX = 32767


@dataclass
class ExportInfo:
    """What a file says about itself: which dashboard, period and filters, made when and by whom."""

    dashboard_key: str
    dashboard_title: str
    period: Period
    period_text: str
    filters: list[tuple[str, str]]
    generated_at: datetime
    generated_by: str
    address: str = ""


@dataclass
class Missing:
    """A figure that could not be made (not registered yet, or it failed): its sheet says so."""

    key: str
    title: str
    message: str
    columns: list[Column] = field(default_factory=list)


# --- Names ------------------------------------------------------------------------------


def filename(info: ExportInfo, table_key: str | None, extension: str) -> str:
    """``zina-<dashboard>-<table>-<from>-<to>.<ext>`` (ASCII only, safe in any header)."""
    parts = ["zina", slugify(info.dashboard_key)]
    if table_key:
        parts.append(slugify(table_key.replace(".", "-").replace("_", "-")))
    parts += [info.period.first_day.isoformat(), info.period.last_day.isoformat()]
    return "-".join(p for p in parts if p) + f".{extension}"


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_names(titles: Sequence[str]) -> list[str]:
    """Excel's rules: at most 31 characters, none of ``[]:*?/\\``, not starting or ending
    with an apostrophe, unique ignoring case (a number is added to repeats)."""
    names: list[str] = []
    seen: set[str] = set()
    for title in titles:
        base = _SHEET_BAD.sub(" ", str(title)).strip().strip("'").strip() or _("Table")
        base = re.sub(r"\s+", " ", base)
        name = base[:SHEET_NAME_MAX].rstrip()
        n = 2
        while name.casefold() in seen or name.casefold() == _("About").casefold():
            suffix = f" ({n})"
            name = base[: SHEET_NAME_MAX - len(suffix)].rstrip() + suffix
            n += 1
        seen.add(name.casefold())
        names.append(name)
    return names


def header(column: Column, *, unit_for_percent: bool) -> str:
    """A column's label, with the unit its exported numbers are in."""
    label = str(column.label)
    if column.kind == "minutes":
        return _("%(label)s (min)") % {"label": label}
    if column.kind == "percent" and unit_for_percent:
        return _("%(label)s (%%)") % {"label": label}
    return label


# --- CSV --------------------------------------------------------------------------------


def defuse(text: str) -> str:
    """Text a spreadsheet will show as text, never run as a formula (OWASP CSV injection)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _plain_number(value: float | Decimal) -> str:
    text = format(round(float(value), 4), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def csv_value(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return defuse(str(value[0]))
    if isinstance(value, datetime):
        return local(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return _plain_number(value)
    return defuse(str(value))


def csv_bytes(table: Table) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([defuse(header(c, unit_for_percent=True)) for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_value(v) for v in row])
    return out.getvalue().encode("utf-8")


def _download(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    # Figures about people's requests: not kept by shared caches or the browser's cache.
    response["Cache-Control"] = "private, no-store"
    return response


def csv_response(table: Table, info: ExportInfo) -> HttpResponse:
    return _download(csv_bytes(table), CSV_TYPE, filename(info, table.key, "csv"))


# --- XLSX -------------------------------------------------------------------------------


class _Formats:
    def __init__(self, book: Any) -> None:
        self.bold = book.add_format({"bold": True})
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.head = book.add_format(
            {"bold": True, "bg_color": "#E6EBF1", "bottom": 2, "text_wrap": True, "valign": "top"}
        )
        self.int = book.add_format({"num_format": "#,##0"})
        self.decimal = book.add_format({"num_format": "#,##0.0"})
        self.percent = book.add_format({"num_format": "0.0%"})
        self.date = book.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.link = book.add_format({"font_color": "#1A56A0", "underline": 1})
        self.note = book.add_format({"italic": True})


def _text(value: str) -> str:
    return value[:XLSX_STRING_MAX]


def _write_cell(sheet: Any, row: int, col: int, value: Cell, column: Column, f: _Formats) -> str:
    """Write one typed cell; return its text as shown (for the column's width)."""
    if value is None or value == "":
        sheet.write_blank(row, col, None)
        return ""
    if isinstance(value, tuple):
        value = value[0]
    if isinstance(value, datetime):
        sheet.write_datetime(row, col, local(value).replace(tzinfo=None), f.datetime)
        return "0000-00-00 00:00"
    if isinstance(value, date):
        sheet.write_datetime(row, col, value, f.date)
        return "0000-00-00"
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number = float(value)
        if column.kind == "percent":
            sheet.write_number(row, col, number / 100, f.percent)
            return f"{number:.1f}%"
        fmt = f.int if number.is_integer() else f.decimal
        sheet.write_number(row, col, number, fmt)
        return f"{number:,.1f}"
    text = _text(str(value))
    sheet.write_string(row, col, text)
    return text


def _table_sheet(book: Any, name: str, table: Table, f: _Formats) -> None:
    sheet = book.add_worksheet(name)
    widths = [len(header(c, unit_for_percent=False)) for c in table.columns]
    for col, column in enumerate(table.columns):
        sheet.write_string(0, col, _text(header(column, unit_for_percent=False)), f.head)
    for r, row in enumerate(table.rows, start=1):
        for col, (value, column) in enumerate(zip(row, table.columns, strict=False)):
            shown = _write_cell(sheet, r, col, value, column, f)
            widths[col] = max(widths[col], len(shown))
    for col, width in enumerate(widths):
        sheet.set_column(col, col, min(60, max(8, width + 2)))
    sheet.freeze_panes(1, 0)
    if table.columns:
        sheet.autofilter(0, 0, max(1, len(table.rows)), len(table.columns) - 1)
    if not table.rows:
        sheet.write_string(2, 0, _text(str(table.note or _("No data for this period."))), f.note)


def _missing_sheet(book: Any, name: str, missing: Missing, f: _Formats) -> None:
    sheet = book.add_worksheet(name)
    sheet.write_string(0, 0, _text(missing.title), f.bold)
    sheet.write_string(1, 0, _text(missing.message), f.note)
    sheet.set_column(0, 0, 60)


def _about_sheet(
    book: Any, name: str, info: ExportInfo, items: list[tuple[str, Table | Missing]], f: _Formats
) -> None:
    sheet = book.add_worksheet(name)
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, 70)
    sheet.write_string(
        0, 0, _text(_("Zina report: %(name)s") % {"name": info.dashboard_title}), f.title
    )
    rows: list[tuple[str, str]] = [
        (_("Dashboard"), info.dashboard_title),
        (_("Period"), info.period_text),
        (_("From"), info.period.first_day.isoformat()),
        (_("To"), info.period.last_day.isoformat()),
        *info.filters,
        (_("Generated at"), date_text(info.generated_at)),
        (_("Generated by"), info.generated_by),
    ]
    if info.address:
        rows.append((_("Address"), info.address))
    r = 2
    for label, value in rows:
        sheet.write_string(r, 0, _text(label), f.bold)
        sheet.write_string(r, 1, _text(value))
        r += 1
    r += 1
    sheet.write_string(r, 0, _("Sheets"), f.bold)
    for sheet_name, item in items:
        r += 1
        quoted = sheet_name.replace("'", "''")
        sheet.write_url(r, 0, f"internal:'{quoted}'!A1", f.link, _text(sheet_name))
        note = item.message if isinstance(item, Missing) else str(item.title)
        if isinstance(item, Table) and not item.rows:
            note += " — " + str(item.note or _("No data for this period."))
        sheet.write_string(r, 1, _text(note))
    sheet.activate()


def xlsx_bytes(info: ExportInfo, tables: Sequence[Table | Missing]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_date_format": "yyyy-mm-dd",
        },
    )
    book.set_properties(
        {
            "title": f"{info.dashboard_title} — {info.period_text}",
            "author": info.generated_by,
            "company": "Zina",
            "created": local(info.generated_at).replace(tzinfo=None),
        }
    )
    f = _Formats(book)
    names = sheet_names([str(t.title) for t in tables])
    items = list(zip(names, tables, strict=True))
    _about_sheet(book, _("About"), info, items, f)
    for name, item in items:
        if isinstance(item, Missing):
            _missing_sheet(book, name, item, f)
        else:
            _table_sheet(book, name, item, f)
    book.close()
    return out.getvalue()


def xlsx_response(
    info: ExportInfo, tables: Sequence[Table | Missing], table_key: str | None
) -> HttpResponse:
    return _download(xlsx_bytes(info, tables), XLSX_TYPE, filename(info, table_key, "xlsx"))
