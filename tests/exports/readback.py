"""Open an exported file with an independent reader and return its text (tests only)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

INVISIBLE = {ord(c): None for c in "\u2066\u2067\u2068\u2069\u200e\u200f\u202a\u202b\u202c"}


def clean(text: str) -> str:
    """NFKC (Arabic presentation forms back to letters), no bidi controls, single spaces."""
    t = unicodedata.normalize("NFKC", text).translate(INVISIBLE)
    return " ".join(t.split())


def docx_text(path: Path) -> str:
    from docx import Document

    d = Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        for row in t.rows:
            for c in row.cells:
                parts.append(c.text)
    return clean("\n".join(parts))


def docx_table_headers(path: Path) -> list[list[str]]:
    from docx import Document

    d = Document(str(path))
    return [[clean(c.text) for c in t.rows[0].cells] for t in d.tables]


def odt_text(path: Path) -> str:
    from odf import teletype, text
    from odf.opendocument import load

    doc = load(str(path))
    parts = [teletype.extractText(p) for p in doc.getElementsByType(text.P)]
    parts += [teletype.extractText(h) for h in doc.getElementsByType(text.H)]
    return clean("\n".join(parts))


def odt_styles_xml(path: Path) -> str:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return z.read("styles.xml").decode() + z.read("content.xml").decode()


def pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return clean("\n".join(p.extract_text() or "" for p in PdfReader(str(path)).pages))


def pdf_pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(str(path)).pages)


def office_pages(path: Path) -> int:
    """Pages of a DOCX or ODT as LibreOffice lays it out (converted to PDF, then counted): the
    editable reports' page limits are measured the way a reader opening them would see them.
    LibreOffice Writer is installed by `make test` (exports/exports.mk)."""
    import shutil
    import subprocess
    import tempfile

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice (soffice) is needed to count the pages of DOCX/ODT: make test installs it"
    with tempfile.TemporaryDirectory(prefix="athar-lo-") as tmp:
        out = Path(tmp) / "out"
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{tmp}/profile",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out),
                str(path),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        return pdf_pages(out / (path.stem + ".pdf"))


def xlsx_cells(path: Path) -> dict[str, list[list[object]]]:
    from openpyxl import load_workbook

    wb = load_workbook(str(path))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def xlsx_text(path: Path) -> str:
    return clean(
        "\n".join(str(v) for rows in xlsx_cells(path).values() for r in rows for v in r if v is not None)
    )


def read_text(path: Path) -> str:
    ext = path.suffix.lstrip(".")
    if ext == "docx":
        return docx_text(path)
    if ext == "odt":
        return odt_text(path)
    if ext == "pdf":
        return pdf_text(path)
    if ext == "xlsx":
        return xlsx_text(path)
    return clean(path.read_text(encoding="utf-8"))
