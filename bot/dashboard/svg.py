"""Inline SVG charts of the dashboard (no JavaScript, no image files): an indicator's path from
its baseline through its measurements to its target, a stacked bar of a question's answers, and
a baseline / follow-up pair of bars.

The values come already computed (bot.dashboard.views); these functions only draw them. A
right-to-left page gets a mirrored drawing (time and bars run from the right) with its texts
written right to left. Every chart has a text alternative (`aria-label` and `<title>`).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

BASELINE = "#8a99a8"
FOLLOWUP = "#1f6fb2"
TARGET = "#2e7d32"
# five-point scale, from the least to the most favourable
SCALE = ("#c0392b", "#e67e22", "#bdc3c7", "#7fb3d5", "#1f6fb2")


@dataclass(frozen=True)
class Point:
    label: str  # the period, as shown
    value: float
    text: str  # the value, as shown
    kind: str = "measure"  # baseline | measure | target


def _x(x: float, width: float, rtl: bool) -> float:
    return width - x if rtl else x


def _svg(width: int, height: int, label: str, body: list[str], rtl: bool, cls: str) -> Markup:
    direction = "rtl" if rtl else "ltr"
    return Markup(
        f'<svg class="chart {cls}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(label)}" direction="{direction}" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(label)}</title>" + "".join(body) + "</svg>"
    )


def indicator_chart(points: list[Point], label: str, rtl: bool = False) -> Markup:
    """The baseline, the measurements in time order and the target, on one line; the target as
    a dashed level. Empty when there is nothing to draw."""
    if not points:
        return Markup("")
    width, height, pad_x, top, bottom = 320, 130, 28, 22, 34
    values = [p.value for p in points]
    lo, hi = min(values + [0.0]), max(values)
    if hi == lo:
        hi = lo + 1
    step = (width - 2 * pad_x) / max(len(points) - 1, 1)

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - (v - lo) / (hi - lo))

    anchor = "middle"
    body = [
        f'<line x1="0" y1="{height - bottom}" x2="{width}" y2="{height - bottom}" '
        f'stroke="#ccd" stroke-width="1"/>'
    ]
    target = next((p for p in points if p.kind == "target"), None)
    if target is not None:
        ty = y(target.value)
        body.append(
            f'<line x1="{pad_x / 2}" y1="{ty:.1f}" x2="{width - pad_x / 2}" y2="{ty:.1f}" '
            f'stroke="{TARGET}" stroke-width="1.5" stroke-dasharray="5 4"/>'
        )
    observed = [(i, p) for i, p in enumerate(points) if p.kind != "target"]
    if len(observed) > 1:
        path = " ".join(f"{_x(pad_x + i * step, width, rtl):.1f},{y(p.value):.1f}" for i, p in observed)
        body.append(f'<polyline points="{path}" fill="none" stroke="{FOLLOWUP}" stroke-width="2"/>')
    for i, p in enumerate(points):
        cx, cy = _x(pad_x + i * step, width, rtl), y(p.value)
        color = {"baseline": BASELINE, "target": TARGET}.get(p.kind, FOLLOWUP)
        shape = (
            f'<rect x="{cx - 5:.1f}" y="{cy - 5:.1f}" width="10" height="10" fill="{color}"/>'
            if p.kind == "target"
            else f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4.5" fill="{color}"/>'
        )
        body.append(shape)
        body.append(
            f'<text x="{cx:.1f}" y="{cy - 9:.1f}" text-anchor="{anchor}" class="v">{escape(p.text)}</text>'
        )
        body.append(
            f'<text x="{cx:.1f}" y="{height - bottom + 16}" text-anchor="{anchor}" '
            f'class="t">{escape(p.label)}</text>'
        )
    return _svg(width, height, label, body, rtl, "indicator")


def stacked_bar(counts: list[int], label: str, rtl: bool = False, colors: tuple[str, ...] = SCALE) -> Markup:
    """One bar split by answer (counts in option order, least favourable first)."""
    total = sum(counts)
    width, height = 300, 22
    body, x = [], 0.0
    for k, n in enumerate(counts):
        if not n or not total:
            continue
        w = width * n / total
        left = width - x - w if rtl else x
        body.append(
            f'<rect x="{left:.2f}" y="0" width="{w:.2f}" height="{height}" '
            f'fill="{colors[k % len(colors)]}"><title>{n}</title></rect>'
        )
        if w >= 16:
            body.append(f'<text x="{left + w / 2:.2f}" y="15" text-anchor="middle" class="in">{n}</text>')
        x += w
    return _svg(width, height, label, body, rtl, "stacked")


def pair_bars(
    baseline: float | None, followup: float | None, texts: tuple[str, str], label: str, rtl: bool = False
) -> Markup:
    """Two bars on a 0-100 % scale, baseline (grey) above follow-up (blue); a share not shown
    (too few answers) draws no bar."""
    width, bar, gap = 300, 16, 6
    body = []
    for k, (value, color, text) in enumerate(
        ((baseline, BASELINE, texts[0]), (followup, FOLLOWUP, texts[1]))
    ):
        top = k * (bar + gap)
        body.append(f'<rect x="0" y="{top}" width="{width}" height="{bar}" fill="#eef1f4"/>')
        if value is None:
            continue
        w = width * max(0.0, min(value, 100.0)) / 100
        left = width - w if rtl else 0
        body.append(f'<rect x="{left:.2f}" y="{top}" width="{w:.2f}" height="{bar}" fill="{color}"/>')
        tx = _x(min(w + 4, width - 40), width, rtl)
        body.append(f'<text x="{tx:.2f}" y="{top + 12}" class="v">{escape(text)}</text>')
    return _svg(width, 2 * bar + gap, label, body, rtl, "pair")
