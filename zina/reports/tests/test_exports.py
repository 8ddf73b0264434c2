"""CSV and XLSX exports: a readable file name, UTF-8 with BOM, formula injection defused,
typed XLSX cells (numbers, percentages, dates), sheet names Excel accepts, an "About" sheet
with the dashboard, period and filters, and the same permissions as the page."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime
from typing import Any
from xml.etree import ElementTree

import pytest
from django.utils import timezone, translation

from zina.accounts.models import Institution, User
from zina.catalog.models import Service
from zina.reports.dashboards import DASHBOARDS
from zina.reports.exports import (
    ExportInfo,
    Missing,
    csv_bytes,
    defuse,
    filename,
    sheet_names,
    xlsx_bytes,
)
from zina.reports.period import Period

from .test_views import Demo, client_for, demo_tables, open_tickets
from .test_views import demo as demo  # the fixtures, by name
from .test_views import owner as owner
from .test_views import services as services

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


# --- Reading an XLSX back (zip + XML, no extra library) ------------------------------------


class Workbook:
    """Sheets of an .xlsx by name: {cell ref: (type, value, style id)}."""

    def __init__(self, content: bytes) -> None:
        self.zip = zipfile.ZipFile(io.BytesIO(content))
        assert self.zip.testzip() is None
        shared = self._xml("xl/sharedStrings.xml")
        self.strings = [
            "".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t"))
            for si in shared.findall("m:si", NS)
        ]
        book = self._xml("xl/workbook.xml")
        rels = self._xml("xl/_rels/workbook.xml.rels")
        targets = {r.get("Id"): r.get("Target") for r in rels}
        self.sheets: dict[str, str] = {}
        sheets = book.find("m:sheets", NS)
        assert sheets is not None
        for sheet in sheets:
            self.sheets[sheet.get("name") or ""] = "xl/" + str(targets[sheet.get(REL)])
        styles = self._xml("xl/styles.xml")
        formats = {
            f.get("numFmtId"): f.get("formatCode") for f in styles.iter(f"{{{NS['m']}}}numFmt")
        }
        xfs = styles.find("m:cellXfs", NS)
        assert xfs is not None
        self.formats = [formats.get(xf.get("numFmtId"), xf.get("numFmtId")) for xf in xfs]
        fonts = styles.find("m:fonts", NS)
        assert fonts is not None
        self.fonts_bold = [f.find("m:b", NS) is not None for f in fonts]
        self.xf_font = [int(xf.get("fontId") or 0) for xf in xfs]

    def _xml(self, name: str) -> ElementTree.Element:
        return ElementTree.fromstring(self.zip.read(name))  # noqa: S314 - our own file

    def names(self) -> list[str]:
        return list(self.sheets)

    def cells(self, sheet: str) -> dict[str, tuple[str, Any, str | None, bool]]:
        """{ref: (type, value, number format, bold)}; type "s" (text) or "n" (number)."""
        root = self._xml(self.sheets[sheet])
        out: dict[str, tuple[str, Any, str | None, bool]] = {}
        for c in root.iter(f"{{{NS['m']}}}c"):
            v = c.find("m:v", NS)
            if v is None:
                continue
            kind = c.get("t", "n")
            style = int(c.get("s") or 0)
            value: Any = self.strings[int(v.text or 0)] if kind == "s" else float(v.text or 0)
            bold = self.fonts_bold[self.xf_font[style]]
            out[c.get("r") or ""] = (kind, value, self.formats[style], bold)
        return out

    def frozen(self, sheet: str) -> bool:
        root = self._xml(self.sheets[sheet])
        pane = root.find(".//m:pane", NS)
        return pane is not None and pane.get("state") == "frozen" and pane.get("ySplit") == "1"


def info(**extra: Any) -> ExportInfo:
    data: dict[str, Any] = {
        "dashboard_key": "portfolio",
        "dashboard_title": "Pakalpojumu portfelis",
        "period": Period.of("month", date(2026, 3, 1)),
        "period_text": "2026. g. marts",
        "filters": [("Pakalpojums", "E-adrese"), ("Veids", "visi")],
        "generated_at": datetime(2026, 4, 1, 9, 0, tzinfo=timezone.UTC),
        "generated_by": "Anna Bērziņa",
    }
    data.update(extra)
    return ExportInfo(**data)


# --- CSV --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+37120000000", "'+37120000000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Nevar pieslēgties", "Nevar pieslēgties"),
        ("", ""),
    ],
)
def test_formulas_are_defused(text: str, safe: str) -> None:
    assert defuse(text) == safe


def test_csv_has_bom_header_plain_values_and_no_formulas() -> None:
    table = demo_tables()["test.bars"]
    with translation.override("en"):
        content = csv_bytes(table)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Kind",
        "Tickets",
        "Within SLA (%)",
        "Mean time to resolve (min)",
        "Last opened",
        "Example",
    ]
    assert rows[1] == [
        '\'=HYPERLINK("http://evil")',
        "1200",
        "97.5",
        "125",
        "2026-03-11 00:30",
        "INC-1",
    ]
    assert rows[2] == ["Change request", "3", "50", "3000", "2026-03-02", "CHG-2"]
    assert rows[3] == ["Suggestion", "0", "", "", "", ""]
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert content.endswith(b"\r\n")


def test_file_names() -> None:
    assert filename(info(), "volumes.by_kind", "csv") == (
        "zina-portfolio-volumes-by-kind-2026-03-01-2026-03-31.csv"
    )
    assert filename(info(), None, "xlsx") == "zina-portfolio-2026-03-01-2026-03-31.xlsx"


# --- XLSX -------------------------------------------------------------------------------------


def test_sheet_names_are_short_unique_and_legal() -> None:
    with translation.override("en"):  # "About" is the first sheet's name in English
        names = sheet_names(
            [
                "Tickets by service and priority over the whole period",
                "Tickets by service and priority over the whole period",
                "a/b:c*d?e[f]g\\h",
                "'quoted'",
                "",
                "About",
                "tickets BY service and priority over the whole period",
            ]
        )
    assert all(len(n) <= 31 for n in names)
    assert len({n.casefold() for n in names}) == len(names)
    assert not any(re.search(r"[\[\]:*?/\\]", n) for n in names)
    assert names[1].endswith("(2)")
    assert names[6].endswith("(3)")
    assert names[3] == "quoted"
    assert names[5] != "About"


def test_xlsx_has_an_about_sheet_and_typed_cells() -> None:
    tables = demo_tables()
    with translation.override("en"):
        content = xlsx_bytes(
            info(),
            [
                tables["test.bars"],
                tables["test.line"],
                tables["test.empty"],
                Missing("x.y", "x.y", "This figure is not available yet."),
            ],
        )
        book = Workbook(content)
    assert book.names() == ["About", "Kinds of tickets", "Tickets over time", "Nothing here", "x.y"]
    about = book.cells("About")
    texts = {v[1] for v in about.values()}
    assert "Zina report: Pakalpojumu portfelis" in texts
    assert {"2026. g. marts", "Pakalpojums", "E-adrese", "Generated at", "Anna Bērziņa"} <= texts
    assert "2026-04-01 12:00" in texts  # Riga time
    data = book.cells("Kinds of tickets")
    # Header: bold text, frozen.
    assert data["A1"][0] == "s"
    assert data["A1"][3] is True
    assert data["D1"][1] == "Mean time to resolve (min)"
    assert book.frozen("Kinds of tickets")
    # A formula-looking subject stays text (XLSX never runs it).
    assert data["A2"][:2] == ("s", '=HYPERLINK("http://evil")')
    # Numbers are numbers, a percentage is a fraction with a % format, dates are dates.
    assert data["B2"][:2] == ("n", 1200.0)
    assert data["B2"][2] == "#,##0"
    assert data["C2"][:2] == ("n", pytest.approx(0.975))
    assert data["C2"][2] == "0.0%"
    assert data["D2"][:2] == ("n", 125.0)
    assert data["E2"][0] == "n"
    assert data["E2"][2] == "yyyy-mm-dd hh:mm"
    assert data["E2"][1] == pytest.approx(46092 + 30 / 1440)  # 2026-03-11 00:30
    assert data["E3"][2] == "yyyy-mm-dd"
    assert data["F2"][:2] == ("s", "INC-1")
    assert "C4" not in data  # None is an empty cell
    assert book.cells("Nothing here")["A3"][1] == "No interruptions in this period."
    assert "This figure is not available yet." in {v[1] for v in book.cells("x.y").values()}


# --- Through the page ----------------------------------------------------------------------


def test_csv_download_of_one_table(superuser: User, demo: Demo) -> None:
    response = client_for(superuser).get(
        "/reports/demo/?period=month&on=2026-03-01&export=csv&table=test.bars"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="zina-demo-test-bars-2026-03-01-2026-03-31.csv"'
    )
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert b"'=HYPERLINK" in response.content
    # Only the asked-for metric was computed.
    assert demo.calls == {"test.bars": 1}


def test_xlsx_download_of_one_table(superuser: User, demo: Demo) -> None:
    response = client_for(superuser).get(
        "/reports/demo/?period=week&on=2026-03-11&export=xlsx&table=test.line"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="zina-demo-test-line-2026-03-09-2026-03-15.xlsx"'
    )
    book = Workbook(response.content)
    assert book.names() == ["About", "Tickets over time"]
    assert demo.calls == {"test.line": 1}


def test_xlsx_download_of_the_whole_dashboard(superuser: User, demo: Demo) -> None:
    response = client_for(superuser).get("/reports/demo/?period=month&on=2026-03-01&export=xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = Workbook(response.content)
    # One sheet per metric (test.bars once, though drawn twice), problems included.
    assert book.names() == [
        "About",
        "Kinds of tickets",
        "Tickets over time",
        "Nothing here",
        "test.missing",
        "test.broken",
    ]
    assert demo.calls == {"test.bars": 1, "test.line": 1, "test.empty": 1, "test.broken": 1}


def test_export_of_an_unknown_or_unregistered_table_is_404(superuser: User, demo: Demo) -> None:
    client = client_for(superuser)
    assert client.get("/reports/demo/?export=csv&table=volumes.by_kind").status_code == 404
    assert client.get("/reports/demo/?export=csv&table=test.missing").status_code == 404
    assert client.get("/reports/demo/?export=csv&table=test.broken").status_code == 503


def test_exports_keep_the_page_permissions(
    owner: User,
    superuser: User,
    institution: Institution,
    other_institution: Institution,
    services: dict[str, Service],
) -> None:
    open_tickets(superuser, institution, services["eadr"], 2)
    open_tickets(superuser, institution, services["reg"], 3)
    open_tickets(superuser, other_institution, services["spa"], 4)
    client = client_for(owner)
    assert client.get("/reports/portfolio/?export=xlsx").status_code == 403
    assert client.get("/reports/portfolio/?export=csv&table=volumes.by_service").status_code == 403
    response = client.get("/reports/service/?export=csv&table=volumes.by_service")
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert "E-adrese" in text
    assert "Uzņēmumu reģistrs" not in text
    assert "Pabalsti" not in text
    response = client.get("/reports/service/?export=xlsx")
    assert response.status_code == 200
    book = Workbook(response.content)
    everything = " ".join(str(v[1]) for name in book.names() for v in book.cells(name).values())
    assert "E-adrese" in everything
    assert "Uzņēmumu reģistrs" not in everything
    assert "Pabalsti" not in everything
    metrics = {k for s in DASHBOARDS["service"].sections for k in s.metrics}
    assert len(book.names()) == 1 + len(metrics)
