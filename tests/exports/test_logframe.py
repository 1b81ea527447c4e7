"""The logframe: its data (JSON) and every format, opened again with an independent reader."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from domain.records import Indicator, Measurement
from exports.labels import Labels, problems
from exports.logframe import latest_measurement, logframe_dict, logframe_document
from exports.service import LOGFRAME_FORMATS, export_logframe

from tests.exports.readback import (
    clean,
    docx_table_headers,
    odt_styles_xml,
    pdf_pages,
    read_text,
    xlsx_cells,
)


def test_labels_have_french_and_arabic_with_the_same_placeholders():
    assert problems() == []
    assert Labels("ary").lang == "ar" and Labels("ary-Latn").lang == "fr"


def test_the_dict_sorts_effects_by_level_and_keeps_the_unexpected_apart(project_fr):
    lf = logframe_dict(project_fr)
    assert [e["statement"][:20] for e in lf["overall_objective"]] == ["Les jeunes de Berkan"]
    assert len(lf["effects"]) == 2 and len(lf["outputs"]) == 2
    assert {e["party"] for e in lf["unexpected_effects"]} == {"families", "non_selected_peers"}
    assert all(e["expected"] for e in lf["effects"] + lf["outputs"] + lf["overall_objective"])
    ind = lf["effects"][0]["indicators"][0]
    assert ind["baseline"]["value"] == 18 and ind["target"]["value"] == 45
    assert ind["latest"]["value"] == 31 and ind["latest"]["period"] == "2026-S1"
    assert lf["activities"] == project_fr.activities
    assert {
        "kind": "party",
        "party": "non_selected_peers",
        "how": "Les jeunes non retenus peuvent se sentir écartés",
    } in lf["risks"]
    assert [p["category"] for p in lf["target_publics"]] == ["youth", "women", "disability"]
    json.dumps(lf)  # JSON-ready


def test_latest_measurement_is_the_last_recorded_not_the_last_listed():
    t = lambda m: datetime(2026, m, 1, tzinfo=timezone.utc)  # noqa: E731
    ind = Indicator(
        label="x",
        measurements=[
            Measurement(period="2026-S1", value=5, recorded_at=t(6)),
            Measurement(period="2025-S2", value=3, recorded_at=t(1)),
        ],
    )
    assert latest_measurement(ind).value == 5
    assert latest_measurement(Indicator(label="y")) is None


def test_the_table_has_a_band_per_level_and_one_row_per_indicator(project_fr):
    doc = logframe_document(project_fr, "fr")
    table = doc.tables()[0]
    bands = [table.rows[i][0] for i in sorted(table.group_rows)]
    assert bands == ["Objectif global", "Effets (objectif spécifique)", "Résultats (extrants)", "Activités"]
    n_indicators = sum(len(e.indicators) for e in project_fr.effects if e.expected)
    n_activities = len(project_fr.activities)
    assert len(table.rows) == 4 + n_indicators + n_activities
    row = next(r for r in table.rows if r[1].startswith("% des jeunes formés"))
    assert row[2] == "18\u00a0% (15/01/2025)" and row[3] == "45\u00a0% (31/12/2026)"
    assert row[4] == "31\u00a0% (1er semestre 2026)" and "Appels de suivi à 6 mois" in row[5]
    assert "semestrielle" in row[5]  # the frequency's code through the labels
    assert "Pairs non sélectionnés" in row[6]


def test_an_indicator_without_baseline_shows_its_plan(project_belfaa):
    doc = logframe_document(project_belfaa, "fr")
    row = next(r for r in doc.tables()[0].rows if r[1].startswith("Part des usagers"))
    assert row[2].startswith("Plan : Premier sondage")


FR = [
    "Cadre logique",
    "Logique d'intervention",
    "Objectif global",
    "Sources de vérification",
    "Hypothèses et risques",
    "Publics cibles",
    "Parties concernées",
    "Effets inattendus",
    "Passerelle emploi jeunes",
    "Pairs non sélectionnés",
    "Familles des participants",
    "Tenir 2 forums emploi avec les entreprises locales",
]
AR = [
    "الإطار المنطقي",
    "منطق التدخل",
    "الهدف العام",
    "مصادر التحقق",
    "الفئات المستهدفة",
    "الأطراف المعنية",
    "الآثار غير المتوقعة",
    "تشغيل حافلتين للنقل المدرسي بين الدواوير والإعدادية",
    "أسر المشاركين",
    "آيت زينب",
]


@pytest.mark.parametrize("fmt", [f for f in LOGFRAME_FORMATS if f != "json"])
def test_every_format_reads_back_in_french(fmt, project_fr, communes, tmp_path):
    path = export_logframe(project_fr, fmt, "fr", tmp_path / f"lf.{fmt}", communes["berkane"])
    text = read_text(path)
    missing = [w for w in FR if w not in text]
    assert not missing, f"{fmt}: {missing}"
    assert "الإطار المنطقي" not in text


@pytest.mark.parametrize("fmt", [f for f in LOGFRAME_FORMATS if f != "json"])
def test_every_format_reads_back_in_arabic(fmt, project_ar, communes, tmp_path):
    path = export_logframe(project_ar, fmt, "ar", tmp_path / f"lf.{fmt}", communes["ait_zineb"])
    text = read_text(path)
    missing = [w for w in AR if w not in text]
    assert not missing, f"{fmt}: {missing}"
    assert "Logique d'intervention" not in text


def test_json_is_the_dict(project_ar, tmp_path):
    path = export_logframe(project_ar, "json", "ar", tmp_path / "lf.json")
    assert json.loads(path.read_text(encoding="utf-8")) == logframe_dict(project_ar)


def test_arabic_documents_are_right_to_left(project_ar, project_fr, tmp_path):
    # DOCX: paragraphs and tables flagged right-to-left; a French sentence stays left-to-right
    import zipfile

    ar = export_logframe(project_ar, "docx", "ar", tmp_path / "ar.docx")
    xml = zipfile.ZipFile(ar).read("word/document.xml").decode()
    assert "<w:bidiVisual/>" in xml and "<w:bidi/>" in xml and "<w:rtl/>" in xml
    fr = export_logframe(project_fr, "docx", "fr", tmp_path / "fr.docx")
    assert "<w:bidi/>" not in zipfile.ZipFile(fr).read("word/document.xml").decode()
    mixed = export_logframe(project_fr, "docx", "ar", tmp_path / "mixed.docx")
    mxml = zipfile.ZipFile(mixed).read("word/document.xml").decode()
    assert '<w:bidi w:val="0"/>' in mxml and "<w:bidi/>" in mxml
    assert docx_table_headers(ar)[0][0] == "منطق التدخل"
    # ODT: right-to-left writing mode on the page, paragraphs and tables
    odt = odt_styles_xml(export_logframe(project_ar, "odt", "ar", tmp_path / "ar.odt"))
    assert 'writing-mode="rl-tb"' in odt and 'language-complex="ar"' in odt
    assert 'writing-mode="rl-tb"' not in odt_styles_xml(
        export_logframe(project_fr, "odt", "fr", tmp_path / "fr.odt")
    )
    # XLSX: sheets shown right to left
    from openpyxl import load_workbook

    wb = load_workbook(export_logframe(project_ar, "xlsx", "ar", tmp_path / "ar.xlsx"))
    assert all(ws.sheet_view.rightToLeft for ws in wb.worksheets)
    wb = load_workbook(export_logframe(project_fr, "xlsx", "fr", tmp_path / "fr.xlsx"))
    assert not any(ws.sheet_view.rightToLeft for ws in wb.worksheets)
    # Markdown: a right-to-left block
    md = export_logframe(project_ar, "md", "ar", tmp_path / "ar.md").read_text(encoding="utf-8")
    assert md.startswith('<div dir="rtl" lang="ar">') and md.rstrip().endswith("</div>")


def test_the_arabic_pdf_holds_shaped_text_in_logical_order(project_ar, tmp_path):
    from pypdf import PdfReader

    path = export_logframe(project_ar, "pdf", "ar", tmp_path / "ar.pdf")
    raw = "".join(p.extract_text() for p in PdfReader(str(path)).pages)
    # Pango shapes the letters (contextual glyphs) and the text layer keeps reading order
    assert "الإطار المنطقي" in clean(raw)
    assert pdf_pages(path) <= 3


def test_xlsx_has_one_sheet_per_table_and_typed_numbers(project_fr, tmp_path):
    cells = xlsx_cells(export_logframe(project_fr, "xlsx", "fr", tmp_path / "lf.xlsx"))
    assert list(cells) == ["Cadre logique", "Publics cibles", "Parties concernées", "Effets inattendus"]
    publics = cells["Publics cibles"]
    assert publics[0][0] == "Publics cibles"  # the section title above the table
    start = publics.index(["Public", "Précision", "Nombre attendu"])
    assert [r[2] for r in publics[start + 1 :]] == [150, 60, 12]
    sheet = cells["Cadre logique"]
    header = next(r for r in sheet if r[0] == "Logique d'intervention")
    assert header[2:9] == [
        "Unité",
        "Situation de référence",
        "Date de référence",
        "Cible",
        "Échéance",
        "Dernière valeur",
        "Période mesurée",
    ]
    assert header[10] == "Hypothèses et risques"
    row = next(r for r in sheet if str(r[1]).startswith("% des jeunes formés"))
    # numbers as numbers, dates as dates (not "18 % (15/01/2025)")
    assert row[2:9] == ["%", 18, datetime(2025, 1, 15), 45, datetime(2026, 12, 31), 31, "1er semestre 2026"]
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "lf.xlsx")["Cadre logique"]
    cell = next(c for r in ws.iter_rows() for c in r if c.value == datetime(2025, 1, 15))
    assert cell.number_format == "DD/MM/YYYY" and cell.is_date


def test_arabic_xlsx_cells_hold_no_invisible_marks(project_fr, tmp_path):
    cells = xlsx_cells(export_logframe(project_fr, "xlsx", "ar", tmp_path / "lf.xlsx"))
    marks = [
        v
        for rows in cells.values()
        for r in rows
        for v in r
        if isinstance(v, str) and any(c in v for c in "\u2066\u2067\u2068\u2069\u200e\u200f")
    ]
    assert not marks
    sheet = cells["الإطار المنطقي"]
    row = next(r for r in sheet if str(r[1]).startswith("Nombre de jeunes ayant terminé"))
    assert row[3] == 0 and row[5] == 120 and row[7] == 97


def test_an_empty_project_still_exports(tmp_path, communes):
    from domain.records import Project

    p = Project(id=1, commune_id="gourrama", title="Projet vide")
    for fmt in LOGFRAME_FORMATS:
        path = export_logframe(p, fmt, "fr", tmp_path / f"e.{fmt}", communes["gourrama"])
        if fmt != "json":
            assert "À compléter" in read_text(path), fmt
