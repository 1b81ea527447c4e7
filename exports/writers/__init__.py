"""Writers: one `Document` → one file in a format. `write(doc, fmt, path)` picks the writer."""
from __future__ import annotations

from pathlib import Path

from exports.doc import Document

DOC_FORMATS = ("docx", "odt", "pdf", "md", "html", "xlsx")


def write(doc: Document, fmt: str, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "docx":
        from exports.writers.docx import write_docx
        write_docx(doc, path)
    elif fmt == "odt":
        from exports.writers.odt import write_odt
        write_odt(doc, path)
    elif fmt == "pdf":
        from exports.writers.html import write_pdf
        write_pdf(doc, path)
    elif fmt == "html":
        from exports.writers.html import write_html
        write_html(doc, path)
    elif fmt == "md":
        from exports.writers.markdown import write_markdown
        write_markdown(doc, path)
    elif fmt == "xlsx":
        from exports.writers.xlsx import write_xlsx
        write_xlsx(doc, path)
    else:
        raise ValueError(f"unknown document format {fmt!r} (known: {', '.join(DOC_FORMATS)})")
    return path
