"""Writers: one `Document` → one file in a format. `write(doc, fmt, path)` picks the writer.

Every file is written to a temporary file beside its destination and renamed into place
(`atomic_path`), so a reader never sees half a file and a failed export leaves nothing behind.
Free text in a document has its phone numbers and e-mail addresses masked on the way out
(`domain.privacy`).
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Iterator

from domain.privacy import mask_identifiers

from exports.doc import Bullets, Document, Heading, Image, Para, Table

DOC_FORMATS = ("docx", "odt", "pdf", "md", "html", "xlsx")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path` (same suffix) to write to; renamed to `path` when the
    block succeeds, removed when it fails."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem[:40]}-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def masked(doc: Document) -> Document:
    """The document with contact details masked in every text it shows."""
    m = lambda t: mask_identifiers(t) if isinstance(t, str) else t  # noqa: E731
    blocks = []
    for b in doc.blocks:
        if isinstance(b, (Heading, Para)):
            b = replace(b, text=m(b.text))
        elif isinstance(b, Bullets):
            b = replace(b, items=[m(x) for x in b.items])
        elif isinstance(b, Table):
            b = replace(b, headers=[m(x) for x in b.headers], rows=[[m(c) for c in r] for r in b.rows])
        elif isinstance(b, Image) and b.caption:
            b = replace(b, caption=m(b.caption))
        blocks.append(b)
    return replace(
        doc,
        title=m(doc.title),
        subtitle=m(doc.subtitle),
        blocks=blocks,
        meta={m(k): m(v) for k, v in doc.meta.items()},
    )


def write(doc: Document, fmt: str, path: str | Path) -> Path:
    path = Path(path)
    if fmt not in DOC_FORMATS:
        raise ValueError(f"unknown document format {fmt!r} (known: {', '.join(DOC_FORMATS)})")
    with atomic_path(path) as tmp:
        _write(masked(doc), fmt, tmp)
    return path


def _write(doc: Document, fmt: str, path: Path) -> None:
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
