"""XLSX with openpyxl: each table of the document on its own worksheet (the first one under the
title and the meta lines). Arabic workbooks show their sheets right to left."""
from __future__ import annotations

import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from exports.doc import Document, Heading, Table, is_rtl_text

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
        title = base[:31 - len(suffix)] + suffix
        i += 1
    used.add(title.lower())
    return title


def typed(value: str):
    """A number stays a number in the spreadsheet (thin spaces and decimal commas allowed)."""
    s = str(value).replace("\u202f", "").replace(" ", "").replace(",", ".")
    if re.fullmatch(r"-?\d+", s):
        return int(s)
    if re.fullmatch(r"-?\d+\.\d+", s):
        return float(s)
    return value


def align(value, rtl: bool) -> Alignment:
    """Right-to-left reading order for Arabic cells (a Latin cell stays left-to-right)."""
    r = is_rtl_text(str(value), rtl)
    return Alignment(wrap_text=True, vertical="top", horizontal="right" if r else "left",
                     readingOrder=2 if r else 1)


def write_table(ws, t: Table, start_row: int, rtl: bool) -> int:
    r = start_row
    for i, h in enumerate(t.headers, start=1):
        c = ws.cell(row=r, column=i, value=h)
        c.font, c.fill, c.border, c.alignment = Font(bold=True), HEAD_FILL, BOX, align(h, rtl)
    for ri, row in enumerate(t.rows):
        r += 1
        if ri in t.group_rows:
            c = ws.cell(row=r, column=1, value=row[0])
            c.font, c.fill, c.alignment = Font(bold=True), BAND_FILL, align(row[0], rtl)
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(t.headers))
            continue
        for i, value in enumerate(row, start=1):
            c = ws.cell(row=r, column=i, value=typed(value) if (i - 1) in t.numeric else value)
            c.border, c.alignment = BOX, align(value, rtl)
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
            ws.cell(row=1, column=1, value=doc.title).font = Font(bold=True, size=14)
            row = 2
            if doc.subtitle:
                ws.cell(row=row, column=1, value=doc.subtitle).font = Font(italic=True)
                row += 1
            for k, v in doc.meta.items():
                ws.cell(row=row, column=1, value=k).font = Font(bold=True)
                ws.cell(row=row, column=2, value=v)
                row += 1
            row += 1
        elif heading:
            ws.cell(row=1, column=1, value=heading).font = Font(bold=True, size=12)
            row = 3
        end = write_table(ws, t, row, doc.rtl) if t.headers else row
        ws.freeze_panes = ws.cell(row=row + 1, column=1) if t.headers else None
        ws.print_options.gridLines = False
        ws.page_setup.orientation = "landscape" if doc.landscape else "portrait"
        ws.page_setup.fitToWidth = 1
        _ = end
        first = False
    wb.save(str(path))
