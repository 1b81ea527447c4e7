"""Markdown from the jinja2 template. Arabic documents are wrapped in a right-to-left block
(`<div dir="rtl">`), which GitHub, GitLab and most Markdown viewers honour. Charts are embedded
in the file as `data:` URIs, so a Markdown export is one file and leaves nothing beside it."""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader

from exports.doc import Bullets, Document, Heading, Image, PageBreak, Para, Table

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _md(text: Any) -> str:
    """Inline text: no line break that would end a list item or a paragraph."""
    return " ".join(str(text).split()).strip()


def _cell(text: Any) -> str:
    return "<br>".join(_md(x) for x in str(text).split("\n")).replace("|", "\\|")


def _table(t: Table) -> str:
    lines = [
        "| " + " | ".join(_cell(h) for h in t.headers) + " |",
        "|" + "|".join("---:" if i in t.numeric else "---" for i in range(len(t.headers))) + "|",
    ]
    for ri, row in enumerate(t.rows):
        cells = [_cell(c) for c in row]
        if ri in t.group_rows:
            cells = [f"**{cells[0]}**"] + [""] * (len(t.headers) - 1)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _block(view: dict[str, Any]) -> str:
    b = view["block"]
    if isinstance(b, Heading):
        return "#" * (b.level + 1) + " " + _md(b.text)
    if isinstance(b, Para):
        if b.style == "note":
            return "> " + _md(b.text)
        if b.style == "placeholder":
            return "> _" + _md(b.text) + "_\n>\n> …"
        return "\n".join(_md(x) for x in b.text.split("\n"))
    if isinstance(b, Bullets):
        return "\n".join("- " + _md(x) for x in b.items)
    if isinstance(b, Table):
        return _table(b)
    if isinstance(b, Image):
        return f"![{_md(b.caption or '')}]({view['rel']})"
    if isinstance(b, PageBreak):
        return "---"
    return ""


@lru_cache(maxsize=1)
def env() -> Environment:
    e = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    e.filters["md"] = _md
    e.filters["block"] = _block
    return e


def render_markdown(doc: Document) -> str:
    views = []
    for b in doc.blocks:
        view: dict[str, Any] = {"block": b}
        if isinstance(b, Image):
            data = base64.b64encode(Path(b.path).read_bytes()).decode("ascii")
            view["rel"] = f"data:image/png;base64,{data}"
        views.append(view)
    text = env().get_template("document.md.j2").render(doc=doc, blocks=views)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip() + "\n"


def write_markdown(doc: Document, path: Path) -> None:
    path.write_text(render_markdown(doc), encoding="utf-8")
