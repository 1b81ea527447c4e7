"""A small, neutral document model that every writer understands.

Builders (logframe, reports, poll results) describe *what* a document says as a list of blocks;
writers (DOCX, ODT, PDF via HTML, Markdown, XLSX) decide *how* each format shows it. So the
content is written once, and French and Arabic (right-to-left) are handled once per format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from domain.languages import is_rtl
from domain.text import FSI, PDI, direction


def is_rtl_text(text: str, default: bool) -> bool:
    d = direction(text)
    return default if d is None else d == "rtl"


def segments(text: str, rtl: bool) -> list[tuple[str, str | None]]:
    """The text cut at its isolates: (piece, None) for the running text, (piece, "ltr"/"rtl")
    for an isolated value and its own direction (from its first strong character, else the
    direction opposite to the document's). Writers turn isolated pieces into their format's
    isolation (HTML `<bdi dir>`, DOCX and ODT runs)."""
    out: list[tuple[str, str | None]] = []
    depth, buf = 0, ""
    for ch in str(text):
        if ch == FSI:
            if depth == 0 and buf:
                out.append((buf, None))
                buf = ""
            elif depth:
                buf += ch
            depth += 1
        elif ch == PDI and depth:
            depth -= 1
            if depth == 0:
                d = direction(buf) or ("ltr" if rtl else "rtl")
                out.append((buf, d))
                buf = ""
            else:
                buf += ch
        else:
            buf += ch
    if buf:
        out.append((buf, None if depth == 0 else (direction(buf) or ("ltr" if rtl else "rtl"))))
    return out


def plain(text: str) -> str:
    """The text without isolates (a spreadsheet cell, a chart label: one value, one direction)."""
    return str(text).replace(FSI, "").replace(PDI, "")


@dataclass
class Heading:
    text: str
    level: int = 1  # 1 = section, 2 = subsection, 3 = minor


@dataclass
class Para:
    text: str
    style: str = "body"  # body | note | meta | placeholder (a space left for the reader to fill)


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]]  # text; a spreadsheet's table may hold numbers, dates and None
    widths: list[float] | None = None  # relative column widths
    sheet: str | None = None  # worksheet name when written to XLSX
    numeric: set[int] = field(default_factory=set)  # columns holding numbers (aligned, typed)
    dates: set[int] = field(default_factory=set)  # columns holding dates (a spreadsheet's)
    group_rows: set[int] = field(default_factory=set)  # rows shown as a band (a level title)
    compact: bool = False  # smaller type (long programme-wide tables)


def fitted_widths(t: Table, total: float, char: float, pad: float = 0.25) -> list[float]:
    """Column widths summing to `total` (cm), each at least as wide as its longest word (`char`
    cm a character, `pad` the cell's padding) when the table can afford it: word processors
    otherwise cut a word that does not fit ("Appréciati/on"). The width a column gains is taken
    from the columns with room to spare, in proportion to that room."""
    n = len(t.headers)
    rel = t.widths or [1.0] * n
    widths = [total * w / sum(rel) for w in rel]
    need = []
    for i in range(n):
        cells = [t.headers[i]] + [
            r[i] for k, r in enumerate(t.rows) if k not in t.group_rows and i < len(r) and r[i] is not None
        ]
        longest = max((len(w) for c in cells for w in plain(str(c)).split()), default=0)
        need.append(longest * char + pad)
    if sum(need) > total:
        return widths
    short = sum(max(0.0, need[i] - widths[i]) for i in range(n))
    room = [max(0.0, widths[i] - need[i]) for i in range(n)]
    if short <= 0 or sum(room) <= 0:
        return widths
    take = min(1.0, short / sum(room))
    return [max(need[i], widths[i] - room[i] * take) if widths[i] >= need[i] else need[i] for i in range(n)]


@dataclass
class Image:
    path: Path
    width_cm: float = 15.0
    caption: str | None = None


@dataclass
class PageBreak:
    pass


Block = Union[Heading, Para, Bullets, Table, Image, PageBreak]


@dataclass
class Document:
    title: str
    lang: str
    blocks: list[Block] = field(default_factory=list)
    subtitle: str | None = None
    landscape: bool = False
    meta: dict[str, str] = field(default_factory=dict)  # shown under the title (label → value)

    @property
    def rtl(self) -> bool:
        return is_rtl(self.lang)

    def add(self, *blocks: Block) -> "Document":
        self.blocks.extend(blocks)
        return self

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]
