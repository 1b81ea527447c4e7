"""Poll invitations: a QR code PNG and an A4 poster PDF (French and Arabic).

Drawn with matplotlib ≥ 3.11, whose text layout goes through libraqm (bundled in its wheels):
Arabic is shaped and laid out right-to-left by the renderer itself, with the DejaVu Sans font
that matplotlib ships (it has Arabic glyphs). So the poster needs no system font, no browser
engine and no reshaping step. Texts come from the caller (catalog-rendered), never from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from domain.text import without_bidi_controls

A4_INCHES = (8.27, 11.69)


def clean(text: str) -> str:
    """Without invisible direction marks (matplotlib would draw them as boxes)."""
    return without_bidi_controls(text)


def qr_matrix(data: str) -> list[list[bool]]:
    import segno

    qr = segno.make(data, error="m", micro=False)
    return [[bool(v) for v in row] for row in qr.matrix]


def qr_png(data: str, path: Path, scale: int = 12) -> Path:
    """A QR code PNG (medium error correction, 4-module quiet zone)."""
    import segno

    path.parent.mkdir(parents=True, exist_ok=True)
    segno.make(data, error="m", micro=False).save(str(path), kind="png", scale=scale, border=4)
    return path


@dataclass
class PosterText:
    """One language block of the poster (already rendered in that language)."""

    title: str
    lines: list[str] = field(default_factory=list)
    rtl: bool = False


def poster_pdf(path: Path, link: str, blocks: list[PosterText], header: str = "", footer: str = "") -> Path:
    """An A4 poster: a header, the QR code in the middle, one text block per language, the link
    in small print at the bottom."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    path.parent.mkdir(parents=True, exist_ok=True)
    fig = plt.figure(figsize=A4_INCHES)
    font = {"family": "DejaVu Sans"}

    def txt(s: str, rtl: bool) -> str:
        return clean(s)

    if header:
        fig.text(
            0.5,
            0.955,
            txt(header, _is_arabic(header)),
            ha="center",
            va="top",
            fontsize=13,
            color="#555555",
            **font,
        )
    y = 0.91
    for block in blocks[:1]:
        y = _block(fig, block, y, txt, font)
    ax = fig.add_axes((0.28, 0.38, 0.44, 0.44 * A4_INCHES[0] / A4_INCHES[1]))
    m = qr_matrix(link)
    border = 4
    size = len(m) + 2 * border
    grid = [[1.0] * size for _ in range(size)]
    for r, row in enumerate(m):
        for c, v in enumerate(row):
            grid[r + border][c + border] = 0.0 if v else 1.0
    ax.imshow(grid, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    y = 0.355
    for block in blocks[1:]:
        y = _block(fig, block, y, txt, font)
    if footer:
        fig.text(
            0.5, 0.045, txt(footer, _is_arabic(footer)), ha="center", fontsize=10, color="#555555", **font
        )
    fig.text(0.5, 0.022, link, ha="center", fontsize=8, color="#777777", family="DejaVu Sans Mono")
    with PdfPages(path, metadata={"Title": clean(blocks[0].title) if blocks else "Poll"}) as pdf:
        pdf.savefig(fig)
    plt.close(fig)
    return path


def _block(fig, block: PosterText, y: float, txt, font) -> float:
    x, ha = (0.92, "right") if block.rtl else (0.08, "left")
    fig.text(0.5, y, txt(block.title, block.rtl), ha="center", va="top", fontsize=24, weight="bold", **font)
    y -= 0.05
    for line in block.lines:
        fig.text(x, y, txt(line, block.rtl), ha=ha, va="top", fontsize=14, **font)
        y -= 0.032
    return y - 0.015


def _is_arabic(text: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in text)
