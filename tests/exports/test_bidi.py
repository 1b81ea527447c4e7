"""Mixed-direction text in Arabic documents: each format is laid out by a real renderer
(WeasyPrint for PDF, LibreOffice for DOCX and ODT), page 1 is rendered to PNG, and the text
poppler reads back from the laid-out page keeps known mixed strings in order."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from bot.commands._demo_data import MemoryStore, build_demo, materialise, project_data
from exports.reports import CommuneData, ReportInput, export_report

pytestmark = pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils: make test installs it")
CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def laid_out_pdf(path: Path, tmp: Path) -> Path:
    if path.suffix == ".pdf":
        return path
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is needed: make test installs it"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp}/profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp / "lo"),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return tmp / "lo" / (path.stem + ".pdf")


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["pdf", "docx", "odt"])
def test_arabic_pages_keep_mixed_strings_in_order(fmt, tmp_path):
    from knowledge.loader import load_communes

    communes = {c.id: c for c in load_communes()}
    pd = project_data(materialise(build_demo("berkane"), MemoryStore()))  # a French project
    data = ReportInput(
        kind="final", today=date(2026, 11, 29), communes=[CommuneData("berkane", communes["berkane"], [pd])]
    )
    pdf = laid_out_pdf(export_report(data, fmt, "ar", tmp_path / f"report.{fmt}"), tmp_path)
    png = tmp_path / "page"
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(pdf), str(png)], check=True, timeout=120
    )
    page = next(tmp_path.glob("page*.png"))
    assert page.stat().st_size > 20_000  # a page with text, tables and headings on it
    text = CONTROLS.sub(
        "",
        subprocess.run(
            ["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout,
    )
    # a year range after Arabic letters: "2026-2022" when the digits are not isolated
    assert "2022-2026" in text and "2026-2022" not in text
    # the French problem statement quoted in the Arabic report ends with its own full stop
    assert "besoins spécifiques." in text
    assert not re.search(r"^\.\s*[A-Za-zÀ-ÿ]", text, re.M)  # no French full stop thrown to a line start
    # the plural forms and numbers of the summary, not "(s)" or "شخص(أشخاص)"
    assert "(s)" not in text and "(أشخاص)" not in text


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["docx", "odt"])
def test_no_word_is_cut_in_narrow_table_columns(fmt, tmp_path):
    from bot.commands._demo_data import DEMO_COMMUNES
    from knowledge.loader import load_communes
    from exports.labels import Labels

    communes = {c.id: c for c in load_communes()}
    store = MemoryStore()
    data = ReportInput(
        kind="semester",
        programme=True,
        today=date(2026, 11, 29),
        communes=[
            CommuneData(c, communes[c], [project_data(materialise(build_demo(c), store))])
            for c in DEMO_COMMUNES
        ],
    )
    pdf = laid_out_pdf(export_report(data, fmt, "fr", tmp_path / f"report.{fmt}"), tmp_path)
    lines = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout.splitlines()
    words = {w for x in lines for w in x.split()}
    L = Labels("fr")
    for header in ("report.col_progress", "report.col_status", "report.col_respondents"):
        word = L.t(header)  # whole, not "Progrè" and "s" on two lines
        assert word in words, (word, [w for w in words if w and word.startswith(w)])
