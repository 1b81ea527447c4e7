"""ODT (OpenDocument text) with odfpy. Arabic documents use the right-to-left writing mode
(`style:writing-mode="rl-tb"`) for the page, paragraphs and tables, with the complex-script font
and language set, so LibreOffice shapes and orders the text correctly."""

from __future__ import annotations

from pathlib import Path

from odf import draw, style, table, text
from odf.opendocument import OpenDocumentText

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
)

FONT = "DejaVu Sans"
CHAR_CM = 0.19  # the width of a character of 8.5 pt bold DejaVu Sans, about


def _styles(odt: OpenDocumentText, doc: Document) -> dict[str, style.Style]:
    rtl = doc.rtl
    mode = "rl-tb" if rtl else "lr-tb"
    align = "end" if rtl else "start"
    odt.fontfacedecls.addElement(
        style.FontFace(name=FONT, fontfamily=f"'{FONT}'", fontfamilygeneric="swiss", fontpitch="variable")
    )
    # page
    pl = style.PageLayout(name="Page")
    w, h = ("29.7cm", "21cm") if doc.landscape else ("21cm", "29.7cm")
    m = "1.3cm" if doc.landscape else "1.8cm"
    pl.addElement(
        style.PageLayoutProperties(
            pagewidth=w,
            pageheight=h,
            printorientation=("landscape" if doc.landscape else "portrait"),
            margintop="1.5cm",
            marginbottom="1.5cm",
            marginleft=m,
            marginright=m,
            writingmode=mode,
        )
    )
    odt.automaticstyles.addElement(pl)
    odt.masterstyles.addElement(style.MasterPage(name="Standard", pagelayoutname=pl))

    ltr_twins: dict[str, style.Style] = {}

    def text_props(size: str, bold: bool = False, italic: bool = False, color: str | None = None):
        # no hyphenation: LibreOffice would otherwise cut words in narrow table columns
        kw = dict(
            fontname=FONT,
            fontnamecomplex=FONT,
            fontsize=size,
            fontsizecomplex=size,
            language="fr",
            country="FR",
            languagecomplex="ar",
            countrycomplex="MA",
            hyphenate="false",
        )
        if bold:
            kw.update(fontweight="bold", fontweightcomplex="bold")
        if italic:
            kw.update(fontstyle="italic", fontstylecomplex="italic")
        if color:
            kw["color"] = color
        return style.TextProperties(**kw)

    def para_style(
        name: str,
        size: str,
        bold=False,
        italic=False,
        color=None,
        above="0cm",
        below="0.12cm",
        parent: str | None = None,
        extra: dict | None = None,
    ):
        kw = {"name": name, "family": "paragraph"}
        if parent:
            kw["parentstylename"] = parent
        s = style.Style(**kw)
        pp = dict(writingmode=mode, textalign=align, margintop=above, marginbottom=below)
        pp.update(extra or {})
        s.addElement(style.ParagraphProperties(**pp))
        s.addElement(text_props(size, bold, italic, color))
        odt.styles.addElement(s)
        if rtl:  # a left-to-right twin for Latin paragraphs quoted in an Arabic document
            t = style.Style(name=name + "_LTR", family="paragraph", parentstylename=s)
            pp = dict(writingmode="lr-tb", textalign="start")
            if extra and "textalign" in extra:
                pp["textalign"] = extra["textalign"]
            t.addElement(style.ParagraphProperties(**pp))
            odt.styles.addElement(t)
            ltr_twins[name] = t
        return s

    st = {
        "body": para_style("Body", "9.5pt"),
        "title": para_style("Title", "17pt", bold=True, color="#12395b", below="0.1cm"),
        "subtitle": para_style("Subtitle", "10pt", italic=True, color="#555555", below="0.2cm"),
        "h1": para_style("Heading_20_1", "13pt", bold=True, color="#12395b", above="0.35cm"),
        "h2": para_style("Heading_20_2", "11.5pt", bold=True, color="#12395b", above="0.3cm"),
        "h3": para_style("Heading_20_3", "10pt", bold=True, above="0.2cm"),
        "note": para_style("Note", "8.5pt", italic=True, color="#555555"),
        "placeholder": para_style("Placeholder", "9.5pt", italic=True, color="#777777", below="1.5cm"),
        "cell": para_style("Cell", "8.5pt", below="0cm"),
        "cellhead": para_style("CellHead", "8.5pt", bold=True, below="0cm"),
        "caption": para_style("Caption", "8pt", italic=True, color="#555555", extra={"textalign": "center"}),
        "centre": para_style("Centre", "9.5pt", extra={"textalign": "center"}),
        "break": para_style("Break", "2pt", extra={"breakbefore": "page"}),
    }
    for key in ("h1", "h2", "h3"):
        st[key].setAttribute("defaultoutlinelevel", key[1])
    cell = style.Style(name="CellBox", family="table-cell")
    cell.addElement(style.TableCellProperties(border="0.5pt solid #9aa9b8", padding="0.05cm"))
    odt.automaticstyles.addElement(cell)
    head = style.Style(name="CellHeadBox", family="table-cell")
    head.addElement(
        style.TableCellProperties(border="0.5pt solid #9aa9b8", padding="0.05cm", backgroundcolor="#dde7f0")
    )
    odt.automaticstyles.addElement(head)
    band = style.Style(name="CellBandBox", family="table-cell")
    band.addElement(
        style.TableCellProperties(border="0.5pt solid #9aa9b8", padding="0.05cm", backgroundcolor="#eef3f7")
    )
    odt.automaticstyles.addElement(band)
    # bullets drawn by the list style (the items hold the text alone); in an Arabic document
    # the label sits on the right
    bullets = text.ListStyle(name="Bullets")
    level = text.ListLevelStyleBullet(level=1, bulletchar="•")
    level.addElement(style.ListLevelProperties(spacebefore="0.2cm", minlabelwidth="0.45cm"))
    bullets.addElement(level)
    odt.automaticstyles.addElement(bullets)
    st.update({"cellbox": cell, "headbox": head, "bandbox": band, "_ltr": ltr_twins, "bullets": bullets})
    return st


def _pick(st: dict, key: str, line: str):
    """The style `key`, or its left-to-right twin for a Latin line in an Arabic document."""
    s = st[key]
    twin = st["_ltr"].get(s.getAttribute("name"))
    return twin if twin is not None and direction(line) == "ltr" else s


def _paragraphs(parent, value: str, st: dict, key: str) -> None:
    for line in str(value).split("\n") or [""]:
        parent.addElement(text.P(stylename=_pick(st, key, line), text=line))


def write_odt(doc: Document, path: Path) -> None:
    odt = OpenDocumentText()
    st = _styles(odt, doc)
    rtl = doc.rtl
    body = odt.text
    usable_cm = (29.7 - 2.6) if doc.landscape else (21 - 3.6)
    body.addElement(text.P(stylename=_pick(st, "title", doc.title), text=doc.title))
    if doc.subtitle:
        body.addElement(text.P(stylename=st["subtitle"], text=doc.subtitle))
    for k, v in doc.meta.items():
        p = text.P(stylename=st["body"])
        bold = style.Style(name="Strong", family="text") if "strong" not in st else st["strong"]
        if "strong" not in st:
            bold.addElement(style.TextProperties(fontweight="bold", fontweightcomplex="bold"))
            odt.automaticstyles.addElement(bold)
            st["strong"] = bold
        p.addElement(text.Span(stylename=bold, text=f"{k}{': ' if doc.rtl else ' : '}"))
        p.addText(str(v))
        body.addElement(p)
    n_tables = n_images = 0
    for b in doc.blocks:
        if isinstance(b, Heading):
            level = min(b.level, 3)
            body.addElement(text.H(outlinelevel=level, stylename=_pick(st, f"h{level}", b.text), text=b.text))
        elif isinstance(b, Para):
            _paragraphs(
                body,
                b.text,
                st,
                "placeholder"
                if b.style == "placeholder"
                else "note"
                if b.style in ("note", "meta")
                else "body",
            )
        elif isinstance(b, Bullets):
            lst = text.List(stylename=st["bullets"])
            for it in b.items:
                li = text.ListItem()
                li.addElement(text.P(stylename=_pick(st, "body", it), text=it))
                lst.addElement(li)
            body.addElement(lst)
        elif isinstance(b, Table):
            n_tables += 1
            body.addElement(_table(odt, b, st, rtl, usable_cm, n_tables))
        elif isinstance(b, Image):
            n_images += 1
            href = odt.addPicture(str(b.path))
            w = min(b.width_cm, usable_cm)
            h = w * _ratio(b.path)
            p = text.P(stylename=st["centre"])
            frame = draw.Frame(
                name=f"img{n_images}", anchortype="as-char", width=f"{w:.2f}cm", height=f"{h:.2f}cm"
            )
            frame.addElement(draw.Image(href=href))
            p.addElement(frame)
            body.addElement(p)
            if b.caption:
                body.addElement(text.P(stylename=st["caption"], text=b.caption))
        elif isinstance(b, PageBreak):
            body.addElement(text.P(stylename=st["break"], text=""))
    odt.save(str(path))


def _ratio(path: Path) -> float:
    from PIL import Image as PILImage

    with PILImage.open(path) as im:
        return im.height / im.width


def _table(odt, b: Table, st, rtl: bool, usable_cm: float, n: int):
    ncol = len(b.headers)
    ts = style.Style(name=f"Tbl{n}", family="table")
    ts.addElement(
        style.TableProperties(
            width=f"{usable_cm:.2f}cm",
            align="margins",
            writingmode="rl-tb" if rtl else "lr-tb",
            marginbottom="0.2cm",
        )
    )
    odt.automaticstyles.addElement(ts)
    t = table.Table(name=f"Table{n}", stylename=ts)
    for i, w in enumerate(fitted_widths(b, usable_cm, CHAR_CM)):
        cs = style.Style(name=f"Tbl{n}C{i}", family="table-column")
        cs.addElement(style.TableColumnProperties(columnwidth=f"{w:.2f}cm"))
        odt.automaticstyles.addElement(cs)
        t.addElement(table.TableColumn(stylename=cs))
    hdr = table.TableHeaderRows()
    tr = table.TableRow()
    for h in b.headers:
        c = table.TableCell(stylename=st["headbox"], valuetype="string")
        _paragraphs(c, h, st, "cellhead")
        tr.addElement(c)
    hdr.addElement(tr)
    t.addElement(hdr)
    for ri, row in enumerate(b.rows):
        tr = table.TableRow()
        if ri in b.group_rows:
            c = table.TableCell(stylename=st["bandbox"], valuetype="string", numbercolumnsspanned=ncol)
            _paragraphs(c, row[0], st, "cellhead")
            tr.addElement(c)
            for _ in range(ncol - 1):
                tr.addElement(table.CoveredTableCell())
        else:
            for value in row[:ncol]:
                c = table.TableCell(stylename=st["cellbox"], valuetype="string")
                _paragraphs(c, value, st, "cell")
                tr.addElement(c)
        t.addElement(tr)
    return t
