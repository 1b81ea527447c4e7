"""DOCX with python-docx. Arabic documents are right-to-left: every paragraph carries `w:bidi`,
every run `w:rtl`, tables `w:bidiVisual`, and the complex-script font and language are set, so
Word and LibreOffice lay out and shape the text correctly."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt, RGBColor

from domain.text import direction
from exports.doc import (
    Bullets,
    Document,
    Heading,
    Image,
    PageBreak,
    Para,
    Table,
    fitted_widths,
    plain,
)

CHAR_CM = 0.19  # the width of a character of 8.5 pt bold Arial, about
FONT = "Arial"  # has Latin and Arabic glyphs on Windows and macOS; LibreOffice substitutes


def _set(parent, tag: str, **attrs: str):
    el = parent.find(qn(tag))
    if el is None:
        el = OxmlElement(tag)
        parent.append(el)
    for k, v in attrs.items():
        el.set(qn(k), v)
    return el


def _rtl_paragraph(p, rtl: bool) -> None:
    """In an Arabic document a paragraph is right-to-left unless it starts with Latin text (a
    French sentence quoted in an Arabic report stays readable), as in Unicode's paragraph rule;
    runs holding Arabic are marked right-to-left."""
    if not rtl:
        return
    pPr = p._p.get_or_add_pPr()
    if direction(p.text) == "ltr":
        _set(pPr, "w:bidi", **{"w:val": "0"})
    else:
        _set(pPr, "w:bidi")
    for r in p.runs:
        if direction(r.text) != "ltr":
            _rtl_run(r)


def _rtl_run(run) -> None:
    rPr = run._r.get_or_add_rPr()
    _set(rPr, "w:rtl")


def _style_fonts(doc, rtl: bool) -> None:
    for name in ("Normal", "Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3", "List Bullet"):
        try:
            st = doc.styles[name]
        except KeyError:
            continue
        rPr = st.element.get_or_add_rPr()
        _set(rPr, "w:rFonts", **{"w:ascii": FONT, "w:hAnsi": FONT, "w:cs": FONT, "w:eastAsia": FONT})
        _set(rPr, "w:lang", **{"w:val": "fr-FR", "w:bidi": "ar-MA"})
        if rtl:
            _set(rPr, "w:rtl")
            pPr = st.element.get_or_add_pPr()
            _set(pPr, "w:bidi")
    normal = doc.styles["Normal"]
    normal.font.size = Pt(9.5)
    rPr = normal.element.get_or_add_rPr()
    _set(rPr, "w:szCs", **{"w:val": "19"})


def _shade(cell, fill: str) -> None:
    tcPr = cell._tc.get_or_add_tcPr()
    _set(tcPr, "w:shd", **{"w:val": "clear", "w:color": "auto", "w:fill": fill})


def _cell_text(cell, text: str, rtl: bool, bold: bool = False, size: float = 8.5) -> None:
    lines = str(text).split("\n")
    p = cell.paragraphs[0]
    for i, line in enumerate(lines):
        if i:
            p = cell.add_paragraph()
        run = p.add_run(line)
        run.bold = bold
        run.font.size = Pt(size)
        _rtl_paragraph(p, rtl)
        p.paragraph_format.space_after = Pt(0)


def _page_number_footer(section, label: str, rtl: bool) -> None:
    p = section.footer.paragraphs[0]
    p.add_run(label + " ")
    run = p.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            fc = OxmlElement("w:fldChar")
            fc.set(qn("w:fldCharType"), kind)
            run._r.append(fc)
        else:
            it = OxmlElement("w:instrText")
            it.set(qn("xml:space"), "preserve")
            it.text = text
            run._r.append(it)
    _rtl_paragraph(p, rtl)


def _properties(d, doc: Document) -> None:
    """Title, author "Athar", language and today's dates (python-docx's template says
    "python-docx", 2013)."""
    now = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
    cp = d.core_properties
    cp.title = plain(doc.title)
    cp.subject = plain(doc.subtitle or "")
    cp.author = cp.last_modified_by = "Athar"
    cp.created = cp.modified = now
    cp.revision = 1
    cp.language = "ar-MA" if doc.rtl else "fr-MA"
    cp.keywords = cp.comments = cp.category = ""


def write_docx(doc: Document, path: Path) -> None:
    d = new_docx()
    _properties(d, doc)
    _style_fonts(d, doc.rtl)
    usable = _page_setup(d, doc)
    _title_block(d, doc)
    for b in doc.blocks:
        _block(d, b, doc.rtl, usable)
    d.save(str(path))


def _page_setup(d, doc: Document) -> Emu:
    """A4 (landscape when the document is), margins, direction and the page-number footer; the
    usable width between the margins."""
    from exports.labels import Labels

    sec = d.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    if doc.landscape:
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = Cm(29.7), Cm(21.0)
    margin = Cm(1.3) if doc.landscape else Cm(1.8)
    sec.left_margin = sec.right_margin = margin
    sec.top_margin = sec.bottom_margin = Cm(1.5)
    usable = Emu(sec.page_width - sec.left_margin - sec.right_margin)
    if doc.rtl:
        _set(sec._sectPr, "w:bidi")
    _page_number_footer(sec, Labels(doc.lang).t("doc.page"), doc.rtl)
    return usable


def _title_block(d, doc: Document) -> None:
    """The title, the subtitle and the document's meta lines ("Commune : Berkane")."""
    rtl = doc.rtl
    p = d.add_paragraph(doc.title, style="Title")
    p.runs[0].font.size = Pt(18)
    _rtl_paragraph(p, rtl)
    if doc.subtitle:
        p = d.add_paragraph(doc.subtitle, style="Subtitle")
        _rtl_paragraph(p, rtl)
    for k, v in doc.meta.items():
        p = d.add_paragraph()
        p.add_run(f"{k}{': ' if doc.rtl else ' : '}").bold = True
        p.add_run(str(v))
        p.paragraph_format.space_after = Pt(0)
        _rtl_paragraph(p, rtl)


def _block(d, b, rtl: bool, usable: Emu) -> None:
    if isinstance(b, Heading):
        _rtl_paragraph(d.add_heading(b.text, level=min(b.level, 3)), rtl)
    elif isinstance(b, Para):
        _para(d, b, rtl)
    elif isinstance(b, Bullets):
        for it in b.items:
            _rtl_paragraph(d.add_paragraph(it, style="List Bullet"), rtl)
    elif isinstance(b, Table):
        _table(d, b, rtl, usable)
    elif isinstance(b, Image):
        _image(d, b, rtl, usable)
    elif isinstance(b, PageBreak):
        d.add_page_break()


def _para(d, b: Para, rtl: bool) -> None:
    """A paragraph: notes and meta in grey italics; a placeholder in grey, with three empty lines
    to write in."""
    p = d.add_paragraph(b.text)
    if b.style in ("note", "meta"):
        for r in p.runs:
            r.italic = True
            r.font.color.rgb = RGBColor(0x55, 0x55, 0x55)
    if b.style == "placeholder":
        for r in p.runs:
            r.font.color.rgb = RGBColor(0x77, 0x77, 0x77)
        for _ in range(3):
            _rtl_paragraph(d.add_paragraph(""), rtl)
    _rtl_paragraph(p, rtl)


def _image(d, b: Image, rtl: bool, usable: Emu) -> None:
    """A picture, centred, at most the usable width, with its caption in small italics."""
    d.add_picture(str(b.path), width=Cm(min(b.width_cm, usable.cm)))
    pic = d.paragraphs[-1]
    pic.alignment = 1  # centre
    if b.caption:
        p = d.add_paragraph(b.caption)
        p.alignment = 1
        for r in p.runs:
            r.italic = True
            r.font.size = Pt(8)
        _rtl_paragraph(p, rtl)


def _table(d, b: Table, rtl: bool, usable) -> None:
    ncol = len(b.headers)
    t = d.add_table(rows=1, cols=ncol)
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    if rtl:
        _set(t._tbl.tblPr, "w:bidiVisual")
    # Word's cells have 0.19 cm of margin on each side
    col_w = [int(Cm(w)) for w in fitted_widths(b, Emu(usable).cm, CHAR_CM, pad=0.5)]
    # the real column widths: the grid, a fixed layout and the table's width (Word and
    # LibreOffice lay the table out from these, not from the cells alone)
    _set(t._tbl.tblPr, "w:tblLayout", **{"w:type": "fixed"})
    _set(t._tbl.tblPr, "w:tblW", **{"w:w": str(sum(Emu(w).twips for w in col_w)), "w:type": "dxa"})
    for gc, w in zip(t._tbl.tblGrid.findall(qn("w:gridCol")), col_w):
        gc.set(qn("w:w"), str(Emu(w).twips))
    for i, h in enumerate(b.headers):
        c = t.rows[0].cells[i]
        _cell_text(c, h, rtl, bold=True)
        _shade(c, "DDE7F0")
    # the header row repeats on every page
    trPr = t.rows[0]._tr.get_or_add_trPr()
    _set(trPr, "w:tblHeader")
    for ri, row in enumerate(b.rows):
        cells = t.add_row().cells
        if ri in b.group_rows:
            merged = cells[0].merge(cells[-1])
            _cell_text(merged, row[0], rtl, bold=True)
            _shade(merged, "EEF3F7")
            continue
        for i, value in enumerate(row[:ncol]):
            _cell_text(cells[i], value, rtl, size=7.5 if b.compact else 8.5)
    for row in t.rows:
        for i, c in enumerate(row.cells):
            if i < len(col_w):
                c.width = col_w[i]
    d.add_paragraph().paragraph_format.space_after = Pt(2)
