"""HTML from the jinja2 template, and PDF from that HTML with WeasyPrint (Pango shapes Arabic)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from exports.doc import Document, Image, Table, is_rtl_text, segments
from exports.labels import Labels

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
FONT = '"DejaVu Sans", "Noto Sans", "Noto Naskh Arabic", sans-serif'


def tdir(text: Any, rtl: bool) -> str:
    """The direction of one paragraph or cell: from its first strong character outside isolated
    values (a French sentence quoted in an Arabic document stays left-to-right), else the
    document's. This is what `dir="auto"` means; it is written out because WeasyPrint does not
    resolve `auto` itself."""
    return "rtl" if is_rtl_text(str(text or ""), rtl) else "ltr"


def bidi(text: Any, rtl: bool) -> Markup:
    """Escaped text whose isolated values become `<bdi dir="…">` elements (WeasyPrint, like
    browsers, isolates them; it ignores the Unicode isolate characters themselves)."""
    return Markup("").join(
        escape(piece) if d is None else Markup('<bdi dir="{}">{}</bdi>').format(d, piece)
        for piece, d in segments(str(text if text is not None else ""), rtl)
    )


@lru_cache(maxsize=1)
def env() -> Environment:
    e = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    e.filters["tdir"] = tdir
    e.filters["bidi"] = bidi
    return e


def block_views(doc: Document) -> list[dict[str, Any]]:
    out = []
    for b in doc.blocks:
        view: dict[str, Any] = {"kind": type(b).__name__.lower(), "block": b}
        if isinstance(b, Table) and b.widths:
            total = sum(b.widths)
            view["widths_pct"] = [round(100 * w / total, 2) for w in b.widths]
        if isinstance(b, Image):
            view["uri"] = Path(b.path).resolve().as_uri()
        out.append(view)
    return out


def render_html(doc: Document) -> str:
    return (
        env()
        .get_template("document.html.j2")
        .render(doc=doc, blocks=block_views(doc), font=FONT, page_label=Labels(doc.lang).t("doc.page"))
    )


def write_html(doc: Document, path: Path) -> None:
    path.write_text(render_html(doc), encoding="utf-8")


def write_pdf(doc: Document, path: Path) -> None:
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    HTML(string=render_html(doc), base_url=str(TEMPLATES)).write_pdf(str(path))
