"""XLSX with openpyxl: each table of the document on its own worksheet (the first one under the
title and the meta lines). Arabic workbooks show their sheets right to left. Numbers are
numbers and dates are dates (with a display format); a cell holds its value alone, without the
invisible isolation marks a document's text carries (the cell's reading order does that job)."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from babel.numbers import NumberFormatError, parse_decimal

from exports.doc import Document, Heading, Table, is_rtl_text, plain
from exports.labels import LOCALES

THIN = Side(style="thin", color="9AA9B8")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="DDE7F0")
BAND_FILL = PatternFill("solid", fgColor="EEF3F7")
_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_title(name: str, used: set[str]) -> str:
    base = _BAD.sub(" ", name).strip()[:31] or "Sheet"
    title, i = base, 2
    while title.lower() in used:
        suffix = f" ({i})"
        title = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(title.lower())
    return title


DATE_FORMAT = "DD/MM/YYYY"
NUMBER_FORMAT = "#,##0.###"


def typed(value: Any, lang: str):
    """A number written in the document's locale ("1 234,5", "1.234,5") becomes a number;
    anything else stays as it is."""
    if not isinstance(value, str):
        return value
    text = plain(value).strip()
    if not re.fullmatch(r"-?[\d\s\u202f\u00a0.,]+", text) or not re.search(r"\d", text):
        return text
    try:
        n = parse_decimal(text, locale=LOCALES.get(lang, "fr_MA"), strict=True)
    except (NumberFormatError, ValueError):
        return text
    return int(n) if n == n.to_integral_value() else float(n)


def _cell_value(value: Any, lang: str, numeric: bool) -> Any:
    if numeric:
        return typed(value, lang)
    if isinstance(value, str):
        return plain(value)
    return value


def align(value, rtl: bool) -> Alignment:
    """Right-to-left reading order for Arabic cells (a Latin cell stays left-to-right)."""
    r = is_rtl_text(str(value), rtl)
    return Alignment(
        wrap_text=True, vertical="top", horizontal="right" if r else "left", readingOrder=2 if r else 1
    )


def write_table(ws, t: Table, start_row: int, rtl: bool, lang: str = "fr") -> int:
    r = start_row
    for i, h in enumerate(t.headers, start=1):
        c = ws.cell(row=r, column=i, value=plain(h))
        c.font, c.fill, c.border, c.alignment = Font(bold=True), HEAD_FILL, BOX, align(h, rtl)
    for ri, row in enumerate(t.rows):
        r += 1
        if ri in t.group_rows:
            c = ws.cell(row=r, column=1, value=plain(row[0]))
            c.font, c.fill, c.alignment = Font(bold=True), BAND_FILL, align(row[0], rtl)
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(t.headers))
            continue
        for i, value in enumerate(row, start=1):
            c = ws.cell(row=r, column=i, value=_cell_value(value, lang, (i - 1) in t.numeric))
            c.border, c.alignment = BOX, align(value if value is not None else "", rtl)
            if isinstance(c.value, (date, datetime)):
                c.number_format = DATE_FORMAT
            elif isinstance(c.value, (int, float)) and not isinstance(c.value, bool):
                c.number_format = NUMBER_FORMAT
    widths = t.widths or [1.0] * len(t.headers)
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(12, min(60, 9 * w))
    return r


def write_xlsx(doc: Document, path: Path) -> None:
    wb = Workbook()
    used: set[str] = set()
    tables: list[tuple[str | None, Table]] = []
    heading: str | None = None
    for b in doc.blocks:
        if isinstance(b, Heading):
            heading = b.text
        elif isinstance(b, Table):
            tables.append((heading, b))
            heading = None
    first = True
    for heading, t in tables or [(None, Table(headers=[], rows=[]))]:
        ws = wb.active if first else wb.create_sheet()
        ws.title = sheet_title(t.sheet or doc.title, used)
        ws.sheet_view.rightToLeft = doc.rtl
        row = 1
        if first:
            ws.cell(row=1, column=1, value=plain(doc.title)).font = Font(bold=True, size=14)
            row = 2
            if doc.subtitle:
                ws.cell(row=row, column=1, value=plain(doc.subtitle)).font = Font(italic=True)
                row += 1
            for k, v in doc.meta.items():
                ws.cell(row=row, column=1, value=plain(k)).font = Font(bold=True)
                ws.cell(row=row, column=2, value=plain(v))
                row += 1
            row += 1
        elif heading:
            ws.cell(row=1, column=1, value=plain(heading)).font = Font(bold=True, size=12)
            row = 3
        end = write_table(ws, t, row, doc.rtl, doc.lang) if t.headers else row
        ws.freeze_panes = ws.cell(row=row + 1, column=1) if t.headers else None
        ws.print_options.gridLines = False
        ws.page_setup.orientation = "landscape" if doc.landscape else "portrait"
        ws.page_setup.fitToWidth = 1
        _ = end
        first = False
    wb.save(str(path))
