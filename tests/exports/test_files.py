"""The editable files as their readers see them: DOCX properties and column widths, ODT lists."""

from __future__ import annotations

from datetime import datetime, timezone

from exports.service import export_logframe


def test_docx_has_its_properties_and_real_column_widths(project_ar, communes, tmp_path):
    from docx import Document
    from docx.oxml.ns import qn

    path = export_logframe(project_ar, "docx", "ar", tmp_path / "lf.docx", communes["ait_zineb"])
    d = Document(str(path))
    cp = d.core_properties
    assert cp.title == "الإطار المنطقي — " + project_ar.title
    assert cp.author == cp.last_modified_by == "Athar" and cp.language == "ar-MA"
    assert cp.created.year == datetime.now(timezone.utc).year  # not python-docx's 2013
    table = d.tables[0]._tbl
    assert table.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
    grid = [int(g.get(qn("w:w"))) for g in table.tblGrid.findall(qn("w:gridCol"))]
    assert len(grid) == 7 and len(set(grid)) > 2  # not equal columns
    assert grid[0] > 1.5 * grid[4]  # the intervention logic wider than the latest value
    row = next(tr for tr in table.findall(qn("w:tr")) if len(tr.findall(qn("w:tc"))) == 7)
    assert [int(tc.tcPr.find(qn("w:tcW")).get(qn("w:w"))) for tc in row.findall(qn("w:tc"))] == grid


def test_odt_bullets_come_from_the_list_style_once(project_fr, communes, tmp_path):
    from tests.exports.readback import odt_styles_xml, odt_text
    from bot.commands._demo_data import MemoryStore, build_demo, materialise, project_data
    from datetime import date
    from exports.reports import CommuneData, ReportInput, export_report

    pd = project_data(materialise(build_demo("berkane"), MemoryStore()))
    path = export_report(
        ReportInput(
            kind="final",
            today=date(2026, 11, 29),
            communes=[CommuneData("berkane", communes["berkane"], [pd])],
        ),
        "odt",
        "fr",
        tmp_path / "r.odt",
    )
    text = odt_text(path)
    assert "Orienter 150 jeunes" in text and "•" not in text  # the bullet is the style's
    xml = odt_styles_xml(path)
    assert 'text:bullet-char="•"' in xml and 'fo:hyphenate="false"' in xml
